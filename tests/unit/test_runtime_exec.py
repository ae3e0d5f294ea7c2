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
