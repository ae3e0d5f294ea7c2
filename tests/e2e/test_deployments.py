"""Deployments through the real `pkubectl` (and the real kubelet when it is installed):
rollouts, history and undo, scaling, cascading deletion, rollout status texts, and the
rolling-update bounds sampled from the store while a rollout runs."""
from __future__ import annotations

import json
import os
import re
import threading
import time

import pytest
import yaml

pytestmark = pytest.mark.e2e

try:
    import pkubelet.kubelet  # noqa: F401
    HAVE_KUBELET = True
except ImportError:
    HAVE_KUBELET = False
needs_kubelet = pytest.mark.skipif(not HAVE_KUBELET, reason="pods only run with the kubelet module")


@pytest.fixture
def kube(cluster):
    try:
        yield cluster
    finally:
        cluster.kubelet("stop", "--stop-pods", timeout=60)
        try:
            from pkubelet.runtime import process
            process.kill_all_in(os.path.join(cluster.home, "pods"))
        except ImportError:
            pass


def deploy(name="web", replicas=3, image="busybox", env=None, **spec) -> dict:
    container = {"name": "main", "image": image, "command": ["sleep", "3600"]}
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [container], "terminationGracePeriodSeconds": 1}},
                     **spec}}


def apply(c, obj) -> str:
    return c.ok("apply", "-f", "-", input=yaml.safe_dump(obj))


def get(c, kind, name=None) -> dict:
    return json.loads(c.ok("get", kind, *([name] if name else []), "-o", "json"))


def live_pods(c, app="web") -> list[dict]:
    return [p for p in get(c, "pods")["items"]
            if p["metadata"].get("labels", {}).get("app") == app and not p["metadata"].get("deletionTimestamp")]


def running(c, n, app="web"):
    pods = live_pods(c, app)
    return len(pods) == n and all(p["status"].get("phase") == "Running" for p in pods)


def test_apply_change_history_and_undo(kube):
    c = kube
    assert apply(c, deploy()) == "deployment.apps/web created\n"
    rses = get(c, "rs")["items"]
    assert len(rses) == 1
    h = rses[0]["metadata"]["labels"]["pod-template-hash"]
    assert rses[0]["metadata"]["name"] == f"web-{h}"
    assert len(live_pods(c)) == 3
    assert all(re.fullmatch(rf"web-{h}-[bcdfghjklmnpqrstvwxz2456789]{{5}}", p["metadata"]["name"])
               for p in live_pods(c))
    if HAVE_KUBELET:
        c.wait_for(lambda: running(c, 3), timeout=60, message="3 running pods")
    assert c.ok("rollout", "history", "deploy/web") == \
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n\n"

    apply(c, deploy(env={"COLOUR": "blue"}))
    if HAVE_KUBELET:
        out = c.ok("rollout", "status", "deployment/web", "--timeout=120s")
        assert out.splitlines()[-1] == 'deployment "web" successfully rolled out'
    rses = get(c, "rs")["items"]
    assert len(rses) == 2
    assert c.ok("rollout", "history", "deployment", "web") == \
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    detail = c.ok("rollout", "history", "deploy/web", "--revision=2")
    assert detail.startswith("deployment.apps/web with revision #2\nPod Template:\n  Labels:\tapp=web\n")
    assert "      COLOUR:\tblue\n" in detail and "    Image:\tbusybox\n" in detail
    r = c.pk("rollout", "history", "deploy/web", "--revision=7")
    assert (r.returncode, r.stderr) == (1, "error: unable to find the specified revision\n")

    assert c.ok("rollout", "undo", "deploy/web") == "deployment.apps/web rolled back\n"
    d = get(c, "deploy", "web")
    assert "env" not in d["spec"]["template"]["spec"]["containers"][0]
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert c.ok("rollout", "history", "deploy/web").splitlines()[2:4] == ["2         <none>", "3         <none>"]
    assert c.ok("rollout", "undo", "deploy/web", "--to-revision=3") == \
        "deployment.apps/web skipped rollback (current template already matches revision 3)\n"
    r = c.pk("rollout", "undo", "deploy/web", "--to-revision=1000000")
    assert (r.returncode, r.stderr) == (1, "error: unable to find specified revision 1000000 in history\n")
    rs1 = [rs for rs in get(c, "rs")["items"]
           if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"][0]
    assert rs1["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    if HAVE_KUBELET:
        c.wait_for(lambda: running(c, 3) and all("env" not in p["spec"]["containers"][0] for p in live_pods(c)),
                   timeout=60, message="pods back on the first template")


def test_scale_up_down_and_preconditions(kube):
    c = kube
    apply(c, deploy(replicas=2))
    assert c.ok("scale", "deploy", "web", "--replicas=10") == "deployment.apps/web scaled\n"
    assert len(live_pods(c)) == 10
    assert c.ok("scale", "deployment/web", "--replicas=1") == "deployment.apps/web scaled\n"
    c.wait_for(lambda: len(live_pods(c)) == 1, timeout=30, message="one pod left")
    r = c.pk("scale", "deploy/web", "--replicas=5", "--current-replicas=2")
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "error: Expected replicas to be 2, was 1\n")
    assert c.ok("scale", "deploy/web", "--replicas=3", "--current-replicas=1") == "deployment.apps/web scaled\n"
    r = c.pk("scale", "deploy/web")
    assert (r.returncode, r.stderr) == (1, 'error: required flag(s) "replicas" not set\n')
    r = c.pk("scale", "deploy/web", "--replicas=-1")
    assert r.stderr == "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n"
    rs = get(c, "rs")["items"][0]["metadata"]["name"]
    assert c.ok("scale", "rs", rs, "--replicas=3", "-o", "name") == f"replicaset.apps/{rs}\n"
    d = get(c, "deploy", "web")
    assert d["status"]["replicas"] == 3 and d["spec"]["replicas"] == 3
    events = c.ok("get", "events", "--field-selector", "involvedObject.kind=Deployment")
    assert f"Scaled up replica set {rs} to 10 from 2" in events
    assert f"Scaled down replica set {rs} to 1 from 10" in events


def test_delete_cascades_and_orphan_keeps_dependents(kube):
    c = kube
    apply(c, deploy(replicas=2))
    c.ok("delete", "deploy", "web")
    assert get(c, "rs")["items"] == [] and get(c, "pods")["items"] == []
    apply(c, deploy(replicas=2))
    c.ok("delete", "deploy", "web", "--cascade=orphan")
    rses = get(c, "rs")["items"]
    assert len(rses) == 1 and "ownerReferences" not in rses[0]["metadata"]
    assert len(live_pods(c)) == 2
    # a new Deployment with the same template adopts the orphans instead of making new pods
    apply(c, deploy(replicas=2))
    rses = get(c, "rs")["items"]
    assert len(rses) == 1 and rses[0]["metadata"]["ownerReferences"][0]["name"] == "web"
    assert len(live_pods(c)) == 2


def test_rollout_verbs_messages(kube):
    c = kube
    apply(c, deploy(replicas=1))
    assert c.ok("rollout", "pause", "deploy/web") == "deployment.apps/web paused\n"
    r = c.pk("rollout", "pause", "deploy/web")
    assert (r.returncode, r.stderr) == (1, 'error: deployments.apps "web" is already paused\n')
    r = c.pk("rollout", "undo", "deploy/web")
    assert r.stderr == ("error: you cannot rollback a paused deployment; resume it first with "
                        "'kubectl rollout resume' and try again\n")
    r = c.pk("rollout", "restart", "deploy/web")
    assert r.stderr == 'error: deployments.apps "web" can\'t restart paused deployment (run rollout resume first)\n'
    assert c.ok("rollout", "resume", "deploy/web") == "deployment.apps/web resumed\n"
    r = c.pk("rollout", "resume", "deploy/web")
    assert r.stderr == 'error: deployments.apps "web" is not paused\n'
    r = c.pk("rollout", "undo", "deploy/web")
    assert r.stderr == 'error: no rollout history found for deployment "web"\n'
    assert c.ok("rollout", "restart", "deploy/web") == "deployment.apps/web restarted\n"
    d = get(c, "deploy", "web")
    assert "kubectl.kubernetes.io/restartedAt" in d["spec"]["template"]["metadata"]["annotations"]
    assert len(get(c, "rs")["items"]) == 2
    assert c.ok("set", "image", "deploy/web", "main=busybox:1.36") == "deployment.apps/web image updated\n"
    r = c.pk("set", "image", "deploy/web", "nope=busybox")
    assert (r.returncode, r.stderr) == (1, 'error: unable to find container named "nope"\n')
    assert c.ok("set", "image", "deploy/web", "*=busybox:1.37") == "deployment.apps/web image updated\n"
    assert c.ok("set", "env", "deploy/web", "A=1", "B=two") == "deployment.apps/web env updated\n"
    assert c.ok("set", "env", "deploy/web", "--list") == "# Deployment web, container main\nA=1\nB=two\n"
    assert c.ok("set", "env", "deploy/web", "A-") == "deployment.apps/web env updated\n"
    assert c.ok("set", "env", "deploy/web", "--list") == "# Deployment web, container main\nB=two\n"
    r = c.pk("rollout", "status", "pod/nope")
    assert r.stderr == "error: no status viewer has been implemented for Pod\n"
    r = c.pk("rollout", "history", "svc/kubernetes")
    assert r.stderr == ('error: error retrieving history for "Service", no visitor method exists for '
                        '{ Service}\n')


def test_rollout_status_watch_false_timeout_and_deadline(kube):
    c = kube
    never_ready = deploy(name="slow", replicas=1, progressDeadlineSeconds=3)
    never_ready["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "exec": {"command": ["false"]}, "periodSeconds": 1}
    apply(c, never_ready)
    r = c.pk("rollout", "status", "deploy/slow", "--watch=false")
    assert r.returncode == 0 and r.stdout.startswith('Waiting for deployment "slow" rollout to finish: ')
    assert len(r.stdout.splitlines()) == 1
    r = c.pk("rollout", "status", "deploy/slow", "--timeout=1s")
    assert (r.returncode, r.stderr) == (1, "error: timed out waiting for the condition\n")
    r = c.pk("rollout", "status", "deploy/slow", "--timeout=60s")
    assert (r.returncode, r.stderr) == (1, 'error: deployment "slow" exceeded its progress deadline\n')
    for line in r.stdout.splitlines():
        assert line.startswith('Waiting for deployment "slow" rollout to finish: ')
    r = c.pk("rollout", "status", "deploy/slow", "--revision=5", "--watch=false")
    assert r.stderr == "error: desired revision (5) is different from the running revision (1)\n"


@needs_kubelet
def test_rolling_update_bounds_sampled_during_rollout(kube):
    """While a rollout runs (new pods need a readiness probe to pass), the store never
    shows fewer ready pods than replicas - maxUnavailable nor more pods than
    replicas + maxSurge."""
    from pkubectl.api import registry
    from pkubectl.api.server import Api
    from state.store import Store

    c = kube
    replicas, surge, unavailable = 4, 1, 1
    spec = deploy(replicas=replicas, strategy={"type": "RollingUpdate",
                                               "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}})
    spec["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "exec": {"command": ["true"]}, "periodSeconds": 1}
    apply(c, spec)
    c.ok("rollout", "status", "deploy/web", "--timeout=120s")
    api = Api(Store(c.home))
    samples, problems, stop = [], [], threading.Event()

    def sample():
        while not stop.is_set():
            pods = [p for p in api.list(registry.lookup("pods"), "default")[0]
                    if not p["metadata"].get("deletionTimestamp")]
            ready = [p for p in pods if any(x.get("type") == "Ready" and x.get("status") == "True"
                                            for x in p.get("status", {}).get("conditions") or [])]
            samples.append((len(pods), len(ready)))
            if len(pods) > replicas + surge or len(ready) < replicas - unavailable:
                problems.append((len(pods), len(ready)))
            time.sleep(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        c.ok("set", "env", "deploy/web", "GENERATION=2")
        out = c.ok("rollout", "status", "deploy/web", "--timeout=120s")
    finally:
        stop.set()
        t.join(5)
    assert out.splitlines()[-1] == 'deployment "web" successfully rolled out'
    assert not problems, problems
    assert len(samples) > 10
    assert any(total == replicas + surge for total, _ in samples), "the rollout never used its surge"
    hashes = {p["metadata"]["labels"]["pod-template-hash"] for p in live_pods(c)}
    assert len(hashes) == 1 and len(live_pods(c)) == replicas
