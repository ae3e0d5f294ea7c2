"""Twenty concurrent writers through the real `pkubectl` on shared objects: every
operation's outcome is known, so the store's final state must equal the serial outcome.

tests/e2e/test_concurrency.py checks label/apply only. Here each writer mixes five
operations whose serial outcome is computable whatever the interleaving:

    apply        own ConfigMap own-W, data n=i            -> last i written wins
    label        shared ConfigMap, key wW-i               -> every key present (retries inside)
    CAS          scale deploy/counter --current-replicas=R --replicas=R+1
                                                          -> final replicas = successes
    stale label  label cm guarded xW=i --resource-version=RV read just before
                                                          -> success or kubectl's Conflict text;
                                                             final xW = last success
    churn        create cm tmp-W-i; delete it when i % 10 == 4
                                                          -> exactly the undeleted ones remain

Control loops are off (PKUBE_NO_CONVERGE=1): this measures the store and the API, not the
kubelet. Each writer is a thread that runs one pkubectl process at a time, so 20 pkubectl
processes write at once. CI runs 20 x 25 operations (each CPU-bound pkubectl start costs
~80 ms on 2 cores); `pytest --soak` runs 20 x 100.
"""
from __future__ import annotations

import json
import re
import subprocess
import threading

import pytest
from conftest import executable

WRITERS = 20
CONFLICT = re.compile(r'^Error from server \(Conflict\): Operation cannot be fulfilled on configmaps "guarded": '
                      r'the object has been modified; please apply your changes to the latest version and try again$')
CAS_REFUSED = re.compile(r"^error: Expected replicas to be (\d+), was (\d+)$")

COUNTER = """apiVersion: apps/v1
kind: Deployment
metadata: {name: counter}
spec:
  replicas: 0
  selector: {matchLabels: {app: counter}}
  template:
    metadata: {labels: {app: counter}}
    spec:
      containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
"""


def own_cm(w: int, i: int) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"own-{w}"},
                       "data": {"n": str(i)}})


class Writer(threading.Thread):
    """One writer: runs its operations in order, one pkubectl process at a time, and
    records what each returned."""

    def __init__(self, cluster, w: int, ops: int):
        super().__init__(daemon=True)
        self.c, self.w, self.ops = cluster, w, ops
        self.cas_ok = 0
        self.cas_refused = 0
        self.last_guarded: int | None = None
        self.conflicts = 0
        self.kept: set[str] = set()
        self.last_own: int | None = None
        self.problems: list[str] = []
        self.stderr: list[str] = []

    def pk(self, *args, input=None):
        r = subprocess.run([executable("pkubectl"), *args], input=input, capture_output=True, text=True,
                           env=self.c.env, timeout=120)
        self.stderr.append(r.stderr)
        return r

    def expect_ok(self, r, what):
        if r.returncode != 0:
            self.problems.append(f"{what}: exit {r.returncode}: {r.stderr.strip()}")
            return False
        return True

    def run(self):
        try:
            for i in range(self.ops):
                getattr(self, ("apply", "label", "cas", "stale", "churn")[i % 5])(i)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.problems.append(f"writer {self.w} crashed: {e!r}")

    def apply(self, i):
        if self.expect_ok(self.pk("apply", "-f", "-", input=own_cm(self.w, i)), f"apply own-{self.w}"):
            self.last_own = i

    def label(self, i):
        self.expect_ok(self.pk("label", "cm", "shared", f"w{self.w}-{i}=v"), "label shared")

    def cas(self, i):
        got = self.pk("get", "deploy", "counter", "-o", "jsonpath={.spec.replicas}")
        if not self.expect_ok(got, "get counter"):
            return
        seen = int(got.stdout)
        r = self.pk("scale", "deploy", "counter", f"--current-replicas={seen}", f"--replicas={seen + 1}")
        if r.returncode == 0:
            assert r.stdout == "deployment.apps/counter scaled\n", r.stdout
            self.cas_ok += 1
            return
        m = CAS_REFUSED.match(r.stderr.strip())
        if r.returncode == 1 and m and int(m.group(1)) == seen and int(m.group(2)) > seen:
            self.cas_refused += 1
        else:
            self.problems.append(f"scale: exit {r.returncode}: {r.stderr.strip()!r}")

    def stale(self, i):
        got = self.pk("get", "cm", "guarded", "-o", "jsonpath={.metadata.resourceVersion}")
        if not self.expect_ok(got, "get guarded"):
            return
        r = self.pk("label", "cm", "guarded", f"x{self.w}={i}", "--overwrite", f"--resource-version={got.stdout}")
        if r.returncode == 0:
            self.last_guarded = i
        elif r.returncode == 1 and CONFLICT.match(r.stderr.strip()):
            self.conflicts += 1
        else:
            self.problems.append(f"label --resource-version: exit {r.returncode}: {r.stderr.strip()!r}")

    def churn(self, i):
        name = f"tmp-{self.w}-{i}"
        if not self.expect_ok(self.pk("create", "configmap", name, f"--from-literal=k={i}"), f"create {name}"):
            return
        if i % 10 == 4:
            r = self.pk("delete", "cm", name)
            if self.expect_ok(r, f"delete {name}"):
                assert r.stdout == f'configmap "{name}" deleted from default namespace\n', r.stdout
        else:
            self.kept.add(name)


def test_twenty_writers_end_in_the_serial_outcome(cluster, soak):
    ops = 100 if soak else 25
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    cluster.ok("apply", "-f", "-", input=COUNTER)
    for name in ("shared", "guarded"):
        cluster.ok("create", "configmap", name)
    writers = [Writer(cluster, w, ops) for w in range(WRITERS)]
    for t in writers:
        t.start()
    for t in writers:
        t.join(timeout=600)
        assert not t.is_alive(), "a writer did not finish in 10 minutes"

    all_stderr = "".join(s for t in writers for s in t.stderr)
    assert "database is locked" not in all_stderr
    assert "Traceback" not in all_stderr
    assert [p for t in writers for p in t.problems] == []

    # the counter: every successful compare-and-swap counted once, none lost
    cas_ok = sum(t.cas_ok for t in writers)
    replicas = int(cluster.ok("get", "deploy", "counter", "-o", "jsonpath={.spec.replicas}"))
    assert replicas == cas_ok
    assert cas_ok + sum(t.cas_refused for t in writers) == WRITERS * len(range(2, ops, 5))
    # shared labels: all of them
    shared = json.loads(cluster.ok("get", "cm", "shared", "-o", "json"))["metadata"].get("labels", {})
    assert set(shared) == {f"w{w}-{i}" for w in range(WRITERS) for i in range(1, ops, 5)}
    # guarded: each writer's last accepted value; conflicts happened and were worded as kubectl words them
    guarded = json.loads(cluster.ok("get", "cm", "guarded", "-o", "json"))["metadata"].get("labels", {})
    assert guarded == {f"x{t.w}": str(t.last_guarded) for t in writers if t.last_guarded is not None}
    assert sum(t.conflicts for t in writers) > 0, "20 writers on one resourceVersion never conflicted"
    # own objects: the last apply of each writer
    for t in writers:
        data = json.loads(cluster.ok("get", "cm", f"own-{t.w}", "-o", "json"))["data"]
        assert data == {"n": str(t.last_own)}
    # churn: exactly the undeleted temporaries
    names = set(cluster.ok("get", "cm", "-o", "name").split())
    tmp = {n.split("/", 1)[1] for n in names if n.startswith("configmap/tmp-")}
    assert tmp == {n for t in writers for n in t.kept}


def _race(cluster, argv_for, n=WRITERS):
    """Run n pkubectl processes at once (released together) and return their results."""
    procs = [subprocess.Popen([executable("pkubectl"), *argv_for(k)], env=cluster.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True) for k in range(n)]
    cluster.started.extend(procs)
    return [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]


def test_racing_creates_of_one_name_exactly_one_wins(cluster, soak):
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    for round_ in range(5 if soak else 2):
        name = f"race-{round_}"
        results = _race(cluster, lambda k: ("create", "configmap", name, f"--from-literal=writer={k}"))
        won = [r for r in results if r[0] == 0]
        assert len(won) == 1, results
        assert won[0][1] == f"configmap/{name} created\n"
        for code, _out, err in results:
            if code:
                assert (code, err) == (1, f'Error from server (AlreadyExists): configmaps "{name}" already exists\n')
        # the stored value is the winner's
        writer = cluster.ok("get", "cm", name, "-o", "jsonpath={.data.writer}")
        assert [k for k, r in enumerate(results) if r[0] == 0] == [int(writer)]


def test_racing_deletes_of_one_object_exactly_one_deletes(cluster, soak):
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    for round_ in range(5 if soak else 2):
        name = f"doomed-{round_}"
        cluster.ok("create", "configmap", name)
        results = _race(cluster, lambda k: ("delete", "configmap", name))
        assert sum(1 for r in results if r[0] == 0) == 1, results
        for code, out, err in results:
            if code == 0:
                assert out == f'configmap "{name}" deleted from default namespace\n'
            else:
                assert (code, err) == (1, f'Error from server (NotFound): configmaps "{name}" not found\n')
        assert cluster.pk("get", "cm", name).returncode == 1


def test_stale_resource_version_in_a_replace_is_a_conflict(cluster):
    """A manifest carrying an old resourceVersion never overwrites a newer write."""
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    cluster.ok("create", "configmap", "v", "--from-literal=k=1")
    old = json.loads(cluster.ok("get", "cm", "v", "-o", "json"))
    cluster.ok("label", "cm", "v", "newer=yes")
    old["data"] = {"k": "stale"}
    r = cluster.pk("replace", "-f", "-", input=json.dumps(old))
    assert r.returncode == 1
    assert "Error from server (Conflict):" in r.stderr and 'configmaps "v"' in r.stderr
    assert "the object has been modified; please apply your changes to the latest version and try again" in r.stderr
    now = json.loads(cluster.ok("get", "cm", "v", "-o", "json"))
    assert now["data"] == {"k": "1"} and now["metadata"]["labels"] == {"newer": "yes"}
