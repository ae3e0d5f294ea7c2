"""Container runs through the real shims (C and Python): exits, signals, stop, adoption."""

import json
import os
import signal
import time

import psutil
import pytest

from pkubelet.runtime import logs, process


def wait_for(condition, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.01)


@pytest.fixture(scope="session")
def shim_bin(tmp_path_factory):
    return str(tmp_path_factory.mktemp("shim-bin"))


@pytest.fixture(params=["c", "python"])
def runtime(request, tmp_path, shim_bin):
    """start(name, argv, ...) in a temp run root; every run is killed at teardown."""
    shim = process.find_shim(shim_bin, request.param)
    root = tmp_path / "runs"
    started = []

    class Runtime:
        def __init__(self):
            self.root, self.shim = str(root), shim

        def run_dir(self, name):
            return str(root / name)

        def start(self, name, argv, env=None, cwd=None, **kw):
            try:
                record = process.start(self.run_dir(name), argv, env or {}, cwd, shim=shim, **kw)
            except process.StartError as err:
                if err.record:
                    started.append(err.record)
                raise
            started.append(record)
            return record

        def exited(self, record, timeout=10.0):
            return wait_for(lambda: _exited(record), timeout, "exit of %s" % record.argv)

    yield Runtime()
    process.kill_all_in(str(root))
    for record in started:
        for pid, created in ((record.pid, record.create_time),
                             (record.shim_pid, record.shim_create_time)):
            wait_for(lambda: not process._alive(pid, created), 10, "process %s to go" % pid)


def _exited(record):
    state = process.status(record)
    return state if isinstance(state, process.Exited) else None


def log_entries(record):
    with open(record.log_path) as f:
        return [line.rstrip("\n").split(" ", 3) for line in f]


def test_exit_code_and_both_streams_are_recorded(runtime):
    record = runtime.start("a", ["sh", "-c", "echo hi; echo err >&2; exit 3"])
    state = runtime.exited(record)
    assert (state.exit_code, state.signal, state.reason) == (3, None, "Error")
    entries = log_entries(record)
    assert [(e[1], e[2], e[3]) for e in entries] == [("stdout", "F", "hi"), ("stderr", "F", "err")]
    assert all(e[0].endswith("Z") and len(e[0]) == 30 for e in entries)
    with open(record.exit_path) as f:
        assert set(json.load(f)) >= {"exitCode", "signal", "finishedAt"}


def test_exit_zero_is_completed(runtime):
    state = runtime.exited(runtime.start("a", ["true"]))
    assert (state.exit_code, state.reason) == (0, "Completed")


def test_env_and_working_dir_reach_the_container(runtime, tmp_path):
    record = runtime.start("a", ["sh", "-c", 'echo "$GREETING"; pwd'], {"GREETING": "hello there"},
                           str(tmp_path))
    runtime.exited(record)
    assert [e[3] for e in log_entries(record)] == ["hello there", str(tmp_path)]


def test_sigkill_of_the_container_is_recorded_as_137(runtime):
    record = runtime.start("a", ["sleep", "100"])
    assert isinstance(process.status(record), process.Running)
    os.kill(record.pid, signal.SIGKILL)
    state = runtime.exited(record)
    assert (state.exit_code, state.signal, state.reason) == (137, 9, "Error")


def test_stop_escalates_to_sigkill_when_sigterm_is_ignored(runtime):
    record = runtime.start("a", ["sh", "-c", 'trap "" TERM; echo ready; sleep 100 & wait'])
    wait_for(lambda: os.path.getsize(record.log_path) > 0, what="the trap to be set")
    began = time.monotonic()
    state = process.stop(record, 0.3)
    assert time.monotonic() - began >= 0.3
    assert (state.exit_code, state.signal) == (137, 9)
    assert not process._alive(record.shim_pid, record.shim_create_time)


def test_stop_of_a_cooperative_process_is_sigterm(runtime):
    record = runtime.start("a", ["sleep", "100"])
    state = process.stop(record, 30)
    assert (state.exit_code, state.signal, state.reason) == (143, 15, "Error")


def test_stop_of_an_exited_run_returns_its_exit(runtime):
    record = runtime.start("a", ["sh", "-c", "exit 4"])
    runtime.exited(record)
    assert process.stop(record, 1).exit_code == 4


def test_leftover_processes_die_with_the_main_process(runtime):
    record = runtime.start("a", ["sh", "-c", "sleep 100 & echo $!; exit 0"])
    runtime.exited(record)
    orphan = int(log_entries(record)[0][3])
    wait_for(lambda: not psutil.pid_exists(orphan)
             or psutil.Process(orphan).status() == psutil.STATUS_ZOMBIE, what="orphan to die")


def test_a_restarted_kubelet_adopts_the_run(runtime):
    record = runtime.start("a", ["sleep", "100"])
    adopted = process.load(runtime.run_dir("a"))
    assert adopted == record
    assert isinstance(process.status(adopted), process.Running)
    assert process.stop(adopted, 5).signal == 15
    assert isinstance(process.status(record), process.Exited)


def test_adoption_recovers_pids_when_the_launcher_died_before_recording_them(runtime):
    record = runtime.start("a", ["sleep", "100"])
    doc = json.loads(open(os.path.join(record.run_dir, "run.json")).read())
    doc.update(shim_pid=None, pid=None, shim_create_time=None, create_time=None)
    open(os.path.join(record.run_dir, "run.json"), "w").write(json.dumps(doc))
    adopted = process.load(record.run_dir)
    assert (adopted.shim_pid, adopted.pid) == (record.shim_pid, record.pid)
    assert isinstance(process.status(adopted), process.Running)


def test_a_reused_pid_is_not_taken_for_ours(runtime, tmp_path):
    record = runtime.start("a", ["sleep", "100"])
    impostor = process.load(record.run_dir)
    impostor.exit_path = str(tmp_path / "impostor-exit.json")
    impostor.create_time -= 100
    impostor.shim_create_time -= 100
    assert process.tree_usage(impostor) == (0.0, 0)
    # Neither process is "ours" any more, and there is no exit file: reported as lost.
    state = process.status(impostor)
    assert (state.exit_code, state.reason) == (137, "Error")
    assert psutil.pid_exists(record.pid)  # ...and nothing was signalled


def test_everything_killed_without_exit_file_is_137(runtime):
    record = runtime.start("a", ["sleep", "100"])
    os.kill(record.shim_pid, signal.SIGKILL)
    os.kill(record.pid, signal.SIGKILL)
    state = runtime.exited(record)
    assert (state.exit_code, state.reason) == (137, "Error")
    assert process.status(record) == state  # stable on later calls


def test_missing_executable_is_a_start_error_on_disk_too(runtime):
    with pytest.raises(process.StartError) as info:
        runtime.start("a", ["no-such-program-xyz"])
    assert info.value.message == 'exec: "no-such-program-xyz": executable file not found in $PATH'
    assert info.value.reason == "RunContainerError"
    state = process.status(info.value.record)
    assert (state.exit_code, state.reason) == (128, "StartError")
    assert log_entries(info.value.record)[-1][3] == info.value.message


def test_bad_working_dir_is_a_start_error(runtime, tmp_path):
    with pytest.raises(process.StartError, match=r"chdir to cwd .*/missing.* no such file"):
        runtime.start("a", ["true"], cwd=str(tmp_path / "missing"))


def test_long_lines_are_split_into_partial_entries(runtime):
    record = runtime.start("a", ["sh", "-c", "head -c 40000 /dev/zero | tr '\\0' x; echo"])
    runtime.exited(record)
    tags = [e[2] for e in log_entries(record)]
    assert tags == ["P", "P", "F"]
    assert list(logs.read(record.log_path)) == ["x" * 40000 + "\n"]


def test_stdin_fifo_feeds_the_container(runtime):
    record = runtime.start("a", ["head", "-n", "1"], stdin=True)
    with open(os.path.join(record.run_dir, "stdin"), "w") as fifo:
        fifo.write("typed line\n")
    state = runtime.exited(record)
    assert state.exit_code == 0
    assert [e[3] for e in log_entries(record)] == ["typed line"]


def test_tree_usage_counts_the_process_tree(runtime):
    record = runtime.start("a", ["sh", "-c", "sh -c 'while :; do :; done' & wait"])
    cpu, rss = wait_for(lambda: (lambda u: u if u[0] > 0.05 else None)(process.tree_usage(record)),
                        what="cpu use to show")
    assert rss > 0
    assert process.cpu_percent(0.0, 0.5, 1.0) == 50.0
    assert process.millicores(1.0, 1.25, 1.0) == 250


def test_kill_all_in_stops_every_run_below_a_root(runtime):
    records = [runtime.start("pod/%d" % i, ["sleep", "100"]) for i in range(3)]
    stopped = process.kill_all_in(runtime.root)
    assert sorted(r.pid for r in stopped) == sorted(r.pid for r in records)
    assert all(isinstance(process.status(r), process.Exited) for r in records)
