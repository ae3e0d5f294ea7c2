"""Job, DaemonSet and StatefulSet controllers pass by pass against a real store, with pods
finished by hand (no processes): counting through the tracking finalizer, back-off,
backoffLimit, deadlines, indexed completions, suspend, TTL; daemon placement; ordered
StatefulSet creation."""
from __future__ import annotations

import copy

import pytest

from pkubectl.api import registry
from pkubectl.api.server import Api
from pkubectl.controllers import common, daemonset, job, statefulset
from state.store import Store

JOB = registry.lookup("jobs")
POD = registry.lookup("pods")


@pytest.fixture
def api(tmp_path):
    return Api(Store(str(tmp_path / "home")))


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setenv("PKUBE_JOB_BACKOFF_BASE", "0")


def make_job(name="pi", **spec) -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"spec": {"restartPolicy": "Never",
                                           "containers": [{"name": "c", "image": "busybox"}]}}, **spec}}


def pods_of(api, name="pi") -> list[dict]:
    return [p for p in api.list(POD, "default")[0] if p["metadata"]["name"].startswith(name + "-")]


def finish(api, pod: dict, phase: str, code: int = 0) -> None:
    p = api.get(POD, "default", pod["metadata"]["name"])
    p["status"]["phase"] = phase
    p["status"]["containerStatuses"] = [{"name": "c", "restartCount": 0, "ready": False, "state": {"terminated": {
        "exitCode": code, "finishedAt": common.rfc3339()}}}]
    api.update_status(p)


def get_job(api, name="pi") -> dict:
    return api.get(JOB, "default", name)


def run(api, times=3) -> None:
    for _ in range(times):
        job.sync(api)


def test_completions_and_parallelism(api):
    api.create(make_job(completions=3, parallelism=2))
    run(api)
    pods = pods_of(api)
    assert len(pods) == 2
    p = pods[0]
    assert p["metadata"]["finalizers"] == [job.TRACKING_FINALIZER]
    assert p["metadata"]["ownerReferences"][0]["controller"] is True
    labels = p["metadata"]["labels"]
    assert labels["batch.kubernetes.io/job-name"] == "pi" and labels["job-name"] == "pi"
    assert labels["batch.kubernetes.io/controller-uid"] == get_job(api)["metadata"]["uid"]
    st = get_job(api)["status"]
    assert st["active"] == 2 and st["ready"] == 0 and st["terminating"] == 0 and "startTime" in st
    for p in pods:
        finish(api, p, "Succeeded")
    run(api)
    st = get_job(api)["status"]
    assert st["succeeded"] == 2 and st["active"] == 1 and st["uncountedTerminatedPods"] == {}
    assert all(not p["metadata"].get("finalizers") for p in pods_of(api) if p["status"]["phase"] == "Succeeded")
    last = [p for p in pods_of(api) if p["status"]["phase"] == "Pending"]
    assert len(last) == 1
    finish(api, last[0], "Succeeded")
    run(api)
    st = get_job(api)["status"]
    assert st["succeeded"] == 3 and "active" not in st and st["completionTime"]
    assert [(c["type"], c["reason"]) for c in st["conditions"]] == \
        [("SuccessCriteriaMet", "CompletionsReached"), ("Complete", "CompletionsReached")]
    assert st["conditions"][1]["message"] == "Reached expected number of succeeded pods"
    reasons = [(e["reason"], e["message"]) for e in api.events_for(get_job(api))]
    assert ("Completed", "Job completed") in reasons
    assert sum(1 for r, _ in reasons if r == "SuccessfulCreate") == 3
    run(api)
    assert len(pods_of(api)) == 3  # a finished Job creates nothing more


def test_deleted_pods_are_counted_once(api):
    api.create(make_job())
    run(api)
    (p,) = pods_of(api)
    finish(api, p, "Succeeded")
    run(api, 1)
    api.delete(POD, "default", p["metadata"]["name"])
    run(api)
    st = get_job(api)["status"]
    assert st["succeeded"] == 1
    assert "Complete" in [c["type"] for c in st["conditions"]]


def test_backoff_limit_exceeded(api):
    api.create(make_job(backoffLimit=1))
    for _ in range(3):
        run(api)
        for p in pods_of(api):
            if p["status"].get("phase") == "Pending":
                finish(api, p, "Failed", 1)
    run(api)
    st = get_job(api)["status"]
    assert st["failed"] == 2
    failed = [c for c in st["conditions"] if c["type"] == "Failed"][0]
    assert (failed["reason"], failed["message"]) == ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert [c["type"] for c in st["conditions"]] == ["FailureTarget", "Failed"]
    warnings = [e for e in api.events_for(get_job(api)) if e["type"] == "Warning"]
    assert [(e["reason"], e["message"]) for e in warnings] == [("BackoffLimitExceeded", "Job has reached the specified backoff limit")]
    assert len(pods_of(api)) == 2


def test_backoff_delays_replacement(api, monkeypatch):
    monkeypatch.setenv("PKUBE_JOB_BACKOFF_BASE", "60")
    api.create(make_job(backoffLimit=3))
    run(api)
    finish(api, pods_of(api)[0], "Failed", 1)
    run(api)
    assert len(pods_of(api)) == 1  # waiting out the 60 s back-off
    assert get_job(api)["status"]["failed"] == 1


@pytest.mark.parametrize("failures,delay", [(0, 0), (1, 10), (2, 20), (3, 40), (6, 320), (7, 360), (40, 360)])
def test_backoff_delay(failures, delay):
    assert job.backoff_delay(failures, 10, 360) == delay


def test_active_deadline(api):
    api.create(make_job(activeDeadlineSeconds=0, completions=2, parallelism=2))
    run(api, 1)
    st = get_job(api)["status"]
    target = [c for c in st["conditions"] if c["type"] == "FailureTarget"][0]
    assert (target["reason"], target["message"]) == ("DeadlineExceeded", "Job was active longer than specified deadline")


def test_indexed_job(api):
    api.create(make_job(completions=3, parallelism=3, completionMode="Indexed"))
    run(api)
    pods = sorted(pods_of(api), key=lambda p: int(p["metadata"]["annotations"][job.INDEX_KEY]))
    assert [p["metadata"]["annotations"][job.INDEX_KEY] for p in pods] == ["0", "1", "2"]
    assert pods[1]["metadata"]["name"].startswith("pi-1-")
    assert pods[1]["spec"]["hostname"] == "pi-1"
    assert pods[1]["metadata"]["labels"][job.INDEX_KEY] == "1"
    (env,) = pods[1]["spec"]["containers"][0]["env"]
    assert env["name"] == "JOB_COMPLETION_INDEX"
    assert env["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    finish(api, pods[0], "Succeeded")
    finish(api, pods[2], "Succeeded")
    run(api)
    assert get_job(api)["status"]["completedIndexes"] == "0,2"
    finish(api, pods[1], "Succeeded")
    run(api)
    st = get_job(api)["status"]
    assert st["completedIndexes"] == "0-2" and st["succeeded"] == 3


def test_suspend_and_resume(api):
    api.create(make_job(suspend=True))
    run(api)
    assert pods_of(api) == []
    st = get_job(api)["status"]
    assert "startTime" not in st
    assert [(c["type"], c["status"], c["reason"]) for c in st["conditions"]] == [("Suspended", "True", "JobSuspended")]
    j = get_job(api)
    j["spec"]["suspend"] = False
    api.update(j)
    run(api)
    assert len(pods_of(api)) == 1
    st = get_job(api)["status"]
    assert st["startTime"] and st["conditions"][0]["reason"] == "JobResumed"


def test_ttl_after_finished_deletes_job(api):
    api.create(make_job(ttlSecondsAfterFinished=0))
    run(api)
    finish(api, pods_of(api)[0], "Succeeded")
    run(api)
    assert api.try_get(JOB, "default", "pi") is None or common.being_deleted(get_job(api))


def test_orphaned_pods_lose_the_finalizer(api):
    api.create(make_job())
    run(api)
    api.delete(JOB, "default", "pi", propagation="Orphan")
    run(api)
    assert not pods_of(api)[0]["metadata"].get("finalizers")


def test_pod_failure_policy_fail_job(api):
    api.create(make_job(backoffLimit=6, podFailurePolicy={"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}]}))
    run(api)
    finish(api, pods_of(api)[0], "Failed", 42)
    run(api)
    failed = [c for c in get_job(api)["status"]["conditions"] if c["type"] == "Failed"][0]
    assert failed["reason"] == "PodFailurePolicy"
    assert "failed with exit code 42 matching FailJob rule at index 0" in failed["message"]


@pytest.mark.parametrize("spec,succeeded,active,want", [
    ({"completions": 3, "parallelism": 2}, 0, 0, 2),
    ({"completions": 3, "parallelism": 2}, 2, 0, 1),
    ({"completions": 3, "parallelism": 2}, 3, 0, 0),
    ({"completions": None, "parallelism": 4}, 0, 0, 4),
    ({"completions": None, "parallelism": 4}, 1, 3, 3),
])
def test_want_active(spec, succeeded, active, want):
    assert job.want_active(spec, succeeded, active) == want


def test_indexes_format():
    assert job.format_indexes({0, 1, 2, 4, 6, 7}) == "0-2,4,6-7"
    assert job.parse_indexes("0-2,4,6-7") == {0, 1, 2, 4, 6, 7}


# -- DaemonSet placement ------------------------------------------------------------------------
def node(name, labels=None, taints=None) -> dict:
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": {"taints": taints or []}}


def test_daemonset_eligibility():
    spec = {"nodeSelector": {"disk": "ssd"}}
    assert daemonset.should_run(spec, node("a", {"disk": "ssd"})) == (True, True)
    assert daemonset.should_run(spec, node("b")) == (False, False)
    tainted = node("c", taints=[{"key": "gpu", "effect": "NoSchedule"}])
    assert daemonset.should_run({}, tainted) == (False, True)
    assert daemonset.should_run({}, node("d", taints=[{"key": "gpu", "effect": "NoExecute"}])) == (False, False)
    # the tolerations every daemon pod gets
    for key in ("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready"):
        assert daemonset.should_run({}, node("e", taints=[{"key": key, "effect": "NoExecute"}])) == (True, True)
    assert daemonset.should_run({}, node("f", taints=[{"key": "node.kubernetes.io/unschedulable",
                                                       "effect": "NoSchedule"}])) == (True, True)
    affinity = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}}}
    assert daemonset.should_run(affinity, node("g", {"zone": "a"}))[0]
    assert not daemonset.should_run(affinity, node("h", {"zone": "b"}))[0]


def test_daemon_pod_is_pinned_to_its_node():
    spec = daemonset.pin_to_node({"containers": []}, "n2")
    assert spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]}


def test_revision_data_round_trip():
    tmpl = {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c"}]}}
    data = daemonset.revision_data(tmpl)
    assert data["spec"]["template"]["$patch"] == "replace"
    assert daemonset.template_of({"data": data}) == tmpl
    assert daemonset.revision_hash(data) == daemonset.revision_hash(copy.deepcopy(data))


# -- StatefulSet ordering ---------------------------------------------------------------------
def test_statefulset_creates_in_order(api):
    api.create({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
                "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                         "template": {"metadata": {"labels": {"app": "db"}},
                                      "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})
    statefulset.sync(api)
    statefulset.sync(api)
    pods = [p["metadata"]["name"] for p in api.list(POD, "default")[0]]
    assert pods == ["db-0"]  # db-1 waits until db-0 is Running and Ready
    p = api.get(POD, "default", "db-0")
    assert p["spec"]["hostname"] == "db-0" and p["spec"]["subdomain"] == "db"
    assert p["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "db-0"
    assert p["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "0"
    assert p["metadata"]["labels"]["controller-revision-hash"].startswith("db-")
    p["status"]["phase"] = "Running"
    p["status"]["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": common.rfc3339()}]
    api.update_status(p)
    statefulset.sync(api)
    assert sorted(p["metadata"]["name"] for p in api.list(POD, "default")[0]) == ["db-0", "db-1"]
