"""Jobs and CronJobs with the real pkubectl and real processes, per-invocation mode (no
daemon): `wait` converges while it polls, as a script would drive the cluster."""
from __future__ import annotations


import pytest
import yaml
from conftest import get_json as get

pytestmark = pytest.mark.e2e


def job(name: str, command: str, **spec) -> str:
    return yaml.safe_dump({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": {
        "template": {"spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                              "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", command]}]}},
        **spec}})



def test_job_completions_with_parallelism(cluster):
    cluster.ok("apply", "-f", "-", input=job("pi", "sleep 1", completions=3, parallelism=2))
    out = cluster.ok("wait", "--for=condition=Complete", "job/pi", "--timeout=90s")
    assert out.strip() == "job.batch/pi condition met"
    st = get(cluster, "job", "pi")["status"]
    assert st["succeeded"] == 3 and not st.get("failed") and st["completionTime"]
    assert [c["type"] for c in st["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    pods = get(cluster, "pods", "-l", "batch.kubernetes.io/job-name=pi")["items"]
    assert len(pods) == 3 and {p["status"]["phase"] for p in pods} == {"Succeeded"}
    assert all(not p["metadata"].get("finalizers") for p in pods)
    rows = cluster.ok("get", "job", "pi").splitlines()
    assert rows[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert rows[1].split()[:3] == ["pi", "Complete", "3/3"]
    events = cluster.ok("get", "events", "--field-selector", "involvedObject.kind=Job")
    assert events.count("SuccessfulCreate") == 3 and "Job completed" in events


def test_failing_job_stops_at_backoff_limit(cluster):
    env = {"PKUBE_JOB_BACKOFF_BASE": "1"}
    cluster.ok("apply", "-f", "-", input=job("bad", "exit 3", backoffLimit=1), env=env)
    cluster.ok("wait", "--for=condition=Failed", "job/bad", "--timeout=90s", env=env)
    st = get(cluster, "job", "bad")["status"]
    assert st["failed"] == 2 and not st.get("active")
    failed = [c for c in st["conditions"] if c["type"] == "Failed"][0]
    assert (failed["reason"], failed["message"]) == ("BackoffLimitExceeded",
                                                     "Job has reached the specified backoff limit")
    assert len(get(cluster, "pods", "-l", "job-name=bad")["items"]) == 2
    assert "BackoffLimitExceeded" in cluster.ok("get", "events")
    assert cluster.ok("get", "job", "bad").splitlines()[1].split()[:3] == ["bad", "Failed", "0/1"]


def test_cronjob_runs_and_manual_job(cluster):
    cj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"}, "spec": {
        "schedule": "* * * * *", "successfulJobsHistoryLimit": 1, "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox", "command": ["true"]}]}}}}}}
    cluster.ok("apply", "-f", "-", input=yaml.safe_dump(cj))
    # creation is "now": the first run is at the next minute boundary
    cluster.ok("wait", "--for=jsonpath={.status.lastScheduleTime}", "cronjob/tick", "--timeout=75s")
    jobs = get(cluster, "jobs")["items"]
    assert len(jobs) == 1
    j = jobs[0]
    assert j["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert "batch.kubernetes.io/cronjob-scheduled-timestamp" in j["metadata"]["annotations"]
    assert j["metadata"]["name"].startswith("tick-") and j["metadata"]["name"][5:].isdigit()
    cluster.ok("wait", "--for=condition=Complete", f"job/{j['metadata']['name']}", "--timeout=60s")
    cluster.ok("wait", "--for=jsonpath={.status.lastSuccessfulTime}", "cronjob/tick", "--timeout=30s")
    assert "Created job" in cluster.ok("get", "events")
