"""Node lifecycle controller and NoExecute taint manager (pkg/controller/nodelifecycle,
pkg/controller/tainteviction).

Node health: a node's kubelet renews its Lease (kube-node-lease/<node>) and posts Ready.
When neither the Lease nor the Ready heartbeat moved for PKUBE_NODE_MONITOR_GRACE
seconds (default 40, the controller's --node-monitor-grace-period), every node condition
becomes Unknown with reason NodeStatusUnknown, "Kubelet stopped posting node status.",
the node's pods are marked not Ready, and an event says so. The kubelet posting again
puts Ready back; nothing here has to undo it.

Like Kubernetes after a controller-manager restart, a controller that was not running
(no pass for a few seconds: per-invocation mode between two commands, or the daemon
just started) first gives every node a fresh grace period from the moment it resumed:
it has not been watching, so silence it did not observe is no evidence.

Taints follow the conditions (TaintNodesByCondition + the NoExecute tainting pass):
Ready=False -> node.kubernetes.io/not-ready, Ready=Unknown -> node.kubernetes.io/unreachable
(each NoSchedule and NoExecute), pressure conditions -> their NoSchedule taints,
spec.unschedulable (cordon) -> node.kubernetes.io/unschedulable:NoSchedule. Taints this
controller does not manage are never touched.

Taint manager: a pod bound to a node with NoExecute taints it does not tolerate is
deleted at once; one that tolerates them all with tolerationSeconds is deleted when the
smallest of those has passed since the taint's timeAdded (the API server adds 300 s
tolerations for not-ready/unreachable to every pod; PKUBE_POD_EVICTION_TIMEOUT changes
that default in pkubectl.api.defaults). Event: TaintManagerEviction
"Marking for deletion Pod <ns>/<name>", and the DisruptionTarget pod condition.
"""
from __future__ import annotations

import copy
import json
import os

from pkubectl.api import errors, nodematch, registry
from pkubectl.controllers import common

COMPONENT = "node-controller"
TAINT_COMPONENT = "taint-eviction-controller"
LEASE_NAMESPACE = "kube-node-lease"
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
NODE_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
STATUS_UNKNOWN_REASON = "NodeStatusUnknown"
STATUS_UNKNOWN_MESSAGE = "Kubelet stopped posting node status."
RESUME_GAP = 5.0  # seconds without a pass after which the controller counts as restarted
STATE_FILE = "nodelifecycle.json"


def monitor_grace() -> float:
    return float(os.environ.get("PKUBE_NODE_MONITOR_GRACE", "40"))


# (predicate over (node spec, {condition type: status}), taint key, effect); the table of
# TaintNodesByCondition and the NoExecute pass.
TAINT_RULES = (
    (lambda spec, c: c.get("Ready") == "False", NOT_READY, "NoSchedule"),
    (lambda spec, c: c.get("Ready") == "False", NOT_READY, "NoExecute"),
    (lambda spec, c: c.get("Ready") == "Unknown", UNREACHABLE, "NoSchedule"),
    (lambda spec, c: c.get("Ready") == "Unknown", UNREACHABLE, "NoExecute"),
    (lambda spec, c: c.get("MemoryPressure") == "True", "node.kubernetes.io/memory-pressure", "NoSchedule"),
    (lambda spec, c: c.get("DiskPressure") == "True", "node.kubernetes.io/disk-pressure", "NoSchedule"),
    (lambda spec, c: c.get("PIDPressure") == "True", "node.kubernetes.io/pid-pressure", "NoSchedule"),
    (lambda spec, c: c.get("NetworkUnavailable") == "True", "node.kubernetes.io/network-unavailable",
     "NoSchedule"),
    (lambda spec, c: bool(spec.get("unschedulable")), UNSCHEDULABLE, "NoSchedule"),
)
MANAGED = {(key, effect) for _, key, effect in TAINT_RULES}


# -- pure helpers (unit-tested) -------------------------------------------------------------
def condition_statuses(node: dict) -> dict:
    return {c.get("type"): c.get("status") for c in (node.get("status") or {}).get("conditions") or []}


def desired_taints(node: dict, stamp: str) -> list[dict]:
    """The node's taints after this controller's pass: unmanaged taints as they are,
    managed ones present exactly when their rule holds (an existing one keeps its
    timeAdded)."""
    spec = node.get("spec") or {}
    conds = condition_statuses(node)
    current = [t for t in spec.get("taints") or [] if isinstance(t, dict)]
    out = [t for t in current if (t.get("key"), t.get("effect")) not in MANAGED]
    for rule, key, effect in TAINT_RULES:
        if not rule(spec, conds):
            continue
        existing = next((t for t in current if t.get("key") == key and t.get("effect") == effect), None)
        if existing is not None:
            out.append(existing)
            continue
        taint = {"key": key, "effect": effect}
        if effect == "NoExecute" or key == UNSCHEDULABLE:
            taint["timeAdded"] = stamp
        out.append(taint)
    return out


def last_heard(node: dict, lease: dict | None) -> float:
    """The latest sign of life: the Lease's renewTime or the Ready heartbeat (else the
    node's creation)."""
    times = [common.parse_time(((lease or {}).get("spec") or {}).get("renewTime"))]
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            times.append(common.parse_time(c.get("lastHeartbeatTime")))
    times = [t for t in times if t is not None]
    if not times:  # never heard from: count from registration
        times = [common.parse_time(node["metadata"].get("creationTimestamp")) or 0.0]
    return max(times)


def unknown_conditions(node: dict, stamp: str) -> list[dict]:
    """tryUpdateNodeHealth: every kubelet condition becomes Unknown (heartbeat kept)."""
    out = []
    seen = set()
    for c in (node.get("status") or {}).get("conditions") or []:
        c = dict(c)
        if c.get("type") in NODE_CONDITIONS:
            seen.add(c["type"])
            if c.get("status") != "Unknown":
                c.update(status="Unknown", reason=STATUS_UNKNOWN_REASON, message=STATUS_UNKNOWN_MESSAGE,
                         lastTransitionTime=stamp)
        out.append(c)
    for t in NODE_CONDITIONS:
        if t not in seen:
            out.append({"type": t, "status": "Unknown", "lastHeartbeatTime": stamp, "lastTransitionTime": stamp,
                        "reason": "NodeStatusNeverUpdated", "message": "Kubelet never posted node status."})
    return out


def eviction_time(pod: dict, taints: list[dict]) -> float | None:
    """When the taint manager deletes this pod: None = never (no NoExecute taint, or all
    tolerated forever), 0.0 = now (a taint it does not tolerate), else an epoch time."""
    no_execute = [t for t in taints if t.get("effect") == "NoExecute"]
    if not no_execute:
        return None
    tolerations = [t for t in (pod.get("spec") or {}).get("tolerations") or [] if isinstance(t, dict)]
    when = None
    for taint in no_execute:
        matching = [t for t in tolerations if nodematch.tolerates(t, taint)]
        if not matching:
            return 0.0
        limits = [t["tolerationSeconds"] for t in matching if t.get("tolerationSeconds") is not None]
        if not limits:
            continue  # tolerated forever
        seconds = max(0, min(limits))
        added = common.parse_time(taint.get("timeAdded")) or common.now()
        at = added + seconds
        when = at if when is None else min(when, at)
    return when


# -- the controller -------------------------------------------------------------------------
def _resumed_at(home: str, now: float) -> float:
    """When this controller (last) started watching: a gap of more than RESUME_GAP since
    the previous pass is a restart."""
    d = os.path.join(home, "controllers")
    path = os.path.join(d, STATE_FILE)
    try:
        with open(path) as f:
            state = json.load(f)
    except (OSError, ValueError):
        state = {}
    last, resumed = float(state.get("last_pass", 0)), float(state.get("resumed", 0))
    if now - last > RESUME_GAP:
        resumed = now
    if now - last > 1.0 or resumed != state.get("resumed"):
        try:
            os.makedirs(d, mode=0o700, exist_ok=True)
            tmp = f"{path}.{os.getpid()}"
            with open(tmp, "w") as f:
                json.dump({"last_pass": now, "resumed": resumed}, f)
            os.replace(tmp, path)
        except OSError:
            pass
    return resumed


def sync(api) -> int:
    nodes, _ = api.list(registry.lookup("nodes"), None)
    if not nodes:
        return 0
    now = common.now()
    stamp = common.rfc3339(now)
    resumed = _resumed_at(api.store.home, now)
    leases = {l["metadata"]["name"]: l for l in api.list(registry.lookup("leases"), LEASE_NAMESPACE)[0]}
    pods, _ = api.list(registry.lookup("pods"), None)
    by_node: dict[str, list[dict]] = {}
    for p in pods:
        n = (p.get("spec") or {}).get("nodeName")
        if n:
            by_node.setdefault(n, []).append(p)
    writes = 0
    grace = monitor_grace()
    for node in nodes:
        name = node["metadata"]["name"]
        try:
            heard = max(last_heard(node, leases.get(name)), resumed)
            if now - heard > grace and condition_statuses(node).get("Ready") != "Unknown":
                node, w = _mark_unknown(api, node, by_node.get(name, []), stamp)
                writes += w
            node, w = _taint(api, node, stamp)
            writes += w
            writes += _evict(api, node, by_node.get(name, []), now)
        except errors.ApiError as e:
            if e.reason not in common.RETRY_LATER:
                raise
    return writes


def _mark_unknown(api, node: dict, pods: list[dict], stamp: str) -> tuple[dict, int]:
    new = copy.deepcopy(node)
    new.setdefault("status", {})["conditions"] = unknown_conditions(node, stamp)
    out = common.tolerant(api.update_status, new)
    if out is None:
        return node, 0
    name = node["metadata"]["name"]
    api.record_event(out, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady",
                     component=COMPONENT)
    writes = 2
    for p in pods:  # MarkPodsNotReady
        if not common.pod_ready(p) or common.being_deleted(p):
            continue
        np = copy.deepcopy(p)
        for c in np["status"]["conditions"]:
            if c.get("type") == "Ready":
                c.update(status="False", lastTransitionTime=stamp)
        if common.tolerant(api.update_status, np) is not None:
            writes += 1
            api.record_event(p, "Warning", "NodeNotReady", "Node is not ready", component=COMPONENT)
    return out, writes


def _taint(api, node: dict, stamp: str) -> tuple[dict, int]:
    want = desired_taints(node, stamp)
    have = [t for t in (node.get("spec") or {}).get("taints") or [] if isinstance(t, dict)]
    if want == have:
        return node, 0
    new = copy.deepcopy(node)
    if want:
        new.setdefault("spec", {})["taints"] = want
    else:
        new.setdefault("spec", {}).pop("taints", None)
    out = common.tolerant(api.update, new)
    return (out, 1) if out is not None else (node, 0)


def _evict(api, node: dict, pods: list[dict], now: float) -> int:
    taints = [t for t in (node.get("spec") or {}).get("taints") or [] if isinstance(t, dict)]
    if not any(t.get("effect") == "NoExecute" for t in taints):
        return 0
    writes = 0
    for p in pods:
        if common.being_deleted(p):
            continue
        when = eviction_time(p, taints)
        if when is None or when > now:
            continue
        meta = p["metadata"]
        np = copy.deepcopy(p)
        conds = [c for c in np.setdefault("status", {}).get("conditions") or [] if c.get("type") != "DisruptionTarget"]
        conds.append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                      "lastTransitionTime": common.rfc3339(now), "reason": "DeletionByTaintManager",
                      "message": "Taint manager: deleting due to NoExecute taint"})
        np["status"]["conditions"] = conds
        common.tolerant(api.update_status, np)
        gone = common.tolerant(api.delete, registry.lookup("pods"), meta.get("namespace"), meta["name"],
                               uid=meta["uid"])
        if gone is not None:
            api.record_event(p, "Normal", "TaintManagerEviction",
                             f"Marking for deletion Pod {meta.get('namespace')}/{meta['name']}",
                             component=TAINT_COMPONENT)
            writes += 2
    return writes
