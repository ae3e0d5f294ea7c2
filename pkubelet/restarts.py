"""The kubelet's restart decisions, as pure functions (STYLE "What pkube takes" 9).

Back-off follows the kubelet's flowcontrol.Backoff for container restarts: the first crash
restarts at once; each later restart waits the current delay counted from the container's
finish time, the delay starting at 10 s and doubling up to 5 min. An entry that has not been
touched for 10 min (twice the maximum) is forgotten, so a container that ran well for that
long starts over at 10 s. Entries are plain dicts kept in the pod's state file, so a CLI
sync and the daemon share them.
"""
from __future__ import annotations

import os

# Settings (tests shrink them): PKUBE_BACKOFF_INITIAL / PKUBE_BACKOFF_MAX, in seconds.
INITIAL_BACKOFF = float(os.environ.get("PKUBE_BACKOFF_INITIAL", "10"))
MAX_BACKOFF = float(os.environ.get("PKUBE_BACKOFF_MAX", "300"))
BACKOFF_RESET = 2 * MAX_BACKOFF  # "reset after 10 min"


def should_restart(policy: str, exit_code: int) -> bool:
    """restartPolicy Always restarts every exit, OnFailure only non-zero ones, Never none."""
    if policy == "Always":
        return True
    if policy == "OnFailure":
        return exit_code != 0
    return False


def expired(entry: dict | None, now: float) -> bool:
    return not entry or now - entry.get("updated", 0.0) > BACKOFF_RESET


def in_backoff(entry: dict | None, finished_at: float, now: float) -> bool:
    """True while a restart must wait: less than the current delay since the finish."""
    if expired(entry, now):
        return False
    return now - finished_at < entry.get("seconds", 0.0)


def backoff_remaining(entry: dict | None, finished_at: float, now: float) -> float:
    if not in_backoff(entry, finished_at, now):
        return 0.0
    return finished_at + entry["seconds"] - now


def next_backoff(entry: dict | None, now: float) -> dict:
    """The entry after one more restart: 10 s the first time, then doubled up to 5 min."""
    if expired(entry, now):
        seconds = INITIAL_BACKOFF
    else:
        seconds = min(entry.get("seconds", INITIAL_BACKOFF) * 2, MAX_BACKOFF)
    return {"seconds": seconds, "updated": now}
