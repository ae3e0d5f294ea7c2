"""A 100-replica Deployment from `pkubectl apply` to all 100 Ready, with the daemon
running and without it (the CLI's own converge, PKUBE_NO_DAEMON=1).

Baseline, measured in the same run and mode: 100 bare Pods (same container) from apply to
all Running, so the ratio is what the Deployment -> ReplicaSet -> Pod controllers add.
Each container is `sleep 3600`; every run uses a fresh state dir and stops its processes.

    python tests/bench/bench_converge.py [--replicas 100] [--runs 3]
Importable: run(replicas=100, runs=3) -> list of rows (figure, value, unit, baseline, baseline_value).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BIN = os.path.dirname(sys.executable)
CONTAINER = {"name": "app", "image": "busybox", "command": ["sleep", "3600"]}


def deployment(replicas: int) -> str:
    return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench"},
                       "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "bench"}},
                                "template": {"metadata": {"labels": {"app": "bench"}},
                                             "spec": {"terminationGracePeriodSeconds": 1,
                                                      "containers": [CONTAINER]}}}})


def bare_pods(n: int) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"bare-{i:03d}", "labels": {"app": "bench"}},
         "spec": {"terminationGracePeriodSeconds": 1, "containers": [CONTAINER]}} for i in range(n)]})


def _ready_count(env) -> int:
    out = subprocess.run([os.path.join(BIN, "pkubectl"), "get", "pods", "-l", "app=bench", "-o", "json"],
                         env=env, capture_output=True, text=True).stdout
    try:
        items = json.loads(out)["items"]
    except ValueError:
        return 0
    return sum(1 for p in items if any(c.get("type") == "Ready" and c.get("status") == "True"
                                       for c in p.get("status", {}).get("conditions", [])))


def one(manifest: str, n: int, daemon: bool, timeout: float = 300) -> float:
    home = tempfile.mkdtemp(prefix="pkube-bench-converge-")
    env = dict(os.environ, PKUBE_HOME=home, PKUBE_NO_DAEMON="1")
    kubelet = os.path.join(BIN, "pkubelet")
    try:
        # warm-up outside the measurement: the node registers, the C shim compiles
        subprocess.run([os.path.join(BIN, "pkubectl"), "run", "warm", "--image=busybox", "--", "sleep", "3600"],
                       env=env, capture_output=True, check=True)
        if daemon:
            subprocess.run([kubelet, "start"], env={k: v for k, v in env.items() if k != "PKUBE_NO_DAEMON"},
                           capture_output=True, check=True)
        start = time.monotonic()
        subprocess.run([os.path.join(BIN, "pkubectl"), "apply", "-f", "-"], input=manifest, text=True, env=env,
                       capture_output=True, check=True)
        while _ready_count(env) < n:
            if time.monotonic() - start > timeout:
                raise RuntimeError(f"not all {n} Ready after {timeout}s")
            time.sleep(0.1)
        return time.monotonic() - start
    finally:
        subprocess.run([kubelet, "stop", "--stop-pods"], env=env, capture_output=True, timeout=300)
        shutil.rmtree(home, ignore_errors=True)


def run(replicas: int = 100, runs: int = 3) -> list[dict]:
    rows = []
    for daemon in (False, True):
        mode = "daemon running" if daemon else "no daemon, CLI converges"
        dep = statistics.median(one(deployment(replicas), replicas, daemon) for _ in range(runs))
        pods = statistics.median(one(bare_pods(replicas), replicas, daemon) for _ in range(runs))
        rows.append({"figure": f"Deployment x{replicas}: apply -> all Ready ({mode})", "value": dep, "unit": "s",
                     "baseline": f"{replicas} bare Pods: apply -> all Ready", "baseline_value": pods})
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicas", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args(argv)
    for r in run(a.replicas, a.runs):
        print(f"{r['figure']}: {r['value']:.2f} s (baseline {r['baseline']}: {r['baseline_value']:.2f} s, "
              f"ratio {r['value'] / r['baseline_value']:.2f})")


if __name__ == "__main__":
    main()
