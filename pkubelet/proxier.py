"""kube-proxy for pkube: Services + Endpoints from the store -> ServiceRules -> a running Proxy.

Who serves what (each address is bound by exactly one process, so nothing fights over it):

- the main daemon (`pkubelet run`, loop "proxy") serves every Service's ClusterIP
  (spec.clusterIP:port, 127.96.x.y), its LoadBalancer ingress IPs (status.loadBalancer,
  127.250.x.y), loopback externalIPs, and the NodePorts of the default node (127.0.0.1);
- each extra node agent (`pkubelet node --name n2`) serves the NodePorts of its own node
  address (127.0.1.N) only, as kube-proxy on that node would. Kill that process and its
  node's NodePorts stop answering while the other nodes' keep working — what a dead node
  looks like from outside. Simulated nodes have no process, hence no NodePorts.

Endpoints are the ready `addresses` of the Endpoints object named like the Service (made by
pkubectl.controllers.endpoints, or by the user for a Service without a selector), matched
to each service port by port name. ExternalName and headless Services get no listener;
only TCP ports are proxied (the engine is TCP only) and other protocols get a Warning Event.

Everything binds to loopback. An externalIP that is not a loopback address is not served:
exposing a Service beyond this machine must be an explicit, visible act, so the Service
gets a Warning Event saying so instead. A listener that cannot be opened (port taken by
another program) also gets a Warning Event on its Service; sync retries it every pass.

A connection to a Service with no ready endpoint in this proxy is held until the next
pass has read the store (the daemon runs one every 50 ms): if the store already had ready
endpoints, as right after `rollout status` returns, it is relayed; if not, it is refused.

The pass is cheap when nothing changed: it compares the store revision first. The same
pass keeps the kubelet-managed /etc/hosts files of this node's pods current (pkubelet.hosts).
"""
from __future__ import annotations

import ipaddress
import logging
import time

log = logging.getLogger("pkubelet.proxier")

DEFAULT_NODE = "pkube"
RESYNC_SECONDS = 5.0  # retry failed listeners / re-read everything at least this often
PROXIED_PROTOCOLS = ("TCP",)


def _is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def node_address(node: dict | None) -> str | None:
    for a in ((node or {}).get("status") or {}).get("addresses") or []:
        if a.get("type") == "InternalIP" and a.get("address"):
            return a["address"]
    return None


def ready_endpoints(endpoints: dict | None, port: dict) -> list:
    """(ip, port) of the ready addresses for one service port, matched by port name."""
    name = port.get("name") or ""
    proto = port.get("protocol") or "TCP"
    out = []
    for subset in (endpoints or {}).get("subsets") or []:
        for p in subset.get("ports") or []:
            if (p.get("name") or "") != name or (p.get("protocol") or "TCP") != proto:
                continue
            for a in subset.get("addresses") or []:
                if a.get("ip"):
                    out.append((a["ip"], int(p["port"])))
    return out


class Note:
    """An Event to record once on a Service (while the condition lasts)."""

    __slots__ = ("svc", "type", "reason", "message")

    def __init__(self, svc: dict, type_: str, reason: str, message: str):
        self.svc, self.type, self.reason, self.message = svc, type_, reason, message

    @property
    def key(self) -> tuple:
        return (self.svc["metadata"].get("uid"), self.reason, self.message)


def service_rules(services: list, endpoints: dict, node_ip: str | None, cluster: bool):
    """(rules, {rule key: service}, notes) for these Services.

    node_ip: the node address whose NodePorts this process serves (None = none);
    cluster: also serve ClusterIPs, LoadBalancer IPs and externalIPs (the main daemon).
    """
    from pkubelet.proxy import ServiceRule

    rules, owners, notes = [], {}, []
    for svc in services:
        meta, spec = svc["metadata"], svc.get("spec") or {}
        stype = spec.get("type") or "ClusterIP"
        cluster_ip = spec.get("clusterIP")
        if stype == "ExternalName" or not cluster_ip or cluster_ip == "None":
            continue
        ep = endpoints.get((meta.get("namespace"), meta["name"]))
        affinity = None
        if spec.get("sessionAffinity") == "ClientIP":
            affinity = int(((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {})
                           .get("timeoutSeconds") or 10800)
        lb_ips = [i.get("ip") for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
                  if i.get("ip")] if stype == "LoadBalancer" else []
        external = []
        for ip in spec.get("externalIPs") or []:
            if _is_loopback(ip):
                external.append(ip)
            elif cluster:
                notes.append(Note(svc, "Warning", "ExternalIPNotServed",
                                  "externalIP %s is not served: pkube binds loopback addresses only, so "
                                  "nothing outside this machine can reach it; use a 127.x.y.z address" % ip))
        for port in spec.get("ports") or []:
            if not isinstance(port, dict) or port.get("port") is None:
                continue
            proto = port.get("protocol") or "TCP"
            if proto not in PROXIED_PROTOCOLS:
                if cluster:
                    notes.append(Note(svc, "Warning", "ProtocolNotProxied",
                                      "port %s/%s is not proxied: the pkube proxy forwards TCP only"
                                      % (port.get("port"), proto)))
                continue
            eps = ready_endpoints(ep, port)
            label = "%s/%s:%s" % (meta.get("namespace"), meta["name"], port.get("name") or port.get("port"))
            addresses = []
            if cluster:
                addresses.append(("clusterIP", cluster_ip, port["port"]))
                addresses += [("loadBalancer", ip, port["port"]) for ip in lb_ips]
                addresses += [("externalIP", ip, port["port"]) for ip in external]
            if node_ip and port.get("nodePort") and stype in ("NodePort", "LoadBalancer"):
                addresses.append(("nodePort", node_ip, port["nodePort"]))
            for what, ip, num in addresses:
                key = "%s %s %s:%s" % (label, what, ip, num)
                rules.append(ServiceRule(key=key, listen_ip=ip, listen_port=int(num), endpoints=eps,
                                         affinity_timeout=affinity))
                owners[key] = svc
    return rules, owners, notes


class Proxier:
    """One node's proxy: keeps a Proxy in step with the store (see the module docstring)."""

    def __init__(self, api, node_name: str = DEFAULT_NODE, cluster: bool | None = None):
        from pkubelet.proxy import Proxy

        self.api, self.node_name = api, node_name
        self.cluster = node_name == DEFAULT_NODE if cluster is None else cluster
        self.proxy = Proxy(hold_empty=True)
        self._rules = None
        self._rev = None
        self._last_full = 0.0
        self._errors: dict = {}
        self._reported: set = set()
        self._hosts_key = None

    def sync(self) -> int:
        as_of = time.monotonic()  # held connections that arrived before this see this pass
        rev = self.api.store.revision()
        due = as_of - self._last_full >= RESYNC_SECONDS
        if rev == self._rev and not due:
            self.proxy.settle(as_of)
            return 0
        self._rev = rev
        if due:
            self._last_full = time.monotonic()
        from pkubectl.api import registry

        services, _ = self.api.list(registry.by_kind("Service"), None)
        endpoints = {(e["metadata"].get("namespace"), e["metadata"]["name"]): e
                     for e in self.api.list(registry.by_kind("Endpoints"), None)[0]}
        node = self.api.try_get(registry.by_kind("Node"), None, self.node_name)
        node_ip = node_address(node)
        rules, owners, notes = service_rules(services, endpoints, node_ip, self.cluster)
        changed = 0
        if rules != self._rules or (self._errors and due):
            self._errors = self.proxy.sync(rules, as_of)
            changed = int(rules != self._rules)
            self._rules = rules
        else:
            self.proxy.settle(as_of)
        for key, text in self._errors.items():
            svc = owners.get(key)
            if svc is not None:
                notes.append(Note(svc, "Warning", "FailedToListen",
                                  "cannot serve %s: %s" % (key.split(" ", 1)[1], text)))
        self._report(notes)
        names = sorted((m["metadata"].get("namespace"), m["metadata"]["name"], (m.get("spec") or {}).get("clusterIP"),
                        (m.get("spec") or {}).get("type")) for m in services)
        if names != self._hosts_key or due:  # a pod's own lines never change; only Services do
            self._hosts_key = names
            changed += self._refresh_hosts()
        return changed

    def _report(self, notes: list) -> None:
        """Record each note once while it holds; forget those that cleared."""
        current = set()
        for n in notes:
            current.add(n.key)
            if n.key in self._reported:
                continue
            try:
                self.api.record_event(n.svc, n.type, n.reason, n.message, component="kube-proxy",
                                      host=self.node_name)
            except Exception:  # noqa: BLE001 - an event is best effort
                log.warning("proxier: cannot record event %s", n.reason)
        self._reported = current

    def _refresh_hosts(self) -> int:
        try:
            from pkubelet import hosts
        except ImportError:
            return 0
        return hosts.refresh_node(self.api, self.api.store.home, self.node_name)

    def stop(self) -> None:
        self.proxy.stop()


_proxiers: dict = {}


def sync(api, node_name: str = DEFAULT_NODE) -> int:
    """One proxy pass for `node_name` in this process (the daemon's loop calls this)."""
    key = (api.store.home, node_name)
    proxier = _proxiers.get(key)
    if proxier is None or proxier.api is not api:
        if proxier is not None:
            proxier.stop()
        proxier = _proxiers[key] = Proxier(api, node_name)
    return proxier.sync()
