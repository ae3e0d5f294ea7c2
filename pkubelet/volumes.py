"""Pod volumes as directories under {home}/pods/{uid}/volumes/{name} (hostPath: the path itself).

emptyDir is an empty directory that lives as long as the pod (container restarts keep it);
configMap, secret, downwardAPI and projected volumes are files written from the API objects
(`items` pick and rename keys, `defaultMode` / `mode` set permissions, a missing non-optional
source is a FailedMount, as `MountVolume.SetUp failed for volume ...`). A projected
kube-api-access volume holds what its downwardAPI and configMap sources give (the `namespace`
file, `ca.crt` when the kube-root-ca.crt ConfigMap exists); pkube issues no service-account
tokens, so the `token` file is absent.

Containers are host processes, so a volume is not mounted at its `mountPath` (that needs a
private mount namespace, which pkube does not create yet): unmounted() lists what was not
mounted so that the kubelet can say so in a Warning Event. Programs that take a path option
can be pointed at the volume directory shown by `pkubectl describe pod` / the event.
"""
from __future__ import annotations

import os

from pkubelet import envs, podstate

DEFAULT_MODE = 0o644


class VolumeError(Exception):
    """A volume could not be set up; the pod stays ContainerCreating and the kubelet retries."""

    reason = "FailedMount"

    def __init__(self, volume: str, message: str):
        self.volume = volume
        self.message = 'MountVolume.SetUp failed for volume "%s" : %s' % (volume, message)
        super().__init__(self.message)


def volume_dir(home: str, uid: str, name: str) -> str:
    return os.path.join(podstate.pod_dir(home, uid), podstate.VOLUMES_DIR, name)


def _write(root: str, rel: str, text: str, mode: int) -> None:
    path = os.path.normpath(os.path.join(root, rel))
    if not path.startswith(os.path.normpath(root) + os.sep):
        raise ValueError("path %r escapes the volume" % rel)
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    tmp = path + ".pkube-tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode & 0o7777)
    os.replace(tmp, path)


def _keyed_files(kind: str, src: dict, sources: envs.Sources, default_mode: int) -> list:
    """(path, text, mode) for a configMap/secret source; None when optional and missing."""
    name = src.get("name") or src.get("secretName") or ""
    data = sources.data(kind, name)
    if data is None:
        if src.get("optional"):
            return []
        raise LookupError('%s "%s" not found' % ("configmap" if kind == "ConfigMap" else "secret", name))
    items = src.get("items")
    if not items:
        return [(k, v, default_mode) for k, v in sorted(data.items())]
    files = []
    for item in items:
        key = item.get("key", "")
        if key not in data:
            if src.get("optional"):
                continue
            raise LookupError("configmap references non-existent config key: %s" % key
                              if kind == "ConfigMap" else
                              "references non-existent secret key: %s" % key)
        files.append((item.get("path") or key, data[key], item.get("mode") or default_mode))
    return files


def _downward_files(items: list, pod: dict, pod_ip: str, host_ip: str, default_mode: int,
                    allocatable: dict) -> list:
    files = []
    for item in items or []:
        if item.get("fieldRef"):
            text = envs.field_value(pod, item["fieldRef"].get("fieldPath", ""), pod_ip, host_ip)
        elif item.get("resourceFieldRef"):
            text = envs.resource_value(pod, None, item["resourceFieldRef"], allocatable)
        else:
            continue
        files.append((item.get("path", ""), text, item.get("mode") or default_mode))
    return files


def _host_path(vol: dict) -> str:
    """Check or create a hostPath per its `type`, as the kubelet's hostPath type checker does."""
    hp = vol["hostPath"]
    path, kind = hp.get("path", ""), hp.get("type") or ""
    if kind == "DirectoryOrCreate":
        os.makedirs(path, mode=0o755, exist_ok=True)
    elif kind == "FileOrCreate":
        os.makedirs(os.path.dirname(path) or "/", mode=0o755, exist_ok=True)
        if not os.path.exists(path):
            open(path, "a").close()
    checks = {"Directory": os.path.isdir, "File": os.path.isfile, "Socket": os.path.exists,
              "CharDevice": os.path.exists, "BlockDevice": os.path.exists}
    what = {"Directory": "a directory", "File": "a file", "Socket": "a socket",
            "CharDevice": "a character device", "BlockDevice": "a block device"}
    if kind in checks and not checks[kind](path):
        raise LookupError("hostPath type check failed: %s is not %s" % (path, what[kind]))
    return path


def materialise(api, pod: dict, home: str, *, pod_ip: str, host_ip: str,
                allocatable: dict | None = None) -> dict:
    """Set up every volume of the pod; returns {volume name: host directory}.

    Raises VolumeError for the first volume that cannot be set up (its source is missing).
    Re-running it refreshes configMap/secret/downwardAPI files and keeps emptyDir contents.
    """
    uid = pod["metadata"]["uid"]
    sources = envs.Sources(api, pod["metadata"].get("namespace") or "default")
    dirs: dict = {}
    for vol in (pod.get("spec") or {}).get("volumes") or []:
        name = vol.get("name", "")
        try:
            if vol.get("hostPath") is not None:
                dirs[name] = _host_path(vol)
                continue
            root = volume_dir(home, uid, name)
            os.makedirs(root, mode=0o777 if vol.get("emptyDir") is not None else 0o755, exist_ok=True)
            dirs[name] = root
            files = []
            if vol.get("configMap") is not None:
                src = vol["configMap"]
                files = _keyed_files("ConfigMap", src, sources, src.get("defaultMode") or DEFAULT_MODE)
            elif vol.get("secret") is not None:
                src = vol["secret"]
                files = _keyed_files("Secret", src, sources, src.get("defaultMode") or DEFAULT_MODE)
            elif vol.get("downwardAPI") is not None:
                src = vol["downwardAPI"]
                files = _downward_files(src.get("items"), pod, pod_ip, host_ip,
                                        src.get("defaultMode") or DEFAULT_MODE, allocatable or {})
            elif vol.get("projected") is not None:
                files = _projected_files(vol["projected"], pod, sources, pod_ip, host_ip, allocatable or {})
            for rel, text, mode in files:
                _write(root, rel, text, mode)
        except LookupError as err:
            raise VolumeError(name, str(err).strip("'\"")) from None
        except (OSError, ValueError, envs.ConfigError) as err:
            raise VolumeError(name, str(err)) from None
    return dirs


def _projected_files(proj: dict, pod, sources, pod_ip, host_ip, allocatable) -> list:
    default_mode = proj.get("defaultMode") or DEFAULT_MODE
    files = []
    for src in proj.get("sources") or []:
        if src.get("configMap") is not None:
            cm = dict(src["configMap"])
            if cm.get("name") == "kube-root-ca.crt":
                cm["optional"] = True  # pkube has no cluster CA to publish
            files += _keyed_files("ConfigMap", cm, sources, default_mode)
        elif src.get("secret") is not None:
            files += _keyed_files("Secret", src["secret"], sources, default_mode)
        elif src.get("downwardAPI") is not None:
            files += _downward_files(src["downwardAPI"].get("items"), pod, pod_ip, host_ip,
                                     default_mode, allocatable)
        # serviceAccountToken / clusterTrustBundle: no token issuer in pkube.
    return files


def unmounted(pod: dict, dirs: dict) -> list:
    """'container: mountPath -> dir' for every volumeMount this machine cannot mount at
    its mountPath (all of them without a private mount namespace; see pkubelet/mountns.py)."""
    from pkubelet import mountns

    tools = mountns.tools()
    notes = []
    spec = pod.get("spec") or {}
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        for src, dst, ro in mountns.unmountable(mountns.volume_binds(c, dirs), tools):
            notes.append("%s: %s -> %s" % (c.get("name"), dst, src))
    return notes


def why_unmounted() -> str:
    from pkubelet import mountns
    if mountns.tools() is None:
        return "containers run as host processes without a private mount namespace"
    return "a mountPath directly under / cannot be made without changing the host's root directory"
