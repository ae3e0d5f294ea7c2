"""Services end to end: a Deployment of HTTP servers that answer with their pod name, behind
a Service, reached with real TCP clients through the NodePort, the ClusterIP and the
LoadBalancer address; scaling, readiness, a rolling update under load, session affinity,
and discovery by environment and by name. Drives the real pkubectl and pkubelet daemon."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
import time

import pytest
import yaml

pytestmark = pytest.mark.e2e

# Port 18123, not 8080: every cluster on a machine gives its first pods the same addresses.
SERVER = """\
import http.server, os
NAME = os.environ["POD_NAME"].encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(NAME)))
        self.end_headers()
        self.wfile.write(NAME)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer((os.environ["POD_IP"], 18123), H).serve_forever()
"""


def deployment(replicas: int = 3, not_ready_dir: str = "", version: str = "1") -> dict:
    """Pods named by the Deployment; readiness is `no file named like the pod in not_ready_dir`."""
    probe = {"exec": {"command": ["sh", "-c", 'test ! -e "$NOT_READY_DIR/$POD_NAME"']},
             "periodSeconds": 1, "failureThreshold": 1}
    container = {
        "name": "web", "image": "python:3.12", "command": ["python3", "-c", SERVER],
        "ports": [{"name": "http", "containerPort": 18123}],
        "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "NOT_READY_DIR", "value": not_ready_dir or "/nonexistent"},
                {"name": "VERSION", "value": version}],
        "readinessProbe": probe,
        # Real clusters need this too: keep serving while the endpoint is withdrawn.
        "lifecycle": {"preStop": {"sleep": {"seconds": 1}}},
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [container], "terminationGracePeriodSeconds": 5}}}}


def service(type_: str = "LoadBalancer", **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": dict({"type": type_, "selector": {"app": "web"},
                          "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}, **spec)}


def apply(c, *objs) -> None:
    c.ok("apply", "-f", "-", input=yaml.safe_dump_all(objs))


def get_json(c, *args) -> dict:
    return json.loads(c.ok("get", *args, "-o", "json"))


def fetch(host: str, port: int, timeout: float = 3.0) -> str | None:
    """GET / on a fresh connection; the body (a pod name) or None on any failure."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        return resp.read().decode() if resp.status == 200 else None
    except OSError:
        return None
    finally:
        conn.close()


def ready_ips(c) -> list:
    ep = get_json(c, "endpoints", "web")
    return sorted(a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses") or [])


def pod_names(c) -> set:
    return {p["metadata"]["name"] for p in get_json(c, "pods", "-l", "app=web")["items"]
            if not p["metadata"].get("deletionTimestamp")}


class Client(threading.Thread):
    """A steady client loop: one request after another until stopped; counts failures."""

    def __init__(self, host: str, port: int):
        super().__init__(daemon=True)
        self.host, self.port = host, port
        self.stop = threading.Event()
        self.ok, self.failed, self.seen = 0, 0, []

    def run(self) -> None:
        while not self.stop.is_set():
            body = fetch(self.host, self.port)
            if body is None:
                self.failed += 1
            else:
                self.ok += 1
                self.seen.append(body)
            time.sleep(0.01)

    def finish(self) -> None:
        self.stop.set()
        self.join(10)


@pytest.fixture
def web(cluster, tmp_path):
    """The daemon, a 3-replica web Deployment and a LoadBalancer Service, all serving."""
    not_ready = tmp_path / "not-ready"
    not_ready.mkdir()
    cluster.not_ready = str(not_ready)
    assert cluster.kubelet("start").returncode == 0
    try:
        apply(cluster, deployment(3, str(not_ready)), service())
        cluster.wait_for(lambda: len(ready_ips(cluster)) == 3, timeout=60, message="3 ready endpoints")
        svc = get_json(cluster, "svc", "web")
        cluster.node_port = svc["spec"]["ports"][0]["nodePort"]
        cluster.cluster_ip = svc["spec"]["clusterIP"]
        cluster.wait_for(lambda: get_json(cluster, "svc", "web")["status"]["loadBalancer"].get("ingress"),
                         message="LoadBalancer ingress")
        cluster.lb_ip = get_json(cluster, "svc", "web")["status"]["loadBalancer"]["ingress"][0]["ip"]
        cluster.wait_for(lambda: fetch(cluster.lb_ip, 80), message="proxy serving the LB address")
        yield cluster
    finally:
        cluster.kubelet("stop", "--stop-pods", timeout=60)


def test_requests_reach_every_pod_through_nodeport_clusterip_and_loadbalancer(web):
    pods = pod_names(web)
    assert len(pods) == 3
    for host, port in (("127.0.0.1", web.node_port), (web.cluster_ip, 80), (web.lb_ip, 80)):
        answers = [fetch(host, port) for _ in range(30)]
        assert None not in answers, (host, port, answers)
        assert set(answers) == pods, (host, port)
    row = web.ok("get", "svc", "web", "--no-headers").split()
    assert row[1:5] == ["LoadBalancer", web.cluster_ip, web.lb_ip, "80:%d/TCP" % web.node_port]
    slices = get_json(web, "endpointslices", "-l", "kubernetes.io/service-name=web")["items"]
    assert [s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] for s in slices] == \
        ["endpointslice-controller.k8s.io"]
    assert sorted(e["addresses"][0] for e in slices[0]["endpoints"]) == ready_ips(web)
    assert slices[0]["ports"] == [{"name": "http", "port": 18123, "protocol": "TCP"}]


def test_scale_down_keeps_serving_and_leaves_only_the_remaining_pod(web):
    client = Client("127.0.0.1", web.node_port)
    client.start()
    try:
        web.ok("scale", "deployment", "web", "--replicas=1")
        web.wait_for(lambda: len(pod_names(web)) == 1 and len(ready_ips(web)) == 1, timeout=60,
                     message="one pod left")
        time.sleep(0.5)  # let the proxy take the last change (asserted below, not waited on)
    finally:
        client.finish()
    assert client.failed == 0 and client.ok > 0
    (remaining,) = pod_names(web)
    assert {fetch("127.0.0.1", web.node_port) for _ in range(20)} == {remaining}


def test_a_pod_that_turns_not_ready_leaves_the_rotation_and_returns(web):
    pods = sorted(pod_names(web))
    victim = pods[0]
    marker = os.path.join(web.not_ready, victim)
    open(marker, "w").close()
    web.wait_for(lambda: len(ready_ips(web)) == 2, timeout=30, message="victim not ready")
    ep = get_json(web, "endpoints", "web")
    assert [a["targetRef"]["name"] for s in ep["subsets"] for a in s.get("notReadyAddresses") or []] == [victim]
    web.wait_for(lambda: victim not in {fetch(web.cluster_ip, 80) for _ in range(12)}, timeout=10,
                 message="proxy drops the victim")
    assert {fetch(web.cluster_ip, 80) for _ in range(30)} == set(pods[1:])
    os.unlink(marker)
    web.wait_for(lambda: len(ready_ips(web)) == 3, timeout=30, message="victim ready again")
    web.wait_for(lambda: {fetch(web.cluster_ip, 80) for _ in range(30)} == set(pods), timeout=10,
                 message="victim back in rotation")


def test_rolling_update_behind_the_service_fails_no_request(web):
    old = pod_names(web)
    client = Client("127.0.0.1", web.node_port)
    client.start()
    try:
        web.ok("set", "env", "deployment/web", "VERSION=2")
        web.ok("rollout", "status", "deployment/web", "--timeout=180s", timeout=200)
        web.wait_for(lambda: len(pod_names(web)) == 3 and not (pod_names(web) & old), timeout=60,
                     message="old pods gone")
        web.wait_for(lambda: len(ready_ips(web)) == 3, timeout=30, message="3 ready endpoints")
    finally:
        client.finish()
    assert client.failed == 0, f"{client.failed} failed of {client.failed + client.ok}"
    assert client.ok > 20
    new = pod_names(web)
    web.wait_for(lambda: {fetch("127.0.0.1", web.node_port) for _ in range(30)} == new, timeout=10,
                 message="only new pods answer")


def test_session_affinity_client_ip_sticks_to_one_pod(web):
    web.ok("patch", "svc", "web", "-p", json.dumps({"spec": {
        "sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}}}))
    time.sleep(1.0)  # the proxy's next pass; asserted by the stickiness below
    answers = [fetch(web.cluster_ip, 80) for _ in range(20)]
    assert None not in answers and len(set(answers)) == 1, answers
    web.ok("patch", "svc", "web", "-p", json.dumps({"spec": {"sessionAffinity": "None"}}))
    web.wait_for(lambda: len({fetch(web.cluster_ip, 80) for _ in range(12)}) == 3, timeout=10,
                 message="round robin again")


CLIENT = """\
import os, socket, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
host, port = os.environ["WEB_SERVICE_HOST"], os.environ["WEB_SERVICE_PORT"]
print("env", host, port, os.environ["WEB_PORT"], os.environ["WEB_SERVICE_PORT_HTTP"],
      os.environ["WEB_PORT_80_TCP_ADDR"], os.environ["WEB_PORT_80_TCP_PROTO"], os.environ["WEB_PORT_80_TCP_PORT"])
print("via-env", opener.open("http://%s:%s/" % (host, port), timeout=5).read().decode())
try:
    print("resolve", socket.gethostbyname("web"), socket.gethostbyname("web.default.svc.cluster.local"))
    print("via-name", opener.open("http://web/", timeout=5).read().decode())
except OSError as err:
    print("no-name", err)
"""


def test_a_container_started_after_the_service_finds_it_by_env_and_name(web):
    web.ok("run", "client", "--image=python:3.12", "--restart=Never", "--command", "--",
           "python3", "-c", CLIENT)
    web.wait_for(lambda: get_json(web, "pod", "client")["status"]["phase"] in ("Succeeded", "Failed"),
                 timeout=60, message="client finished")
    logs = dict(line.split(" ", 1) for line in web.ok("logs", "client").splitlines())
    ip = web.cluster_ip
    assert logs["env"] == f"{ip} 80 tcp://{ip}:80 80 {ip} tcp 80"
    assert logs["via-env"] in pod_names(web)
    from pkubelet import hosts

    if hosts.mount_namespaces() is not None:  # root with util-linux: CI
        assert logs["resolve"] == f"{ip} {ip}"
        assert logs["via-name"] in pod_names(web)
    else:
        events = web.ok("get", "events", "--field-selector", "involvedObject.name=client")
        assert "NameResolutionUnavailable" in events and "_SERVICE_HOST" in events


def test_selectorless_service_keeps_user_endpoints_and_headless_gets_no_listener(web):
    apply(web, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
                "spec": {"ports": [{"port": 80, "targetPort": 18123}]}},
          {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ext"},
           "subsets": [{"addresses": [{"ip": ready_ips(web)[0]}], "ports": [{"port": 18123}]}]},
          {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "headless"},
           "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 18123}]}})
    ext = get_json(web, "svc", "ext")["spec"]["clusterIP"]
    web.wait_for(lambda: fetch(ext, 80), timeout=10, message="selector-less service served")
    assert get_json(web, "endpoints", "ext")["subsets"][0]["addresses"] == [{"ip": ready_ips(web)[0]}]
    web.wait_for(lambda: len(get_json(web, "endpoints", "headless").get("subsets") or []) == 1, timeout=10,
                 message="headless endpoints")
    web.ok("delete", "svc", "web")
    web.wait_for(lambda: web.pk("get", "endpoints", "web").returncode == 1, timeout=10,
                 message="endpoints removed with the service")
    web.wait_for(lambda: not get_json(web, "endpointslices", "-l", "kubernetes.io/service-name=web")["items"],
                 timeout=10, message="slices removed with the service")
    web.wait_for(lambda: fetch(web.cluster_ip, 80, timeout=1) is None, timeout=10, message="listener closed")


def test_bind_failure_and_non_loopback_external_ip_are_reported_as_events(web):
    import socket

    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    busy = blocker.getsockname()[1]
    try:
        apply(web, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "odd"},
                    "spec": {"selector": {"app": "web"}, "externalIPs": ["127.0.0.1", "192.0.2.10"],
                             "ports": [{"port": busy, "targetPort": 18123}]}})
        def reasons():
            out = web.ok("get", "events", "--field-selector", "involvedObject.name=odd")
            return "FailedToListen" in out and "ExternalIPNotServed" in out and out
        out = web.wait_for(reasons, timeout=15, message="events on the service")
        assert "address already in use" in out
    finally:
        blocker.close()


def test_the_proxy_comes_back_after_the_daemon_is_killed(web):
    import signal

    from pkubelet import daemon

    pid = daemon.running_pid(web.home)
    os.kill(pid, signal.SIGKILL)
    web.wait_for(lambda: fetch(web.cluster_ip, 80, timeout=1) is None, timeout=10, message="listener gone")
    assert web.kubelet("start").returncode == 0
    web.wait_for(lambda: fetch(web.cluster_ip, 80), timeout=20, message="ClusterIP served again")
    # every pod again (readiness is re-established by the adopted kubelet first)
    web.wait_for(lambda: {fetch("127.0.0.1", web.node_port) for _ in range(30)} == pod_names(web),
                 timeout=30, message="NodePort reaches every pod")


def test_each_node_agent_serves_the_nodeports_of_its_own_address(web):
    from conftest import executable

    agent = web.popen([executable("pkubelet"), "node", "--name", "n2", "--heartbeat-interval", "1"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = web.wait_for(lambda: [a["address"] for a in (get_json(web, "node", "n2").get("status") or {})
                                    .get("addresses") or [] if a["type"] == "InternalIP"]
                           if web.pk("get", "node", "n2").returncode == 0 else None,
                           timeout=30, message="node n2 registered")[0]
    assert address.startswith("127.0.1.")
    web.wait_for(lambda: fetch(address, web.node_port), timeout=20, message="NodePort on n2")
    agent.send_signal(__import__("signal").SIGKILL)
    agent.wait(10)
    web.wait_for(lambda: fetch(address, web.node_port, timeout=1) is None, timeout=10,
                 message="n2's NodePort gone with its agent")
    assert fetch("127.0.0.1", web.node_port) in pod_names(web)


WATCHER = """\
import socket, sys, time
while True:
    try:
        print("late", socket.gethostbyname("late.default.svc.cluster.local"), flush=True)
        break
    except OSError:
        time.sleep(0.2)
time.sleep(3600)
"""


def test_hosts_file_follows_services_created_later(web):
    from pkubelet import hosts

    if hosts.mount_namespaces() is None:
        pytest.skip("needs root and util-linux unshare (private mount namespaces)")
    web.ok("run", "watcher", "--image=python:3.12", "--command", "--", "python3", "-c", WATCHER)
    web.wait_for(lambda: get_json(web, "pod", "watcher")["status"]["phase"] == "Running", timeout=30,
                 message="watcher running")
    web.ok("create", "service", "clusterip", "late", "--tcp=80:18123")
    ip = get_json(web, "svc", "late")["spec"]["clusterIP"]
    web.wait_for(lambda: f"late {ip}" in web.ok("logs", "watcher"), timeout=20, message="name resolves")
    with open("/etc/hosts") as f:
        assert "late.default.svc" not in f.read()  # only the pod's namespace sees it
