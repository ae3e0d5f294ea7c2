"""`pkubectl expose` and `pkubectl port-forward`.

expose builds a Service the way kubectl's expose does (selector and ports by introspecting
the object, labels copied, targetPort = --target-port or the port) and creates it.

port-forward needs no tunnel: pods are reachable on loopback, so forwarding is the proxy
engine's one-endpoint rule (pkubelet.proxy.portforward) bound to the local address. For
`svc/x` and `deploy/x` it picks one ready pod, as kubectl does, and resolves the service
port to that pod's container port. It runs until Ctrl-C / SIGTERM, or until the pod goes
(`error: lost connection to pod`, exit 1).
"""
from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from pkubectl.cli import common
from pkubectl.cli.common import (CliError, ContextOpt, DryRunOpt, FilenameOpt, KubeconfigOpt, NamespaceOpt,
                                 OutputOpt, RecursiveOpt, out)
from pkubectl.cli.create import begin, parse_target_port, service_port

EXPOSE_HINT = "See 'pkubectl expose -h' for help and examples"
PF_HINT = "See 'pkubectl port-forward -h' for help and examples"
EXPOSABLE = ("Pod", "Service", "ReplicationController", "Deployment", "ReplicaSet")
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
NO_ARGS = ("You must provide one or more resources by argument or filename.\nExample resource specifications "
           "include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'")


# -- expose: introspection (kubectl's polymorphichelpers) -----------------------------------------
def _group_kind(obj: dict) -> str:
    api_version = obj.get("apiVersion", "v1")
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return obj.get("kind", "") + ("." + group if group else "")


def selector_for(obj: dict) -> dict:
    """MapBasedSelectorForObject; raises CliError with kubectl's texts."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}

    def fail(why: str):
        raise CliError("couldn't retrieve selectors via --selector flag or introspection: " + why, EXPOSE_HINT)

    if kind == "Pod":
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if not labels:
            fail("the pod has no labels and cannot be exposed")
        return dict(labels)
    if kind in ("Service", "ReplicationController"):
        sel = spec.get("selector") or {}
        if not sel:
            fail("the service has no pod selector set" if kind == "Service"
                 else "the replication controller has no selector set")
        return dict(sel)
    sel = spec.get("selector") or {}
    if sel.get("matchExpressions"):
        fail('couldn\'t convert expressions - "%s" to map-based selector format' % sel["matchExpressions"])
    if not sel.get("matchLabels"):
        fail("invalid %s: no selectors, therefore cannot be exposed" % kind.lower())
    return dict(sel["matchLabels"])


def _containers(obj: dict) -> list:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec.get("containers") or []
    return ((spec.get("template") or {}).get("spec") or {}).get("containers") or []


def ports_for(obj: dict) -> list:
    """PortsForObject: [(port, protocol)] of the containers, or of the Service."""
    if obj.get("kind") == "Service":
        return [(p.get("port"), p.get("protocol") or "TCP") for p in (obj.get("spec") or {}).get("ports") or []]
    return [(p.get("containerPort"), p.get("protocol") or "TCP")
            for c in _containers(obj) for p in c.get("ports") or [] if p.get("containerPort")]


def _parse_map(text: str, what: str) -> dict:
    out_ = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        k, sep, v = part.partition("=")
        if not sep or not k:
            raise CliError(f"invalid {what} format: {part}" if what != "label" else f"invalid label spec: {part}")
        out_[k] = v
    return out_


def build_service(obj: dict, *, name: str | None, port: str | None, target_port: str | None,
                  protocol: str | None, type_: str | None, selector: str | None, labels: str | None,
                  external_ip: str | None, session_affinity: str | None, cluster_ip: str | None,
                  load_balancer_ip: str | None) -> dict:
    kind = obj.get("kind", "")
    if kind not in EXPOSABLE:
        raise CliError(f"cannot expose a {_group_kind(obj)}")
    sel = _parse_map(selector, "selector") if selector else selector_for(obj)
    introspected = ports_for(obj)
    if port:
        try:
            numbers = [int(p) for p in port.split(",")]
        except ValueError as e:
            raise CliError(f'strconv.Atoi: parsing "{port}": invalid syntax') from e
    else:
        numbers = [p for p, _proto in introspected]
        if not numbers and cluster_ip != "None":
            raise CliError("couldn't find port via --port flag or introspection", EXPOSE_HINT)
    protocols = {p: proto for p, proto in introspected}
    target = parse_target_port(target_port) if target_port else None
    ports = [service_port(n, n if target is None else target, protocol or protocols.get(n, "TCP"),
                          f"port-{i + 1}" if len(numbers) > 1 else None) for i, n in enumerate(numbers)]
    meta: dict = {}
    lab = _parse_map(labels, "label") if labels else dict((obj.get("metadata") or {}).get("labels") or {})
    if lab:
        meta["labels"] = lab
    meta["name"] = name or obj["metadata"]["name"]
    spec: dict = {"ports": ports, "selector": sel}
    if external_ip:
        spec["externalIPs"] = [external_ip]
    if type_:
        spec["type"] = type_
    if type_ == "LoadBalancer" and load_balancer_ip:
        spec["loadBalancerIP"] = load_balancer_ip
    if session_affinity:
        if session_affinity not in ("None", "ClientIP"):
            raise CliError(f"unknown session affinity: {session_affinity}")
        spec["sessionAffinity"] = session_affinity
    if cluster_ip:
        spec["clusterIP"] = cluster_ip
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec,
            "status": {"loadBalancer": {}}}


# -- port-forward -----------------------------------------------------------------------------------
def split_port(spec: str) -> tuple[str, str]:
    """`8080:80` -> ("8080", "80"); `80` -> ("80", "80"); `:80` -> ("", "80")."""
    local, sep, remote = spec.partition(":")
    return (local, remote) if sep else (spec, spec)


def _pod_rank(pod: dict) -> tuple:
    """Higher is better: running, ready, scheduled; ties go to the older pod (kubectl's
    reverse ActivePods order picks the most established one)."""
    from pkubectl.controllers import common as cc

    st = pod.get("status") or {}
    return (st.get("phase") == "Running", cc.pod_ready(pod), bool((pod.get("spec") or {}).get("nodeName")))


def pick_pod(api, namespace: str, selector: dict, timeout: float) -> dict | None:
    import time

    from pkubectl.api import registry, selectors

    kind = registry.by_kind("Pod")
    sel = selectors.from_label_selector({"matchLabels": selector})
    deadline = time.monotonic() + timeout
    while True:
        pods = [p for p in api.list(kind, namespace)[0]
                if sel.matches((p["metadata"].get("labels") or {})) and not p["metadata"].get("deletionTimestamp")]
        if pods:
            pods.sort(key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"]))
            return max(pods, key=_pod_rank)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def container_port_by_name(pod: dict, name: str) -> int | None:
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == name:
                return p.get("containerPort")
    return None


def translate_service_ports(svc: dict, pod: dict, specs: list[str]) -> list[tuple[str, int]]:
    """kubectl's translateServicePortToTargetPort: [(local, container port)]."""
    out_ = []
    name = svc["metadata"]["name"]
    ports = (svc.get("spec") or {}).get("ports") or []
    for spec in specs:
        local, remote = split_port(spec)
        if remote.isdigit():
            number = int(remote)
        else:
            match = [p for p in ports if p.get("name") == remote]
            if not match:
                raise CliError(f"Service '{name}' does not have a named port '{remote}'")
            number = int(match[0]["port"])
            if local == remote:
                local = str(number)
        sp = [p for p in ports if p.get("port") == number]
        if not sp:
            raise CliError(f"Service {name} does not have a service port {number}")
        target = sp[0].get("targetPort", number)
        if isinstance(target, str) and not target.isdigit():
            resolved = container_port_by_name(pod, target)
            if resolved is None:
                raise CliError(f"Pod '{pod['metadata']['name']}' does not have a named port '{target}'")
            target = resolved
        out_.append((local, int(target) or number))
    return out_


def translate_pod_ports(pod: dict, specs: list[str]) -> list[tuple[str, int]]:
    out_ = []
    for spec in specs:
        local, remote = split_port(spec)
        if remote.isdigit():
            out_.append((local, int(remote)))
            continue
        number = container_port_by_name(pod, remote)
        if number is None:
            raise CliError(f"Pod '{pod['metadata']['name']}' does not have a named port '{remote}'")
        out_.append((str(number) if local == remote else local, number))
    return out_


def listen_addresses(flag: list[str] | None) -> list[str]:
    """--address values; `localhost` means both loopbacks, as kubectl listens on each."""
    addrs: list[str] = []
    for item in flag or ["localhost"]:
        for a in filter(None, (x.strip() for x in item.split(","))):
            addrs += ["127.0.0.1", "::1"] if a == "localhost" else [a]
    return list(dict.fromkeys(addrs))


def _check_address(a: str) -> None:
    """kubectl's check; a non-loopback --address is the user's explicit choice to expose."""
    import ipaddress

    try:
        ipaddress.ip_address(a)
    except ValueError:
        raise CliError(f"{a} is not a valid IP") from None


def start_forwards(addresses: list[str], pairs: list[tuple[str, int]], target_ip: str):
    """Open every listener; prints kubectl's lines. Returns the PortForwards (possibly empty)."""
    from pkubelet.proxy.portforward import PortForwardError, forward

    def handling(rule, _peer):
        sys.stdout.write(f"Handling connection for {rule.listen_port}\n")
        sys.stdout.flush()

    running, failed = [], []
    for local, remote in pairs:
        port = int(local) if local else 0
        errors_ = []
        ok = []
        for addr in addresses:
            try:
                pf = forward(addr, port, target_ip, remote, on_accept=handling)
            except PortForwardError as e:
                errors_ += e.listener_errors
                continue
            port = pf.local_port  # `:80` picks one free port, then the same for every address
            ok.append(pf)
            out(pf.message)
        sys.stdout.flush()
        if not ok:
            joined = " ".join(f"unable to create listener: Error {e}" for e in errors_)
            common.err(f"Unable to listen on port {port}: Listeners failed to create with the following "
                       f"errors: [{joined}]")
            failed.append(f"{{{port} {remote}}}")
        running += ok
    return running, failed


def register(app: typer.Typer) -> None:
    @app.command("expose", context_settings={"allow_interspersed_args": True})
    def expose(args: Annotated[Optional[list[str]], typer.Argument(help="(-f FILENAME | TYPE NAME)")] = None,
               filename: FilenameOpt = None, recursive: RecursiveOpt = False,
               port: Annotated[Optional[str], typer.Option("--port", help="The port that the service should serve on. Copied from the resource being exposed, if unspecified")] = None,
               target_port: Annotated[Optional[str], typer.Option("--target-port", help="Name or number for the port on the container that the service should direct traffic to. Optional.")] = None,
               protocol: Annotated[Optional[str], typer.Option("--protocol", help="The network protocol for the service to be created. Default is 'TCP'.")] = None,
               type_: Annotated[Optional[str], typer.Option("--type", help="Type for this service: ClusterIP, NodePort, LoadBalancer, or ExternalName. Default is 'ClusterIP'.")] = None,
               name: Annotated[Optional[str], typer.Option("--name", help="The name for the newly created object.")] = None,
               selector: Annotated[Optional[str], typer.Option("--selector", help="A label selector to use for this service. Only equality-based selector requirements are supported.")] = None,
               labels: Annotated[Optional[str], typer.Option("--labels", "-l", help="Labels to apply to the service created by this call.")] = None,
               external_ip: Annotated[Optional[str], typer.Option("--external-ip", help="Additional external IP address (not managed by Kubernetes) to accept for the service. pkube serves it only if it is a loopback address.")] = None,
               session_affinity: Annotated[Optional[str], typer.Option("--session-affinity", help="If non-empty, set the session affinity for the service to this; legal values: 'None', 'ClientIP'")] = None,
               cluster_ip: Annotated[Optional[str], typer.Option("--cluster-ip", help="ClusterIP to be assigned to the service. Leave empty to auto-allocate, or set to 'None' to create a headless service.")] = None,
               load_balancer_ip: Annotated[Optional[str], typer.Option("--load-balancer-ip", help="IP to assign to the LoadBalancer. If empty, an ephemeral IP will be created and used.")] = None,
               namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
               context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Expose a resource as a new Kubernetes service."""
        from pkubectl.api import registry
        from pkubectl.api.errors import ApiError
        from pkubectl.cli.resources import load_manifests, parse_targets

        inv, mode, printer = begin(namespace, context, kubeconfig, dry_run, output)
        objects: list[dict] = []
        if filename:
            objects = [obj for _src, obj in load_manifests(filename, recursive)]
        elif args:
            for t in parse_targets(list(args)):
                if not t.names:
                    raise CliError("resource(s) were provided, but no name was specified")
                for n in t.names:
                    if t.kind.kind not in EXPOSABLE:
                        raise CliError(f"cannot expose a {t.kind.kind}" + (f".{t.kind.group}" if t.kind.group else ""))
                    try:
                        objects.append(inv.api.get(t.kind, inv.namespace, n))
                    except ApiError as e:
                        inv.fail(e.kubectl_text())
        else:
            raise CliError(NO_ARGS, EXPOSE_HINT)
        created = 0
        for obj in objects:
            svc = build_service(obj, name=name, port=port, target_port=target_port, protocol=protocol,
                                type_=type_, selector=selector, labels=labels, external_ip=external_ip,
                                session_affinity=session_affinity, cluster_ip=cluster_ip,
                                load_balancer_ip=load_balancer_ip)
            ns = (obj.get("metadata") or {}).get("namespace") or inv.namespace
            if mode == "client":
                if inv.explicit_namespace:
                    svc["metadata"]["namespace"] = inv.namespace
                result = svc
            else:
                try:
                    result = inv.api.create(svc, ns, dry_run=mode == "server")
                except ApiError as e:
                    inv.fail(e.kubectl_text())
                    continue
                created += mode == "none"
            if printer is not None:
                printer.print([result], False)
            else:
                out(common.result_line(registry.by_kind("Service"), svc["metadata"]["name"], "exposed",
                                       mode, output))
        if created:
            from pkubectl.cli.converge import converge
            converge(inv)
        inv.finish()

    @app.command("port-forward", context_settings={"allow_interspersed_args": True})
    def port_forward(args: Annotated[Optional[list[str]], typer.Argument(help="TYPE/NAME [LOCAL_PORT:]REMOTE_PORT [...]")] = None,
                     address: Annotated[Optional[list[str]], typer.Option("--address", help="Addresses to listen on (comma separated). Only accepts IP addresses or localhost as a value. When localhost is supplied, pkubectl will try to bind on both 127.0.0.1 and ::1 and will fail if neither of these addresses are available to bind.")] = None,
                     pod_running_timeout: Annotated[str, typer.Option("--pod-running-timeout", help="The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is running")] = "1m0s",
                     namespace: NamespaceOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Forward one or more local ports to a pod."""
        import signal
        import threading

        from pkubectl.api import registry
        from pkubectl.cli.resources import lookup_kind

        import logging

        logging.getLogger("pkubelet.proxy").setLevel(logging.CRITICAL)  # kubectl's own lines say it
        inv = common.globals_(namespace, context, kubeconfig)
        args = list(args or [])
        if len(args) < 2:
            raise CliError("TYPE/NAME and list of ports are required for port-forward", PF_HINT)
        target, specs = args[0], args[1:]
        timeout = common.parse_duration(pod_running_timeout)
        addresses = listen_addresses(address)
        for a in addresses:
            _check_address(a)
        for spec in specs:
            local, remote = split_port(spec)
            if not remote or (local and not local.isdigit()):
                raise CliError(f"Error parsing local port '{local}': strconv.ParseUint: parsing "
                               f"\"{local}\": invalid syntax")
        type_name, slash, obj_name = target.partition("/")
        kind = lookup_kind(type_name) if slash else registry.by_kind("Pod")
        obj_name = obj_name if slash else target
        obj = inv.api.get(kind, inv.namespace, obj_name)
        svc = None
        if kind.kind == "Pod":
            pod = obj
        else:
            if kind.kind == "Service":
                svc = obj
                selector = (obj.get("spec") or {}).get("selector") or {}
                if not selector:
                    raise CliError(f"cannot attach to {kind.kind}: invalid service '{obj_name}': "
                                   "Service is defined without a selector")
            else:
                selector = selector_for(obj)
            pod = pick_pod(inv.api, inv.namespace, selector, timeout)
            if pod is None:
                raise CliError("timed out waiting for the condition")
        phase = (pod.get("status") or {}).get("phase")
        if phase != "Running":
            raise CliError(f"unable to forward port because pod is not running. Current status={phase}")
        pairs = translate_service_ports(svc, pod, specs) if svc is not None else translate_pod_ports(pod, specs)
        pod_ip = (pod.get("status") or {}).get("podIP")
        running, failed = start_forwards(addresses, pairs, pod_ip)
        if not running:
            raise CliError("unable to listen on any of the requested ports: [%s]" % " ".join(failed))
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        lost = False
        pod_kind, uid = registry.by_kind("Pod"), pod["metadata"]["uid"]
        try:
            while not stop.wait(1.0):
                live = inv.api.try_get(pod_kind, pod["metadata"].get("namespace"), pod["metadata"]["name"])
                if live is None or live["metadata"].get("uid") != uid or \
                        (live.get("status") or {}).get("phase") != "Running":
                    lost = True
                    break
        finally:
            for pf in running:
                pf.stop()
        if lost:
            raise CliError("lost connection to pod")
