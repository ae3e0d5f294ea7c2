"""The controllers pass by pass, against a real store and API, with a fake kubelet that
binds pods, marks them Ready and finishes graceful deletions. No processes start, so
every intermediate state can be checked: the rolling-update bounds after every single
pass, Recreate never overlapping, revision history, progress deadline, adoption, the
garbage collector and namespace deletion."""
from __future__ import annotations

import copy
import time

import pytest

from pkubectl.api import registry
from pkubectl.api.server import Api
from pkubectl.controllers import deployment, garbagecollector, manager, namespace, replicaset
from state.store import Store

DEPLOY = registry.lookup("deployments")
RS = registry.lookup("replicasets")
POD = registry.lookup("pods")


@pytest.fixture
def api(tmp_path):
    return Api(Store(str(tmp_path / "home")))


def make_deploy(name="web", replicas=3, image="busybox", strategy=None, **spec):
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                  "template": {"metadata": {"labels": {"app": name}},
                               "spec": {"containers": [{"name": "c", "image": image, "command": ["sleep", "1"]}]}},
                  **spec}}
    if strategy:
        d["spec"]["strategy"] = strategy
    return d


def fake_kubelet(api, ready=lambda pod: True) -> int:
    """Bind, start (Running + Ready) and finish deleting pods: a kubelet without processes."""
    writes = 0
    for pod in api.list(POD, None)[0]:
        meta = pod["metadata"]
        if meta.get("deletionTimestamp"):
            api.delete(POD, meta["namespace"], meta["name"], grace=0)
            writes += 1
        elif not pod["spec"].get("nodeName"):
            api.bind(pod, "n1")
            writes += 1
        elif pod["status"].get("phase") != "Running" and ready(pod):
            pod["status"]["phase"] = "Running"
            pod["status"]["conditions"] = [*pod["status"].get("conditions", []),
                                           {"type": "Ready", "status": "True",
                                            "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]
            api.update_status(pod)
            writes += 1
    return writes


def converge(api, kubelet=fake_kubelet, check=None, limit=200) -> int:
    passes = 0
    for passes in range(limit):
        changed = manager.run_once(api)
        if check:
            check()
        changed += kubelet(api)
        if check:
            check()
        if not changed:
            return passes
    raise AssertionError("did not converge")


def get_d(api, name="web"):
    return api.get(DEPLOY, "default", name)


def pods_of(api, app="web"):
    return [p for p in api.list(POD, "default")[0] if p["metadata"].get("labels", {}).get("app") == app]


def rss(api):
    return sorted(api.list(RS, "default")[0], key=deployment.revision_of)


def set_image(api, image, name="web"):
    d = get_d(api, name)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    api.update(d)


def test_create_converges_with_status_conditions_and_event(api):
    api.create(make_deploy())
    converge(api)
    d = get_d(api)
    st = d["status"]
    assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"], st["availableReplicas"]) == (3, 3, 3, 3)
    assert "unavailableReplicas" not in st and st["observedGeneration"] == 1
    conds = {c["type"]: c for c in st["conditions"]}
    assert conds["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
    [rs] = rss(api)
    h = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{h}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": h}
    assert d["metadata"]["annotations"][deployment.REVISION] == "1"
    assert rs["metadata"]["annotations"] == {deployment.REVISION: "1", deployment.DESIRED_REPLICAS: "3",
                                             deployment.MAX_REPLICAS: "4"}
    assert rs["status"] == {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
                            "observedGeneration": 1}
    for p in pods_of(api):
        assert p["metadata"]["name"].startswith(f"web-{h}-") and len(p["metadata"]["name"]) == len(f"web-{h}-") + 5
        assert p["metadata"]["labels"]["pod-template-hash"] == h
    messages = [e["message"] for e in api.events_for(d)]
    assert f"Scaled up replica set web-{h} to 3 from 0" in messages


@pytest.mark.parametrize("replicas,surge,unavailable", [(6, 2, 1), (5, "25%", "25%"), (4, 0, 1), (3, 1, 0)])
def test_rolling_update_stays_within_surge_and_unavailability(api, replicas, surge, unavailable):
    api.create(make_deploy(replicas=replicas, strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": surge, "maxUnavailable": unavailable}}))
    converge(api)
    d = get_d(api)
    max_surge, max_unavail = deployment.max_surge(d), deployment.max_unavailable(d)
    set_image(api, "busybox:1.36")
    seen = []

    def check():
        active = [p for p in pods_of(api) if not p["metadata"].get("deletionTimestamp")]
        ready = [p for p in active if any(c["type"] == "Ready" and c["status"] == "True"
                                          for c in p["status"].get("conditions", []))]
        seen.append((len(active), len(ready)))
        assert len(active) <= replicas + max_surge, seen
        assert len(ready) >= replicas - max_unavail, seen

    # readiness arrives slowly: one new pod per kubelet pass
    def slow_kubelet(api):
        budget = [1]

        def ready(pod):
            if budget[0]:
                budget[0] -= 1
                return True
            return False
        return fake_kubelet(api, ready)

    converge(api, kubelet=slow_kubelet, check=check)
    d = get_d(api)
    assert d["status"]["updatedReplicas"] == replicas and d["status"]["availableReplicas"] == replicas
    assert d["metadata"]["annotations"][deployment.REVISION] == "2"
    assert [r["spec"]["replicas"] for r in rss(api)] == [0, replicas]
    assert len(seen) > 4
    assert all(p["spec"]["containers"][0]["image"] == "busybox:1.36" for p in pods_of(api))


def test_recreate_never_overlaps_old_and_new_pods(api):
    api.create(make_deploy(replicas=3, strategy={"type": "Recreate"}))
    converge(api)
    old_hash = rss(api)[0]["metadata"]["labels"]["pod-template-hash"]
    set_image(api, "busybox:1.36")

    def check():
        hashes = {p["metadata"]["labels"]["pod-template-hash"] for p in pods_of(api)}
        assert not (old_hash in hashes and len(hashes) > 1), hashes

    converge(api, check=check)
    hashes = {p["metadata"]["labels"]["pod-template-hash"] for p in pods_of(api)}
    assert len(pods_of(api)) == 3 and old_hash not in hashes


def test_scaling_mid_rollout_is_proportional(api):
    api.create(make_deploy(replicas=10, strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": 3, "maxUnavailable": 2}}))
    converge(api)
    set_image(api, "busybox:1.36")
    # a rollout whose new pods never become ready: it stalls half way
    converge(api, kubelet=lambda a: fake_kubelet(a, ready=lambda p: p["spec"]["containers"][0]["image"] == "busybox"))
    sizes = sorted(r["spec"]["replicas"] for r in rss(api))
    assert sizes == [5, 8]  # new RS at surge, old RS down by maxUnavailable
    d = get_d(api)
    d["spec"]["replicas"] = 20
    api.update(d)
    converge(api, kubelet=lambda a: fake_kubelet(a, ready=lambda p: p["spec"]["containers"][0]["image"] == "busybox"))
    sizes = sorted(r["spec"]["replicas"] for r in rss(api))
    assert sum(sizes) == 23 and sizes[0] > 5 and sizes[1] > 8


def test_revision_history_limit_and_undo_annotations(api):
    api.create(make_deploy(replicas=1, revisionHistoryLimit=1))
    converge(api)
    for image in ("busybox:1", "busybox:2", "busybox:3"):
        set_image(api, image)
        converge(api)
    revs = sorted(int(r["metadata"]["annotations"][deployment.REVISION]) for r in rss(api))
    assert revs == [3, 4]
    assert get_d(api)["metadata"]["annotations"][deployment.REVISION] == "4"


def test_min_ready_seconds_delays_availability(api):
    api.create(make_deploy(replicas=2, minReadySeconds=1))
    converge(api)
    rs = rss(api)[0]
    assert rs["spec"]["minReadySeconds"] == 1
    assert rs["status"]["readyReplicas"] == 2 and rs["status"].get("availableReplicas", 0) == 0
    deadline = time.time() + 5
    while time.time() < deadline and get_d(api)["status"].get("availableReplicas", 0) < 2:
        time.sleep(0.2)
        converge(api)
    assert get_d(api)["status"]["availableReplicas"] == 2


def test_progress_deadline_exceeded(api):
    api.create(make_deploy(replicas=1, progressDeadlineSeconds=1))
    never_ready = lambda a: fake_kubelet(a, ready=lambda p: False)  # noqa: E731
    converge(api, kubelet=never_ready)
    cond = next(c for c in get_d(api)["status"]["conditions"] if c["type"] == "Progressing")
    assert cond["reason"] in ("ReplicaSetUpdated", "NewReplicaSetCreated")
    time.sleep(2.1)
    converge(api, kubelet=never_ready)
    st = get_d(api)["status"]
    cond = next(c for c in st["conditions"] if c["type"] == "Progressing")
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert cond["message"].endswith("has timed out progressing.")
    avail = next(c for c in st["conditions"] if c["type"] == "Available")
    assert avail["message"] == "Deployment does not have minimum availability."


def test_paused_deployment_does_not_roll_out_but_scales(api):
    api.create(make_deploy(replicas=2))
    converge(api)
    d = get_d(api)
    d["spec"]["paused"] = True
    api.update(d)
    converge(api)
    set_image(api, "busybox:9")
    d = get_d(api)
    d["spec"]["replicas"] = 4
    api.update(d)
    converge(api)
    assert [r["spec"]["replicas"] for r in rss(api)] == [4]
    cond = next(c for c in get_d(api)["status"]["conditions"] if c["type"] == "Progressing")
    assert (cond["status"], cond["reason"], cond["message"]) == ("Unknown", "DeploymentPaused", "Deployment is paused")
    d = get_d(api)
    d["spec"]["paused"] = False
    api.update(d)
    converge(api)
    assert sorted(r["spec"]["replicas"] for r in rss(api)) == [0, 4]


def test_replicaset_adopts_orphans_and_releases_mismatches(api):
    orphan = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stray", "labels": {"app": "rs"}},
              "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    api.create(orphan)
    api.create({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "rs"}},
                         "template": {"metadata": {"labels": {"app": "rs"}},
                                      "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})
    converge(api)
    pods = pods_of(api, "rs")
    assert len(pods) == 2 and "stray" in [p["metadata"]["name"] for p in pods]
    stray = api.get(POD, "default", "stray")
    assert stray["metadata"]["ownerReferences"][0]["name"] == "rs"
    stray["metadata"]["labels"] = {"app": "other"}
    api.update(stray)
    converge(api)
    assert "ownerReferences" not in api.get(POD, "default", "stray")["metadata"]
    assert len(pods_of(api, "rs")) == 2


def test_replicaset_replaces_deleted_pods_and_trims_surplus(api):
    api.create(make_deploy(replicas=3))
    converge(api)
    victim = pods_of(api)[0]["metadata"]["name"]
    api.delete(POD, "default", victim, grace=0)
    converge(api)
    names = [p["metadata"]["name"] for p in pods_of(api)]
    assert len(names) == 3 and victim not in names
    d = get_d(api)
    d["spec"]["replicas"] = 1
    api.update(d)
    converge(api)
    assert len(pods_of(api)) == 1
    assert any(e["message"].startswith("Scaled down replica set") and e["message"].endswith("to 1 from 3")
               for e in api.events_for(get_d(api)))


def test_gc_background_foreground_and_dangling(api):
    api.create(make_deploy(replicas=2))
    converge(api)
    api.delete(DEPLOY, "default", "web", propagation="Foreground")
    d = get_d(api)
    assert "foregroundDeletion" in d["metadata"]["finalizers"]
    converge(api)
    assert api.try_get(DEPLOY, "default", "web") is None
    assert rss(api) == [] and pods_of(api) == []
    # a dependent whose owner never existed
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": "ghost-rs", "ownerReferences": [
              {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ghost", "uid": "no-such-uid",
               "controller": True}]},
          "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "g"}},
                   "template": {"metadata": {"labels": {"app": "g"}},
                                "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    api.create(rs)
    converge(api)
    assert api.try_get(RS, "default", "ghost-rs") is None


def test_gc_keeps_live_owners_and_unknown_kinds(api):
    cm = api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}})
    for name, ref in (("child", {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
                                 "uid": cm["metadata"]["uid"]}),
                      ("foreign", {"apiVersion": "example.com/v1", "kind": "Widget", "name": "w", "uid": "x"})):
        api.create({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "ownerReferences": [ref]}})
    assert garbagecollector.sync(api) == 0
    api.delete(registry.lookup("configmaps"), "default", "owner")
    garbagecollector.sync(api)
    assert api.try_get(registry.lookup("configmaps"), "default", "child") is None
    assert api.try_get(registry.lookup("configmaps"), "default", "foreign") is not None


def test_orphan_delete_leaves_replicasets_and_pods(api):
    api.create(make_deploy(replicas=2))
    converge(api)
    api.delete(DEPLOY, "default", "web", propagation="Orphan")
    converge(api)
    [rs] = rss(api)
    assert "ownerReferences" not in rs["metadata"]
    assert len(pods_of(api)) == 2


def test_namespace_defaults_and_deletion(api):
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    converge(api)
    assert api.get(registry.lookup("serviceaccounts"), "shop", "default")
    cm = api.get(registry.lookup("configmaps"), "shop", "kube-root-ca.crt")
    assert "ca.crt" in cm["data"] and "kubernetes.io/description" in cm["metadata"]["annotations"]
    d = make_deploy(replicas=2)
    d["metadata"]["namespace"] = "shop"
    api.create(d)
    converge(api)
    api.delete(registry.lookup("namespaces"), None, "shop")
    ns = api.get(registry.lookup("namespaces"), None, "shop")
    assert ns["status"]["phase"] == "Terminating"
    namespace.sync(api)  # deletes content; bound pods wait for their kubelet
    ns = api.get(registry.lookup("namespaces"), None, "shop")
    remaining = next(c for c in ns["status"]["conditions"] if c["type"] == "NamespaceContentRemaining")
    assert remaining["reason"] == "SomeResourcesRemain" and "pods has 2 resource instances" in remaining["message"]
    converge(api)
    assert api.try_get(registry.lookup("namespaces"), None, "shop") is None
    assert api.list(POD, "shop")[0] == []


def test_manager_skips_pass_when_lock_is_held(api):
    from pkubectl.scheduler.locking import hold
    api.create(make_deploy(replicas=1))
    old = manager.LOCK_TIMEOUT
    manager.LOCK_TIMEOUT = 0.2
    try:
        with hold(api.store.home, "controllers.lock", 1) as held:
            assert held
            assert manager.run_once(api) == 0
    finally:
        manager.LOCK_TIMEOUT = old
    assert manager.run_once(api) > 0


def test_conflicting_writer_is_retried_next_pass(api, monkeypatch):
    api.create(make_deploy(replicas=2))
    real_update_status = api.update_status
    calls = {"n": 0}

    def flaky(obj):
        calls["n"] += 1
        if calls["n"] == 1:
            from pkubectl.api import errors
            raise errors.conflict("deployments.apps", obj["metadata"]["name"])
        return real_update_status(obj)
    monkeypatch.setattr(api, "update_status", flaky)
    converge(api)
    assert get_d(api)["status"]["availableReplicas"] == 2


def test_persistent_create_failure_is_reported_once_and_converges(api, monkeypatch):
    from pkubectl.api import errors
    real_create = api.create

    def refuse_pods(obj, *a, **kw):
        if obj.get("kind") == "Pod":
            raise errors.forbidden('pods "web-x" is forbidden: exceeded quota: q')
        return real_create(obj, *a, **kw)
    monkeypatch.setattr(api, "create", refuse_pods)
    api.create(make_deploy(replicas=2))
    converge(api)  # quiet even though pods can never be made
    [rs] = rss(api)
    cond = rs["status"]["conditions"][0]
    assert (cond["type"], cond["reason"]) == ("ReplicaFailure", "FailedCreate")
    assert cond["message"].startswith("Error creating: ")
    failed = [e for e in api.events_for(rs) if e["reason"] == "FailedCreate"]
    assert len(failed) == 1 and failed[0]["count"] == 1
    d_cond = next(c for c in get_d(api)["status"]["conditions"] if c["type"] == "ReplicaFailure")
    assert d_cond["message"] == cond["message"]
