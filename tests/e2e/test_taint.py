"""`pkubectl taint`: kubectl's argument forms, result words and errors, and what the
cluster does with the taints — the scheduler keeps untolerating pods off a NoSchedule
node, the taint manager evicts them from a NoExecute one."""
from __future__ import annotations

import json

import pytest
import yaml

pytestmark = pytest.mark.e2e


def taints(c) -> list:
    return json.loads(c.ok("get", "node", "pkube", "-o", "json"))["spec"].get("taints") or []


def pod(name: str, tolerations=None) -> str:
    spec = {"containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}],
            "terminationGracePeriodSeconds": 1}
    if tolerations:
        spec["tolerations"] = tolerations
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})


def phase(c, name: str) -> str:
    r = c.pk("get", "pod", name, "-o", "jsonpath={.status.phase}")
    return r.stdout if r.returncode == 0 else "gone"


def test_add_overwrite_and_remove_with_kubectls_words(cluster):
    cluster.ok("create", "namespace", "x")  # any write registers the default node
    assert cluster.ok("taint", "nodes", "pkube", "dedicated=gpu:NoSchedule") == "node/pkube tainted\n"
    r = cluster.pk("taint", "nodes", "pkube", "dedicated=cpu:NoSchedule")
    assert r.returncode == 1 and r.stdout == "" and r.stderr == (
        "error: node pkube already has dedicated taint(s) with same effect(s) and --overwrite is false\n")
    assert cluster.ok("taint", "node", "pkube", "dedicated=cpu:NoSchedule", "--overwrite") == "node/pkube modified\n"
    cluster.ok("taint", "node", "pkube", "other:NoExecute")
    got = {(t["key"], t.get("value"), t["effect"]) for t in taints(cluster)}
    assert got == {("dedicated", "cpu", "NoSchedule"), ("other", None, "NoExecute")}
    assert [t for t in taints(cluster) if t["effect"] == "NoExecute"][0]["timeAdded"]  # stamped by the API
    assert cluster.ok("taint", "nodes", "pkube", "dedicated-") == "node/pkube untainted\n"
    r = cluster.pk("taint", "nodes", "pkube", "nope:NoSchedule-")
    assert r.returncode == 1 and r.stderr == 'error: taint "nope:NoSchedule" not found\n'
    assert cluster.ok("taint", "nodes", "--all", "other:NoExecute-", "-o", "name") == "node/pkube\n"
    assert taints(cluster) == []


@pytest.mark.parametrize("args, message", [
    (["nodes", "pkube", "k=v:Sometimes"], "error: invalid taint effect: Sometimes, unsupported taint effect\n"
                                          "See 'pkubectl taint -h' for help and examples\n"),
    (["nodes", "pkube", "a=b=c:NoSchedule"],
     "error: invalid taint spec: a=b=c:NoSchedule\nSee 'pkubectl taint -h' for help and examples\n"),
    (["nodes", "pkube", "k=v"],  # one part: all of it is the key, which must be a qualified name
     "error: invalid taint spec: k=v, name part must consist of alphanumeric characters, '-', '_' or '.', and "
     "must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
     "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')\nSee 'pkubectl taint -h' for help and examples\n"),
    (["nodes", "pkube", "a=b:NoSchedule", "a-"],
     'error: can not both modify and remove the following taint(s) in the same command: {"a":""}\n'
     "See 'pkubectl taint -h' for help and examples\n"),
    (["nodes", "pkube"], "error: at least one taint update is required\n"),
    (["nodes", "k=v:NoSchedule"], "error: at least one resource name must be specified since 'all' parameter "
                                  "is not set\n"),
    (["pods", "p", "k=v:NoSchedule"], "error: invalid resource type pods, only node types are supported\n"),
    (["nodes", "k=v:NoSchedule", "pkube"], "error: all resources must be specified before taint changes: pkube\n"),
    (["nodes", "--all", "-l", "a=b", "k=v:NoSchedule"],
     "error: setting 'all' parameter with a non empty selector is prohibited\n"),
])
def test_bad_input_is_refused_as_kubectl_does(cluster, args, message):
    cluster.ok("create", "namespace", "x")
    r = cluster.pk("taint", *args)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", message)
    assert taints(cluster) == []


def test_noschedule_keeps_pods_off_and_noexecute_evicts(cluster):
    cluster.ok("create", "namespace", "x")
    cluster.ok("taint", "nodes", "pkube", "dedicated=gpu:NoSchedule")
    cluster.ok("apply", "-f", "-", input=pod("plain"))
    cluster.wait_for(lambda: "untolerated taint" in cluster.ok("get", "events", "--field-selector",
                                                               "involvedObject.name=plain"),
                     message="FailedScheduling for the untolerated taint")
    assert phase(cluster, "plain") == "Pending"
    tolerant = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    cluster.ok("apply", "-f", "-", input=pod("tolerant", tolerant))
    cluster.wait_for(lambda: phase(cluster, "tolerant") == "Running", message="tolerating pod runs")

    cluster.ok("taint", "nodes", "pkube", "dedicated-")  # the pending pod is retried and scheduled
    cluster.wait_for(lambda: phase(cluster, "plain") == "Running", message="pod scheduled after untaint")

    cluster.ok("taint", "nodes", "pkube", "maintenance=now:NoExecute")  # neither pod tolerates it
    cluster.wait_for(lambda: phase(cluster, "plain") == "gone" and phase(cluster, "tolerant") == "gone",
                     timeout=60, message="pods evicted by the taint manager")
    cluster.ok("taint", "nodes", "pkube", "maintenance-")
