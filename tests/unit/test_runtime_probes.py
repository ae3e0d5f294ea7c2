"""Probe attempts against a real HTTP server, a closed port and real commands."""

import http.server
import socket
import threading

import pytest

from pkubelet.runtime.probes import run_probe


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            self.server.release.wait(10)
        code = {"/healthz": 200, "/moved": 302, "/broken": 500}.get(self.path, 404)
        if self.path == "/header":
            code = 200 if self.headers.get("X-Probe") == "yes" else 401
        if self.path == "/slow":
            code = 200
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.release = threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield httpd.server_address[1]
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.mark.parametrize("path, expected", [
    ("/healthz", (True, "")),
    ("/moved", (True, "")),
    ("/broken", (False, "HTTP probe failed with statuscode: 500")),
    ("/missing", (False, "HTTP probe failed with statuscode: 404")),
])
def test_http_get_status_codes(server, path, expected):
    assert run_probe({"httpGet": {"path": path, "port": server}}, "127.0.0.1") == expected


def test_http_get_sends_headers(server):
    probe = {"httpGet": {"path": "/header", "port": server, "httpHeaders": [{"name": "X-Probe", "value": "yes"}]}}
    assert run_probe(probe, "127.0.0.1") == (True, "")


def test_http_get_connection_refused(closed_port):
    assert run_probe({"httpGet": {"path": "/healthz", "port": closed_port}}, "127.0.0.1") == (
        False, 'Get "http://127.0.0.1:%d/healthz": dial tcp 127.0.0.1:%d: connect: connection refused'
        % (closed_port, closed_port))


def test_http_get_timeout(server):
    ok, message = run_probe({"httpGet": {"path": "/slow", "port": server}, "timeoutSeconds": 0.2}, "127.0.0.1")
    assert not ok
    assert message == ('Get "http://127.0.0.1:%d/slow": context deadline exceeded '
                       "(Client.Timeout exceeded while awaiting headers)" % server)


def test_named_port_must_be_resolved_by_the_caller():
    ok, message = run_probe({"httpGet": {"port": "http"}}, "127.0.0.1")
    assert not ok and "named ports" in message


def test_tcp_socket(server, closed_port):
    assert run_probe({"tcpSocket": {"port": server}}, "127.0.0.1") == (True, "")
    assert run_probe({"tcpSocket": {"port": closed_port}}, "127.0.0.1") == (
        False, "dial tcp 127.0.0.1:%d: connect: connection refused" % closed_port)


def test_exec_uses_the_container_env_and_cwd(tmp_path):
    (tmp_path / "ready").write_text("")
    probe = {"exec": {"command": ["sh", "-c", 'test "$MODE" = on && test -f ready']}}
    assert run_probe(probe, "", {"MODE": "on", "PATH": "/usr/bin:/bin"}, str(tmp_path)) == (True, "")
    assert run_probe(probe, "", {"MODE": "off", "PATH": "/usr/bin:/bin"}, str(tmp_path))[0] is False


def test_exec_failure_reports_the_output():
    assert run_probe({"exec": {"command": ["sh", "-c", "echo not ready; exit 1"]}}, "") == (False, "not ready\n")


def test_exec_timeout():
    probe = {"exec": {"command": ["sleep", "30"]}, "timeoutSeconds": 0.2}
    assert run_probe(probe, "") == (False, 'command "sleep 30" timed out')


def test_exec_missing_program():
    ok, message = run_probe({"exec": {"command": ["no-such-program-xyz"]}}, "")
    assert not ok and message.endswith('exec: "no-such-program-xyz": executable file not found in $PATH')


def test_grpc_is_not_supported():
    assert run_probe({"grpc": {"port": 9000}}, "127.0.0.1") == (
        False, "gRPC probes are not supported by pkube; use httpGet, tcpSocket or exec")
