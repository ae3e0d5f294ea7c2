"""`kubectl exec`: run a command in a container's environment and working directory.

A container here is a host process, so "in the container" means: the container's env
(from its RunRecord or a spec dict) plus any overrides, its working directory, and the
caller's stdio passed straight through. With tty=True and a caller that is not itself on
a terminal, a pseudo-terminal is allocated and relayed, as the container runtime would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


class ExecError(Exception):
    """The command could not be started (kubectl shows it as an error, exit 1)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _target_env_cwd(target) -> tuple:
    if target is None:
        return {}, None
    if isinstance(target, dict):
        return dict(target.get("env") or {}), target.get("cwd") or target.get("workingDir")
    return dict(target.env or {}), target.cwd


def exec_in(target, argv: list, env: dict | None = None, cwd: str | None = None,
            tty: bool = False, stdin: bool = False) -> int:
    """Run argv like `kubectl exec [-i] [-t]` and return its exit code (128+N for signal N).

    ``target`` is a process.RunRecord or a dict with "env" and "cwd"; ``env`` and ``cwd``
    override what it says. Without stdin the command reads from /dev/null.
    """
    base_env, base_cwd = _target_env_cwd(target)
    base_env.update(env or {})
    base_env.setdefault("PATH", os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"))
    cwd = cwd or base_cwd or "/"
    if not argv:
        raise ExecError("you must specify at least one command for the container")
    if "/" not in argv[0] and not shutil.which(argv[0], path=base_env["PATH"]):
        raise ExecError('exec: "%s": executable file not found in $PATH' % argv[0])
    if not os.path.isdir(cwd):
        raise ExecError('chdir to cwd ("%s") failed: no such file or directory' % cwd)
    if tty and not _isatty(sys.stdin):
        return _exec_with_pty(argv, base_env, cwd, stdin)
    try:
        proc = subprocess.Popen(argv, env=base_env, cwd=cwd,
                                stdin=None if stdin else subprocess.DEVNULL)
    except OSError as err:
        raise ExecError('exec: "%s": %s' % (argv[0], os.strerror(err.errno or 0).lower())) from err
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        code = proc.wait()
    return 128 - code if code < 0 else code


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _exec_with_pty(argv, env, cwd, stdin: bool) -> int:
    """Relay a pseudo-terminal between our stdio and the command (tty requested, none here)."""
    import pty
    import select

    main_fd, child_fd = pty.openpty()
    try:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=child_fd, stdout=child_fd,
                                stderr=child_fd, start_new_session=True)
    except OSError as err:
        os.close(main_fd)
        os.close(child_fd)
        raise ExecError('exec: "%s": %s' % (argv[0], os.strerror(err.errno or 0).lower())) from err
    os.close(child_fd)
    in_fd = sys.stdin.fileno() if stdin else None
    out_fd = sys.stdout.fileno()
    while True:
        watched = [main_fd] + ([in_fd] if in_fd is not None else [])
        ready, _, _ = select.select(watched, [], [], 0.1)
        if main_fd in ready:
            try:
                data = os.read(main_fd, 65536)
            except OSError:  # EIO: the terminal's last user closed it
                data = b""
            if not data:
                break
            os.write(out_fd, data)
        if in_fd is not None and in_fd in ready:
            data = os.read(in_fd, 65536)
            if data:
                os.write(main_fd, data)
            else:
                in_fd = None
                os.write(main_fd, b"\x04")  # end of input, as a terminal user would type
        if proc.poll() is not None and main_fd not in ready:
            break
    os.close(main_fd)
    code = proc.wait()
    return 128 - code if code < 0 else code
