"""What every controller shares: owner references, claiming (adopt / release),
pod readiness and availability, and tolerant writes.

Kubernetes' controllers find "their" objects in two ways at once: by label selector
(what should be mine) and by the controller ownerReference (what is mine). Claiming
reconciles the two, as `controller.ControllerRefManager` does: a matching orphan is
adopted, an owned object whose labels no longer match is released, an object some
other controller owns is left alone.
"""
from __future__ import annotations

import time

from pkubectl.api import errors, registry

# Writes that fail with these are retried on the next pass (level-triggered).
RETRY_LATER = ("Conflict", "NotFound", "AlreadyExists")


def now() -> float:
    return time.time()


def parse_time(ts: str | None) -> float | None:
    if not ts:
        return None
    from pkubectl.printers.age import parse_rfc3339
    return parse_rfc3339(ts)


def rfc3339(ts: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if ts is None else ts))


def kind_named(name: str) -> registry.Kind:
    return registry.lookup(name)


# -- owner references -----------------------------------------------------------------
def controller_ref_to(owner: dict) -> dict:
    """metav1.NewControllerRef: controller and blockOwnerDeletion both true."""
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def controller_of(obj: dict) -> dict | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def is_controlled_by(obj: dict, owner: dict) -> bool:
    ref = controller_of(obj)
    return ref is not None and ref.get("uid") == owner["metadata"]["uid"]


def being_deleted(obj: dict) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


def labels_of(obj: dict) -> dict:
    return obj.get("metadata", {}).get("labels") or {}


def claim(api, owner: dict, selector, candidates: list[dict]) -> tuple[list[dict], int]:
    """ClaimObjects: returns (objects this owner controls after claiming, writes made).

    Adoption only happens while the owner is not being deleted (Kubernetes re-reads
    the owner before adopting for the same reason)."""
    mine, writes = [], 0
    for obj in candidates:
        ref = controller_of(obj)
        matches = selector.matches(labels_of(obj))
        if ref is not None:
            if ref.get("uid") != owner["metadata"]["uid"]:
                continue  # someone else's
            if matches:
                mine.append(obj)
                continue
            if being_deleted(obj):
                continue
            released = _set_refs(api, obj, [r for r in obj["metadata"]["ownerReferences"]
                                            if r.get("uid") != owner["metadata"]["uid"]])
            writes += released is not None
            continue
        if not matches or being_deleted(obj) or being_deleted(owner):
            continue
        adopted = _set_refs(api, obj, [*(obj["metadata"].get("ownerReferences") or []), controller_ref_to(owner)])
        if adopted is not None:
            mine.append(adopted)
            writes += 1
    return mine, writes


def _set_refs(api, obj: dict, refs: list[dict]) -> dict | None:
    import copy
    new = copy.deepcopy(obj)
    if refs:
        new["metadata"]["ownerReferences"] = refs
    else:
        new["metadata"].pop("ownerReferences", None)
    return tolerant(api.update, new)


def tolerant(fn, *args, **kwargs):
    """Run one write; None when it lost a race (Conflict, NotFound, AlreadyExists):
    the next pass sees the new state and tries again."""
    try:
        return fn(*args, **kwargs)
    except errors.ApiError as e:
        if e.reason in RETRY_LATER or e.code in (404, 409):
            return None
        raise


# -- pods -------------------------------------------------------------------------------
def pod_condition(pod: dict, type_: str) -> dict | None:
    for c in pod.get("status", {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def pod_ready(pod: dict) -> bool:
    c = pod_condition(pod, "Ready")
    return c is not None and c.get("status") == "True"


def pod_ready_since(pod: dict) -> float | None:
    c = pod_condition(pod, "Ready")
    if c is None or c.get("status") != "True":
        return None
    return parse_time(c.get("lastTransitionTime"))


def pod_available(pod: dict, min_ready_seconds: int, at: float | None = None) -> bool:
    """podutil.IsPodAvailable: ready, and ready for at least minReadySeconds."""
    if not pod_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    since = pod_ready_since(pod)
    if since is None:
        return False
    return since + min_ready_seconds <= (at if at is not None else now())


def pod_active(pod: dict) -> bool:
    """controller.IsPodActive: not finished and not being deleted."""
    return pod.get("status", {}).get("phase") not in ("Succeeded", "Failed") and not being_deleted(pod)


def max_restarts(pod: dict) -> int:
    return max([c.get("restartCount", 0) for c in pod.get("status", {}).get("containerStatuses") or []] or [0])


def int_or_percent(value, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: "25%" of total, rounded up or down."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"invalid value for IntOrString: {value!r}")
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%"):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"invalid value for IntOrString: invalid type: string is not a percentage") from None
    pct = int(text[:-1])
    scaled = pct * total
    return -(-scaled // 100) if round_up else scaled // 100
