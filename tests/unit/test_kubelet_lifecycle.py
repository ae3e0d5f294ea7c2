"""The kubelet's non-blocking stop (runtime.process request_stop/advance_stop) and the
AtomicWriter layout of configMap/secret volumes (pkubelet.volumes.write_atomic)."""
from __future__ import annotations

import os
import time

import pytest

from pkubelet import volumes
from pkubelet.runtime import process


@pytest.fixture
def runs(tmp_path):
    started = []

    def start(name, script):
        record = process.start(str(tmp_path / name), ["sh", "-c", script], {}, None)
        started.append(record)
        return record

    yield start
    process.kill_all_in(str(tmp_path))


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_request_stop_signals_and_returns_without_waiting(runs):
    rec = runs("polite", "exec sleep 100")
    began = time.monotonic()
    assert process.request_stop(rec, 30)
    assert time.monotonic() - began < 1
    wait_for(lambda: isinstance(process.advance_stop(rec).state, process.Exited))
    assert process.status(rec).signal == 15


def test_a_process_ignoring_sigterm_is_killed_once_the_deadline_passed(runs):
    rec = runs("stubborn", 'trap "" TERM; echo up; while true; do sleep 0.05; done')
    wait_for(lambda: "up" in open(rec.log_path).read())
    now = time.time()
    process.request_stop(rec, 5, now=now)
    doc = process.stopping(rec)
    assert doc["deadline"] == pytest.approx(now + 5) and doc["termAt"] == pytest.approx(now)
    time.sleep(0.2)
    assert isinstance(process.advance_stop(rec, now=now + 1).state, process.Running)
    progress = process.advance_stop(rec, now=now + 5.01)
    assert progress.acted and process.stopping(rec)["killAt"]
    wait_for(lambda: isinstance(process.advance_stop(rec).state, process.Exited))
    assert process.status(rec).signal == 9


def test_a_second_request_only_brings_the_deadline_closer(runs):
    rec = runs("twice", 'trap "" TERM; while true; do sleep 0.05; done')
    now = time.time()
    process.request_stop(rec, 30, now=now)
    assert not process.request_stop(rec, 60, now=now)
    assert process.request_stop(rec, 1, now=now)
    assert process.stopping(rec)["deadline"] == pytest.approx(now + 1)


def test_sigterm_waits_for_the_hook_run(runs, tmp_path):
    rec = runs("hooked", 'trap "exit 0" TERM; while true; do sleep 0.05; done')
    hook_dir = os.path.join(rec.run_dir, "prestop")
    process.start(hook_dir, ["sleep", "0.5"], {}, None)
    process.request_stop(rec, 30, hook_dir=hook_dir)
    assert process.stopping(rec)["termAt"] is None
    assert isinstance(process.advance_stop(rec).state, process.Running)
    wait_for(lambda: isinstance(process.advance_stop(rec).state, process.Exited))
    assert process.stopping(rec)["hookSeen"] and process.status(rec).exit_code == 0


def files(root):
    return {n: open(os.path.join(root, n)).read() for n in os.listdir(root) if not n.startswith("..")}


def test_write_atomic_layout_update_and_no_op(tmp_path):
    root = str(tmp_path)
    assert volumes.write_atomic(root, [("a", "1", 0o644), ("dir/b", "2", 0o400)])
    assert os.readlink(os.path.join(root, "a")) == "..data/a"
    assert os.readlink(os.path.join(root, "dir")) == "..data/dir"
    assert open(os.path.join(root, "dir", "b")).read() == "2"
    assert os.stat(os.path.join(root, "dir", "b")).st_mode & 0o777 == 0o400
    first = os.readlink(os.path.join(root, "..data"))
    assert not volumes.write_atomic(root, [("a", "1", 0o644), ("dir/b", "2", 0o400)])
    assert volumes.write_atomic(root, [("a", "one", 0o644)])
    assert files(root) == {"a": "one"}
    second = os.readlink(os.path.join(root, "..data"))
    assert second != first and not os.path.exists(os.path.join(root, first))


def test_write_atomic_converts_plain_files_and_refuses_escapes(tmp_path):
    root = str(tmp_path)
    with open(os.path.join(root, "a"), "w") as f:
        f.write("old")
    assert volumes.write_atomic(root, [("a", "new", 0o644)])
    assert os.path.islink(os.path.join(root, "a")) and files(root) == {"a": "new"}
    with pytest.raises(ValueError):
        volumes.write_atomic(root, [("../x", "bad", 0o644)])


def test_kill_all_in_never_reads_runs_from_volume_files(tmp_path):
    """A run.json a container wrote into a volume must not make the runtime kill a process."""
    import json
    import subprocess

    import psutil

    victim = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        fake = tmp_path / "uid" / "volumes" / "data"
        fake.mkdir(parents=True)
        created = psutil.Process(victim.pid).create_time()
        (fake / "run.json").write_text(json.dumps({
            "run_dir": str(fake), "argv": ["x"], "env": {}, "cwd": "/", "stdin": False,
            "log_path": str(fake / "log"), "exit_path": str(fake / "exit.json"),
            "pid": victim.pid, "create_time": created, "shim_pid": victim.pid, "shim_create_time": created}))
        assert process.kill_all_in(str(tmp_path)) == []
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()
