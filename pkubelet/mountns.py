"""A container's private mount namespace: volumes at their mountPath, and /etc/hosts.

Where this process may create mount namespaces (root with `unshare`), each container
starts through `unshare --mount` and a few `mount` calls, then execs the container's
own argv (so it keeps the pid the runtime records):

- a volume directory is bind-mounted at its `mountPath` (read-only when asked);
- a `mountPath` that does not exist in the host's tree is made without touching the
  host: its nearest existing ancestor gets an overlay whose upper layer lives in the
  pod's directory, and the missing directories are created in that upper layer only;
- an ancestor that is `/` itself is not overlaid (an overlay on / would hide /proc, /dev
  and every other mount): such a mount is reported instead, with the volume's directory.

Without mount namespaces nothing is mounted; the kubelet records an Event listing
where each volume's files are.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile

_probe: dict = {}


def tools() -> dict | None:
    """{"unshare", "mount", "sh", "overlay": bool} when containers can get a private
    mount namespace (probed once with real mounts), else None."""
    if "result" in _probe:
        return _probe["result"]
    found = None
    if not os.environ.get("PKUBE_NO_MOUNT_NS") and hasattr(os, "geteuid") and os.geteuid() == 0:
        t = {"unshare": shutil.which("unshare"), "mount": shutil.which("mount"), "sh": shutil.which("sh") or "/bin/sh"}
        if all(t.values()) and _run(t, '"$0" --bind /dev/null /etc/hosts && test ! -s /etc/hosts'):
            found = dict(t, overlay=_overlay_works(t))
    _probe["result"] = found
    return found


def _run(t: dict, script: str) -> bool:
    try:
        return subprocess.run([t["unshare"], "--mount", "--propagation", "private", "--", t["sh"], "-c", script,
                               t["mount"]], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=5).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _overlay_works(t: dict) -> bool:
    with tempfile.TemporaryDirectory(prefix="pkube-overlay-probe-") as d:
        lower, upper, work = (os.path.join(d, x) for x in ("lower", "upper", "work"))
        for x in (lower, upper, work):
            os.mkdir(x)
        return _run(t, '"$0" -t overlay overlay -o lowerdir=%s,upperdir=%s,workdir=%s %s && mkdir %s/new'
                    % (lower, upper, work, lower, lower))


def nearest_existing(path: str) -> str:
    p = os.path.normpath(path)
    while not os.path.exists(p):
        p = os.path.dirname(p)
    return p


def volume_binds(container: dict, volume_dirs: dict) -> list[tuple[str, str, bool]]:
    """(source, mountPath, read-only) for each of the container's volumeMounts."""
    binds = []
    for m in container.get("volumeMounts") or []:
        src = volume_dirs.get(m.get("name"))
        dst = m.get("mountPath")
        if not src or not dst or not dst.startswith("/"):
            continue
        if m.get("subPath"):
            src = os.path.join(src, m["subPath"])
        binds.append((src, os.path.normpath(dst), bool(m.get("readOnly"))))
    return binds


def unmountable(binds: list, t: dict | None) -> list[tuple[str, str, bool]]:
    """The binds this machine cannot make (see the module docstring)."""
    if t is None:
        return list(binds)
    out = []
    for src, dst, ro in binds:
        if os.path.exists(dst):
            continue
        if not t.get("overlay") or nearest_existing(dst) == "/":
            out.append((src, dst, ro))
    return out


def wrap(argv: list, binds: list, stage_dir: str, t: dict, cwd: str | None = None) -> list:
    """argv run in a new mount namespace after the overlays and bind mounts of `binds`
    ((source, target, read-only) in order; targets that cannot be made are skipped),
    from `cwd` as seen inside it (a workingDir under a mountPath exists only there)."""
    skip = set(unmountable(binds, t))
    binds = [b for b in binds if b not in skip]
    steps, overlaid = [], []
    for i, anc in enumerate(sorted({nearest_existing(dst) for _, dst, _ in binds if not os.path.exists(dst)},
                                   key=len)):
        upper, work = os.path.join(stage_dir, str(i), "upper"), os.path.join(stage_dir, str(i), "work")
        os.makedirs(upper, exist_ok=True)
        os.makedirs(work, exist_ok=True)
        q = shlex.quote
        steps.append('"$0" -t overlay overlay -o lowerdir=%s,upperdir=%s,workdir=%s %s'
                     % (q(anc), q(upper), q(work), q(anc)))
        overlaid.append(anc)
    for src, dst, ro in binds:
        q = shlex.quote
        if not os.path.exists(dst):
            if os.path.isdir(src):
                steps.append("mkdir -p %s" % q(dst))
            else:
                steps.append("mkdir -p %s && : > %s" % (q(os.path.dirname(dst)), q(dst)))
        steps.append('"$0" --bind %s %s' % (q(src), q(dst)))
        if ro:
            steps.append('"$0" -o remount,bind,ro %s' % q(dst))
    if cwd:
        steps.append("cd -- %s" % shlex.quote(cwd))
    script = " && ".join(steps + ['exec "$@"'])
    return [t["unshare"], "--mount", "--propagation", "private", "--", t["sh"], "-c", script, t["mount"]] + list(argv)
