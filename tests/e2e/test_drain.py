"""cordon, uncordon and drain: pods leave the node, their Deployment recreates them."""
from __future__ import annotations

import json
import os

import pytest

pytestmark = pytest.mark.skipif(
    not os.path.exists(os.path.join(os.path.dirname(__file__), "..", "..", "pkubelet", "kubelet.py")),
    reason="needs the kubelet (pkubelet/kubelet.py) to run pods")


def pods(cluster):
    return json.loads(cluster.ok("get", "pods", "-o", "json"))["items"]


def test_cordon_and_uncordon_messages(cluster):
    cluster.ok("run", "x", "--image=busybox", "--", "sleep", "1000")  # the local node registers
    assert cluster.ok("cordon", "pkube") == "node/pkube cordoned\n"
    assert cluster.ok("cordon", "pkube") == "node/pkube already cordoned\n"
    assert "SchedulingDisabled" in cluster.ok("get", "node", "pkube")
    node = json.loads(cluster.ok("get", "node", "pkube", "-o", "json"))
    assert node["spec"]["unschedulable"] is True
    assert [(t["key"], t["effect"]) for t in node["spec"]["taints"]] == [("node.kubernetes.io/unschedulable", "NoSchedule")]
    assert cluster.ok("uncordon", "pkube", "--dry-run=client") == "node/pkube uncordoned (dry run)\n"
    assert cluster.ok("uncordon", "pkube") == "node/pkube uncordoned\n"
    assert not json.loads(cluster.ok("get", "node", "pkube", "-o", "json"))["spec"].get("taints")
    assert cluster.ok("uncordon", "pkube") == "node/pkube already uncordoned\n"
    r = cluster.pk("cordon", "nope")
    assert (r.returncode, r.stderr) == (1, 'Error from server (NotFound): nodes "nope" not found\n')


def test_cordoned_node_gets_no_new_pods(cluster):
    cluster.ok("run", "first", "--image=busybox", "--", "sleep", "1000")
    cluster.ok("cordon", "pkube")
    cluster.ok("run", "second", "--image=busybox", "--", "sleep", "1000")
    pod = json.loads(cluster.ok("get", "pod", "second", "-o", "json"))
    assert not pod["spec"].get("nodeName")
    cond = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert cond["reason"] == "Unschedulable"
    assert cond["message"] == ("0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are "
                               "available: 1 Preemption is not helpful for scheduling.")
    assert "FailedScheduling" in cluster.ok("get", "events")
    cluster.ok("uncordon", "pkube")
    cluster.ok("wait", "pod/second", "--for=condition=Ready", "--timeout=60s")


def test_drain_refuses_bare_pods_then_evicts_and_replaces(cluster):
    cluster.ok("create", "deployment", "web", "--image=busybox", "--replicas=2", "--", "sleep", "1000")
    cluster.ok("run", "bare", "--image=busybox", "--", "sleep", "1000")
    cluster.ok("wait", "pod", "--all", "--for=condition=Ready", "--timeout=60s")
    before = {p["metadata"]["name"] for p in pods(cluster)}
    r = cluster.pk("drain", "pkube")
    assert r.returncode == 1
    assert r.stdout == "node/pkube cordoned\n"
    assert r.stderr == ('error: unable to drain node "pkube" due to error: cannot delete Pods that declare no '
                        'controller (use --force to override): default/bare, continuing command...\n'
                        'There are pending nodes to be drained:\n pkube\n'
                        'cannot delete Pods that declare no controller (use --force to override): default/bare\n')
    dry = cluster.ok("drain", "pkube", "--force", "--dry-run=client")
    assert "evicting pod default/bare (dry run)" in dry and dry.endswith("node/pkube drained (dry run)\n")
    r = cluster.pk("drain", "pkube", "--force", "--grace-period=1", "--timeout=60s", timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "Warning: deleting Pods that declare no controller: default/bare\n"
    lines = r.stdout.splitlines()
    assert lines[0] == "node/pkube already cordoned"
    assert sorted(l for l in lines if l.startswith("evicting pod")) == sorted(f"evicting pod default/{n}" for n in before)
    assert sorted(l for l in lines if l.endswith(" evicted")) == sorted(f"pod/{n} evicted" for n in before)
    assert lines[-1] == "node/pkube drained"
    left = pods(cluster)
    assert not ({p["metadata"]["name"] for p in left} & before)
    assert len(left) == 2 and all(not p["spec"].get("nodeName") for p in left)  # replacements wait: node cordoned
    cluster.ok("uncordon", "pkube")
    cluster.ok("wait", "pod", "-l", "app=web", "--for=condition=Ready", "--timeout=60s")
