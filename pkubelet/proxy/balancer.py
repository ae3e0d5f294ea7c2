"""Endpoint choice for one service port, as kube-proxy's userspace LoadBalancerRR.

Semantics copied on purpose (see prior-art.md section 2):
- the endpoint list is shuffled whenever it changes and the index resets, so
  several proxies (or restarts) do not all hit the first pod first;
- plain round robin afterwards;
- ClientIP affinity: client ip -> (endpoint, last used), honoured while younger
  than the timeout; a retry after a failed dial passes reset=True so a dead
  sticky endpoint is not chosen again; entries for removed endpoints are purged.
"""
from __future__ import annotations

import random
import threading
import time
from typing import Callable

from .rules import Endpoint


class Balancer:
    def __init__(self, endpoints: tuple[Endpoint, ...] = (), affinity_timeout: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._wanted: tuple[Endpoint, ...] = ()
        self._order: list[Endpoint] = []
        self._index = 0
        self._affinity: dict[str, tuple[Endpoint, float]] = {}
        self.affinity_timeout = affinity_timeout
        self.update(endpoints, affinity_timeout)

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return self._wanted

    def update(self, endpoints: tuple[Endpoint, ...], affinity_timeout: int | None) -> None:
        """Apply a new endpoint set; a no-op (no reshuffle) when nothing changed."""
        with self._lock:
            self.affinity_timeout = affinity_timeout
            if affinity_timeout is None:
                self._affinity.clear()
            self._sweep()
            if set(endpoints) == set(self._wanted):
                return
            self._wanted = tuple(endpoints)
            self._order = list(dict.fromkeys(endpoints))
            random.shuffle(self._order)
            self._index = 0
            alive = set(self._order)
            self._affinity = {c: e for c, e in self._affinity.items() if e[0] in alive}

    def next(self, client_ip: str | None = None, reset: bool = False) -> Endpoint | None:
        """The endpoint for a new connection from client_ip, or None if there are none."""
        with self._lock:
            if not self._order:
                return None
            now = self._clock()
            sticky = self.affinity_timeout is not None and client_ip is not None
            if sticky and not reset:
                entry = self._affinity.get(client_ip)
                if entry is not None and now - entry[1] < self.affinity_timeout:
                    self._affinity[client_ip] = (entry[0], now)
                    return entry[0]
            endpoint = self._order[self._index % len(self._order)]
            self._index = (self._index + 1) % len(self._order)
            if sticky:
                self._affinity[client_ip] = (endpoint, now)
            return endpoint

    def _sweep(self) -> None:
        """Drop stale affinity entries (called on every sync, as kube-proxy did)."""
        if self.affinity_timeout is None:
            return
        now = self._clock()
        ttl = self.affinity_timeout
        self._affinity = {c: e for c, e in self._affinity.items() if now - e[1] < ttl}
