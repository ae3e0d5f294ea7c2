"""Fixtures for the reliability suite (on top of tests/conftest.py); the probes the
tests use live in probes.py."""
from __future__ import annotations

import os

import pytest


@pytest.fixture
def kube(cluster):
    """A cluster whose daemon, node agents and containers are all stopped at teardown."""
    try:
        yield cluster
    finally:
        try:
            cluster.kubelet("stop", "--stop-pods", timeout=90)
        except Exception:  # noqa: BLE001 - cleanup goes on
            pass
        from pkubelet.runtime import process

        process.kill_all_in(os.path.join(cluster.home, "pods"))
