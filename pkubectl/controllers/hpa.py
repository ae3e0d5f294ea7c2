"""HorizontalPodAutoscaler controller (autoscaling/v2, pkg/controller/podautoscaler).

Metrics come from the real container processes, as metrics-server reads cgroups: each
pass samples the CPU seconds and RSS of every running container of a target's pods
(pkubelet.runtime.process.tree_usage over the run records in
{home}/pods/{uid}/{container}/{attempt}/) into {home}/metrics/pods/{uid}.json, and a
pod's CPU usage is the rate between the newest sample and the one about one window
(PKUBE_HPA_METRICS_WINDOW, default 15 s) older. A pod with no two samples yet has no
metric ("missing"), as a pod metrics-server has not scraped twice.

Each HPA is reconciled at most every PKUBE_HPA_SYNC_PERIOD seconds (default 15, the
controller's --horizontal-pod-autoscaler-sync-period), with Kubernetes' algorithm:

* Resource metrics cpu/memory, target Utilization (usage / requests, in percent) or
  AverageValue; ContainerResource the same for one container. Other metric types
  (Pods, Object, External) have no source here and are reported as invalid.
* desired = ceil(ready pods * current / target), nothing when |ratio - 1| <= 0.1; pods
  being deleted or failed are ignored; for CPU, pods not Ready (or sampled before
  one window after turning Ready, during their first 5 minutes) count as 0 when scaling
  up; pods without metrics count as 100 % of request when scaling down and 0 when
  scaling up; a result that would flip direction keeps the current size.
* Without spec.behavior: highest recommendation over the downscale stabilisation window
  (PKUBE_HPA_DOWNSCALE_WINDOW, default 300 s), min/max, scale-up limit max(2x, 4).
  With spec.behavior: scaleUp/scaleDown stabilisation windows (scaleDown's default is
  the same 300 s / PKUBE_HPA_DOWNSCALE_WINDOW), rate policies over past scale events,
  selectPolicy Max/Min/Disabled.
* Scaling writes spec.replicas of the target (the scale subresource: Deployment,
  ReplicaSet, StatefulSet, ReplicationController); SuccessfulRescale
  "New size: 4; reason: cpu resource utilization (percentage of request) above target".
* Status: currentReplicas, desiredReplicas, currentMetrics, lastScaleTime and the
  conditions AbleToScale / ScalingActive / ScalingLimited with Kubernetes' reasons.

The recommendations and scale events Kubernetes keeps in memory live in
{home}/metrics/hpa/{uid}.json, so per-invocation passes and the daemon share them.
"""
from __future__ import annotations

import copy
import json
import math
import os

from pkubectl.api import errors, quantity, registry, selectors
from pkubectl.controllers import common

COMPONENT = "horizontal-pod-autoscaler"
TOLERANCE = 0.1
CPU_INITIALIZATION_PERIOD = 300.0
INITIAL_READINESS_DELAY = 30.0
SCALABLE = ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController")


def sync_period() -> float:
    return float(os.environ.get("PKUBE_HPA_SYNC_PERIOD", "15"))


def metrics_window() -> float:
    return float(os.environ.get("PKUBE_HPA_METRICS_WINDOW", "15"))


def downscale_window() -> float:
    return float(os.environ.get("PKUBE_HPA_DOWNSCALE_WINDOW", "300"))


# == the replica calculator (pure, unit-tested) ==============================================
class PodSample:
    """What the calculator needs of one pod: its metric (None = missing), its request,
    and whether it counts (ignored: deleted/failed; unready: see module docstring)."""

    __slots__ = ("name", "value", "request", "ignored", "unready")

    def __init__(self, name: str, value: float | None, request: float = 0.0, ignored: bool = False,
                 unready: bool = False):
        self.name, self.value, self.request, self.ignored, self.unready = name, value, request, ignored, unready


def utilization_ratio(metrics: dict, requests: dict, target: float) -> tuple[float, int, float]:
    """GetResourceUtilizationRatio: (ratio, utilization %, raw average) over pods with a request."""
    total_m = sum(v for k, v in metrics.items() if k in requests)
    total_r = sum(requests[k] for k in metrics if k in requests)
    n = sum(1 for k in metrics if k in requests)
    if total_r <= 0 or n == 0:
        raise ValueError("no metrics returned matched known pods")
    util = int(total_m * 100 / total_r)
    return util / target, util, total_m / n


def replicas_for_utilization(current: int, pods: list[PodSample], target_pct: float,
                             tolerance: tuple[float, float] = (TOLERANCE, TOLERANCE)) -> tuple[int, int, float]:
    """GetResourceReplicas: (desired, utilization %, raw average value)."""
    metrics = {p.name: p.value for p in pods if p.value is not None and not p.ignored and not p.unready}
    requests = {p.name: p.request for p in pods if p.request > 0}
    ready = sum(1 for p in pods if p.value is not None and not p.ignored and not p.unready)
    missing = [p for p in pods if p.value is None and not p.ignored]
    unready = [p for p in pods if p.value is not None and p.unready and not p.ignored]
    if not metrics:
        raise ValueError("did not receive metrics for targeted pods (pods might be unready)")
    ratio, util, raw = utilization_ratio(metrics, requests, target_pct)
    down_tol, up_tol = tolerance
    scale_up_unready = bool(unready) and ratio > 1.0
    if not scale_up_unready and not missing:
        if _within(ratio, tolerance):
            return current, util, raw
        return math.ceil(ratio * ready), util, raw
    if missing:
        for p in missing:
            if ratio < 1.0:
                metrics[p.name] = max(100.0, target_pct) * p.request / 100
            elif ratio > 1.0:
                metrics[p.name] = 0.0
    if scale_up_unready:
        for p in unready:
            metrics[p.name] = 0.0
    new_ratio, _, _ = utilization_ratio(metrics, requests, target_pct)
    if _within(new_ratio, tolerance) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, util, raw
    new = math.ceil(new_ratio * len(metrics))
    if (new_ratio < 1.0 and new > current) or (new_ratio > 1.0 and new < current):
        return current, util, raw
    return new, util, raw


def replicas_for_average(current: int, pods: list[PodSample], target_value: float,
                         tolerance: tuple[float, float] = (TOLERANCE, TOLERANCE)) -> tuple[int, float]:
    """GetRawResourceReplicas / calcPlainMetricReplicas: (desired, average value)."""
    metrics = {p.name: p.value for p in pods if p.value is not None and not p.ignored and not p.unready}
    ready = len(metrics)
    missing = [p for p in pods if p.value is None and not p.ignored]
    unready = [p for p in pods if p.value is not None and p.unready and not p.ignored]
    if not metrics:
        raise ValueError("did not receive metrics for targeted pods (pods might be unready)")
    avg = sum(metrics.values()) / len(metrics)
    ratio = avg / target_value
    scale_up_unready = bool(unready) and ratio > 1.0
    if not scale_up_unready and not missing:
        if _within(ratio, tolerance):
            return current, avg
        return math.ceil(ratio * ready), avg
    for p in missing:
        if ratio < 1.0:
            metrics[p.name] = target_value
        elif ratio > 1.0:
            metrics[p.name] = 0.0
    if scale_up_unready:
        for p in unready:
            metrics[p.name] = 0.0
    new_ratio = sum(metrics.values()) / len(metrics) / target_value
    if _within(new_ratio, tolerance) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, avg
    new = math.ceil(new_ratio * len(metrics))
    if (new_ratio < 1.0 and new > current) or (new_ratio > 1.0 and new < current):
        return current, avg
    return new, avg


def _within(ratio: float, tolerance: tuple[float, float]) -> bool:
    down, up = tolerance
    return (1.0 - down) <= ratio <= (1.0 + up)


def scale_up_limit_legacy(current: int) -> int:
    return max(2 * current, 4)


def convert_with_rules(current: int, desired: int, lo: int, hi: int) -> tuple[int, str, str]:
    """convertDesiredReplicasWithRules (no spec.behavior)."""
    up_limit = scale_up_limit_legacy(current)
    if hi > up_limit:
        maximum, reason, msg = up_limit, "ScaleUpLimit", "the desired replica count is increasing faster than " \
                                                         "the maximum scale rate"
    else:
        maximum, reason, msg = hi, "TooManyReplicas", "the desired replica count is more than the maximum replica count"
    if desired < lo:
        return lo, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
    if desired > maximum:
        return maximum, reason, msg
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


def _changes_in(period: float, events: list, now: float) -> int:
    return sum(n for t, n in events if t > now - period)


def scale_up_limit(current: int, up_events: list, down_events: list, rules: dict, now: float) -> int:
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    result = None
    for policy in rules.get("policies") or []:
        period = policy.get("periodSeconds", 15)
        start = current - _changes_in(period, up_events, now) + _changes_in(period, down_events, now)
        if policy.get("type") == "Pods":
            proposed = start + policy.get("value", 0)
        else:
            proposed = math.ceil(start * (1 + policy.get("value", 0) / 100))
        result = proposed if result is None else (min if select == "Min" else max)(result, proposed)
    return current if result is None else result


def scale_down_limit(current: int, up_events: list, down_events: list, rules: dict, now: float) -> int:
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    result = None
    for policy in rules.get("policies") or []:
        period = policy.get("periodSeconds", 15)
        start = current - _changes_in(period, up_events, now) + _changes_in(period, down_events, now)
        if policy.get("type") == "Pods":
            proposed = start - policy.get("value", 0)
        else:
            proposed = int(start * (1 - policy.get("value", 0) / 100))
        result = proposed if result is None else (max if select == "Min" else min)(result, proposed)
    return current if result is None else result


def stabilize(current: int, desired: int, recommendations: list, up_window: float, down_window: float,
              now: float) -> tuple[int, str, str]:
    """stabilizeRecommendationWithBehaviors (recommendations include this one)."""
    up, down = desired, desired
    for t, r in recommendations:
        if t > now - up_window:
            up = min(up, r)
        if t > now - down_window:
            down = max(down, r)
    rec = current
    if rec < up:
        rec = up
    if rec > down:
        rec = down
    if rec == desired:
        return rec, "ReadyForNewScale", "recommended size matches current size"
    if rec < desired:
        return rec, "ScaleUpStabilized", "recent recommendations were lower than current one, applying the " \
                                         "lowest recent recommendation"
    return rec, "ScaleDownStabilized", "recent recommendations were higher than current one, applying the " \
                                       "highest recent recommendation"


def convert_with_behavior(current: int, desired: int, lo: int, hi: int, behavior: dict, up_events: list,
                          down_events: list, now: float) -> tuple[int, str, str]:
    """convertDesiredReplicasWithBehaviorRate."""
    if desired > current:
        limit = max(current, scale_up_limit(current, up_events, down_events, behavior.get("scaleUp") or {}, now))
        if hi > limit:
            maximum, reason, msg = limit, "ScaleUpLimit", "the desired replica count is increasing faster than " \
                                                          "the maximum scale rate"
        else:
            maximum, reason, msg = hi, "TooManyReplicas", "the desired replica count is more than the maximum " \
                                                          "replica count"
        if desired > maximum:
            return maximum, reason, msg
    elif desired < current:
        limit = min(current, scale_down_limit(current, up_events, down_events, behavior.get("scaleDown") or {},
                                              now))
        if lo < limit:
            minimum, reason, msg = limit, "ScaleDownLimit", "the desired replica count is decreasing faster than " \
                                                            "the maximum scale rate"
        else:
            minimum, reason, msg = lo, "TooFewReplicas", "the desired replica count is less than the minimum " \
                                                         "replica count"
        if desired < minimum:
            return minimum, reason, msg
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


# == metrics from the processes ==================================================================
def _run_record(home: str, uid: str, container: str, attempt: int):
    from pkubelet.runtime import process  # the runtime library: run records and /proc readings
    return process.load(os.path.join(home, "pods", uid, container, str(attempt)))


def _sample_pod(home: str, pod: dict) -> dict:
    """{container: [cpu seconds, rss bytes]} of the pod's running containers now."""
    from pkubelet.runtime import process

    out = {}
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if "running" not in (cs.get("state") or {}):
            continue
        rec = _run_record(home, pod["metadata"]["uid"], cs.get("name", ""), cs.get("restartCount", 0))
        if rec is None:
            continue
        cpu, rss = process.tree_usage(rec)
        out[f"{cs.get('name')}/{cs.get('restartCount', 0)}"] = [cpu, rss]
    return out


def pod_usage(home: str, pod: dict, now: float) -> tuple[dict | None, float, float]:
    """Take a sample; return ({container: (millicores, bytes)} or None when there is no
    earlier sample yet, sample time, window seconds)."""
    d = os.path.join(home, "metrics", "pods")
    path = os.path.join(d, pod["metadata"]["uid"] + ".json")
    try:
        with open(path) as f:
            samples = json.load(f)
    except (OSError, ValueError):
        samples = []
    window = metrics_window()
    if not samples or now - samples[-1][0] >= min(1.0, window):
        samples.append([now, _sample_pod(home, pod)])
    samples = [s for s in samples if now - s[0] <= 2 * window + 5]
    try:
        os.makedirs(d, mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(samples, f)
        os.replace(tmp, path)
    except OSError:
        pass
    newest_t, newest = samples[-1]
    older = [s for s in samples[:-1] if newest_t - s[0] >= min(1.0, window)]
    if not older or not newest:
        return None, newest_t, 0.0
    # the sample closest to one window before the newest
    base_t, base = min(older, key=lambda s: abs((newest_t - s[0]) - window))
    dt = newest_t - base_t
    out = {}
    for key, (cpu, rss) in newest.items():
        prev = base.get(key, [0.0, 0])[0]
        name = key.rsplit("/", 1)[0]
        out[name] = (max(0.0, cpu - prev) * 1000.0 / dt, float(rss))
    return out, newest_t, dt


def clear_pod_samples(home: str, live_uids: set) -> None:
    d = os.path.join(home, "metrics", "pods")
    try:
        names = os.listdir(d)
    except OSError:
        return
    for n in names:
        if n.endswith(".json") and n[:-5] not in live_uids:
            try:
                os.unlink(os.path.join(d, n))
            except OSError:
                pass


# == the controller ==============================================================================
def _state_path(home: str, uid: str) -> str:
    return os.path.join(home, "metrics", "hpa", uid + ".json")


def load_state(home: str, uid: str) -> dict:
    try:
        with open(_state_path(home, uid)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_state(home: str, uid: str, state: dict) -> None:
    path = _state_path(home, uid)
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, path)
    except OSError:
        pass


def sync(api) -> int:
    hpas, _ = api.list(registry.lookup("horizontalpodautoscalers"), None)
    home = api.store.home
    if not hpas:
        return 0
    now = common.now()
    writes = 0
    pods_by_ns: dict[str, list[dict]] = {}
    for p in api.list(registry.lookup("pods"), None)[0]:
        pods_by_ns.setdefault(p["metadata"].get("namespace", ""), []).append(p)
    sampled: set = set()
    for hpa in hpas:
        try:
            writes += Reconcile(api, hpa, pods_by_ns.get(hpa["metadata"]["namespace"], []), now).run(sampled)
        except errors.ApiError as e:
            if e.reason not in common.RETRY_LATER:
                raise
    clear_pod_samples(home, {uid for ps in pods_by_ns.values() for uid in (p["metadata"]["uid"] for p in ps)})
    return writes


class Reconcile:
    """reconcileAutoscaler for one HPA."""

    def __init__(self, api, hpa: dict, ns_pods: list[dict], now: float):
        self.api, self.hpa, self.ns_pods, self.now = api, hpa, ns_pods, now
        self.home = api.store.home
        self.spec = hpa.get("spec") or {}
        self.status = copy.deepcopy(hpa.get("status") or {})
        self.stamp = common.rfc3339(now)
        self.writes = 0

    def event(self, type_: str, reason: str, message: str) -> None:
        self.api.record_event(self.hpa, type_, reason, message, component=COMPONENT)
        self.writes += 1

    def set_condition(self, type_: str, status: str, reason: str, message: str) -> None:
        conds = self.status.setdefault("conditions", [])
        for c in conds:
            if c.get("type") == type_:
                if c.get("status") != status:
                    c["lastTransitionTime"] = self.stamp
                c.update(status=status, reason=reason, message=message)
                return
        conds.append({"type": type_, "status": status, "lastTransitionTime": self.stamp,
                      "reason": reason, "message": message})

    def _target(self):
        ref = self.spec.get("scaleTargetRef") or {}
        try:
            kind = registry.by_kind(ref.get("kind", ""))
        except KeyError:
            kind = None
        return ref, kind

    def run(self, sampled: set) -> int:
        uid = self.hpa["metadata"]["uid"]
        state = load_state(self.home, uid)
        ref, kind = self._target()
        target = None
        if kind is not None and kind.kind in SCALABLE:
            target = self.api.try_get(kind, self.hpa["metadata"]["namespace"], ref.get("name", ""))
        pods = self._pods(target)
        # Sample every pass (cheap /proc reads), decide only every sync period.
        usage = {}
        for p in pods:
            if p["metadata"]["uid"] not in sampled and (p.get("status") or {}).get("phase") == "Running":
                usage[p["metadata"]["uid"]] = pod_usage(self.home, p, self.now)
                sampled.add(p["metadata"]["uid"])
        if self.now - state.get("last_sync", 0) < sync_period() and \
                self.hpa["metadata"].get("generation", 1) == state.get("generation"):
            return 0
        state["last_sync"] = self.now
        state["generation"] = self.hpa["metadata"].get("generation", 1)
        try:
            self._reconcile(ref, kind, target, pods, usage, state)
        finally:
            save_state(self.home, uid, state)
        if self.status != (self.hpa.get("status") or {}):
            new = copy.deepcopy(self.hpa)
            new["status"] = self.status
            if common.tolerant(self.api.update_status, new) is not None:
                self.writes += 1
        return self.writes

    def _pods(self, target: dict | None) -> list[dict]:
        if target is None:
            return []
        try:
            sel = selectors.from_label_selector((target.get("spec") or {}).get("selector"))
        except selectors.SelectorError:
            return []
        return [p for p in self.ns_pods if sel.matches(common.labels_of(p))]

    def _reconcile(self, ref: dict, kind, target: dict | None, pods: list[dict], usage: dict, state: dict) -> None:
        ns = self.hpa["metadata"]["namespace"]
        if target is None:
            res = kind.resource if kind is not None else ref.get("kind", "").lower() + "s"
            msg = f'{res} "{ref.get("name")}" not found' if kind is not None and kind.kind in SCALABLE else \
                f'no matches for kind "{ref.get("kind")}" in group "{ref.get("apiVersion", "").rpartition("/")[0]}"'
            self.set_condition("AbleToScale", "False", "FailedGetScale",
                               f"the HPA controller was unable to get the target's current scale: {msg}")
            self.event("Warning", "FailedGetScale", msg)
            self._set_status(self.status.get("currentReplicas", 0), self.status.get("desiredReplicas", 0), None,
                             False)
            return
        current = (target.get("spec") or {}).get("replicas", 1)
        lo, hi = self.spec.get("minReplicas", 1), self.spec.get("maxReplicas", 1)
        self.set_condition("AbleToScale", "True", "SucceededGetScale",
                           "the HPA controller was able to get the target's current scale")
        metric_statuses: list | None = None
        desired, reason = 0, ""
        if current == 0 and lo != 0:
            self.set_condition("ScalingActive", "False", "ScalingDisabled",
                               "scaling is disabled since the replica count of the target is zero")
            desired, rescale = 0, False
        else:
            if current > hi:
                reason, desired = "Current number of replicas above Spec.MaxReplicas", hi
            elif current < lo:
                reason, desired = "Current number of replicas below Spec.MinReplicas", lo
            else:
                proposal, metric_name, metric_statuses = self._compute(current, pods, usage)
                if proposal is None:
                    self._set_status(current, self.status.get("desiredReplicas", current), metric_statuses, False)
                    return
                if proposal > desired:
                    desired = proposal
                if desired > current:
                    reason = f"{metric_name} above target"
                if desired < current:
                    reason = "All metrics below target"
                desired = self._normalize(current, desired, lo, hi, state)
            rescale = desired != current
        if rescale:
            new = copy.deepcopy(target)
            new["spec"]["replicas"] = desired
            try:
                self.api.update(new)
            except errors.ApiError as e:
                self.set_condition("AbleToScale", "False", "FailedUpdateScale",
                                   f"the HPA controller was unable to update the target scale: {e.message}")
                self.event("Warning", "FailedRescale", f"New size: {desired}; reason: {reason}; error: {e.message}")
                self._set_status(current, self.status.get("desiredReplicas", current), metric_statuses, False)
                return
            self.writes += 1
            self.set_condition("AbleToScale", "True", "SucceededRescale",
                               f"the HPA controller was able to update the target scale to {desired}")
            self.event("Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            if self.spec.get("behavior") is not None:
                key = "scale_up" if desired > current else "scale_down"
                state.setdefault(key, []).append([self.now, abs(desired - current)])
        else:
            desired = current
        self._set_status(current, desired, metric_statuses, rescale)

    def _set_status(self, current: int, desired: int, metric_statuses, rescaled: bool) -> None:
        self.status["currentReplicas"] = current
        self.status["desiredReplicas"] = desired
        if metric_statuses is not None:
            if metric_statuses:
                self.status["currentMetrics"] = metric_statuses
            else:
                self.status.pop("currentMetrics", None)
        if rescaled:
            self.status["lastScaleTime"] = self.stamp
        self.status["observedGeneration"] = self.hpa["metadata"].get("generation", 1)

    # -- metrics ------------------------------------------------------------------------------
    def _tolerance(self) -> tuple[float, float]:
        b = self.spec.get("behavior") or {}
        down = (b.get("scaleDown") or {}).get("tolerance")
        up = (b.get("scaleUp") or {}).get("tolerance")
        return (TOLERANCE if down is None else quantity.parse_quantity(down).as_float(),
                TOLERANCE if up is None else quantity.parse_quantity(up).as_float())

    def _compute(self, current: int, pods: list[dict], usage: dict):
        """computeReplicasForMetrics: (largest proposal or None, its metric name, statuses)."""
        statuses: list[dict] = []
        best, best_name = None, ""
        invalid, first_error = 0, ""
        metrics = self.spec.get("metrics") or []
        for m in metrics:
            try:
                proposal, name, st = self._one_metric(m, current, pods, usage)
            except ValueError as e:
                invalid += 1
                first_error = first_error or str(e)
                statuses.append({"type": ""})
                continue
            statuses.append(st)
            if best is None or proposal > best:
                best, best_name = proposal, name
        if invalid and (invalid == len(metrics) or best is None):
            self.event("Warning", "FailedComputeMetricsReplicas",
                       f"invalid metrics ({invalid} invalid out of {len(metrics)}), first error is: {first_error}")
            return None, "", [s for s in statuses if s.get("type")]
        self.set_condition("ScalingActive", "True", "ValidMetricFound",
                           f"the HPA was able to successfully calculate a replica count from {best_name}")
        return best, best_name, [s for s in statuses if s.get("type")]

    def _fail(self, reason: str, message: str) -> ValueError:
        self.set_condition("ScalingActive", "False", reason, f"the HPA was unable to compute the replica count: "
                                                             f"{message}")
        self.event("Warning", reason, message)
        return ValueError(message)

    def _one_metric(self, m: dict, current: int, pods: list[dict], usage: dict):
        mtype = m.get("type")
        if mtype not in ("Resource", "ContainerResource"):
            lower = (mtype or "").lower()
            raise self._fail(f"FailedGet{mtype}Metric",
                             f"unable to get {lower} metric: no {lower} metrics source is available in pkube "
                             f"(only Resource and ContainerResource cpu/memory)")
        src = m.get("resource") if mtype == "Resource" else m.get("containerResource")
        src = src or {}
        res = src.get("name", "")
        container = src.get("container") if mtype == "ContainerResource" else None
        target = src.get("target") or {}
        what = f"{res} container resource" if container else f"{res} resource"
        fail_reason = "FailedGetContainerResourceMetric" if container else "FailedGetResourceMetric"
        if res not in ("cpu", "memory"):
            raise self._fail(fail_reason, f"failed to get {res} utilization: unable to get metrics for resource "
                                          f"{res}: no metrics returned from resource metrics API")
        samples = self._samples(res, container, pods, usage)
        if not any(s.value is not None for s in samples):
            raise self._fail(fail_reason, f"failed to get {res} utilization: unable to get metrics for resource "
                                          f"{res}: no metrics returned from resource metrics API")
        status_key = "containerResource" if container else "resource"
        base = {"name": res, **({"container": container} if container else {})}
        if target.get("type") == "AverageValue" or target.get("averageValue") is not None:
            goal = _milli(res, target.get("averageValue"))
            try:
                desired, avg = replicas_for_average(current, samples, goal, self._tolerance())
            except ValueError as e:
                raise self._fail(fail_reason, f"failed to get {res} usage: {e}") from None
            st = {"type": mtype, status_key: {**base, "current": {"averageValue": _quantity(res, avg)}}}
            return desired, what, st
        pct = target.get("averageUtilization") or 80
        missing_request = next((s for s in samples if s.request <= 0 and not s.ignored), None)
        if missing_request is not None:
            raise self._fail(fail_reason, f"failed to get {res} utilization: missing request for {res} in "
                                          f"container {self._container_without(missing_request.name, res)} of Pod "
                                          f"{missing_request.name}")
        try:
            desired, util, raw = replicas_for_utilization(current, samples, pct, self._tolerance())
        except ValueError as e:
            raise self._fail(fail_reason, f"failed to get {res} utilization: {e}") from None
        st = {"type": mtype, status_key: {**base, "current": {"averageUtilization": util,
                                                               "averageValue": _quantity(res, raw)}}}
        return desired, f"{what} utilization (percentage of request)", st

    def _container_without(self, pod_name: str, res: str) -> str:
        for p in self.ns_pods:
            if p["metadata"]["name"] == pod_name:
                for c in (p.get("spec") or {}).get("containers") or []:
                    if res not in ((c.get("resources") or {}).get("requests") or {}):
                        return c.get("name", "")
        return ""

    def _samples(self, res: str, container: str | None, pods: list[dict], usage: dict) -> list[PodSample]:
        out = []
        for p in pods:
            name = p["metadata"]["name"]
            st = p.get("status") or {}
            ignored = common.being_deleted(p) or st.get("phase") == "Failed"
            request = 0.0
            for c in (p.get("spec") or {}).get("containers") or []:
                if container and c.get("name") != container:
                    continue
                req = ((c.get("resources") or {}).get("requests") or {}).get(res)
                if req is None:
                    request = -1e18  # a container without a request: utilization is undefined
                    continue
                request += _milli(res, req)
            got = usage.get(p["metadata"]["uid"])
            value = None
            unready = st.get("phase") == "Pending"
            if got is not None and got[0] is not None:
                sample, t, window = got
                index = 0 if res == "cpu" else 1
                value = sum(v[index] for c, v in sample.items() if not container or c == container)
                if res == "cpu" and not unready:
                    unready = self._cpu_unready(p, t, window)
            out.append(PodSample(name, value, request, ignored, unready))
        return out

    def _cpu_unready(self, pod: dict, sample_time: float, window: float) -> bool:
        cond = common.pod_condition(pod, "Ready")
        start = common.parse_time((pod.get("status") or {}).get("startTime"))
        if cond is None or start is None:
            return True
        changed = common.parse_time(cond.get("lastTransitionTime")) or start
        if start + CPU_INITIALIZATION_PERIOD > self.now:
            return cond.get("status") == "False" or sample_time - window < changed
        return cond.get("status") == "False" and start + INITIAL_READINESS_DELAY > changed

    # -- normalisation --------------------------------------------------------------------------
    def _normalize(self, current: int, desired: int, lo: int, hi: int, state: dict) -> int:
        behavior = self.spec.get("behavior")
        recs = [r for r in state.get("recommendations") or []]
        if behavior is None:
            window = downscale_window()
            recs = [r for r in recs if r[0] > self.now - window]
            stabilized = max([desired] + [r[1] for r in recs])
            recs.append([self.now, desired])
            state["recommendations"] = recs
            if stabilized != desired:
                self.set_condition("AbleToScale", "True", "ScaleDownStabilized",
                                   "recent recommendations were higher than current one, applying the highest "
                                   "recent recommendation")
            else:
                self.set_condition("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size")
            final, reason, msg = convert_with_rules(current, stabilized, lo, hi)
        else:
            up_w = (behavior.get("scaleUp") or {}).get("stabilizationWindowSeconds")
            down_w = (behavior.get("scaleDown") or {}).get("stabilizationWindowSeconds")
            up_w = 0 if up_w is None else up_w
            down_w = downscale_window() if down_w is None else down_w
            if "recommendations" not in state and down_w > 0:
                recs = [[self.now, current]]  # maybeInitScaleDownStabilizationWindow
            longest = max(up_w, down_w)
            recs = [r for r in recs if r[0] > self.now - longest] + [[self.now, desired]]
            state["recommendations"] = recs
            stabilized, reason, msg = stabilize(current, desired, recs, up_w, down_w, self.now)
            self.set_condition("AbleToScale", "True", reason, msg)
            horizon = max([p.get("periodSeconds", 15) for r in ("scaleUp", "scaleDown")
                           for p in ((behavior.get(r) or {}).get("policies") or [])] or [15])
            for key in ("scale_up", "scale_down"):
                state[key] = [e for e in state.get(key) or [] if e[0] > self.now - horizon]
            final, reason, msg = convert_with_behavior(current, stabilized, lo, hi, behavior,
                                                       state.get("scale_up") or [], state.get("scale_down") or [],
                                                       self.now)
        self.set_condition("ScalingLimited", "False" if final == stabilized else "True", reason, msg)
        return final


def _milli(res: str, value) -> float:
    """A quantity as the calculator counts it: millicores for cpu, bytes for memory."""
    q = quantity.parse_quantity(value)
    return q.as_float() * 1000.0 if res == "cpu" else q.as_float()


def _quantity(res: str, value: float) -> str:
    """resource.NewMilliQuantity(x, DecimalSI) for cpu; bytes for memory, as the status shows them."""
    if res == "cpu":
        m = int(round(value))
        return f"{m // 1000}" if m % 1000 == 0 else f"{m}m"
    b = int(round(value))
    for suffix, size in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if b and b % size == 0:
            return f"{b // size}{suffix}"
    return str(b)
