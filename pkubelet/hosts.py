"""The kubelet-managed /etc/hosts of a pod, and the private mount namespace that shows it.

pkube has no cluster DNS. What a pod's resolver would answer through the search path
`<ns>.svc.cluster.local svc.cluster.local cluster.local` is written into a hosts file
instead, one line per Service with a ClusterIP:

    127.96.0.12	web web.default web.default.svc web.default.svc.cluster.local   (pod's namespace)
    127.96.0.40	db.other db.other.svc db.other.svc.cluster.local                (other namespaces)

after the kubelet's usual header and the pod's own `podIP hostname` line (and hostAliases).
Headless and ExternalName Services are left out: they need DNS records a hosts file cannot
hold (several A records, a CNAME).

Containers are host processes. When the kubelet may create mount namespaces (root, with
util-linux `unshare` and `mount`; probed once), each container is started as
`unshare --mount -- sh -c 'mount --bind HOSTS /etc/hosts; exec "$@"' ARGV...`: the pid and
process identity stay those of the container (unshare and sh both exec), and only that
process tree sees the file at /etc/hosts. The file lives at {pod dir}/etc-hosts and is
rewritten *in place* (a bind mount pins the inode) whenever Services change, by the proxy
pass of the node's agent (refresh_node). Without mount namespaces the pod gets a Warning
Event saying names do not resolve and that the {SVC}_SERVICE_HOST/_PORT variables are the
way to reach Services. PKUBE_NO_MOUNT_NS=1 turns the namespace off.
"""
from __future__ import annotations

import os
import shutil

FILE_NAME = "etc-hosts"
HEADER = """# Kubernetes-managed hosts file.
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
fe00::0\tip6-mcastprefix
fe00::1\tip6-allnodes
fe00::2\tip6-allrouters
"""
CLUSTER_DOMAIN = "cluster.local"
UNAVAILABLE = ("Service names do not resolve in this pod: its containers run without a private "
               "mount namespace (that needs root and util-linux unshare), so /etc/hosts cannot be "
               "replaced. Reach Services through the {SVC}_SERVICE_HOST and {SVC}_SERVICE_PORT "
               "environment variables (the names are in %s).")



def path_for(home: str, uid: str) -> str:
    from pkubelet import podstate

    return os.path.join(podstate.pod_dir(home, uid), FILE_NAME)


# -- content -----------------------------------------------------------------------------------
def _has_cluster_ip(svc: dict) -> bool:
    spec = svc.get("spec") or {}
    return spec.get("type") != "ExternalName" and spec.get("clusterIP") not in (None, "", "None")


def render(pod: dict, pod_ip: str, services: list) -> str:
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    ns = meta.get("namespace") or "default"
    lines = [HEADER]
    hostname = spec.get("hostname") or meta.get("name", "")
    if pod_ip:
        if spec.get("subdomain"):
            lines.append("%s\t%s.%s.%s.svc.%s\t%s\n" % (pod_ip, hostname, spec["subdomain"], ns,
                                                       CLUSTER_DOMAIN, hostname))
        else:
            lines.append("%s\t%s\n" % (pod_ip, hostname))
    aliases = spec.get("hostAliases") or []
    if aliases:
        lines.append("\n# Entries added by HostAliases.\n")
        for a in aliases:
            if a.get("ip") and a.get("hostnames"):
                lines.append("%s\t%s\n" % (a["ip"], "\t".join(a["hostnames"])))
    own, other = [], []
    for svc in services:
        if not _has_cluster_ip(svc):
            continue
        name, sns = svc["metadata"]["name"], svc["metadata"].get("namespace") or "default"
        names = ["%s.%s" % (name, sns), "%s.%s.svc" % (name, sns), "%s.%s.svc.%s" % (name, sns, CLUSTER_DOMAIN)]
        if sns == ns:
            own.append((name, "%s\t%s\n" % (svc["spec"]["clusterIP"], " ".join([name] + names))))
        else:
            other.append(((sns, name), "%s\t%s\n" % (svc["spec"]["clusterIP"], " ".join(names))))
    if own or other:
        lines.append("\n# Services (pkube has no cluster DNS; names as the %s.svc.%s search path gives them).\n"
                     % (ns, CLUSTER_DOMAIN))
        lines += [text for _k, text in sorted(own)] + [text for _k, text in sorted(other)]
    return "".join(lines)


def write(path: str, text: str) -> bool:
    """Write in place (the inode must stay: a bind mount pins it); True when it changed.
    New content goes over the old and the tail is cut after, so a reader never sees an
    empty file."""
    data = text.encode()
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        old = b""
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            old += chunk
        if old == data:
            return False
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
        return True
    finally:
        os.close(fd)


def _services(api) -> list:
    from pkubectl.api import registry

    return api.list(registry.by_kind("Service"), None)[0]


# -- the mount namespace ------------------------------------------------------------------------
def mount_namespaces() -> dict | None:
    """Whether containers get a private mount namespace here (see pkubelet/mountns.py)."""
    from pkubelet import mountns
    return mountns.tools()


def _resolvable(program: str, env: dict) -> bool:
    """Wrap only what will start: a missing program must still fail as the runtime reports it."""
    if "/" in program:
        return os.access(program, os.X_OK)
    return shutil.which(program, path=env.get("PATH") or os.environ.get("PATH")) is not None


# -- kubelet entry points -----------------------------------------------------------------------
def prepare(api, pod: dict, home: str, pod_ip: str, argv: list, env: dict, report, binds=(),
            stage_dir: str | None = None, cwd: str | None = None) -> list:
    """Write the pod's hosts file and return the argv to start: wrapped, when possible,
    in a private mount namespace with the volume `binds` (source, mountPath, read-only)
    and the hosts file at /etc/hosts, changing to `cwd` in there. `report(type, reason,
    message)` records a pod Event (once per pod, when the file is new)."""
    from pkubelet import mountns

    path = path_for(home, pod["metadata"]["uid"])
    first = not os.path.exists(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write(path, render(pod, pod_ip, _services(api)))
    tools = mountns.tools()
    if tools is None:
        if first:
            report("Warning", "NameResolutionUnavailable", UNAVAILABLE % path)
        return argv
    if not argv or not _resolvable(str(argv[0]), env):
        return argv
    return mountns.wrap(argv, list(binds) + [(path, "/etc/hosts", False)],
                        stage_dir or os.path.join(os.path.dirname(path), "overlay"), tools, cwd)


def refresh_node(api, home: str, node_name: str) -> int:
    """Rewrite the hosts files of this node's pods whose content changed; returns how many."""
    from pkubectl.api import registry

    from pkubelet import podstate

    local = {uid: st for uid, st in podstate.local_pods(home)
             if st is not None and st.get("node") == node_name and os.path.exists(path_for(home, uid))}
    if not local:
        return 0
    services = _services(api)
    changed = 0
    for pod in api.list(registry.by_kind("Pod"), None)[0]:
        uid = pod["metadata"].get("uid")
        if uid not in local:
            continue
        try:
            changed += write(path_for(home, uid), render(pod, local[uid].get("podIP", ""), services))
        except OSError:
            pass  # the pod directory went away under us
    return changed
