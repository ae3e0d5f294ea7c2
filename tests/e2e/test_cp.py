"""`pkubectl cp`: kubectl's copy rules both ways through `tar` in the container, its
errors and exit codes, and (where containers get a private mount namespace) the
container's view of the file system rather than the host's."""
from __future__ import annotations

import json
import os
import shutil

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def box(cluster, tmp_path):
    """A running pod that made a small tree in a directory of its own under /tmp."""
    remote = f"/tmp/pkube-cp-{os.getpid()}-{tmp_path.name}"
    script = f"mkdir -p {remote}/tree/sub && echo hi > {remote}/tree/a && echo deep > {remote}/tree/sub/b && " \
             f"mkdir {remote}/tree/empty && sleep 3600"
    cluster.ok("run", "box", "--image=busybox", "--", "sh", "-c", script)
    cluster.ok("wait", "pod/box", "--for=condition=Ready", "--timeout=60s")
    cluster.wait_for(lambda: os.path.exists(f"{remote}/tree/sub/b") or
                     cluster.pk("exec", "box", "--", "test", "-f", f"{remote}/tree/sub/b").returncode == 0,
                     message="the pod's tree")
    yield remote
    shutil.rmtree(remote, ignore_errors=True)


def test_copy_a_directory_out_and_files_in(cluster, box, tmp_path):
    r = cluster.pk("cp", f"box:{box}/tree", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "tar: Removing leading `/' from member names\n"  # tar's words, passed on as kubectl does
    assert (tmp_path / "out" / "a").read_text() == "hi\n"
    assert (tmp_path / "out" / "sub" / "b").read_text() == "deep\n"
    assert (tmp_path / "out" / "empty").is_dir()

    (tmp_path / "up.txt").write_text("from the host\n")
    cluster.ok("cp", str(tmp_path / "up.txt"), f"default/box:{box}/tree")  # a directory: copied into it
    assert cluster.ok("exec", "box", "--", "cat", f"{box}/tree/up.txt") == "from the host\n"
    cluster.ok("cp", str(tmp_path / "up.txt"), f"box:{box}/renamed.txt", "-c", "box")  # not a directory: that name
    assert cluster.ok("exec", "box", "--", "cat", f"{box}/renamed.txt") == "from the host\n"
    cluster.ok("cp", str(tmp_path / "out"), f"box:{box}/copied")  # a local tree goes in whole
    assert cluster.ok("exec", "box", "--", "cat", f"{box}/copied/sub/b") == "deep\n"


@pytest.mark.parametrize("args, message", [
    (["a:b", "c:d"], "error: one of src or dest must be a local file specification\n"),
    (["a", "b"], "error: one of src or dest must be a remote file specification\n"),
    (["only-one"], "error: source and destination are required\n"),
    ([":x", "y"], "error: filespec must match the canonical format: [[namespace/]pod:]file/path\n"),
    (["box:", "y"], "error: filepath can not be empty\n"),
    (["nopod:/x", "y"], 'Error from server (NotFound): pods "nopod" not found\n'),
    (["/no/such/file", "nopod:/x"], "error: /no/such/file doesn't exist in local filesystem\n"),
])
def test_refusals(cluster, args, message):
    r = cluster.pk("cp", *args)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", message)


def test_a_missing_remote_file_ends_with_tars_exit_code(cluster, box, tmp_path):
    r = cluster.pk("cp", f"box:{box}/nope", str(tmp_path / "x"))
    assert r.returncode == 2
    assert "Cannot stat: No such file or directory" in r.stdout
    assert r.stderr == "command terminated with exit code 2\n"
    assert not (tmp_path / "x").exists()


def test_copies_see_the_containers_mounts(cluster, tmp_path):
    from pkubelet import mountns
    if mountns.tools() is None or not mountns.tools()["overlay"]:
        pytest.skip("needs root with util-linux unshare and overlayfs (private mount namespaces)")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf"}, "data": {"key": "value-7"}}
    made = "echo made inside > /var/pkube-cp-scratch/made && sleep 1000"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "mounted"},
           "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["sh", "-c", made],
                                    "volumeMounts": [{"name": "conf", "mountPath": "/etc/pkube-cp-conf"},
                                                     {"name": "scratch", "mountPath": "/var/pkube-cp-scratch"}]}],
                    "volumes": [{"name": "conf", "configMap": {"name": "conf"}},
                                {"name": "scratch", "emptyDir": {}}]}}
    cluster.ok("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [cm, pod]}))
    cluster.ok("wait", "pod/mounted", "--for=condition=Ready", "--timeout=60s")
    cluster.wait_for(lambda: cluster.pk("exec", "mounted", "--", "test", "-f", "/var/pkube-cp-scratch/made")
                     .returncode == 0, message="the file the container made")
    cluster.ok("cp", "mounted:/var/pkube-cp-scratch/made", str(tmp_path / "made"))
    assert (tmp_path / "made").read_text() == "made inside\n"
    # A ConfigMap key is a symlink into ..data, as the kubelet writes it: kubectl skips it
    r = cluster.pk("cp", "mounted:/etc/pkube-cp-conf/key", str(tmp_path / "key"))
    assert r.returncode == 0 and r.stderr.startswith(f'warning: skipping symlink: "{tmp_path / "key"}" -> "..data/key"')
    assert not (tmp_path / "key").exists()
    (tmp_path / "note").write_text("in the volume\n")
    cluster.ok("cp", str(tmp_path / "note"), "mounted:/var/pkube-cp-scratch/")
    assert cluster.ok("exec", "mounted", "--", "cat", "/var/pkube-cp-scratch/note") == "in the volume\n"
    assert not os.path.exists("/var/pkube-cp-scratch")  # the host's tree is untouched
