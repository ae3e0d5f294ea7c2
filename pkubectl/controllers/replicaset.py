"""ReplicaSet controller: keep spec.replicas active pods matching the selector.

One pass per ReplicaSet, as `syncReplicaSet` in pkg/controller/replicaset does: list the
namespace's active pods, claim them (adopt matching orphans, release owned pods whose
labels no longer match), create or delete the difference, then write the status
computed from what is now there. Pods being deleted or finished do not count.

Surplus pods go in Kubernetes' order (ActivePodsWithRanks): unscheduled before
scheduled, Pending < Unknown < Running, not ready before ready, lower
pod-deletion-cost first, doubled-up (more sibling pods on the node) first, ready for
less time first, more restarts first, newer first.
"""
from __future__ import annotations

import copy
import functools

from pkubectl.api import errors, registry, selectors
from pkubectl.controllers import common

COMPONENT = "replicaset-controller"
BURST_REPLICAS = 500  # Kubernetes creates or deletes at most this many per sync
MAX_GENERATED_PREFIX = 63 - 5  # names.SimpleNameGenerator: room for the random suffix
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def sync(api) -> int:
    rs_kind, pod_kind = registry.lookup("replicasets"), registry.lookup("pods")
    all_rs, _ = api.list(rs_kind, None)
    if not all_rs:
        return 0
    pods_by_ns: dict[str, list[dict]] = {}
    for p in api.list(pod_kind, None)[0]:
        pods_by_ns.setdefault(p["metadata"].get("namespace", ""), []).append(p)
    writes = 0
    for rs in all_rs:
        try:
            writes += sync_one(api, rs, pods_by_ns.get(rs["metadata"]["namespace"], []), all_rs)
        except errors.ApiError as e:
            if e.reason not in common.RETRY_LATER:
                raise
    return writes


def sync_one(api, rs: dict, ns_pods: list[dict], all_rs: list[dict]) -> int:
    writes = 0
    spec = rs.get("spec", {})
    try:
        selector = selectors.from_label_selector(spec.get("selector"))
    except selectors.SelectorError:
        return 0
    active = [p for p in ns_pods if common.pod_active(p)]
    mine, claimed = common.claim(api, rs, selector, active)
    writes += claimed
    failure = None
    if not common.being_deleted(rs):
        want = spec.get("replicas", 1)
        diff = len(mine) - want
        if diff < 0:
            made, failure = _create_pods(api, rs, min(-diff, BURST_REPLICAS))
            mine += made
            writes += len(made) * 2  # the pod and its event
        elif diff > 0:
            related = _related_pods(rs, ns_pods, all_rs)
            for pod in pods_to_delete(mine, related, min(diff, BURST_REPLICAS)):
                gone = common.tolerant(api.delete, registry.lookup("pods"), pod["metadata"]["namespace"],
                                       pod["metadata"]["name"], uid=pod["metadata"]["uid"])
                if gone is not None:
                    mine = [p for p in mine if p["metadata"]["uid"] != pod["metadata"]["uid"]]
                    api.record_event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}",
                                     component=COMPONENT)
                    writes += 2
    status = calculate_status(rs, mine, failure)
    if status != rs.get("status"):
        new = copy.deepcopy(rs)
        new["status"] = status
        if common.tolerant(api.update_status, new) is not None:
            writes += 1
    return writes


def pod_from_template(rs: dict) -> dict:
    """controller.GetPodFromTemplate: labels, annotations and finalizers of the template,
    a controller reference, and a name generated from the owner's."""
    tmpl = rs["spec"].get("template") or {}
    tmeta = tmpl.get("metadata") or {}
    meta = {"generateName": (rs["metadata"]["name"] + "-")[:MAX_GENERATED_PREFIX],
            "namespace": rs["metadata"]["namespace"],
            "ownerReferences": [common.controller_ref_to(rs)]}
    for key in ("labels", "annotations", "finalizers"):
        if tmeta.get(key):
            meta[key] = copy.deepcopy(tmeta[key])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(tmpl.get("spec") or {})}


def _create_pods(api, rs: dict, count: int) -> tuple[list[dict], str | None]:
    made = []
    for _ in range(count):
        try:
            pod = api.create(pod_from_template(rs))
        except errors.ApiError as e:
            if e.reason == "AlreadyExists":
                continue  # a generated name collided: the next pass tries again
            message = f"Error creating: {e.message}"
            prior = next((c for c in (rs.get("status") or {}).get("conditions") or []
                          if c.get("type") == "ReplicaFailure"), None)
            if prior is None or prior.get("message") != message:
                # A failure that persists is reported once (its condition stays): repeating
                # the event every pass would keep converge() from ever becoming quiet.
                api.record_event(rs, "Warning", "FailedCreate", message, component=COMPONENT)
            return made, message
        made.append(pod)
        api.record_event(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}",
                         component=COMPONENT)
    return made, None


def _related_pods(rs: dict, ns_pods: list[dict], all_rs: list[dict]) -> list[dict]:
    """Active pods of this ReplicaSet and of its siblings (same controller): the
    'doubled up on a node' rank counts them all."""
    owner = common.controller_of(rs)
    uids = {rs["metadata"]["uid"]}
    if owner is not None:
        uids |= {o["metadata"]["uid"] for o in all_rs
                 if (common.controller_of(o) or {}).get("uid") == owner.get("uid")}
    return [p for p in ns_pods if common.pod_active(p) and (common.controller_of(p) or {}).get("uid") in uids]


def pods_to_delete(pods: list[dict], related: list[dict], count: int) -> list[dict]:
    """The `count` pods to remove first (getPodsToDelete)."""
    on_node: dict[str, int] = {}
    for p in related:
        node = p.get("spec", {}).get("nodeName", "")
        on_node[node] = on_node.get(node, 0) + 1
    ranked = [(p, on_node.get(p.get("spec", {}).get("nodeName", ""), 0)) for p in pods]
    ranked.sort(key=functools.cmp_to_key(_compare_for_deletion))
    return [p for p, _ in ranked[:count]]


def _cmp(a, b) -> int:
    return (a > b) - (a < b)


def _after_or_zero(t1: float | None, t2: float | None) -> bool:
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def _compare_for_deletion(x: tuple, y: tuple) -> int:
    """ActivePodsWithRanks.Less as a comparison: negative = x goes first."""
    (a, rank_a), (b, rank_b) = x, y
    na, nb = a.get("spec", {}).get("nodeName", ""), b.get("spec", {}).get("nodeName", "")
    if na != nb and (not na or not nb):
        return -1 if not na else 1
    pa = PHASE_ORDINAL.get(a.get("status", {}).get("phase"), -1)
    pb = PHASE_ORDINAL.get(b.get("status", {}).get("phase"), -1)
    if pa != pb:
        return _cmp(pa, pb)
    ra, rb = common.pod_ready(a), common.pod_ready(b)
    if ra != rb:
        return -1 if not ra else 1
    ca, cb = _deletion_cost(a), _deletion_cost(b)
    if ca != cb:
        return _cmp(ca, cb)
    if rank_a != rank_b:
        return -1 if rank_a > rank_b else 1
    if ra and rb:
        ta, tb = common.pod_ready_since(a), common.pod_ready_since(b)
        if ta != tb:
            return -1 if _after_or_zero(ta, tb) else 1
    sa, sb = common.max_restarts(a), common.max_restarts(b)
    if sa != sb:
        return -1 if sa > sb else 1
    ta = common.parse_time(a["metadata"].get("creationTimestamp"))
    tb = common.parse_time(b["metadata"].get("creationTimestamp"))
    if ta != tb:
        return -1 if _after_or_zero(ta, tb) else 1
    return 0


def _deletion_cost(pod: dict) -> int:
    try:
        return int((pod["metadata"].get("annotations") or {}).get(DELETION_COST, 0))
    except (TypeError, ValueError):
        return 0


def calculate_status(rs: dict, pods: list[dict], failure: str | None = None) -> dict:
    """The status `calculateStatus` writes; zero counts are omitted as the API does
    (omitempty), except `replicas`."""
    spec = rs.get("spec", {})
    tmpl_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    min_ready = spec.get("minReadySeconds") or 0
    at = common.now()
    fully = sum(1 for p in pods if all(common.labels_of(p).get(k) == v for k, v in tmpl_labels.items()))
    ready = sum(1 for p in pods if common.pod_ready(p))
    available = sum(1 for p in pods if common.pod_available(p, min_ready, at))
    old = rs.get("status") or {}
    status: dict = {"replicas": len(pods)}
    for key, value in (("fullyLabeledReplicas", fully), ("readyReplicas", ready),
                       ("availableReplicas", available),
                       ("observedGeneration", rs["metadata"].get("generation", 1))):
        if value:
            status[key] = value
    conditions = [c for c in old.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
    prior = next((c for c in old.get("conditions") or [] if c.get("type") == "ReplicaFailure"), None)
    if failure is not None:
        conditions.append(prior if prior and prior.get("message") == failure else
                          {"type": "ReplicaFailure", "status": "True", "lastTransitionTime": common.rfc3339(),
                           "reason": "FailedCreate", "message": failure})
    elif prior is not None and len(pods) < spec.get("replicas", 1):
        conditions.append(prior)  # still short: keep reporting the failure
    if conditions:
        status["conditions"] = conditions
    return status
