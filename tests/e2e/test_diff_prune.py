"""Scripting verbs: `diff -f` (exit 1 when apply would change something), `apply --prune -l`,
and `--dry-run=server -o yaml` as a validation step that writes nothing."""
from __future__ import annotations

import yaml

CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  labels: {{app: demo}}
data:
  mode: "{mode}"
"""


def test_diff_exit_codes_and_output(cluster):
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    r = cluster.pk("diff", "-f", "-", input=CM.format(name="a", mode="fast"))
    assert r.returncode == 1 and "+  mode: fast" in r.stdout  # a new object is a difference
    cluster.ok("apply", "-f", "-", input=CM.format(name="a", mode="fast"))
    same = cluster.pk("diff", "-f", "-", input=CM.format(name="a", mode="fast"))
    assert same.returncode == 0 and same.stdout == ""
    changed = cluster.pk("diff", "-f", "-", input=CM.format(name="a", mode="slow"))
    assert changed.returncode == 1
    assert "-  mode: fast" in changed.stdout and "+  mode: slow" in changed.stdout
    assert cluster.ok("get", "cm", "a", "-o", "jsonpath={.data.mode}") == "fast"  # diff wrote nothing


def test_apply_prune_removes_what_left_the_manifests(cluster):
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    both = CM.format(name="a", mode="1") + "---\n" + CM.format(name="b", mode="1")
    cluster.ok("apply", "-f", "-", input=both)
    out = cluster.ok("apply", "--prune", "-l", "app=demo", "-f", "-", input=CM.format(name="a", mode="1"))
    assert out.splitlines() == ["configmap/a unchanged", "configmap/b pruned"]
    assert cluster.pk("get", "cm", "b").returncode == 1
    r = cluster.pk("apply", "--prune", "-f", "-", input=CM.format(name="a", mode="1"))
    assert r.returncode == 1 and "all resources selected for prune without explicitly passing --all" in r.stderr


def test_server_dry_run_validates_and_writes_nothing(cluster):
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    out = cluster.ok("apply", "--dry-run=server", "-o", "yaml", "-f", "-", input=CM.format(name="d", mode="x"))
    obj = yaml.safe_load(out)
    assert obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == "d" and obj["metadata"]["uid"]
    assert cluster.pk("get", "cm", "d").returncode == 1
    bad = cluster.pk("apply", "--dry-run=server", "-f", "-", input=CM.format(name="Bad_Name", mode="x"))
    assert bad.returncode == 1 and 'The ConfigMap "Bad_Name" is invalid' in bad.stderr
