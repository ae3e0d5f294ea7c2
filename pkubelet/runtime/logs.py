"""Read container logs in CRI format, the way the kubelet serves `kubectl logs`.

Each file line is `<RFC3339Nano> <stdout|stderr> <F|P> <text>`; a "P" (partial) entry is
the head of an over-long line, continued by the entries after it up to an "F". read()
and follow() yield whole lines ending in "\\n": the text alone, or `<timestamp> <text>`
with timestamps=True (the timestamp of the line's first entry, in kubectl's fixed
9-digit form).
"""

from __future__ import annotations

import calendar
import os
import time
from typing import Callable, Iterator

TAIL_BLOCK = 65536
FOLLOW_POLL = 0.1


def parse_timestamp(ts: str) -> float:
    """Seconds since the epoch from an RFC3339(Nano) UTC timestamp ("...Z" or "+00:00")."""
    secs = calendar.timegm((int(ts[0:4]), int(ts[5:7]), int(ts[8:10]),
                            int(ts[11:13]), int(ts[14:16]), int(ts[17:19])))
    rest = ts[19:]
    frac = 0.0
    if rest.startswith("."):
        digits = rest[1:].rstrip("Z").split("+")[0].split("-")[0]
        frac = float("0." + digits) if digits else 0.0
        rest = rest[1 + len(digits):]
    if rest[:1] in "+-" and len(rest) >= 6:
        offset = int(rest[1:3]) * 3600 + int(rest[4:6]) * 60
        secs -= offset if rest[0] == "+" else -offset
    return secs + frac


def format_timestamp(ts: str) -> str:
    """kubectl's --timestamps form: RFC3339 with exactly nine fractional digits."""
    if ts.endswith("Z") and len(ts) == 30:
        return ts
    t = parse_timestamp(ts)
    ns = int(round((t - int(t)) * 1e9))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + ".%09dZ" % ns


def _parse(raw: str):
    """(timestamp, stream, tag, text) of one CRI line, or None if it is not one."""
    parts = raw.rstrip("\n").split(" ", 3)
    if len(parts) < 3 or parts[2] not in ("F", "P"):
        return None
    return parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else ""


def _entries_to_lines(raw_lines) -> Iterator[tuple]:
    """Join P entries to their F; yields (timestamp, text) per logical line, per stream."""
    pending: dict = {}
    for raw in raw_lines:
        entry = _parse(raw)
        if entry is None:
            continue
        ts, stream, tag, text = entry
        if tag == "P":
            first_ts, parts = pending.setdefault(stream, (ts, []))
            parts.append(text)
            continue
        if stream in pending:
            first_ts, parts = pending.pop(stream)
            yield first_ts, "".join(parts) + text
        else:
            yield ts, text


def _tail_raw(path: str, n: int) -> tuple:
    """(raw CRI lines of the last n logical lines, end offset read), reading from the end."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        end = pos = f.tell()
        data = b""
        while pos > 0:
            step = min(TAIL_BLOCK, pos)
            pos -= step
            f.seek(pos)
            data = f.read(step) + data
            if data.count(b"\n") > n + 1 and _count_full(data) > n + 1:
                break
    end = pos + data.rfind(b"\n") + 1
    raw = data[: end - pos].decode(errors="replace").splitlines(keepends=True)
    if pos > 0:
        raw = raw[1:]  # possibly cut in the middle
    full = [i for i, line in enumerate(raw) if (_parse(line) or (0, 0, "P"))[2] == "F"]
    if n == 0:
        return [], end
    if len(full) > n:
        raw = raw[full[-n - 1] + 1:]
    return raw, end


def _count_full(data: bytes) -> int:
    return sum(1 for line in data.split(b"\n") if line.split(b" ", 3)[2:3] == [b"F"])


def _render(ts: str, text: str, timestamps: bool) -> str:
    return "%s %s\n" % (format_timestamp(ts), text) if timestamps else text + "\n"


def read(log_path: str, tail: int | None = None, since_seconds: float | None = None,
         timestamps: bool = False, limit_bytes: int | None = None) -> Iterator[str]:
    """The lines of one log file, filtered like `kubectl logs --tail --since --limit-bytes`.

    A missing file reads as empty (the container has not written anything yet).
    """
    yield from _read(log_path, tail, since_seconds, timestamps, limit_bytes, None)


def _read(log_path, tail, since_seconds, timestamps, limit_bytes, offset_out):
    try:
        if tail is not None and tail >= 0:
            raw, end = _tail_raw(log_path, tail)
            if offset_out is not None:
                offset_out.append(end)
        else:
            with open(log_path, "rb") as f:
                data = f.read()
            # Only complete entries; follow() picks up the rest.
            cut = data.rfind(b"\n") + 1
            if offset_out is not None:
                offset_out.append(cut)
            raw = data[:cut].decode(errors="replace").splitlines(keepends=True)
    except FileNotFoundError:
        if offset_out is not None:
            offset_out.append(0)
        return
    since = time.time() - since_seconds if since_seconds is not None else None
    budget = limit_bytes
    for ts, text in _entries_to_lines(raw):
        if since is not None and parse_timestamp(ts) < since:
            continue
        line = _render(ts, text, timestamps)
        if budget is not None:
            encoded = line.encode()
            if len(encoded) >= budget:
                if budget > 0:
                    yield encoded[:budget].decode(errors="ignore")
                return
            budget -= len(encoded)
        yield line


def follow(log_path: str, is_running: Callable[[], bool], tail: int | None = None,
           since_seconds: float | None = None, timestamps: bool = False,
           limit_bytes: int | None = None, poll_interval: float = FOLLOW_POLL) -> Iterator[str]:
    """Like read(), then keep yielding new lines until is_running() returns False.

    After the container stops, whatever it wrote last is still read before returning.
    """
    offset: list = []
    budget = limit_bytes
    for line in _read(log_path, tail, since_seconds, timestamps, limit_bytes, offset):
        if budget is not None:
            budget -= len(line.encode())
        yield line
    if budget is not None and budget <= 0:
        return
    pending: dict = {}
    for batch in follow_raw(log_path, is_running, offset[0] if offset else 0, poll_interval):
        raw = b"\n".join(batch).decode(errors="replace").splitlines()
        for entry in map(_parse, raw):
            if entry is None:
                continue
            ts, stream, tag, text = entry
            if tag == "P":
                pending.setdefault(stream, [ts, ""])[1] += text
                continue
            if stream in pending:
                ts, head = pending.pop(stream)
                text = head + text
            line = _render(ts, text, timestamps)
            if budget is not None:
                encoded = line.encode()
                if len(encoded) >= budget:
                    yield encoded[:budget].decode(errors="ignore")
                    return
                budget -= len(encoded)
            yield line


def follow_raw(log_path: str, is_running: Callable[[], bool], pos: int,
               poll_interval: float = FOLLOW_POLL) -> Iterator[list]:
    """The log's complete entries (raw bytes, no newline) from byte `pos`, one batch per
    poll, until is_running() is False and what the container wrote last has been read."""
    buffered = b""
    while True:
        running = is_running()
        try:
            with open(log_path, "rb") as f:
                f.seek(pos)
                chunk = f.read()
        except FileNotFoundError:
            chunk = b""
        pos += len(chunk)
        buffered += chunk
        cut = buffered.rfind(b"\n") + 1
        batch, buffered = buffered[:cut].splitlines(), buffered[cut:]
        yield batch
        if not running:
            return
        time.sleep(poll_interval)
