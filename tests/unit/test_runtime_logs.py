"""Reading CRI log files: tail, since, timestamps, limit-bytes, partial lines, follow."""

import threading
import time

import pytest

from pkubelet.runtime import logs


def cri(ts, text, stream="stdout", tag="F"):
    return "%s %s %s %s\n" % (ts, stream, tag, text)


def now_ts(offset=0.0):
    t = time.time() + offset
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%09dZ" % int((t % 1) * 1e9)


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "0.log"
    path.write_text(
        cri("2024-05-01T10:00:00.000000001Z", "one")
        + cri("2024-05-01T10:00:01.5Z", "two", "stderr")
        + cri("2024-05-01T10:00:02.000000000Z", "thr", tag="P")
        + cri("2024-05-01T10:00:02.100000000Z", "ee")
        + cri("2024-05-01T10:00:03.000000000Z", "four"))
    return str(path)


def test_read_strips_the_cri_prefix_and_joins_partials(log):
    assert list(logs.read(log)) == ["one\n", "two\n", "three\n", "four\n"]


def test_timestamps_use_nine_fraction_digits(log):
    assert list(logs.read(log, timestamps=True))[:3] == [
        "2024-05-01T10:00:00.000000001Z one\n",
        "2024-05-01T10:00:01.500000000Z two\n",
        "2024-05-01T10:00:02.000000000Z three\n",
    ]


@pytest.mark.parametrize("tail, expected", [
    (0, []), (1, ["four\n"]), (2, ["three\n", "four\n"]), (10, ["one\n", "two\n", "three\n", "four\n"]),
])
def test_tail_counts_whole_lines(log, tail, expected):
    assert list(logs.read(log, tail=tail)) == expected


def test_tail_of_a_large_file_reads_from_the_end(tmp_path):
    path = tmp_path / "big.log"
    path.write_text("".join(cri("2024-05-01T10:00:00.000000000Z", "line %d" % i) for i in range(20000)))
    assert list(logs.read(str(path), tail=3)) == ["line 19997\n", "line 19998\n", "line 19999\n"]


def test_since_filters_by_time(tmp_path):
    path = tmp_path / "0.log"
    path.write_text(cri(now_ts(-3600), "old") + cri(now_ts(-1), "new"))
    assert list(logs.read(str(path), since_seconds=60)) == ["new\n"]


def test_limit_bytes_cuts_the_output(log):
    assert "".join(logs.read(log, limit_bytes=6)) == "one\ntw"


def test_missing_file_is_empty(tmp_path):
    assert list(logs.read(str(tmp_path / "none.log"))) == []


def test_parse_timestamp_handles_offsets():
    assert logs.parse_timestamp("2024-05-01T12:00:00+02:00") == logs.parse_timestamp("2024-05-01T10:00:00Z")
    assert logs.parse_timestamp("1970-01-01T00:00:01.25Z") == 1.25


def test_follow_yields_new_lines_until_the_container_stops(tmp_path):
    path = tmp_path / "0.log"
    path.write_text(cri(now_ts(), "first"))
    stopped = threading.Event()
    seen = []

    def writer():
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:  # wait until the reader is following
            time.sleep(0.01)
        with open(path, "a") as f:
            f.write(cri(now_ts(), "sec", tag="P"))
            f.flush()
            f.write(cri(now_ts(), "ond"))
        stopped.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for line in logs.follow(str(path), lambda: not stopped.is_set(), poll_interval=0.01):
            seen.append(line)
    finally:
        thread.join()
    assert seen == ["first\n", "second\n"]
