"""HorizontalPodAutoscaler end to end: pods that really burn CPU make the HPA scale a
Deployment up; when the load stops it scales back down after the (shortened) downscale
stabilisation window. Runs with the daemon, whose controller loop samples the processes."""
from __future__ import annotations

import os

import pytest
import yaml
from conftest import get_json as get

pytestmark = pytest.mark.e2e

# Spin while the switch file exists, idle otherwise.
BURN = ("import os, time\n"
        "switch = os.environ['SWITCH']\n"
        "while True:\n"
        "    if os.path.exists(switch):\n"
        "        t = time.time() + 0.5\n"
        "        while time.time() < t: pass\n"
        "    else:\n"
        "        time.sleep(0.5)\n")


def deployment(switch: str) -> str:
    return yaml.safe_dump({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {
        "replicas": 1, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [{"name": "burn", "image": "python:3.12", "command": ["python3", "-c", BURN],
                            "env": [{"name": "SWITCH", "value": switch}],
                            "resources": {"requests": {"cpu": "100m"}}}]}}}})


@pytest.fixture
def hpa_cluster(cluster):
    cluster.env.update(PKUBE_HPA_SYNC_PERIOD="2", PKUBE_HPA_METRICS_WINDOW="3", PKUBE_HPA_DOWNSCALE_WINDOW="10")
    try:
        yield cluster
    finally:
        cluster.kubelet("stop", "--stop-pods", timeout=60)



def replicas(c) -> int:
    return get(c, "deployment", "web")["spec"]["replicas"]


def test_hpa_scales_up_under_load_and_down_after_window(hpa_cluster, tmp_path):
    c = hpa_cluster
    switch = str(tmp_path / "burn")
    open(switch, "w").close()
    c.ok("apply", "-f", "-", input=deployment(switch))
    out = c.ok("autoscale", "deployment", "web", "--min=1", "--max=3", "--cpu=50%")
    assert out.strip() == "horizontalpodautoscaler.autoscaling/web autoscaled"
    assert c.kubelet("start").returncode == 0
    c.wait_for(lambda: replicas(c) > 1, timeout=60, interval=0.5, message="a scale-up")
    h = get(c, "hpa", "web")
    st = h["status"]
    assert st["desiredReplicas"] > 1 and st["lastScaleTime"]
    util = st["currentMetrics"][0]["resource"]["current"]["averageUtilization"]
    assert util > 50
    conds = {x["type"]: x["reason"] for x in st["conditions"]}
    assert conds["ScalingActive"] == "ValidMetricFound"
    events = c.ok("get", "events", "--field-selector", "involvedObject.kind=HorizontalPodAutoscaler")
    assert "SuccessfulRescale" in events
    assert "reason: cpu resource utilization (percentage of request) above target" in events
    row = c.ok("get", "hpa", "web").splitlines()[1].split()
    assert row[:2] == ["web", "Deployment/web"] and row[2] == "cpu:"
    # load stops: the HPA waits out the stabilisation window, then goes back to the minimum
    os.unlink(switch)
    c.wait_for(lambda: replicas(c) == 1, timeout=90, interval=0.5, message="the scale-down")
    assert "All metrics below target" in c.ok("get", "events")
