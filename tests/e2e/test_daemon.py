"""The daemon: start/stop/status, and adoption after kill -9 (same pids, no duplicates)."""
from __future__ import annotations

import json
import os
import signal

import psutil
import pytest
import yaml

pytestmark = pytest.mark.e2e


@pytest.fixture
def kube(cluster):
    try:
        yield cluster
    finally:
        cluster.kubelet("stop", "--stop-pods", timeout=60)
        from pkubelet.runtime import process

        process.kill_all_in(os.path.join(cluster.home, "pods"))


def sleeper(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": "pkube", "containers": [
                {"name": "app", "image": "busybox", "command": ["sleep", "3600"]}]}}


def pids(c) -> dict:
    pods = json.loads(c.ok("get", "pods", "-o", "json"))["items"]
    return {p["metadata"]["name"]: [cs.get("containerID") for cs in p["status"].get("containerStatuses", [])]
            for p in pods}


def marked_processes(home: str) -> list:
    """Container processes of this cluster: `sleep 3600` children of this home's shims."""
    out = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        try:
            if cmd[:2] == ["sleep", "3600"] and home in " ".join(p.parent().cmdline()):
                out.append(p.pid)
        except (psutil.Error, AttributeError):
            continue
    return out


def daemon_pid(c) -> int:
    with open(os.path.join(c.home, "daemon.pid")) as f:
        return int(f.read())


def test_start_status_stop(kube):
    assert kube.kubelet("status").returncode == 3
    started = kube.kubelet("start")
    assert started.returncode == 0 and "pkubelet started (pid" in started.stdout
    assert os.stat(os.path.join(kube.home, "daemon.pid")).st_mode & 0o777 == 0o600
    status = kube.kubelet("status")
    assert status.returncode == 0 and "pkubelet is running (pid %d)" % daemon_pid(kube) in status.stdout
    assert "already running" in kube.kubelet("start").stdout
    assert "pkubelet stopped" in kube.kubelet("stop").stdout
    assert kube.kubelet("status").returncode == 3


def test_daemon_starts_pods_and_stop_keeps_them(kube):
    kube.kubelet("start", check=True)
    kube.ok("create", "-f", "-", input=yaml.safe_dump(sleeper("a")), env={"PKUBE_NO_CONVERGE": "1"})
    kube.wait_for(lambda: (pids(kube).get("a") or [None])[0], message="the daemon started the pod")
    before = pids(kube)["a"]
    kube.kubelet("stop", check=True)
    pid = int(before[0].split("//")[1])
    assert psutil.pid_exists(pid)
    kube.kubelet("start", check=True)
    kube.ok("get", "pods")
    assert pids(kube)["a"] == before


def test_kill_9_of_the_daemon_then_a_command_adopts_the_same_processes(kube):
    kube.kubelet("start", check=True)
    kube.ok("apply", "-f", "-", input=yaml.safe_dump_all([sleeper("a"), sleeper("b")]))
    before = pids(kube)
    assert all(before.values())
    mine = sorted(marked_processes(kube.home))
    os.kill(daemon_pid(kube), signal.SIGKILL)
    kube.wait_for(lambda: kube.kubelet("status").returncode == 3, message="the daemon gone")
    # any mutating command syncs the node: it must adopt, not start again
    kube.ok("label", "pod", "a", "x=y")
    kube.ok("apply", "-f", "-", input=yaml.safe_dump_all([sleeper("a"), sleeper("b"), sleeper("c")]))
    after = pids(kube)
    assert after["a"] == before["a"] and after["b"] == before["b"]
    # and a new daemon adopts too
    kube.kubelet("start", check=True)
    kube.wait_for(lambda: kube.ok("get", "pods", "--no-headers").count("Running") == 3, message="3 running")
    assert pids(kube)["a"] == before["a"]
    restarts = [p["status"]["containerStatuses"][0]["restartCount"]
                for p in json.loads(kube.ok("get", "pods", "-o", "json"))["items"]]
    assert restarts == [0, 0, 0]
    now = marked_processes(kube.home)
    assert set(mine) <= set(now) and len(now) == len(mine) + 1  # only pod c is new
