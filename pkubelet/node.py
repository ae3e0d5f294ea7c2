"""A node agent's Node object and heartbeat (what the kubelet's node status manager does).

register() creates or refreshes the Node: labels (kubernetes.io/hostname, os, arch), taints
(only when the Node is created, like --register-with-taints), spec.podCIDR 127.244.N.0/24
(the first N not held by another Node; N=0 for the default node), capacity and allocatable
measured with psutil, addresses, nodeInfo and the four conditions worded as the kubelet
words them.

The heartbeat is a Lease in kube-node-lease renewed every `heartbeat_interval` seconds (one
small write: the store compacts lease log rows hard, kine's lesson); the Node status is
written again only when a condition changes, when someone else (the node lifecycle
controller) changed our Ready condition, or every `status_interval` seconds.
"""
from __future__ import annotations

import os
import platform
import time

DEFAULT_NODE = "pkube"
DEFAULT_ADDRESS = "127.0.0.1"
KUBELET_VERSION = "v1.37.1"
RUNTIME_VERSION = "pkube://0.1.0"
LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION = 40
HEARTBEAT_INTERVAL = float(os.environ.get("PKUBE_HEARTBEAT_INTERVAL", "10"))
MAX_PODS = 110
SIMULATED_LABEL = "pkube.io/simulated"
KWOK_ANNOTATION = "kwok.x-k8s.io/node"
ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
          "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}

# condition type -> (healthy status, reason, message), (unhealthy ...): the kubelet's words.
CONDITIONS = {
    "MemoryPressure": (("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                       ("True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available")),
    "DiskPressure": (("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                     ("True", "KubeletHasDiskPressure", "kubelet has disk pressure")),
    "PIDPressure": (("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    ("True", "KubeletHasInsufficientPID", "kubelet has insufficient PID available")),
    "Ready": (("True", "KubeletReady", "kubelet is posting ready status"),
              ("False", "KubeletNotReady", "container runtime is down")),
}
MEMORY_EVICTION_BYTES = 100 * 1024 * 1024  # the kubelet's default memory.available<100Mi
DISK_EVICTION_FRACTION = 0.10  # nodefs.available<10%


def _api_kind(kind: str):
    from pkubectl.api import registry

    return registry.by_kind(kind)


def now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def micro_time(t: float | None = None) -> str:
    """metav1.MicroTime, as a Lease's renewTime is written."""
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


def arch() -> str:
    machine = platform.machine().lower()
    return ARCHES.get(machine, machine)


def os_image() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "Linux"


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def node_info() -> dict:
    machine_id = _read("/etc/machine-id")
    return {
        "machineID": machine_id,
        "systemUUID": _read("/sys/class/dmi/id/product_uuid") or machine_id,
        "bootID": _read("/proc/sys/kernel/random/boot_id"),
        "kernelVersion": platform.release(),
        "osImage": os_image(),
        "containerRuntimeVersion": RUNTIME_VERSION,
        "kubeletVersion": KUBELET_VERSION,
        "operatingSystem": "linux",
        "architecture": arch(),
    }


def measure_capacity(home: str) -> tuple:
    """(capacity, allocatable) of this machine, as the kubelet reports them."""
    import psutil

    mem_kib = psutil.virtual_memory().total // 1024
    try:
        disk = psutil.disk_usage(home).total
    except OSError:
        disk = 0
    capacity = {"cpu": str(psutil.cpu_count() or 1), "ephemeral-storage": "%dKi" % (disk // 1024),
                "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "%dKi" % mem_kib,
                "pods": str(MAX_PODS)}
    allocatable = dict(capacity)
    allocatable["memory"] = "%dKi" % max(0, mem_kib - MEMORY_EVICTION_BYTES // 1024)
    allocatable["ephemeral-storage"] = str(int(disk * (1 - DISK_EVICTION_FRACTION)))
    return capacity, allocatable


def parse_capacity(text: str) -> dict:
    """`cpu=2,memory=4Gi,pods=110` -> a capacity map (for extra and simulated nodes)."""
    out = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        key, _, value = part.partition("=")
        out[key.strip()] = value.strip()
    return out


def pressure(home: str) -> dict:
    """condition type -> True when under pressure (Ready is "pressure" only when broken)."""
    import psutil

    try:
        disk = psutil.disk_usage(home)
        disk_low = disk.free < disk.total * DISK_EVICTION_FRACTION
    except OSError:
        disk_low = False
    try:
        pid_max = int(_read("/proc/sys/kernel/pid_max") or 0)
    except ValueError:
        pid_max = 0
    pids_low = bool(pid_max) and len(psutil.pids()) > pid_max * 0.9
    return {"MemoryPressure": psutil.virtual_memory().available < MEMORY_EVICTION_BYTES,
            "DiskPressure": disk_low, "PIDPressure": pids_low, "Ready": False}


def conditions(current: list, under_pressure: dict, heartbeat: str) -> list:
    """The four conditions, keeping lastTransitionTime when a status did not change."""
    before = {c.get("type"): c for c in current or []}
    out = []
    for ctype, (healthy, sick) in CONDITIONS.items():
        status, reason, message = sick if under_pressure.get(ctype) else healthy
        prev = before.get(ctype) or {}
        transition = prev.get("lastTransitionTime") if prev.get("status") == status else None
        out.append({"type": ctype, "status": status, "lastHeartbeatTime": heartbeat,
                    "lastTransitionTime": transition or heartbeat, "reason": reason, "message": message})
    return out


def pod_cidr(index: int) -> str:
    return "127.244.%d.0/24" % index


def cidr_index(cidr: str) -> int | None:
    parts = (cidr or "").split(".")
    if len(parts) == 4 and parts[0] == "127" and parts[1] == "244" and parts[2].isdigit():
        return int(parts[2])
    return None


def free_cidr_index(nodes: list, name: str, default_node: bool, cluster: str = "") -> int:
    """The first free /24 of 127.244.0.0/16, scanning from an offset derived from the
    cluster's state dir: two clusters running on one machine (two contexts, tests
    in parallel) then hand out different pod IPs instead of answering for each other."""
    import zlib
    taken = {cidr_index((n.get("spec") or {}).get("podCIDR", "")) for n in nodes
             if n["metadata"]["name"] != name}
    offset = zlib.crc32(cluster.encode()) % 256 if cluster else 0
    for step in range(0 if default_node else 1, 256):
        i = (offset + step) % 256
        if i not in taken:
            return i
    raise RuntimeError("no free pod CIDR left in 127.244.0.0/16")


class NodeAgent:
    """Registers one Node and keeps its Lease and status fresh.

    ``capacity`` None measures the machine; ``address`` None picks 127.0.0.1 for the
    default node and 127.0.1.N (N = the pod CIDR index) for others.
    """

    def __init__(self, api, name: str = DEFAULT_NODE, *, home: str | None = None,
                 address: str | None = None, labels: dict | None = None, taints: list | None = None,
                 capacity: dict | None = None, annotations: dict | None = None,
                 heartbeat_interval: float = HEARTBEAT_INTERVAL, status_interval: float | None = None):
        self.api, self.name = api, name
        self.home = home or api.store.home
        self.address, self.labels, self.taints = address, labels or {}, taints or []
        self.capacity, self.annotations = capacity, annotations or {}
        self.heartbeat_interval = heartbeat_interval
        grace = float(os.environ.get("PKUBE_NODE_MONITOR_GRACE", "40"))
        self.status_interval = status_interval or max(heartbeat_interval, min(60.0, grace / 2))
        self.node: dict | None = None
        self._lease: dict | None = None
        self._last_lease = -1e9

    # -- registration -------------------------------------------------------------------
    def register(self) -> dict:
        """Create the Node (or refresh an existing one) and its Lease; returns the Node."""
        from pkubectl.api import errors

        from pkubelet import locks

        kind = _api_kind("Node")
        with locks.held(self.home, "nodes.lock", timeout=30):
            live = self.api.try_get(kind, None, self.name)
            if live is None:
                nodes = self.api.list(kind)[0]
                index = free_cidr_index(nodes, self.name, self.name == DEFAULT_NODE, self.api.store.home)
                obj = {"apiVersion": "v1", "kind": "Node",
                       "metadata": {"name": self.name, "labels": self._labels({}),
                                    "annotations": self._annotations({})},
                       "spec": {"podCIDR": pod_cidr(index), "podCIDRs": [pod_cidr(index)]}}
                if self.taints:
                    obj["spec"]["taints"] = self.taints
                try:
                    live = self.api.create(obj)
                except errors.ApiError as err:
                    if err.code != 409:
                        raise
                    live = self.api.get(kind, None, self.name)
            else:
                meta = live["metadata"]
                labels, annotations = self._labels(meta.get("labels") or {}), \
                    self._annotations(meta.get("annotations") or {})
                spec = live.setdefault("spec", {})
                changed = labels != meta.get("labels") or annotations != meta.get("annotations")
                if not spec.get("podCIDR"):
                    nodes = self.api.list(kind)[0]
                    index = free_cidr_index(nodes, self.name, self.name == DEFAULT_NODE, self.api.store.home)
                    spec["podCIDR"], spec["podCIDRs"] = pod_cidr(index), [pod_cidr(index)]
                    changed = True
                if changed:
                    meta["labels"], meta["annotations"] = labels, annotations
                    live = self.api.update(live)
        self.node = live
        self.post_status(force=True)
        self.renew_lease(force=True)
        return self.node

    def _labels(self, existing: dict) -> dict:
        labels = dict(existing)
        labels.update({"beta.kubernetes.io/arch": arch(), "beta.kubernetes.io/os": "linux",
                       "kubernetes.io/arch": arch(), "kubernetes.io/hostname": self.name,
                       "kubernetes.io/os": "linux"})
        labels.update(self.labels)
        return labels

    def _annotations(self, existing: dict) -> dict:
        out = dict(existing)
        out.update({"node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true"})
        out.update(self.annotations)
        return out

    # -- addresses --------------------------------------------------------------------------
    @property
    def cidr_index(self) -> int:
        return cidr_index(((self.node or {}).get("spec") or {}).get("podCIDR", "")) or 0

    def internal_ip(self) -> str:
        if self.address:
            return self.address
        if self.name == DEFAULT_NODE:
            return DEFAULT_ADDRESS
        return "127.0.1.%d" % max(1, self.cidr_index)

    # -- status -----------------------------------------------------------------------------
    def desired_status(self, current: dict) -> dict:
        if self.capacity:
            capacity = dict(self.capacity)
            capacity.setdefault("pods", str(MAX_PODS))
            allocatable = dict(capacity)
        else:
            capacity, allocatable = measure_capacity(self.home)
        status = dict(current or {})
        status.update({
            "capacity": capacity, "allocatable": allocatable,
            "conditions": conditions((current or {}).get("conditions"), self.under_pressure(),
                                     now_rfc3339()),
            "addresses": [{"type": "InternalIP", "address": self.internal_ip()},
                          {"type": "Hostname", "address": self.name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": node_info(),
        })
        return status

    def under_pressure(self) -> dict:
        return pressure(self.home)

    def post_status(self, force: bool = False) -> bool:
        """Write the Node status when due, when a condition changed, or when forced."""
        from pkubectl.api import errors

        kind = _api_kind("Node")
        for _ in range(3):
            live = self.api.try_get(kind, None, self.name)
            if live is None:
                self.register()
                return True
            status = self.desired_status(live.get("status") or {})
            age = time.time() - _ready_heartbeat(live.get("status") or {})
            if not force and age < self.status_interval and \
                    _condition_key(status) == _condition_key(live.get("status") or {}):
                self.node = live
                return False
            live["status"] = status
            try:
                self.node = self.api.update_status(live)
                return True
            except errors.ApiError as err:
                if err.reason != "Conflict":
                    raise
        return False

    def renew_lease(self, force: bool = False) -> bool:
        """Renew the node's Lease when `heartbeat_interval` has passed (or forced)."""
        from pkubectl.api import errors

        now = time.monotonic()
        if not force and now - self._last_lease < self.heartbeat_interval:
            return False
        kind = _api_kind("Lease")
        for _ in range(3):
            lease = self._lease or self.api.try_get(kind, LEASE_NAMESPACE, self.name)
            if not force and lease is not None and \
                    time.time() - _parse_time((lease.get("spec") or {}).get("renewTime")) < self.heartbeat_interval:
                self._lease, self._last_lease = lease, now  # another agent process renewed it
                return False
            try:
                if lease is None:
                    self._lease = self.api.create(self._new_lease())
                else:
                    lease.setdefault("spec", {})["renewTime"] = micro_time()
                    lease["spec"]["holderIdentity"] = self.name
                    self._lease = self.api.update(lease)
                self._last_lease = now
                return True
            except errors.ApiError as err:
                self._lease = None
                if err.code not in (404, 409):
                    raise
        return False

    def _new_lease(self) -> dict:
        node = self.node or {}
        meta = {"name": self.name, "namespace": LEASE_NAMESPACE}
        if node.get("metadata", {}).get("uid"):
            meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": self.name,
                                        "uid": node["metadata"]["uid"]}]
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta,
                "spec": {"holderIdentity": self.name, "leaseDurationSeconds": LEASE_DURATION,
                         "renewTime": micro_time()}}

    def heartbeat(self) -> int:
        """One heartbeat tick: the Lease when due, the status when due or changed."""
        changes = int(self.renew_lease())
        changes += int(self.post_status())
        return changes


def _parse_time(text) -> float:
    import calendar

    if not text:
        return 0.0
    text = str(text)
    try:
        secs = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return 0.0
    frac = text[19:].rstrip("Z")
    if frac.startswith(".") and frac[1:].isdigit():
        secs += float(frac)
    return secs


def _ready_heartbeat(status: dict) -> float:
    for c in status.get("conditions") or []:
        if c.get("type") == "Ready":
            return _parse_time(c.get("lastHeartbeatTime"))
    return 0.0


def _condition_key(status: dict) -> list:
    return sorted((c.get("type"), c.get("status"), c.get("reason"))
                  for c in status.get("conditions") or [])
