"""The userspace service proxy: listeners per service address, level-triggered sync.

One event-loop thread owns all listening sockets (and, with the default
"epoll" data path, every proxied connection too).  sync() may be called from
any thread; it hands the wanted rule set to the loop and waits for the result,
so listener state is only ever touched by one thread and no locks are needed
around it.  Established connections belong to the data path, not to the
listener, which is why changing or removing a rule never drops them.
"""
from __future__ import annotations

import errno
import logging
import resource
import socket
import threading
import time
from concurrent.futures import Future
from typing import Callable

from .balancer import Balancer
from .dial import family_of, reset_close, tune
from .loop import IN, Loop
from .relay_epoll import EpollRelay
from .relay_threads import ThreadRelay
from .rules import ServiceRule

log = logging.getLogger("pkubelet.proxy")

# Data paths by name, compared by tests/bench/bench_proxy.py.  On the 2-core test
# machine all three moved bulk data at ~0.45-0.5x direct (within run-to-run noise
# of each other: the proxy adds two copies, or page moves for splice, on cores
# shared with client and server); "epoll" is the default because it adds far
# less latency to fresh connections (~85 us vs ~190 us splice, ~420 us threads,
# which spawn a thread per connection) and holds 1,000 connections on one thread.
DATAPATHS: dict[str, Callable[[Loop, int], object]] = {
    "epoll": lambda loop, bufsize: EpollRelay(loop, bufsize),
    "threads": lambda loop, bufsize: ThreadRelay("recv", bufsize),
    "splice": lambda loop, bufsize: ThreadRelay("splice", bufsize),
}
DEFAULT_DATAPATH = "epoll"
ACCEPTS_PER_EVENT = 64
EMFILE_PAUSE = 0.1  # seconds a listener rests when the process is out of fds
HOLD_LIMIT = 1.0  # seconds a held connection waits for a sync before it is refused


def raise_nofile_limit() -> int:
    """Soft RLIMIT_NOFILE -> hard: each proxied connection costs two fds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            return hard
        except (ValueError, OSError):
            pass
    return soft


class ListenError(OSError):
    """A listener could not be opened; str() is Go's wording, which kubectl users know:
    "listen tcp4 127.0.0.1:8080: bind: address already in use"."""

    def __init__(self, ip: str, port: int, step: str, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror)
        family = "tcp6" if ":" in ip else "tcp4"
        host = f"[{ip}]" if ":" in ip else ip
        reason = (cause.strerror or str(cause))
        self.text = f"listen {family} {host}:{port}: {step}: {reason[:1].lower()}{reason[1:]}"

    def __str__(self) -> str:
        return self.text


def open_listener(ip: str, port: int, backlog: int = 1024) -> socket.socket:
    """Bound, listening, non-blocking socket; SO_REUSEADDR so a restart can rebind at once.

    Raises ListenError naming the failing step (socket, bind or listen)."""
    step = "socket"
    sock = None
    try:
        sock = socket.socket(family_of(ip), socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        step = "bind"
        sock.bind((ip, port))
        step = "listen"
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError as exc:
        if sock is not None:
            sock.close()
        raise ListenError(ip, port, step, exc) from exc
    return sock


class _Listener:
    __slots__ = ("rule", "sock", "balancer", "paused")

    def __init__(self, rule: ServiceRule, sock: socket.socket) -> None:
        self.rule, self.sock = rule, sock
        self.balancer = Balancer(rule.endpoints, rule.affinity_timeout)
        self.paused = False


class Proxy:
    """kube-proxy (userspace mode) as a library.  See the module docstring."""

    def __init__(self, datapath: str = DEFAULT_DATAPATH, bufsize: int = 1 << 20,
                 hold_empty: bool = False) -> None:
        if datapath not in DATAPATHS:
            raise ValueError(f"unknown datapath {datapath!r}; choose from {sorted(DATAPATHS)}")
        self.datapath = datapath
        self._bufsize = bufsize
        self._loop: Loop | None = None
        self._relay = None
        self._listeners: dict[tuple[str, int], _Listener] = {}
        self._lock = threading.Lock()  # serialises start/stop/sync callers
        # hold_empty: a connection to a listener with no endpoints waits for the next
        # sync (or settle) that read the store after it arrived, instead of being reset
        # at once. The store may already list ready endpoints this proxy has not yet
        # been given (`rollout status && curl` must not lose that race); with none
        # there either, the connection is refused one pass later (≤ HOLD_LIMIT).
        self.hold_empty = hold_empty
        self._held: list[tuple[float, tuple, socket.socket, tuple]] = []  # (arrived, addr, client, peer)
        # Called on the loop thread with (rule, client address) for every accepted
        # connection (port-forward prints "Handling connection for N"); must not block.
        self.on_accept: Callable[[ServiceRule, tuple], None] | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._loop is not None:
                return
            raise_nofile_limit()
            self._loop = Loop()
            self._relay = DATAPATHS[self.datapath](self._loop, self._bufsize)
            self._loop.start()

    def stop(self) -> None:
        """Close every listener and every proxied connection."""
        with self._lock:
            if self._loop is None:
                return
            self._on_loop(self._shutdown)
            self._loop.stop()
            self._loop = None
            self._relay = None

    def __enter__(self) -> "Proxy":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- state -------------------------------------------------------------
    def sync(self, rules: list[ServiceRule], as_of: float | None = None) -> dict[str, str]:
        """Make the listeners match `rules`.  Returns {rule key: error} for rules not served.

        Level-triggered: pass the complete wanted set every time.  Existing
        listeners keep their socket and established connections; only their
        endpoint list and affinity settings change.  `as_of` is the monotonic time
        at which the caller began reading the state the rules come from: held
        connections that arrived before it are decided by these rules.
        """
        self.start()
        with self._lock:
            return self._on_loop(self._apply, list(rules), as_of)

    def holding(self) -> int:
        """Connections waiting for a sync (hold_empty)."""
        return len(self._held)

    def settle(self, as_of: float) -> None:
        """The state read at `as_of` is what this proxy already has: decide the held
        connections that arrived before it (nothing to do when none is held)."""
        if not self._held:
            return
        with self._lock:
            if self._loop is not None:
                self._on_loop(self._release, as_of)

    def listening(self) -> set[tuple[str, int]]:
        with self._lock:
            if self._loop is None:
                return set()
            return self._on_loop(lambda: set(self._listeners))

    def connections(self) -> int:
        """Proxied connection pairs currently open (for tests and status)."""
        relay = self._relay
        return relay.count() if relay is not None else 0

    # -- loop-thread internals ----------------------------------------------
    def _on_loop(self, fn: Callable, *args):
        """Run fn on the loop thread and return its result (directly if already there)."""
        if self._loop.in_loop():
            return fn(*args)
        done: Future = Future()

        def run() -> None:
            try:
                done.set_result(fn(*args))
            except BaseException as exc:  # re-raised in the caller's thread
                done.set_exception(exc)

        self._loop.call_soon(run)
        return done.result()

    def _apply(self, rules: list[ServiceRule], as_of: float | None = None) -> dict[str, str]:
        errors: dict[str, str] = {}
        wanted: dict[tuple[str, int], ServiceRule] = {}
        for rule in rules:
            if rule.address in wanted:
                errors[rule.key] = (f"listen tcp {rule.listen_ip}:{rule.listen_port}: "
                                    f"address also wanted by {wanted[rule.address].key}")
                continue
            wanted[rule.address] = rule
        for addr in [a for a in self._listeners if a not in wanted]:
            self._close_listener(self._listeners.pop(addr))
        for addr, rule in wanted.items():
            current = self._listeners.get(addr)
            if current is not None:
                current.rule = rule
                current.balancer.update(rule.endpoints, rule.affinity_timeout)
                continue
            try:
                sock = open_listener(*addr)
            except ListenError as exc:
                errors[rule.key] = str(exc)
                log.warning("proxy: cannot serve %s: %s", rule.key, errors[rule.key])
                continue
            listener = _Listener(rule, sock)
            self._listeners[addr] = listener
            self._loop.watch(sock.fileno(), IN, lambda ev, l=listener: self._accept(l))
        if as_of is not None:
            self._release(as_of)
        return errors

    def _release(self, as_of: float) -> None:
        """Relay (or refuse) held connections that arrived before `as_of`."""
        keep = []
        for item in self._held:
            arrived, addr, client, peer = item
            if arrived > as_of:
                keep.append(item)
                continue
            listener = self._listeners.get(addr)
            if listener is None or not listener.balancer.endpoints:
                reset_close(client)
            else:
                self._relay_client(listener, client, peer)
        self._held = keep

    def _expire_held(self) -> None:
        """Nobody synced in time: refuse what has waited HOLD_LIMIT."""
        self._release(time.monotonic() - HOLD_LIMIT)

    def _close_listener(self, listener: _Listener) -> None:
        self._loop.forget(listener.sock.fileno())
        listener.sock.close()

    def _shutdown(self) -> None:
        for listener in self._listeners.values():
            self._close_listener(listener)
        self._listeners.clear()
        for _, _, client, _ in self._held:
            reset_close(client)
        self._held = []
        self._relay.close_all()

    def _accept(self, listener: _Listener) -> None:
        for _ in range(ACCEPTS_PER_EVENT):
            try:
                client, peer = listener.sock.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE):
                    self._pause(listener)
                return
            if not listener.balancer.endpoints:
                if self.hold_empty:
                    self._held.append((time.monotonic(), listener.rule.address, client, peer))
                    self._loop.call_later(HOLD_LIMIT, self._expire_held)
                else:
                    reset_close(client)  # no ready endpoints: fail fast, like a refused connect
                continue
            self._relay_client(listener, client, peer)

    def _relay_client(self, listener: _Listener, client: socket.socket, peer: tuple) -> None:
        tune(client)
        if self.on_accept is not None:
            self.on_accept(listener.rule, peer)
        self._relay.open(client, peer[0], listener.balancer)

    def _pause(self, listener: _Listener) -> None:
        """Out of fds: stop accepting briefly instead of spinning on a ready listener."""
        log.warning("proxy: out of file descriptors; pausing accepts on %s", listener.rule.key)
        fd = listener.sock.fileno()
        self._loop.watch(fd, 0, lambda ev: None)

        def resume() -> None:
            if self._listeners.get(listener.rule.address) is listener:
                self._loop.watch(fd, IN, lambda ev, l=listener: self._accept(l))

        self._loop.call_later(EMFILE_PAUSE, resume)
