"""Per-invocation convergence (DESIGN "Two ways to run", way 1).

A mutating command writes its objects, then runs the control loops — controllers,
scheduler, the local node's kubelet sync — until a pass changes nothing, so that
`apply` then `get pods` already shows pods scheduled and started. The daemon runs
the same loops continuously; each loop is safe to run from both at once.

LOOPS names each loop as "module:function"; a loop takes the Api and returns how many
objects it changed. The kubelet sync lives in pkubelet: naming it here, rather than
importing it, keeps the import flow of DESIGN.md (nothing below the CLI imports it).
"""
from __future__ import annotations

import importlib
import os
import time

from pkubectl.api import registry

LOOPS = (
    "pkubectl.controllers.manager:run_once",
    "pkubectl.scheduler.scheduler:run_once",
    "pkubelet.kubelet:sync_local",
)
MAX_PASSES = 50


def _load(spec: str):
    mod, _, fn = spec.partition(":")
    try:
        return getattr(importlib.import_module(mod), fn)
    except ModuleNotFoundError as e:
        if e.name and mod.startswith(e.name):
            return None  # that layer is not installed in this build
        raise


def converge(inv, timeout: float = 30.0, ensure_daemon: bool = True) -> int:
    """Run every loop until quiescent or `timeout`; returns the changes made.
    Also starts the local daemon when none runs (PKUBE_NO_DAEMON=1 opts out)."""
    if os.environ.get("PKUBE_NO_CONVERGE"):
        return 0
    api = inv.api
    loops = [f for f in (_load(s) for s in LOOPS) if f is not None]
    first_pass = loops
    kubelet = _load(LOOPS[-1])
    if kubelet is not None and not api.list(registry.by_kind("Node"), None)[0]:
        # A new cluster has no Node until its kubelet's first sync. A real cluster has its
        # nodes before any pod: let the kubelet register first, rather than have the
        # scheduler report "no nodes available" for a pod it places a moment later.
        first_pass = [kubelet] + loops
    total = 0
    deadline = time.monotonic() + timeout
    for i in range(MAX_PASSES):
        changed = sum(loop(api) or 0 for loop in (first_pass if i == 0 else loops))
        total += changed
        if not changed or time.monotonic() > deadline:
            break
    if ensure_daemon and not os.environ.get("PKUBE_NO_DAEMON"):
        start = _load("pkubelet.daemon:ensure_running")
        if start is not None:
            start(inv.home)
    return total
