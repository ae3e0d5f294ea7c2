"""pkubectl in bash scripts, as kubectl users write them: the example scripts in
examples/scripts/ run end to end on a fresh state dir (daemon, proxy, controllers, real
processes and real HTTP), and the scripting contract: exit codes, errors on stderr only,
plain output when stdout is not a terminal, `-o name` fed to xargs."""
from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import BIN_DIR, free_node_port, kill_processes_of

pytestmark = pytest.mark.e2e
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, "examples", "scripts")


def script_env(cluster, **extra) -> dict:
    env = dict(cluster.env, PATH=BIN_DIR + os.pathsep + cluster.env.get("PATH", ""), **extra)
    env.pop("PKUBE_NO_DAEMON", None)  # the Services need the daemon's proxy
    return env


def run_script(cluster, name: str, *args: str, timeout: float = 300, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", os.path.join(SCRIPTS, name), *args], capture_output=True, text=True,
                          env=script_env(cluster, **extra), timeout=timeout,
                          cwd=os.path.dirname(cluster.home))


def test_rollout_and_smoke_test(cluster):
    r = run_script(cluster, "rollout-and-smoke-test.sh", NODE_PORT=str(free_node_port()))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "successfully rolled out" in r.stdout
    assert "smoke test passed: ok smoke-" in r.stdout


def test_rollout_and_smoke_test_fails_when_the_app_does_not(cluster):
    """The script's exit code is the verdict: a rollout that cannot finish fails it."""
    r = run_script(cluster, "rollout-and-smoke-test.sh", NODE_PORT=str(free_node_port()), TIMEOUT="3s",
                   PKUBECTL=os.path.join(BIN_DIR, "pkubectl"), NAME="Bad_Name")
    assert r.returncode != 0
    assert "smoke test passed" not in r.stdout


def test_blue_green(cluster):
    r = run_script(cluster, "blue-green.sh", NODE_PORT=str(free_node_port()))
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert out.index("traffic goes to blue") < out.index("service/bg patched") < out.index("traffic goes to green")
    assert cluster.ok("get", "svc", "bg", "-o", "jsonpath={.spec.selector.version}") == "green"


def test_export_restore(cluster, tmp_path):
    c = cluster
    c.ok("create", "namespace", "shop")
    c.ok("create", "configmap", "cfg", "-n", "shop", "--from-literal=a=1")
    c.ok("create", "secret", "generic", "pw", "--from-literal=p=x")
    c.ok("create", "deployment", "api", "-n", "shop", "--image=python:3.12-slim", "--replicas=1", "--",
         "python3", "-c", "import time; time.sleep(1e9)")
    c.ok("expose", "deployment", "api", "-n", "shop", "--port=80", "--target-port=8080")
    c.ok("label", "configmap", "cfg", "-n", "shop", "tier=backend")
    dest = str(tmp_path / "restored")
    try:
        r = run_script(c, "export-restore.sh", c.home, dest, str(tmp_path / "out"))
        assert r.returncode == 0, r.stdout + r.stderr
        assert "restored 5 objects; they match" in r.stdout
        exported = (tmp_path / "out" / "export.yaml").read_text()
        for gone in ("resourceVersion", "uid:", "creationTimestamp", "status:", "clusterIP:", "kube-root-ca.crt",
                     "name: kubernetes\n"):
            assert gone not in exported
        env = dict(c.env, PKUBE_HOME=dest)
        got = subprocess.run([os.path.join(BIN_DIR, "pkubectl"), "get", "cm", "cfg", "-n", "shop",
                              "-o", "jsonpath={.metadata.labels.tier}"], capture_output=True, text=True, env=env)
        assert got.stdout == "backend"
        # into a cluster that exists: refused
        r = run_script(c, "export-restore.sh", c.home, dest, str(tmp_path / "out2"))
        assert r.returncode == 1 and "already holds a cluster" in r.stderr
    finally:
        subprocess.run([os.path.join(BIN_DIR, "pkubelet"), "stop"], env=dict(c.env, PKUBE_HOME=dest),
                       capture_output=True, timeout=60)
        kill_processes_of(dest)


# -- the scripting contract --------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("get", "pods", "nope"),
    ("get", "nosuchtype"),
    ("get",),
    ("delete", "pod"),
    ("get", "pods", "-o", "bogus"),
    ("get", "pods", "--bogus"),
    ("completion",),
    ("completion", "tcsh"),
    ("delete", "deploy", "web", "--dry-run=bogus"),
])
def test_errors_exit_1_stderr_only(cluster, args):
    r = cluster.pk(*args)
    assert r.returncode == 1, (args, r.stdout, r.stderr)
    assert r.stdout == ""
    assert r.stderr.strip() and "Traceback" not in r.stderr


def test_plain_output_when_not_a_terminal(cluster):
    cluster.ok("create", "deployment", "web", "--image=busybox", "--replicas=0")
    for args in (("get", "deploy"), ("describe", "deploy", "web"), ("get", "deploy", "-o", "yaml")):
        out = cluster.ok(*args)
        assert "\x1b" not in out and "\r" not in out, args


def test_output_name_feeds_xargs_delete(cluster):
    for name in ("a", "b", "c"):
        cluster.ok("create", "configmap", f"cm-{name}", "--from-literal=k=v")
    cluster.ok("create", "deployment", "web", "--image=busybox", "--replicas=0")
    assert cluster.ok("get", "deploy", "-o", "name") == "deployment.apps/web\n"
    env = script_env(cluster)
    env["PKUBE_NO_DAEMON"] = "1"
    r = subprocess.run(["bash", "-c", "set -o pipefail; pkubectl get cm -o name | grep cm- | xargs pkubectl delete"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f'configmap "cm-{n}" deleted from default namespace' for n in "abc"]
    assert "cm-" not in cluster.ok("get", "cm", "-o", "name")
    r = subprocess.run(["bash", "-c", "pkubectl get deploy -o name | xargs pkubectl delete"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout == 'deployment.apps "web" deleted from default namespace\n', r.stdout + r.stderr
