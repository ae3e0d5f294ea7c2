"""Probes for the reliability suite: they look at the machine, not at what pkube reports —
which container runs are alive (run.json pid + create time, checked with psutil), which
shim processes exist for which pod, whether state.db passes `PRAGMA integrity_check`."""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter

import psutil


def executable(name: str) -> str:
    path = os.path.join(os.path.dirname(sys.executable), name)
    return path if os.path.exists(path) else shutil.which(name)


def daemon_env(cluster) -> dict:
    """The environment `pkubelet start` gets: the test's, without PKUBE_NO_DAEMON."""
    env = dict(cluster.env)
    env.pop("PKUBE_NO_DAEMON", None)
    return env


def start_daemon(cluster) -> int:
    """`pkubelet start` (the daemon in the background); returns its pid."""
    r = subprocess.run([executable("pkubelet"), "start"], env=daemon_env(cluster), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return daemon_pid(cluster.home)


def daemon_pid(home: str) -> int:
    with open(os.path.join(home, "daemon.pid")) as f:
        return int(f.read().strip())


def integrity(home: str) -> str:
    conn = sqlite3.connect(os.path.join(home, "state.db"), timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def live_runs(home: str) -> dict:
    """{(pod_uid, container): [run_dir, ...]} of container runs whose process is alive,
    according to each run.json (pid + create time, so a reused pid does not count)."""
    from pkubelet.runtime import process

    root = os.path.join(home, "pods")
    alive: dict = {}
    if not os.path.isdir(root):
        return alive
    for uid in os.listdir(root):
        pod_dir = os.path.join(root, uid)
        if not os.path.isdir(pod_dir):
            continue
        for container in os.listdir(pod_dir):
            cdir = os.path.join(pod_dir, container)
            if container == "volumes" or not os.path.isdir(cdir):
                continue
            for attempt in os.listdir(cdir):
                rec = process.load(os.path.join(cdir, attempt))
                if rec is not None and process._alive(rec.pid, rec.create_time):
                    alive.setdefault((uid, container), []).append(rec.run_dir)
    return alive


SHIM_ARG = re.compile(r"/pods/([0-9a-f-]{36})/([^/]+)/(\d+)/")


def shim_processes(home: str) -> Counter:
    """Counter of (pod_uid, container) -> live shim processes found in the process table
    (by the run dir in their command line), independent of any file pkube wrote."""
    found: Counter = Counter()
    prefix = os.path.join(home, "pods") + "/"
    for p in psutil.process_iter(["cmdline", "status"]):
        try:
            if p.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmd = " ".join(p.info["cmdline"] or [])
        except (psutil.Error, TypeError):
            continue
        if prefix in cmd and "container.log" in cmd:
            m = SHIM_ARG.search(cmd[cmd.index(prefix) - 1:])
            if m:
                found[(m.group(1), m.group(2))] += 1
    return found


def pods(cluster, selector: str | None = None) -> list:
    args = ["get", "pods", "-o", "json"] + (["-l", selector] if selector else [])
    return json.loads(cluster.ok(*args))["items"]
