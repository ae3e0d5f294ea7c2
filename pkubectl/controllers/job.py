"""Job controller (pkg/controller/job), level-triggered, one pass per Job.

Counting is Kubernetes' finalizer protocol, so a pod that finished and was then deleted
is still counted exactly once: every pod is created with the
`batch.kubernetes.io/job-tracking` finalizer; a finished pod's uid goes into
status.uncountedTerminatedPods (write 1), its finalizer is removed (write 2), and the
uid moves into status.succeeded / status.failed (write 3). A crash between the writes
only delays the count.

What a pass does, in Kubernetes' order:
* count newly finished pods (a deleted pod that never finished counts as failed, as
  podReplacementPolicy TerminatingOrFailed says; podFailurePolicy rules may Ignore it or
  FailJob at once);
* decide whether the Job is done: FailureTarget (BackoffLimitExceeded, DeadlineExceeded,
  PodFailurePolicy) or SuccessCriteriaMet (CompletionsReached); remaining active pods are
  deleted; once no pod is terminating the terminal condition follows (Failed / Complete,
  with the same reason and message), plus completionTime and the event;
* otherwise keep min(parallelism, remaining completions) pods active; new pods after a
  failure wait 10s * 2^(failures-1), capped at 6 min (PKUBE_JOB_BACKOFF_BASE and
  PKUBE_JOB_BACKOFF_MAX change base and cap, for tests); Indexed Jobs create the lowest
  missing indexes, with the completion-index annotation, label, hostname and env var;
* suspend deletes active pods (Suspended condition), resume resets startTime;
* a finished Job with ttlSecondsAfterFinished is deleted that long after it finished (the
  ttl-after-finished controller's job, done here).
"""
from __future__ import annotations

import copy
import os

from pkubectl.api import errors, registry, selectors
from pkubectl.controllers import common

COMPONENT = "job-controller"
TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
INDEX_KEY = "batch.kubernetes.io/job-completion-index"
INDEX_ENV = "JOB_COMPLETION_INDEX"
TERMINAL = ("Succeeded", "Failed")
MAX_GENERATED_PREFIX = 63 - 5
BURST = 500


def backoff_base() -> float:
    return float(os.environ.get("PKUBE_JOB_BACKOFF_BASE", "10"))


def backoff_max() -> float:
    return float(os.environ.get("PKUBE_JOB_BACKOFF_MAX", "360"))


# (condition reason, message, event reason) when a Job fails.
BACKOFF_LIMIT = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE = ("DeadlineExceeded", "Job was active longer than specified deadline")
COMPLETIONS_REACHED = ("CompletionsReached", "Reached expected number of succeeded pods")


# -- pure helpers (unit-tested) -------------------------------------------------------------
def condition(status: dict, type_: str) -> dict | None:
    for c in status.get("conditions") or []:
        if c.get("type") == type_ and c.get("status") == "True":
            return c
    return None


def is_finished(job: dict) -> bool:
    st = job.get("status") or {}
    return condition(st, "Complete") is not None or condition(st, "Failed") is not None


def new_condition(type_: str, reason: str, message: str, at: str, status: str = "True") -> dict:
    return {"type": type_, "status": status, "lastProbeTime": at, "lastTransitionTime": at,
            "reason": reason, "message": message}


def set_condition(status: dict, cond: dict) -> None:
    conds = status.setdefault("conditions", [])
    for i, c in enumerate(conds):
        if c.get("type") == cond["type"]:
            if c.get("status") == cond["status"] and c.get("reason") == cond.get("reason"):
                return
            conds[i] = cond
            return
    conds.append(cond)


def is_pod_failed(pod: dict, job: dict) -> bool:
    """isPodFailed: Failed, or (TerminatingOrFailed) deleted before it succeeded."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Failed":
        return True
    if (job.get("spec") or {}).get("podReplacementPolicy") == "Failed":
        return False
    return common.being_deleted(pod) and phase != "Succeeded"


def finished_at(pod: dict) -> float:
    """When a pod finished: its containers' latest finishedAt, else the deletion time."""
    latest = None
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        t = common.parse_time(((cs.get("state") or {}).get("terminated") or {}).get("finishedAt"))
        if t is not None and (latest is None or t > latest):
            latest = t
    if latest is None:
        latest = common.parse_time(pod["metadata"].get("deletionTimestamp"))
    return latest if latest is not None else common.now()


def backoff_delay(failures: int, base: float | None = None, cap: float | None = None) -> float:
    """The pod failure back-off: base * 2^(failures-1), capped (0 without failures)."""
    if failures <= 0:
        return 0.0
    base = backoff_base() if base is None else base
    cap = backoff_max() if cap is None else cap
    return min(cap, base * (2 ** min(failures - 1, 30)))


def pod_index(pod: dict) -> int | None:
    meta = pod.get("metadata") or {}
    text = (meta.get("annotations") or {}).get(INDEX_KEY, (meta.get("labels") or {}).get(INDEX_KEY))
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def format_indexes(indexes) -> str:
    """{0,1,2,4} -> "0-2,4" (status.completedIndexes)."""
    out, run = [], []
    for i in sorted(set(indexes)):
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [i]
    if run:
        out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ",".join(out)


def parse_indexes(text: str | None) -> set[int]:
    out: set[int] = set()
    for part in filter(None, (text or "").split(",")):
        lo, _, hi = part.partition("-")
        try:
            out.update(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            continue
    return out


def want_active(spec: dict, succeeded: int, active: int) -> int:
    """How many pods should run now (manageJob)."""
    parallelism = spec.get("parallelism", 1)
    if parallelism is None:
        parallelism = 1
    completions = spec.get("completions")
    if completions is None:
        return active if succeeded > 0 else parallelism
    return max(0, min(completions - succeeded, parallelism))


def success_reached(spec: dict, succeeded: int, active: int) -> bool:
    completions = spec.get("completions")
    if completions is None:
        return succeeded > 0 and active == 0
    return succeeded >= completions


def failure_policy_action(job: dict, pod: dict) -> tuple[str, str] | None:
    """podFailurePolicy: (action, message) of the first rule matching a failed pod, or None."""
    policy = (job.get("spec") or {}).get("podFailurePolicy") or {}
    meta = pod["metadata"]
    for i, rule in enumerate(policy.get("rules") or []):
        action = rule.get("action")
        on_codes = rule.get("onExitCodes")
        if on_codes:
            values = set(on_codes.get("values") or [])
            want_in = on_codes.get("operator", "In") == "In"
            for cs in (pod.get("status") or {}).get("containerStatuses") or []:
                if on_codes.get("containerName") and cs.get("name") != on_codes["containerName"]:
                    continue
                term = (cs.get("state") or {}).get("terminated")
                if not term:
                    continue
                code = term.get("exitCode", 0)
                if code == 0 and not want_in:
                    continue
                if (code in values) == want_in:
                    return action, (f"Container {cs.get('name')} for pod {meta.get('namespace')}/{meta['name']} "
                                    f"failed with exit code {code} matching {action} rule at index {i}")
        for pc in rule.get("onPodConditions") or []:
            c = common.pod_condition(pod, pc.get("type", ""))
            if c is not None and c.get("status") == pc.get("status", "True"):
                return action, (f"Pod {meta.get('namespace')}/{meta['name']} has condition {pc.get('type')} "
                                f"matching {action} rule at index {i}")
    return None


# -- the controller -------------------------------------------------------------------------
def sync(api) -> int:
    jobs, _ = api.list(registry.lookup("jobs"), None)
    pods, _ = api.list(registry.lookup("pods"), None)
    live_uids = {j["metadata"]["uid"] for j in jobs}
    writes = _release_orphans(api, pods, live_uids)
    if not jobs:
        return writes
    by_ns: dict[str, list[dict]] = {}
    for p in pods:
        by_ns.setdefault(p["metadata"].get("namespace", ""), []).append(p)
    for job in jobs:
        try:
            writes += sync_one(api, job, by_ns.get(job["metadata"]["namespace"], []))
        except errors.ApiError as e:
            if e.reason not in common.RETRY_LATER:
                raise
    return writes


def _release_orphans(api, pods: list[dict], live_uids: set) -> int:
    """Pods whose Job is gone keep no tracking finalizer (else they could never go)."""
    writes = 0
    for p in pods:
        if TRACKING_FINALIZER not in (p["metadata"].get("finalizers") or []):
            continue
        ref = common.controller_of(p)
        if ref is None or ref.get("kind") != "Job" or ref.get("uid") not in live_uids:
            writes += _drop_finalizer(api, p)
    return writes


def _drop_finalizer(api, pod: dict) -> int:
    new = copy.deepcopy(pod)
    fins = [f for f in new["metadata"].get("finalizers") or [] if f != TRACKING_FINALIZER]
    if fins:
        new["metadata"]["finalizers"] = fins
    else:
        new["metadata"].pop("finalizers", None)
    return int(common.tolerant(api.update, new) is not None)


def sync_one(api, job: dict, ns_pods: list[dict]) -> int:
    spec = job.get("spec") or {}
    try:
        selector = selectors.from_label_selector(spec.get("selector"))
    except selectors.SelectorError:
        return 0
    pods, writes = common.claim(api, job, selector, ns_pods)
    if is_finished(job):
        for p in pods:
            if TRACKING_FINALIZER in (p["metadata"].get("finalizers") or []):
                writes += _drop_finalizer(api, p)
        return writes + _ttl(api, job)
    if common.being_deleted(job):
        return writes
    return writes + Sync(api, job, pods).run()


def _ttl(api, job: dict) -> int:
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    if ttl is None or common.being_deleted(job):
        return 0
    st = job.get("status") or {}
    done = common.parse_time(st.get("completionTime"))
    if done is None:
        c = condition(st, "Failed") or condition(st, "Complete") or {}
        done = common.parse_time(c.get("lastTransitionTime"))
    if done is None or done + ttl > common.now():
        return 0
    gone = common.tolerant(api.delete, registry.lookup("jobs"), job["metadata"]["namespace"],
                           job["metadata"]["name"], propagation="Foreground", uid=job["metadata"]["uid"])
    return int(gone is not None)


class Sync:
    """One pass over one unfinished Job."""

    def __init__(self, api, job: dict, pods: list[dict]):
        self.api, self.job, self.pods = api, job, pods
        self.spec = job.get("spec") or {}
        self.status = copy.deepcopy(job.get("status") or {})
        self.writes = 0
        self.stamp = common.rfc3339()
        self.indexed = self.spec.get("completionMode") == "Indexed"
        self.aborted = False

    # -- writes ---------------------------------------------------------------------------
    def _write_status(self) -> bool:
        if self.status == (self.job.get("status") or {}):
            return True
        new = copy.deepcopy(self.job)
        new["status"] = self.status
        out = common.tolerant(self.api.update_status, new)
        if out is None:
            return False
        self.job = out
        self.status = copy.deepcopy(out.get("status") or {})
        self.writes += 1
        return True

    def event(self, type_: str, reason: str, message: str) -> None:
        self.api.record_event(self.job, type_, reason, message, component=COMPONENT)
        # a persistent failure is reported again each pass (folded into one Event) but is
        # no progress: converge must be able to go quiet
        self.writes += reason != "FailedCreate"

    # -- counting -------------------------------------------------------------------------
    def count_finished(self) -> str | None:
        """The three-step finalizer protocol; returns a FailJob message if a podFailurePolicy
        rule says so. Sets self.aborted when a write lost a race (the next pass redoes it)."""
        unc = self.status.get("uncountedTerminatedPods") or {}
        unc_s, unc_f = list(unc.get("succeeded") or []), list(unc.get("failed") or [])
        fail_job = None
        done_indexes = parse_indexes(self.status.get("completedIndexes"))
        ignored: list[dict] = []
        to_release: list[dict] = []
        for p in self.pods:
            uid = p["metadata"]["uid"]
            if TRACKING_FINALIZER not in (p["metadata"].get("finalizers") or []):
                continue
            if uid in unc_s or uid in unc_f:
                to_release.append(p)
                continue
            phase = (p.get("status") or {}).get("phase")
            if phase == "Succeeded":
                idx = pod_index(p)
                if self.indexed and (idx is None or idx >= (self.spec.get("completions") or 0)
                                     or idx in done_indexes):
                    ignored.append(p)  # an out-of-range or duplicate index does not count
                    continue
                unc_s.append(uid)
                to_release.append(p)
            elif is_pod_failed(p, self.job):
                action = failure_policy_action(self.job, p) if phase == "Failed" else None
                if action and action[0] == "Ignore":
                    ignored.append(p)
                    continue
                if action and action[0] == "FailJob" and fail_job is None:
                    fail_job = action[1]
                unc_f.append(uid)
                to_release.append(p)
        if unc_s or unc_f:
            self.status["uncountedTerminatedPods"] = {k: v for k, v in (("succeeded", unc_s), ("failed", unc_f)) if v}
            if not self._write_status():
                self.aborted = True
                return fail_job
        for p in to_release + ignored:
            if TRACKING_FINALIZER in (p["metadata"].get("finalizers") or []):
                self.writes += _drop_finalizer(self.api, p)
        if unc_s or unc_f:
            by_uid = {p["metadata"]["uid"]: p for p in self.pods}
            if self.indexed:
                for uid in unc_s:
                    idx = pod_index(by_uid.get(uid, {"metadata": {}}))
                    if idx is not None:
                        done_indexes.add(idx)
                self.status["completedIndexes"] = format_indexes(done_indexes)
                self.status["succeeded"] = len(done_indexes)
            else:
                self.status["succeeded"] = self.status.get("succeeded", 0) + len(unc_s)
            self.status["failed"] = self.status.get("failed", 0) + len(unc_f)
            self.status["uncountedTerminatedPods"] = {}
            for key in ("succeeded", "failed"):
                if not self.status.get(key):
                    self.status.pop(key, None)
        return fail_job

    # -- the pass -------------------------------------------------------------------------
    def run(self) -> int:
        fail_job = self.count_finished()
        if self.aborted:
            return self.writes
        active = [p for p in self.pods if common.pod_active(p)]
        terminating = [p for p in self.pods if common.being_deleted(p)
                       and (p.get("status") or {}).get("phase") not in TERMINAL]
        succeeded, failed = self.status.get("succeeded", 0), self.status.get("failed", 0)
        suspended = bool(self.spec.get("suspend"))
        now = common.now()

        if not suspended and not self.status.get("startTime"):
            self.status["startTime"] = self.stamp
        self._suspend_condition(suspended)

        target = condition(self.status, "FailureTarget")
        success = condition(self.status, "SuccessCriteriaMet")
        if target is None and success is None:
            reason = None
            if fail_job:
                reason = ("PodFailurePolicy", fail_job)
            elif failed > self.spec.get("backoffLimit", 6) or self._restarts_exceed(active):
                reason = BACKOFF_LIMIT
            elif self._deadline_passed(now) and not suspended:
                reason = DEADLINE
            if reason is not None:
                target = new_condition("FailureTarget", reason[0], reason[1], self.stamp)
                set_condition(self.status, target)
            elif success_reached(self.spec, succeeded, len(active)):
                success = new_condition("SuccessCriteriaMet", *COMPLETIONS_REACHED, self.stamp)
                set_condition(self.status, success)

        if target is not None or success is not None or suspended:
            deleted = self._delete(active, len(active))
            active = [p for p in active if p["metadata"]["uid"] not in deleted]
            terminating += [p for p in self.pods if p["metadata"]["uid"] in deleted]
        else:
            active = self._manage(active, succeeded)

        self.status["active"] = len(active)
        if not self.status["active"]:
            self.status.pop("active")
        self.status["ready"] = sum(1 for p in active if common.pod_ready(p))
        self.status["terminating"] = len(terminating)
        self.status.setdefault("uncountedTerminatedPods", {})

        finishing = not terminating and not active
        if target is not None and finishing:
            set_condition(self.status, new_condition("Failed", target.get("reason", ""), target.get("message", ""),
                                                     self.stamp))
        elif success is not None and finishing:
            set_condition(self.status, new_condition("Complete", success.get("reason", ""),
                                                     success.get("message", ""), self.stamp))
            self.status["completionTime"] = self.stamp
        was_finished = is_finished(self.job)
        if self._write_status() and not was_finished and is_finished(self.job):
            if condition(self.status, "Complete"):
                self.event("Normal", "Completed", "Job completed")
            else:
                c = condition(self.status, "Failed") or {}
                self.event("Warning", c.get("reason", "Failed"), c.get("message", ""))
        return self.writes

    def _suspend_condition(self, suspended: bool) -> None:
        had = condition(self.status, "Suspended")
        if suspended and had is None:
            set_condition(self.status, new_condition("Suspended", "JobSuspended", "Job suspended", self.stamp))
            self.event("Normal", "Suspended", "Job suspended")
        elif not suspended and had is not None:
            set_condition(self.status, new_condition("Suspended", "JobResumed", "Job resumed", self.stamp, "False"))
            self.status["startTime"] = self.stamp
            self.event("Normal", "Resumed", "Job resumed")

    def _deadline_passed(self, now: float) -> bool:
        ads = self.spec.get("activeDeadlineSeconds")
        start = common.parse_time(self.status.get("startTime"))
        return ads is not None and start is not None and now - start >= ads

    def _restarts_exceed(self, active: list[dict]) -> bool:
        """pastBackoffLimitOnFailure: with restartPolicy OnFailure the container restarts
        of active pods count against backoffLimit."""
        tmpl_spec = (self.spec.get("template") or {}).get("spec") or {}
        if tmpl_spec.get("restartPolicy") != "OnFailure":
            return False
        limit = self.spec.get("backoffLimit", 6)
        total = 0
        for p in active:
            st = p.get("status") or {}
            for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
                total += cs.get("restartCount", 0)
        return limit == 0 and total > 0 or (limit > 0 and total >= limit)

    def _manage(self, active: list[dict], succeeded: int) -> list[dict]:
        want = want_active(self.spec, succeeded, len(active))
        if len(active) > want:
            deleted = self._delete(active, len(active) - want)
            return [p for p in active if p["metadata"]["uid"] not in deleted]
        if len(active) < want:
            if self._backing_off():
                return active
            active = active + self._create(want - len(active), active)
        return active

    def _backing_off(self) -> bool:
        """Failures since the last success hold new pods back (exponential back-off)."""
        last_success = max((finished_at(p) for p in self.pods
                            if (p.get("status") or {}).get("phase") == "Succeeded"), default=0.0)
        failures = [finished_at(p) for p in self.pods if is_pod_failed(p, self.job)
                    and finished_at(p) > last_success]
        if not failures:
            return False
        return max(failures) + backoff_delay(len(failures)) > common.now()

    def _delete(self, pods: list[dict], count: int) -> set[str]:
        """Delete `count` active pods, not-ready and newest first."""
        ranked = sorted(pods, key=lambda p: (common.pod_ready(p), -(common.parse_time(
            p["metadata"].get("creationTimestamp")) or 0)))
        gone = set()
        for p in ranked[:count]:
            out = common.tolerant(self.api.delete, registry.lookup("pods"), p["metadata"]["namespace"],
                                  p["metadata"]["name"], uid=p["metadata"]["uid"])
            if out is not None:
                gone.add(p["metadata"]["uid"])
                self.event("Normal", "SuccessfulDelete", f"Deleted pod: {p['metadata']['name']}")
        return gone

    def _create(self, count: int, active: list[dict]) -> list[dict]:
        indexes: list[int | None] = [None] * min(count, BURST)
        if self.indexed:
            done = parse_indexes(self.status.get("completedIndexes"))
            busy = {pod_index(p) for p in active}
            free = [i for i in range(self.spec.get("completions") or 0) if i not in done and i not in busy]
            indexes = list(free[:min(count, BURST)])
        made = []
        for idx in indexes:
            try:
                pod = self.api.create(pod_from_template(self.job, idx))
            except errors.ApiError as e:
                if e.reason == "AlreadyExists":
                    continue
                self.event("Warning", "FailedCreate", f"Error creating: {e.message}")
                break
            made.append(pod)
            self.writes += 1
            self.event("Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return made


def pod_from_template(job: dict, index: int | None = None) -> dict:
    """The pod a Job runs: the template's labels/annotations, the tracking finalizer, a
    controller reference, a generated name; Indexed Jobs add the completion index
    (annotation, label, hostname `<job>-<index>`, env JOB_COMPLETION_INDEX)."""
    spec = job["spec"]
    tmpl = spec.get("template") or {}
    tmeta = tmpl.get("metadata") or {}
    name = job["metadata"]["name"]
    prefix = f"{name}-" if index is None else f"{name}-{index}-"
    meta: dict = {"generateName": prefix[:MAX_GENERATED_PREFIX], "namespace": job["metadata"]["namespace"],
                  "ownerReferences": [common.controller_ref_to(job)],
                  "finalizers": [*(tmeta.get("finalizers") or []), TRACKING_FINALIZER]}
    for key in ("labels", "annotations"):
        if tmeta.get(key):
            meta[key] = copy.deepcopy(tmeta[key])
    pod_spec = copy.deepcopy(tmpl.get("spec") or {})
    if index is not None:
        meta.setdefault("annotations", {})[INDEX_KEY] = str(index)
        meta.setdefault("labels", {})[INDEX_KEY] = str(index)
        pod_spec.setdefault("hostname", f"{name}-{index}")
        ref = {"name": INDEX_ENV, "valueFrom": {"fieldRef": {
            "fieldPath": f"metadata.annotations['{INDEX_KEY}']"}}}
        for c in (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or []):
            env = c.setdefault("env", [])
            if not any(e.get("name") == INDEX_ENV for e in env):
                env.append(ref)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}
