"""Pod garbage collector (pkg/controller/podgc): pods no kubelet will ever finish.

* A pod being deleted on a node that is not Ready (its kubelet is gone, so nobody stops
  the containers and confirms) is force-deleted once its grace period is over — the
  deletionTimestamp is that deadline. Without this, pods evicted from a dead node would
  stay Terminating forever.
* A pod bound to a Node that no longer exists is deleted (gcOrphaned), after a short
  quarantine so a node that is just registering is not mistaken for a missing one.
* Finished pods (Succeeded/Failed) beyond PKUBE_TERMINATED_POD_GC_THRESHOLD (default
  12500, the controller-manager's --terminated-pod-gc-threshold) go oldest first.
"""
from __future__ import annotations

import os

from pkubectl.api import errors, registry
from pkubectl.controllers import common

ORPHAN_QUARANTINE = 40.0  # seconds a missing node must stay missing


def threshold() -> int:
    return int(os.environ.get("PKUBE_TERMINATED_POD_GC_THRESHOLD", "12500"))


def node_ready(node: dict | None) -> bool:
    for c in ((node or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def sync(api) -> int:
    pods, _ = api.list(registry.lookup("pods"), None)
    if not pods:
        return 0
    nodes = {n["metadata"]["name"]: n for n in api.list(registry.lookup("nodes"), None)[0]}
    now = common.now()
    pod_kind = registry.lookup("pods")
    writes = 0

    def force(p: dict) -> int:
        meta = p["metadata"]
        try:
            api.delete(pod_kind, meta.get("namespace"), meta["name"], grace=0, uid=meta["uid"])
            return 1
        except errors.ApiError as e:
            if e.reason in common.RETRY_LATER or e.code in (404, 409):
                return 0
            raise

    for p in pods:
        node_name = (p.get("spec") or {}).get("nodeName")
        if not node_name:
            continue
        node = nodes.get(node_name)
        if node is None:
            created = common.parse_time(p["metadata"].get("creationTimestamp")) or now
            if now - created > ORPHAN_QUARANTINE and not (p["metadata"].get("finalizers")
                                                           and common.being_deleted(p)):
                writes += force(p)
            continue
        deadline = common.parse_time(p["metadata"].get("deletionTimestamp"))
        if deadline is not None and deadline <= now and not node_ready(node) \
                and not p["metadata"].get("finalizers"):
            writes += force(p)
    finished = [p for p in pods if (p.get("status") or {}).get("phase") in ("Succeeded", "Failed")
                and not common.being_deleted(p)]
    excess = len(finished) - threshold()
    if excess > 0:
        finished.sort(key=lambda p: common.parse_time(p["metadata"].get("creationTimestamp")) or 0)
        for p in finished[:excess]:
            writes += force(p)
    return writes
