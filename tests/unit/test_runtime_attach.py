"""The runtime side of attach: a stdin container's FIFO, stdinOnce's EOF, and the output
stream split back into stdout and stderr (both shims)."""
from __future__ import annotations

import io
import os

import pytest

from pkubelet.runtime import attach, process


@pytest.fixture(params=["c", "python"])
def shim(request, tmp_path):
    try:
        return process.find_shim(str(tmp_path / "bin"), kind=request.param)
    except RuntimeError:
        pytest.skip("no C compiler")


def _wait_exited(record, timeout=10):
    assert process._wait_until(lambda: isinstance(process.status(record), process.Exited), timeout)
    return process.status(record)


def test_stdin_once_gives_the_container_eof_when_the_attacher_closes(tmp_path, shim):
    rec = process.start(str(tmp_path / "run"), ["sh", "-c", "cat; echo done >&2"], {}, None, stdin=True, shim=shim)
    try:
        r, w = os.pipe()
        fifo = attach.open_stdin(rec, once=True)
        t = attach.pump_stdin(r, fifo)
        os.write(w, b"hello\nworld")
        os.close(w)
        out, err = io.BytesIO(), io.BytesIO()
        attach.stream_output(rec, 0, out, err, poll=0.01)
        t.join(5)
        assert out.getvalue() == b"hello\nworld\n" and err.getvalue() == b"done\n"
        assert _wait_exited(rec).exit_code == 0
    finally:
        process.stop(rec, 0)


def test_without_stdin_once_the_container_keeps_waiting(tmp_path, shim):
    rec = process.start(str(tmp_path / "run"), ["cat"], {}, None, stdin=True, shim=shim)
    try:
        fifo = attach.open_stdin(rec, once=False)
        os.write(fifo, b"one\n")
        os.close(fifo)
        assert process._wait_until(lambda: b"one" in open(rec.log_path, "rb").read(), 5)
        assert not process._wait_until(lambda: isinstance(process.status(rec), process.Exited), 0.5)
        offset = attach.log_end(rec)
        fifo = attach.open_stdin(rec, once=True)  # a later attach may still close it
        os.write(fifo, b"two\n")
        os.close(fifo)
        out = io.BytesIO()
        attach.stream_output(rec, offset, out, io.BytesIO(), poll=0.01)
        assert out.getvalue() == b"two\n"
    finally:
        process.stop(rec, 0)


def test_a_container_without_stdin_cannot_take_input(tmp_path, shim):
    rec = process.start(str(tmp_path / "run"), ["sleep", "30"], {}, None, shim=shim)
    try:
        with pytest.raises(attach.AttachError):
            attach.open_stdin(rec, once=True)
    finally:
        process.stop(rec, 0)
