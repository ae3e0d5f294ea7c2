"""Bad input never hurts: Hypothesis-made manifests (near-valid objects of every kind with
mutated fields, wrong types, odd unicode, huge numbers) are each either accepted or refused
the way kubectl refuses (`error: ...`, `Error from server (...)`, `The Kind "name" is
invalid: ...`), exit 1, with the store untouched and never a traceback. Plus the classic
hostile files: truncated YAML, binary garbage, alias bombs, deep nesting, 10 MB.

The bulk runs the CLI in-process (pkubectl.cli.main.main with captured streams; 100
examples in CI, 1,000 with --soak); a sample and every hostile file go through the real
executable. Control loops are off: this is about the API machinery, not processes.
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import subprocess
import time

import pytest
import yaml
from conftest import executable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REFUSAL = re.compile(r'^(error: |Error from server|The [A-Za-z]+ "[^"]*" is invalid)')
ACCEPTED = re.compile(r"^[a-z0-9.-]+/\S+ (created|configured|unchanged)$")
INTERNAL = ("Traceback", "(set PKUBE_DEBUG=1 for details)")

POD_SPEC = {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"],
                            "ports": [{"containerPort": 8080}],
                            "env": [{"name": "A", "value": "1"}],
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}
TEMPLATE = {"metadata": {"labels": {"app": "x"}}, "spec": POD_SPEC}
SELECTOR = {"matchLabels": {"app": "x"}}

BASES = [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"k": "v"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
     "stringData": {"k": "v"}, "data": {"b": "YmFy"}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
     "spec": {"type": "NodePort", "selector": {"app": "x"},
              "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"app": "x"}}, "spec": POD_SPEC},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
     "spec": {"replicas": 2, "selector": SELECTOR, "template": TEMPLATE,
              "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}}},
    {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
     "spec": {"replicas": 1, "selector": SELECTOR, "template": TEMPLATE}},
    {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds"},
     "spec": {"selector": SELECTOR, "template": TEMPLATE}},
    {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "sts"},
     "spec": {"serviceName": "svc", "replicas": 1, "selector": SELECTOR, "template": TEMPLATE}},
    {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
     "spec": {"backoffLimit": 2, "completions": 1, "parallelism": 1,
              "template": {"spec": dict(POD_SPEC, restartPolicy="Never")}}},
    {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
     "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {
         "spec": dict(POD_SPEC, restartPolicy="OnFailure")}}}}},
    {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "hpa"},
     "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
              "minReplicas": 1, "maxReplicas": 5,
              "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                  "type": "Utilization", "averageUtilization": 50}}}]}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns1"}},
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa"}},
    {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep"},
     "subsets": [{"addresses": [{"ip": "127.0.0.5"}], "ports": [{"port": 80}]}]},
    {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "es"},
     "addressType": "IPv4", "endpoints": [{"addresses": ["127.0.0.5"]}], "ports": [{"port": 80}]},
    {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"},
     "spec": {"holderIdentity": "me", "leaseDurationSeconds": 40}},
    {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"},
     "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"}, "reason": "R", "message": "m",
     "type": "Normal"},
    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n9"}, "spec": {"podCIDR": "127.244.9.0/24"}},
    {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "cr"}, "revision": 1,
     "data": {"spec": {}}},
]

ODD_STRINGS = ["", " ", "-", ".", "..", "../../etc/passwd", "a/b", "A", "a" * 300, "ÿ", "🙂", "\u202e", "\t",
               "0x10", "1e400", "true", "null", "~", "-1", "100Mi", "1.5", "名前", "a\nb", "$(X)", "%s%n",
               "*", "\\", "'\"", "2**64"]
HUGE = [2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53 + 1, 2 ** 63, 2 ** 64, 10 ** 30, -(10 ** 30)]

weird = st.recursive(
    st.one_of(
        st.none(), st.booleans(),
        st.integers(min_value=-(2 ** 70), max_value=2 ** 70), st.sampled_from(HUGE),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(ODD_STRINGS),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)


def paths_of(obj, prefix=()):
    """Every (path) to a value inside obj, containers included."""
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += paths_of(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += paths_of(v, prefix + (i,))
    return out


def mutate(obj, path, action, value):
    if not path:
        return value if action == "replace" else obj
    parent = obj
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent[last], dict):
        parent[last][str(value)[:20]] = value
    elif action == "add" and isinstance(parent[last], list):
        parent[last].append(value)
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    return obj


@st.composite
def manifests(draw):
    obj = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not isinstance(obj, dict):
            break
        paths = paths_of(obj)
        # names matter most (they become keys and paths): mutate them often
        if draw(st.integers(0, 4)) == 0 and isinstance(obj.get("metadata"), dict):
            path = ("metadata", "name")
        else:
            path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add", "duplicate"]))
        try:
            obj = mutate(obj, path, action, draw(weird))
        except (KeyError, IndexError, TypeError):
            pass
    fmt = draw(st.sampled_from(["yaml", "json"]))
    if fmt == "json":
        return json.dumps(obj, ensure_ascii=draw(st.booleans()))
    return yaml.safe_dump(obj, allow_unicode=draw(st.booleans()))


# -- an in-process pkubectl -----------------------------------------------------------------------
class InProcess:
    """Runs pkubectl's main() in this process with fresh invocation state and captured streams."""

    def __init__(self, home: str, monkeypatch):
        self.home = home
        for k, v in {"PKUBE_HOME": home, "PKUBE_NO_DAEMON": "1", "PKUBE_NO_CONVERGE": "1"}.items():
            monkeypatch.setenv(k, v)
        monkeypatch.delenv("PKUBECONFIG", raising=False)
        monkeypatch.delenv("PKUBE_DEBUG", raising=False)

    def __call__(self, *argv):
        from pkubectl.cli import common, main

        common.INVOCATION = common.Invocation()
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main.main(list(argv))
        finally:
            api = common.INVOCATION._api
            if api is not None:
                api.store.close()
            common.INVOCATION = common.Invocation()
        return code, out.getvalue(), err.getvalue()

    def revision(self) -> int:
        from state.store import Store

        s = Store(self.home)
        try:
            return s.revision()
        finally:
            s.close()


def check_outcome(code, stdout, stderr, rev_before, rev_after, what):
    for marker in INTERNAL:
        assert marker not in stderr, f"{what}: internal error shown:\n{stderr}"
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("Warning:")]
    if code == 0:
        assert all(ACCEPTED.match(ln) for ln in stdout.splitlines()), f"{what}: odd output {stdout!r}"
        return "accepted"
    assert code == 1, f"{what}: exit {code}: {stderr}"
    assert lines and REFUSAL.match(lines[0]), f"{what}: refusal not in kubectl's words: {stderr!r}"
    assert rev_after == rev_before, f"{what}: refused, yet the store changed ({rev_before} -> {rev_after})"
    return "refused"


def integrity_ok(home: str) -> bool:
    import sqlite3

    conn = sqlite3.connect(os.path.join(home, "state.db"))
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_generated_manifests_are_accepted_or_refused_cleanly(tmp_path, monkeypatch, soak):
    home = str(tmp_path / "pkube")
    pk = InProcess(home, monkeypatch)
    manifest = tmp_path / "m.yaml"
    seen = {"accepted": 0, "refused": 0}
    get_types = {b["kind"].lower() for b in BASES}
    assert pk("create", "configmap", "seed")[0] == 0  # the first write also bootstraps the cluster

    @settings(max_examples=1000 if soak else 100, deadline=None, derandomize=not soak,
              suppress_health_check=list(HealthCheck))
    @given(manifests())
    def one(text):
        manifest.write_text(text, encoding="utf-8")
        before = pk.revision()
        code, out, err = pk("apply", "-f", str(manifest))
        seen[check_outcome(code, out, err, before, pk.revision(), f"apply of\n{text}\n")] += 1
        if code == 0:
            # whatever was accepted can be read back, as a table and as YAML
            for args in (["get", "all", "-A"], ["get", ",".join(sorted(get_types)), "-A", "-o", "yaml"]):
                c, _o, e = pk(*args)
                assert c == 0 and not any(m in e for m in INTERNAL), f"{args} after accepting\n{text}\n{e}"

    one()
    print(f"generated manifests: {seen}")
    assert seen["refused"] > 0 and seen["accepted"] > 0, seen
    assert integrity_ok(home)


def test_generated_manifests_through_the_real_executable(cluster, tmp_path):
    """A sample of the same inputs through the installed `pkubectl` (stdin, real exit codes)."""
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    from state.store import Store

    def rev():
        s = Store(cluster.home)
        try:
            return s.revision()
        finally:
            s.close()

    cluster.ok("create", "configmap", "seed")  # the first write also bootstraps the cluster's namespaces

    @settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(manifests())
    def one(text):
        before = rev()
        r = cluster.pk("apply", "-f", "-", input=text)
        check_outcome(r.returncode, r.stdout, r.stderr, before, rev(), f"apply of\n{text}\n")

    one()


def alias_bomb() -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for n in "bcdefghi":
        text += f"{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        prev = n
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  " + text.replace("\n", "\n  ")


HOSTILE = {
    "truncated-yaml": lambda: ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: t\nspec:\n  replicas: 2\n"
                               "  selector: {matchLabels: {app: t\n").encode(),
    "truncated-json": lambda: b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t"',
    "binary-garbage": lambda: bytes(range(256)) * 16,
    "nul-bytes": lambda: b"apiVersion: v1\nkind: ConfigMap\x00\x00\nmetadata: {name: z}\n",
    "alias-bomb": lambda: alias_bomb().encode(),
    "alias-bomb-top": lambda: (alias_bomb().split("data:\n", 1)[1].replace("\n  ", "\n")
                               + "\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b2}\n").encode(),
    "deep-yaml": lambda: ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: "
                          + "[" * 50000 + "]" * 50000 + "\n").encode(),
    "deep-json": lambda: ('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deepj"},"x":'
                          + "[" * 50000 + "]" * 50000 + "}").encode(),
    "deep-block-yaml": lambda: ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deepb}\nx:\n"
                                + "".join("  " * (i + 1) + "k:\n" for i in range(3000))).encode(),
    "ten-mb-value": lambda: (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  k: "
                             + b"x" * (10 * 1024 * 1024) + b"\n"),
    "ten-mb-of-documents": lambda: "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: many-{i}}}\ndata: {{k: '{'y' * 4000}'}}\n"
        for i in range(2600)).encode(),
    "not-a-mapping": lambda: b"- just\n- a list\n",
    "scalar": lambda: b"42\n",
    "no-kind": lambda: b"apiVersion: v1\nmetadata: {name: nokind}\n",
    "unknown-kind": lambda: b"apiVersion: v1\nkind: Gizmo\nmetadata: {name: g}\n",
    "removed-version": lambda: b"apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\n",
    "utf16": lambda: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: u16}\n".encode("utf-16"),
    "tabs": lambda: b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tab\n",
    "duplicate-keys": lambda: b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\ndata: {a: '1', a: '2'}\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_through_the_real_executable(cluster, tmp_path, name):
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    cluster.ok("create", "configmap", "witness", "--from-literal=k=v")
    before_db = _dump(cluster)
    path = tmp_path / name
    path.write_bytes(HOSTILE[name]())
    started = time.monotonic()
    r = cluster.pk("apply", "-f", str(path), timeout=120)
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"{name}: took {elapsed:.0f}s"
    for marker in INTERNAL:
        assert marker not in r.stderr, r.stderr[:2000]
    if r.returncode:
        lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith("Warning:")]
        assert r.returncode == 1 and lines and REFUSAL.match(lines[0]), (r.returncode, r.stderr[:2000])
        if name != "ten-mb-of-documents":  # kubectl applies the good documents before a bad one
            assert _dump(cluster) == before_db
    # whatever happened, the store still reads and is intact
    assert "witness" in cluster.ok("get", "cm")
    assert integrity_ok(cluster.home)


def _dump(cluster) -> list:
    out = subprocess.run([executable("pkubectl"), "get", "all,cm,secrets,sa", "-A", "-o", "json"],
                         env=cluster.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["items"]
