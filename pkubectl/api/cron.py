"""Cron schedules (robfig/cron v3, ParseStandard): one parser for the API and the controller.

    parse("*/5 9-17 * * mon-fri", "Europe/Paris").next(after_epoch) -> epoch seconds
    schedule_error("61 * * * *") -> "end of range (61) above maximum (59): 61"

Validation (``pkubectl.api.validation``) takes robfig's error text from ``schedule_error``;
the CronJob controller evaluates the schedules the API accepted with ``Schedule.next``.
Both read the same fields, so what the API lets in is exactly what the controller runs.

Five fields (minute hour day-of-month month day-of-week) with lists, ranges, steps and
names (jan..dec, sun..sat), `?` as `*`, the descriptors @yearly/@annually, @monthly,
@weekly, @daily/@midnight, @hourly, and @every <Go duration> (robfig accepts it, so
Kubernetes does too). Errors are robfig's own texts, word for word (kubectl shows them).

Day matching follows robfig (and Vixie cron): when both day-of-month and day-of-week are
restricted (neither starts with `*`), a day matches if either does; otherwise both must.
Times are wall-clock times in the schedule's zone (spec.timeZone, else the controller's
local zone, as kube-controller-manager uses its own).
"""
from __future__ import annotations

import datetime as dt
import re

from pkubectl.api.formats import go_quote

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
_GO_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$")
SEARCH_YEARS = 5  # robfig gives up after five years without a match (e.g. "0 0 30 2 *")


class ScheduleError(ValueError):
    pass


def parse_go_duration(text: str) -> float:
    """`1h30m`, `90s`, `1.5h`, `-2m` -> seconds (Go's time.ParseDuration)."""
    if not _GO_DURATION.match(text):
        raise ScheduleError(f"time: invalid duration {go_quote(text)}")
    seconds = sum(float(n) * GO_UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text))
    return -seconds if text.startswith("-") else seconds


def _int(text: str) -> int:
    """robfig's mustParseInt: strconv.Atoi, then no negatives."""
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ScheduleError(f"failed to parse int from {text}: strconv.Atoi: parsing {go_quote(text)}: invalid syntax")
    number = int(text)
    if number < 0:
        raise ScheduleError(f"negative number ({number}) not allowed: {text}")
    return number


def _int_or_name(text: str, names: dict) -> int:
    return names[text.lower()] if text.lower() in names else _int(text)


def _range(expr: str, low: int, high: int, names: dict) -> tuple[range, bool]:
    """robfig's getRange for one comma-separated part: (values, star), where star = the part
    is `*` or `?` with no step above 1 (robfig's starBit, which drives the day-matching rule)."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    star = low_and_high[0] in ("*", "?")
    if star:
        start, end = low, high
    else:
        start = _int_or_name(low_and_high[0], names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], names)
        else:
            raise ScheduleError(f"too many hyphens: {expr}")
    if len(range_and_step) == 2:
        step = _int(range_and_step[1])
        if len(low_and_high) == 1:
            end = high  # "N/step" means "N-max/step"
        star = star and step <= 1
    elif len(range_and_step) > 2:
        raise ScheduleError(f"too many slashes: {expr}")
    else:
        step = 1
    if start < low:
        raise ScheduleError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise ScheduleError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise ScheduleError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise ScheduleError(f"step of range should be a positive number: {expr}")
    return range(start, end + 1, step), star


def _field(text: str, low: int, high: int, names: dict) -> tuple[frozenset, bool]:
    """(allowed values, star) for one field: the union of its comma-separated parts."""
    values: set[int] = set()
    star = False
    for expr in text.split(","):
        part, part_star = _range(expr, low, high, names)
        values.update(part)
        star = star or part_star
    return frozenset(values), star


def split_zone(spec: str) -> tuple[str | None, str]:
    """A `TZ=`/`CRON_TZ=` prefix, as robfig reads it: (zone name or None, the rest)."""
    if not spec.startswith(("TZ=", "CRON_TZ=")):
        return None, spec
    if " " not in spec.strip():
        return spec.split("=", 1)[1].strip(), ""
    prefix, rest = spec.split(None, 1)
    return prefix.split("=", 1)[1], rest


class Schedule:
    """A parsed schedule; next(t) is the first activation strictly after epoch t. A
    `TZ=` prefix is skipped here (its zone is parse()'s business); a bad spec raises
    ScheduleError with robfig's text."""

    def __init__(self, spec: str, tz: dt.tzinfo | None = None):
        self.spec = spec
        self.tz = tz
        self.every: float | None = None
        if not spec:
            raise ScheduleError("empty spec string")
        _, text = split_zone(spec)
        if text.startswith("@"):
            if text.startswith("@every "):
                try:
                    every = parse_go_duration(text[len("@every "):])
                except ScheduleError as e:
                    raise ScheduleError(f"failed to parse duration {text}: {e}") from None
                self.every = max(every, 1.0)  # robfig: "delays of less than a second are not supported"
                return
            if text not in DESCRIPTORS:
                raise ScheduleError(f"unrecognized descriptor: {text}")
            text = DESCRIPTORS[text]
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
    prefix_zone, _ = split_zone(spec)
    return Schedule(spec, zone(prefix_zone or time_zone))


def schedule_error(spec: str) -> str | None:
    """robfig's ParseStandard error text for ``spec``, or None if it parses. A `TZ=`
    prefix's zone is not looked up: the API refuses the prefix with its own message."""
    try:
        Schedule(spec)
    except ScheduleError as e:
        return str(e)
    return None
