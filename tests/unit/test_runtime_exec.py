"""kubectl exec semantics: the container's env and working dir, exit codes, errors."""

import subprocess
import sys

import pytest

from pkubelet.runtime.exec import ExecError, exec_in


def run_exec(code):
    """exec_in in a child interpreter, so stdio passing-through can be observed."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)


def test_runs_in_the_container_env_and_cwd(tmp_path):
    spec = {"env": {"GREETING": "hi", "PATH": "/usr/bin:/bin"}, "cwd": str(tmp_path)}
    done = run_exec("from pkubelet.runtime.exec import exec_in; import sys;"
                    "sys.exit(exec_in(%r, ['sh', '-c', 'echo $GREETING $EXTRA; pwd; exit 7'],"
                    " env={'EXTRA': 'there'}))" % spec)
    assert done.returncode == 7
    assert done.stdout == "hi there\n%s\n" % tmp_path


def test_stdin_is_passed_through_when_asked():
    done = subprocess.run(
        [sys.executable, "-c", "from pkubelet.runtime.exec import exec_in; import sys;"
         "sys.exit(exec_in(None, ['cat'], stdin=True))"],
        input="piped\n", capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout) == (0, "piped\n")


def test_tty_without_a_terminal_gets_a_pty():
    done = run_exec("from pkubelet.runtime.exec import exec_in; import sys;"
                    "sys.exit(exec_in(None, ['sh', '-c', 'test -t 1 && echo tty'], tty=True))")
    assert done.returncode == 0
    assert done.stdout.replace("\r", "") == "tty\n"


def test_signal_exit_is_128_plus_signal():
    assert exec_in(None, ["sh", "-c", "kill -9 $$"]) == 137


def test_missing_program_is_an_error():
    with pytest.raises(ExecError, match='exec: "no-such-program-xyz": executable file not found in \\$PATH'):
        exec_in({"env": {"PATH": "/usr/bin:/bin"}}, ["no-such-program-xyz"])


def test_no_command_is_an_error():
    with pytest.raises(ExecError, match="you must specify at least one command"):
        exec_in(None, [])


@pytest.fixture
def private_ns_process(tmp_path):
    """A process in its own mount namespace with tmp_path/src bind-mounted at tmp_path/mnt
    (which stays empty outside): what mountns gives a container as root."""
    import os
    import shutil
    import time

    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and util-linux unshare")
    src, mnt = tmp_path / "src", tmp_path / "mnt"
    src.mkdir()
    mnt.mkdir()
    (src / "key").write_text("inside")
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                             'mount --bind "$0" "$1" && exec sleep 60', str(src), str(mnt)])
    deadline = time.monotonic() + 5
    while os.stat("/proc/%d/ns/mnt" % proc.pid).st_ino == os.stat("/proc/self/ns/mnt").st_ino or \
            "sleep" not in open("/proc/%d/cmdline" % proc.pid).read():
        assert time.monotonic() < deadline, "the namespace was not made"
        time.sleep(0.01)
    yield {"pid": proc.pid, "env": {"PATH": "/usr/bin:/bin"}}, mnt
    proc.kill()
    proc.wait()


def test_exec_enters_the_containers_mount_namespace(private_ns_process):
    target, mnt = private_ns_process
    assert not (mnt / "key").exists()
    done = run_exec("from pkubelet.runtime.exec import exec_in; import sys;"
                    "sys.exit(exec_in(%r, ['sh', '-c', 'cat key; pwd']))" % dict(target, cwd=str(mnt)))
    assert (done.returncode, done.stdout) == (0, "inside%s\n" % mnt)
    with pytest.raises(ExecError, match='exec: "no-such-program-xyz": executable file not found in \\$PATH'):
        exec_in(target, ["no-such-program-xyz"])
    with pytest.raises(ExecError, match='chdir to cwd \\("%s/nope"\\) failed' % mnt):
        exec_in(dict(target, cwd=str(mnt / "nope")), ["true"])
    assert exec_in(dict(target, create_time=1.0), ["test", "-e", str(mnt / "key")]) == 1  # not that process
