"""Security properties a user can rely on: a private state dir, secrets that stay secret,
no shell unless asked, names that cannot escape the state dir, loopback-only listeners,
and one user's cluster not driven by another user."""
from __future__ import annotations

import ipaddress
import json
import os
import re
import stat
import subprocess

import psutil
import pytest
import yaml

from .probes import daemon_pid, start_daemon

SECRET_VALUE = "s3cr3t-Pkube-canary-7f1e"
UUID_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "type": "Opaque",
          "stringData": {"password": SECRET_VALUE}}


def secret_user(name="user") -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                "name": "app", "image": "busybox", "command": ["sleep", "3600"],
                "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}}],
                "volumeMounts": [{"name": "creds", "mountPath": "/etc/creds"}]}],
                "volumes": [{"name": "creds", "secret": {"secretName": "creds"}}]}}


def running(kube, name):
    return json.loads(kube.ok("get", "pod", name, "-o", "json"))["status"].get("phase") == "Running"


@pytest.fixture
def secret_cluster(kube):
    start_daemon(kube)
    kube.ok("apply", "-f", "-", input=yaml.safe_dump_all([SECRET, secret_user()]))
    kube.wait_for(lambda: running(kube, "user"), timeout=60, message="the pod using the secret Running")
    return kube


# Files that hold secrets or control the cluster: 0600 whatever the umask. (Everything else
# sits inside the 0700 state dir, so no other user can reach it either.)
PRIVATE_FILES = re.compile(r"^(state\.db(-wal|-shm)?|config|daemon\.pid|daemon\.log|run\.json|container\.log|pod\.json)$")


def test_state_dir_is_private(secret_cluster):
    kube = secret_cluster
    home = kube.home
    kube.ok("config", "set-context", "pkube-test", "--namespace=default")  # writes {home}/config
    seen, loose = set(), []
    for parent, _dirs, files in os.walk(home):
        for f in files:
            path = os.path.join(parent, f)
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or not PRIVATE_FILES.match(f):
                continue
            seen.add(f)
            if st.st_mode & 0o077:
                loose.append((os.path.relpath(path, home), oct(st.st_mode & 0o777)))
    assert os.stat(home).st_mode & 0o777 == 0o700
    for required in ("state.db", "state.db-wal", "state.db-shm", "config", "daemon.pid", "daemon.log",
                     "run.json", "container.log"):
        assert required in seen, f"{required} not found under {home}"
    assert loose == [], "group/other may read these"


def test_secret_values_stay_out_of_describe_logs_and_events(secret_cluster):
    kube = secret_cluster
    described = kube.ok("describe", "secret", "creds")
    assert SECRET_VALUE not in described
    assert re.search(r"^password:\s+%d bytes$" % len(SECRET_VALUE), described, re.M), described
    pod_description = kube.ok("describe", "pod", "user")
    assert SECRET_VALUE not in pod_description
    # the value reached the container (so the test is not vacuous) ...
    assert kube.ok("exec", "user", "--", "sh", "-c", 'printf %s "$PASSWORD"') == SECRET_VALUE
    # ... and nowhere a user would not look for it
    events = kube.ok("get", "events", "-A", "-o", "json")
    assert SECRET_VALUE not in events
    kube.ok("delete", "pod", "user", "--wait=true")
    with open(os.path.join(kube.home, "daemon.log"), encoding="utf-8", errors="replace") as f:
        assert SECRET_VALUE not in f.read()
    assert SECRET_VALUE not in kube.ok("get", "events", "-A")


def test_container_commands_run_without_a_shell(kube, tmp_path):
    canary = tmp_path / "pwned"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "literal"},
           "spec": {"restartPolicy": "Never", "containers": [{
               "name": "app", "image": "busybox",
               "command": ["echo", f"$(X) ; touch {canary} && echo `id` $HOME"],
               "env": [{"name": "X", "value": "hi"}]}]}}
    kube.ok("apply", "-f", "-", input=yaml.safe_dump(pod))
    literal = f"hi ; touch {canary} && echo `id` $HOME\n"
    kube.wait_for(lambda: kube.pk("logs", "literal").stdout == literal, timeout=60, message="the echo")
    assert not canary.exists()


@pytest.mark.parametrize("name", ["..", "../escape", "a/b", "a/../../etc", "/abs", "x\\y", "."])
def test_names_cannot_escape_the_state_dir(kube, name):
    kube.env["PKUBE_NO_CONVERGE"] = "1"
    for argv, stdin in ((("create", "configmap", name), None),
                        (("apply", "-f", "-"), json.dumps({"apiVersion": "v1", "kind": "Pod",
                                                           "metadata": {"name": name},
                                                           "spec": {"containers": [{"name": "c",
                                                                                    "image": "busybox"}]}}))):
        r = kube.pk(*argv, input=stdin)
        assert r.returncode == 1, (argv, name, r.stdout)
        assert "Traceback" not in r.stderr
        assert re.match(r'^(error: |The [A-Za-z]+ "[^"]*" is invalid|Error from server)', r.stderr), r.stderr
    assert json.loads(kube.ok("get", "cm,pods", "-o", "json"))["items"] in ([],) or all(
        i["metadata"]["name"] == "kube-root-ca.crt"
        for i in json.loads(kube.ok("get", "cm,pods", "-o", "json"))["items"])


def test_pod_dirs_are_keyed_by_uid(kube):
    kube.ok("apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "named-like-a-path"},
        "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}]}}))
    uid = json.loads(kube.ok("get", "pod", "named-like-a-path", "-o", "json"))["metadata"]["uid"]
    entries = os.listdir(os.path.join(kube.home, "pods"))
    assert uid in entries and all(UUID_DIR.match(e) for e in entries), entries


def _tree(pid: int) -> set:
    try:
        p = psutil.Process(pid)
        return {pid} | {c.pid for c in p.children(recursive=True)}
    except psutil.Error:
        return set()


def _listeners_of(pids: set) -> list:
    out = []
    for c in psutil.net_connections(kind="inet"):
        if c.status == psutil.CONN_LISTEN and c.pid in pids:
            out.append((c.pid, c.laddr.ip, c.laddr.port))
    return out


HTTP_APP = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                         "terminationGracePeriodSeconds": 1,
                         "containers": [{"name": "web", "image": "python:3.12",
                                         "command": ["python3", "-m", "http.server", "8080", "--bind", "$(POD_IP)"],
                                         "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {
                                             "fieldPath": "status.podIP"}}}],
                                         "ports": [{"containerPort": 8080}]}]}}}}
SERVICES = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"web-{t.lower()}"},
             "spec": {"type": t, "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}
            for t in ("ClusterIP", "NodePort", "LoadBalancer")]


def test_every_listener_binds_loopback(kube):
    start_daemon(kube)
    kube.ok("apply", "-f", "-", input=yaml.safe_dump_all([HTTP_APP, *SERVICES]))
    kube.ok("rollout", "status", "deployment/web", "--timeout=90s", timeout=120)

    def listeners():
        pids = _tree(daemon_pid(kube.home))
        for p in psutil.process_iter(["cmdline"]):
            if os.path.join(kube.home, "pods") in " ".join(p.info["cmdline"] or []):
                pids |= _tree(p.pid)
        found = _listeners_of(pids)
        # both replicas serve, and the proxy serves the NodePort and LoadBalancer ports
        last[:] = found
        return found if sum(1 for x in found if x[2] == 8080) == 2 and len(found) >= 4 else None

    last: list = []
    found = kube.wait_for(listeners, timeout=60, interval=0.5,
                          message=f"the containers and the proxy listening: {last}")
    wide = [x for x in found if not ipaddress.ip_address(x[1]).is_loopback]
    assert wide == [], f"listening beyond loopback: {wide}"


def test_another_users_state_dir_is_refused(kube):
    if os.geteuid() != 0:
        pytest.skip("needs root to hand the state dir to another uid")
    kube.env["PKUBE_NO_CONVERGE"] = "1"
    kube.ok("create", "configmap", "mine")
    os.chown(kube.home, 54321, 54321)
    try:
        for argv in (("get", "cm"), ("create", "configmap", "theirs")):
            r = kube.pk(*argv)
            assert r.returncode == 1
            assert r.stderr == (f"error: the state directory {kube.home} belongs to another user (uid 54321)\n"), \
                r.stderr
        r = subprocess.run([os.path.join(os.path.dirname(__import__("sys").executable), "pkubelet"), "start"],
                           env={k: v for k, v in kube.env.items() if k != "PKUBE_NO_DAEMON"},
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and "belongs to another user" in r.stderr, (r.stdout, r.stderr)
    finally:
        os.chown(kube.home, 0, 0)
