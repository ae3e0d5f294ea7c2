"""Services end to end, timed: a real cluster (own PKUBE_HOME, the pkubelet daemon), a
3-replica HTTP Deployment behind a LoadBalancer Service, and a client doing fresh-connection
HTTP GETs directly to a pod IP and through the ClusterIP, the NodePort and the LB address.
Also: how long from `apply` until the NodePort answers, and until a scaled-away pod has
left the rotation. Prints a table; asserts nothing about time.

    python tests/bench/bench_proxy_e2e.py [--requests 2000]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1] / "e2e"))
BIN = os.path.dirname(sys.executable)

from test_services import deployment, service  # noqa: E402


def pk(env, *args, input=None) -> str:
    return subprocess.run([os.path.join(BIN, "pkubectl"), *args], env=env, input=input, text=True,
                          capture_output=True, check=True).stdout


ERRORS: dict = {}


def fetch(conn_host: str, port: int) -> str | None:
    c = http.client.HTTPConnection(conn_host, port, timeout=3)
    try:
        c.request("GET", "/")
        return c.getresponse().read().decode()
    except (OSError, http.client.HTTPException) as err:
        ERRORS[repr(err)[:80]] = ERRORS.get(repr(err)[:80], 0) + 1
        return None
    finally:
        c.close()


def wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise SystemExit("timed out")


def timed_gets(host: str, port: int, n: int) -> tuple[float, float, int]:
    """(requests/s, median latency ms, failures) for n sequential fresh-connection GETs."""
    lat, failures = [], 0
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        if fetch(host, port) is None:
            failures += 1
        lat.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    return n / total, statistics.median(lat) * 1000, failures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    opts = ap.parse_args()
    home = tempfile.mkdtemp(prefix="pkube-bench-")
    env = dict(os.environ, PKUBE_HOME=home, PKUBE_NO_DAEMON="1")
    subprocess.run([os.path.join(BIN, "pkubelet"), "start"], env=env, check=True, capture_output=True)
    try:
        t0 = time.perf_counter()
        pk(env, "apply", "-f", "-", input=yaml.safe_dump_all([deployment(3), service()]))
        svc = json.loads(pk(env, "get", "svc", "web", "-o", "json"))
        node_port = svc["spec"]["ports"][0]["nodePort"]
        wait(lambda: fetch("127.0.0.1", node_port))
        first_answer = time.perf_counter() - t0
        wait(lambda: json.loads(pk(env, "get", "svc", "web", "-o", "json"))["status"]["loadBalancer"].get("ingress"))
        svc = json.loads(pk(env, "get", "svc", "web", "-o", "json"))
        wait(lambda: len(json.loads(pk(env, "get", "endpoints", "web", "-o", "json"))["subsets"][0]
                         .get("addresses") or []) == 3)
        ep = json.loads(pk(env, "get", "endpoints", "web", "-o", "json"))
        pod_ip = ep["subsets"][0]["addresses"][0]["ip"]
        pod_port = ep["subsets"][0]["ports"][0]["port"]
        lb_ip = svc["status"]["loadBalancer"]["ingress"][0]["ip"]
        rows = [("direct pod IP", pod_ip, pod_port), ("ClusterIP", svc["spec"]["clusterIP"], 80),
                ("NodePort", "127.0.0.1", node_port), ("LoadBalancer", lb_ip, 80)]
        print(f"apply -> first answer through the NodePort: {first_answer:.2f} s")
        print(f"{'path':16} {'req/s':>8} {'median ms':>10} {'failed':>7}   ({opts.requests} fresh-connection GETs)")
        for name, host, port in rows:
            rate, median, failed = timed_gets(host, port, opts.requests)
            print(f"{name:16} {rate:8.0f} {median:10.3f} {failed:7d}")
        if ERRORS:
            print("errors:", ERRORS)
        t1 = time.perf_counter()
        pk(env, "scale", "deployment", "web", "--replicas=1")
        remaining = wait(lambda: (lambda names: names if len(names) == 1 else None)(
            {p["metadata"]["name"] for p in json.loads(pk(env, "get", "pods", "-o", "json"))["items"]
             if not p["metadata"].get("deletionTimestamp")}))
        wait(lambda: all(fetch("127.0.0.1", node_port) in remaining for _ in range(10)))
        print(f"scale 3 -> 1 until only the remaining pod answers: {time.perf_counter() - t1:.2f} s")
    finally:
        subprocess.run([os.path.join(BIN, "pkubelet"), "stop", "--stop-pods"], env=env, capture_output=True)


if __name__ == "__main__":
    main()
