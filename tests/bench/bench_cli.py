"""CLI start-up: `pkubectl get pods` with 1,000 pods in the store, against real
kubectl's own client start-up (`kubectl version --client`) measured in the same run.

Also `pkubectl apply -f` of one Deployment (control loops off: the API path only).
Prints a table; asserts nothing about time. Medians over --runs.

    python tests/bench/bench_cli.py [--pods 1000] [--runs 15]

Importable: run(**options) -> list[dict].
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

BIN = os.path.dirname(sys.executable)
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: bench}
spec:
  replicas: 1
  selector: {matchLabels: {app: bench}}
  template:
    metadata: {labels: {app: bench}}
    spec:
      containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
"""


def _tool(name: str) -> str | None:
    p = os.path.join(BIN, name)
    return p if os.path.exists(p) else shutil.which(name)


def _fill(home: str, pods: int) -> None:
    """Write `pods` Pod objects straight through the API (no processes)."""
    from pkubectl.api.server import Api
    from state.store import Store

    api = Api(Store(home))
    for i in range(pods):
        api.create({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": f"pod-{i:04d}", "labels": {"app": "bench"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "1"]}]}})
    api.store.close()


def _time(argv: list[str], env: dict, runs: int, stdin: str | None = None) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, env=env, input=stdin, text=True, capture_output=True, check=False)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def run(pods: int = 1000, runs: int = 15) -> list[dict]:
    rows = []
    home = tempfile.mkdtemp(prefix="pkube-bench-")
    try:
        _fill(home, pods)
        env = dict(os.environ, PKUBE_HOME=home, PKUBE_NO_DAEMON="1", PKUBE_NO_CONVERGE="1")
        pk = _tool("pkubectl")
        kubectl = _tool("kubectl")
        subprocess.run([pk, "get", "pods"], env=env, capture_output=True)  # warm the page cache
        base = _time([kubectl, "version", "--client"], env, runs) if kubectl else None
        # Both with and without Python's bytecode cache: this sandbox sets
        # PYTHONDONTWRITEBYTECODE=1, which a user's machine normally does not.
        warm_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([pk, "get", "pods"], env=warm_env, capture_output=True)
        get_warm = _time([pk, "get", "pods"], warm_env, runs)
        get_env = _time([pk, "get", "pods"], env, runs)
        apply_t = _time([pk, "apply", "-f", "-"], warm_env, runs, stdin=DEPLOYMENT)
        rows.append({"benchmark": f"pkubectl get pods ({pods} pods)", "median_s": get_warm,
                     "baseline": "kubectl version --client", "baseline_s": base,
                     "ratio": (get_warm / base) if base else None})
        if env.get("PYTHONDONTWRITEBYTECODE"):
            rows.append({"benchmark": f"  same, PYTHONDONTWRITEBYTECODE=1", "median_s": get_env,
                         "baseline": "kubectl version --client", "baseline_s": base,
                         "ratio": (get_env / base) if base else None})
        rows.append({"benchmark": "pkubectl apply -f (1 Deployment, loops off)", "median_s": apply_t,
                     "baseline": "kubectl version --client", "baseline_s": base,
                     "ratio": (apply_t / base) if base else None})
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return rows


def print_rows(rows: list[dict]) -> None:
    from tabulate import tabulate
    table = [[r["benchmark"], f"{r['median_s'] * 1000:.0f} ms", r["baseline"],
              f"{r['baseline_s'] * 1000:.0f} ms" if r["baseline_s"] else "n/a",
              f"{r['ratio']:.2f}x" if r["ratio"] else "n/a"] for r in rows]
    print(tabulate(table, headers=["benchmark", "median", "baseline", "baseline median", "ratio"]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args(argv)
    print_rows(run(a.pods, a.runs))


if __name__ == "__main__":
    main()
