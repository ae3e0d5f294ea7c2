"""What the proxy is asked to do, as plain values.

The daemon turns Services and Endpoints into `ServiceRule`s; the engine never
sees the API store.  Rules are frozen so the engine can compare the wanted
state with the current one cheaply on every (level-triggered) sync.
"""
from __future__ import annotations

from dataclasses import dataclass, field

Endpoint = tuple  # (ip: str, port: int)


@dataclass(frozen=True)
class ServiceRule:
    """One service port exposed on one address.

    key:              stable name used in logs and sync() errors, e.g. "default/web:http".
    listen_ip/port:   where the proxy accepts (ClusterIP, node IP for NodePort, LB IP).
    endpoints:        ready endpoints only, as (ip, port) tuples.
    affinity_timeout: sessionAffinity ClientIP timeoutSeconds; None = no affinity.
    """

    key: str
    listen_ip: str
    listen_port: int
    endpoints: tuple[Endpoint, ...] = field(default_factory=tuple)
    affinity_timeout: int | None = None

    def __post_init__(self) -> None:
        # Accept lists from callers but store hashable tuples so rules compare by value.
        object.__setattr__(self, "endpoints", tuple((str(ip), int(port)) for ip, port in self.endpoints))
        object.__setattr__(self, "listen_port", int(self.listen_port))

    @property
    def address(self) -> tuple[str, int]:
        return (self.listen_ip, self.listen_port)
