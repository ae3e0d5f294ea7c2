"""Node lifecycle: silent nodes become Unknown and tainted, taints follow conditions and
cordon, the taint manager evicts by tolerationSeconds, pod GC finishes pods on dead nodes."""
from __future__ import annotations

import json
import os
import time

import pytest

from pkubectl.api import registry
from pkubectl.api.server import Api
from pkubectl.controllers import common, nodelifecycle as nl, podgc
from state.store import Store

NODE = registry.lookup("nodes")
POD = registry.lookup("pods")
LEASE = registry.lookup("leases")
STAMP = "2024-01-01T00:00:00Z"


def node(conds=None, taints=None, unschedulable=False) -> dict:
    n = {"metadata": {"name": "n1", "creationTimestamp": STAMP}, "spec": {}, "status": {"conditions": [
        {"type": t, "status": s} for t, s in (conds or {}).items()]}}
    if taints:
        n["spec"]["taints"] = taints
    if unschedulable:
        n["spec"]["unschedulable"] = True
    return n


def keys(taints) -> list:
    return sorted((t["key"], t["effect"]) for t in taints)


def test_taints_follow_conditions():
    assert nl.desired_taints(node({"Ready": "True"}), STAMP) == []
    assert keys(nl.desired_taints(node({"Ready": "False"}), STAMP)) == [
        ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/not-ready", "NoSchedule")]
    got = nl.desired_taints(node({"Ready": "Unknown"}), STAMP)
    assert keys(got) == [("node.kubernetes.io/unreachable", "NoExecute"),
                         ("node.kubernetes.io/unreachable", "NoSchedule")]
    assert [t.get("timeAdded") for t in got if t["effect"] == "NoExecute"] == [STAMP]
    assert keys(nl.desired_taints(node({"Ready": "True", "MemoryPressure": "True"}), STAMP)) == [
        ("node.kubernetes.io/memory-pressure", "NoSchedule")]
    assert keys(nl.desired_taints(node({"Ready": "True"}, unschedulable=True), STAMP)) == [
        ("node.kubernetes.io/unschedulable", "NoSchedule")]


def test_foreign_taints_kept_and_times_preserved():
    mine = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2020-01-01T00:00:00Z"}
    other = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    got = nl.desired_taints(node({"Ready": "Unknown"}, taints=[other, mine]), STAMP)
    assert other in got and mine in got
    # recovery removes only ours
    assert nl.desired_taints(node({"Ready": "True"}, taints=[other, mine]), STAMP) == [other]


def test_eviction_time():
    taint = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2024-01-01T00:00:00Z"}
    added = common.parse_time(taint["timeAdded"])
    default = {"spec": {"tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                         "effect": "NoExecute", "tolerationSeconds": 300}]}}
    assert nl.eviction_time(default, [taint]) == added + 300
    forever = {"spec": {"tolerations": [{"operator": "Exists"}]}}
    assert nl.eviction_time(forever, [taint]) is None
    assert nl.eviction_time({"spec": {}}, [taint]) == 0.0
    assert nl.eviction_time({"spec": {}}, [{"key": "x", "effect": "NoSchedule"}]) is None


def test_unknown_conditions_keep_heartbeat():
    n = node({"Ready": "True"})
    n["status"]["conditions"][0]["lastHeartbeatTime"] = "2023-12-31T23:59:00Z"
    conds = {c["type"]: c for c in nl.unknown_conditions(n, STAMP)}
    ready = conds["Ready"]
    assert (ready["status"], ready["reason"], ready["message"]) == \
        ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert ready["lastHeartbeatTime"] == "2023-12-31T23:59:00Z" and ready["lastTransitionTime"] == STAMP
    assert set(conds) == {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"}


@pytest.fixture
def api(tmp_path, monkeypatch):
    monkeypatch.setenv("PKUBE_NODE_MONITOR_GRACE", "2")
    return Api(Store(str(tmp_path / "home")))


def register(api, name: str, heartbeat: float) -> None:
    stamp = common.rfc3339(heartbeat)
    api.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": {}})
    n = api.get(NODE, None, name)
    n["status"] = {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                   "lastHeartbeatTime": stamp, "lastTransitionTime": stamp}]}
    api.update_status(n)
    api.create({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": "kube-node-lease"},
                "spec": {"holderIdentity": name, "renewTime": stamp}})


def make_pod(api, name: str, node_name: str, tolerations=None) -> dict:
    spec = {"nodeName": node_name, "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "c", "image": "busybox"}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return api.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})


def test_silent_node_goes_unknown_and_pods_are_evicted(api, monkeypatch):
    monkeypatch.setenv("PKUBE_POD_EVICTION_TIMEOUT", "0")
    register(api, "n1", time.time() - 100)
    make_pod(api, "doomed", "n1")
    nl.sync(api)  # first pass: the controller just started watching, so it waits a grace period
    assert common.pod_condition(api.get(NODE, None, "n1"), "Ready")["status"] == "True"
    # ... as if it had been watching for a while
    with open(os.path.join(api.store.home, "controllers", nl.STATE_FILE), "w") as f:
        json.dump({"last_pass": time.time(), "resumed": time.time() - 100}, f)
    nl.sync(api)
    n = api.get(NODE, None, "n1")
    assert common.pod_condition(n, "Ready")["reason"] == "NodeStatusUnknown"
    assert keys(n["spec"]["taints"]) == [("node.kubernetes.io/unreachable", "NoExecute"),
                                         ("node.kubernetes.io/unreachable", "NoSchedule")]
    nl.sync(api)
    pod = api.try_get(POD, "default", "doomed")
    assert pod is None or pod["metadata"].get("deletionTimestamp")
    events = [(e["reason"], e["message"]) for e in api.list(registry.lookup("events"), "default")[0]
              for e in [e] if e["involvedObject"]["name"] == "doomed"]
    assert ("TaintManagerEviction", "Marking for deletion Pod default/doomed") in events
    # the kubelet is gone: pod GC force-deletes once the grace period is over
    podgc.sync(api)
    assert api.try_get(POD, "default", "doomed") is None


def test_recovered_node_loses_taints(api):
    register(api, "n1", time.time())
    n = api.get(NODE, None, "n1")
    n["spec"]["taints"] = [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": STAMP}]
    api.update(n)
    nl.sync(api)
    assert not api.get(NODE, None, "n1")["spec"].get("taints")


def test_default_tolerations_follow_env(api, monkeypatch):
    monkeypatch.setenv("PKUBE_POD_EVICTION_TIMEOUT", "7")
    register(api, "n1", time.time())
    p = make_pod(api, "p", "n1")
    assert {t["tolerationSeconds"] for t in p["spec"]["tolerations"]} == {7}
