"""Deployment controller: ReplicaSets per pod template, rolling or recreating between them.

A port of pkg/controller/deployment (sync.go, rolling.go, recreate.go, progress.go and
util/deployment_util.go), kept in the same shape so the behaviour can be checked against
it line by line:

* the ReplicaSet for the current template is `<deploy>-<pod-template-hash>`, the hash
  being ComputeHash (FNV-32a of the template, plus collisionCount) in the safe alphabet;
  the `pod-template-hash` label goes on its selector, template and so on its pods;
* RollingUpdate: scale the new RS up while the total stays <= replicas + maxSurge,
  scale old ones down while available stays >= replicas - maxUnavailable (surge rounds
  up, unavailable rounds down; both 0 means unavailable 1);
* Recreate: scale old RSs to 0, wait until their pods are gone, then scale the new one;
* a change of spec.replicas alone (or a paused Deployment) scales proportionally;
* revision annotations, revisionHistoryLimit cleanup, progressDeadlineSeconds, and the
  Available / Progressing conditions with Kubernetes' reasons and messages.

Every pass recomputes from the store (level-triggered); a write that loses a race aborts
that Deployment's sync for this pass and the next pass starts over.
"""
from __future__ import annotations

import copy
import functools
import json

from pkubectl.api import errors, registry, selectors
from pkubectl.controllers import common

COMPONENT = "deployment-controller"
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
SKIP_ANNOTATIONS = {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO}
MAX_REV_HISTORY_CHARS = 2000
MAX_INT32 = 2147483647
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

# Condition reasons (deployment_util.go)
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
FAILED_RS_CREATE = "ReplicaSetCreateError"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"


# -- pure helpers (unit-tested) -----------------------------------------------------------
def safe_encode(text: str) -> str:
    """rand.SafeEncodeString: each byte mapped into an alphabet without vowels or look-alikes."""
    return "".join(SAFE_ALPHABET[b % len(SAFE_ALPHABET)] for b in text.encode())


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def compute_hash(template: dict, collision_count: int | None = None) -> str:
    """controller.ComputeHash: FNV-32a over the template (canonical JSON here, where
    Kubernetes hashes a spew dump) and the collision count, decimal, safe-encoded."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += (collision_count & 0xFFFFFFFF).to_bytes(4, "little") + b"\0\0\0\0"
    return safe_encode(str(fnv32a(data)))


def is_rolling(d: dict) -> bool:
    return (d["spec"].get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"


def replicas_of(obj: dict) -> int:
    r = obj.get("spec", {}).get("replicas")
    return 1 if r is None else r


def resolve_fenceposts(max_surge, max_unavailable, desired: int) -> tuple[int, int]:
    """(surge, unavailable): surge rounds up, unavailable down; both 0 -> unavailable 1."""
    surge = common.int_or_percent(max_surge if max_surge is not None else 0, desired, True)
    unavailable = common.int_or_percent(max_unavailable if max_unavailable is not None else 0, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _rolling(d: dict) -> dict:
    return (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}


def max_surge(d: dict) -> int:
    if not is_rolling(d):
        return 0
    r = _rolling(d)
    return resolve_fenceposts(r.get("maxSurge", "25%"), r.get("maxUnavailable", "25%"), replicas_of(d))[0]


def max_unavailable(d: dict) -> int:
    if not is_rolling(d) or replicas_of(d) == 0:
        return 0
    r = _rolling(d)
    unavailable = resolve_fenceposts(r.get("maxSurge", "25%"), r.get("maxUnavailable", "25%"), replicas_of(d))[1]
    return min(unavailable, replicas_of(d))


def strip_hash(template: dict) -> dict:
    t = copy.deepcopy(template or {})
    labels = (t.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
        if not labels:
            t["metadata"].pop("labels")
    return t


def equal_ignore_hash(t1: dict, t2: dict) -> bool:
    return strip_hash(t1) == strip_hash(t2)


def revision_of(obj: dict) -> int:
    try:
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _created(rs: dict) -> tuple:
    return (common.parse_time(rs["metadata"].get("creationTimestamp")) or 0, rs["metadata"]["name"])


def by_creation(rss: list[dict]) -> list[dict]:
    return sorted(rss, key=_created)


def by_revision(rss: list[dict]) -> list[dict]:
    return sorted(rss, key=lambda rs: (revision_of(rs), _created(rs)))


def active(rss: list[dict]) -> list[dict]:
    return [rs for rs in rss if rs is not None and replicas_of(rs) > 0]


def spec_sum(rss) -> int:
    return sum(replicas_of(rs) for rs in rss if rs is not None)


def status_sum(rss, key: str) -> int:
    return sum((rs.get("status") or {}).get(key, 0) for rs in rss if rs is not None)


def new_rs_new_replicas(d: dict, all_rss: list[dict], new_rs: dict) -> int:
    """NewRSNewReplicas: how big the new ReplicaSet may be now."""
    if not is_rolling(d):
        return replicas_of(d)
    want = replicas_of(d)
    surge = common.int_or_percent(_rolling(d).get("maxSurge", "25%"), want, True)
    current = spec_sum(all_rss)
    max_total = want + surge
    if current >= max_total:
        return replicas_of(new_rs)
    return replicas_of(new_rs) + min(max_total - current, want - replicas_of(new_rs))


def find_new_rs(d: dict, rss: list[dict]) -> dict | None:
    for rs in by_creation(rss):
        if equal_ignore_hash(rs["spec"].get("template"), d["spec"].get("template")):
            return rs
    return None


def deployment_complete(d: dict, status: dict) -> bool:
    want = replicas_of(d)
    return (status.get("updatedReplicas", 0) == want and status.get("replicas", 0) == want
            and status.get("availableReplicas", 0) == want
            and status.get("observedGeneration", 0) >= d["metadata"].get("generation", 1))


def deployment_progressing(d: dict, new: dict) -> bool:
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = new.get("replicas", 0) - new.get("updatedReplicas", 0)
    return (new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0) or new_old < old_old
            or new.get("readyReplicas", 0) > old.get("readyReplicas", 0)
            or new.get("availableReplicas", 0) > old.get("availableReplicas", 0))


def has_progress_deadline(d: dict) -> bool:
    p = d["spec"].get("progressDeadlineSeconds")
    return p is not None and p != MAX_INT32


def deployment_timed_out(d: dict, status: dict) -> bool:
    if not has_progress_deadline(d):
        return False
    cond = get_condition(status, "Progressing")
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    since = common.parse_time(cond.get("lastUpdateTime"))
    return since is not None and since + d["spec"]["progressDeadlineSeconds"] < common.now()


# -- conditions -----------------------------------------------------------------------------
def new_condition(type_: str, status: str, reason: str, message: str) -> dict:
    t = common.rfc3339()
    return {"type": type_, "status": status, "lastUpdateTime": t, "lastTransitionTime": t,
            "reason": reason, "message": message}


def get_condition(status: dict, type_: str) -> dict | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == type_), None)


def set_condition(status: dict, cond: dict) -> None:
    """SetDeploymentCondition: same status and reason -> no change; same status ->
    keep lastTransitionTime; the condition moves to the end."""
    cur = get_condition(status, cond["type"])
    if cur is not None and cur.get("status") == cond["status"] and cur.get("reason") == cond["reason"]:
        return
    if cur is not None and cur.get("status") == cond["status"]:
        cond["lastTransitionTime"] = cur.get("lastTransitionTime")
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != cond["type"]] + [cond]


def remove_condition(status: dict, type_: str) -> None:
    conds = [c for c in status.get("conditions") or [] if c.get("type") != type_]
    if conds:
        status["conditions"] = conds
    else:
        status.pop("conditions", None)


# -- the controller -------------------------------------------------------------------------
class _Retry(Exception):
    """A write lost a race; the next pass starts this Deployment over."""


def sync(api) -> int:
    kind = registry.lookup("deployments")
    deploys, _ = api.list(kind, None)
    if not deploys:
        return 0
    rs_by_ns: dict[str, list[dict]] = {}
    for rs in api.list(registry.lookup("replicasets"), None)[0]:
        rs_by_ns.setdefault(rs["metadata"]["namespace"], []).append(rs)
    writes = 0
    for d in deploys:
        s = DeploymentSync(api, d, rs_by_ns.get(d["metadata"]["namespace"], []))
        try:
            s.run()
        except _Retry:
            pass
        except errors.ApiError as e:
            if e.reason not in common.RETRY_LATER:
                raise
        writes += s.writes
    return writes


class DeploymentSync:
    def __init__(self, api, d: dict, ns_rss: list[dict]):
        self.api = api
        self.d = copy.deepcopy(d)
        self.ns_rss = ns_rss
        self.writes = 0
        self._saved = copy.deepcopy(d)

    # -- writes ---------------------------------------------------------------------------
    def _guard(self, fn, *args, **kw):
        out = common.tolerant(fn, *args, **kw)
        if out is None:
            raise _Retry()
        self.writes += 1
        return out

    def save(self) -> None:
        """Persist annotation and status changes of the Deployment (the status
        subresource takes only .status here, so annotations go through an update)."""
        d = self.d
        if (d["metadata"].get("annotations") or {}) != (self._saved["metadata"].get("annotations") or {}):
            out = self._guard(self.api.update, d)
            d["metadata"]["resourceVersion"] = out["metadata"]["resourceVersion"]
        if (d.get("status") or {}) != (self._saved.get("status") or {}):
            out = self._guard(self.api.update_status, d)
            d["metadata"]["resourceVersion"] = out["metadata"]["resourceVersion"]
        self._saved = copy.deepcopy(d)

    def event(self, reason: str, message: str, type_: str = "Normal") -> None:
        self.api.record_event(self.d, type_, reason, message, component=COMPONENT)
        self.writes += 1

    def update_rs(self, rs: dict) -> dict:
        """Update a ReplicaSet in place (every list holding it sees the new version)."""
        out = self._guard(self.api.update, rs)
        rs.clear()
        rs.update(out)
        return rs

    # -- entry ------------------------------------------------------------------------------
    def run(self) -> None:
        d = self.d
        if d["spec"].get("selector") in ({}, {"matchLabels": {}}, {"matchExpressions": []}):
            self.event("SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.",
                       "Warning")
            return
        rs_list = self.claim_replica_sets()
        if common.being_deleted(d):
            return self.sync_status_only(rs_list)
        self.check_paused_conditions()
        if d["spec"].get("paused"):
            return self.sync_scale(rs_list)
        if self.is_scaling_event(rs_list):
            return self.sync_scale(rs_list)
        if is_rolling(d):
            return self.rollout_rolling(rs_list)
        return self.rollout_recreate(rs_list)

    def claim_replica_sets(self) -> list[dict]:
        try:
            sel = selectors.from_label_selector(self.d["spec"].get("selector"))
        except selectors.SelectorError:
            return []
        mine, writes = common.claim(self.api, self.d, sel, self.ns_rss)
        self.writes += writes
        return [copy.deepcopy(rs) for rs in mine]

    # -- sync.go -----------------------------------------------------------------------------
    def get_all_rss_and_sync_revision(self, rs_list, create: bool):
        new_rs = find_new_rs(self.d, rs_list)
        old_rss = [rs for rs in rs_list if new_rs is None or rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        return self.get_new_rs(rs_list, old_rss, create), old_rss

    def get_new_rs(self, rs_list, old_rss, create: bool) -> dict | None:
        d = self.d
        existing = find_new_rs(d, rs_list)
        new_revision = str(max([revision_of(rs) for rs in old_rss] or [0]) + 1)
        if existing is not None:
            changed = set_new_rs_annotations(d, existing, new_revision, exists=True)
            mrs = d["spec"].get("minReadySeconds") or 0
            if changed or (existing["spec"].get("minReadySeconds") or 0) != mrs:
                _set_min_ready(existing, mrs)
                return self.update_rs(existing)
            needs = set_revision(d, (existing["metadata"].get("annotations") or {}).get(REVISION, ""))
            if has_progress_deadline(d) and get_condition(d.get("status") or {}, "Progressing") is None:
                set_condition(d.setdefault("status", {}), new_condition(
                    "Progressing", "True", FOUND_NEW_RS, f'Found new replica set "{existing["metadata"]["name"]}"'))
                needs = True
            if needs:
                self.save()
            return existing
        if not create:
            return None
        template = copy.deepcopy(d["spec"].get("template") or {})
        collisions = (d.get("status") or {}).get("collisionCount")
        hash_ = compute_hash(template, collisions)
        template.setdefault("metadata", {})
        template["metadata"]["labels"] = {**(template["metadata"].get("labels") or {}), HASH_LABEL: hash_}
        selector = copy.deepcopy(d["spec"].get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: hash_}
        new_rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": f'{d["metadata"]["name"]}-{hash_}', "namespace": d["metadata"]["namespace"],
                               "labels": dict(template["metadata"]["labels"]),
                               "ownerReferences": [common.controller_ref_to(d)]},
                  "spec": {"replicas": 0, "selector": selector, "template": template}}
        _set_min_ready(new_rs, d["spec"].get("minReadySeconds") or 0)
        count = new_rs_new_replicas(d, [*old_rss, new_rs], new_rs)
        new_rs["spec"]["replicas"] = count
        set_new_rs_annotations(d, new_rs, new_revision, exists=False)
        already = False
        try:
            created = self.api.create(new_rs)
            self.writes += 1
        except errors.ApiError as e:
            if e.reason == "AlreadyExists":
                live = self.api.try_get(registry.lookup("replicasets"), d["metadata"]["namespace"],
                                        new_rs["metadata"]["name"])
                if live is not None and common.is_controlled_by(live, d) and \
                        equal_ignore_hash(d["spec"].get("template"), live["spec"].get("template")):
                    created, already = live, True
                else:
                    # A hash collision: bump collisionCount, the next pass hashes differently.
                    d.setdefault("status", {})["collisionCount"] = (collisions or 0) + 1
                    self.save()
                    raise _Retry() from None
            elif e.reason == "Forbidden" and "being terminated" in e.message:
                raise _Retry() from None
            else:
                msg = f'Failed to create new replica set "{new_rs["metadata"]["name"]}": {e.message}'
                cur = get_condition(d.get("status") or {}, "Progressing")
                repeated = cur is not None and cur.get("message") == msg
                if has_progress_deadline(d):
                    set_condition(d.setdefault("status", {}), new_condition("Progressing", "False",
                                                                            FAILED_RS_CREATE, msg))
                    self.save()
                if not repeated:  # a persistent failure is reported once, not every pass
                    self.event(FAILED_RS_CREATE, msg, "Warning")
                raise _Retry() from None
        if not already and count > 0:
            self.event("ScalingReplicaSet", f'Scaled up replica set {created["metadata"]["name"]} to {count} from 0')
        needs = set_revision(d, new_revision)
        if not already and has_progress_deadline(d):
            set_condition(d.setdefault("status", {}), new_condition(
                "Progressing", "True", NEW_RS_CREATED, f'Created new replica set "{created["metadata"]["name"]}"'))
            needs = True
        if needs:
            self.save()
        return created

    def scale_and_record(self, rs: dict, new_scale: int) -> bool:
        if replicas_of(rs) == new_scale:
            return False
        return self.scale_rs(rs, new_scale, "up" if replicas_of(rs) < new_scale else "down")

    def scale_rs(self, rs: dict, new_scale: int, operation: str) -> bool:
        d = self.d
        want, most = replicas_of(d), replicas_of(d) + max_surge(d)
        size_changed = replicas_of(rs) != new_scale
        ann = rs["metadata"].get("annotations") or {}
        if not size_changed and ann.get(DESIRED_REPLICAS) == str(want) and ann.get(MAX_REPLICAS) == str(most):
            return False
        old_scale = replicas_of(rs)
        rs["spec"]["replicas"] = new_scale
        set_replicas_annotations(rs, want, most)
        self.update_rs(rs)
        if size_changed:
            self.event("ScalingReplicaSet",
                       f"Scaled {operation} replica set {rs['metadata']['name']} to {new_scale} from {old_scale}")
        return size_changed

    def scale(self, new_rs, old_rss) -> None:
        """Proportional scaling when spec.replicas changes mid-rollout (or while paused)."""
        d = self.d
        want = replicas_of(d)
        latest = find_active_or_latest(new_rs, old_rss)
        if latest is not None:
            if replicas_of(latest) != want:
                self.scale_and_record(latest, want)
            return
        if is_saturated(d, new_rs):
            for old in active(old_rss):
                self.scale_and_record(old, 0)
            return
        if not is_rolling(d):
            return
        all_rss = active([*old_rss, new_rs])
        allowed = want + max_surge(d) if want > 0 else 0
        to_add = allowed - spec_sum(all_rss)
        operation = ""
        if to_add > 0:
            all_rss.sort(key=functools.cmp_to_key(lambda a, b: _by_size(a, b, newer_first=True)))
            operation = "up"
        elif to_add < 0:
            all_rss.sort(key=functools.cmp_to_key(lambda a, b: _by_size(a, b, newer_first=False)))
            operation = "down"
        added = 0
        sizes = {}
        for rs in all_rss:
            if to_add != 0:
                p = get_proportion(rs, d, to_add, added)
                sizes[rs["metadata"]["name"]] = replicas_of(rs) + p
                added += p
            else:
                sizes[rs["metadata"]["name"]] = replicas_of(rs)
        for i, rs in enumerate(all_rss):
            name = rs["metadata"]["name"]
            if i == 0 and to_add != 0:
                sizes[name] = max(0, sizes[name] + to_add - added)
            self.scale_rs(rs, sizes[name], operation)

    def cleanup(self, old_rss) -> None:
        """Keep revisionHistoryLimit old ReplicaSets; delete the oldest empty ones."""
        limit = self.d["spec"].get("revisionHistoryLimit")
        if limit is None or limit == MAX_INT32:
            return
        cleanable = [rs for rs in old_rss if rs is not None and not common.being_deleted(rs)]
        diff = len(cleanable) - limit
        if diff <= 0:
            return
        for rs in by_revision(cleanable)[:diff]:
            st = rs.get("status") or {}
            if st.get("replicas", 0) != 0 or replicas_of(rs) != 0 or \
                    rs["metadata"].get("generation", 1) > st.get("observedGeneration", 0):
                continue
            if common.tolerant(self.api.delete, registry.lookup("replicasets"), rs["metadata"]["namespace"],
                               rs["metadata"]["name"], uid=rs["metadata"]["uid"]) is not None:
                self.writes += 1

    def calculate_status(self, all_rss, new_rs) -> dict:
        d = self.d
        all_rss = [rs for rs in all_rss if rs is not None]
        available = status_sum(all_rss, "availableReplicas")
        status: dict = {}
        values = (("observedGeneration", d["metadata"].get("generation", 1)),
                  ("replicas", status_sum(all_rss, "replicas")),
                  ("updatedReplicas", status_sum([new_rs], "replicas")),
                  ("readyReplicas", status_sum(all_rss, "readyReplicas")),
                  ("availableReplicas", available),
                  ("unavailableReplicas", max(0, spec_sum(all_rss) - available)))
        for key, value in values:
            if value:
                status[key] = value
        old = d.get("status") or {}
        if old.get("collisionCount") is not None:
            status["collisionCount"] = old["collisionCount"]
        if old.get("conditions"):
            status["conditions"] = copy.deepcopy(old["conditions"])
        if available >= replicas_of(d) - max_unavailable(d):
            set_condition(status, new_condition("Available", "True", MIN_AVAILABLE,
                                                "Deployment has minimum availability."))
        else:
            set_condition(status, new_condition("Available", "False", MIN_UNAVAILABLE,
                                                "Deployment does not have minimum availability."))
        return status

    def sync_deployment_status(self, all_rss, new_rs) -> None:
        status = self.calculate_status(all_rss, new_rs)
        if status != (self.d.get("status") or {}):
            self.d["status"] = status
            self.save()

    def sync_status_only(self, rs_list) -> None:
        new_rs, old_rss = self.get_all_rss_and_sync_revision(rs_list, False)
        self.sync_deployment_status([*old_rss, new_rs], new_rs)

    def sync_scale(self, rs_list) -> None:
        new_rs, old_rss = self.get_all_rss_and_sync_revision(rs_list, False)
        self.scale(new_rs, old_rss)
        if self.d["spec"].get("paused"):
            self.cleanup(old_rss)
        self.sync_deployment_status([*old_rss, new_rs], new_rs)

    def is_scaling_event(self, rs_list) -> bool:
        new_rs, old_rss = self.get_all_rss_and_sync_revision(rs_list, False)
        for rs in active([*old_rss, new_rs]):
            desired = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS)
            if desired is None:
                continue
            try:
                if int(desired) != replicas_of(self.d):
                    return True
            except ValueError:
                continue
        return False

    def check_paused_conditions(self) -> None:
        d = self.d
        if not has_progress_deadline(d):
            return
        status = d.setdefault("status", {})
        cond = get_condition(status, "Progressing")
        if cond is not None and cond.get("reason") == TIMED_OUT:
            return
        paused_cond = cond is not None and cond.get("reason") == PAUSED
        if d["spec"].get("paused") and not paused_cond:
            set_condition(status, new_condition("Progressing", "Unknown", PAUSED, "Deployment is paused"))
        elif not d["spec"].get("paused") and paused_cond:
            set_condition(status, new_condition("Progressing", "Unknown", RESUMED, "Deployment is resumed"))
        else:
            return
        self.save()

    # -- progress.go -----------------------------------------------------------------------------
    def sync_rollout_status(self, all_rss, new_rs) -> None:
        d = self.d
        status = self.calculate_status(all_rss, new_rs)
        if not has_progress_deadline(d):
            remove_condition(status, "Progressing")
        cur = get_condition(d.get("status") or {}, "Progressing")
        complete = status.get("replicas", 0) == status.get("updatedReplicas", 0) and cur is not None and \
            cur.get("reason") == NEW_RS_AVAILABLE
        if has_progress_deadline(d) and not complete:
            subject = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs is not None else \
                f'Deployment "{d["metadata"]["name"]}"'
            if deployment_complete(d, status):
                set_condition(status, new_condition("Progressing", "True", NEW_RS_AVAILABLE,
                                                    f"{subject} has successfully progressed."))
            elif deployment_progressing(d, status):
                cond = new_condition("Progressing", "True", RS_UPDATED, f"{subject} is progressing.")
                if cur is not None:
                    if cur.get("status") == "True":
                        cond["lastTransitionTime"] = cur.get("lastTransitionTime")
                    remove_condition(status, "Progressing")
                set_condition(status, cond)
            elif deployment_timed_out(d, status):
                set_condition(status, new_condition("Progressing", "False", TIMED_OUT,
                                                    f"{subject} has timed out progressing."))
        failures = replica_failures([rs for rs in [*all_rss] if rs is not None], new_rs)
        if failures:
            set_condition(status, failures[0])
        else:
            remove_condition(status, "ReplicaFailure")
        if status != (d.get("status") or {}):
            d["status"] = status
            self.save()

    # -- rolling.go ---------------------------------------------------------------------------------
    def rollout_rolling(self, rs_list) -> None:
        new_rs, old_rss = self.get_all_rss_and_sync_revision(rs_list, True)
        all_rss = [*old_rss, new_rs]
        if self.reconcile_new_rs(all_rss, new_rs):
            return self.sync_rollout_status(all_rss, new_rs)
        if self.reconcile_old_rss(all_rss, active(old_rss), new_rs):
            return self.sync_rollout_status(all_rss, new_rs)
        if deployment_complete(self.d, self.d.get("status") or {}):
            self.cleanup(old_rss)
        return self.sync_rollout_status(all_rss, new_rs)

    def reconcile_new_rs(self, all_rss, new_rs) -> bool:
        want = replicas_of(self.d)
        if replicas_of(new_rs) == want:
            return False
        if replicas_of(new_rs) > want:
            return self.scale_and_record(new_rs, want)
        return self.scale_and_record(new_rs, new_rs_new_replicas(self.d, all_rss, new_rs))

    def reconcile_old_rss(self, all_rss, old_rss, new_rs) -> bool:
        if spec_sum(old_rss) == 0:
            return False
        min_available = replicas_of(self.d) - max_unavailable(self.d)
        new_unavailable = replicas_of(new_rs) - (new_rs.get("status") or {}).get("availableReplicas", 0)
        max_scaled_down = spec_sum(all_rss) - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        cleaned = self.cleanup_unhealthy_replicas(old_rss, max_scaled_down)
        scaled = self.scale_down_old_for_rolling([*old_rss, new_rs], old_rss)
        return cleaned + scaled > 0

    def cleanup_unhealthy_replicas(self, old_rss, max_cleanup: int) -> int:
        """Scale down old ReplicaSets' unavailable pods first: they serve nobody."""
        total = 0
        for rs in by_creation(old_rss):
            if total >= max_cleanup:
                break
            want = replicas_of(rs)
            avail = (rs.get("status") or {}).get("availableReplicas", 0)
            if want == 0 or want == avail:
                continue
            down = min(max_cleanup - total, want - avail)
            self.scale_and_record(rs, want - down)
            total += down
        return total

    def scale_down_old_for_rolling(self, all_rss, old_rss) -> int:
        min_available = replicas_of(self.d) - max_unavailable(self.d)
        available = status_sum(all_rss, "availableReplicas")
        if available <= min_available:
            return 0
        total, budget = 0, available - min_available
        for rs in by_creation(old_rss):
            if total >= budget:
                break
            if replicas_of(rs) == 0:
                continue
            down = min(replicas_of(rs), budget - total)
            self.scale_and_record(rs, replicas_of(rs) - down)
            total += down
        return total

    # -- recreate.go ---------------------------------------------------------------------------------
    def rollout_recreate(self, rs_list) -> None:
        new_rs, old_rss = self.get_all_rss_and_sync_revision(rs_list, False)
        all_rss = [*old_rss, new_rs]
        scaled = False
        for rs in active(old_rss):
            scaled = self.scale_and_record(rs, 0) or scaled
        if scaled:
            return self.sync_rollout_status(all_rss, new_rs)
        if self.old_pods_running(new_rs, old_rss, rs_list):
            return self.sync_rollout_status(all_rss, new_rs)
        if new_rs is None:
            new_rs, old_rss = self.get_all_rss_and_sync_revision(rs_list, True)
            all_rss = [*old_rss, new_rs]
        self.scale_and_record(new_rs, replicas_of(self.d))
        if deployment_complete(self.d, self.d.get("status") or {}):
            self.cleanup(old_rss)
        return self.sync_rollout_status(all_rss, new_rs)

    def old_pods_running(self, new_rs, old_rss, rs_list) -> bool:
        """Old ReplicaSets still report pods, or some pod of an old ReplicaSet is not
        finished (terminating pods count: Recreate waits until they are gone)."""
        if status_sum(old_rss, "replicas") > 0:
            return True
        uids = {rs["metadata"]["uid"] for rs in rs_list}
        if new_rs is not None:
            uids.discard(new_rs["metadata"]["uid"])
        if not uids:
            return False
        sel = selectors.from_label_selector(self.d["spec"].get("selector"))
        pods, _ = self.api.list(registry.lookup("pods"), self.d["metadata"]["namespace"], label_selector=sel)
        return any((common.controller_of(p) or {}).get("uid") in uids
                   and p.get("status", {}).get("phase") not in ("Failed", "Succeeded") for p in pods)


# -- more helpers ---------------------------------------------------------------------------------
def _set_min_ready(rs: dict, seconds: int) -> None:
    if seconds:
        rs["spec"]["minReadySeconds"] = seconds
    else:
        rs["spec"].pop("minReadySeconds", None)


def set_revision(d: dict, revision: str) -> bool:
    ann = d["metadata"].setdefault("annotations", {})
    if ann.get(REVISION) == revision:
        return False
    ann[REVISION] = revision
    return True


def set_replicas_annotations(rs: dict, desired: int, most: int) -> bool:
    ann = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(most))):
        if ann.get(key) != value:
            ann[key] = value
            changed = True
    return changed


def set_new_rs_annotations(d: dict, rs: dict, new_revision: str, exists: bool) -> bool:
    """SetNewReplicaSetAnnotations: copy the Deployment's annotations (except the
    controller's own), raise the revision, keep the rolled-over ones in revision-history."""
    ann = rs["metadata"].setdefault("annotations", {})
    changed = False
    for k, v in (d["metadata"].get("annotations") or {}).items():
        if k in SKIP_ANNOTATIONS or ann.get(k) == v:
            continue
        ann[k] = v
        changed = True
    old_revision = ann.get(REVISION)
    try:
        old_int = int(old_revision) if old_revision is not None else 0
    except ValueError:
        return False
    new_int = int(new_revision)
    if old_int < new_int:
        ann[REVISION] = new_revision
        changed = True
        if old_revision is not None:
            history = ann.get(REVISION_HISTORY, "")
            if not history:
                ann[REVISION_HISTORY] = old_revision
            else:
                olds = history.split(",")
                total = len(history) + len(old_revision) + 1
                start = 0
                while total > MAX_REV_HISTORY_CHARS and start < len(olds):
                    total -= len(olds[start]) + 1
                    start += 1
                if total <= MAX_REV_HISTORY_CHARS:
                    ann[REVISION_HISTORY] = ",".join([*olds[start:], old_revision])
    if not exists and set_replicas_annotations(rs, replicas_of(d), replicas_of(d) + max_surge(d)):
        changed = True
    return changed


def find_active_or_latest(new_rs, old_rss) -> dict | None:
    if new_rs is None and not old_rss:
        return None
    olds = sorted(old_rss, key=_created, reverse=True)
    act = active([*olds, new_rs])
    if not act:
        return new_rs if new_rs is not None else olds[0]
    if len(act) == 1:
        return act[0]
    return None


def is_saturated(d: dict, rs: dict | None) -> bool:
    if rs is None:
        return False
    want = replicas_of(d)
    desired = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS)
    return replicas_of(rs) == want and desired == str(want) and \
        (rs.get("status") or {}).get("availableReplicas", 0) == want


def _by_size(a: dict, b: dict, newer_first: bool) -> int:
    ra, rb = replicas_of(a), replicas_of(b)
    if ra != rb:
        return -1 if ra > rb else 1
    ca, cb = _created(a), _created(b)
    if ca == cb:
        return 0
    older_first = -1 if ca < cb else 1
    return -older_first if newer_first else older_first


def get_proportion(rs: dict, d: dict, to_add: int, added: int) -> int:
    if rs is None or replicas_of(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _rs_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _rs_fraction(rs: dict, d: dict) -> int:
    if replicas_of(d) == 0:
        return -replicas_of(rs)
    most = replicas_of(d) + max_surge(d)
    try:
        before = int((rs["metadata"].get("annotations") or {}).get(MAX_REPLICAS, ""))
    except ValueError:
        before = 0
    if not before:
        before = (d.get("status") or {}).get("replicas", 0)
        if not before:
            return 0
    return _go_round(replicas_of(rs) * most / before) - replicas_of(rs)


def _go_round(x: float) -> int:
    """math.Round: half away from zero."""
    import math
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def replica_failures(all_rss, new_rs) -> list[dict]:
    def conv(rs):
        return [{"type": "ReplicaFailure", "status": c.get("status"), "lastUpdateTime": c.get("lastTransitionTime"),
                 "lastTransitionTime": c.get("lastTransitionTime"), "reason": c.get("reason"),
                 "message": c.get("message")}
                for c in (rs.get("status") or {}).get("conditions") or [] if c.get("type") == "ReplicaFailure"]
    if new_rs is not None:
        found = conv(new_rs)
        if found:
            return found
    for rs in all_rss:
        found = conv(rs)
        if found:
            return found
    return []
