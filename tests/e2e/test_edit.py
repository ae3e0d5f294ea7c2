"""`pkubectl edit` with scripted editors, and `pkubectl run`."""
from __future__ import annotations

import json
import os
import stat
import textwrap

import pytest

HEADER = ("# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
          "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
          "# reopened with the relevant failures.\n"
          "#\n")


def script(tmp_path, name: str, body: str) -> str:
    p = tmp_path / name
    p.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    p.chmod(p.stat().st_mode | stat.S_IEXEC)
    return str(p)


@pytest.fixture
def web(cluster):
    cluster.ok("create", "deployment", "web", "--image=nginx", "--replicas=0")
    return cluster


def spec_replicas(cluster) -> str:
    return cluster.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}")


def test_edit_applies_the_change(web):
    r = web.pk("edit", "deploy", "web", env={"KUBE_EDITOR": "sed -i 's/replicas: 0/replicas: 2/'"})
    assert (r.returncode, r.stdout, r.stderr) == (0, "deployment.apps/web edited\n", "")
    assert spec_replicas(web) == "2"


def test_editor_sees_header_and_yaml_and_editor_fallbacks(web, tmp_path):
    seen = tmp_path / "seen.yaml"
    ed = script(tmp_path, "ed.sh", f'cp "$1" {seen}\n')
    for env in ({"KUBE_EDITOR": ed}, {"KUBE_EDITOR": "", "EDITOR": ed}):
        r = web.pk("edit", "deployment/web", env=env)
        assert (r.returncode, r.stdout) == (0, "Edit cancelled, no changes made.\n")
        text = seen.read_text()
        assert text.startswith(HEADER + "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n")
        assert "resourceVersion:" in text and "managedFields" not in text
        seen.unlink()


def test_empty_file_cancels(web, tmp_path):
    ed = script(tmp_path, "empty.sh", ': > "$1"\n')
    r = web.pk("edit", "deploy", "web", env={"KUBE_EDITOR": ed})
    assert (r.returncode, r.stdout) == (0, "Edit cancelled, no changes made.\n")


def test_invalid_edit_reopens_with_the_error(web, tmp_path):
    second = tmp_path / "second.yaml"
    ed = script(tmp_path, "fix.sh", f"""\
        if grep -q 'was not valid' "$1"; then
          cp "$1" {second}
          sed -i 's/replicas: -1/replicas: 3/' "$1"
        else
          sed -i 's/replicas: 0/replicas: -1/' "$1"
        fi
        """)
    r = web.pk("edit", "deploy", "web", env={"KUBE_EDITOR": ed})
    assert (r.returncode, r.stdout) == (0, "deployment.apps/web edited\n")
    assert second.read_text().startswith(
        HEADER + '# deployments.apps "web" was not valid:\n'
                 "# * spec.replicas: Invalid value: -1: must be greater than or equal to 0\n#\napiVersion: apps/v1\n")
    assert spec_replicas(web) == "3"


def test_invalid_edit_left_unchanged_stops_and_keeps_a_copy(web):
    r = web.pk("edit", "deploy", "web", env={"KUBE_EDITOR": "sed -i 's/replicas: 0/replicas: -1/'"})
    assert r.returncode == 1 and r.stdout == ""
    first, second = r.stderr.splitlines()
    assert first.startswith('A copy of your changes has been stored to "') and first.endswith('.yaml"')
    assert second == "error: Edit cancelled, no valid changes were saved."
    copy = first.split('"')[1]
    try:
        assert "replicas: -1" in open(copy).read()
    finally:
        os.unlink(copy)
    assert spec_replicas(web) == "0"


def test_syntax_error_is_reported_in_the_file(web, tmp_path):
    seen = tmp_path / "seen.yaml"
    ed = script(tmp_path, "syntax.sh", f"""\
        if grep -q 'syntax error' "$1"; then
          cp "$1" {seen}
          sed -i 's/^spec: \\[$/spec:/' "$1"
          sed -i 's/replicas: 0/replicas: 1/' "$1"
        else
          sed -i 's/^spec:$/spec: [/' "$1"
        fi
        """)
    r = web.pk("edit", "deploy", "web", env={"KUBE_EDITOR": ed})
    assert (r.returncode, r.stdout) == (0, "deployment.apps/web edited\n"), r.stderr
    assert seen.read_text().startswith(HEADER + "# The edited file had a syntax error: error converting YAML to "
                                                "JSON: yaml: line ")
    assert spec_replicas(web) == "1"


def test_conflicting_change_is_refused(web, tmp_path):
    ed = script(tmp_path, "race.sh", f"""\
        PKUBE_HOME={web.home} pkubectl scale deploy web --replicas=5 >/dev/null 2>&1 || \\
          PKUBE_HOME={web.home} pkubectl label deploy web raced=yes >/dev/null
        sed -i 's/replicas: 0/replicas: 2/' "$1"
        """)
    env = {"KUBE_EDITOR": ed, "PATH": os.path.dirname(os.sys.executable) + os.pathsep + os.environ["PATH"]}
    r = web.pk("edit", "deploy", "web", env=env)
    # the server refuses the stale resourceVersion; the file comes back with the error, unchanged -> stop
    assert r.returncode == 1
    assert "error: Edit cancelled, no valid changes were saved." in r.stderr
    copy = r.stderr.split('"')[1]
    os.unlink(copy)
    assert spec_replicas(web) != "2"


def test_edit_errors(cluster):
    r = cluster.pk("edit", "deploy", "nope")
    assert (r.returncode, r.stderr) == (1, 'Error from server (NotFound): deployments.apps "nope" not found\n')
    r = cluster.pk("edit", "deploy")
    assert (r.returncode, r.stderr) == (1, "error: resource(s) were provided, but no name was specified\n")


# -- run ---------------------------------------------------------------------------------
def test_run_dry_run_yaml(cluster):
    out = cluster.ok("run", "p", "--image=nginx", "--port=80", "--env=A=b", "--labels=x=y", "--annotations=k=v",
                     "--image-pull-policy=IfNotPresent", "--restart=Never", "--dry-run=client", "-o", "yaml",
                     "--", "arg1", "arg2")
    assert out == textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata:
          annotations:
            k: v
          labels:
            x: "y"
          name: p
        spec:
          containers:
          - args:
            - arg1
            - arg2
            env:
            - name: A
              value: b
            image: nginx
            imagePullPolicy: IfNotPresent
            name: p
            ports:
            - containerPort: 80
            resources: {}
          dnsPolicy: ClusterFirst
          restartPolicy: Never
        status: {}
        """)
    pod = json.loads(cluster.ok("run", "q", "--image=busybox", "--command", "--dry-run=client", "-o", "json",
                                "--", "sh", "-c", "echo hi"))
    c = pod["spec"]["containers"][0]
    assert pod["metadata"]["labels"] == {"run": "q"} and c["command"] == ["sh", "-c", "echo hi"]
    assert pod["spec"]["restartPolicy"] == "Always" and "args" not in c


def test_run_creates_pod_and_exposed_service(cluster):
    assert cluster.ok("run", "web", "--image=busybox", "--expose", "--port=8080", "--command", "--",
                      "sleep", "30") == "pod/web created\nservice/web created\n"
    svc = json.loads(cluster.ok("get", "svc", "web", "-o", "json"))
    assert svc["spec"]["selector"] == {"run": "web"}
    assert svc["spec"]["ports"] == [{"port": 8080, "protocol": "TCP", "targetPort": 8080}]
    r = cluster.pk("run", "web", "--image=busybox")
    assert (r.returncode, r.stderr) == (1, 'Error from server (AlreadyExists): pods "web" already exists\n')
    cluster.ok("delete", "pod", "web", "--grace-period=0", "--force")


@pytest.mark.parametrize("args,err", [
    (["x"], 'error: required flag(s) "image" not set\n'),
    (["x", "--image=i", "--expose"], "error: --port must be set when exposing a service\n"),
    (["x", "--image=i", "--rm"], "error: --rm should only be used for attached containers\n"),
    (["x", "--image=i", "--restart=Sometimes"],
     "error: invalid restart policy: Sometimes\nSee 'pkubectl run -h' for help and examples\n"),
])
def test_run_errors(cluster, args, err):
    r = cluster.pk("run", *args, "--dry-run=client")
    assert (r.returncode, r.stderr) == (1, err)
