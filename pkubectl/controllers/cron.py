"""Cron schedules as the CronJob controller reads them (robfig/cron v3, ParseStandard).

    parse("*/5 9-17 * * mon-fri", "Europe/Paris").next(after_epoch) -> epoch seconds

Five fields (minute hour day-of-month month day-of-week) with lists, ranges, steps and
names (jan..dec, sun..sat), `?` as `*`, the descriptors @yearly/@annually, @monthly,
@weekly, @daily/@midnight, @hourly, and @every <Go duration> (robfig accepts it, so
Kubernetes does too). Syntax errors are robfig's own texts: pkubectl.api.validation
holds the checker, this module only evaluates schedules the API already accepted.

Day matching follows robfig (and Vixie cron): when both day-of-month and day-of-week are
restricted (neither starts with `*`), a day matches if either does; otherwise both must.
Times are wall-clock times in the schedule's zone (spec.timeZone, else the controller's
local zone, as kube-controller-manager uses its own).
"""
from __future__ import annotations

import datetime as dt
import re

MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                                          "oct", "nov", "dec"))}
DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# (low, high, names) per field, in schedule order.
FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, MONTHS), (0, 6, DAYS))
DESCRIPTORS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
SEARCH_YEARS = 5  # robfig gives up after five years without a match (e.g. "0 0 30 2 *")


class ScheduleError(ValueError):
    pass


def parse_go_duration(text: str) -> float:
    """`1h30m`, `90s`, `1.5h` -> seconds (Go's time.ParseDuration, positive only here)."""
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ScheduleError(f'time: invalid duration "{text}"')
    return sum(float(n) * GO_UNITS[u] for n, u in parts)


def _number(text: str, names: dict) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise ScheduleError(f"failed to parse int from {text}")
    return int(text)


def _field(text: str, low: int, high: int, names: dict) -> tuple[frozenset, bool]:
    """(allowed values, star) for one field; star = the field starts with * or ? and has
    no step above 1 (robfig's starBit, which drives the day-matching rule)."""
    values: set[int] = set()
    star = False
    for expr in text.split(","):
        range_part, _, step_part = expr.partition("/")
        step = _number(step_part, {}) if step_part else 1
        if range_part in ("*", "?"):
            start, end = low, high
            star = star or step == 1
        else:
            lo_text, dash, hi_text = range_part.partition("-")
            start = _number(lo_text, names)
            end = _number(hi_text, names) if dash else (high if step_part else start)
        if start < low or end > high or start > end or step < 1:
            raise ScheduleError(f"invalid range: {expr}")
        values.update(range(start, end + 1, step))
    return frozenset(values), star


class Schedule:
    """A parsed schedule; next(t) is the first activation strictly after epoch t."""

    def __init__(self, spec: str, tz: dt.tzinfo | None = None):
        self.spec = spec
        self.tz = tz
        self.every: float | None = None
        text = spec.strip()
        if text.startswith("@every "):
            self.every = parse_go_duration(text[len("@every "):].strip())
            if self.every < 1:
                self.every = 1.0  # robfig: "delays of less than a second are not supported"
            return
        text = DESCRIPTORS.get(text, text)
        if text.startswith("@"):
            raise ScheduleError(f"unrecognized descriptor: {text}")
        fields = text.split()
        if len(fields) != 5:
            raise ScheduleError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
        parsed = [_field(f, *limits) for f, limits in zip(fields, FIELDS)]
        (self.minutes, _), (self.hours, _), (self.doms, self.dom_star), (self.months, _), \
            (self.dows, self.dow_star) = parsed

    def _day_matches(self, day: dt.datetime) -> bool:
        dom = day.day in self.doms
        dow = (day.isoweekday() % 7) in self.dows
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow

    def next(self, after: float) -> float | None:
        """The first activation time (epoch seconds) strictly after `after`, or None
        when there is none within five years."""
        if self.every is not None:
            # ConstantDelaySchedule: the next whole second `every` after `after`.
            return float(int(after + self.every))
        tz = self.tz
        start = dt.datetime.fromtimestamp(after, tz)
        wall = start.replace(second=0, microsecond=0, tzinfo=None) + dt.timedelta(minutes=1)
        limit = wall.year + SEARCH_YEARS
        while wall.year <= limit:
            if wall.month not in self.months:
                wall = (wall.replace(day=1, hour=0, minute=0) + dt.timedelta(days=32)).replace(day=1)
                continue
            if not self._day_matches(wall):
                wall = wall.replace(hour=0, minute=0) + dt.timedelta(days=1)
                continue
            if wall.hour not in self.hours:
                wall = wall.replace(minute=0) + dt.timedelta(hours=1)
                continue
            if wall.minute not in self.minutes:
                wall += dt.timedelta(minutes=1)
                continue
            ts = wall.replace(tzinfo=tz).timestamp() if tz is not None else wall.timestamp()
            if ts > after:
                return ts
            wall += dt.timedelta(minutes=1)  # a repeated wall-clock hour (DST fall back)
        return None

    def most_recent(self, earliest: float, now: float) -> tuple[float | None, int]:
        """(the latest activation in (earliest, now], how many there were) — the
        controller's mostRecentScheduleTime. The count is estimated from the gap between
        the first two activations, as Kubernetes does; only "more than 100" matters."""
        t1 = self.next(earliest)
        if t1 is None or now < t1:
            return None, 0
        t2 = self.next(t1)
        if t2 is None or now < t2:
            return t1, 1
        period = max(1.0, round(t2 - t1))
        missed = int((now - t1) // period) + 1
        if self.every is not None:
            return t1 + (missed - 1) * period, missed
        # Walk forward from a look-back window wide enough for uneven schedules
        # (weekdays only, month ends) instead of from t1, which may be years ago.
        t = self.next(max(earliest, now - max(3 * period, 7200.0)))
        latest = t1
        while t is not None and t <= now:
            latest, t = t, self.next(t)
        return latest, missed


def zone(name: str | None) -> dt.tzinfo | None:
    """spec.timeZone -> tzinfo (None = local time). Raises ScheduleError for an unknown zone."""
    if not name:
        return None
    if name in ("UTC", "Etc/UTC"):
        return dt.timezone.utc
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(name)
    except Exception as e:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError for odd keys
        raise ScheduleError(f"unknown time zone {name}") from e


def parse(spec: str, time_zone: str | None = None) -> Schedule:
    """Parse a CronJob schedule. A `TZ=`/`CRON_TZ=` prefix is honoured as robfig does
    (the API refuses it for CronJobs, but a schedule string alone may carry one)."""
    text = spec.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        prefix, _, text = text.partition(" ")
        time_zone = prefix.split("=", 1)[1]
    return Schedule(text, zone(time_zone))
