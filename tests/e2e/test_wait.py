"""`wait` for conditions, jsonpath values, deletion and creation, with real pods."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

PKUBECTL = os.path.join(os.path.dirname(sys.executable), "pkubectl")

pytestmark = pytest.mark.skipif(
    not os.path.exists(os.path.join(os.path.dirname(__file__), "..", "..", "pkubelet", "kubelet.py")),
    reason="needs the kubelet (pkubelet/kubelet.py) to run pods")


def test_wait_condition_jsonpath_and_timeouts(cluster):
    cluster.ok("run", "web", "--image=busybox", "--", "sleep", "1000")
    assert cluster.ok("wait", "pod/web", "--for=condition=Ready", "--timeout=60s") == "pod/web condition met\n"
    assert cluster.ok("wait", "pods", "web", "--for=condition=ready=TRUE") == "pod/web condition met\n"
    assert cluster.ok("wait", "pod/web", "--for=jsonpath={.status.phase}=Running") == "pod/web condition met\n"
    assert cluster.ok("wait", "pod/web", "--for=jsonpath={.status.podIP}") == "pod/web condition met\n"
    assert cluster.ok("wait", "pod/web", "--for=condition=Ready", "-o", "name") == "pod/web\n"
    r = cluster.pk("wait", "pod/web", "--for=condition=Ready=False", "--timeout=1s")
    assert (r.returncode, r.stderr) == (1, "error: timed out waiting for the condition on pods/web\n")
    r = cluster.pk("wait", "pod/web", "--for=jsonpath={.status.phase}=Pending", "--timeout=0")
    assert (r.returncode, r.stderr) == (1, "error: condition not met for pods/web\n")
    r = cluster.pk("wait", "pod/nope", "--for=condition=Ready")
    assert (r.returncode, r.stderr) == (1, 'Error from server (NotFound): pods "nope" not found\n')
    r = cluster.pk("wait", "pod", "-l", "app=none", "--for=condition=Ready")
    assert (r.returncode, r.stderr) == (1, "error: no matching resources found\n")
    r = cluster.pk("wait", "pod/web", "--for=bogus")
    assert (r.returncode, r.stderr) == (1, 'error: unrecognized condition: "bogus"\n')


def test_wait_for_a_deployment_and_its_pods_by_selector(cluster):
    cluster.ok("create", "deployment", "app", "--image=busybox", "--replicas=2", "--", "sleep", "1000")
    assert cluster.ok("wait", "deploy/app", "--for=condition=Available", "--timeout=60s") == \
        "deployment.apps/app condition met\n"
    out = cluster.ok("wait", "pod", "-l", "app=app", "--for=condition=Ready", "--timeout=60s")
    assert len(out.splitlines()) == 2 and all(l.endswith(" condition met") for l in out.splitlines())


def test_wait_for_delete_and_create(cluster):
    cluster.ok("run", "gone", "--image=busybox", "--", "sleep", "1000")
    cluster.ok("wait", "pod/gone", "--for=condition=Ready", "--timeout=60s")
    r = cluster.pk("wait", "pod/gone", "--for=delete", "--timeout=1s")
    assert (r.returncode, r.stderr) == (1, "error: timed out waiting for the condition on pods/gone\n")
    waiter = cluster.popen([PKUBECTL, "wait", "pod/gone", "--for=delete", "--timeout=60s"],
                           stdout=subprocess.PIPE, text=True)
    cluster.ok("delete", "pod", "gone", "--grace-period=1")
    assert waiter.communicate(timeout=90)[0] == "pod/gone condition met\n"
    assert waiter.returncode == 0
    r = cluster.pk("wait", "pod/never", "--for=delete")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    r = cluster.pk("wait", "configmap/later", "--for=create", "--timeout=1s")
    assert r.returncode == 1 and "timed out waiting for the condition on configmaps/later" in r.stderr
    cluster.ok("create", "configmap", "later")
    assert cluster.ok("wait", "configmap/later", "--for=create") == "configmap/later condition met\n"


def test_observed_generation_gates_conditions_and_values_ignore_case():
    from pkubectl.cli.wait import Condition

    ready = Condition("condition=Available")
    obj = {"metadata": {"generation": 2},
           "status": {"observedGeneration": 1, "conditions": [{"type": "Available", "status": "True"}]}}
    assert not ready.met(obj)
    obj["status"]["observedGeneration"] = 2
    assert ready.met(obj)
    obj["status"]["conditions"][0]["observedGeneration"] = 1  # the condition's own wins
    assert not ready.met(obj)
    assert Condition("condition=available=TRUE").met({"status": {"conditions": [{"type": "Available",
                                                                                  "status": "true"}]}})
    assert Condition("jsonpath={.status.phase}=Running").met({"status": {"phase": "Running"}})
    assert not Condition("jsonpath={.status.phase}=running").met({"status": {"phase": "Running"}})
    assert Condition("jsonpath={.spec.replicas}=3").met({"spec": {"replicas": 3}})
