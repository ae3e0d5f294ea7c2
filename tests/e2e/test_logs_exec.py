"""logs, exec and top against pods the kubelet really runs (busybox = a POSIX shell)."""
from __future__ import annotations

import json
import os
import re

import pytest

pytestmark = pytest.mark.skipif(
    not os.path.exists(os.path.join(os.path.dirname(__file__), "..", "..", "pkubelet", "kubelet.py")),
    reason="needs the kubelet (pkubelet/kubelet.py) to run pods")

COUNTER = "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"


def run_pod(cluster, name, script, *extra):
    cluster.ok("run", name, "--image=busybox", *extra, "--", "sh", "-c", script)
    cluster.ok("wait", f"pod/{name}", "--for=condition=Ready", "--timeout=60s")


def two_container_pod(cluster, name="duo", annotations=None):
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "annotations": annotations or {}},
           "spec": {"containers": [
               {"name": "a", "image": "busybox", "command": ["sh", "-c", "echo from-a; sleep 1000"]},
               {"name": "b", "image": "busybox", "command": ["sh", "-c", "echo from-b; sleep 1000"]}]}}
    cluster.ok("apply", "-f", "-", input=json.dumps(pod))
    cluster.ok("wait", f"pod/{name}", "--for=condition=Ready", "--timeout=60s")
    cluster.wait_for(lambda: "from-b" in cluster.pk("logs", name, "-c", "b").stdout, message="b's output")


def test_logs_tail_timestamps_and_errors(cluster):
    run_pod(cluster, "web", COUNTER)
    cluster.wait_for(lambda: "line 5" in cluster.pk("logs", "web").stdout, message="some lines")
    r = cluster.pk("logs", "web", "--tail", "2")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 2
    stamped = cluster.ok("logs", "web", "--tail", "1", "--timestamps").strip()
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line \d+$", stamped), stamped
    assert len(cluster.ok("logs", "web", "--limit-bytes", "4")) == 4
    r = cluster.pk("logs", "web", "-c", "nope")
    assert r.returncode == 1
    assert r.stderr.strip() == "error: container nope is not valid for pod web out of: web"
    r = cluster.pk("logs", "nope")
    assert r.returncode == 1
    assert r.stderr.strip() == 'error: error from server (NotFound): pods "nope" not found in namespace "default"'
    r = cluster.pk("logs")
    assert r.returncode == 1 and r.stderr.startswith("error: expected 'logs [-f] [-p] (POD | TYPE/NAME)")
    r = cluster.pk("logs", "web", "-p")
    assert r.returncode == 1
    assert 'previous terminated container "web" in pod "web" not found' in r.stderr


def test_logs_follow_stops_when_the_container_exits(cluster):
    cluster.ok("run", "short", "--image=busybox", "--restart=Never", "--",
               "sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 0.3; done")
    r = cluster.pk("logs", "-f", "short", "--pod-running-timeout=30s", timeout=60)
    assert r.returncode == 0
    assert r.stdout.splitlines()[-1] == "tick 3"


def test_logs_default_container_all_containers_and_prefix(cluster):
    two_container_pod(cluster)
    r = cluster.pk("logs", "duo")
    assert r.stdout == "from-a\n"
    assert r.stderr.strip() == 'Defaulted container "a" out of: a, b'
    r = cluster.pk("logs", "duo", "--all-containers", "--prefix")
    assert r.stdout.splitlines() == ["[pod/duo/a] from-a", "[pod/duo/b] from-b"]
    two_container_pod(cluster, "pinned", {"kubectl.kubernetes.io/default-container": "b"})
    r = cluster.pk("logs", "pinned")
    assert (r.stdout, r.stderr) == ("from-b\n", "")


def test_logs_of_a_deployment_and_by_selector(cluster):
    cluster.ok("create", "deployment", "hello", "--image=busybox", "--replicas=2", "--",
               "sh", "-c", "echo hello from $HOSTNAME; sleep 1000")
    cluster.ok("wait", "pod", "-l", "app=hello", "--for=condition=Ready", "--timeout=60s")
    cluster.wait_for(lambda: cluster.pk("logs", "-l", "app=hello").stdout.count("hello from") == 2,
                     message="both pods logged")
    r = cluster.pk("logs", "deploy/hello")
    assert r.returncode == 0 and r.stdout.startswith("hello from hello-")
    assert re.match(r"^Found 2 pods, using pod/hello-", r.stderr)


def test_logs_previous_after_a_restart(cluster):
    cluster.ok("run", "crash", "--image=busybox", "--", "sh", "-c", "echo run at $(date +%s%N); exit 1")

    # wait runs the control loops while it polls: the kubelet restarts the container after its back-off
    cluster.ok("wait", "pod/crash", "--for=jsonpath={.status.containerStatuses[0].restartCount}=1",
               "--timeout=90s", timeout=120)
    prev = cluster.pk("logs", "crash", "-p")
    assert prev.returncode == 0 and prev.stdout.startswith("run at ")


def test_exec_env_exit_codes_and_errors(cluster):
    run_pod(cluster, "web", "sleep 1000", "--env=GREETING=hi")
    assert cluster.ok("exec", "web", "--", "sh", "-c", "echo $GREETING").strip() == "hi"
    r = cluster.pk("exec", "web", "--", "sh", "-c", "exit 3")
    assert r.returncode == 3
    assert r.stderr.strip() == "command terminated with exit code 3"
    r = cluster.pk("exec", "web")
    assert r.returncode == 1
    assert r.stderr.strip() == "error: you must specify at least one command for the container"
    assert cluster.ok("exec", "-i", "web", "--", "cat", input="piped\n") == "piped\n"
    r = cluster.pk("exec", "nope", "--", "true")
    assert r.returncode == 1 and r.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'


def test_exec_into_a_finished_pod(cluster):
    cluster.ok("run", "once", "--image=busybox", "--restart=Never", "--", "true")
    cluster.ok("wait", "pod/once", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=60s")
    r = cluster.pk("exec", "once", "--", "true")
    assert r.returncode == 1
    assert r.stderr.strip() == "error: cannot exec into a container in a completed pod; current phase is Succeeded"


def test_top_pods_and_nodes(cluster):
    run_pod(cluster, "burner", "while true; do :; done")
    run_pod(cluster, "idle", "sleep 1000")
    out = cluster.ok("top", "pods", "--sort-by", "cpu", env={"PKUBE_TOP_WINDOW": "0.5"})
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert lines[1].split()[0] == "burner"
    cpu = int(lines[1].split()[1].rstrip("m"))
    assert cpu > 300, out  # a busy loop burns most of a core
    assert re.match(r"^\d+Mi$", lines[1].split()[2])
    out = cluster.ok("top", "pod", "idle", "--containers", "--no-headers")
    assert out.split()[:2] == ["idle", "idle"]
    out = cluster.ok("top", "nodes")
    assert out.splitlines()[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    assert out.splitlines()[1].split()[0] == "pkube"


def test_exec_sees_the_containers_mounts(cluster):
    """As root, a container has a private mount namespace with its volumes at their
    mountPath; exec enters it, so the command sees what the container sees."""
    from pkubelet import mountns
    if mountns.tools() is None or not mountns.tools()["overlay"]:
        pytest.skip("needs root with util-linux unshare and overlayfs (private mount namespaces)")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "myconf"}, "data": {"key": "value-42"}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "mounted"},
           "spec": {"containers": [{"name": "app", "image": "busybox",
                                    "command": ["sleep", "1000"],
                                    "volumeMounts": [{"name": "conf", "mountPath": "/etc/myconf"}]}],
                    "volumes": [{"name": "conf", "configMap": {"name": "myconf"}}]}}
    cluster.ok("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [cm, pod]}))
    cluster.ok("wait", "pod/mounted", "--for=condition=Ready", "--timeout=60s")
    assert not os.path.exists("/etc/myconf")  # nothing leaked into the host's tree
    assert cluster.ok("exec", "mounted", "--", "cat", "/etc/myconf/key") == "value-42"
    assert cluster.ok("exec", "-i", "mounted", "--", "sh", "-c", "cat; cat /etc/myconf/key",
                      input="in:") == "in:value-42"
    r = cluster.pk("exec", "mounted", "--", "no-such-cmd")
    assert r.returncode == 1
    assert r.stderr.strip() == ('error: Internal error occurred: error executing command in container: '
                                'exec: "no-such-cmd": executable file not found in $PATH')


def test_working_dir_under_a_volume_mount_path(cluster):
    """A workingDir that exists only inside the container (a volume's mountPath) is where
    the container and exec start, as on a real node."""
    from pkubelet import mountns
    if mountns.tools() is None or not mountns.tools()["overlay"]:
        pytest.skip("needs root with util-linux unshare and overlayfs (private mount namespaces)")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"main.sh": "echo ran in $PWD"}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "wd"},
           "spec": {"containers": [{"name": "app", "image": "busybox", "workingDir": "/opt/pkube-wd-app",
                                    "command": ["sh", "-c", "sh main.sh; sleep 1000"],
                                    "volumeMounts": [{"name": "app", "mountPath": "/opt/pkube-wd-app"}]}],
                    "volumes": [{"name": "app", "configMap": {"name": "app"}}]}}
    cluster.ok("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [cm, pod]}))
    cluster.ok("wait", "pod/wd", "--for=condition=Ready", "--timeout=60s")
    cluster.wait_for(lambda: cluster.ok("logs", "wd") == "ran in /opt/pkube-wd-app\n", message="the script's output")
    assert cluster.ok("exec", "wd", "--", "pwd") == "/opt/pkube-wd-app\n"
    assert json.loads(cluster.ok("get", "pod", "wd", "-o", "json"))["status"]["containerStatuses"][0]["restartCount"] == 0
