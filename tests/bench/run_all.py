"""Every benchmark in tests/bench/, one table: figure, its median, the baseline measured in
the same run, and the ratio (figure / baseline; for throughput figures, higher is better).

    python tests/bench/run_all.py           the full figures (several minutes)
    python tests/bench/run_all.py --quick   short variants (smaller inputs, fewer runs)
    python tests/bench/run_all.py --only store,converge

Each module's `run()` returns its own shape; ADAPTERS below turn it into rows of
(figure, value, unit, baseline, baseline value). A module that is not there is skipped; a
module that fails is reported in the table and the others still run. Nothing is asserted:
figures depend on the machine, which is printed with them.
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))


def _row(figure, value, unit, baseline="", baseline_value=None, higher_is_better=False):
    return {"figure": figure, "value": value, "unit": unit, "baseline": baseline,
            "baseline_value": baseline_value, "higher_is_better": higher_is_better}


def _cli(result):
    return [_row(r["benchmark"].strip(), r["median_s"], "s", r["baseline"], r["baseline_s"]) for r in result]


def _pods(result):
    return [_row(f"{result['pods']} bare pods: apply returns", result["apply_seconds"], "s"),
            _row(f"{result['pods']} bare pods: apply -> all Running", result["all_running_seconds"], "s")]


def _scheduler(result):
    summary = result[-1]
    return [_row(f"scheduler: {summary['pods']} pods on {summary['nodes']} nodes", summary["median_pods_per_s"],
                 "pods/s", "kube-scheduler SchedulingBasic threshold (published)", 680, higher_is_better=True)]


def _proxy(result):
    direct = next(r for r in result if r["path"] == "direct")
    rows = []
    for r in result:
        if r["path"] == "direct":
            continue
        rows.append(_row(f"proxy ({r['path']}): bulk throughput", r["gbps"], "GB/s", "direct connection",
                         direct["gbps"], higher_is_better=True))
        rows.append(_row(f"proxy ({r['path']}): p50 request latency, kept connection", r["kept_p50_us"], "µs",
                         "direct connection", direct["kept_p50_us"]))
    return rows


def _completion(result):
    return [_row(f"completion: {r['name']} ({r['objects']} objects)", r["median_ms"] / 1000, "s",
                 "budget", r["budget_ms"] / 1000) for r in result]


def _own(result):
    return [_row(r["figure"], r["value"], r["unit"], r["baseline"], r["baseline_value"]) for r in result]


# module -> (kwargs full, kwargs quick, adapter)
ADAPTERS = {
    "bench_cli": ({}, {"pods": 300, "runs": 5}, _cli),
    "bench_completion": ({}, {"pods": 300, "runs": 5}, _completion),
    "bench_pods": ({}, {"pods": 30}, _pods),
    "bench_scheduler": ({}, {"pods": 500, "nodes": 50, "runs": 2}, _scheduler),
    "bench_proxy": ({}, {"gib": 0.25, "reps": 1, "concurrent": 200, "latency_count": 500, "fresh_count": 200},
                    _proxy),
    "bench_store": ({}, {"objects": 2000, "runs": 3, "updates": 50}, _own),
    "bench_converge": ({}, {"replicas": 20, "runs": 1}, _own),
    "bench_daemon_rest": ({}, {"pods": 20, "seconds": 10}, _own),
}


def machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        pass
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2 ** 30:.1f} GiB"
    except Exception:  # noqa: BLE001
        mem = "?"
    return {"cpus": os.cpu_count(), "model": model or platform.processor(), "memory": mem,
            "python": platform.python_version(), "os": f"{platform.system()} {platform.release()}"}


def _fmt(value, unit) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    return f"{value:.3g} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"


def run_all(only: list | None, quick: bool) -> tuple[list, list]:
    rows, problems = [], []
    for name, (full, short, adapt) in ADAPTERS.items():
        if only and name.removeprefix("bench_") not in only and name not in only:
            continue
        if not (HERE / f"{name}.py").exists():
            continue
        t = time.monotonic()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            mod = importlib.import_module(name)
            got = adapt(mod.run(**(short if quick else full)))
            for r in got:
                r["module"] = name
            rows += got
        except Exception as e:  # noqa: BLE001 - one failing benchmark must not hide the others
            problems.append((name, f"{type(e).__name__}: {e}"))
            traceback.print_exc(file=sys.stderr)
        print(f"  {name}: {time.monotonic() - t:.0f} s", file=sys.stderr, flush=True)
    return rows, problems


def table(rows: list) -> str:
    from tabulate import tabulate

    out = []
    for r in rows:
        ratio = ""
        if r["baseline_value"]:
            ratio = f"{r['value'] / r['baseline_value']:.2f}x"
        out.append([r["figure"], _fmt(r["value"], r["unit"]), r["baseline"] or "-",
                    _fmt(r["baseline_value"], r["unit"]), ratio or "-"])
    return tabulate(out, headers=["figure", "median", "baseline (same run)", "baseline", "ratio"],
                    tablefmt="github")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short variants (smaller inputs, fewer runs)")
    ap.add_argument("--only", default="", help="comma-separated modules, e.g. store,converge")
    a = ap.parse_args(argv)
    only = [x.strip() for x in a.only.split(",") if x.strip()] or None
    started = time.monotonic()
    rows, problems = run_all(only, a.quick)
    m = machine()
    print(f"pkube benchmarks{' (--quick)' if a.quick else ''}: {m['cpus']} CPUs, {m['model']}, {m['memory']}, "
          f"Python {m['python']}, {m['os']}; {time.monotonic() - started:.0f} s")
    print()
    print(table(rows))
    for name, why in problems:
        print(f"\n{name} failed: {why}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
