"""kubectl HumanDuration (duration.HumanDuration) and AGE cells."""

import pytest

from pkubectl.printers.age import age, human_duration, parse_rfc3339

M, H, D = 60, 3600, 86400


@pytest.mark.parametrize("seconds, text", [
    (-5, "<invalid>"), (-2, "<invalid>"), (-1, "0s"), (-0.5, "0s"), (0, "0s"), (59.9, "59s"),
    (119, "119s"), (120, "2m"), (125, "2m5s"), (9 * M + 59, "9m59s"), (10 * M, "10m"),
    (179 * M + 59, "179m"), (3 * H, "3h"), (3 * H + 5 * M, "3h5m"), (7 * H + 59 * M + 59, "7h59m"),
    (8 * H, "8h"), (47 * H + 59 * M, "47h"), (48 * H, "2d"), (2 * D + 3 * H, "2d3h"),
    (7 * D + 23 * H, "7d23h"), (8 * D, "8d"), (400 * D, "400d"), (729 * D, "729d"),
    (730 * D, "2y"), (731 * D, "2y1d"), (3 * 365 * D + 10 * D, "3y10d"), (8 * 365 * D, "8y"),
    (20 * 365 * D + 100 * D, "20y"),
])
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


def test_age_from_timestamp():
    now = parse_rfc3339("2026-11-26T06:32:00Z")
    assert age("2026-11-26T06:00:00Z", now) == "32m"
    assert age("2026-11-26T06:31:55.123456789Z", now) == "4s"
    assert age("2026-11-26T07:00:00+01:00", now) == "32m"


@pytest.mark.parametrize("value", [None, "", "not-a-time"])
def test_age_unknown(value):
    assert age(value, 0) == "<unknown>"
