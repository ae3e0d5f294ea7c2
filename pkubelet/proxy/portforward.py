"""`pkubectl port-forward` on top of the proxy engine: one local listener, one target.

kubectl tunnels through the API server; pkube pods are reachable on loopback,
so a port-forward is just a one-endpoint service rule bound to a local address.
Failures to bind use kubectl's own wording so scripts that grep it keep working.
"""
from __future__ import annotations

from .engine import DEFAULT_DATAPATH, ListenError, Proxy, open_listener
from .rules import ServiceRule


class PortForwardError(RuntimeError):
    """str() is the line kubectl prints on stderr; `.summary` is its final `error:` text."""

    def __init__(self, local_port: int, target_port: int, listener_errors: list[str]) -> None:
        self.listener_errors = listener_errors
        joined = " ".join(f"unable to create listener: Error {e}" for e in listener_errors)
        super().__init__(f"Unable to listen on port {local_port}: "
                         f"Listeners failed to create with the following errors: [{joined}]")
        self.summary = f"unable to listen on any of the requested ports: [{{{local_port} {target_port}}}]"


class PortForward:
    """A running forward.  Use as a context manager or call stop()."""

    def __init__(self, proxy: Proxy, rule: ServiceRule, local_port: int) -> None:
        self._proxy, self.rule = proxy, rule
        self.local_addr, self.local_port = rule.listen_ip, local_port
        self.target = rule.endpoints[0]

    @property
    def message(self) -> str:
        """kubectl's stdout line, e.g. 'Forwarding from 127.0.0.1:8080 -> 80'."""
        host = f"[{self.local_addr}]" if ":" in self.local_addr else self.local_addr
        return f"Forwarding from {host}:{self.local_port} -> {self.target[1]}"

    def connections(self) -> int:
        return self._proxy.connections()

    def stop(self) -> None:
        self._proxy.stop()

    def __enter__(self) -> "PortForward":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def forward(local_addr: str, local_port: int, target_ip: str, target_port: int,
            datapath: str = DEFAULT_DATAPATH, on_accept=None) -> PortForward:
    """Listen on local_addr:local_port (0 = any free port) and relay to target_ip:target_port.

    on_accept(rule, peer) is called for each accepted connection (on the proxy's loop thread).
    Raises PortForwardError (kubectl's message) when the local port cannot be bound.
    """
    rule = ServiceRule(key=f"port-forward/{local_addr}:{local_port}", listen_ip=local_addr,
                       listen_port=local_port, endpoints=((target_ip, target_port),))
    if local_port == 0:
        # Let the kernel pick now, so the rule names the real port (kubectl allows ":80").
        try:
            probe = open_listener(local_addr, 0)
        except ListenError as exc:
            raise PortForwardError(local_port, target_port, [str(exc)]) from exc
        local_port = probe.getsockname()[1]
        probe.close()
        rule = ServiceRule(key=f"port-forward/{local_addr}:{local_port}", listen_ip=local_addr,
                           listen_port=local_port, endpoints=((target_ip, target_port),))
    proxy = Proxy(datapath=datapath)
    proxy.on_accept = on_accept
    errors = proxy.sync([rule])
    if errors:
        proxy.stop()
        raise PortForwardError(local_port, target_port, list(errors.values()))
    return PortForward(proxy, rule, local_port)
