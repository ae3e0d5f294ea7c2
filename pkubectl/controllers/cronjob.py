"""CronJob controller (pkg/controller/cronjob, the v2 controller), one pass per CronJob.

It only acts when time passes, so it works the same from the daemon (every half second)
and from per-invocation passes (whenever a command runs): the schedule is evaluated from
status.lastScheduleTime (else the creation time) to now, and only the most recent missed
run is started, as Kubernetes does. More than 100 missed runs give the
TooManyMissedTimes warning; a run older than startingDeadlineSeconds is skipped with
MissSchedule.

A pass: reconcile status.active with the Jobs this CronJob controls (finished ones leave
the list with SawCompletedJob and set lastSuccessfulTime; vanished ones give MissingJob),
delete finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit (oldest
first), then, unless suspended, start the due run: named `<cronjob>-<minutes since epoch>`,
annotated with batch.kubernetes.io/cronjob-scheduled-timestamp, honouring
concurrencyPolicy (Forbid skips with JobAlreadyActive, Replace deletes the running Jobs).
"""
from __future__ import annotations

import copy
import time

from pkubectl.api import cron, errors, registry
from pkubectl.controllers import common

COMPONENT = "cronjob-controller"
SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
MANUAL_ANNOTATION = "cronjob.kubernetes.io/instantiate"
TOO_MANY_MISSED = 100


def job_name(cronjob: dict, scheduled: float) -> str:
    """getJobName: the scheduled time in minutes since the epoch."""
    return f"{cronjob['metadata']['name']}-{int(scheduled) // 60}"


def rfc3339_in(ts: float, tz) -> str:
    """A Go time.RFC3339 string in the schedule's zone (Z for UTC, else the offset)."""
    import datetime as dt
    t = dt.datetime.fromtimestamp(ts, tz or dt.timezone.utc)
    if t.utcoffset() == dt.timedelta(0):
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = t.strftime("%Y-%m-%dT%H:%M:%S%z")
    return text[:-2] + ":" + text[-2:]


def rfc1123z(ts: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(ts))


def job_from_template(cronjob: dict, scheduled: float, tz=None) -> dict:
    """getJobFromTemplate2: the job template's labels/annotations, the scheduled-time
    annotation, a controller reference, the deterministic name."""
    jt = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    jmeta = jt.get("metadata") or {}
    meta: dict = {"name": job_name(cronjob, scheduled), "namespace": cronjob["metadata"].get("namespace"),
                  "ownerReferences": [common.controller_ref_to(cronjob)]}
    if jmeta.get("labels"):
        meta["labels"] = copy.deepcopy(jmeta["labels"])
    meta["annotations"] = {**(jmeta.get("annotations") or {}), SCHEDULED_ANNOTATION: rfc3339_in(scheduled, tz)}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": copy.deepcopy(jt.get("spec") or {})}


def job_from_cronjob(cronjob: dict, name: str) -> dict:
    """What `kubectl create job NAME --from=cronjob/x` creates: the job template with the
    `cronjob.kubernetes.io/instantiate: manual` annotation and a controller reference
    (so the CronJob's history limits and `status.active` cover it)."""
    jt = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    jmeta = jt.get("metadata") or {}
    meta: dict = {"name": name,
                  "annotations": {MANUAL_ANNOTATION: "manual", **(jmeta.get("annotations") or {})},
                  "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                                       "name": cronjob["metadata"]["name"],
                                       "uid": cronjob["metadata"].get("uid", ""), "controller": True}]}
    if cronjob["metadata"].get("namespace"):
        meta["namespace"] = cronjob["metadata"]["namespace"]
    if jmeta.get("labels"):
        meta["labels"] = copy.deepcopy(jmeta["labels"])
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": copy.deepcopy(jt.get("spec") or {})}


def job_finished(job: dict) -> str | None:
    """"Complete" / "Failed" when the Job has that condition True, else None."""
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c["type"]
    return None


def next_run(cronjob: dict, schedule: cron.Schedule, now: float) -> tuple[float | None, int]:
    """mostRecentScheduleTime with the starting deadline: (due run or None, missed count)."""
    spec, st = cronjob.get("spec") or {}, cronjob.get("status") or {}
    earliest = common.parse_time(st.get("lastScheduleTime")) or \
        common.parse_time(cronjob["metadata"].get("creationTimestamp")) or now
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None:
        earliest = max(earliest, now - deadline)
    return schedule.most_recent(earliest, now)


def _ref(job: dict) -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "name": job["metadata"]["name"],
            "namespace": job["metadata"]["namespace"], "uid": job["metadata"]["uid"],
            "resourceVersion": job["metadata"].get("resourceVersion", "")}


def sync(api) -> int:
    cronjobs, _ = api.list(registry.lookup("cronjobs"), None)
    if not cronjobs:
        return 0
    jobs, _ = api.list(registry.lookup("jobs"), None)
    owned: dict[str, list[dict]] = {}
    for j in jobs:
        ref = common.controller_of(j)
        if ref is not None and ref.get("kind") == "CronJob":
            owned.setdefault(ref.get("uid"), []).append(j)
    writes = 0
    for cj in cronjobs:
        try:
            writes += sync_one(api, cj, owned.get(cj["metadata"]["uid"], []))
        except errors.ApiError as e:
            if e.reason not in common.RETRY_LATER:
                raise
    return writes


def sync_one(api, cj: dict, jobs: list[dict], now: float | None = None) -> int:
    now = common.now() if now is None else now
    writes = 0
    status = copy.deepcopy(cj.get("status") or {})
    event = _Events(api, cj)
    by_uid = {j["metadata"]["uid"]: j for j in jobs}
    active = list(status.get("active") or [])
    active_uids = {r.get("uid") for r in active}
    # 1. status.active follows the Jobs.
    for j in jobs:
        done = job_finished(j)
        uid = j["metadata"]["uid"]
        if done is None and uid not in active_uids and not common.being_deleted(j):
            active.append(_ref(j))
            active_uids.add(uid)
        elif done is not None and uid in active_uids:
            active = [r for r in active if r.get("uid") != uid]
            active_uids.discard(uid)
            event("Normal", "SawCompletedJob", f"Saw completed job: {j['metadata']['name']}, condition: {done}")
        if done == "Complete":
            finished = common.parse_time((j.get("status") or {}).get("completionTime"))
            last = common.parse_time(status.get("lastSuccessfulTime"))
            if finished is not None and (last is None or finished > last):
                status["lastSuccessfulTime"] = common.rfc3339(finished)
    for r in list(active):
        if r.get("uid") not in by_uid:
            live = api.try_get(registry.lookup("jobs"), r.get("namespace"), r.get("name", ""))
            if live is None or live["metadata"].get("uid") != r.get("uid"):
                active = [x for x in active if x.get("uid") != r.get("uid")]
                event("Normal", "MissingJob", f"Active job went missing: {r.get('name')}")
    _set_active(status, active)
    # 2. history limits.
    if not common.being_deleted(cj):
        writes += _cleanup(api, cj, jobs, event)
    # 3. the due run.
    spec = cj.get("spec") or {}
    if not common.being_deleted(cj) and not spec.get("suspend"):
        writes += _schedule(api, cj, status, now, event)
    if status != (cj.get("status") or {}):
        new = copy.deepcopy(cj)
        new["status"] = status
        writes += common.tolerant(api.update_status, new) is not None
    return writes + event.count


def _set_active(status: dict, active: list[dict]) -> None:
    if active:
        status["active"] = active
    else:
        status.pop("active", None)


def _schedule(api, cj: dict, status: dict, now: float, event) -> int:
    spec = cj.get("spec") or {}
    try:
        tz = cron.zone(spec.get("timeZone"))
    except cron.ScheduleError as e:
        event.once("Warning", "UnknownTimeZone", f'invalid timeZone: "{spec.get("timeZone")}": {e}')
        return 0
    try:
        schedule = cron.Schedule(spec.get("schedule", ""), tz)
    except cron.ScheduleError as e:
        event.once("Warning", "UnparseableSchedule", f'unparseable schedule: "{spec.get("schedule")}" : {e}')
        return 0
    probe = dict(cj, status=status)
    scheduled, missed = next_run(probe, schedule, now)
    if scheduled is None:
        return 0
    if missed > TOO_MANY_MISSED:
        event.once("Warning", "TooManyMissedTimes", f"too many missed start times: {missed}. Set or decrease "
              f".spec.startingDeadlineSeconds or check clock skew", scheduled)
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None and scheduled + deadline < now:
        event.once("Warning", "MissSchedule", f"Missed scheduled time to start a job: {rfc1123z(scheduled)}")
        return 0
    name = job_name(cj, scheduled)
    active = status.get("active") or []
    if any(r.get("name") == name for r in active):
        return 0
    policy = spec.get("concurrencyPolicy", "Allow")
    if policy == "Forbid" and active:
        event.once("Normal", "JobAlreadyActive",
                   "Not starting job because prior execution is running and concurrency policy is Forbid", scheduled)
        return 0
    writes = 0
    jobs_kind = registry.lookup("jobs")
    if policy == "Replace":
        for r in list(active):
            gone = common.tolerant(api.delete, jobs_kind, r.get("namespace"), r.get("name", ""),
                                   propagation="Background")
            if gone is not None:
                writes += 1
                event("Normal", "SuccessfulDelete", f"Deleted job {r.get('name')}")
            active = [x for x in active if x.get("uid") != r.get("uid")]
        _set_active(status, active)
    try:
        job = api.create(job_from_template(cj, scheduled, tz))
    except errors.ApiError as e:
        if e.reason != "AlreadyExists":
            event("Warning", "FailedCreate", f"Error creating job: {e.message}")
            return writes
        job = api.try_get(jobs_kind, cj["metadata"]["namespace"], name)
        if job is None or not common.is_controlled_by(job, cj):
            return writes
        if job_finished(job) is None and not any(r.get("uid") == job["metadata"]["uid"] for r in active):
            _set_active(status, active + [_ref(job)])
        status["lastScheduleTime"] = common.rfc3339(scheduled)
        return writes
    event("Normal", "SuccessfulCreate", f"Created job {name}")
    _set_active(status, (status.get("active") or []) + [_ref(job)])
    status["lastScheduleTime"] = common.rfc3339(scheduled)
    return writes + 1


def _cleanup(api, cj: dict, jobs: list[dict], event) -> int:
    """removeOldestJobs for each history limit (nil = keep everything)."""
    spec = cj.get("spec") or {}
    writes = 0
    for kind, limit in (("Complete", spec.get("successfulJobsHistoryLimit")),
                        ("Failed", spec.get("failedJobsHistoryLimit"))):
        if limit is None:
            continue
        done = [j for j in jobs if job_finished(j) == kind and not common.being_deleted(j)]
        if len(done) <= limit:
            continue
        done.sort(key=lambda j: (_start(j), j["metadata"]["name"]))
        for j in done[:len(done) - limit]:
            gone = common.tolerant(api.delete, registry.lookup("jobs"), j["metadata"]["namespace"],
                                   j["metadata"]["name"], propagation="Background", uid=j["metadata"]["uid"])
            if gone is not None:
                writes += 1
                event("Normal", "SuccessfulDelete", f"Deleted job {j['metadata']['name']}")
    return writes


def _start(job: dict) -> float:
    return common.parse_time((job.get("status") or {}).get("startTime")) or \
        common.parse_time(job["metadata"].get("creationTimestamp")) or 0.0


class _Events:
    """Event recorder for one CronJob pass. `once` is for what a level-triggered pass
    notices again and again (a skipped or missed run): recorded once per scheduled time,
    as Kubernetes does by requeueing until the next schedule."""

    def __init__(self, api, cj: dict):
        self.api, self.cj, self.count = api, cj, 0

    def __call__(self, type_: str, reason: str, message: str) -> None:
        self.api.record_event(self.cj, type_, reason, message, component=COMPONENT)
        self.count += 1

    def once(self, type_: str, reason: str, message: str, since: float = 0.0) -> None:
        import uuid
        meta = self.cj["metadata"]
        key = f'{meta.get("uid")}|{reason}|{message}|{COMPONENT}|'
        name = f'{meta.get("name")}.{uuid.uuid5(uuid.NAMESPACE_OID, key).hex[:16]}'
        seen = self.api.try_get(registry.lookup("events"), meta.get("namespace"), name)
        if seen is not None and (common.parse_time(seen.get("lastTimestamp")) or 0) >= since:
            return
        self(type_, reason, message)
