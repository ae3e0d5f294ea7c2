"""Many `pkubectl` processes writing one store at once: no lost update, no
"database is locked", conflicts reported as kubectl reports them."""
from __future__ import annotations

import json
import subprocess

from conftest import executable

WRITERS = 20
OPS = 50

SCRIPT = r"""
set -u
i=0
while [ $i -lt {ops} ]; do
  "$PK" label cm shared "w{w}-$i=v" >/dev/null 2>>"$ERR" || echo "label-failed $i" >>"$ERR"
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own-{w}\ndata:\n  n: "%s"\n' $i \
    | "$PK" apply -f - >/dev/null 2>>"$ERR" || echo "apply-failed $i" >>"$ERR"
  i=$((i+1))
done
"""


def test_twenty_writers_lose_nothing(cluster, tmp_path):
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    cluster.ok("apply", "-f", "-", input='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"}}')
    procs = []
    for w in range(WRITERS):
        err = tmp_path / f"err-{w}"
        env = dict(cluster.env, PK=executable("pkubectl"), ERR=str(err))
        procs.append((err, subprocess.Popen(["bash", "-c", SCRIPT.format(ops=OPS, w=w)], env=env,
                                            start_new_session=True)))
        cluster.started.append(procs[-1][1])
    for _, p in procs:
        assert p.wait(timeout=900) == 0
    errors = "".join(e.read_text() for e, _ in procs if e.exists())
    assert "database is locked" not in errors
    assert "Traceback" not in errors
    # `label` re-reads and retries on Conflict, as kubectl's patch does: nothing is lost.
    assert errors == ""
    labels = json.loads(cluster.ok("get", "cm", "shared", "-o", "json"))["metadata"]["labels"]
    assert len(labels) == WRITERS * OPS
    for w in range(WRITERS):
        own = json.loads(cluster.ok("get", "cm", f"own-{w}", "-o", "json"))
        assert own["data"] == {"n": str(OPS - 1)}


def test_stale_update_is_a_conflict_in_kubectl_words(cluster):
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    cluster.ok("apply", "-f", "-", input='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}')
    rv = cluster.ok("get", "cm", "c", "-o", "jsonpath={.metadata.resourceVersion}")
    cluster.ok("label", "cm", "c", "first=1")
    r = cluster.pk("label", "cm", "c", "second=2", f"--resource-version={rv}")
    assert r.returncode == 1
    assert r.stderr.strip() == ('Error from server (Conflict): Operation cannot be fulfilled on configmaps "c": '
                                'the object has been modified; please apply your changes to the latest version '
                                'and try again')
