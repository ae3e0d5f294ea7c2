"""Data paths with two threads per connection, one per direction (as kube-proxy's io.Copy pair).

Two copiers are offered so the benchmark can compare them:
- "recv":   recv_into() a large reusable buffer, sendall() from it; both
            release the GIL, so the Python work per chunk is one call each;
- "splice": os.splice() socket -> pipe -> socket, bytes never enter user space.
Buffers are allocated per direction but stay virtual until touched, so idle
connections cost little RSS.
"""
from __future__ import annotations

import fcntl
import os
import socket
import threading

from .balancer import Balancer
from .dial import dial_blocking, reset_close, tune

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def copy_recv(src: socket.socket, dst: socket.socket, bufsize: int) -> None:
    buf = bytearray(bufsize)
    view = memoryview(buf)
    recv_into, sendall = src.recv_into, dst.sendall
    while True:
        n = recv_into(buf)
        if not n:
            return
        sendall(view[:n])


def copy_splice(src: socket.socket, dst: socket.socket, bufsize: int) -> None:
    r, w = os.pipe2(os.O_CLOEXEC)
    try:
        try:
            fcntl.fcntl(w, F_SETPIPE_SZ, bufsize)
        except OSError:
            pass  # above /proc/sys/fs/pipe-max-size: keep the default pipe
        sfd, dfd, splice, flags = src.fileno(), dst.fileno(), os.splice, os.SPLICE_F_MOVE
        while True:
            n = splice(sfd, w, bufsize, flags=flags)
            if not n:
                return
            while n:
                n -= splice(r, dfd, n, flags=flags)
    finally:
        os.close(r)
        os.close(w)


COPIERS = {"recv": copy_recv, "splice": copy_splice}


class _Pair:
    """Both sockets of one proxied connection; closed when both directions end."""

    def __init__(self, client: socket.socket, backend: socket.socket, relay: "ThreadRelay") -> None:
        self.socks = (client, backend)
        self.relay = relay
        self._left = 2
        self._lock = threading.Lock()

    def abort(self) -> None:
        """Wake both copier threads (shutdown, not close: they still hold the fds)."""
        for sock in self.socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def direction_done(self) -> None:
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if last:
            for sock in self.socks:
                sock.close()
            self.relay._forget(self)


class ThreadRelay:
    def __init__(self, copier: str = "recv", bufsize: int = 1 << 20) -> None:
        self.name = "threads-" + copier
        self._copy = COPIERS[copier]
        self._bufsize = bufsize
        self._pairs: set[_Pair] = set()
        self._lock = threading.Lock()
        self._closed = False

    def count(self) -> int:
        return len(self._pairs)

    def open(self, client: socket.socket, client_ip: str, balancer: Balancer) -> None:
        threading.Thread(target=self._serve, args=(client, client_ip, balancer),
                         name="pkube-proxy-conn", daemon=True).start()

    def close_all(self) -> None:
        with self._lock:
            self._closed = True
            pairs = list(self._pairs)
        for pair in pairs:
            pair.abort()

    def _forget(self, pair: _Pair) -> None:
        with self._lock:
            self._pairs.discard(pair)

    def _serve(self, client: socket.socket, client_ip: str, balancer: Balancer) -> None:
        client.setblocking(True)
        tune(client)
        backend = dial_blocking(balancer, client_ip)
        if backend is None:
            reset_close(client)
            return
        pair = _Pair(client, backend, self)
        with self._lock:
            closed = self._closed
            if not closed:
                self._pairs.add(pair)
        if closed:
            client.close()
            backend.close()
            return
        threading.Thread(target=self._pump, args=(pair, backend, client),
                         name="pkube-proxy-conn", daemon=True).start()
        self._pump(pair, client, backend)

    def _pump(self, pair: _Pair, src: socket.socket, dst: socket.socket) -> None:
        try:
            self._copy(src, dst, self._bufsize)
            dst.shutdown(socket.SHUT_WR)  # half-close: forward the EOF
        except OSError:
            pair.abort()
        finally:
            pair.direction_done()
