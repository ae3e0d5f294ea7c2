"""The HPA replica calculator and normalisation (Kubernetes' formulas, pure functions),
and one reconcile against a real store with injected metrics."""
from __future__ import annotations

import pytest

from pkubectl.api import registry
from pkubectl.api.server import Api
from pkubectl.controllers import hpa
from state.store import Store

P = hpa.PodSample


def pods(*values, request=100.0, **kw):
    return [P(f"p{i}", v, request, **kw) for i, v in enumerate(values)]


def test_utilization_formula():
    # 2 pods at 90m of 100m requested, target 50 % -> ceil(2 * 90/50) = 4
    assert hpa.replicas_for_utilization(2, pods(90, 90), 50)[:2] == (4, 90)
    # below target -> scale down: ceil(4 * 20/50) = 2
    assert hpa.replicas_for_utilization(4, pods(20, 20, 20, 20), 50)[:2] == (2, 20)


def test_tolerance_keeps_current_size():
    assert hpa.replicas_for_utilization(3, pods(54, 54, 54), 50)[0] == 3   # ratio 1.08
    assert hpa.replicas_for_utilization(3, pods(46, 46, 46), 50)[0] == 3   # ratio 0.92
    assert hpa.replicas_for_utilization(3, pods(56, 56, 56), 50)[0] == 4   # ratio 1.12
    assert hpa.replicas_for_utilization(3, pods(56, 56, 56), 50, tolerance=(0.1, 0.2))[0] == 3


def test_missing_metrics_are_conservative():
    # scaling up: the pod without metrics counts as 0 -> smaller step
    samples = pods(100, 100) + [P("new", None, 100.0)]
    assert hpa.replicas_for_utilization(3, samples, 50)[0] == 4   # ceil(3 * 66/50)
    # scaling down: it counts as 100 % of its request -> no flip into a scale-up
    samples = pods(10, 10) + [P("new", None, 100.0)]
    desired = hpa.replicas_for_utilization(3, samples, 50)[0]
    assert desired == 3  # (10+10+100)/300 = 40 % -> ratio 0.8 -> ceil(2.4) = 3


def test_unready_pods_count_as_zero_on_scale_up():
    samples = pods(100, 100) + [P("warming", 500, 100.0, unready=True)]
    assert hpa.replicas_for_utilization(3, samples, 50)[0] == 4


def test_ignored_pods_and_no_metrics():
    samples = pods(80, 80) + [P("dying", 1000, 100.0, ignored=True)]
    assert hpa.replicas_for_utilization(2, samples, 40)[0] == 4
    with pytest.raises(ValueError):
        hpa.replicas_for_utilization(2, [P("a", None, 100.0)], 50)


def test_average_value():
    # 3 pods at 300m average, target 200m -> ceil(3 * 1.5) = 5
    assert hpa.replicas_for_average(3, pods(300, 300, 300), 200) == (5, 300)
    assert hpa.replicas_for_average(3, pods(210, 210, 210), 200)[0] == 3


def test_rules_without_behavior():
    assert hpa.convert_with_rules(2, 20, 1, 10) == (4, "ScaleUpLimit",
                                                    "the desired replica count is increasing faster than the maximum scale rate")
    assert hpa.convert_with_rules(4, 20, 1, 5)[:2] == (5, "TooManyReplicas")
    assert hpa.convert_with_rules(8, 20, 1, 30)[:2] == (16, "ScaleUpLimit")
    assert hpa.convert_with_rules(4, 0, 2, 5)[:2] == (2, "TooFewReplicas")
    assert hpa.convert_with_rules(4, 3, 1, 5) == (3, "DesiredWithinRange", "the desired count is within the acceptable range")


def test_stabilization_window():
    now = 1000.0
    recs = [[now - 100, 5], [now - 10, 3], [now, 2]]
    assert hpa.stabilize(5, 2, recs, 0, 300, now)[:2] == (5, "ScaleDownStabilized")
    assert hpa.stabilize(5, 2, recs, 0, 50, now)[:2] == (3, "ScaleDownStabilized")
    assert hpa.stabilize(5, 2, recs, 0, 0, now) == (2, "ReadyForNewScale", "recommended size matches current size")
    up = [[now - 10, 3], [now, 8]]
    assert hpa.stabilize(3, 8, up, 60, 0, now)[:2] == (3, "ScaleUpStabilized")


def test_behavior_rate_policies():
    default_up = {"selectPolicy": "Max", "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                                       {"type": "Percent", "value": 100, "periodSeconds": 15}]}
    assert hpa.scale_up_limit(1, [], [], default_up, 0) == 5
    assert hpa.scale_up_limit(10, [], [], default_up, 0) == 20
    # 4 pods were added 5 s ago: the period started at 6
    assert hpa.scale_up_limit(10, [[95.0, 4]], [], default_up, 100.0) == 12
    down = {"selectPolicy": "Max", "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}
    assert hpa.scale_down_limit(5, [], [], down, 0) == 4
    behavior = {"scaleUp": default_up, "scaleDown": down}
    assert hpa.convert_with_behavior(5, 1, 1, 10, behavior, [], [], 0)[:2] == (4, "ScaleDownLimit")
    assert hpa.convert_with_behavior(1, 50, 1, 10, behavior, [], [], 0)[:2] == (5, "ScaleUpLimit")
    assert hpa.convert_with_behavior(1, 50, 1, 3, behavior, [], [], 0)[:2] == (3, "TooManyReplicas")
    assert hpa.scale_up_limit(3, [], [], {"selectPolicy": "Disabled"}, 0) == 3


def test_quantity_rendering():
    assert hpa._quantity("cpu", 250.4) == "250m"
    assert hpa._quantity("cpu", 2000) == "2"
    assert hpa._quantity("memory", 64 * 1024 * 1024) == "64Mi"
    assert hpa._milli("cpu", "100m") == 100.0 and hpa._milli("memory", "1Ki") == 1024.0


def test_reconcile_scales_deployment_with_injected_metrics(tmp_path, monkeypatch):
    api = Api(Store(str(tmp_path / "home")))
    api.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                         "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                             {"name": "c", "image": "busybox", "resources": {"requests": {"cpu": "100m"}}}]}}}})
    api.create({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                         "minReplicas": 1, "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {
                             "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}})
    pod = api.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "labels": {"app": "web"}},
                      "spec": {"containers": [{"name": "c", "image": "busybox",
                                               "resources": {"requests": {"cpu": "100m"}}}]}})
    pod["status"].update(phase="Running", startTime="2000-01-01T00:00:00Z", conditions=[
        {"type": "Ready", "status": "True", "lastTransitionTime": "2000-01-01T00:00:00Z"}])
    api.update_status(pod)
    monkeypatch.setattr(hpa, "pod_usage", lambda home, p, now: ({"c": (100.0, 1.0)}, now, 15.0))
    assert hpa.sync(api) > 0
    d = api.get(registry.lookup("deployments"), "default", "web")
    assert d["spec"]["replicas"] == 2  # ceil(1 * 100/50)
    h = api.get(registry.lookup("hpa"), "default", "web")
    st = h["status"]
    assert st["desiredReplicas"] == 2 and st["currentReplicas"] == 1 and st["lastScaleTime"]
    assert st["currentMetrics"] == [{"type": "Resource", "resource": {"name": "cpu", "current": {
        "averageUtilization": 100, "averageValue": "100m"}}}]
    conds = {c["type"]: (c["status"], c["reason"]) for c in st["conditions"]}
    assert conds == {"AbleToScale": ("True", "SucceededRescale"), "ScalingActive": ("True", "ValidMetricFound"),
                     "ScalingLimited": ("False", "DesiredWithinRange")}
    events = [(e["reason"], e["message"]) for e in api.events_for(h)]
    assert ("SuccessfulRescale", "New size: 2; reason: cpu resource utilization (percentage of request) above target") \
        in events
    assert hpa.sync(api) == 0  # the next reconcile waits for the sync period


def test_missing_target(tmp_path):
    api = Api(Store(str(tmp_path / "home")))
    api.create({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                         "maxReplicas": 5}})
    hpa.sync(api)
    st = api.get(registry.lookup("hpa"), "default", "web")["status"]
    able = [c for c in st["conditions"] if c["type"] == "AbleToScale"][0]
    assert (able["status"], able["reason"]) == ("False", "FailedGetScale")
    assert able["message"] == ('the HPA controller was unable to get the target\'s current scale: '
                               'deployments.apps "web" not found')
