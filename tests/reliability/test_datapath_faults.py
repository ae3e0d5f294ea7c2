"""Faults on the data path, under a client loop against a NodePort Service of a 3-replica
HTTP Deployment (the real proxy, real TCP clients, a fresh connection per request):

1. kill -9 of one pod's container mid-traffic: only requests in flight to it may fail, new
   ones succeed (the proxy skips refused endpoints), and the pod comes back by itself;
2. kill -9 of the daemon, then `pkubelet start`: the proxy rebinds, clients recover;
3. a second node process (`pkubelet node --name n2`) killed under load: after the (short)
   node-monitor grace and eviction timeout its pods are replaced on the live node, and
   clients keep being served.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time

import yaml
from conftest import executable, free_node_port

from .probes import daemon_pid, pods, start_daemon

NODE_PORT = free_node_port()

APP = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
       "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [{
                        "name": "web", "image": "python:3.12", "command": ["python3", "-c"],
                        "args": ["import http.server, os\n"
                                 "class H(http.server.BaseHTTPRequestHandler):\n"
                                 "    def do_GET(self):\n"
                                 "        body = os.environ['POD_NAME'].encode()\n"
                                 "        self.send_response(200)\n"
                                 "        self.send_header('Content-Length', str(len(body)))\n"
                                 "        self.end_headers()\n"
                                 "        self.wfile.write(body)\n"
                                 "    def log_message(self, *a):\n"
                                 "        pass\n"
                                 "http.server.ThreadingHTTPServer((os.environ['POD_IP'], 8080), H).serve_forever()\n"],
                        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
                        "ports": [{"containerPort": 8080, "name": "http"}],
                        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1}}]}}}}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"type": "NodePort", "selector": {"app": "web"},
                    "ports": [{"port": 80, "targetPort": "http", "nodePort": NODE_PORT}]}}


def request(timeout: float = 2.0) -> str:
    """One HTTP GET on a fresh connection; returns the pod name that answered."""
    with socket.create_connection(("127.0.0.1", NODE_PORT), timeout=timeout) as s:
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200"):
        raise OSError(f"bad response {head[:40]!r}")
    return body.decode()


class Clients(threading.Thread):
    """A client loop: results as (monotonic time, pod name or None, error text)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.results: list = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                self.results.append((t, request(), ""))
            except OSError as e:
                self.results.append((t, None, repr(e)))
            time.sleep(0.02)

    def since(self, t0: float) -> list:
        return [r for r in self.results if r[0] >= t0]


def served_streak(clients: Clients, n: int = 20):
    recent = clients.results[-n:]
    return len(recent) == n and all(r[1] for r in recent)


def web_ready(kube, replicas: int = 3) -> bool:
    dep = json.loads(kube.ok("get", "deploy", "web", "-o", "json"))
    st = dep.get("status", {})
    return st.get("readyReplicas") == replicas and st.get("updatedReplicas") == replicas \
        and st.get("availableReplicas") == replicas


def container_pid(kube, pod: dict) -> int:
    from pkubelet.runtime import process

    uid = pod["metadata"]["uid"]
    restarts = pod["status"]["containerStatuses"][0]["restartCount"]
    rec = process.load(os.path.join(kube.home, "pods", uid, "web", str(restarts)))
    return rec.pid


def test_faults_under_load(kube):
    start_daemon(kube)
    kube.ok("apply", "-f", "-", input=yaml.safe_dump_all([APP, SERVICE]))
    kube.wait_for(lambda: web_ready(kube), timeout=90, interval=0.5, message="3 ready replicas")
    clients = Clients()
    clients.start()
    try:
        kube.wait_for(lambda: served_streak(clients), timeout=30, message="clients served")

        # 1. a container killed mid-traffic
        victim = pods(kube, "app=web")[0]
        t_kill = time.monotonic()
        os.kill(container_pid(kube, victim), signal.SIGKILL)
        time.sleep(1.0)
        after = [r for r in clients.since(t_kill + 1.0)]
        kube.wait_for(lambda: len(clients.since(t_kill + 1.0)) >= 20, timeout=30, message="traffic after the kill")
        after = clients.since(t_kill + 1.0)[:20]
        assert all(r[1] for r in after), f"new requests failed after a container kill: {after}"
        failed = [r for r in clients.since(t_kill) if not r[1]]
        assert len(failed) <= 2, f"more than the in-flight requests failed: {failed}"

        def restarted():
            p = json.loads(kube.ok("get", "pod", victim["metadata"]["name"], "-o", "json"))
            return p["status"]["containerStatuses"][0]["restartCount"] >= 1 and web_ready(kube)

        kube.wait_for(restarted, timeout=60, interval=0.5, message="the killed container restarted, 3 ready")
        kube.wait_for(lambda: victim["metadata"]["name"] in {r[1] for r in clients.results[-60:]}, timeout=30,
                      message="the restarted pod serving again")

        # 2. the daemon killed and restarted: the proxy rebinds
        os.kill(daemon_pid(kube.home), signal.SIGKILL)
        t_down = time.monotonic()
        # the restarted daemon notices a dead node sooner (for step 3). The grace must stay
        # above the heartbeat interval (default 10 s) or the live node itself flaps NotReady.
        kube.env.update(PKUBE_HEARTBEAT_INTERVAL="1", PKUBE_NODE_MONITOR_GRACE="5", PKUBE_POD_EVICTION_TIMEOUT="2")
        start_daemon(kube)
        kube.wait_for(lambda: served_streak(clients), timeout=30, message="clients served after a daemon restart")
        assert time.monotonic() - t_down < 30

        # 3. a second node killed under load: its pods are replaced
        agent = kube.popen([executable("pkubelet"), "node", "--name", "n2", "--heartbeat-interval", "1"])
        kube.wait_for(lambda: '"Ready"' in kube.pk("get", "node", "n2", "-o", "json").stdout, timeout=30,
                      message="node n2 registered")
        kube.ok("cordon", "pkube")
        kube.ok("scale", "deploy", "web", "--replicas=5")
        kube.wait_for(lambda: web_ready(kube, 5), timeout=90, interval=0.5, message="5 ready, 2 on n2")
        on_n2 = {p["metadata"]["name"] for p in pods(kube, "app=web") if p["spec"].get("nodeName") == "n2"}
        assert len(on_n2) == 2
        kube.ok("uncordon", "pkube")
        kube.wait_for(lambda: on_n2 & {r[1] for r in clients.results[-100:]}, timeout=30,
                      message="n2's pods serving")
        os.killpg(agent.pid, signal.SIGKILL)
        agent.wait(10)

        def replaced():
            live = [p for p in pods(kube, "app=web") if not p["metadata"].get("deletionTimestamp")]
            return web_ready(kube, 5) and len(live) >= 5 and \
                sum(1 for p in live if p["spec"].get("nodeName") == "pkube" and
                    p["status"].get("phase") == "Running") == 5

        kube.wait_for(replaced, timeout=120, interval=1, message="n2's pods replaced on pkube")
        kube.wait_for(lambda: served_streak(clients, 30), timeout=30, message="clients served after node loss")
        newest = {r[1] for r in clients.results[-30:]}
        assert not newest & on_n2, "the dead node's pods still get traffic"
    finally:
        clients.stop.set()
        clients.join(10)
