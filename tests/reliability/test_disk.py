"""The state directory on a read-only or full file system: writes fail with one clear
`error: ...` line and exit 1 (never a traceback), reads keep working, and the database
is never damaged (`PRAGMA integrity_check` = ok, every object written before is there).

As root, chmod does not stop writes, so the state dir lives on a small tmpfs that the test
mounts (and remounts read-only); every mount is undone in `finally`. Without root (or where
mount is not allowed) the read-only case uses chmod 0500 and the disk-full case is skipped.
"""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from .probes import integrity

READ_ONLY = re.compile(r"^error: .*read-only.*$")
FULL = re.compile(r"^error: no space left to write the state database .*state\.db$")


def _mount(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def tmpfs(tmp_path):
    """A fresh tmpfs (2 MiB) mounted at tmp_path/mnt, unmounted at teardown."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = _mount("-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mnt))
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        _mount("-o", "remount,rw", str(mnt))
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)


def _cluster_in(cluster, directory) -> None:
    cluster.home = str(directory / "pkube")
    cluster.env.update(PKUBE_HOME=cluster.home, PKUBE_NO_CONVERGE="1")


def _clean_failure(r, pattern) -> None:
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "PKUBE_DEBUG" not in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1 and pattern.match(r.stderr.strip()), r.stderr


def _names(cluster) -> set:
    return {i["metadata"]["name"] for i in json.loads(cluster.ok("get", "cm", "-o", "json"))["items"]}


def test_read_only_file_system(cluster, tmpfs):
    _cluster_in(cluster, tmpfs)
    cluster.ok("create", "configmap", "before", "--from-literal=k=v")
    assert _mount("-o", "remount,ro", str(tmpfs)).returncode == 0
    for args in (["create", "configmap", "after", "--from-literal=k=v"],
                 ["label", "cm", "before", "x=y"],
                 ["delete", "cm", "before"]):
        _clean_failure(cluster.pk(*args), READ_ONLY)
    r = cluster.pk("apply", "-f", "-", input='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a2"}}')
    _clean_failure(r, READ_ONLY)
    # reads still work on a read-only state dir
    assert _names(cluster) == {"before"}
    assert "before" in cluster.ok("get", "cm")
    assert _mount("-o", "remount,rw", str(tmpfs)).returncode == 0
    assert integrity(cluster.home) == "ok"
    cluster.ok("create", "configmap", "after", "--from-literal=k=v")
    assert _names(cluster) == {"before", "after"}


def test_read_only_state_dir_without_root(cluster, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("as root chmod 0500 does not stop writes (test_read_only_file_system covers root)")
    cluster.ok("create", "configmap", "before")
    cluster.pk("get", "cm")  # the WAL is checkpointed when the last connection closes
    os.chmod(cluster.home, 0o500)
    try:
        r = cluster.pk("create", "configmap", "after")
        assert r.returncode == 1 and "Traceback" not in r.stderr and r.stderr.startswith("error: "), r.stderr
    finally:
        os.chmod(cluster.home, 0o700)
    assert integrity(cluster.home) == "ok"
    assert _names(cluster) == {"before"}


def test_disk_full(cluster, tmpfs):
    _cluster_in(cluster, tmpfs)
    written = set()
    for i in range(3):
        cluster.ok("create", "configmap", f"early-{i}", "--from-literal=k=v")
        written.add(f"early-{i}")
    # fill the file system, leaving a little room
    free = os.statvfs(tmpfs).f_bavail * os.statvfs(tmpfs).f_frsize
    with open(tmpfs / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - 64 * 1024))
    big = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"},
                      "data": {"k": "x" * 200_000}})
    _clean_failure(cluster.pk("create", "-f", "-", input=big), FULL)
    # small writes go on until the space is gone; each failure is clean, each success kept
    failed = 0
    for i in range(400):
        r = cluster.pk("create", "configmap", f"small-{i}", f"--from-literal=k={'z' * 2000}")
        if r.returncode == 0:
            written.add(f"small-{i}")
            continue
        _clean_failure(r, FULL)
        failed += 1
        if failed >= 3:
            break
    assert failed >= 3, "the file system never filled up"
    assert _names(cluster) == written  # reads work on a full disk, nothing lost
    assert integrity(cluster.home) == "ok"
    os.unlink(tmpfs / "filler")
    cluster.ok("create", "-f", "-", input=big)
    assert _names(cluster) == written | {"big"}
    assert integrity(cluster.home) == "ok"
