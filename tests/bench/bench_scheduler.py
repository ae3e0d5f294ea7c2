"""Scheduler throughput: pods bound per second by one run_once() pass.

100 simulated Node objects (Ready, with allocatable; no kubelet, like KWOK) and N
pending pods of one ReplicaSet-like owner in a temporary store; the time of the pass
that binds them all, median over runs. kube-scheduler's scheduler_perf thresholds
(SchedulingBasic, 5000 nodes) are 680-810 pods/s; pkube aims at >= 1,000 on 100 nodes.

    python tests/bench/bench_scheduler.py [--pods N] [--nodes N] [--runs N]

`run()` returns the rows for other tooling.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from pkubectl.api import registry  # noqa: E402
from pkubectl.api.server import Api  # noqa: E402
from pkubectl.scheduler import scheduler  # noqa: E402
from state.store import Store  # noqa: E402


def make_node(i: int) -> dict:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": f"node-{i:03d}", "labels": {"kubernetes.io/hostname": f"node-{i:03d}"}},
            "status": {"capacity": {"cpu": "32", "memory": "128Gi", "pods": "110"},
                       "allocatable": {"cpu": "32", "memory": "128Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def make_pod(i: int, owner_uid: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"web-{i:05d}", "namespace": "default", "labels": {"app": "web"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                              "uid": owner_uid, "controller": True}]},
            "spec": {"containers": [{"name": "web", "image": "nginx",
                                     "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}}


def one_run(pods: int, nodes: int) -> dict:
    home = tempfile.mkdtemp(prefix="pkube-bench-sched-")
    try:
        api = Api(Store(home))
        with api.batch():
            for i in range(nodes):
                api.create(make_node(i))
            for i in range(pods):
                api.create(make_pod(i, "00000000-0000-0000-0000-000000000001"))
        start = time.perf_counter()
        bound = scheduler.run_once(api)
        elapsed = time.perf_counter() - start
        items, _ = api.list(registry.by_kind("Pod"), "default")
        assert bound == pods == sum(1 for p in items if p["spec"].get("nodeName")), (bound, pods)
        api.store.close()
        return {"pods": pods, "nodes": nodes, "seconds": elapsed, "pods_per_s": pods / elapsed}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run(pods: int = 2000, nodes: int = 100, runs: int = 3) -> list[dict]:
    rows = [one_run(pods, nodes) for _ in range(runs)]
    median = statistics.median(r["pods_per_s"] for r in rows)
    return rows + [{"pods": pods, "nodes": nodes, "median_pods_per_s": median}]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=2000)
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args(argv)
    rows = run(a.pods, a.nodes, a.runs)
    for r in rows[:-1]:
        print(f"{r['pods']} pods on {r['nodes']} nodes: {r['seconds']:.3f}s = {r['pods_per_s']:.0f} pods/s")
    print(f"median: {rows[-1]['median_pods_per_s']:.0f} pods/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
