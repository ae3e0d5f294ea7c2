"""Fallback container shim in pure Python, for hosts without a C compiler.

It behaves exactly like shim.c (read that file's header for the protocol) and writes the
same files, so process.py cannot tell which one ran. It costs ~50 ms of interpreter start
per container, which is why the C shim is the default.

The only difference in the command line: Python rewrites its own environment at start
(locale coercion), so the container's environment comes from the "env" field of the
run's run.json (``--env-from RUN_JSON``) rather than from this process's environment.

Run as ``python -I -S shim.py ...`` (or ``python -m pkubelet.runtime.shim ...``): it imports
nothing from pkube so that it works with an isolated interpreter.
"""

import errno
import json
import os
import select
import signal
import sys
import time

MAX_LINE = 16384  # containerd's default maximum log line before a "P" split


def rfc3339nano() -> str:
    ns = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + ".%09dZ" % (ns % 10**9)


class LogWriter:
    """Turns a byte stream into CRI log entries, one os.write() per entry."""

    def __init__(self, fd: int, stream: str):
        self.fd, self.stream, self.buf = fd, stream.encode(), bytearray()

    def emit(self, tag: bytes, data: bytes) -> None:
        head = b"%s %s %s " % (rfc3339nano().encode(), self.stream, tag)
        os.write(self.fd, head + data + b"\n")

    def feed(self, data: bytes) -> None:
        self.buf += data
        while True:
            nl = self.buf.find(b"\n", 0, MAX_LINE + 1)
            if nl >= 0:
                self.emit(b"F", bytes(self.buf[:nl]))
                del self.buf[: nl + 1]
            elif len(self.buf) > MAX_LINE:
                self.emit(b"P", bytes(self.buf[:MAX_LINE]))
                del self.buf[:MAX_LINE]
            else:
                return

    def close(self) -> None:
        if self.buf:
            self.emit(b"F", bytes(self.buf))
            self.buf.clear()


def atomic_write(path: str, text: str) -> None:
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def write_exit(path: str, code: int, sig: int, reason=None, message=None) -> None:
    doc = {
        "exitCode": code,
        "signal": sig or None,
        "finishedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if reason:
        doc["reason"] = reason
    if message:
        doc["message"] = message
    atomic_write(path, json.dumps(doc) + "\n")


def report(text: str) -> None:
    os.write(1, text.encode())
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


def start_error_message(what: int, err: int, argv0: str, cwd: str) -> str:
    if what == 1:
        return 'chdir to cwd ("%s") set in config.json failed: %s' % (cwd, os.strerror(err).lower())
    if err == errno.ENOENT and "/" not in argv0:
        return 'exec: "%s": executable file not found in $PATH' % argv0
    return 'exec: "%s": %s' % (argv0, os.strerror(err).lower())


def run_child(argv, env, cwd, stdin_path, out_w, err_w, errp_w) -> None:
    """In the forked child: become the container. Never returns."""
    what = 2
    try:
        os.setpgid(0, 0)
        for sig in (signal.SIGHUP, signal.SIGPIPE, signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        if stdin_path != "-":
            fd = os.open(stdin_path, os.O_RDONLY)  # the shim's keeper is the writer (see shim.c)
        else:
            fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(fd, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        what = 1
        if cwd != "-":
            os.chdir(cwd)
        what = 2
        os.execvpe(argv[0], argv, env)
    except OSError as e:
        os.write(errp_w, b"%d %d" % (what, e.errno or 0))
        os._exit(128 if what == 1 else 127)
    finally:
        os._exit(127)


def main(args: list) -> int:
    env = dict(os.environ)
    if args[:1] == ["--env-from"]:
        with open(args[1]) as f:
            env = json.load(f)["env"]
        args = args[2:]
    if len(args) < 7 or args[5] != "--":
        sys.stderr.write("usage: shim.py [--env-from RUN_JSON] LOG EXIT PIDS STDIN|- CWD|- -- ARGV...\n")
        return 2
    log_path, exit_path, pids_path, stdin_path, cwd = args[:5]
    argv = args[6:]

    if os.fork():
        os._exit(0)
    os.setsid()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    child = 0

    def forward(sig, _frame):
        if child:
            try:
                os.killpg(child, sig)
            except OSError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)

    keeper = [os.open(stdin_path, os.O_RDWR | os.O_CLOEXEC)] if stdin_path != "-" else []

    def release_stdin(_sig, _frame):  # SIGUSR1: an attacher took over stdin (stdinOnce)
        while keeper:
            os.close(keeper.pop())

    signal.signal(signal.SIGUSR1, release_stdin)

    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    errp_r, errp_w = os.pipe2(os.O_CLOEXEC)
    child = os.fork()
    if child == 0:
        run_child(argv, env, cwd, stdin_path, out_w, err_w, errp_w)
    try:
        os.setpgid(child, child)
    except OSError:
        pass
    for fd in (out_w, err_w, errp_w):
        os.close(fd)
    failure = b""
    while True:
        try:
            chunk = os.read(errp_r, 64)
        except InterruptedError:
            continue
        if not chunk:
            break
        failure += chunk
    os.close(errp_r)
    atomic_write(pids_path, "%d %d\n" % (os.getpid(), child))

    writers = {out_r: LogWriter(log_fd, "stdout"), err_r: LogWriter(log_fd, "stderr")}
    if failure:
        what, err = (int(x) for x in failure.split())
        text = start_error_message(what, err, argv[0], cwd)
        os.waitpid(child, 0)
        writers[err_r].emit(b"F", text.encode())
        write_exit(exit_path, 128, 0, "StartError", text)
        report("fail %d %d %d %s\n" % (os.getpid(), child, 128, text))
        return 0
    report("ok %d %d\n" % (os.getpid(), child))

    poller = select.poll()
    for fd in (wake_r, out_r, err_r):
        poller.register(fd, select.POLLIN)
    open_fds = {out_r, err_r}
    status, deadline = None, None
    while True:
        if status is None:
            pid, st = os.waitpid(child, os.WNOHANG)
            if pid == child:
                status = st
                try:
                    os.killpg(child, signal.SIGKILL)  # leftovers of the container die with it
                except OSError:
                    pass
                deadline = time.monotonic() + 2.0  # a process that left the group may hold a pipe
        if status is not None:
            remaining = deadline - time.monotonic()
            if not open_fds or remaining <= 0:
                break
            events = poller.poll(remaining * 1000)
        else:
            events = poller.poll()
        for fd, _ in events:
            if fd == wake_r:
                try:
                    os.read(wake_r, 512)
                except BlockingIOError:
                    pass
                continue
            data = os.read(fd, 65536)
            if data:
                writers[fd].feed(data)
            else:
                poller.unregister(fd)
                open_fds.discard(fd)
    for w in writers.values():
        w.close()
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        write_exit(exit_path, 128 + sig, sig)
    else:
        write_exit(exit_path, os.WEXITSTATUS(status), 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
