"""kube-scheduler's scheduling cycle, one pass at a time: `run_once(api) -> changes`.

A pass reads nodes and pods once, builds NodeInfo (snapshot.py), then takes each pending
pod in queue order (priority, then age), runs the filter table (filters.py) over every
node, scores the feasible ones (scores.py), and binds the pod to the best — through the
pods/binding write, with a Normal `Scheduled` event. Each bind is added to the NodeInfo
in place, so the next pod of the pass sees it without a re-read.

A pod no node fits stays Pending with PodScheduled=False/Unschedulable and a Warning
`FailedScheduling` event whose message is FitError.Error() of kube-scheduler, reasons
counted and sorted as it does. It is tried again on every later pass; a pass that
reaches the same verdict writes nothing, so converge() can see quiescence. A pass that
finds the store revision unchanged since this process's last pass does not even read.

Writes of a pass share one transaction (Api.batch), which is what lets a pass bind
thousands of pods a second. The pass holds the `scheduler.lock` flock, so a CLI
invocation and the daemon never schedule from the same snapshot twice.
"""
from __future__ import annotations

from collections import Counter

from pkubectl.api import registry
from pkubectl.api.errors import ApiError
from pkubectl.scheduler import equivalence, filters, locking, snapshot

COMPONENT = "default-scheduler"
NO_NODES = "no nodes available to schedule pods"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
LOCK_TIMEOUT = 30.0

# store path -> revision after this process's last pass (nothing changed since: no work)
_quiet: dict = {}


def run_once(api) -> int:
    """One scheduling pass; returns how many pods it bound or newly marked unschedulable."""
    path = api.store.path
    rev = api.store.revision()
    if _quiet.get(path) == rev:
        return 0
    with locking.hold(api.store.home, "scheduler.lock", LOCK_TIMEOUT) as held:
        if not held:
            return 0
        changes = schedule_pass(api)
        _quiet[path] = api.store.revision()
    return changes


def schedule_pass(api) -> int:
    nodes, _ = api.list(registry.by_kind("Node"))
    pods, _ = api.list(registry.by_kind("Pod"))
    infos, pending = snapshot.build(nodes, pods)
    if not pending:
        return 0
    pending.sort(key=_queue_order)
    changes = 0
    classes = equivalence.Classes(infos)
    with api.batch():
        for pod in pending:
            info = snapshot.PodInfo(pod)
            node, message = place(info, classes)
            if node is not None:
                changes += _bind(api, pod, info, node)
            else:
                changes += _report_unschedulable(api, pod, message)
    return changes


def _queue_order(pod: dict):
    """PrioritySort: higher priority first, then the older pod."""
    meta = pod["metadata"]
    return (-((pod.get("spec") or {}).get("priority") or 0), meta.get("creationTimestamp") or "",
            meta.get("namespace") or "", meta["name"])


def place(info: snapshot.PodInfo, classes: equivalence.Classes) -> tuple:
    """(best NodeInfo, None) or (None, FailedScheduling message)."""
    if not classes.nodes:
        return None, NO_NODES
    node, failures = classes.place(info)
    if node is not None:
        return node, None
    return None, fit_error(len(classes.nodes), failures, info.spec)


def fit_error(total: int, statuses: list, spec: dict) -> str:
    """FitError.Error(): `0/N nodes are available: <sorted "count reason">.` plus the
    preemption PostFilter's own verdict in the same form."""
    reasons = Counter(r for _code, rs in statuses for r in rs)
    msg = f"0/{total} nodes are available: " + ", ".join(sorted(f"{n} {r}" for r, n in reasons.items())) + "."
    if spec.get("preemptionPolicy") == "Never":
        return msg + " preemption: not eligible due to preemptionPolicy=Never."
    verdicts = Counter(NOT_HELPFUL if code == filters.UNRESOLVABLE else NO_VICTIMS for code, _ in statuses)
    return msg + f" preemption: 0/{total} nodes are available: " + \
        ", ".join(sorted(f"{n} {v}" for v, n in verdicts.items())) + "."


def _bind(api, pod: dict, info: snapshot.PodInfo, node: snapshot.NodeInfo) -> int:
    try:
        api.bind(pod, node.name)
    except ApiError:
        return 0  # changed, bound or deleted since the snapshot: the next pass sees it
    node.add(info.requests, info.nz_cpu, info.nz_mem, info.ports, info.owner)
    api.record_event(pod, "Normal", "Scheduled",
                     f"Successfully assigned {info.namespace}/{info.name} to {node.name}",
                     component=COMPONENT)
    return 1


def _report_unschedulable(api, pod: dict, message: str) -> int:
    """PodScheduled=False/Unschedulable and a FailedScheduling event, unless the pod
    already says exactly that (then nothing changed and nothing is written)."""
    status = pod.setdefault("status", {})
    conditions = status.setdefault("conditions", [])
    current = next((c for c in conditions if c.get("type") == "PodScheduled"), None)
    if current and current.get("status") == "False" and current.get("reason") == "Unschedulable" \
            and current.get("message") == message:
        return 0
    from pkubectl.api.server import now

    cond = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
            "lastTransitionTime": current.get("lastTransitionTime") if current and current.get("status") == "False"
            else now(),
            "reason": "Unschedulable", "message": message}
    if current is not None:
        conditions[conditions.index(current)] = cond
    else:
        conditions.append(cond)
    try:
        api.update_status(pod)
    except ApiError:
        return 0
    api.record_event(pod, "Warning", "FailedScheduling", message, component=COMPONENT)
    return 1
