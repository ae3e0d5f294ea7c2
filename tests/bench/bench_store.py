"""The store at 10,000 objects: list latency through the Api and through `pkubectl get`,
and watch delivery latency (commit -> a watcher in another process sees the event).

Baselines, measured in the same run:
- Api list: the floor under it, one raw SQLite SELECT of the same rows + json.loads;
- `pkubectl get configmaps`: the same command on an empty namespace (start-up + one query);
- watch: none (the figure is absolute; the watcher polls the revision log every 0.1 s by
  default, so ~half the poll interval is expected).

    python tests/bench/bench_store.py [--objects 10000] [--runs 7] [--updates 200]
Importable: run(objects=10000, runs=7, updates=200) -> list of rows
(figure, value, unit, baseline, baseline_value).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

BIN = os.path.dirname(sys.executable)


def _fill(home: str, objects: int) -> None:
    from pkubectl.api.server import Api
    from state.store import Store

    api = Api(Store(home))
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "empty"}})
    with api.batch():
        for i in range(objects):
            api.create({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": f"cm-{i:05d}", "labels": {"app": "bench", "shard": str(i % 10)}},
                        "data": {"key": "value-%d" % i, "config.yaml": "a: 1\nb: [1, 2, 3]\n"}})
    api.store.close()


def _median_time(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def _interleaved(fn, base, runs: int) -> tuple[float, float]:
    """Medians of fn and its baseline, run alternately so both see the same machine."""
    a, b = [], []
    for _ in range(runs):
        for f, out in ((fn, a), (base, b)):
            t = time.perf_counter()
            f()
            out.append(time.perf_counter() - t)
    return statistics.median(a), statistics.median(b)


def _watcher(home: str, since: int, count: int, conn) -> None:
    """Another process: follow the log, report (receive time - write time) per update."""
    from pkubectl.api import registry
    from pkubectl.api.server import Api
    from state.store import Store

    api = Api(Store(home))
    conn.send("ready")
    lags = []
    for ev in api.watch([registry.by_kind("ConfigMap")], since, "default"):
        stamp = ev.object.get("data", {}).get("written")
        if stamp and ev.name == "watched":
            lags.append(time.time() - float(stamp))
            if len(lags) >= count:
                break
    conn.send(lags)


def run(objects: int = 10000, runs: int = 7, updates: int = 200) -> list[dict]:
    from pkubectl.api import registry, selectors
    from pkubectl.api.server import Api
    from state.store import Store

    home = tempfile.mkdtemp(prefix="pkube-bench-store-")
    rows = []
    try:
        _fill(home, objects)
        api = Api(Store(home))
        cm = registry.by_kind("ConfigMap")
        assert len(api.list(cm, "default")[0]) == objects
        raw = sqlite3.connect(os.path.join(home, "state.db"))
        api_s, raw_s = _interleaved(lambda: api.list(cm, "default"),
                                    lambda: [json.loads(r[0]) for r in raw.execute(
                                        "SELECT data FROM objects WHERE resource='configmaps' "
                                        "AND namespace='default' ORDER BY name")], runs)
        raw.close()
        sel_s = _median_time(lambda: api.list(cm, "default", label_selector=selectors.parse_label_selector("shard=3")), runs)
        rows.append({"figure": f"Api.list {objects} ConfigMaps", "value": api_s, "unit": "s",
                     "baseline": "raw SQLite SELECT + json.loads", "baseline_value": raw_s})
        rows.append({"figure": f"Api.list -l shard=3 ({objects // 10} of {objects})", "value": sel_s, "unit": "s",
                     "baseline": "raw SQLite SELECT + json.loads (all)", "baseline_value": raw_s})

        env = dict(os.environ, PKUBE_HOME=home, PKUBE_NO_DAEMON="1")
        pk = os.path.join(BIN, "pkubectl")
        subprocess.run([pk, "get", "cm"], env=env, capture_output=True)  # warm the page cache
        get_s = _median_time(lambda: subprocess.run([pk, "get", "cm"], env=env, capture_output=True, check=True),
                             runs)
        empty_s = _median_time(lambda: subprocess.run([pk, "get", "cm", "-n", "empty"], env=env,
                                                      capture_output=True, check=True), runs)
        json_s = _median_time(lambda: subprocess.run([pk, "get", "cm", "-o", "json"], env=env,
                                                     capture_output=True, check=True), max(3, runs // 2))
        rows.append({"figure": f"pkubectl get configmaps ({objects})", "value": get_s, "unit": "s",
                     "baseline": "pkubectl get configmaps (empty namespace)", "baseline_value": empty_s})
        rows.append({"figure": f"pkubectl get configmaps -o json ({objects})", "value": json_s, "unit": "s",
                     "baseline": "pkubectl get configmaps (empty namespace)", "baseline_value": empty_s})

        obj = api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched"},
                          "data": {"written": "0"}})
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_watcher, args=(home, api.store.revision(), updates, child), daemon=True)
        proc.start()
        try:
            parent.recv()
            time.sleep(0.5)  # let the watcher reach its first poll
            for _ in range(updates):
                obj = api.get(cm, "default", "watched")
                obj["data"]["written"] = repr(time.time())
                api.update(obj)
                time.sleep(0.01)
            lags = parent.recv() if parent.poll(60) else []
        finally:
            proc.kill()
            proc.join()
        if lags:
            rows.append({"figure": f"watch delivery, median of {len(lags)} updates", "value": statistics.median(lags),
                         "unit": "s", "baseline": "", "baseline_value": None})
            rows.append({"figure": "watch delivery, p99", "value": statistics.quantiles(lags, n=100)[98],
                         "unit": "s", "baseline": "", "baseline_value": None})
        api.store.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--updates", type=int, default=200)
    a = ap.parse_args(argv)
    from tabulate import tabulate

    rows = run(a.objects, a.runs, a.updates)
    print(tabulate([[r["figure"], f"{r['value'] * 1000:.1f} ms", r["baseline"] or "-",
                     f"{r['baseline_value'] * 1000:.1f} ms" if r["baseline_value"] else "-"] for r in rows],
                   headers=["figure", "median", "baseline", "baseline median"]))


if __name__ == "__main__":
    main()
