"""Pod IPs from the node's podCIDR (what a CNI host-local IPAM plugin does).

Addresses .2-.254 of the node's 127.244.N.0/24 (.1 is the "gateway", as on a bridge). An
address is taken while a pod directory on this node records it, so it is reused only after
the kubelet removed a gone pod; allocation continues after the last one handed out
(host-local's round robin), so a just-freed address is not handed out again at once.
"""
from __future__ import annotations

import ipaddress
import json
import os

FIRST_HOST = 2


def _last_path(home: str, node: str) -> str:
    return os.path.join(home, "nodes", node, "ipam-last")


def allocate(home: str, node: str, cidr: str, taken: set) -> str:
    """A free address of `cidr` not in `taken` (callers hold the node's kubelet lock)."""
    net = ipaddress.ip_network(cidr, strict=False)
    hosts = [str(ip) for ip in net.hosts()][FIRST_HOST - 1:-1] or [str(ip) for ip in net.hosts()]
    path = _last_path(home, node)
    try:
        with open(path) as f:
            last = json.load(f).get("last", "")
    except (OSError, ValueError):
        last = ""
    start = hosts.index(last) + 1 if last in hosts else 0
    for i in range(len(hosts)):
        candidate = hosts[(start + i) % len(hosts)]
        if candidate not in taken:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            tmp = path + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"last": candidate, "cidr": cidr}, f)
            os.replace(tmp, path)
            return candidate
    raise RuntimeError("no free pod IP left in %s" % cidr)
