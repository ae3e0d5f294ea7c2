"""A tiny epoll reactor: fd callbacks, timers and thread-safe call_soon.

asyncio would do, but its per-event overhead (futures, transports, protocol
callbacks) is several times that of calling a handler straight from
epoll.poll(), and the proxy's latency budget is tens of microseconds.
Only the loop thread touches registrations; other threads use call_soon().
"""
from __future__ import annotations

import heapq
import itertools
import logging
import os
import select
import threading
import time
from collections import deque
from typing import Callable

IN = select.EPOLLIN
OUT = select.EPOLLOUT
log = logging.getLogger("pkubelet.proxy")


class Loop:
    def __init__(self) -> None:
        self._ep = select.epoll()
        self._handlers: dict[int, Callable[[int], None]] = {}
        self._masks: dict[int, int] = {}
        self._calls: deque = deque()
        self._timers: list = []
        self._seq = itertools.count()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._ep.register(self._wake_r, IN)
        self._thread: threading.Thread | None = None
        self._running = False

    # -- lifecycle ---------------------------------------------------------
    def start(self, name: str = "pkube-proxy-loop") -> None:
        self._running = True
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Run pending calls, then exit the loop thread and free the epoll fd."""
        if self._thread is None:
            return
        self.call_soon(self._halt)
        self._thread.join(timeout)
        self._thread = None
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._ep.close()

    def in_loop(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    # -- scheduling --------------------------------------------------------
    def call_soon(self, fn: Callable, *args) -> None:
        """Thread-safe: run fn(*args) on the loop thread."""
        self._calls.append((fn, args))
        if not self.in_loop():
            try:
                os.write(self._wake_w, b"x")
            except (BlockingIOError, OSError):
                pass  # pipe full = a wake-up is already pending

    def call_later(self, delay: float, fn: Callable, *args) -> list:
        """Loop thread only. Returns a handle for cancel()."""
        entry = [time.monotonic() + delay, next(self._seq), fn, args]
        heapq.heappush(self._timers, entry)
        return entry

    @staticmethod
    def cancel(handle: list | None) -> None:
        if handle is not None:
            handle[2] = None

    # -- fd interest -------------------------------------------------------
    def watch(self, fd: int, mask: int, handler: Callable[[int], None]) -> None:
        """Set the event mask of fd; mask 0 removes it from epoll.

        Removing (rather than modifying to 0) matters: epoll always reports
        HUP/ERR, so a paused socket left registered could spin the loop.
        """
        self._handlers[fd] = handler
        old = self._masks.get(fd, 0)
        if mask == old:
            return
        if mask == 0:
            self._ep.unregister(fd)
            del self._masks[fd]
        elif old:
            self._ep.modify(fd, mask)
            self._masks[fd] = mask
        else:
            self._ep.register(fd, mask)
            self._masks[fd] = mask

    def forget(self, fd: int) -> None:
        """Drop fd before it is closed (the number may be reused at once)."""
        if self._masks.pop(fd, 0):
            try:
                self._ep.unregister(fd)
            except OSError:
                pass
        self._handlers.pop(fd, None)

    # -- the loop ----------------------------------------------------------
    def _halt(self) -> None:
        self._running = False

    def _timeout(self) -> float:
        if self._calls:
            return 0
        if not self._timers:
            return -1
        return max(0.0, self._timers[0][0] - time.monotonic())

    def _run(self) -> None:
        poll, handlers, wake = self._ep.poll, self._handlers, self._wake_r
        while self._running:
            for fd, events in poll(self._timeout()):
                if fd == wake:
                    try:
                        os.read(wake, 4096)
                    except BlockingIOError:
                        pass
                    continue
                handler = handlers.get(fd)
                if handler is not None:
                    self._guard(handler, events)
            if self._timers:
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    _, _, fn, args = heapq.heappop(self._timers)
                    if fn is not None:
                        self._guard(fn, *args)
            for _ in range(len(self._calls)):
                fn, args = self._calls.popleft()
                self._guard(fn, *args)

    @staticmethod
    def _guard(fn: Callable, *args) -> None:
        """One failing callback must not take the whole proxy down."""
        try:
            fn(*args)
        except Exception:  # pragma: no cover - logged, loop keeps serving
            log.exception("proxy loop callback %r failed", fn)
