"""Pod status from container facts, as pure functions (the kubelet's generateAPIPodStatus).

Inputs are the container statuses the pod worker built from the runtime; outputs are the
pod phase (getPhase) and the five conditions kubectl shows, with the kubelet's reasons and
messages. A converged pod yields the same status on every call (transition times are kept
from the previous status), so a sync that changes nothing writes nothing.
"""
from __future__ import annotations

CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


def phase(spec: dict, init_statuses: list, statuses: list) -> str:
    """Pending / Running / Succeeded / Failed, from the container statuses (kubelet getPhase)."""
    policy = spec.get("restartPolicy") or "Always"
    by_name = {s["name"]: s for s in init_statuses}
    pending_init = failed_init = 0
    for c in spec.get("initContainers") or []:
        if c.get("restartPolicy") == "Always":
            continue  # sidecars do not hold initialisation back once started
        s = by_name.get(c.get("name"))
        state = (s or {}).get("state") or {}
        last = (s or {}).get("lastState") or {}
        if s is None or "running" in state:
            pending_init += 1
        elif "terminated" in state:
            if state["terminated"].get("exitCode") != 0:
                failed_init += 1
        elif "waiting" in state:
            if "terminated" in last:
                if last["terminated"].get("exitCode") != 0:
                    failed_init += 1
            else:
                pending_init += 1
        else:
            pending_init += 1
    by_name = {s["name"]: s for s in statuses}
    unknown = running = waiting = stopped = succeeded = 0
    for c in spec.get("containers") or []:
        s = by_name.get(c.get("name"))
        state = (s or {}).get("state") or {}
        if s is None:
            unknown += 1
        elif "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            if state["terminated"].get("exitCode") == 0:
                succeeded += 1
        elif "waiting" in state:
            if "terminated" in ((s.get("lastState") or {})):
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1
    if failed_init and policy == "Never":
        return "Failed"
    if pending_init or failed_init or waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _cond(ctype: str, ok: bool, reason: str = "", message: str = "") -> dict:
    c = {"type": ctype, "status": "True" if ok else "False", "lastProbeTime": None}
    if not ok and reason:
        c["reason"] = reason
        if message:
            c["message"] = message
    return c


def conditions(spec: dict, init_statuses: list, statuses: list, pod_phase: str,
               sandbox_ready: bool) -> list:
    """PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled."""
    init_specs = [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") != "Always"]
    by_init = {s["name"]: s for s in init_statuses}
    incomplete = [c["name"] for c in init_specs
                  if ((by_init.get(c["name"]) or {}).get("state") or {}).get("terminated", {}).get("exitCode") != 0]
    unready = [s["name"] for s in statuses if not s.get("ready")]
    known = {s["name"] for s in statuses}
    unready += [c["name"] for c in spec.get("containers") or [] if c["name"] not in known]
    out = [_cond("PodReadyToStartContainers", sandbox_ready)]
    if pod_phase in ("Succeeded", "Failed"):
        out.append(_cond("Initialized", not incomplete or pod_phase == "Succeeded", "PodCompleted"))
        out.append(_cond("Ready", False, "PodCompleted"))
        out.append(_cond("ContainersReady", False, "PodCompleted"))
    else:
        out.append(_cond("Initialized", not incomplete, "ContainersNotInitialized",
                         "containers with incomplete status: [%s]" % " ".join(incomplete)))
        msg = "containers with unready status: [%s]" % " ".join(unready)
        out.append(_cond("Ready", not unready, "ContainersNotReady", msg))
        out.append(_cond("ContainersReady", not unready, "ContainersNotReady", msg))
    out.append(_cond("PodScheduled", True))
    return out


def merge_conditions(previous: list, computed: list, now: str) -> list:
    """Our conditions with lastTransitionTime kept while the status holds; others' kept."""
    before = {c.get("type"): c for c in previous or []}
    ours = {c["type"] for c in computed}
    out = []
    for c in computed:
        prev = before.get(c["type"]) or {}
        if c["type"] == "PodScheduled" and prev.get("status") == "True":
            out.append(prev)  # the scheduler's (or an earlier sync's) record stands
            continue
        c["lastTransitionTime"] = prev.get("lastTransitionTime") if prev.get("status") == c["status"] \
            and prev.get("lastTransitionTime") else now
        out.append(c)
    out += [c for c in previous or [] if c.get("type") not in ours]
    return out
