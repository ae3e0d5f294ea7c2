"""kubectl's HumanDuration (k8s.io/apimachinery/pkg/util/duration) and AGE cells.

Every relative time kubectl prints (AGE, LAST SEEN, `(5m ago)`, describe's
`3m (x5 over 10m)`) goes through these rules, so they are reproduced exactly,
including the truncation (never rounding) of each unit.

Public API:
    human_duration(seconds: float) -> str
    age(timestamp: str | None, now: float | None = None) -> str
    parse_rfc3339(timestamp: str) -> float | None
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

# (upper bound, formatter) over whole seconds `s`; first match wins.
# Mirrors duration.HumanDuration; derived units are truncated.
_MIN, _HOUR, _DAY, _YEAR = 60, 3600, 86400, 365 * 86400


def _two(big: int, big_unit: str, small: int, small_unit: str) -> str:
    return f"{big}{big_unit}" if small == 0 else f"{big}{big_unit}{small}{small_unit}"


_RULES = (
    (120, lambda s: f"{s}s"),
    (10 * _MIN, lambda s: _two(s // _MIN, "m", s % _MIN, "s")),
    (3 * _HOUR, lambda s: f"{s // _MIN}m"),
    (8 * _HOUR, lambda s: _two(s // _HOUR, "h", (s // _MIN) % 60, "m")),
    (48 * _HOUR, lambda s: f"{s // _HOUR}h"),
    (192 * _HOUR, lambda s: _two(s // _DAY, "d", (s // _HOUR) % 24, "h")),
    (2 * _YEAR, lambda s: f"{s // _DAY}d"),
    (8 * _YEAR, lambda s: _two(s // _YEAR, "y", (s // _DAY) % 365, "d")),
)


def human_duration(seconds: float) -> str:
    """Format a duration the way kubectl's duration.HumanDuration does."""
    # Go converts the Duration to whole seconds by truncation toward zero.
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    for bound, fmt in _RULES:
        if s < bound:
            return fmt(s)
    return f"{s // _YEAR}y"


def parse_rfc3339(timestamp: str) -> float | None:
    """Seconds since the epoch for an RFC 3339 timestamp, None if unparsable."""
    ts = timestamp.strip()
    if ts.endswith(("Z", "z")):
        ts = ts[:-1] + "+00:00"
    if "." in ts:
        # Python < 3.11 accepts only 3 or 6 fractional digits: normalise to 6.
        head, _, rest = ts.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        frac, tz = rest[:digits], rest[digits:]
        ts = f"{head}.{(frac + '000000')[:6]}{tz}"
    try:
        dt = datetime.fromisoformat(ts)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def age(timestamp: str | None, now: float | None = None) -> str:
    """AGE cell for a creationTimestamp-like value; `<unknown>` when missing."""
    if not timestamp:
        return "<unknown>"
    then = parse_rfc3339(timestamp)
    if then is None:
        return "<unknown>"
    if now is None:
        now = time.time()
    return human_duration(now - then)
