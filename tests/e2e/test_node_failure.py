"""A real node failure: a second node agent (`pkubelet node --name n2`) is killed; its Node
goes Unknown/NotReady within the configured grace, gets the unreachable taints, its pods
are evicted after the configured toleration and the Deployment recreates them on the
default node. Restarting the agent brings the node back and removes the taints."""
from __future__ import annotations

import signal

import pytest
import yaml
from conftest import executable
from conftest import get_json as get

pytestmark = pytest.mark.e2e

GRACE = "6"
EVICTION = "4"


@pytest.fixture
def two_nodes(cluster):
    cluster.env.update(PKUBE_HEARTBEAT_INTERVAL="1", PKUBE_NODE_MONITOR_GRACE=GRACE,
                       PKUBE_POD_EVICTION_TIMEOUT=EVICTION)
    try:
        yield cluster
    finally:
        cluster.kubelet("stop", "--stop-pods", timeout=60)



def ready(c, node: str) -> str:
    for cond in get(c, "node", node)["status"].get("conditions") or []:
        if cond["type"] == "Ready":
            return cond["status"]
    return ""


def start_n2(c):
    return c.popen([executable("pkubelet"), "node", "--name", "n2", "--heartbeat-interval", "1",
                    "--capacity", "cpu=4,memory=8Gi,pods=110"])


def pods_on(c, node: str) -> list[dict]:
    return [p for p in get(c, "pods", "-l", "app=web")["items"]
            if p["spec"].get("nodeName") == node and not p["metadata"].get("deletionTimestamp")]


def test_killed_node_is_marked_unknown_and_its_pods_move(two_nodes):
    c = two_nodes
    assert c.kubelet("start").returncode == 0
    agent = start_n2(c)
    c.wait_for(lambda: c.pk("get", "node", "n2").returncode == 0 and ready(c, "n2") == "True",
               timeout=30, message="n2 Ready")
    c.ok("cordon", "pkube")  # so that every replica lands on n2
    c.ok("apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {
            "replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                "terminationGracePeriodSeconds": 2,
                "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}}}}))
    c.wait_for(lambda: len([p for p in pods_on(c, "n2") if p["status"].get("phase") == "Running"]) == 2,
               timeout=60, message="both replicas running on n2")
    doomed = {p["metadata"]["name"] for p in pods_on(c, "n2")}
    tolerations = get(c, "pod", sorted(doomed)[0])["spec"]["tolerations"]
    assert {t.get("tolerationSeconds") for t in tolerations} == {int(EVICTION)}
    c.ok("uncordon", "pkube")

    agent.send_signal(signal.SIGKILL)  # the node dies without a word
    agent.wait(10)
    c.wait_for(lambda: ready(c, "n2") == "Unknown", timeout=int(GRACE) + 20, interval=0.5,
               message="n2 Ready=Unknown")
    node = get(c, "node", "n2")
    cond = [x for x in node["status"]["conditions"] if x["type"] == "Ready"][0]
    assert (cond["reason"], cond["message"]) == ("NodeStatusUnknown", "Kubelet stopped posting node status.")
    c.wait_for(lambda: {(t["key"], t["effect"]) for t in get(c, "node", "n2")["spec"].get("taints") or []} >= {
        ("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")},
        timeout=10, message="unreachable taints")
    row = c.ok("get", "nodes", "n2").splitlines()[1].split()
    assert row[:2] == ["n2", "NotReady"]

    # evicted after the toleration, force-deleted after their grace, replaced on pkube
    c.wait_for(lambda: not doomed & {p["metadata"]["name"] for p in get(c, "pods", "-l", "app=web")["items"]},
               timeout=int(EVICTION) + 30, interval=0.5, message="the n2 pods gone")
    c.wait_for(lambda: len([p for p in pods_on(c, "pkube") if p["status"].get("phase") == "Running"]) == 2,
               timeout=60, interval=0.5, message="replacements running on pkube")
    events = c.ok("get", "events")
    for name in doomed:
        assert f"Marking for deletion Pod default/{name}" in events
    assert "TaintManagerEviction" in events

    # the node comes back: Ready again, taints gone
    start_n2(c)
    c.wait_for(lambda: ready(c, "n2") == "True", timeout=30, interval=0.5, message="n2 back")
    c.wait_for(lambda: not get(c, "node", "n2")["spec"].get("taints"), timeout=15, interval=0.5,
               message="taints removed")
