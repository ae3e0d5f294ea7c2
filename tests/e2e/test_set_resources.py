"""`pkubectl set resources`: kubectl's flags, result line, errors, and the rollout it
triggers (the new pods carry the new requests and limits)."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e


def containers(cluster, what: str) -> list:
    return json.loads(cluster.ok("get", what, "-o", "json"))["spec"]["template"]["spec"]["containers"]


def test_set_resources_rolls_out_new_pods(cluster):
    cluster.ok("create", "deployment", "web", "--image=busybox", "--", "sleep", "3600")
    cluster.ok("rollout", "status", "deployment/web", "--timeout=60s")
    assert cluster.ok("set", "resources", "deployment", "web", "-c=busy*", "--limits=cpu=200m,memory=512Mi",
                      "--requests=cpu=0.1") == "deployment.apps/web resource requirements updated\n"
    assert containers(cluster, "deploy/web")[0]["resources"] == {
        "limits": {"cpu": "200m", "memory": "512Mi"}, "requests": {"cpu": "100m"}}  # canonical quantities
    # the same values again change nothing, so nothing is printed and no rollout starts
    assert cluster.ok("set", "resources", "deployment/web", "--limits=cpu=200m") == ""
    cluster.ok("rollout", "status", "deployment/web", "--timeout=60s")
    pods = json.loads(cluster.ok("get", "pods", "-l", "app=web", "-o", "json"))["items"]
    # the new pod; the API server fills a missing request from its limit (memory)
    assert [p["spec"]["containers"][0]["resources"]["requests"] for p in pods] == [{"cpu": "100m", "memory": "512Mi"}]
    out = cluster.ok("set", "resources", "deploy/web", "--limits=memory=1Gi", "--dry-run=client", "-o", "json")
    assert json.loads(out)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1Gi"
    assert containers(cluster, "deploy/web")[0]["resources"]["limits"]["memory"] == "512Mi"


@pytest.mark.parametrize("args, message", [
    ([], "error: you must specify an update to requests or limits (in the form of --requests/--limits)\n"),
    (["--limits=cpu"], "error: Invalid argument syntax cpu, expected <resource>=<value>\n"),
    (["--limits=cpu=lots"], "error: quantities must match the regular expression "
                            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'\n"),
    (["-c", "nope", "--limits=cpu=1"], "error: unable to find container named nope\n"),
])
def test_refusals(cluster, args, message):
    cluster.ok("create", "deployment", "web", "--image=busybox", "--", "sleep", "3600")
    r = cluster.pk("set", "resources", "deployment", "web", *args)
    assert (r.returncode, r.stderr) == (1, message)
    assert "resources" not in containers(cluster, "deploy/web")[0] or \
        containers(cluster, "deploy/web")[0]["resources"] == {}
