"""The scheduler's view of the cluster for one pass: NodeInfo and PodInfo.

kube-scheduler keeps a cache of NodeInfo (a node plus the requests, ports and pods already
placed on it) and pre-computes per pod what its filters need (PreFilter). Building both
once per pass, and updating a NodeInfo in place after each bind, is what makes a pass
cost O(pods x nodes) cheap comparisons instead of re-reading the store per pod.

Quantities are parsed once per distinct text (lru_cache): a thousand pods of one
template carry the same few strings.
"""
from __future__ import annotations

from functools import lru_cache

from pkubectl.api import quantity

# schedutil.DefaultMilliCPURequest / DefaultMemoryRequest: what scoring assumes for a
# container that requests nothing, so best-effort pods still spread.
DEFAULT_MILLI_CPU = 100
DEFAULT_MEMORY = 200 * 1024 * 1024
DEFAULT_MAX_PODS = 110
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
TERMINATED = ("Succeeded", "Failed")


@lru_cache(maxsize=4096)
def milli(q) -> int:
    try:
        return quantity.cpu_millis(q)
    except (ValueError, TypeError):
        return 0


@lru_cache(maxsize=4096)
def value(q) -> int:
    try:
        return quantity.bytes_(q)
    except (ValueError, TypeError):
        return 0


def amount(name: str, q) -> int:
    """A resource amount in the unit the scheduler compares: millicores for cpu, else the value."""
    return milli(q) if name == "cpu" else value(q)


def _requests(c: dict) -> dict:
    return ((c.get("resources") or {}).get("requests") or {}) if isinstance(c, dict) else {}


def pod_requests(spec: dict) -> tuple[dict, int, int]:
    """(requests by resource, non-zero cpu, non-zero memory) of a pod, as
    computePodResourceRequest does: the sum over containers, raised to any single init
    container's request (they run one at a time, before the others), plus overhead."""
    total: dict = {}
    nz_cpu = nz_mem = 0
    for c in spec.get("containers") or []:
        req = _requests(c)
        for name, q in req.items():
            total[name] = total.get(name, 0) + amount(name, q)
        nz_cpu += milli(req["cpu"]) if "cpu" in req else DEFAULT_MILLI_CPU
        nz_mem += value(req["memory"]) if "memory" in req else DEFAULT_MEMORY
    for c in spec.get("initContainers") or []:
        req = _requests(c)
        for name, q in req.items():
            a = amount(name, q)
            if a > total.get(name, 0):
                total[name] = a
        if "cpu" in req:
            nz_cpu = max(nz_cpu, milli(req["cpu"]))
        if "memory" in req:
            nz_mem = max(nz_mem, value(req["memory"]))
    for name, q in (spec.get("overhead") or {}).items():
        total[name] = total.get(name, 0) + amount(name, q)
    return total, nz_cpu, nz_mem


def host_ports(spec: dict) -> list[tuple[str, str, int]]:
    """(hostIP, protocol, hostPort) the pod claims on its node."""
    out = []
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            if key == "initContainers" and c.get("restartPolicy") != "Always":
                continue
            for p in c.get("ports") or []:
                hp = p.get("hostPort") or 0
                if hp > 0:
                    out.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", hp))
    return out


def controller_uid(meta: dict) -> str | None:
    for ref in meta.get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


_FIRST = {"cpu": 0, "memory": 1, "ephemeral-storage": 2}


class PodInfo:
    """What the filters and scores read from a pending pod, computed once."""

    __slots__ = ("pod", "name", "namespace", "labels", "requests", "request_order", "nz_cpu", "nz_mem",
                 "ports", "tolerations", "node_selector", "required_terms", "preferred_terms", "owner",
                 "priority", "spec")

    def __init__(self, pod: dict):
        meta, spec = pod["metadata"], pod.get("spec") or {}
        self.pod, self.spec = pod, spec
        self.name, self.namespace = meta["name"], meta.get("namespace") or "default"
        self.labels = meta.get("labels") or {}
        self.requests, self.nz_cpu, self.nz_mem = pod_requests(spec)
        # cpu, memory, ephemeral-storage, then the rest by name: the order of the reasons
        self.request_order = sorted(((n, a) for n, a in self.requests.items() if a > 0),
                                    key=lambda na: (_FIRST.get(na[0], 3), na[0]))
        self.ports = host_ports(spec)
        self.tolerations = spec.get("tolerations") or []
        self.node_selector = spec.get("nodeSelector") or {}
        na = ((spec.get("affinity") or {}).get("nodeAffinity") or {})
        required = na.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
        self.required_terms = required.get("nodeSelectorTerms") if required else None
        self.preferred_terms = na.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        self.owner = controller_uid(meta)
        self.priority = spec.get("priority") or 0


class NodeInfo:
    """A node, what is allocatable on it, and what pods already bound there request."""

    __slots__ = ("node", "name", "labels", "taints", "prefer_taints", "unschedulable", "allocatable",
                 "max_pods", "requested", "nz_cpu", "nz_mem", "pods", "ports", "owners", "version")

    def __init__(self, node: dict):
        meta, spec, status = node["metadata"], node.get("spec") or {}, node.get("status") or {}
        self.node = node
        self.name = meta["name"]
        self.labels = meta.get("labels") or {}
        self.unschedulable = bool(spec.get("unschedulable"))
        taints = [t for t in spec.get("taints") or [] if isinstance(t, dict)]
        implied = not_ready_taint(status)
        if implied and not any(t.get("key") == implied["key"] for t in taints):
            taints.append(implied)
        self.taints = [t for t in taints if t.get("effect") in ("NoSchedule", "NoExecute")]
        self.prefer_taints = [t for t in taints if t.get("effect") == "PreferNoSchedule"]
        alloc = status.get("allocatable") or status.get("capacity") or {}
        self.allocatable = {k: amount(k, v) for k, v in alloc.items() if k != "pods"}
        self.max_pods = value(alloc["pods"]) if "pods" in alloc else 0
        self.requested: dict = {}
        self.nz_cpu = self.nz_mem = 0
        self.pods = 0
        self.ports: list = []
        self.owners: dict = {}
        self.version = 0  # bumped on every add: cached per-node verdicts are stale

    def add(self, info_requests: dict, nz_cpu: int, nz_mem: int, ports, owner) -> None:
        self.version += 1
        req = self.requested
        for k, v in info_requests.items():
            req[k] = req.get(k, 0) + v
        self.nz_cpu += nz_cpu
        self.nz_mem += nz_mem
        self.pods += 1
        if ports:
            self.ports.extend(ports)
        if owner:
            self.owners[owner] = self.owners.get(owner, 0) + 1

    def add_pod(self, pod: dict) -> None:
        spec = pod.get("spec") or {}
        reqs, nz_cpu, nz_mem = pod_requests(spec)
        self.add(reqs, nz_cpu, nz_mem, host_ports(spec), controller_uid(pod["metadata"]))


def not_ready_taint(status: dict) -> dict | None:
    """The taint the node lifecycle controller puts on a node whose Ready condition is
    not True (not-ready for False or missing, unreachable for Unknown). The scheduler
    skips such nodes through the taint, so the message names it as Kubernetes does."""
    for c in status.get("conditions") or []:
        if c.get("type") == "Ready":
            if c.get("status") == "True":
                return None
            key = UNREACHABLE_TAINT if c.get("status") == "Unknown" else NOT_READY_TAINT
            return {"key": key, "effect": "NoSchedule"}
    return {"key": NOT_READY_TAINT, "effect": "NoSchedule"}


def build(nodes: list[dict], pods: list[dict]) -> tuple[list[NodeInfo], list[dict]]:
    """(NodeInfo per node sorted by name, pending pods to schedule) from one read."""
    infos = {n["metadata"]["name"]: NodeInfo(n) for n in nodes}
    pending = []
    for p in pods:
        spec = p.get("spec") or {}
        node = spec.get("nodeName")
        phase = (p.get("status") or {}).get("phase")
        if node:
            if phase not in TERMINATED and node in infos:
                infos[node].add_pod(p)
        elif phase in (None, "Pending") and not p["metadata"].get("deletionTimestamp") \
                and (spec.get("schedulerName") or "default-scheduler") == "default-scheduler" \
                and not spec.get("schedulingGates"):
            pending.append(p)
    return [infos[k] for k in sorted(infos)], pending
