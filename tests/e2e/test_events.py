"""`pkubectl events`: kubectl's events table (oldest first, LAST SEEN with repeats),
--for, --types, -A, the empty message on stderr, structured output, and -w."""
from __future__ import annotations

import json
import os
import select
import subprocess
import time

import pytest

from conftest import executable

pytestmark = pytest.mark.e2e


def test_table_filters_and_errors(cluster):
    r = cluster.pk("events")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "No events found in default namespace.\n")
    cluster.ok("run", "web", "--image=busybox", "--", "sleep", "3600")
    lines = cluster.ok("events").splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    reasons = [ln.split()[2] for ln in lines[1:]]
    # the kubelet's sequence, in the order it happened (same-second events by arrival)
    assert reasons[:5] == ["Scheduled", "Pulling", "Pulled", "Created", "Started"], lines
    assert "Pod/web   Successfully assigned default/web to pkube" in lines[1]
    assert cluster.ok("events", "--for", "pod/web", "--no-headers").splitlines()[0].split()[1:3] == \
        ["Normal", "Scheduled"]
    assert cluster.ok("events", "--for", "pod/other", "--types", "Normal") == ""
    all_ns = cluster.ok("events", "-A", "--types=normal").splitlines()
    assert all_ns[0].startswith("NAMESPACE   LAST SEEN") and all_ns[1].startswith("default ")
    r = cluster.pk("events", "--types=Info")
    assert (r.returncode, r.stderr) == (1, "error: valid --types are Normal or Warning\n")
    r = cluster.pk("events", "--for", "web")
    assert (r.returncode, r.stderr) == (1, "error: --for must be in resource/name form\n")
    listed = json.loads(cluster.ok("events", "-o", "json"))
    assert listed["kind"] == "EventList" and listed["items"][0]["reason"] == "Scheduled"
    assert cluster.ok("events", "-o", "name").startswith("event/web.")


def read_lines(pipe, count: int, deadline: float) -> list[str]:
    """Up to `count` lines from a text pipe, giving up at `deadline` (never blocks past it)."""
    lines, buffered = [], ""
    while len(lines) < count and time.monotonic() < deadline:
        ready, _, _ = select.select([pipe], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(pipe.fileno(), 4096).decode()
        if not chunk:
            break
        buffered += chunk
        *done, buffered = buffered.split("\n")
        lines += done
    return lines[:count]


def test_watch_prints_new_events_as_they_come(cluster):
    cluster.ok("create", "namespace", "x")
    watcher = cluster.popen([executable("pkubectl"), "events", "-w", "--for", "pod/late"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    cluster.ok("run", "late", "--image=busybox", "--", "sleep", "3600")
    lines = read_lines(watcher.stdout, 2, time.monotonic() + 30)
    watcher.terminate()
    watcher.wait(10)
    assert len(lines) == 2, lines
    assert lines[0].split()[:2] == ["LAST", "SEEN"]
    assert "Scheduled" in lines[1] and "Pod/late" in lines[1]
