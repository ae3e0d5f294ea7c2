"""`pkubectl port-forward` and `pkubectl expose` against a running Deployment: real
listeners, real connections, kubectl's lines and errors."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading

import pytest

from e2e.test_services import apply, deployment, fetch, get_json, pod_names, ready_ips

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def web(cluster):
    """The daemon and a 2-replica web Deployment exposed as Service web:80 -> http."""
    assert cluster.kubelet("start").returncode == 0
    try:
        apply(cluster, deployment(2))
        assert cluster.ok("expose", "deployment", "web", "--port=80", "--target-port=http") == \
            "service/web exposed\n"
        cluster.wait_for(lambda: len(ready_ips(cluster)) == 2, timeout=60, message="2 ready endpoints")
        yield cluster
    finally:
        cluster.kubelet("stop", "--stop-pods", timeout=60)


class Forward:
    """A background `pkubectl port-forward`, its stdout lines collected as they come."""

    def __init__(self, c, *args):
        self.proc = c.popen([os.path.join(os.path.dirname(__import__("sys").executable), "pkubectl"),
                             "port-forward", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(10)


def test_port_forward_svc_reaches_a_ready_pod_and_a_second_one_on_the_busy_port_fails(web):
    port = free_port()
    fw = Forward(web, "svc/web", f"{port}:80")
    try:
        web.wait_for(lambda: f"Forwarding from 127.0.0.1:{port} -> 18123" in fw.lines, timeout=30,
                     message="Forwarding line")
        assert f"Forwarding from [::1]:{port} -> 18123" in fw.lines
        body = fetch("127.0.0.1", port)
        assert body in pod_names(web)
        assert {fetch("127.0.0.1", port) for _ in range(5)} == {body}  # one pod, as kubectl
        web.wait_for(lambda: fw.lines.count(f"Handling connection for {port}") == 6, timeout=10,
                     message="Handling connection lines")
        second = web.pk("port-forward", "svc/web", f"{port}:80", timeout=30)
        assert second.returncode == 1
        assert second.stderr.splitlines() == [
            f"Unable to listen on port {port}: Listeners failed to create with the following errors: "
            f"[unable to create listener: Error listen tcp4 127.0.0.1:{port}: bind: address already in use "
            f"unable to create listener: Error listen tcp6 [::1]:{port}: bind: address already in use]",
            f"error: unable to listen on any of the requested ports: [{{{port} 18123}}]"]
    finally:
        assert fw.stop() == 0


def test_port_forward_pod_by_named_port_and_deploy_with_random_local_port(web):
    pod = sorted(pod_names(web))[0]
    port = free_port()
    fw = Forward(web, f"pod/{pod}", f"{port}:http", "--address", "127.0.0.1")
    try:
        web.wait_for(lambda: fw.lines[:1] == [f"Forwarding from 127.0.0.1:{port} -> 18123"], timeout=30,
                     message="Forwarding line")
        assert fetch("127.0.0.1", port) == pod
    finally:
        fw.stop()
    fw = Forward(web, "deploy/web", ":18123", "--address=127.0.0.1")
    try:
        line = web.wait_for(lambda: fw.lines[:1], timeout=30, message="Forwarding line")[0]
        local = int(line.split(":")[1].split()[0])
        assert line == f"Forwarding from 127.0.0.1:{local} -> 18123"
        assert fetch("127.0.0.1", local) in pod_names(web)
    finally:
        fw.stop()


def test_port_forward_errors(web):
    assert web.pk("port-forward", "svc/web").stderr.startswith(
        "error: TYPE/NAME and list of ports are required for port-forward")
    r = web.pk("port-forward", "svc/web", "9999")
    assert (r.returncode, r.stderr.strip()) == (1, "error: Service web does not have a service port 9999")
    r = web.pk("port-forward", "svc/nope", "80")
    assert (r.returncode, r.stderr.strip()) == (1, 'Error from server (NotFound): services "nope" not found')


def test_expose_generates_kubectl_objects_and_errors(web):
    obj = json.loads(web.ok("expose", "deployment", "web", "--name=web2", "--port=8081", "--target-port=http",
                            "--type=NodePort", "--dry-run=client", "-o", "json"))
    assert obj["spec"] == {"ports": [{"port": 8081, "protocol": "TCP", "targetPort": "http"}],
                           "selector": {"app": "web"}, "type": "NodePort"}
    assert obj["status"] == {"loadBalancer": {}}
    web.ok("expose", "deployment", "web", "--name=web2", "--port=8081", "--target-port=http", "--type=NodePort")
    svc = get_json(web, "svc", "web2")
    web.wait_for(lambda: fetch("127.0.0.1", svc["spec"]["ports"][0]["nodePort"]), timeout=15,
                 message="exposed NodePort serving")
    pod = sorted(pod_names(web))[0]
    out = web.ok("expose", "pod", pod, "--name=single", "--labels=x=y")
    assert out == "service/single exposed\n"
    single = get_json(web, "svc", "single")
    assert single["metadata"]["labels"] == {"x": "y"}
    assert single["spec"]["ports"] == [{"port": 18123, "protocol": "TCP", "targetPort": 18123}]
    web.ok("run", "bare", "--image=python:3.12", "--", "sleep", "60")
    r = web.pk("expose", "pod", "bare")
    assert (r.returncode, r.stderr) == (1, "error: couldn't find port via --port flag or introspection\n"
                                           "See 'pkubectl expose -h' for help and examples\n")
    r = web.pk("expose", "configmap", "kube-root-ca.crt")
    assert (r.returncode, r.stderr) == (1, "error: cannot expose a ConfigMap\n")
