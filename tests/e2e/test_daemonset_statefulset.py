"""DaemonSet and StatefulSet end to end: a daemon pod on each of two real nodes and a
rolling update with history; a StatefulSet's ordered pods with stable names, a claim
template standing in as emptyDir (with its warning), partitioned update and scale-down
from the highest ordinal. Per-invocation mode: `rollout status` converges as it polls;
the second node is its own `pkubelet node` process."""
from __future__ import annotations


import pytest
import yaml
from conftest import executable
from conftest import get_json as get

pytestmark = pytest.mark.e2e


@pytest.fixture
def kube(cluster):
    cluster.env.update(PKUBE_HEARTBEAT_INTERVAL="1")
    try:
        yield cluster
    finally:
        cluster.kubelet("stop", "--stop-pods", timeout=60)



DS = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"}, "spec": {
    "selector": {"matchLabels": {"app": "agent"}},
    "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {
        "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}}}}

STS = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"}, "spec": {
    "replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
    "template": {"metadata": {"labels": {"app": "db"}}, "spec": {
        "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", "echo $HOSTNAME; sleep 3600"],
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
    "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}


def test_daemonset_runs_on_every_node_and_rolls(kube):
    c = kube
    c.ok("get", "nodes")
    c.pk("apply", "-f", "-", input=yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": "x"}}))  # registers the default node
    c.popen([executable("pkubelet"), "node", "--name", "n2", "--heartbeat-interval", "1",
             "--capacity", "cpu=4,memory=8Gi,pods=110"])
    c.wait_for(lambda: c.pk("get", "node", "n2").returncode == 0, timeout=30, message="n2 registered")
    c.ok("apply", "-f", "-", input=yaml.safe_dump(DS))
    out = c.ok("rollout", "status", "ds/agent", "--timeout=60s")
    assert out.splitlines()[-1] == 'daemon set "agent" successfully rolled out'
    pods = get(c, "pods", "-l", "app=agent")["items"]
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["n2", "pkube"]
    for p in pods:
        terms = p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert terms["nodeSelectorTerms"][0]["matchFields"][0]["values"] == [p["spec"]["nodeName"]]
        keys = {t["key"] for t in p["spec"]["tolerations"]}
        assert {"node.kubernetes.io/unreachable", "node.kubernetes.io/unschedulable"} <= keys
    st = get(c, "ds", "agent")["status"]
    assert (st["desiredNumberScheduled"], st["currentNumberScheduled"], st["numberReady"],
            st["updatedNumberScheduled"], st["numberAvailable"]) == (2, 2, 2, 2, 2)
    row = c.ok("get", "ds", "agent").splitlines()[1].split()
    assert row[:7] == ["agent", "2", "2", "2", "2", "2", "<none>"]
    c.ok("set", "env", "ds/agent", "V=2")
    c.ok("rollout", "status", "ds/agent", "--timeout=60s")
    pods = get(c, "pods", "-l", "app=agent")["items"]
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert len(live) == 2 and all(p["spec"]["containers"][0].get("env") == [{"name": "V", "value": "2"}]
                                  for p in live)
    history = c.ok("rollout", "history", "ds/agent")
    assert history.splitlines()[1].split()[:1] == ["REVISION"] and "2" in history


def test_statefulset_ordered_names_claims_and_scale_down(kube):
    c = kube
    c.ok("apply", "-f", "-", input=yaml.safe_dump(STS))
    out = c.ok("rollout", "status", "sts/db", "--timeout=90s")
    assert out.splitlines()[-1] == "partitioned roll out complete: 3 new pods have been updated..."
    pods = sorted(get(c, "pods", "-l", "app=db")["items"], key=lambda p: p["metadata"]["name"])
    assert [p["metadata"]["name"] for p in pods] == ["db-0", "db-1", "db-2"]
    created = [p["metadata"]["creationTimestamp"] for p in pods]
    assert created == sorted(created)  # one after the other
    p1 = pods[1]
    assert p1["spec"]["hostname"] == "db-1" and p1["spec"]["subdomain"] == "db"
    assert p1["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1"
    assert {"name": "data", "emptyDir": {}} in p1["spec"]["volumes"]
    assert "VolumeClaimTemplatesUnsupported" in c.ok("get", "events")
    c.wait_for(lambda: c.pk("logs", "db-1").stdout.strip() == "db-1", timeout=20, message="hostname in logs")
    st = get(c, "sts", "db")["status"]
    assert st["readyReplicas"] == 3 and st["currentRevision"] == st["updateRevision"]
    assert st["currentRevision"].startswith("db-")
    assert c.ok("get", "sts", "db").splitlines()[1].split()[:2] == ["db", "3/3"]
    c.ok("scale", "sts/db", "--replicas=1")
    c.ok("wait", "--for=delete", "pod/db-2", "pod/db-1", "--timeout=60s")
    assert [p["metadata"]["name"] for p in get(c, "pods", "-l", "app=db")["items"]] == ["db-0"]
    deletes = [e for e in get(c, "events")["items"] if e["reason"] == "SuccessfulDelete"
               and e["involvedObject"]["kind"] == "StatefulSet"]
    assert {e["message"] for e in deletes} == {"delete Pod db-2 in StatefulSet db successful",
                                               "delete Pod db-1 in StatefulSet db successful"}
