"""Controller arithmetic: rounding of maxSurge/maxUnavailable, template hashing and
ReplicaSet names, the order in which surplus pods are deleted, proportional scaling."""
from __future__ import annotations

import re

import pytest

from pkubectl.controllers import common, deployment, replicaset


@pytest.mark.parametrize("value,total,up,expected", [
    (2, 10, True, 2), ("25%", 10, True, 3), ("25%", 10, False, 2), ("25%", 3, True, 1), ("25%", 3, False, 0),
    ("100%", 7, False, 7), ("0%", 7, True, 0), ("33%", 10, True, 4), ("33%", 10, False, 3), ("5", 10, True, 5),
])
def test_int_or_percent_rounding(value, total, up, expected):
    assert common.int_or_percent(value, total, up) == expected


def _deploy(replicas=10, surge="25%", unavailable="25%", strategy="RollingUpdate"):
    d = {"metadata": {"name": "web", "generation": 1},
         "spec": {"replicas": replicas, "strategy": {"type": strategy}}}
    if strategy == "RollingUpdate":
        d["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return d


@pytest.mark.parametrize("replicas,surge,unavailable,expected", [
    (10, "25%", "25%", (3, 2)),   # surge rounds up, unavailable down
    (3, "25%", "25%", (1, 0)),
    (4, 0, "10%", (0, 1)),        # both 0 after rounding -> unavailable 1
    (1, 1, 0, (1, 0)),
    (5, "50%", 2, (3, 2)),
])
def test_fenceposts(replicas, surge, unavailable, expected):
    d = _deploy(replicas, surge, unavailable)
    assert (deployment.max_surge(d), deployment.max_unavailable(d)) == expected


def test_recreate_has_no_surge_or_unavailability():
    d = _deploy(strategy="Recreate")
    assert deployment.max_surge(d) == 0 and deployment.max_unavailable(d) == 0


def test_max_unavailable_capped_at_replicas_and_zero_for_zero_replicas():
    assert deployment.max_unavailable(_deploy(2, 0, 5)) == 2
    assert deployment.max_unavailable(_deploy(0, 1, 1)) == 0


TEMPLATE = {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "busybox"}]}}


def test_hash_shape_and_stability():
    h = deployment.compute_hash(TEMPLATE)
    assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{6,10}", h)
    assert h == deployment.compute_hash(dict(TEMPLATE))
    other = {**TEMPLATE, "spec": {"containers": [{"name": "web", "image": "busybox:1.36"}]}}
    assert deployment.compute_hash(other) != h
    assert deployment.compute_hash(TEMPLATE, 1) != h != deployment.compute_hash(TEMPLATE, 0)


def test_safe_encode_and_fnv():
    assert deployment.fnv32a(b"") == 0x811C9DC5
    assert deployment.fnv32a(b"a") == 0xE40C292C  # FNV-1a test vector
    assert deployment.safe_encode("0123456789") == "".join(
        deployment.SAFE_ALPHABET[ord(c) % 27] for c in "0123456789")


def test_equal_ignore_hash():
    with_hash = {"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}}, "spec": TEMPLATE["spec"]}
    assert deployment.equal_ignore_hash(with_hash, TEMPLATE)
    assert not deployment.equal_ignore_hash(with_hash, {**TEMPLATE, "spec": {}})


def _pod(name, node="n1", phase="Running", ready=True, ready_at="2024-01-01T00:00:00Z", restarts=0,
         created="2024-01-01T00:00:00Z", cost=None):
    pod = {"metadata": {"name": name, "uid": name, "creationTimestamp": created},
           "spec": {"nodeName": node} if node else {},
           "status": {"phase": phase,
                      "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                      "lastTransitionTime": ready_at}],
                      "containerStatuses": [{"name": "c", "restartCount": restarts}]}}
    if cost is not None:
        pod["metadata"]["annotations"] = {replicaset.DELETION_COST: str(cost)}
    return pod


def _order(pods, related=None):
    return [p["metadata"]["name"] for p in replicaset.pods_to_delete(pods, related or pods, len(pods))]


def test_surplus_order_unscheduled_pending_unknown_running():
    pods = [_pod("running"), _pod("unknown", phase="Unknown"), _pod("pending", phase="Pending"),
            _pod("unscheduled", node="", phase="Pending")]
    assert _order(pods) == ["unscheduled", "pending", "unknown", "running"]


def test_surplus_order_not_ready_first_then_cost_then_doubled_up():
    pods = [_pod("ready"), _pod("notready", ready=False)]
    assert _order(pods) == ["notready", "ready"]
    pods = [_pod("expensive", cost=100), _pod("cheap", cost=-5)]
    assert _order(pods) == ["cheap", "expensive"]
    alone = _pod("alone", node="n2")
    crowded = [_pod("crowded-a"), _pod("crowded-b")]
    assert _order([alone, *crowded])[-1] == "alone"


def test_surplus_order_newest_ready_then_restarts_then_newest_created():
    pods = [_pod("old-ready", ready_at="2024-01-01T00:00:00Z"), _pod("new-ready", ready_at="2024-01-02T00:00:00Z")]
    assert _order(pods) == ["new-ready", "old-ready"]
    pods = [_pod("calm", restarts=0), _pod("crashy", restarts=5)]
    assert _order(pods) == ["crashy", "calm"]
    pods = [_pod("older", created="2024-01-01T00:00:00Z"), _pod("newer", created="2024-01-03T00:00:00Z")]
    assert _order(pods) == ["newer", "older"]


def test_pod_from_template_names_and_owner():
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": "web-abc", "namespace": "default", "uid": "u1"},
          "spec": {"template": {"metadata": {"labels": {"app": "web"}, "annotations": {"a": "b"}},
                                "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    pod = replicaset.pod_from_template(rs)
    assert pod["metadata"]["generateName"] == "web-abc-"
    assert pod["metadata"]["labels"] == {"app": "web"} and pod["metadata"]["annotations"] == {"a": "b"}
    assert pod["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
                                                   "uid": "u1", "controller": True, "blockOwnerDeletion": True}]
    long_rs = {**rs, "metadata": {**rs["metadata"], "name": "x" * 70}}
    assert len(replicaset.pod_from_template(long_rs)["metadata"]["generateName"]) == 58


def test_pod_available_honours_min_ready_seconds():
    pod = _pod("p", ready_at=common.rfc3339(1000))
    assert common.pod_available(pod, 0, at=1000)
    assert not common.pod_available(pod, 10, at=1005)
    assert common.pod_available(pod, 10, at=1010)
    assert not common.pod_available(_pod("q", ready=False), 0)


def test_new_rs_new_replicas_respects_surge():
    d = _deploy(10, "25%", "25%")
    old = {"metadata": {"name": "old"}, "spec": {"replicas": 10}}
    new = {"metadata": {"name": "new"}, "spec": {"replicas": 0}}
    assert deployment.new_rs_new_replicas(d, [old, new], new) == 3
    old["spec"]["replicas"] = 8
    new["spec"]["replicas"] = 3
    assert deployment.new_rs_new_replicas(d, [old, new], new) == 5
    assert deployment.new_rs_new_replicas(_deploy(10, strategy="Recreate"), [old, new], new) == 10


def test_rs_annotations_revision_history():
    d = {"metadata": {"name": "web", "annotations": {"kubernetes.io/change-cause": "why",
                                                     deployment.REVISION: "3"}},
         "spec": {"replicas": 3, "strategy": {"type": "RollingUpdate",
                                              "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}}}
    rs = {"metadata": {"annotations": {deployment.REVISION: "1"}}, "spec": {"replicas": 0}}
    assert deployment.set_new_rs_annotations(d, rs, "4", exists=True)
    ann = rs["metadata"]["annotations"]
    assert ann[deployment.REVISION] == "4" and ann[deployment.REVISION_HISTORY] == "1"
    assert ann["kubernetes.io/change-cause"] == "why"
    deployment.set_new_rs_annotations(d, rs, "6", exists=True)
    assert ann[deployment.REVISION_HISTORY] == "1,4"
    fresh = {"metadata": {}, "spec": {"replicas": 0}}
    deployment.set_new_rs_annotations(d, fresh, "1", exists=False)
    assert fresh["metadata"]["annotations"][deployment.DESIRED_REPLICAS] == "3"
    assert fresh["metadata"]["annotations"][deployment.MAX_REPLICAS] == "4"


def test_proportion_distributes_by_max_replicas_annotation():
    d = _deploy(20, 3, 2)  # was 10 (+3 surge = 13)
    rs = {"metadata": {"name": "a", "annotations": {deployment.MAX_REPLICAS: "13"}}, "spec": {"replicas": 7}}
    # 7 * 23 / 13 = 12.38 -> 12, so +5 (capped by what is left to add)
    assert deployment.get_proportion(rs, d, 10, 0) == 5
    assert deployment.get_proportion(rs, d, 10, 8) == 2


# -- rollout status viewers (pkubectl/cli/workloads.py) ---------------------------------------------
def _viewer_deploy(generation=2, observed=2, replicas=3, updated=3, total=3, available=3, reason=None):
    d = {"metadata": {"name": "web", "generation": generation, "annotations": {"deployment.kubernetes.io/revision": "2"}},
         "spec": {"replicas": replicas},
         "status": {"observedGeneration": observed, "updatedReplicas": updated, "replicas": total,
                    "availableReplicas": available}}
    if reason:
        d["status"]["conditions"] = [{"type": "Progressing", "reason": reason}]
    return d


@pytest.mark.parametrize("kw,expected", [
    (dict(observed=1), ("Waiting for deployment spec update to be observed...", False)),
    (dict(updated=1), ('Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been '
                       "updated...", False)),
    (dict(total=4), ('Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
                     False)),
    (dict(available=2), ('Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are '
                         "available...", False)),
    (dict(), ('deployment "web" successfully rolled out', True)),
])
def test_deployment_status_viewer(kw, expected):
    from pkubectl.cli import workloads
    assert workloads.deployment_status(_viewer_deploy(**kw), 0) == expected


def test_deployment_status_viewer_errors():
    from pkubectl.cli import workloads
    from pkubectl.cli.common import CliError
    with pytest.raises(CliError, match='deployment "web" exceeded its progress deadline'):
        workloads.deployment_status(_viewer_deploy(reason="ProgressDeadlineExceeded"), 0)
    with pytest.raises(CliError, match=r"desired revision \(3\) is different from the running revision \(2\)"):
        workloads.deployment_status(_viewer_deploy(), 3)


def test_daemonset_and_statefulset_status_viewers():
    from pkubectl.cli import workloads
    ds = {"metadata": {"name": "x", "generation": 1}, "spec": {"updateStrategy": {"type": "RollingUpdate"}},
          "status": {"observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 2,
                     "numberAvailable": 1}}
    assert workloads.daemonset_status(ds, 0) == (
        'Waiting for daemon set "x" rollout to finish: 2 out of 3 new pods have been updated...', False)
    ds["status"]["updatedNumberScheduled"] = 3
    assert workloads.daemonset_status(ds, 0)[0] == \
        'Waiting for daemon set "x" rollout to finish: 1 of 3 updated pods are available...'
    ds["status"]["numberAvailable"] = 3
    assert workloads.daemonset_status(ds, 0) == ('daemon set "x" successfully rolled out', True)
    sts = {"metadata": {"name": "db", "generation": 1},
           "spec": {"replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}},
           "status": {"observedGeneration": 1, "readyReplicas": 1, "updatedReplicas": 1}}
    assert workloads.statefulset_status(sts, 0) == ("Waiting for 2 pods to be ready...", False)
    sts["status"]["readyReplicas"] = 3
    assert workloads.statefulset_status(sts, 0) == (
        "Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated...", False)
    sts["status"]["updatedReplicas"] = 3
    assert workloads.statefulset_status(sts, 0) == ("partitioned roll out complete: 3 new pods have been updated...",
                                                    True)
    del sts["spec"]["updateStrategy"]["rollingUpdate"]
    sts["status"].update(currentRevision="db-1", updateRevision="db-2", currentReplicas=3)
    assert workloads.statefulset_status(sts, 0) == (
        "waiting for statefulset rolling update to complete 3 pods at revision db-2...", False)
    sts["spec"]["updateStrategy"] = {"type": "OnDelete"}
    from pkubectl.cli.common import CliError
    with pytest.raises(CliError, match="rollout status is only available for RollingUpdate strategy type"):
        workloads.statefulset_status(sts, 0)
