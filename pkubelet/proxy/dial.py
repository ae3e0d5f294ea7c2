"""Connecting to a backend the way kube-proxy's userspace tryConnect did.

Up to four attempts with growing dial timeouts; every attempt asks the
balancer for the next endpoint and, after a failure, skips the sticky
(affinity) entry so a dead pod is not chosen again and again.  Two flavours
share the policy: a blocking one for the thread data paths and a
non-blocking one driven by the event loop.
"""
from __future__ import annotations

import errno
import socket
import struct
from typing import Callable

from .balancer import Balancer
from .loop import OUT, Loop

DIAL_TIMEOUTS = (0.25, 0.5, 1.0, 2.0)  # seconds, as pkg/proxy/userspace
_LINGER_0 = struct.pack("ii", 1, 0)


def family_of(ip: str) -> int:
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def tune(sock: socket.socket) -> None:
    """Forward small writes at once: a proxy must not add Nagle delays."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass


def reset_close(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0) so the client fails fast instead of hanging."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_0)
    except OSError:
        pass
    sock.close()


def dial_blocking(balancer: Balancer, client_ip: str) -> socket.socket | None:
    """Connected blocking socket to some endpoint, or None after all attempts fail."""
    for attempt, timeout in enumerate(DIAL_TIMEOUTS):
        endpoint = balancer.next(client_ip, reset=attempt > 0)
        if endpoint is None:
            return None
        sock = socket.socket(family_of(endpoint[0]), socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(endpoint)
        except OSError:
            sock.close()
            continue
        sock.settimeout(None)
        tune(sock)
        return sock
    return None


class AsyncDial:
    """The same attempts, as a state machine on the event loop (no thread per connect)."""

    __slots__ = ("loop", "balancer", "client_ip", "done", "attempt", "sock", "timer")

    def __init__(self, loop: Loop, balancer: Balancer, client_ip: str,
                 done: Callable[[socket.socket | None], None]) -> None:
        self.loop, self.balancer, self.client_ip, self.done = loop, balancer, client_ip, done
        self.attempt = 0
        self.sock: socket.socket | None = None
        self.timer = None
        self._next()

    def _next(self) -> None:
        while self.attempt < len(DIAL_TIMEOUTS):
            endpoint = self.balancer.next(self.client_ip, reset=self.attempt > 0)
            if endpoint is None:
                break
            sock = socket.socket(family_of(endpoint[0]), socket.SOCK_STREAM)
            sock.setblocking(False)
            err = sock.connect_ex(endpoint)
            if err in (0, errno.EINPROGRESS):
                self.sock = sock
                self.loop.watch(sock.fileno(), OUT, self._ready)
                self.timer = self.loop.call_later(DIAL_TIMEOUTS[self.attempt], self._give_up_attempt)
                return
            sock.close()
            self.attempt += 1
        self.done(None)

    def _drop(self) -> None:
        self.loop.cancel(self.timer)
        self.loop.forget(self.sock.fileno())

    def _ready(self, _events: int) -> None:
        self._drop()
        sock, self.sock = self.sock, None
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            sock.close()
            self.attempt += 1
            self._next()
            return
        tune(sock)
        self.done(sock)

    def _give_up_attempt(self) -> None:
        self._drop()
        self.sock.close()
        self.sock = None
        self.attempt += 1
        self._next()
