"""Pods run as real processes: HTTP on the pod IP, restarts and back-off, probes, config
as env and files, init containers, deletion. Drives the real pkubectl and pkubelet."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.request

import pytest
import yaml

pytestmark = pytest.mark.e2e

FAST = {"PKUBE_BACKOFF_INITIAL": "1", "PKUBE_BACKOFF_MAX": "4"}


@pytest.fixture
def kube(cluster):
    """The shared cluster fixture plus: every container process stopped at teardown."""
    cluster.env.update(FAST)
    try:
        yield cluster
    finally:
        cluster.kubelet("stop", "--stop-pods", timeout=60)
        from pkubelet.runtime import process

        process.kill_all_in(os.path.join(cluster.home, "pods"))


def pod(name: str, containers: list, **spec) -> dict:
    spec = dict({"nodeName": "pkube", "containers": containers}, **spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def apply(c, *objs) -> None:
    c.ok("apply", "-f", "-", input=yaml.safe_dump_all(objs))


def get(c, name: str, kind: str = "pod") -> dict:
    return json.loads(c.ok("get", kind, name, "-o", "json"))


def row(c, name: str) -> list:
    """NAME READY STATUS RESTARTS ... of `get pod name`, split."""
    return c.ok("get", "pod", name, "--no-headers").split()


POD_IP_ENV = [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
              {"name": "POD_PORT", "value": "8080"}]


def http_server(name="web") -> dict:
    return {"name": name, "image": "python:3.12", "env": POD_IP_ENV,
            "command": ["python3", "-m", "http.server", "$(POD_PORT)", "--bind", "$(POD_IP)"]}


def http_get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except OSError:
        return None


def test_pod_answers_http_at_its_pod_ip(kube):
    apply(kube, pod("web", [http_server()]))
    p = get(kube, "web")
    assert p["status"]["phase"] == "Running"
    ip = p["status"]["podIP"]
    assert ip.startswith("127.244.") and p["status"]["hostIP"] == "127.0.0.1"
    assert kube.wait_for(lambda: http_get("http://%s:8080/" % ip) == 200, message="HTTP 200 at pod IP")
    cs = p["status"]["containerStatuses"][0]
    assert cs["state"]["running"]["startedAt"] and cs["containerID"].startswith("pkube://")
    assert row(kube, "web")[1:4] == ["1/1", "Running", "0"]
    types = [c["type"] for c in p["status"]["conditions"]]
    assert types == ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    reasons = {e["reason"]: e for e in json.loads(kube.ok("get", "events", "-o", "json"))["items"]}
    assert reasons["Started"]["message"] == "Started container web"
    assert reasons["Created"]["message"] == "Created container: web"
    assert reasons["Pulled"]["source"] == {"component": "kubelet", "host": "pkube"}


def test_three_pods_share_a_port_on_their_own_ips(kube):
    apply(kube, *[pod("web-%d" % i, [http_server()]) for i in range(3)])
    ips = [get(kube, "web-%d" % i)["status"]["podIP"] for i in range(3)]
    assert len(set(ips)) == 3
    for ip in ips:
        assert kube.wait_for(lambda ip=ip: http_get("http://%s:8080/" % ip) == 200, message=ip)


def test_crashing_container_shows_error_then_crashloopbackoff(kube):
    kube.ok("apply", "-f", "-", input=yaml.safe_dump(pod("crash", [
        {"name": "app", "image": "busybox", "command": ["sh", "-c", "echo boom; exit 3"]}])))
    kube.kubelet("start", check=True)
    from conftest import executable

    watch = subprocess.Popen([executable("pkubectl"), "get", "pod", "crash", "-w", "--no-headers"], env=kube.env,
                             stdout=subprocess.PIPE, text=True, start_new_session=True)
    kube.started.append(watch)

    def restarts():
        cells = row(kube, "crash")
        return cells[2] == "CrashLoopBackOff" and int(cells[3]) >= 2 and cells

    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(watch.stdout.readline, "")), daemon=True)
    reader.start()
    kube.wait_for(restarts, timeout=40, message="CrashLoopBackOff with RESTARTS >= 2")
    # the watch prints each change as it sees it: wait for it to have printed both states
    kube.wait_for(lambda: "Error" in "".join(lines) and "CrashLoopBackOff" in "".join(lines), timeout=10,
                  message="get -w showing Error and CrashLoopBackOff")
    watch.terminate()
    watch.wait(10)
    cs = get(kube, "crash")["status"]["containerStatuses"][0]
    assert cs["lastState"]["terminated"]["exitCode"] == 3
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    assert cs["state"]["waiting"]["reason"] in ("CrashLoopBackOff",) or "running" in cs["state"]
    events = json.loads(kube.ok("get", "events", "-o", "json"))["items"]
    backoff = [e for e in events if e["reason"] == "BackOff"]
    uid = get(kube, "crash")["metadata"]["uid"]
    assert backoff and backoff[0]["message"] == \
        "Back-off restarting failed container app in pod crash_default(%s)" % uid


def test_restart_policy_never_leaves_the_pod_failed(kube):
    apply(kube, pod("once", [{"name": "app", "image": "busybox", "command": ["sh", "-c", "exit 3"]}],
                    restartPolicy="Never"))
    kube.wait_for(lambda: kube.ok("apply", "-f", "-", input=yaml.safe_dump(
        pod("once", [{"name": "app", "image": "busybox", "command": ["sh", "-c", "exit 3"]}],
            restartPolicy="Never"))) is not None and get(kube, "once")["status"]["phase"] == "Failed",
        message="phase Failed")
    assert row(kube, "once")[1:4] == ["0/1", "Error", "0"]


def test_failing_liveness_probe_restarts_the_container(kube):
    apply(kube, pod("live", [{
        "name": "app", "image": "busybox", "command": ["sleep", "3600"],
        "livenessProbe": {"exec": {"command": ["sh", "-c", "echo not alive; exit 1"]},
                          "periodSeconds": 1, "failureThreshold": 2}}],
        terminationGracePeriodSeconds=1))
    kube.kubelet("start", check=True)
    kube.wait_for(lambda: get(kube, "live")["status"]["containerStatuses"][0]["restartCount"] >= 1,
                  timeout=30, message="a liveness restart")
    events = json.loads(kube.ok("get", "events", "-o", "json"))["items"]
    msgs = {(e["reason"], e["message"]) for e in events}
    assert ("Unhealthy", "Liveness probe failed: not alive\n") in msgs
    assert ("Killing", "Container app failed liveness probe, will be restarted") in msgs


def test_failing_readiness_probe_keeps_the_pod_unready(kube):
    apply(kube, pod("unready", [{
        "name": "app", "image": "busybox", "command": ["sleep", "3600"],
        "readinessProbe": {"tcpSocket": {"port": 9}, "periodSeconds": 1}}]))
    kube.kubelet("start", check=True)
    kube.wait_for(lambda: any(e["reason"] == "Unhealthy" for e in
                              json.loads(kube.ok("get", "events", "-o", "json"))["items"]),
                  message="an Unhealthy event")
    cells = row(kube, "unready")
    assert cells[1:4] == ["0/1", "Running", "0"]
    ready = [c for c in get(kube, "unready")["status"]["conditions"] if c["type"] == "Ready"][0]
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [app]"


def test_configmap_and_secret_as_env_and_files(kube):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
          "data": {"greeting": "hello", "mode": "fast"}}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"},
              "data": {"password": "czNjcjN0"}}  # s3cr3t
    app = {"name": "app", "image": "busybox",
           "command": ["sh", "-c", "echo G=$GREETING P=$PASSWORD C_mode=$C_mode; "
                       "echo FILE=$(cat /etc/config/g.txt) SECRET=$(cat /etc/secret/password); "
                       "echo ro > /etc/secret/x 2>/dev/null || echo READONLY; sleep 3600"],
           "env": [{"name": "GREETING", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "greeting"}}},
                   {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "password"}}}],
           "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "C_"}],
           "volumeMounts": [{"name": "config", "mountPath": "/etc/config"},
                            {"name": "secret", "mountPath": "/etc/secret", "readOnly": True}]}
    apply(kube, cm, secret, pod("conf", [app], volumes=[
        {"name": "config", "configMap": {"name": "cfg", "items": [{"key": "greeting", "path": "g.txt"}]}},
        {"name": "secret", "secret": {"secretName": "sec", "defaultMode": 0o400}}]))
    p = get(kube, "conf")
    uid = p["metadata"]["uid"]
    log = os.path.join(kube.home, "pods", uid, "app", "0", "container.log")
    kube.wait_for(lambda: os.path.exists(log) and "G=hello P=s3cr3t C_mode=fast" in open(log).read(),
                  message="env in the container's output")
    vols = os.path.join(kube.home, "pods", uid, "volumes")
    assert open(os.path.join(vols, "config", "g.txt")).read() == "hello"
    secret_file = os.path.join(vols, "secret", "password")
    assert open(secret_file).read() == "s3cr3t" and os.stat(secret_file).st_mode & 0o777 == 0o400
    warnings = [e for e in json.loads(kube.ok("get", "events", "-o", "json"))["items"]
                if e["type"] == "Warning"]
    from pkubelet import mountns
    if mountns.tools() is not None and mountns.tools()["overlay"]:
        # a private mount namespace (root, as on CI): the files are at their mountPath,
        # made without touching the host's /etc
        kube.wait_for(lambda: "FILE=hello SECRET=s3cr3t" in open(log).read(), message="files at mountPath")
        assert "READONLY" in open(log).read()
        assert not os.path.exists("/etc/config") and not any("/etc/config" in e["message"] for e in warnings)
    else:
        assert any("/etc/config" in e["message"] for e in warnings)


def test_missing_configmap_is_createcontainerconfigerror(kube):
    apply(kube, pod("nocfg", [{"name": "app", "image": "busybox", "command": ["sleep", "3600"],
                               "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {
                                   "name": "absent", "key": "k"}}}]}]))
    assert row(kube, "nocfg")[1:3] == ["0/1", "CreateContainerConfigError"]
    cs = get(kube, "nocfg")["status"]["containerStatuses"][0]
    assert cs["state"]["waiting"]["message"] == 'configmap "absent" not found'


def test_unmapped_image_is_errimagepull(kube):
    apply(kube, pod("noimg", [{"name": "app", "image": "example.com/nothing:1"}]))
    assert row(kube, "noimg")[2] in ("ErrImagePull", "ImagePullBackOff")
    events = json.loads(kube.ok("get", "events", "-o", "json"))["items"]
    failed = [e["message"] for e in events if e["reason"] == "Failed"]
    assert any(m.startswith('Failed to pull image "example.com/nothing:1": ') and "has no local entrypoint" in m
               for m in failed)
    assert "Error: ErrImagePull" in failed


def test_init_containers_run_to_completion_first(kube):
    apply(kube, pod("init", [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}],
                    initContainers=[
                        {"name": "first", "image": "busybox", "command": ["sh", "-c", "sleep 0.3"]},
                        {"name": "second", "image": "busybox", "command": ["true"]}]))
    kube.kubelet("start", check=True)
    kube.wait_for(lambda: row(kube, "init")[2] == "Running", message="Running after init")
    st = get(kube, "init")["status"]
    inits = st["initContainerStatuses"]
    assert [s["state"]["terminated"]["reason"] for s in inits] == ["Completed", "Completed"]
    assert inits[0]["state"]["terminated"]["finishedAt"] <= inits[1]["state"]["terminated"]["startedAt"]
    assert inits[1]["state"]["terminated"]["finishedAt"] <= \
        st["containerStatuses"][0]["state"]["running"]["startedAt"]


def test_failing_init_container_blocks_the_app(kube):
    apply(kube, pod("badinit", [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}],
                    initContainers=[{"name": "setup", "image": "busybox", "command": ["sh", "-c", "exit 1"]}]))
    kube.kubelet("start", check=True)
    kube.wait_for(lambda: row(kube, "badinit")[2] in ("Init:CrashLoopBackOff",), timeout=20,
                  message="Init:CrashLoopBackOff")
    st = get(kube, "badinit")["status"]
    assert st["phase"] == "Pending"
    assert st["containerStatuses"][0]["state"]["waiting"]["reason"] == "PodInitializing"


def test_delete_stops_the_process_and_removes_the_pod(kube):
    apply(kube, pod("gone", [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}]))
    pid = int(get(kube, "gone")["status"]["containerStatuses"][0]["containerID"].split("//")[1])
    kube.ok("delete", "pod", "gone")
    assert "NotFound" in kube.pk("get", "pod", "gone").stderr
    import psutil

    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
