"""Cron schedule evaluation (robfig/cron semantics) and the CronJob's due-run choice."""
from __future__ import annotations

import calendar
import datetime as dt
import re

import pytest

from pkubectl.api import cron
from pkubectl.controllers import cronjob


def ts(text: str) -> float:
    return calendar.timegm(dt.datetime.strptime(text, "%Y-%m-%d %H:%M").timetuple())


def nxt(spec: str, after: str, tz: str | None = "UTC") -> str:
    t = cron.parse(spec, tz).next(ts(after))
    zone = cron.zone(tz) or dt.timezone.utc
    return dt.datetime.fromtimestamp(t, zone).strftime("%Y-%m-%d %H:%M %a")


@pytest.mark.parametrize("spec,after,expected", [
    ("* * * * *", "2024-01-01 00:00", "2024-01-01 00:01 Mon"),
    ("*/15 * * * *", "2024-01-01 00:01", "2024-01-01 00:15 Mon"),
    ("0 9-17/4 * * *", "2024-01-01 09:00", "2024-01-01 13:00 Mon"),
    ("30 2 * * mon-fri", "2024-01-05 03:00", "2024-01-08 02:30 Mon"),   # Friday -> Monday
    ("0 0 1 jan,jul *", "2024-01-02 00:00", "2024-07-01 00:00 Mon"),
    ("0 0 29 2 *", "2024-03-01 00:00", "2028-02-29 00:00 Tue"),
    ("5 4 * * SUN", "2024-01-01 00:00", "2024-01-07 04:05 Sun"),
    ("0 12 ? * *", "2024-01-01 12:00", "2024-01-02 12:00 Tue"),
    ("@hourly", "2024-01-01 10:59", "2024-01-01 11:00 Mon"),
    ("@daily", "2024-01-01 10:00", "2024-01-02 00:00 Tue"),
    ("@weekly", "2024-01-01 10:00", "2024-01-07 00:00 Sun"),
    ("@monthly", "2024-01-31 10:00", "2024-02-01 00:00 Thu"),
    ("@yearly", "2024-06-01 00:00", "2025-01-01 00:00 Wed"),
    ("10-20/5 * * * *", "2024-01-01 00:16", "2024-01-01 00:20 Mon"),
    ("1,2,58 * * * *", "2024-01-01 00:03", "2024-01-01 00:58 Mon"),
])
def test_next_activation(spec, after, expected):
    assert nxt(spec, after) == expected


def test_day_of_month_or_day_of_week_when_both_restricted():
    # "the 13th, or any Friday" (Vixie cron / robfig): the first of those after Jan 1 2024
    assert nxt("0 0 13 * fri", "2024-01-01 00:00") == "2024-01-05 00:00 Fri"
    # a star in either field makes both apply: every day-of-month, Fridays only
    assert nxt("0 0 * * fri", "2024-01-01 00:00") == "2024-01-05 00:00 Fri"
    # "*/2" is not a star for that rule (robfig clears the star bit when a step > 1 is given)
    assert nxt("0 0 */2 * fri", "2024-01-01 00:00") == "2024-01-03 00:00 Wed"


def test_time_zone_is_wall_clock():
    assert nxt("0 9 * * *", "2024-01-01 00:00", "Europe/Paris") == "2024-01-01 09:00 Mon"
    t = cron.parse("0 9 * * *", "Europe/Paris").next(ts("2024-01-01 00:00"))
    assert t == ts("2024-01-01 08:00")  # 09:00 CET is 08:00 UTC
    # across the spring-forward change the wall time stays 09:00 (now CEST, UTC+2)
    t = cron.parse("0 9 * * *", "Europe/Paris").next(ts("2024-03-31 08:00"))
    assert t == ts("2024-04-01 07:00")


def test_tz_prefix_and_unknown_zone():
    assert cron.parse("TZ=UTC 0 0 * * *").next(ts("2024-01-01 00:00")) == ts("2024-01-02 00:00")
    with pytest.raises(cron.ScheduleError):
        cron.zone("Mars/Olympus")


def test_every_descriptor_and_durations():
    s = cron.parse("@every 1h30m")
    assert s.next(1000.0) == 1000.0 + 5400
    assert cron.parse_go_duration("1.5h") == 5400
    with pytest.raises(cron.ScheduleError):
        cron.parse_go_duration("5 minutes")


@pytest.mark.parametrize("bad", ["* * * *", "61 * * * *", "* * * * 7", "5-1 * * * *", "@fortnightly",
                                 "*/0 * * * *", "a * * * *"])
def test_invalid_schedules(bad):
    with pytest.raises(cron.ScheduleError):
        cron.parse(bad)


def test_most_recent_missed_run():
    s = cron.parse("*/5 * * * *", "UTC")
    assert s.most_recent(ts("2024-01-01 00:00"), ts("2024-01-01 00:04")) == (None, 0)
    assert s.most_recent(ts("2024-01-01 00:00"), ts("2024-01-01 00:07")) == (ts("2024-01-01 00:05"), 1)
    t, missed = s.most_recent(ts("2024-01-01 00:00"), ts("2024-01-01 10:02"))
    assert t == ts("2024-01-01 10:00") and missed == 120
    weekdays = cron.parse("0 9 * * 1-5", "UTC")
    t, _ = weekdays.most_recent(ts("2024-01-01 10:00"), ts("2024-01-08 10:00"))  # Mon -> next Mon
    assert t == ts("2024-01-08 09:00")


def cj(**spec) -> dict:
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "tick", "namespace": "default", "uid": "u1",
                         "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"metadata": {"labels": {"a": "b"}},
                                                               "spec": {"template": {"spec": {}}}}, **spec},
            "status": {}}


def test_next_run_honours_last_schedule_and_starting_deadline():
    c = cj()
    s = cron.parse(c["spec"]["schedule"], "UTC")
    assert cronjob.next_run(c, s, ts("2024-01-01 00:12"))[0] == ts("2024-01-01 00:10")
    c["status"]["lastScheduleTime"] = "2024-01-01T00:10:00Z"
    assert cronjob.next_run(c, s, ts("2024-01-01 00:12"))[0] is None
    c = cj(startingDeadlineSeconds=60)
    assert cronjob.next_run(c, s, ts("2024-01-01 00:12"))[0] is None  # 00:10 is more than 60 s ago
    assert cronjob.next_run(c, s, ts("2024-01-01 00:10"))[0] == ts("2024-01-01 00:10")


def test_job_names_and_annotations():
    c = cj()
    job = cronjob.job_from_template(c, ts("2024-01-01 00:10"), cron.zone("UTC"))
    assert job["metadata"]["name"] == f"tick-{int(ts('2024-01-01 00:10')) // 60}"
    assert job["metadata"]["annotations"][cronjob.SCHEDULED_ANNOTATION] == "2024-01-01T00:10:00Z"
    assert job["metadata"]["labels"] == {"a": "b"}
    assert job["metadata"]["ownerReferences"][0]["controller"] is True
    paris = cronjob.job_from_template(c, ts("2024-01-01 00:10"), cron.zone("Europe/Paris"))
    assert paris["metadata"]["annotations"][cronjob.SCHEDULED_ANNOTATION] == "2024-01-01T01:10:00+01:00"
    manual = cronjob.job_from_cronjob(c, "now")
    assert manual["metadata"]["name"] == "now"
    assert manual["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"


@pytest.mark.parametrize("spec", ["+5 * * * *", "*-3 * * * *", "0 9 * * ?", "@every 1h", "TZ=UTC 0 * * * *"])
def test_what_validation_accepts_the_controller_runs(spec):
    # one parser for both: a schedule the API lets in never fails in the controller
    assert cron.schedule_error(spec) is None
    assert cron.parse(spec, "UTC").next(ts("2024-01-01 00:00")) is not None


@pytest.mark.parametrize("spec,message", [
    ("", "empty spec string"),
    ("@every 5 minutes", 'failed to parse duration @every 5 minutes: time: invalid duration "5 minutes"'),
    ("*/-5 * * * *", "negative number (-5) not allowed: -5"),
    ("TZ=UTC", "expected exactly 5 fields, found 0: []"),
])
def test_parse_errors_are_robfig_texts(spec, message):
    assert cron.schedule_error(spec) == message
    with pytest.raises(cron.ScheduleError, match=message and "^" + re.escape(message) + "$"):
        cron.Schedule(spec)


def test_every_below_a_second_runs_every_second():
    assert cron.parse("@every -5s").every == 1.0
    assert cron.parse("@every 200ms").next(10.0) == 11.0
