"""How long a <TAB> takes: name completion on a 1,000-pod store.

Measures the median wall time of
  - `pkubectl __complete get pods ""` (the process the shell scripts start), and
  - the bash completion function end to end (`_pkubectl` from completions/pkubectl.bash
    run in bash, which forks that process and filters its answer).
The budget is 150 ms. A benchmark, not a timed test: machines differ.

    python tests/bench/bench_completion.py [--pods 1000] [--runs 15]
Importable: run() -> list[dict].
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
BUDGET_MS = 150.0


def pkubectl() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "pkubectl")
    return here if os.path.exists(here) else (shutil.which("pkubectl") or "pkubectl")


def fill(home: str, pods: int) -> None:
    """Pods written through the Api (no controllers, no processes)."""
    from pkubectl.api.server import Api
    from state.store import Store

    store = Store(home)
    api = Api(store)
    for i in range(pods):
        api.create({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": f"{'web' if i % 2 else 'db'}-{i:05d}", "namespace": "default"},
                    "spec": {"containers": [{"name": "app", "image": "busybox"}]}})
    store.close()


def median_ms(argv: list[str], env: dict, runs: int, expect_lines: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        times.append((time.perf_counter() - t) * 1000)
        if r.returncode != 0 or len(r.stdout.splitlines()) < expect_lines:
            raise RuntimeError(f"{argv[:3]} failed: rc={r.returncode} {r.stderr[-500:]}")
    return statistics.median(times), min(times)


BASH_DRIVER = r'''
source "$1"
COMP_LINE="pkubectl get pods "
COMP_POINT=${#COMP_LINE}
COMP_WORDS=(pkubectl get pods "")
COMP_CWORD=3
_pkubectl pkubectl "" pods
printf '%s\n' "${COMPREPLY[@]}"
'''


def run(pods: int = 1000, runs: int = 15) -> list[dict]:
    home = tempfile.mkdtemp(prefix="pkube-bench-completion-")
    try:
        fill(home, pods)
        env = dict(os.environ, PKUBE_HOME=home, PKUBE_NO_DAEMON="1")
        env["PATH"] = os.path.dirname(pkubectl()) + os.pathsep + env.get("PATH", "")
        env.pop("PKUBECONFIG", None)
        results = []
        med, best = median_ms([pkubectl(), "__complete", "get", "pods", ""], env, runs, pods + 1)
        results.append({"name": "__complete get pods \"\"", "objects": pods, "median_ms": round(med, 1),
                        "min_ms": round(best, 1), "budget_ms": BUDGET_MS})
        script = os.path.join(ROOT, "completions", "pkubectl.bash")
        med, best = median_ms(["bash", "--norc", "--noprofile", "-c", BASH_DRIVER, "bench", script], env, runs, pods)
        results.append({"name": "bash _pkubectl 'pkubectl get pods <TAB>'", "objects": pods,
                        "median_ms": round(med, 1), "min_ms": round(best, 1), "budget_ms": BUDGET_MS})
        return results
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pods", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    for r in run(a.pods, a.runs):
        verdict = "ok" if r["median_ms"] <= r["budget_ms"] else "OVER BUDGET"
        print(f"{r['name']:<45} {r['objects']} objects  median {r['median_ms']:7.1f} ms  "
              f"min {r['min_ms']:7.1f} ms  (budget {r['budget_ms']:.0f} ms: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
