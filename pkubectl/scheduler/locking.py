"""The per-loop file lock (CONTEXT "Locks"): one scheduler pass at a time per cluster.

A CLI invocation and the daemon may both run a scheduler pass; two passes working from
the same snapshot would bind pods twice over the same free capacity. flock(2) on
{home}/locks/scheduler.lock serialises them across processes, and the kernel drops it
when a holder dies, so a kill -9 never leaves the cluster locked.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import time

POLL = 0.02


@contextlib.contextmanager
def hold(home: str, name: str, timeout: float = 30.0):
    """Yield True once the lock `name` is held, or False if `timeout` passed first."""
    path = os.path.join(home, "locks")
    os.makedirs(path, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(path, name), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(POLL)
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
