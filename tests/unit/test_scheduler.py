"""The scheduler against the Api with Node objects created by hand (no kubelet)."""
from __future__ import annotations

import pytest

from pkubectl.api import registry
from pkubectl.api.server import Api
from pkubectl.scheduler import locking, scheduler
from state.store import Store

POD = registry.by_kind("Pod")
NODE = registry.by_kind("Node")


@pytest.fixture
def api(tmp_path):
    a = Api(Store(str(tmp_path / "home")))
    yield a
    a.store.close()


def node(api, name, cpu="4", memory="8Gi", pods="110", ready="True", labels=None, taints=None,
         unschedulable=False):
    obj = {"apiVersion": "v1", "kind": "Node",
           "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
           "spec": {}, "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": pods},
                                  "capacity": {"cpu": cpu, "memory": memory, "pods": pods}}}
    if ready is not None:
        obj["status"]["conditions"] = [{"type": "Ready", "status": ready}]
    if taints:
        obj["spec"]["taints"] = taints
    if unschedulable:
        obj["spec"]["unschedulable"] = True
    created = api.create(obj)
    created["status"] = obj["status"]
    return api.update_status(created)


def pod(api, name, cpu=None, memory=None, owner=None, node_name=None, phase=None, **spec):
    c = {"name": "c", "image": "busybox", "command": ["sleep", "1000"]}
    req = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    if req:
        c["resources"] = {"requests": req}
    meta = {"name": name, "namespace": "default"}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner,
                                    "uid": f"uid-{owner}", "controller": True}]
    body = {"containers": [c], **spec}
    if node_name:
        body["nodeName"] = node_name
    p = api.create({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": body})
    if phase:
        p["status"]["phase"] = phase
        p = api.update_status(p)
    return p


def get(api, name):
    return api.get(POD, "default", name)


def scheduled_condition(p):
    return next(c for c in p["status"]["conditions"] if c["type"] == "PodScheduled")


def events(api, name, reason=None):
    return [e for e in api.events_for(get(api, name)) if reason is None or e["reason"] == reason]


def failed_message(api, name):
    evs = events(api, name, "FailedScheduling")
    assert evs, "no FailedScheduling event"
    return evs[-1]["message"]


# -- binding ---------------------------------------------------------------------------
def test_binds_pending_pod_with_condition_and_event(api):
    node(api, "pkube")
    pod(api, "web-abc")
    assert scheduler.run_once(api) == 1
    p = get(api, "web-abc")
    assert p["spec"]["nodeName"] == "pkube"
    assert scheduled_condition(p)["status"] == "True"
    assert p["metadata"]["generation"] == 1  # a binding is not a spec update
    [ev] = events(api, "web-abc", "Scheduled")
    assert ev["type"] == "Normal"
    assert ev["message"] == "Successfully assigned default/web-abc to pkube"
    assert ev["source"]["component"] == "default-scheduler"


def test_second_pass_with_nothing_new_changes_nothing(api):
    node(api, "pkube")
    pod(api, "a")
    assert scheduler.run_once(api) == 1
    assert scheduler.run_once(api) == 0


def test_other_scheduler_and_bound_pods_are_left_alone(api):
    node(api, "pkube")
    pod(api, "mine", schedulerName="my-scheduler")
    assert scheduler.run_once(api) == 0
    assert not get(api, "mine")["spec"].get("nodeName")


def test_scheduling_gated_pod_waits(api):
    node(api, "pkube")
    pod(api, "gated", schedulingGates=[{"name": "example.com/wait"}])
    scheduler.run_once(api)
    assert not get(api, "gated")["spec"].get("nodeName")


# -- failure messages ------------------------------------------------------------------
def test_no_nodes(api):
    pod(api, "web")
    assert scheduler.run_once(api) == 1
    cond = scheduled_condition(get(api, "web"))
    assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
    assert cond["message"] == failed_message(api, "web") == "no nodes available to schedule pods"


def test_unschedulable_and_insufficient_cpu_message(api):
    node(api, "n1", unschedulable=True)
    node(api, "n2", cpu="1")
    node(api, "n3", cpu="1")
    pod(api, "big", cpu="2")
    scheduler.run_once(api)
    msg = failed_message(api, "big")
    assert msg == ("0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu. "
                   "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
                   "2 No preemption victims found for incoming pod.")
    ev = events(api, "big", "FailedScheduling")[0]
    assert ev["type"] == "Warning" and ev["source"]["component"] == "default-scheduler"


def test_all_unresolvable_message(api):
    for n in ("a", "b", "c"):
        node(api, n, unschedulable=True)
    pod(api, "p")
    scheduler.run_once(api)
    assert failed_message(api, "p") == (
        "0/3 nodes are available: 3 node(s) were unschedulable. preemption: 0/3 nodes are available: "
        "3 Preemption is not helpful for scheduling.")


def test_preemption_policy_never(api):
    node(api, "n1", cpu="1")
    pod(api, "p", cpu="2", preemptionPolicy="Never")
    scheduler.run_once(api)
    assert failed_message(api, "p") == ("0/1 nodes are available: 1 Insufficient cpu. "
                                        "preemption: not eligible due to preemptionPolicy=Never.")


def test_reasons_sorted_as_strings_like_go(api):
    for i in range(10):
        node(api, f"n{i:02d}", cpu="1")
    node(api, "z", unschedulable=True)
    pod(api, "p", cpu="2")
    scheduler.run_once(api)
    assert failed_message(api, "p").startswith(
        "0/11 nodes are available: 1 node(s) were unschedulable, 10 Insufficient cpu.")


def test_several_insufficient_resources_per_node(api):
    node(api, "n1", cpu="1", memory="1Gi")
    pod(api, "p", cpu="2", memory="2Gi")
    scheduler.run_once(api)
    assert failed_message(api, "p").startswith("0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.")


def test_unchanged_verdict_is_not_rewritten_and_retried_when_nodes_change(api):
    node(api, "small", cpu="1")
    pod(api, "p", cpu="2")
    assert scheduler.run_once(api) == 1
    rv = get(api, "p")["metadata"]["resourceVersion"]
    pod(api, "unrelated-bound", node_name="small")  # revision moves; verdict stays the same
    assert scheduler.run_once(api) == 0
    assert get(api, "p")["metadata"]["resourceVersion"] == rv
    assert events(api, "p", "FailedScheduling")[0]["count"] == 1
    node(api, "big", cpu="4")
    assert scheduler.run_once(api) == 1
    p = get(api, "p")
    assert p["spec"]["nodeName"] == "big"
    assert scheduled_condition(p)["status"] == "True"


def test_not_ready_node_is_skipped_through_its_taint(api):
    node(api, "down", ready="False")
    node(api, "unknown", ready="Unknown")
    pod(api, "p")
    scheduler.run_once(api)
    assert failed_message(api, "p").startswith("0/2 nodes are available: 2 node(s) had untolerated taint(s).")
    node(api, "up")
    scheduler.run_once(api)
    assert get(api, "p")["spec"]["nodeName"] == "up"


# -- filters ---------------------------------------------------------------------------
@pytest.mark.parametrize("toleration, ok", [
    ({"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}, True),
    ({"key": "dedicated", "value": "gpu"}, True),                         # '' operator = Equal, any effect
    ({"key": "dedicated", "operator": "Equal", "value": "cpu"}, False),
    ({"key": "dedicated", "operator": "Exists"}, True),
    ({"operator": "Exists"}, True),                                       # empty key: every taint
    ({"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}, False),
    ({"key": "other", "operator": "Exists"}, False),
])
def test_taint_toleration(api, toleration, ok):
    node(api, "gpu", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    pod(api, "p", tolerations=[toleration])
    scheduler.run_once(api)
    assert (get(api, "p")["spec"].get("nodeName") == "gpu") is ok


def test_no_execute_taint_blocks_and_prefer_no_schedule_only_scores(api):
    node(api, "a", taints=[{"key": "k", "value": "v", "effect": "NoExecute"}])
    node(api, "b", taints=[{"key": "k", "value": "v", "effect": "PreferNoSchedule"}])
    node(api, "c")
    pod(api, "p")
    scheduler.run_once(api)
    assert get(api, "p")["spec"]["nodeName"] == "c"


def test_cordoned_node_tolerated_by_unschedulable_toleration(api):
    node(api, "n", unschedulable=True)
    pod(api, "ds", tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists",
                                 "effect": "NoSchedule"}])
    scheduler.run_once(api)
    assert get(api, "ds")["spec"]["nodeName"] == "n"


def test_node_selector(api):
    node(api, "ssd", labels={"disk": "ssd"})
    node(api, "hdd", labels={"disk": "hdd"})
    pod(api, "p", nodeSelector={"disk": "ssd"})
    pod(api, "q", nodeSelector={"disk": "nvme"})
    scheduler.run_once(api)
    assert get(api, "p")["spec"]["nodeName"] == "ssd"
    assert failed_message(api, "q").startswith(
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.")


def required(*terms):
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}


@pytest.mark.parametrize("expr, want", [
    ({"key": "zone", "operator": "In", "values": ["b", "c"]}, "nb"),
    ({"key": "zone", "operator": "NotIn", "values": ["a"]}, "nb"),
    ({"key": "gpu", "operator": "Exists"}, "nb"),
    ({"key": "gpu", "operator": "DoesNotExist"}, "na"),
    ({"key": "cores", "operator": "Gt", "values": ["8"]}, "nb"),
    ({"key": "cores", "operator": "Lt", "values": ["8"]}, "na"),
])
def test_required_node_affinity_operators(api, expr, want):
    node(api, "na", labels={"zone": "a", "cores": "4"})
    node(api, "nb", labels={"zone": "b", "cores": "16", "gpu": "yes"})
    pod(api, "p", affinity=required({"matchExpressions": [expr]}))
    scheduler.run_once(api)
    assert get(api, "p")["spec"]["nodeName"] == want


def test_terms_are_ored_and_match_fields_by_name(api):
    node(api, "na", labels={"zone": "a"})
    node(api, "nb", labels={"zone": "b"})
    pod(api, "p", affinity=required({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["x"]}]},
                                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["nb"]}]}))
    scheduler.run_once(api)
    assert get(api, "p")["spec"]["nodeName"] == "nb"


def test_resources_count_bound_pods_but_not_terminated_ones(api):
    node(api, "n", cpu="1")
    pod(api, "running", cpu="600m", node_name="n")
    pod(api, "done", cpu="600m", node_name="n", phase="Succeeded")
    pod(api, "p", cpu="500m")
    scheduler.run_once(api)
    assert failed_message(api, "p").startswith("0/1 nodes are available: 1 Insufficient cpu.")
    pod(api, "q", cpu="400m")
    scheduler.run_once(api)
    assert get(api, "q")["spec"]["nodeName"] == "n"


def test_init_container_max_counts(api):
    node(api, "n", cpu="1")
    pod(api, "p", cpu="100m",
        initContainers=[{"name": "init", "image": "busybox", "command": ["true"],
                         "resources": {"requests": {"cpu": "2"}}}])
    scheduler.run_once(api)
    assert "Insufficient cpu" in failed_message(api, "p")


def test_too_many_pods(api):
    node(api, "n", pods="1")
    pod(api, "a")
    pod(api, "b")
    scheduler.run_once(api)
    placed = [get(api, n)["spec"].get("nodeName") for n in ("a", "b")]
    assert placed == ["n", None]
    assert failed_message(api, "b").startswith("0/1 nodes are available: 1 Too many pods.")


def test_host_port_conflict(api):
    node(api, "n")
    ports = [{"containerPort": 80, "hostPort": 8080}]
    for name in ("a", "b"):
        api.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                    "spec": {"containers": [{"name": "c", "image": "busybox", "ports": ports}]}})
    scheduler.run_once(api)
    assert get(api, "a")["spec"]["nodeName"] == "n"
    assert failed_message(api, "b").startswith(
        "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.")


# -- scores ----------------------------------------------------------------------------
def test_spreads_pods_of_one_owner(api):
    for n in ("n1", "n2", "n3"):
        node(api, n)
    for i in range(6):
        pod(api, f"web-{i}", owner="web")
    scheduler.run_once(api)
    placed = [get(api, f"web-{i}")["spec"]["nodeName"] for i in range(6)]
    assert sorted(placed.count(n) for n in ("n1", "n2", "n3")) == [2, 2, 2]


def test_prefers_least_allocated_node(api):
    node(api, "busy")
    node(api, "idle")
    pod(api, "hog", cpu="3", node_name="busy")
    pod(api, "p", cpu="100m")
    scheduler.run_once(api)
    assert get(api, "p")["spec"]["nodeName"] == "idle"


def test_preferred_node_affinity(api):
    node(api, "a", labels={"tier": "x"})
    node(api, "b", labels={"tier": "y"})
    pod(api, "p", affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 50, "preference": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["y"]}]}}]}})
    scheduler.run_once(api)
    assert get(api, "p")["spec"]["nodeName"] == "b"


def test_higher_priority_goes_first(api):
    node(api, "n", cpu="1")
    pod(api, "low", cpu="800m")
    pod(api, "high", cpu="800m", priority=1000)
    scheduler.run_once(api)
    assert get(api, "high")["spec"]["nodeName"] == "n"
    assert not get(api, "low")["spec"].get("nodeName")


# -- lock ------------------------------------------------------------------------------
def test_pass_waits_for_the_lock_and_gives_up_after_timeout(api, monkeypatch):
    node(api, "n")
    pod(api, "p")
    monkeypatch.setattr(scheduler, "LOCK_TIMEOUT", 0.1)
    with locking.hold(api.store.home, "scheduler.lock") as held:
        assert held
        assert scheduler.run_once(api) == 0
    assert scheduler.run_once(api) == 1


def test_bind_conflicts(api):
    node(api, "n")
    p = pod(api, "p")
    api.bind(p, "n")
    with pytest.raises(Exception) as e:
        api.bind(p, "n")
    assert e.value.code == 409
