"""The daemon at rest: CPU % and RSS of the `pkubelet` daemon process over a quiet window,
with 100 running pods, sampled by psutil once a second.

Baseline, measured in the same run: the same daemon with no pods (only the node, its
heartbeat, the controllers and the proxy idling). Container processes are not counted (they
are the user's); their shims are reported separately.

    python tests/bench/bench_daemon_rest.py [--pods 100] [--seconds 60]
Importable: run(pods=100, seconds=60) -> list of rows (figure, value, unit, baseline, baseline_value).
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

import psutil

BIN = os.path.dirname(sys.executable)


def _pods(n: int) -> str:
    return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "rest"},
                       "spec": {"replicas": n, "selector": {"matchLabels": {"app": "rest"}},
                                "template": {"metadata": {"labels": {"app": "rest"}}, "spec": {
                                    "terminationGracePeriodSeconds": 1,
                                    "containers": [{"name": "app", "image": "busybox",
                                                    "command": ["sleep", "3600"]}]}}}})


def measure(pods: int, seconds: float) -> dict:
    home = tempfile.mkdtemp(prefix="pkube-bench-rest-")
    env = dict(os.environ, PKUBE_HOME=home)
    env.pop("PKUBE_NO_DAEMON", None)
    pk, kubelet = os.path.join(BIN, "pkubectl"), os.path.join(BIN, "pkubelet")
    try:
        subprocess.run([kubelet, "start"], env=env, capture_output=True, check=True)
        if pods:
            subprocess.run([pk, "apply", "-f", "-"], input=_pods(pods), text=True, env=env, capture_output=True,
                           check=True)
            subprocess.run([pk, "rollout", "status", "deployment/rest", "--timeout=300s"], env=env,
                           capture_output=True, check=True, timeout=320)
        with open(os.path.join(home, "daemon.pid")) as f:
            daemon = psutil.Process(int(f.read()))
        time.sleep(min(5.0, seconds / 4))  # let the last writes settle before the window
        shims = [p for p in psutil.process_iter(["cmdline"])
                 if os.path.join(home, "pods") in " ".join(p.info["cmdline"] or [])]
        cpu0, t0 = daemon.cpu_times(), time.monotonic()
        rss = []
        while time.monotonic() - t0 < seconds:
            rss.append(daemon.memory_info().rss)
            time.sleep(1.0)
        cpu1, wall = daemon.cpu_times(), time.monotonic() - t0
        used = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
        shim_rss = sum(p.memory_info().rss for p in shims if p.is_running())
        return {"cpu_percent": 100.0 * used / wall, "rss": statistics.median(rss), "shims": len(shims),
                "shim_rss": shim_rss}
    finally:
        subprocess.run([kubelet, "stop", "--stop-pods"], env=env, capture_output=True, timeout=300)
        shutil.rmtree(home, ignore_errors=True)


def run(pods: int = 100, seconds: float = 60) -> list[dict]:
    base = measure(0, seconds)
    busy = measure(pods, seconds)
    rows = [
        {"figure": f"daemon CPU at rest, {pods} pods ({seconds:.0f} s window)", "value": busy["cpu_percent"],
         "unit": "%", "baseline": "same, 0 pods", "baseline_value": base["cpu_percent"]},
        {"figure": f"daemon RSS at rest, {pods} pods (median)", "value": busy["rss"] / 2 ** 20, "unit": "MiB",
         "baseline": "same, 0 pods", "baseline_value": base["rss"] / 2 ** 20},
    ]
    if busy["shims"]:
        rows.append({"figure": f"shim RSS per container ({busy['shims']} shims)",
                     "value": busy["shim_rss"] / busy["shims"] / 2 ** 20, "unit": "MiB", "baseline": "",
                     "baseline_value": None})
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=60)
    a = ap.parse_args(argv)
    for r in run(a.pods, a.seconds):
        base = f" (baseline {r['baseline']}: {r['baseline_value']:.2f} {r['unit']})" if r["baseline_value"] else ""
        print(f"{r['figure']}: {r['value']:.2f} {r['unit']}{base}")


if __name__ == "__main__":
    main()
