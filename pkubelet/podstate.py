"""What the kubelet keeps on disk about one pod: {home}/pods/{uid}/.

    pod.json                 PodState below: owner node, pod IP, start time, back-off and
                             probe state, which exits were reported (mode 0600)
    volumes/{name}/          materialised volumes (pkubelet.volumes)
    {container}/{attempt}/   one container run each (runtime.process), attempt = restartCount

Nothing about a pod lives only in memory: a CLI sync and the daemon take turns (under the
node's kubelet lock) and either may be kill -9'd between two syncs.
"""
from __future__ import annotations

import json
import os
import shutil

STATE_FILE = "pod.json"
VOLUMES_DIR = "volumes"


def pods_root(home: str) -> str:
    return os.path.join(home, "pods")


def pod_dir(home: str, uid: str) -> str:
    return os.path.join(pods_root(home), uid)


def container_dir(home: str, uid: str, container: str) -> str:
    return os.path.join(pod_dir(home, uid), container)


def run_dir(home: str, uid: str, container: str, attempt: int) -> str:
    return os.path.join(container_dir(home, uid, container), str(attempt))


def attempts(home: str, uid: str, container: str) -> list:
    """Attempt numbers with a run directory, ascending."""
    try:
        names = os.listdir(container_dir(home, uid, container))
    except OSError:
        return []
    return sorted(int(n) for n in names if n.isdigit())


class PodState(dict):
    """pod.json as a dict; save() writes it atomically."""

    path: str = ""

    @classmethod
    def load(cls, home: str, uid: str) -> "PodState | None":
        path = os.path.join(pod_dir(home, uid), STATE_FILE)
        try:
            with open(path) as f:
                state = cls(json.load(f))
        except (OSError, ValueError):
            return None
        state.path = path
        return state

    @classmethod
    def create(cls, home: str, uid: str, **fields) -> "PodState":
        os.makedirs(pod_dir(home, uid), mode=0o700, exist_ok=True)
        state = cls(uid=uid, containers={}, **fields)
        state.path = os.path.join(pod_dir(home, uid), STATE_FILE)
        state.save()
        return state

    def save(self) -> None:
        tmp = "%s.tmp.%d" % (self.path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self, f, separators=(",", ":"))
        os.replace(tmp, self.path)

    def container(self, name: str) -> dict:
        """The mutable per-container entry (back-off, probes, reported exits)."""
        return self.setdefault("containers", {}).setdefault(name, {})


def local_pods(home: str) -> list:
    """(uid, PodState or None) for every pod directory on this machine."""
    try:
        uids = os.listdir(pods_root(home))
    except OSError:
        return []
    return [(uid, PodState.load(home, uid)) for uid in uids]


def remove(home: str, uid: str) -> None:
    shutil.rmtree(pod_dir(home, uid), ignore_errors=True)
