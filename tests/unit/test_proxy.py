"""The proxy engine over real loopback TCP (addresses in 127.96.0.0/16).

Each backend is a small threaded server that greets with its name, echoes
until EOF, then writes END and closes, so one connection shows which backend
served it, whether data survived, and whether half-close was forwarded.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import socketserver
import threading
import time

import pytest

from pkubelet.proxy import DATAPATHS, Proxy, ServiceRule
from pkubelet.proxy.portforward import PortForwardError, forward

DEADLINE = 5.0
_ip_counter = iter(range(10, 250))


def fresh_ip() -> str:
    """A loopback address of our own per test, so parallel runs do not collide."""
    return f"127.96.{os.getpid() % 200 + 20}.{next(_ip_counter)}"


def free_port(ip: str) -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def wait_for(predicate, deadline: float = DEADLINE, what: str = "condition"):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock = self.request
        sock.sendall(self.server.name.encode() + b"\n")
        buf = bytearray(65536)
        while True:
            n = sock.recv_into(buf)
            if not n:
                break
            sock.sendall(buf[:n])
        sock.sendall(b"END\n")


class Backend(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, name: str, ip: str) -> None:
        super().__init__((ip, 0), _Handler)
        self.name = name
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> tuple[str, int]:
        return self.server_address

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class Conn:
    """A client connection that reads the greeting line."""

    def __init__(self, addr, source_ip: str | None = None) -> None:
        self.sock = socket.create_connection(addr, timeout=DEADLINE,
                                             source_address=(source_ip, 0) if source_ip else None)
        self.file = self.sock.makefile("rb")
        self.name = self.file.readline().decode().strip()

    def echo(self, data: bytes) -> bytes:
        self.sock.sendall(data)
        got = b""
        while len(got) < len(data):
            chunk = self.file.read1(len(data) - len(got))
            if not chunk:
                break
            got += chunk
        return got

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture(params=sorted(DATAPATHS))
def proxy(request):
    p = Proxy(datapath=request.param)
    p.start()
    yield p
    p.stop()


@pytest.fixture
def backends():
    ip = fresh_ip()
    made = [Backend(name, ip) for name in ("a", "b", "c")]
    yield made
    for b in made:
        b.close()


def service(endpoints, affinity=None, ip=None, port=None, key="default/web:http") -> ServiceRule:
    ip = ip or fresh_ip()
    return ServiceRule(key=key, listen_ip=ip, listen_port=port or free_port(ip),
                       endpoints=tuple(endpoints), affinity_timeout=affinity)


def refused_endpoint() -> tuple[str, int]:
    ip = fresh_ip()
    return (ip, free_port(ip))  # bound then released: nothing listens there


def test_round_robin_across_three_backends(proxy, backends):
    rule = service(b.endpoint for b in backends)
    assert proxy.sync([rule]) == {}
    names = []
    for _ in range(9):
        c = Conn(rule.address)
        names.append(c.name)
        c.close()
    assert sorted(names) == sorted("abc" * 3)
    assert len(set(names[:3])) == 3  # every cycle visits each backend once


def test_refused_endpoint_is_skipped(proxy, backends):
    rule = service([refused_endpoint(), backends[0].endpoint, backends[1].endpoint])
    proxy.sync([rule])
    names = set()
    for _ in range(6):
        c = Conn(rule.address)
        names.add(c.name)
        assert c.echo(b"ping") == b"ping"
        c.close()
    assert names == {"a", "b"}


def test_client_ip_affinity_keeps_one_backend(proxy, backends):
    rule = service((b.endpoint for b in backends), affinity=60)
    proxy.sync([rule])
    first = Conn(rule.address)
    names = {first.name}
    for _ in range(5):
        c = Conn(rule.address)
        names.add(c.name)
        c.close()
    assert len(names) == 1
    # The sticky backend dies: the retry skips it and the client sticks to the new one.
    dead = next(b for b in backends if b.name == first.name)
    first.close()
    dead.close()
    again = {Conn(rule.address).name for _ in range(3)}
    assert len(again) == 1 and first.name not in again


def test_endpoint_change_keeps_open_connection(proxy, backends):
    a, b, c = backends
    rule = service([a.endpoint])
    proxy.sync([rule])
    old = Conn(rule.address)
    assert old.name == "a"
    proxy.sync([ServiceRule(rule.key, rule.listen_ip, rule.listen_port, (b.endpoint, c.endpoint))])
    assert old.echo(b"still here") == b"still here"
    assert {Conn(rule.address).name for _ in range(4)} == {"b", "c"}
    assert old.echo(b"and now") == b"and now"
    old.close()


def test_removed_rule_closes_listener_but_not_connections(proxy, backends):
    rule = service([backends[0].endpoint])
    proxy.sync([rule])
    old = Conn(rule.address)
    proxy.sync([])
    assert proxy.listening() == set()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(rule.address, timeout=DEADLINE)
    assert old.echo(b"x" * 1000) == b"x" * 1000
    old.close()


def connect_and_read(addr) -> bytes:
    """What a client gets; a reset (even during connect, on fast loopback) reads as b''."""
    try:
        with socket.create_connection(addr, timeout=DEADLINE) as s:
            return s.recv(10)
    except ConnectionResetError:
        return b""


def test_no_endpoints_closes_client_at_once(proxy):
    rule = service([])
    proxy.sync([rule])
    start = time.monotonic()
    assert connect_and_read(rule.address) == b""
    assert time.monotonic() - start < 1.0


def test_held_connection_is_relayed_when_a_later_sync_brings_endpoints(backends):
    # The proxier's race: the store already lists a ready pod this proxy has not been
    # given yet. The connection waits for the sync that read the store after it came.
    with Proxy(hold_empty=True) as p:
        rule = service([])
        p.sync([rule])
        got = {}
        t = threading.Thread(target=lambda: got.update(name=Conn(rule.address).name))
        t.start()
        wait_for(p.holding, what="connection held")
        as_of = time.monotonic()
        p.sync([dataclasses.replace(rule, endpoints=(backends[0].endpoint,))], as_of)
        t.join(DEADLINE)
        assert got == {"name": "a"} and p.holding() == 0


def test_held_connection_is_refused_when_the_store_has_no_endpoint_either():
    with Proxy(hold_empty=True) as p:
        rule = service([])
        p.sync([rule])
        result = {}
        t = threading.Thread(target=lambda: result.update(data=connect_and_read(rule.address)))
        t.start()
        wait_for(p.holding, what="connection held")
        p.settle(time.monotonic())  # a pass that found nothing new
        t.join(DEADLINE)
        assert result == {"data": b""} and p.holding() == 0


def test_held_connection_is_refused_after_the_hold_limit_without_a_sync():
    with Proxy(hold_empty=True) as p:
        rule = service([])
        p.sync([rule])
        start = time.monotonic()
        assert connect_and_read(rule.address) == b""
        assert 0.9 <= time.monotonic() - start < DEADLINE


def test_all_endpoints_refused_closes_client(proxy):
    rule = service([refused_endpoint(), refused_endpoint()])
    proxy.sync([rule])
    assert connect_and_read(rule.address) == b""


def test_one_megabyte_echo_integrity_and_half_close(proxy, backends):
    rule = service([backends[0].endpoint])
    proxy.sync([rule])
    payload = os.urandom(1 << 20)
    c = Conn(rule.address)

    def send() -> None:
        c.sock.sendall(payload)
        c.sock.shutdown(socket.SHUT_WR)  # the backend must see EOF, then answer END

    t = threading.Thread(target=send)
    t.start()
    got = c.file.read()
    t.join(DEADLINE)
    c.close()
    assert got.endswith(b"END\n")
    assert hashlib.sha256(got[:-4]).digest() == hashlib.sha256(payload).digest()
    wait_for(lambda: proxy.connections() == 0, what="pair closed after both EOFs")


def test_bind_failure_is_reported_not_raised(proxy, backends):
    ip = fresh_ip()
    busy = socket.socket()
    busy.bind((ip, 0))
    busy.listen()
    try:
        bad = service([backends[0].endpoint], ip=ip, port=busy.getsockname()[1], key="ns/bad:p")
        good = service([backends[0].endpoint], key="ns/good:p")
        errors = proxy.sync([bad, good])
        assert list(errors) == ["ns/bad:p"]
        assert "bind: address already in use" in errors["ns/bad:p"]
        assert proxy.listening() == {good.address}
        assert Conn(good.address).name == "a"
    finally:
        busy.close()


def test_stop_leaves_nothing_listening_or_open(backends):
    p = Proxy()
    rules = [service([backends[0].endpoint], key=f"ns/s{i}:p") for i in range(3)]
    assert p.sync(rules) == {}
    assert p.listening() == {r.address for r in rules}
    open_conn = Conn(rules[0].address)
    p.stop()
    assert p.listening() == set()
    for r in rules:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(r.address, timeout=DEADLINE)
    try:
        assert open_conn.file.read() == b""  # the proxied connection was closed too
    except ConnectionResetError:
        pass
    open_conn.close()
    # SO_REUSEADDR: a restarted proxy rebinds the same addresses at once.
    p2 = Proxy()
    try:
        assert p2.sync(rules) == {}
    finally:
        p2.stop()


def test_many_concurrent_connections(proxy, backends):
    rule = service(b.endpoint for b in backends)
    proxy.sync([rule])
    conns = [Conn(rule.address) for _ in range(200)]
    wait_for(lambda: proxy.connections() == 200, what="200 pairs")
    for i, c in enumerate(conns):
        assert c.echo(b"%d" % i) == b"%d" % i
    for c in conns:
        c.close()
    wait_for(lambda: proxy.connections() == 0, what="all pairs closed")


def test_port_forward_relays_and_reports_busy_port(backends):
    ip = fresh_ip()
    with forward(ip, 0, *backends[1].endpoint) as pf:
        assert pf.message == f"Forwarding from {ip}:{pf.local_port} -> {backends[1].endpoint[1]}"
        c = Conn((ip, pf.local_port))
        assert c.name == "b" and c.echo(b"hi") == b"hi"
        c.close()
        with pytest.raises(PortForwardError) as info:
            forward(ip, pf.local_port, *backends[1].endpoint)
    port = pf.local_port
    assert str(info.value) == (
        f"Unable to listen on port {port}: Listeners failed to create with the following errors: "
        f"[unable to create listener: Error listen tcp4 {ip}:{port}: bind: address already in use]")
    assert info.value.summary == f"unable to listen on any of the requested ports: [{{{port} {backends[1].endpoint[1]}}}]"
