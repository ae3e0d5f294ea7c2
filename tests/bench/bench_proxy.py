"""Benchmark of the userspace service proxy against a direct connection, same run.

Client, proxy and server each run in their own process (multiprocessing, fork),
as on a real node where every byte crosses loopback twice through the proxy.
Measured, for the direct path and for every proxy data path:
- bulk throughput: >= 1 GiB one way, client sendall 1 MiB chunks -> server sink;
- request latency: 64-byte request / 64-byte echo, on a kept connection and on
  a fresh connection per request; "added" = proxied minus direct;
- 1,000 concurrent connections opened, held, and each served a request.
Every figure is the median over --reps repetitions, interleaved across paths
so drift hits them all alike.  Prints a table; asserts nothing about time.

    python tests/bench/bench_proxy.py [--gib 1] [--reps 3] [--datapaths epoll,threads,splice]

Importable: run(**options) -> list[dict] for an all-benchmarks command.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import selectors
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pkubelet.proxy import DATAPATHS, Proxy, ServiceRule  # noqa: E402

SERVER_IP, PROXY_IP = "127.96.250.1", "127.96.250.10"
CHUNK = 1 << 20
MSG = 64
CTX = mp.get_context("fork")  # children inherit the imported code; the parent has no threads


def _nofile_max() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _free_port(ip: str) -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def _listen(ip: str, port: int) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(4096)
    return s


# -- server process: a bulk sink and an echo loop -----------------------------
def _sink(conn: socket.socket) -> None:
    buf = bytearray(CHUNK)
    total = 0
    with conn:
        while True:
            n = conn.recv_into(buf)
            if not n:
                break
            total += n
        conn.sendall(total.to_bytes(8, "big"))


def _sink_server(lsock: socket.socket) -> None:
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=_sink, args=(conn,), daemon=True).start()


def _echo_server(lsock: socket.socket) -> None:
    """Single-threaded echo over selectors: cheap to hold 1,000 connections."""
    sel = selectors.DefaultSelector()
    lsock.setblocking(False)
    sel.register(lsock, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                try:
                    conn, _ = lsock.accept()
                except BlockingIOError:
                    continue
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(conn, selectors.EVENT_READ, True)
                continue
            conn = key.fileobj
            try:
                data = conn.recv(65536)
                if data:
                    conn.sendall(data)  # tiny replies: the socket buffer never fills
                    continue
            except OSError:
                pass
            sel.unregister(conn)
            conn.close()


def server_main(sink_port: int, echo_port: int, ready) -> None:
    _nofile_max()
    sink, echo = _listen(SERVER_IP, sink_port), _listen(SERVER_IP, echo_port)
    threading.Thread(target=_sink_server, args=(sink,), daemon=True).start()
    ready.send("ok")
    _echo_server(echo)


# -- proxy process --------------------------------------------------------------
def proxy_main(datapath: str, rules: list[ServiceRule], ctl) -> None:
    bufsize = int(os.environ.get("PKUBE_BENCH_BUFSIZE", 1 << 20))
    proxy = Proxy(datapath=datapath, bufsize=bufsize)
    errors = proxy.sync(rules)
    ctl.send(errors or "ok")
    ctl.recv()  # any message = stop
    proxy.stop()
    if os.environ.get("PKUBE_BENCH_RUSAGE"):
        ru = resource.getrusage(resource.RUSAGE_SELF)
        print(f"[proxy {datapath}] user {ru.ru_utime:.2f}s sys {ru.ru_stime:.2f}s "
              f"vcsw {ru.ru_nvcsw} ivcsw {ru.ru_nivcsw}", file=sys.stderr)


# -- client measurements (each in its own process) -------------------------------
def client_bulk(addr, total: int) -> float:
    """Seconds to push `total` bytes and get the sink's byte count back."""
    payload = memoryview(bytes(CHUNK))
    start = time.perf_counter()
    with socket.create_connection(addr) as s:
        sent = 0
        while sent < total:
            s.sendall(payload)
            sent += CHUNK
        s.shutdown(socket.SHUT_WR)
        got = int.from_bytes(_recv_exact(s, 8), "big")
    elapsed = time.perf_counter() - start
    assert got == sent, (got, sent)
    return elapsed


def _recv_exact(s: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("short read")
        data += chunk
    return data


def client_latency(addr, count: int, fresh: bool) -> list[float]:
    """Per-request round-trip times in µs (64 B request, 64 B echo)."""
    msg = b"x" * MSG
    out = []
    s = None
    if not fresh:
        s = socket.create_connection(addr)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(200):  # warm-up
            s.sendall(msg)
            _recv_exact(s, MSG)
    for _ in range(count):
        t0 = time.perf_counter_ns()
        if fresh:
            s = socket.create_connection(addr)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(msg)
        _recv_exact(s, MSG)
        if fresh:
            s.close()
        out.append((time.perf_counter_ns() - t0) / 1000)
    if not fresh:
        s.close()
    return out


def client_concurrent(addr, count: int) -> dict:
    """Open `count` connections, keep them all open, serve one request on each, twice."""
    _nofile_max()
    start = time.perf_counter()
    socks = [socket.create_connection(addr) for _ in range(count)]
    opened = time.perf_counter() - start
    served = 0
    for rnd in range(2):
        for i, s in enumerate(socks):
            s.sendall(b"%08d" % i)
        for i, s in enumerate(socks):
            s.settimeout(10)
            served += _recv_exact(s, 8) == b"%08d" % i
    total = time.perf_counter() - start
    for s in socks:
        s.close()
    return {"held": count, "served": served // 2, "open_s": opened, "total_s": total}


def _in_process(fn, *args):
    """Run fn(*args) in a fresh client process and return its result."""
    parent, child = CTX.Pipe()

    def target() -> None:
        try:
            child.send(("ok", fn(*args)))
        except BaseException as exc:  # reported, then re-raised in the parent
            child.send(("err", repr(exc)))

    p = CTX.Process(target=target)
    p.start()
    status, value = parent.recv()
    p.join()
    if status != "ok":
        raise RuntimeError(f"{fn.__name__} failed: {value}")
    return value


class _ProxyProcess:
    def __init__(self, datapath: str, rules: list[ServiceRule]) -> None:
        self.ctl, child = CTX.Pipe()
        self.proc = CTX.Process(target=proxy_main, args=(datapath, rules, child))
        self.proc.start()
        status = self.ctl.recv()
        if status != "ok":
            self.close()
            raise RuntimeError(f"proxy failed to start: {status}")

    def close(self) -> None:
        try:
            self.ctl.send("stop")
        except OSError:
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


# -- orchestration ---------------------------------------------------------------
def run(gib: float = 1.0, reps: int = 3, datapaths: list[str] | None = None,
        latency_count: int = 2000, fresh_count: int = 500, concurrent: int = 1000) -> list[dict]:
    datapaths = datapaths or sorted(DATAPATHS)
    _nofile_max()
    total = int(gib * (1 << 30)) // CHUNK * CHUNK
    sink_port, echo_port = _free_port(SERVER_IP), _free_port(SERVER_IP)
    ready, child = CTX.Pipe()
    server = CTX.Process(target=server_main, args=(sink_port, echo_port, child), daemon=True)
    server.start()
    ready.recv()
    ports = {"sink": _free_port(PROXY_IP), "echo": _free_port(PROXY_IP)}
    rules = [ServiceRule(f"bench/svc:{name}", PROXY_IP, ports[name], ((SERVER_IP, port),))
             for name, port in (("sink", sink_port), ("echo", echo_port))]
    targets = {"direct": {"sink": (SERVER_IP, sink_port), "echo": (SERVER_IP, echo_port)}}
    for dp in datapaths:
        targets[dp] = {"sink": (PROXY_IP, ports["sink"]), "echo": (PROXY_IP, ports["echo"])}
    samples: dict[str, dict[str, list]] = {path: {"gbps": [], "kept": [], "fresh": []} for path in targets}
    concurrency: dict[str, dict] = {}
    try:
        for _ in range(reps):
            for path, addr in targets.items():
                proxy = _ProxyProcess(path, rules) if path != "direct" else None
                try:
                    secs = _in_process(client_bulk, addr["sink"], total)
                    samples[path]["gbps"].append(total / secs / 1e9)
                    kept = _in_process(client_latency, addr["echo"], latency_count, False)
                    fresh = _in_process(client_latency, addr["echo"], fresh_count, True)
                    samples[path]["kept"].append(_pcts(kept))
                    samples[path]["fresh"].append(_pcts(fresh))
                    if path not in concurrency and concurrent:
                        concurrency[path] = _in_process(client_concurrent, addr["echo"], concurrent)
                finally:
                    if proxy is not None:
                        proxy.close()
    finally:
        server.kill()
        server.join()
    return _rows(samples, concurrency, total, reps)


def _pcts(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=100)
    return q[49], q[98]


def _rows(samples, concurrency, total, reps) -> list[dict]:
    direct = samples["direct"]
    d_gbps = statistics.median(direct["gbps"])
    d_kept = [statistics.median(p[i] for p in direct["kept"]) for i in (0, 1)]
    d_fresh = [statistics.median(p[i] for p in direct["fresh"]) for i in (0, 1)]
    rows = []
    for path, s in samples.items():
        gbps = statistics.median(s["gbps"])
        kept = [statistics.median(p[i] for p in s["kept"]) for i in (0, 1)]
        fresh = [statistics.median(p[i] for p in s["fresh"]) for i in (0, 1)]
        conc = concurrency.get(path, {})
        rows.append({
            "bench": "proxy", "path": path, "bytes": total, "reps": reps,
            "gbps": round(gbps, 3), "ratio": round(gbps / d_gbps, 3),
            "kept_p50_us": round(kept[0], 1), "kept_p99_us": round(kept[1], 1),
            "kept_p50_added_us": round(kept[0] - d_kept[0], 1),
            "kept_p99_added_us": round(kept[1] - d_kept[1], 1),
            "fresh_p50_us": round(fresh[0], 1), "fresh_p99_us": round(fresh[1], 1),
            "fresh_p50_added_us": round(fresh[0] - d_fresh[0], 1),
            "conns_held": conc.get("held"), "conns_served": conc.get("served"),
            "conns_open_s": round(conc["open_s"], 3) if conc else None,
        })
    return rows


COLUMNS = [("path", "path"), ("gbps", "GB/s"), ("ratio", "x direct"),
           ("kept_p50_us", "kept p50 µs"), ("kept_p50_added_us", "+p50"),
           ("kept_p99_us", "kept p99 µs"), ("kept_p99_added_us", "+p99"),
           ("fresh_p50_us", "fresh p50 µs"), ("fresh_p50_added_us", "+p50"),
           ("conns_served", "conns served"), ("conns_open_s", "open s")]


def format_table(rows: list[dict]) -> str:
    cells = [[h for _, h in COLUMNS]] + [[str(r[k]) for k, _ in COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gib", type=float, default=1.0, help="bulk bytes per run, GiB (>= 1 for the record)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--datapaths", default=",".join(sorted(DATAPATHS)))
    ap.add_argument("--concurrent", type=int, default=1000, help="connections to hold (0 = skip)")
    ap.add_argument("--latency-count", type=int, default=2000, help="requests per kept-connection run")
    ap.add_argument("--fresh-count", type=int, default=500, help="requests per fresh-connection run")
    args = ap.parse_args(argv)
    rows = run(gib=args.gib, reps=args.reps, datapaths=args.datapaths.split(","),
               latency_count=args.latency_count, fresh_count=args.fresh_count,
               concurrent=args.concurrent)
    print(f"proxy benchmark: {rows[0]['bytes'] / (1 << 30):.2f} GiB bulk per run, median of "
          f"{args.reps} runs; latency = {MSG} B echo, 'kept' = one kept connection, "
          f"'fresh' = new connection per request; {os.cpu_count()} CPUs")
    print(format_table(rows))


if __name__ == "__main__":
    main()
