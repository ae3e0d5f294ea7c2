"""`kubectl attach`: a running container's output, and its stdin when it has one.

The runtime already keeps both ends (see process.py and shim.c): the shim copies the
container's stdout and stderr into its CRI log as they come, and a `stdin: true` container
reads fd 0 from the FIFO `stdin` in its run directory. So attaching is:

- output: follow the log from an offset (where it ends now for `kubectl attach`; from the
  start for `kubectl run`, which attaches to a container it has just created and must not
  lose its first lines), writing each entry to our stdout or stderr, as the container did,
  until the container has exited and its last entries are read;
- stdin: open the FIFO for writing and copy ours into it. For a `stdinOnce` container the
  shim is then told (SIGUSR1) to drop its own write end, so the container reads EOF when
  ours closes: Kubernetes closes such a container's stdin when the first attach ends.

No TTY: containers here have pipes, not terminals (a `tty: true` container gets none).
"""

from __future__ import annotations

import errno
import os
import signal
import threading

from pkubelet.runtime import logs, process

POLL = 0.05  # between reads of a growing log


class AttachError(Exception):
    """The container cannot be attached to (kubectl falls back to its logs)."""


def log_end(record: process.RunRecord) -> int:
    """Where the log ends now, at an entry boundary: attach shows what comes after."""
    try:
        with open(record.log_path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return 0
    return data.rfind(b"\n") + 1


def stream_output(record: process.RunRecord, offset: int, out, err, poll: float = POLL) -> None:
    """Copy log entries from `offset` to `out` (stdout entries) and `err` (stderr entries),
    binary file objects, until the container has exited and everything it wrote is shown."""
    targets = {b"stdout": out, b"stderr": err}
    running = lambda: isinstance(process.status(record), process.Running)  # noqa: E731
    for entries in logs.follow_raw(record.log_path, running, offset, poll):
        touched = set()
        for entry in entries:
            parts = entry.split(b" ", 3)
            if len(parts) < 3 or parts[2] not in (b"F", b"P") or parts[1] not in targets:
                continue
            dest = targets[parts[1]]
            text = parts[3] if len(parts) > 3 else b""
            dest.write(text + b"\n" if parts[2] == b"F" else text)
            touched.add(id(dest))
        for dest in (out, err):
            if id(dest) in touched:
                dest.flush()


def open_stdin(record: process.RunRecord, once: bool) -> int:
    """A write fd on the container's stdin. With `once` (the container's stdinOnce), the
    shim drops its own write end, so closing this fd gives the container EOF.
    Raises AttachError when the container has no stdin or is gone."""
    fifo = os.path.join(record.run_dir, process.STDIN_FIFO)
    if not record.stdin or not os.path.exists(fifo):
        raise AttachError("container has no stdin (set stdin: true)")
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # ENXIO: no reader left
    except OSError as e:
        raise AttachError("container stdin is closed: %s" % os.strerror(e.errno or 0).lower()) from e
    import fcntl
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    if once and _shim_keeps_stdin(record):
        try:
            os.kill(record.shim_pid, signal.SIGUSR1)
        except OSError:
            pass
    return fd


def _shim_keeps_stdin(record: process.RunRecord) -> bool:
    """True when the shim holds the keeper (the container reads a read-only end): a shim
    from before the keeper existed gave the container a read-write end and has no SIGUSR1
    handler, so it must not be signalled (SIGUSR1 would end it)."""
    if not _is_ours(record.shim_pid, record.shim_create_time) or not _is_ours(record.pid, record.create_time):
        return False
    try:
        with open("/proc/%d/fdinfo/0" % record.pid) as f:
            for line in f:
                if line.startswith("flags:"):
                    return int(line.split()[1], 8) & os.O_ACCMODE == os.O_RDONLY
    except (OSError, ValueError, IndexError):
        pass
    return False


def _is_ours(pid, create_time) -> bool:
    import psutil

    if not pid or create_time is None:
        return False
    try:
        return abs(psutil.Process(pid).create_time() - create_time) <= 0.01
    except psutil.Error:
        return False


def pump_stdin(src_fd: int, fifo_fd: int) -> threading.Thread:
    """Copy src_fd into the container's stdin until src_fd ends (then close the FIFO, which
    is the container's EOF for stdinOnce) or the container stops reading."""

    def run():
        try:
            while True:
                data = os.read(src_fd, 65536)
                if not data:
                    break
                while data:
                    data = data[os.write(fifo_fd, data):]
        except OSError as e:
            if e.errno not in (errno.EPIPE, errno.EBADF, errno.EIO):
                raise
        finally:
            try:
                os.close(fifo_fd)
            except OSError:
                pass

    t = threading.Thread(target=run, name="attach-stdin", daemon=True)
    t.start()
    return t
