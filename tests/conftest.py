"""Shared fixtures: a private cluster per test, the real `pkubectl`, and cleanup of
every process a test started — even when the test fails."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest

BIN_DIR = os.path.dirname(sys.executable)


def pytest_addoption(parser):
    parser.addoption("--soak", action="store_true", default=False,
                     help="run the long reliability (soak) variants with more iterations")


@pytest.fixture
def soak(request) -> bool:
    return request.config.getoption("--soak")


def executable(name: str) -> str:
    path = os.path.join(BIN_DIR, name)
    if os.path.exists(path):
        return path
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed (pip install -e .)")
    return found


def get_json(c, *args) -> dict:
    """`pkubectl get ARGS -o json`, decoded (c: a Cluster)."""
    return json.loads(c.ok("get", *args, "-o", "json"))


def free_node_port() -> int:
    """A NodePort nothing on this machine listens on now (other clusters share loopback)."""
    for port in random.sample(range(30200, 32700), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free NodePort")


@dataclass
class Cluster:
    home: str
    env: dict
    started: list = field(default_factory=list)

    def pk(self, *args, input: str | bytes | None = None, timeout: float = 120, env: dict | None = None,
           check: bool = False) -> subprocess.CompletedProcess:
        """Run the real pkubectl; returns the CompletedProcess (text mode)."""
        e = dict(self.env, **(env or {}))
        r = subprocess.run([executable("pkubectl"), *args], input=input, capture_output=True, text=True,
                           timeout=timeout, env=e)
        if check and r.returncode != 0:
            raise AssertionError(f"pkubectl {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def ok(self, *args, **kw) -> str:
        """Run pkubectl, assert exit 0, return stdout."""
        return self.pk(*args, check=True, **kw).stdout

    def kubelet(self, *args, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
        e = dict(self.env, **(env or {}))
        return subprocess.run([executable("pkubelet"), *args], capture_output=True, text=True, env=e,
                              timeout=kw.pop("timeout", 60), **kw)

    def popen(self, argv: list[str], env: dict | None = None, **kw) -> subprocess.Popen:
        """A background process owned by the test (stopped at teardown)."""
        e = dict(self.env, **(env or {}))
        p = subprocess.Popen(argv, env=e, start_new_session=True, **kw)
        self.started.append(p)
        return p

    def wait_for(self, predicate, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
        """Poll `predicate` until it returns a truthy value or the deadline passes."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")


def cleanup_home(home: str, started: list) -> None:
    """Stop everything that belongs to this cluster: test-owned processes, the
    daemon and node agents, and every container process under the state dir."""
    for p in started:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
    deadline = time.monotonic() + 5
    for p in started:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait(5)
    try:
        from pkubelet.runtime import process
        process.kill_all_in(os.path.join(home, "pods"))
    except Exception:  # noqa: BLE001 - cleanup must go on
        pass
    kill_processes_of(home)


def kill_processes_of(home: str) -> None:
    """Any process whose command line or environment names this state dir."""
    import psutil

    me = os.getpid()
    victims = []
    for proc in psutil.process_iter(["pid", "cmdline", "environ"]):
        if proc.info["pid"] == me:
            continue
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            env = proc.info["environ"] or {}
        except (psutil.Error, TypeError):
            continue
        if home in cmd or env.get("PKUBE_HOME") == home or env.get("PKUBE_POD_HOME", "").startswith(home):
            victims.append(proc)
    for v in victims:
        try:
            v.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(victims, timeout=5)


@pytest.fixture
def cluster(tmp_path):
    home = str(tmp_path / "pkube")
    env = dict(os.environ, PKUBE_HOME=home, PKUBE_NO_DAEMON="1", PYTHONUNBUFFERED="1")
    env.pop("PKUBECONFIG", None)
    c = Cluster(home=home, env=env)
    try:
        yield c
    finally:
        try:
            c.kubelet("stop", "--stop-pods", timeout=60)
        except Exception:  # noqa: BLE001 - cleanup must go on
            pass
        cleanup_home(home, c.started)
