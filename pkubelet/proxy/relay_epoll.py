"""Data path: every connection pair served by the one event-loop thread.

recv_into() one large reusable buffer, send() straight out of it.  When the
receiver is slow, the unsent tail stays where it is: that buffer is lent to
the waiting socket and the loop takes another from a small pool, so no byte
is ever copied in Python; reading from the sender pauses until the tail
drains (backpressure without unbounded memory).
No per-byte Python work and no thread per connection, so 1,000 idle
connections cost two sockets and two small objects each.
"""
from __future__ import annotations

import socket
from functools import partial

from .balancer import Balancer
from .dial import AsyncDial, reset_close
from .loop import IN, OUT, Loop

READS_PER_EVENT = 8  # fairness cap: one busy stream cannot starve the others
POOL_MAX = 8         # spare buffers kept for lending; more are freed when returned


class _End:
    """One socket of a pair.  Direction 'self -> peer' is read here, written at peer."""

    __slots__ = ("sock", "fd", "peer", "pending", "lent", "eof", "done", "pair", "handler")

    def __init__(self, sock: socket.socket, pair: "_Pair") -> None:
        sock.setblocking(False)
        self.sock, self.fd, self.pair = sock, sock.fileno(), pair
        self.peer: _End | None = None
        self.pending: memoryview | None = None  # bytes waiting to be written TO this socket
        self.lent: bytearray | None = None      # the pool buffer `pending` points into
        self.eof = False   # this socket sent EOF
        self.done = False  # direction self -> peer finished (EOF forwarded)
        self.handler = None  # bound once: the loop calls it with the epoll events


class _Pair:
    __slots__ = ("a", "b", "closed")

    def __init__(self, client: socket.socket, backend: socket.socket) -> None:
        self.a, self.b = _End(client, self), _End(backend, self)
        self.a.peer, self.b.peer = self.b, self.a
        self.closed = False


class EpollRelay:
    name = "epoll"

    def __init__(self, loop: Loop, bufsize: int = 1 << 20) -> None:
        self.loop = loop
        self._bufsize = bufsize
        self._buf = bytearray(bufsize)
        self._view = memoryview(self._buf)
        self._pool: list[bytearray] = []
        self._pairs: set[_Pair] = set()
        self._dialing: set[socket.socket] = set()

    def count(self) -> int:
        return len(self._pairs)

    # -- called on the loop thread by the engine ---------------------------
    def open(self, client: socket.socket, client_ip: str, balancer: Balancer) -> None:
        self._dialing.add(client)

        def connected(backend: socket.socket | None) -> None:
            if client not in self._dialing:  # close_all() ran meanwhile
                if backend is not None:
                    backend.close()
                return
            self._dialing.discard(client)
            if backend is None:
                reset_close(client)
                return
            pair = _Pair(client, backend)
            self._pairs.add(pair)
            for end in (pair.a, pair.b):
                end.handler = partial(self._event, end)
            self._update(pair.a)
            self._update(pair.b)

        AsyncDial(self.loop, balancer, client_ip, connected)

    def close_all(self) -> None:
        for client in self._dialing:
            reset_close(client)
        self._dialing.clear()
        for pair in list(self._pairs):
            self._close(pair)

    # -- event handling ----------------------------------------------------
    def _update(self, end: _End) -> None:
        mask = 0
        if not end.eof and end.peer.pending is None:
            mask |= IN
        if end.pending is not None:
            mask |= OUT
        self.loop.watch(end.fd, mask, end.handler)

    def _event(self, end: _End, events: int) -> None:
        if end.pair.closed:
            return
        if events & OUT and end.pending is not None:
            self._flush(end)
        if not end.pair.closed and not end.eof and end.peer.pending is None and events & ~OUT:
            self._pump(end)

    def _pump(self, src: _End) -> None:
        dst, buf, view = src.peer, self._buf, self._view
        size = len(buf)
        for _ in range(READS_PER_EVENT):
            try:
                n = src.sock.recv_into(buf)
            except BlockingIOError:
                return
            except OSError:
                return self._close(src.pair, reset=True)
            if n == 0:
                src.eof = True
                self._forward_eof(src)
                return
            try:
                sent = dst.sock.send(view[:n])
            except BlockingIOError:
                sent = 0
            except OSError:
                return self._close(src.pair, reset=True)
            if sent < n:
                self._lend(dst, sent, n)
                self._update(src)
                self._update(dst)
                return
            if n < size:
                return

    def _flush(self, dst: _End) -> None:
        try:
            sent = dst.sock.send(dst.pending)
        except BlockingIOError:
            return
        except OSError:
            return self._close(dst.pair, reset=True)
        rest = dst.pending[sent:]
        if len(rest):
            dst.pending = rest
            return
        self._give_back(dst)
        src = dst.peer
        self._update(dst)
        if src.eof:
            self._forward_eof(src)
        else:
            self._update(src)

    def _lend(self, dst: _End, start: int, end: int) -> None:
        """Park the unsent tail in place and switch the loop to a fresh buffer."""
        dst.lent, dst.pending = self._buf, self._view[start:end]
        self._buf = self._pool.pop() if self._pool else bytearray(self._bufsize)
        self._view = memoryview(self._buf)

    def _give_back(self, end: _End) -> None:
        buf, end.lent, end.pending = end.lent, None, None
        if buf is not None and len(self._pool) < POOL_MAX:
            self._pool.append(buf)

    def _forward_eof(self, src: _End) -> None:
        """src sent EOF and everything it sent is delivered: half-close the peer."""
        dst = src.peer
        if dst.pending is not None:
            self._update(src)
            return
        src.done = True
        try:
            dst.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        if dst.done:
            self._close(src.pair)
        else:
            self._update(src)
            self._update(dst)

    def _close(self, pair: _Pair, reset: bool = False) -> None:
        """Close both ends; after an error use RST so the other side sees a failure too."""
        if pair.closed:
            return
        pair.closed = True
        self._pairs.discard(pair)
        for end in (pair.a, pair.b):
            self._give_back(end)
            self.loop.forget(end.fd)
            if reset:
                reset_close(end.sock)
            else:
                end.sock.close()
