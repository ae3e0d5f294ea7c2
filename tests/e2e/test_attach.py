"""attach and `run -i/--attach [--rm]` against containers the kubelet really runs."""
from __future__ import annotations

import json

RECORDED = ("All commands and output from this session will be recorded in container logs, including credentials "
            "and sensitive information passed through the command prompt.")
PROMPT = "If you don't see a command prompt, try pressing enter."


def pods(cluster) -> list:
    return json.loads(cluster.ok("get", "pods", "-o", "json"))["items"]


def test_run_rm_i_pipes_stdin_and_deletes_the_pod(cluster):
    r = cluster.pk("run", "t", "--image=busybox", "--rm", "-i", "--restart=Never", "--", "cat", input="hello\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'hello\npod "t" deleted from default namespace\n'
    assert r.stderr == f"{RECORDED}\n{PROMPT}\n"
    assert pods(cluster) == []


def test_run_rm_i_returns_the_containers_exit_code(cluster):
    r = cluster.pk("run", "t2", "--image=busybox", "--rm", "-i", "--restart=Never", "--", "sh", "-c", "exit 3",
                   input="")
    assert r.returncode == 3
    assert r.stdout == 'pod "t2" deleted from default namespace\n'
    assert r.stderr.splitlines()[-1] == "pod default/t2 terminated (Error)"
    assert pods(cluster) == []


def test_run_attach_streams_output_and_keeps_the_pod_without_rm(cluster):
    r = cluster.pk("run", "talk", "--image=busybox", "--attach", "-q", "--restart=Never", "--",
                   "sh", "-c", "echo one; sleep 0.5; echo two >&2; echo three")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-2:] == ["one", "three"] and "pod/talk created" not in r.stdout
    assert "two" in r.stderr and PROMPT not in r.stderr
    cluster.ok("wait", "pod/talk", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=30s")


def test_run_attach_flag_errors(cluster):
    r = cluster.pk("run", "x", "--image=busybox", "--rm")
    assert (r.returncode, r.stderr.strip()) == (1, "error: --rm should only be used for attached containers")
    r = cluster.pk("run", "x", "--image=busybox", "-t")
    assert r.stderr.strip() == "error: -i/--stdin is required for containers with -t/--tty=true"
    r = cluster.pk("run", "x", "--image=busybox", "-i", "--dry-run=client")
    assert r.stderr.splitlines()[0] == ("error: --dry-run=[server|client] can't be used with attached containers "
                                        "options (--attach, --stdin, or --tty)")
    assert pods(cluster) == []


def test_run_i_sets_stdin_and_stdin_once(cluster):
    cluster.ok("run", "keep", "--image=busybox", "-i", "--attach=false", "--leave-stdin-open", "--",
               "sleep", "1000")
    c = pods(cluster)[0]["spec"]["containers"][0]
    assert c.get("stdin") is True and "stdinOnce" not in c


def test_attach_to_a_running_container_with_stdin(cluster):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "reader"},
           "spec": {"restartPolicy": "Never", "containers": [{
               "name": "r", "image": "busybox", "stdin": True, "stdinOnce": True,
               "command": ["sh", "-c", "echo started; while read l; do echo got $l; done; echo bye"]}]}}
    cluster.ok("apply", "-f", "-", input=json.dumps(pod))
    cluster.ok("wait", "pod/reader", "--for=condition=Ready", "--timeout=60s")
    cluster.wait_for(lambda: "started" in cluster.pk("logs", "reader").stdout, message="the container's first line")
    r = cluster.pk("attach", "-i", "reader", input="a\nb\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "got a\ngot b\nbye\n"  # from the moment of attaching: not "started"
    assert r.stderr == f"{RECORDED}\n{PROMPT}\n"
    cluster.ok("wait", "pod/reader", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=30s")
    r = cluster.pk("attach", "reader")
    assert r.returncode == 1
    assert r.stderr.strip() == "error: cannot attach a container in a completed pod; current phase is Succeeded"


def test_attach_errors(cluster):
    r = cluster.pk("attach")
    assert (r.returncode, r.stderr.strip()) == (1, "error: at least 1 argument is required for attach")
    r = cluster.pk("attach", "a", "b", "c")
    assert r.stderr.strip() == "error: expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw 3: [a b c]"
    r = cluster.pk("attach", "nope")
    assert (r.returncode, r.stderr.strip()) == (1, 'Error from server (NotFound): pods "nope" not found')
