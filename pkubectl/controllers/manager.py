"""The controller manager: one pass of every controller, under a lock.

CONTROLLERS is a plain table of (name, "module:function"); each function takes the Api
and returns how many writes it made. Adding a controller (Job, CronJob, DaemonSet,
StatefulSet, HPA, node lifecycle, endpoints, ...) is adding a row here — nothing else
changes. A module that is not built yet is skipped.

Controllers are level-triggered (DESIGN "Two ways to run"): each pass reads what is and
what should be and acts on the difference, so a pass can run from a CLI's converge() and
from the daemon alike. The `controllers.lock` flock ({home}/locks/controllers.lock)
serialises those passes; writes that lose a race (Conflict) are simply redone on the next
pass. A failing controller is logged to {home}/logs/controllers.log and does not stop
the others (PKUBE_DEBUG=1 raises instead).
"""
from __future__ import annotations

import importlib
import os
import time
import traceback

CONTROLLERS: list[tuple[str, str]] = [
    ("namespace", "pkubectl.controllers.namespace:sync"),
    ("deployment", "pkubectl.controllers.deployment:sync"),
    ("replicaset", "pkubectl.controllers.replicaset:sync"),
    ("garbagecollector", "pkubectl.controllers.garbagecollector:sync"),
    ("nodelifecycle", "pkubectl.controllers.nodelifecycle:sync"),
    ("podgc", "pkubectl.controllers.podgc:sync"),
    ("job", "pkubectl.controllers.job:sync"),
    ("cronjob", "pkubectl.controllers.cronjob:sync"),
    ("daemonset", "pkubectl.controllers.daemonset:sync"),
    ("statefulset", "pkubectl.controllers.statefulset:sync"),
    ("hpa", "pkubectl.controllers.hpa:sync"),
    ("endpoints", "pkubectl.controllers.endpoints:sync"),
    ("loadbalancer", "pkubectl.controllers.loadbalancer:sync"),
]
LOCK_TIMEOUT = float(os.environ.get("PKUBE_CONTROLLERS_LOCK_TIMEOUT", "30"))

_loaded: dict[str, object] = {}


def _load(spec: str):
    if spec not in _loaded:
        mod, _, fn = spec.partition(":")
        try:
            _loaded[spec] = getattr(importlib.import_module(mod), fn)
        except ModuleNotFoundError as e:
            if not (e.name and mod.startswith(e.name)):
                raise
            _loaded[spec] = None  # that controller is not built yet
    return _loaded[spec]


def run_once(api) -> int:
    """Run every controller once; returns the number of writes (0 = quiescent, or the
    lock could not be taken in time: the other holder is doing the same work)."""
    from pkubectl.scheduler.locking import hold  # the shared flock helper

    home = api.store.home
    with hold(home, "controllers.lock", LOCK_TIMEOUT) as held:
        if not held:
            return 0
        total = 0
        for name, spec in CONTROLLERS:
            fn = _load(spec)
            if fn is None:
                continue
            try:
                total += fn(api) or 0
            except Exception:  # noqa: BLE001 - one broken controller must not stop the rest
                if os.environ.get("PKUBE_DEBUG"):
                    raise
                _log(home, name)
        return total


def _log(home: str, name: str) -> None:
    try:
        os.makedirs(os.path.join(home, "logs"), mode=0o700, exist_ok=True)
        with open(os.path.join(home, "logs", "controllers.log"), "a") as f:
            f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} controller {name} failed:\n")
            f.write(traceback.format_exc())
    except OSError:
        pass
