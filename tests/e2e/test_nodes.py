"""Nodes: the default node's registration, an extra node agent with its own pods and
heartbeat, and simulated nodes whose pods are reported Running without processes."""
from __future__ import annotations

import re

import os

import pytest
import yaml
from conftest import executable
from conftest import get_json as get

pytestmark = pytest.mark.e2e


@pytest.fixture
def kube(cluster):
    try:
        yield cluster
    finally:
        cluster.kubelet("stop", "--stop-pods", timeout=60)
        from pkubelet.runtime import process

        process.kill_all_in(os.path.join(cluster.home, "pods"))



def pod(name: str, node: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": "busybox",
                                                       "command": ["sleep", "3600"]}]}}


def test_default_node_registers_with_kubelet_fields(kube):
    kube.ok("apply", "-f", "-", input=yaml.safe_dump(pod("p", "pkube")))
    node = get(kube, "node", "pkube")
    labels = node["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "pkube" and labels["kubernetes.io/os"] == "linux"
    assert re.fullmatch(r"127\.244\.\d+\.0/24", node["spec"]["podCIDR"])  # offset per cluster
    st = node["status"]
    assert st["nodeInfo"]["kubeletVersion"] == "v1.37.1"
    assert st["nodeInfo"]["containerRuntimeVersion"] == "pkube://0.1.0"
    assert st["capacity"]["pods"] == "110" and st["capacity"]["memory"].endswith("Ki")
    assert {"type": "InternalIP", "address": "127.0.0.1"} in st["addresses"]
    ready = [c for c in st["conditions"] if c["type"] == "Ready"][0]
    assert (ready["status"], ready["reason"], ready["message"]) == \
        ("True", "KubeletReady", "kubelet is posting ready status")
    assert [c["type"] for c in st["conditions"]] == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
    lease = get(kube, "lease", "pkube", "-n", "kube-node-lease")
    assert lease["spec"]["holderIdentity"] == "pkube"
    rows = kube.ok("get", "nodes").splitlines()
    assert rows[1].split()[:3] == ["pkube", "Ready", "<none>"]


def test_extra_node_agent_runs_its_own_pods_and_heartbeats(kube):
    agent = kube.popen([executable("pkubelet"), "node", "--name", "n2", "--heartbeat-interval", "1",
                        "--capacity", "cpu=2,memory=4Gi,pods=110", "--labels", "zone=b",
                        "--taints", "dedicated=test:NoSchedule"])
    kube.wait_for(lambda: kube.pk("get", "node", "n2").returncode == 0, message="node n2 registered")
    node = get(kube, "node", "n2")
    assert re.fullmatch(r"127\.244\.\d+\.0/24", node["spec"]["podCIDR"])
    assert node["spec"]["taints"] == [{"key": "dedicated", "value": "test", "effect": "NoSchedule"}]
    assert node["metadata"]["labels"]["zone"] == "b"
    assert node["status"]["capacity"]["cpu"] == "2"
    n2_ip = [a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"][0]
    assert n2_ip.startswith("127.0.1.")
    first = get(kube, "lease", "n2", "-n", "kube-node-lease")["spec"]["renewTime"]
    kube.wait_for(lambda: get(kube, "lease", "n2", "-n", "kube-node-lease")["spec"]["renewTime"] != first,
                  timeout=10, message="the lease renewed")
    kube.ok("apply", "-f", "-", input=yaml.safe_dump(pod("on-n2", "n2")))
    kube.wait_for(lambda: get(kube, "pod", "on-n2")["status"].get("phase") == "Running", message="pod on n2")
    st = get(kube, "pod", "on-n2")["status"]
    assert st["podIP"].startswith(node["spec"]["podCIDR"].rsplit(".", 1)[0] + ".") and st["hostIP"] == n2_ip
    # the default node's kubelet (this CLI's converge) leaves n2's pod alone
    uid = get(kube, "pod", "on-n2")["metadata"]["uid"]
    assert os.path.exists(os.path.join(kube.home, "pods", uid))
    kube.ok("delete", "pod", "on-n2", "--wait=false")
    kube.wait_for(lambda: kube.pk("get", "pod", "on-n2").returncode == 1, message="n2 removed its pod")
    agent.terminate()
    agent.wait(10)


def test_node_agent_stops_pods_no_longer_bound_to_it(kube):
    agent = kube.popen([executable("pkubelet"), "node", "--name", "n3", "--heartbeat-interval", "1"])
    kube.wait_for(lambda: kube.pk("get", "node", "n3").returncode == 0, message="node n3 registered")
    kube.ok("apply", "-f", "-", input=yaml.safe_dump(pod("evicted", "n3")))
    kube.wait_for(lambda: get(kube, "pod", "evicted")["status"].get("phase") == "Running", message="running")
    uid = get(kube, "pod", "evicted")["metadata"]["uid"]
    agent.terminate()
    agent.wait(10)
    # while the agent is away its pod is removed (as an eviction would); the process still runs
    kube.ok("delete", "pod", "evicted", "--grace-period=0", "--force")
    assert os.path.exists(os.path.join(kube.home, "pods", uid))
    kube.popen([executable("pkubelet"), "node", "--name", "n3", "--heartbeat-interval", "1"])
    kube.wait_for(lambda: not os.path.exists(os.path.join(kube.home, "pods", uid)), timeout=20,
                  message="the returning agent cleaned up")


def test_simulated_nodes_report_pods_running(kube):
    kube.popen([executable("pkubelet"), "simulate", "--nodes", "3", "--heartbeat-interval", "1"])
    kube.wait_for(lambda: len(get(kube, "nodes", "-l", "pkube.io/simulated=true")["items"]) == 3,
                  message="3 simulated nodes")
    kube.ok("apply", "-f", "-", input=yaml.safe_dump(pod("fake", "sim-1")), env={"PKUBE_NO_CONVERGE": "1"})
    kube.wait_for(lambda: get(kube, "pod", "fake")["status"].get("phase") == "Running", message="reported")
    st = get(kube, "pod", "fake")["status"]
    assert st["containerStatuses"][0]["ready"] is True and st["podIP"]
    assert kube.ok("get", "pod", "fake", "--no-headers").split()[1:3] == ["1/1", "Running"]
