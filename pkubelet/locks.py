"""Cross-process locks (fcntl.flock on files under {home}/locks/).

A CLI invocation and the daemon may run the same loop at once (DESIGN "Two ways to run");
the lock serialises them so that, above all, two kubelet syncs of one node never start the
same container twice. flock locks belong to an open file, so two threads of one process
exclude each other too, and a kill -9'd holder releases its lock with its last fd.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import time


class LockTimeout(Exception):
    """The lock stayed held by someone else for the whole timeout."""


def lock_path(home: str, name: str) -> str:
    return os.path.join(home, "locks", name)


@contextlib.contextmanager
def held(home: str, name: str, timeout: float = 60.0):
    """Hold {home}/locks/{name} exclusively for the with-block; waits up to `timeout`."""
    fd = acquire(home, name, timeout)
    try:
        yield
    finally:
        os.close(fd)  # closing the file releases the flock


def acquire(home: str, name: str, timeout: float = 60.0) -> int:
    """Take the lock and return its fd (close it to release). Raises LockTimeout."""
    path = lock_path(home, name)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LockTimeout("%s is held by another process" % path) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.05)


def is_held(home: str, name: str) -> bool:
    """True when some process holds the lock right now (probes without keeping it)."""
    try:
        fd = acquire(home, name, timeout=0)
    except LockTimeout:
        return True
    os.close(fd)
    return False
