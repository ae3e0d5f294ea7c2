"""Container lifecycle with real processes and the real pkubectl: graceful stops that never
hold up the node's sync (SIGTERM, grace on disk, SIGKILL), preStop / postStart hooks, and
configMap volumes updated in place while the container runs."""
from __future__ import annotations

import http.server
import json
import os
import threading
import time

import psutil
import pytest
import yaml

pytestmark = pytest.mark.e2e

STUBBORN = 'trap "" TERM; echo up; while true; do sleep 1; done'
POLITE = "echo up; exec sleep 1000"


@pytest.fixture
def kube(cluster):
    cluster.env.update({"PKUBE_BACKOFF_INITIAL": "1", "PKUBE_BACKOFF_MAX": "4"})
    try:
        yield cluster
    finally:
        cluster.kubelet("stop", "--stop-pods", timeout=60)
        from pkubelet.runtime import process

        process.kill_all_in(os.path.join(cluster.home, "pods"))


def pod(name: str, script: str, grace: int | None = None, **container) -> dict:
    spec = {"nodeName": "pkube",
            "containers": [dict({"name": "app", "image": "busybox", "command": ["sh", "-c", script]}, **container)]}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def apply(c, *objs) -> None:
    c.ok("apply", "-f", "-", input=yaml.safe_dump_all(objs))


def get(c, name: str) -> dict | None:
    r = c.pk("get", "pod", name, "-o", "json")
    return json.loads(r.stdout) if r.returncode == 0 else None


def pid_of(c, name: str) -> int:
    p = c.wait_for(lambda: (get(c, name) or {}).get("status", {}).get("containerStatuses", [{}])[0]
                   .get("containerID"), message="%s has a container" % name)
    return int(p.split("//")[1])


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def events(c, reason: str) -> list:
    return [e["message"] for e in json.loads(c.ok("get", "events", "-o", "json"))["items"] if e["reason"] == reason]


def log_of(c, name: str) -> str:
    r = c.pk("logs", name)
    return r.stdout if r.returncode == 0 else ""


# -- graceful stop ----------------------------------------------------------------------------

def test_delete_kills_a_container_that_ignores_sigterm_at_the_grace_period(kube):
    apply(kube, pod("stubborn", STUBBORN, grace=2))
    pid = pid_of(kube, "stubborn")
    kube.wait_for(lambda: "up" in log_of(kube, "stubborn"), message="trap installed")
    started = time.monotonic()
    kube.ok("delete", "pod", "stubborn")  # waits until the object is gone, like kubectl
    took = time.monotonic() - started
    assert get(kube, "stubborn") is None and not alive(pid)
    assert 1.5 <= took < 15, took  # SIGKILL at the 2 s deadline, not before


def test_delete_of_a_well_behaved_container_does_not_wait_for_the_grace_period(kube):
    apply(kube, pod("polite", POLITE, grace=30))
    pid = pid_of(kube, "polite")
    started = time.monotonic()
    kube.ok("delete", "pod", "polite")
    assert time.monotonic() - started < 10
    assert get(kube, "polite") is None and not alive(pid)


def test_a_long_grace_period_does_not_hold_up_the_node(kube):
    apply(kube, pod("stubborn", STUBBORN, grace=30))
    pid = pid_of(kube, "stubborn")
    kube.wait_for(lambda: "up" in log_of(kube, "stubborn"), message="trap installed")
    kube.ok("delete", "pod", "stubborn", "--wait=false")
    row = kube.ok("get", "pod", "stubborn", "--no-headers").split()
    assert row[2] == "Terminating" and alive(pid)
    started = time.monotonic()
    apply(kube, pod("other", POLITE))  # the node's sync starts it at once
    assert time.monotonic() - started < 8
    assert kube.ok("get", "pod", "other", "--no-headers").split()[2] == "Running"
    # the grace can be shortened by a second delete, and a later sync kills at the new deadline
    kube.ok("delete", "pod", "stubborn", "--grace-period=1")
    assert get(kube, "stubborn") is None and not alive(pid)


def test_the_stop_deadline_survives_the_cli_and_the_daemon_finishes_it(kube):
    apply(kube, pod("stubborn", STUBBORN, grace=2))
    pid = pid_of(kube, "stubborn")
    kube.wait_for(lambda: "up" in log_of(kube, "stubborn"), message="trap installed")
    kube.ok("delete", "pod", "stubborn", "--wait=false")  # SIGTERM sent, deadline on disk
    assert alive(pid)
    kube.kubelet("start", check=True)  # a new process continues the stop
    kube.wait_for(lambda: get(kube, "stubborn") is None, timeout=20, message="pod removed by the daemon")
    assert not alive(pid)


def test_delete_with_the_daemon_running(kube):
    kube.kubelet("start", check=True)
    apply(kube, pod("stubborn", STUBBORN, grace=2), pod("polite", POLITE, grace=30))
    pids = [pid_of(kube, "stubborn"), pid_of(kube, "polite")]
    kube.wait_for(lambda: "up" in log_of(kube, "stubborn"), message="trap installed")
    started = time.monotonic()
    kube.ok("delete", "pod", "stubborn", "polite")
    assert 1.5 <= time.monotonic() - started < 15
    assert get(kube, "stubborn") is None and get(kube, "polite") is None
    assert not any(alive(p) for p in pids)


def test_prestop_hook_runs_before_sigterm(kube, tmp_path):
    trace = tmp_path / "trace"
    script = 'trap "echo term >> %s; exit 0" TERM; echo up; while true; do sleep 0.1; done' % trace
    apply(kube, pod("hooked", script, grace=10,
                    lifecycle={"preStop": {"exec": {"command": ["sh", "-c", "echo prestop >> %s" % trace]}}}))
    kube.wait_for(lambda: "up" in log_of(kube, "hooked"), message="trap installed")
    kube.ok("delete", "pod", "hooked")
    assert trace.read_text().split() == ["prestop", "term"]


def test_liveness_kill_does_not_block_and_the_container_restarts(kube):
    apply(kube, pod("live", STUBBORN, grace=2, livenessProbe={
        "exec": {"command": ["false"]}, "periodSeconds": 1, "failureThreshold": 1}))
    kube.kubelet("start", check=True)
    kube.wait_for(lambda: (get(kube, "live") or {}).get("status", {}).get("containerStatuses", [{}])[0]
                  .get("restartCount", 0) >= 1, timeout=30, message="a liveness restart after SIGKILL")
    assert "Container app failed liveness probe, will be restarted" in events(kube, "Killing")


# -- postStart --------------------------------------------------------------------------------

def test_poststart_hook_gates_running(kube, tmp_path):
    marker = tmp_path / "started"
    apply(kube, pod("post", "echo up; exec sleep 1000", lifecycle={"postStart": {"exec": {
        "command": ["sh", "-c", "sleep 2; echo hooked > %s" % marker]}}}))
    st = get(kube, "post")["status"]["containerStatuses"][0]
    if not marker.exists():  # apply returned while the hook still runs: not Running yet
        assert st["state"] == {"waiting": {"reason": "ContainerCreating"}} and not st["ready"]
    kube.kubelet("start", check=True)
    kube.wait_for(lambda: "running" in get(kube, "post")["status"]["containerStatuses"][0]["state"],
                  timeout=20, message="Running after the hook")
    assert marker.read_text() == "hooked\n"
    assert get(kube, "post")["status"]["containerStatuses"][0]["ready"]


def test_failing_poststart_hook_kills_and_restarts_the_container(kube):
    # the container ignores SIGTERM, so the kill takes its 3 s grace: long enough to read
    # the status the kubelet shows meanwhile
    apply(kube, pod("badpost", STUBBORN, grace=3, lifecycle={"postStart": {"exec": {
        "command": ["sh", "-c", "echo nope; exit 3"]}}}))
    kube.kubelet("start", check=True)
    uid = get(kube, "badpost")["metadata"]["uid"]
    waiting = kube.wait_for(lambda: get(kube, "badpost")["status"]["containerStatuses"][0]["state"].get("waiting", {})
                            .get("reason") == "PostStartHookError" and
                            get(kube, "badpost")["status"]["containerStatuses"][0]["state"]["waiting"],
                            timeout=20, message="waiting PostStartHookError")
    assert waiting["message"] == (
        "Exec lifecycle hook ([sh -c echo nope; exit 3]) for Container \"app\" in Pod "
        "\"badpost_default(%s)\" failed - error: command 'sh -c echo nope; exit 3' exited with 3: , "
        "message: \"nope\\n\"" % uid)
    assert kube.ok("get", "pod", "badpost", "--no-headers").split()[2] == "PostStartHookError"
    kube.wait_for(lambda: get(kube, "badpost")["status"]["containerStatuses"][0]["restartCount"] >= 1,
                  timeout=30, message="a restart after the failed hook")
    assert "PostStartHook failed" in events(kube, "FailedPostStartHook")
    assert "FailedPostStartHook" in events(kube, "Killing")


def test_failing_prestop_hook_is_an_event_and_the_stop_goes_on(kube):
    apply(kube, pod("badpre", POLITE, grace=10, lifecycle={"preStop": {"exec": {"command": ["sh", "-c", "exit 1"]}}}))
    pid = pid_of(kube, "badpre")
    kube.ok("delete", "pod", "badpre")
    assert get(kube, "badpre") is None and not alive(pid)
    assert "PreStopHook failed" in events(kube, "FailedPreStopHook")


def test_poststart_http_hook(kube):
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(500)  # the kubelet does not judge a hook's status code
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        apply(kube, pod("httphook", "exec sleep 1000", lifecycle={"postStart": {"httpGet": {
            "host": "127.0.0.1", "port": port, "path": "/started"}}}),
            pod("httpfail", "exec sleep 1000", grace=1, lifecycle={"postStart": {"httpGet": {
                "host": "127.0.0.1", "port": 9, "path": "/nothing"}}}))
        kube.kubelet("start", check=True)
        kube.wait_for(lambda: "running" in get(kube, "httphook")["status"]["containerStatuses"][0]["state"],
                      timeout=20, message="Running after the HTTP hook")
        assert hits == ["/started"]
        kube.wait_for(lambda: get(kube, "httpfail")["status"]["containerStatuses"][0]["restartCount"] >= 1,
                      timeout=30, message="the refused HTTP hook restarts its container")
    finally:
        server.shutdown()
        server.server_close()


# -- configMap / secret volumes follow their sources --------------------------------------------

def test_configmap_and_secret_volumes_are_updated_atomically_while_the_container_reads(kube):
    from pkubelet import mountns

    if mountns.tools() is None or not mountns.tools()["overlay"]:
        pytest.skip("needs a private mount namespace (root, util-linux unshare, overlayfs)")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
          "data": {"greeting": "hello", "extra": "x"}}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"},
              "stringData": {"password": "one"}}
    script = ('while true; do echo "G=$(cat /etc/pkube-test/config/greeting) P=$(cat /etc/pkube-test/secret/password)'
              ' S=$(cat /etc/pkube-test/single)"; sleep 0.1; done')
    app = {"name": "app", "image": "busybox", "command": ["sh", "-c", script],
           "volumeMounts": [{"name": "config", "mountPath": "/etc/pkube-test/config"},
                            {"name": "secret", "mountPath": "/etc/pkube-test/secret", "readOnly": True},
                            {"name": "config", "mountPath": "/etc/pkube-test/single", "subPath": "greeting"}]}
    reader = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "reader"},
              "spec": {"nodeName": "pkube", "containers": [app], "volumes": [
                  {"name": "config", "configMap": {"name": "cfg"}},
                  {"name": "secret", "secret": {"secretName": "sec"}}]}}
    apply(kube, cm, secret, reader)
    kube.kubelet("start", check=True)
    kube.wait_for(lambda: "G=hello P=one S=hello" in log_of(kube, "reader"), message="first payload")
    uid = get(kube, "reader")["metadata"]["uid"]
    vol = os.path.join(kube.home, "pods", uid, "volumes", "config")
    assert os.readlink(os.path.join(vol, "greeting")) == "..data/greeting"
    assert os.readlink(os.path.join(vol, "..data")).startswith("..20")
    cm["data"] = {"greeting": "bonjour"}  # "extra" goes away
    secret["stringData"] = {"password": "two"}
    apply(kube, cm, secret)
    kube.wait_for(lambda: "G=bonjour P=two" in log_of(kube, "reader"), timeout=30, message="updated payload")
    assert not os.path.lexists(os.path.join(vol, "extra"))
    assert [n for n in os.listdir(vol) if n.startswith("..20")] == [os.readlink(os.path.join(vol, "..data"))]
    lines = [ln for ln in log_of(kube, "reader").splitlines() if ln.startswith("G=")]
    # every read saw a whole payload (never a missing file), and the subPath mount kept the
    # file it started with, as in Kubernetes
    assert set(lines) <= {"G=hello P=one S=hello", "G=bonjour P=one S=hello", "G=hello P=two S=hello",
                          "G=bonjour P=two S=hello"}, sorted(set(lines))
    assert lines[-1] == "G=bonjour P=two S=hello"
