"""Pod volumes as directories under {home}/pods/{uid}/volumes/{name} (hostPath: the path itself).

emptyDir is an empty directory that lives as long as the pod (container restarts keep it);
configMap, secret, downwardAPI and projected volumes are files written from the API objects
(`items` pick and rename keys, `defaultMode` / `mode` set permissions, a missing non-optional
source is a FailedMount, as `MountVolume.SetUp failed for volume ...`). A projected
kube-api-access volume holds what its downwardAPI and configMap sources give (the `namespace`
file, `ca.crt` when the kube-root-ca.crt ConfigMap exists); pkube issues no service-account
tokens, so the `token` file is absent.

configMap, secret, downwardAPI and projected volumes are written like the kubelet's
AtomicWriter, so that refresh() can update them while containers read them:

    volumes/{name}/..2026_11_26_10_30_00.123456789/{files}   one complete payload
    volumes/{name}/..data -> ..2026_11_26_10_30_00.123456789  swapped with one rename
    volumes/{name}/{key}  -> ..data/{key}                     what the container opens

A reader sees the old payload or the new one, never a mix. A container with a private mount
namespace has the volume directory bind-mounted at its mountPath, and a bind mount of a
directory shows changes made inside it, so updates reach it too. A subPath mount binds the
file itself at start, so it keeps the content it started with, as in Kubernetes.

Where a container cannot have a private mount namespace, a volume is not mounted at its
`mountPath`: unmounted() lists what was not mounted so that the kubelet can say so in a
Warning Event. Programs that take a path option can be pointed at the volume directory
shown by `pkubectl describe pod` / the event.
"""
from __future__ import annotations

import os
import time

from pkubelet import envs, podstate

DEFAULT_MODE = 0o644
DATA_LINK = "..data"


class VolumeError(Exception):
    """A volume could not be set up; the pod stays ContainerCreating and the kubelet retries."""

    reason = "FailedMount"

    def __init__(self, volume: str, message: str):
        self.volume = volume
        self.message = 'MountVolume.SetUp failed for volume "%s" : %s' % (volume, message)
        super().__init__(self.message)


def volume_dir(home: str, uid: str, name: str) -> str:
    return os.path.join(podstate.pod_dir(home, uid), podstate.VOLUMES_DIR, name)


def _check_path(rel: str) -> str:
    norm = os.path.normpath(rel)
    if not rel or os.path.isabs(rel) or norm == "." or norm.split(os.sep)[0] in ("..", "") \
            or norm.startswith(".."):
        raise ValueError("path %r escapes the volume" % rel)
    return norm


def _current(root: str) -> dict | None:
    """{path: (bytes, mode)} of the payload ..data points to; None without one."""
    data = os.path.join(root, DATA_LINK)
    if not os.path.islink(data):
        return None
    out = {}
    base = os.path.realpath(data)
    for parent, _dirs, files in os.walk(base):
        for name in files:
            path = os.path.join(parent, name)
            try:
                with open(path, "rb") as f:
                    out[os.path.relpath(path, base)] = (f.read(), os.stat(path).st_mode & 0o7777)
            except OSError:
                return None
    return out


def write_atomic(root: str, files: list) -> bool:
    """Make root hold exactly `files` [(path, text, mode)], AtomicWriter-style (see the module
    docstring). Returns False when it already did (nothing is written then)."""
    payload = {}
    for rel, text, mode in files:
        payload[_check_path(rel)] = (text.encode("utf-8") if isinstance(text, str) else bytes(text),
                                     mode & 0o7777)
    tops = {rel.split(os.sep)[0] for rel in payload}
    visible = {n for n in os.listdir(root) if not n.startswith("..")}
    links_ok = all(os.path.islink(os.path.join(root, n)) and
                   os.readlink(os.path.join(root, n)) == os.path.join(DATA_LINK, n) for n in tops)
    if links_ok and visible == tops and _current(root) == payload:
        return False
    stamp = time.strftime("..%Y_%m_%d_%H_%M_%S", time.gmtime()) + ".%09d" % (time.time_ns() % 10**9)
    new_dir = os.path.join(root, stamp)
    os.mkdir(new_dir, 0o755)
    for rel, (data, mode) in payload.items():
        path = os.path.join(new_dir, rel)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
    old_dir = os.path.realpath(os.path.join(root, DATA_LINK)) if os.path.islink(os.path.join(root, DATA_LINK)) else None
    _swap_link(os.path.join(root, DATA_LINK), stamp)
    for name in tops:
        link = os.path.join(root, name)
        if os.path.islink(link) and os.readlink(link) == os.path.join(DATA_LINK, name):
            continue
        if os.path.isdir(link) and not os.path.islink(link):
            import shutil

            shutil.rmtree(link)  # a directory of the pre-AtomicWriter layout
        _swap_link(link, os.path.join(DATA_LINK, name))
    for name in visible - tops:  # keys gone from the source
        path = os.path.join(root, name)
        if os.path.isdir(path) and not os.path.islink(path):
            import shutil

            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    if old_dir and os.path.dirname(old_dir) == os.path.realpath(root):
        import shutil

        shutil.rmtree(old_dir, ignore_errors=True)
    return True


def _swap_link(path: str, target: str) -> None:
    tmp = path + ".pkube-tmp"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
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


def _files(vol: dict, pod: dict, sources: envs.Sources, pod_ip: str, host_ip: str,
           allocatable: dict) -> list | None:
    """(path, text, mode) of a volume written from API objects; None for other volumes."""
    if vol.get("configMap") is not None:
        src = vol["configMap"]
        return _keyed_files("ConfigMap", src, sources, src.get("defaultMode") or DEFAULT_MODE)
    if vol.get("secret") is not None:
        src = vol["secret"]
        return _keyed_files("Secret", src, sources, src.get("defaultMode") or DEFAULT_MODE)
    if vol.get("downwardAPI") is not None:
        src = vol["downwardAPI"]
        return _downward_files(src.get("items"), pod, pod_ip, host_ip,
                               src.get("defaultMode") or DEFAULT_MODE, allocatable)
    if vol.get("projected") is not None:
        return _projected_files(vol["projected"], pod, sources, pod_ip, host_ip, allocatable)
    return None


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
            files = _files(vol, pod, sources, pod_ip, host_ip, allocatable or {})
            if files is not None:
                write_atomic(root, files)
        except LookupError as err:
            raise VolumeError(name, str(err).strip("'\"")) from None
        except (OSError, ValueError, envs.ConfigError) as err:
            raise VolumeError(name, str(err)) from None
    return dirs


def refreshable(pod: dict) -> bool:
    """True when some volume of the pod is written from API objects (refresh() has work)."""
    return any(_files_kind(v) for v in (pod.get("spec") or {}).get("volumes") or [])


def _files_kind(vol: dict) -> bool:
    return any(vol.get(k) is not None for k in ("configMap", "secret", "downwardAPI", "projected"))


def refresh(api, pod: dict, home: str, *, pod_ip: str, host_ip: str,
            allocatable: dict | None = None) -> list:
    """Bring configMap/secret/downwardAPI/projected volumes of a running pod up to date with
    their sources; returns the names of the volumes whose files changed. A source that is
    gone or broken leaves the files as they were (the kubelet keeps the last good payload)."""
    uid = pod["metadata"]["uid"]
    sources = envs.Sources(api, pod["metadata"].get("namespace") or "default")
    changed = []
    for vol in (pod.get("spec") or {}).get("volumes") or []:
        if not _files_kind(vol):
            continue
        root = volume_dir(home, uid, vol.get("name", ""))
        try:
            files = _files(vol, pod, sources, pod_ip, host_ip, allocatable or {})
            if os.path.isdir(root) and write_atomic(root, files or []):
                changed.append(vol.get("name", ""))
        except (LookupError, OSError, ValueError, envs.ConfigError):
            continue
    return changed


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
