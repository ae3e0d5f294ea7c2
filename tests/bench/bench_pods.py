"""Benchmark: wall time from `pkubectl apply` of N trivial pods to all of them Running.

Each pod is one `sleep 3600` busybox container. The apply runs the control loops itself
(scheduler + the local kubelet sync: DESIGN "Two ways to run", way 1), so when it returns
the pods should already be Running; the script then polls `get pods` until they are and
prints both times. Everything runs in a throw-away PKUBE_HOME and is stopped at the end.

    python tests/bench/bench_pods.py [--pods 100] [--bound]   (--bound: spec.nodeName set,
                                                                bypassing the scheduler)
Importable: run(pods=100, bound=False) -> dict.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

BIN = os.path.dirname(sys.executable)


def manifest(n: int, bound: bool) -> str:
    docs = []
    for i in range(n):
        node = "  nodeName: pkube\n" if bound else ""
        docs.append("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p%03d\nspec:\n%s  containers:\n"
                    "  - name: app\n    image: busybox\n    command: [sleep, '3600']\n" % (i, node))
    return "---\n".join(docs)


def run(pods: int = 100, bound: bool = False) -> dict:
    home = tempfile.mkdtemp(prefix="pkube-bench-")
    env = dict(os.environ, PKUBE_HOME=home, PKUBE_NO_DAEMON="1")
    pk = [os.path.join(BIN, "pkubectl")]
    try:
        # warm-up: the node registers and the C shim compiles outside the measurement
        subprocess.run(pk + ["apply", "-f", "-"], input=manifest(1, True).replace("p000", "warm"),
                       text=True, env=env, check=True, capture_output=True)
        start = time.monotonic()
        subprocess.run(pk + ["apply", "-f", "-"], input=manifest(pods, bound), text=True, env=env,
                       check=True, capture_output=True)
        applied = time.monotonic() - start
        while True:
            out = subprocess.run(pk + ["get", "pods", "--no-headers"], text=True, env=env,
                                 capture_output=True).stdout
            running = sum(1 for line in out.splitlines() if line.split()[2:3] == ["Running"])
            if running >= pods + 1:
                break
            if time.monotonic() - start > 120:
                raise SystemExit("timed out: %d of %d Running" % (running, pods + 1))
            time.sleep(0.05)
        total = time.monotonic() - start
        return {"pods": pods, "bound": bound, "apply_seconds": applied, "all_running_seconds": total}
    finally:
        subprocess.run([os.path.join(BIN, "pkubelet"), "stop", "--stop-pods"], env=env,
                       capture_output=True, timeout=120)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=100)
    ap.add_argument("--bound", action="store_true")
    args = ap.parse_args()
    r = run(args.pods, args.bound)
    print("%d pods (%s): apply returned in %.2f s, all Running after %.2f s"
          % (r["pods"], "spec.nodeName set" if r["bound"] else "scheduled", r["apply_seconds"],
             r["all_running_seconds"]))


if __name__ == "__main__":
    main()
