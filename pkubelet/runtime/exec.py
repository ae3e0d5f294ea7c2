"""`kubectl exec`: run a command in a container's environment, working directory and mounts.

A container here is a host process, so "in the container" means: the container's env
(from its RunRecord or a spec dict) plus any overrides, its working directory, its mount
namespace when it has a private one (as root, pkubelet/mountns.py gives each container
one, with its volumes at their mountPath and its own /etc/hosts), and the caller's stdio
passed straight through. With tty=True and a caller that is not itself on a terminal, a
pseudo-terminal is allocated and relayed, as the container runtime would.

Entering the mount namespace happens in the forked child, between fork and exec
(setns(2) through ctypes: Python 3.11 has no os.setns, and this avoids needing
util-linux's nsenter): setns(CLONE_NEWNS) requires a single-threaded caller, and it
resets the working directory, so the chdir and the "is the command there" check come
after it, where they see what the container sees. A failure there is written to a pipe
and raised as ExecError in the parent, with the same words as without a namespace.
Where the container shares our mount namespace (non-root, PKUBE_NO_MOUNT_NS=1), or its
namespace cannot be opened, nothing changes: the command runs as before.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CLONE_NEWNS = 0x00020000  # <sched.h>: the mount namespace


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


def _target_pid(target) -> tuple:
    """(pid, create_time) of the container's main process, when the target names one."""
    if target is None:
        return None, None
    if isinstance(target, dict):
        return target.get("pid"), target.get("create_time")
    return getattr(target, "pid", None), getattr(target, "create_time", None)


def mount_ns_fd(target) -> int | None:
    """An open fd on the container's mount namespace when it differs from ours, else None.

    Opened here, in the parent, right after checking the process is still the container
    (pid + create time), so a recycled pid can never send a command into a stranger's
    namespace; the fd (close-on-exec) is what the child enters.
    """
    pid, create_time = _target_pid(target)
    if not pid:
        return None
    if create_time is not None:
        import psutil
        try:
            if abs(psutil.Process(pid).create_time() - create_time) > 0.01:
                return None
        except psutil.Error:
            return None
    path = "/proc/%d/ns/mnt" % pid
    try:
        theirs, ours = os.stat(path), os.stat("/proc/self/ns/mnt")
    except OSError:
        return None
    if (theirs.st_dev, theirs.st_ino) == (ours.st_dev, ours.st_ino):
        return None
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


def _libc_setns():
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    setns = libc.setns
    setns.argtypes = (ctypes.c_int, ctypes.c_int)
    setns.restype = ctypes.c_int
    return lambda fd: 0 if setns(fd, CLONE_NEWNS) == 0 else ctypes.get_errno()


def _check_command(argv0: str, path: str) -> str | None:
    if "/" not in argv0 and not shutil.which(argv0, path=path):
        return 'exec: "%s": executable file not found in $PATH' % argv0
    return None


def _check_cwd(cwd: str) -> str | None:
    if not os.path.isdir(cwd):
        return 'chdir to cwd ("%s") failed: no such file or directory' % cwd
    return None


def exec_in(target, argv: list, env: dict | None = None, cwd: str | None = None,
            tty: bool = False, stdin: bool = False) -> int:
    """Run argv like `kubectl exec [-i] [-t]` and return its exit code (128+N for signal N).

    ``target`` is a process.RunRecord or a dict with "env" and "cwd" (and optionally
    "pid"/"create_time"); ``env`` and ``cwd`` override what it says. Without stdin the
    command reads from /dev/null.
    """
    if tty and not _isatty(sys.stdin):
        return _with_spawner(target, argv, env, cwd, lambda spawn: _exec_with_pty(spawn, stdin))
    proc = popen_in(target, argv, env, cwd, stdin=None if stdin else subprocess.DEVNULL)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        code = proc.wait()
    return 128 - code if code < 0 else code


def popen_in(target, argv: list, env: dict | None = None, cwd: str | None = None, **popen_kw) -> subprocess.Popen:
    """Start argv as exec_in does (the container's env, working dir and mount namespace)
    and return the Popen; popen_kw are Popen's (stdin, stdout, stderr)."""
    return _with_spawner(target, argv, env, cwd, lambda spawn: spawn(**popen_kw))


def _with_spawner(target, argv, env, cwd, use):
    base_env, base_cwd = _target_env_cwd(target)
    base_env.update(env or {})
    base_env.setdefault("PATH", os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"))
    cwd = cwd or base_cwd or "/"
    if not argv:
        raise ExecError("you must specify at least one command for the container")
    ns_fd = mount_ns_fd(target)
    if ns_fd is None:
        problem = _check_command(argv[0], base_env["PATH"]) or _check_cwd(cwd)
        if problem:
            raise ExecError(problem)
    try:
        return use(_Spawner(argv, base_env, cwd, ns_fd))
    finally:
        if ns_fd is not None:
            os.close(ns_fd)


class _Spawner:
    """Popen for argv in cwd with env, inside the mount namespace open at ns_fd (if any)."""

    def __init__(self, argv, env, cwd, ns_fd):
        self.argv, self.env, self.cwd, self.ns_fd = argv, env, cwd, ns_fd

    def __call__(self, **popen_kw) -> subprocess.Popen:
        if self.ns_fd is None:
            return self._popen(cwd=self.cwd, **popen_kw)
        setns = _libc_setns()
        report_r, report_w = os.pipe()  # both close-on-exec: EOF here means exec happened
        argv0, path, cwd, ns_fd = self.argv[0], self.env["PATH"], self.cwd, self.ns_fd

        def enter():  # runs in the child, after fork, before exec
            err = setns(ns_fd)
            problem = ("setns: %s" % os.strerror(err).lower()) if err else None
            problem = problem or _check_command(argv0, path) or _check_cwd(cwd)
            if not problem:
                try:
                    os.chdir(cwd)
                except OSError:
                    problem = 'chdir to cwd ("%s") failed: no such file or directory' % cwd
            if problem:
                os.write(report_w, problem.encode())
                os._exit(127)

        try:
            proc = self._popen(preexec_fn=enter, **popen_kw)
        finally:
            os.close(report_w)
        try:
            problem = b""
            while True:
                chunk = os.read(report_r, 4096)
                if not chunk:
                    break
                problem += chunk
        finally:
            os.close(report_r)
        if problem:
            proc.wait()
            raise ExecError(problem.decode(errors="replace"))
        return proc

    def _popen(self, **kw) -> subprocess.Popen:
        try:
            return subprocess.Popen(self.argv, env=self.env, **kw)
        except OSError as err:
            raise ExecError('exec: "%s": %s' % (self.argv[0], os.strerror(err.errno or 0).lower())) from err


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _exec_with_pty(spawn: _Spawner, stdin: bool) -> int:
    """Relay a pseudo-terminal between our stdio and the command (tty requested, none here)."""
    import pty
    import select

    main_fd, child_fd = pty.openpty()
    try:
        proc = spawn(stdin=child_fd, stdout=child_fd, stderr=child_fd, start_new_session=True)
    except ExecError:
        os.close(main_fd)
        os.close(child_fd)
        raise
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
