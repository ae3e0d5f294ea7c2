"""The API machinery: one call surface for every kind, over the store.

This is kube-apiserver without HTTP: create / get / list / update / update_status /
patch / delete / watch, with defaulting, validation, allocation (cluster IPs, node
ports), metadata bookkeeping (uid, creationTimestamp, generation, resourceVersion),
graceful and cascading deletion, and Events. The CLI, the controllers, the scheduler
and the kubelet all go through it; nothing else writes the store.
"""
from __future__ import annotations

import json
import os
import time

from pkubectl.api import errors, registry
from pkubectl.api.registry import Kind
from state import store as st

# Kinds whose metadata.generation tracks spec changes (as the API server's strategies do).
GENERATION_KINDS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod",
                    "HorizontalPodAutoscaler"}
BUILTIN_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# Loopback address plan (DESIGN "Network"): Linux routes all of 127.0.0.0/8 to lo.
# copy, ipaddress and random are imported where writes need them: `get` (which only reads)
# starts ~4 ms faster without them.


def service_cidr():
    import ipaddress
    return ipaddress.ip_network(os.environ.get("PKUBE_SERVICE_CIDR", "127.96.0.0/16"))


def loadbalancer_cidr():
    import ipaddress
    return ipaddress.ip_network(os.environ.get("PKUBE_LOADBALANCER_CIDR", "127.250.0.0/16"))
DEFAULT_NODE_PORT_RANGE = (30000, 32767)
RANDOM_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' utilrand alphabet
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def now() -> str:
    return st.now_rfc3339()


def random_suffix(n: int = 5) -> str:
    import random
    return "".join(random.choice(RANDOM_SUFFIX_ALPHABET) for _ in range(n))


def fold_string_data(obj: dict) -> None:
    """Secret `stringData` is write-only: the API server merges it into `data`
    (base64) and never stores it."""
    if obj.get("kind") != "Secret" or not isinstance(obj.get("stringData"), dict):
        obj.pop("stringData", None) if obj.get("kind") == "Secret" else None
        return
    import base64
    data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
    for k, v in obj.pop("stringData").items():
        data[k] = base64.b64encode(str(v).encode()).decode()
    obj["data"] = data


def normalize(obj: dict) -> None:
    """What the server does to any object written to it before validation:
    write-only fields folded, defaults filled in."""
    from pkubectl.api import defaults
    fold_string_data(obj)
    defaults.apply_defaults(obj)


def spec_of(obj: dict) -> dict:
    """Everything but metadata and status: what a generation bump watches."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


# The cluster's --service-node-port-range: `pkubelet start --service-node-port-range=A-B`
# stores it here once; the env var is the fallback (then the default).
CLUSTER_CONFIG = ("kube-system", "pkube-config")
NODE_PORT_RANGE_KEY = "service-node-port-range"


def parse_node_port_range(text: str) -> tuple[int, int]:
    """"30000-32767" -> (30000, 32767); ValueError with the reason otherwise."""
    lo, sep, hi = text.strip().partition("-")
    if not sep or not lo.isdigit() or not hi.isdigit() or not 1 <= int(lo) <= int(hi) <= 65535:
        raise ValueError(f'invalid port range "{text}": expected FROM-TO, e.g. 30000-32767')
    return int(lo), int(hi)


# The API server's static subranges (KEP-3070, KEP-3668): dynamic allocation takes from
# above the first min(max(lo, size // step), hi) values and falls back to them only when
# the rest is full, so ports and IPs written in manifests rarely meet a random one.
NODE_PORT_BAND = (16, 128, 32)  # (lo, hi, step)
CLUSTER_IP_BAND = (16, 256, 16)


def static_band(size: int, lo: int, hi: int, step: int) -> int:
    if size <= lo:
        return 0
    return min(max(lo, size // step), hi)


def pick_dynamic(first: int, last: int, taken: set, band: int):
    """A random free value of first..last, above the static band first; None when full."""
    import random
    for low, high in ((first + band, last), (first, first + band - 1)):
        n = high - low + 1
        if n <= 0:
            continue
        start = random.randrange(n)
        for i in range(n):
            candidate = low + (start + i) % n
            if candidate not in taken:
                return candidate
    return None


def node_port_range(tx=None) -> tuple[int, int]:
    if tx is not None:
        cm = tx.get("configmaps", *CLUSTER_CONFIG)
        text = ((cm or {}).get("data") or {}).get(NODE_PORT_RANGE_KEY)
        if text:
            try:
                return parse_node_port_range(text)
            except ValueError:
                pass
    text = os.environ.get("PKUBE_SERVICE_NODE_PORT_RANGE")
    if text:
        lo, _, hi = text.partition("-")
        return int(lo), int(hi)
    return DEFAULT_NODE_PORT_RANGE


class Api:
    """One cluster's API. `Api()` opens the store named by $PKUBE_HOME."""

    def __init__(self, store: st.Store | None = None):
        self.store = store or st.Store()
        self._bootstrapped = False

    # -- helpers ------------------------------------------------------------
    def _ns_for(self, kind: Kind, namespace: str | None) -> str:
        return (namespace or "default") if kind.namespaced else ""

    def _store_call(self, fn, *args):
        try:
            return fn(*args)
        except st.Unavailable as e:
            raise errors.unavailable(str(e)) from None

    def bootstrap(self) -> None:
        """Built-in namespaces and the `kubernetes` Service exist from the start."""
        if self._bootstrapped:
            return
        self._bootstrapped = True
        if self._store_call(self.store.revision) > 0:
            return
        for ns in BUILTIN_NAMESPACES:
            try:
                self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
            except errors.ApiError:
                pass  # a concurrent process bootstrapped it
        try:
            self.create({"apiVersion": "v1", "kind": "Service",
                         "metadata": {"name": "kubernetes", "namespace": "default",
                                      "labels": {"component": "apiserver", "provider": "kubernetes"}},
                         "spec": {"clusterIP": str(service_cidr().network_address + 1),
                                  "ports": [{"name": "https", "port": 443, "targetPort": 6443}]}})
        except errors.ApiError:
            pass

    # -- reads --------------------------------------------------------------
    def get(self, kind: Kind, namespace: str | None, name: str) -> dict:
        self.bootstrap()
        try:
            return self._store_call(self.store.get, kind.resource, self._ns_for(kind, namespace), name)
        except st.NotFound:
            raise errors.not_found(kind.resource, name) from None

    def try_get(self, kind: Kind, namespace: str | None, name: str) -> dict | None:
        try:
            return self.get(kind, namespace, name)
        except errors.ApiError as e:
            if e.code == 404:
                return None
            raise

    def list(self, kind: Kind, namespace: str | None = None, label_selector=None,
             field_selector=None) -> tuple[list[dict], int]:
        """Objects of a kind; namespace None = all namespaces. Selectors are parsed
        selector objects (pkubectl.api.selectors) or None."""
        self.bootstrap()
        ns = self._ns_for(kind, namespace) if namespace is not None else None
        items, rev = self._store_call(self.store.list, kind.resource, ns)
        if label_selector is not None:
            items = [o for o in items if label_selector.matches(o["metadata"].get("labels") or {})]
        if field_selector is not None:
            items = [o for o in items if field_selector.matches(o)]
        return items, rev

    def watch(self, kinds: list[Kind], since: int, namespace: str | None = None,
              stop=lambda: False, interval: float = 0.1):
        """Yield store Events for these kinds after revision `since`, forever
        (until `stop()` is true). Follows the revision log by polling: another
        process's commit cannot notify us."""
        resources = tuple(k.resource for k in kinds)
        cursor = since
        while not stop():
            batch = self._store_call(self.store.events_since, cursor, resources)
            for ev in batch:
                cursor = ev.revision
                if namespace is not None and ev.namespace not in (namespace, ""):
                    continue
                yield ev
            if not batch:
                time.sleep(interval)

    # -- writes -------------------------------------------------------------
    def create(self, obj: dict, namespace: str | None = None, dry_run: bool = False) -> dict:
        import copy
        from pkubectl.api import defaults, validation

        self.bootstrap()
        kind = registry.for_object(obj)
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        _check_decodable(kind, obj)
        if kind.namespaced:
            meta["namespace"] = meta.get("namespace") or namespace or "default"
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + random_suffix()
        name = meta.get("name") or ""
        import uuid  # writes only: `get` does not pay for it (~2 ms)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now()
        for transient in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                          "selfLink", "managedFields"):
            meta.pop(transient, None)
        if kind.kind in GENERATION_KINDS:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        if kind.kind in ("Pod",):
            obj["status"] = {"phase": "Pending", "qosClass": _qos_class(obj)}
        with _decoding(kind, obj):
            fold_string_data(obj)
            defaults.apply_defaults(obj)
        decode_error = validation.secret_decode_error(obj) if kind.kind == "Secret" else None
        if decode_error:
            raise errors.bad_request(decode_error)
        if kind.kind == "Service":
            with self._txn() as tx:  # validation checks nodePorts against the cluster's range
                validation.NODE_PORT_RANGE = node_port_range(tx)
        with _decoding(kind, obj):
            causes = validation.validate(obj)
        if causes:
            raise errors.invalid(kind.kind, kind.group, name, causes)
        _check_types(kind, obj)
        ns = meta.get("namespace", "")
        with self._txn() as tx:
            if kind.namespaced and kind.kind != "Namespace":
                nsobj = tx.get("namespaces", "", ns)
                if nsobj is None:
                    raise errors.not_found("namespaces", ns)
                if nsobj["metadata"].get("deletionTimestamp"):
                    raise errors.forbidden(
                        f'{kind.resource} "{name}" is forbidden: unable to create new content in namespace '
                        f'{ns} because it is being terminated')
            if tx.get(kind.resource, ns, name) is not None:
                raise errors.already_exists(kind.resource, name)
            if kind.kind == "Service":
                self._allocate_service(tx, obj, None)
            if dry_run:
                meta["resourceVersion"] = ""
                return obj
            return tx.create(kind.resource, ns, name, obj)

    def update(self, obj: dict, dry_run: bool = False, subresource: str = "") -> dict:
        """PUT: replace the object. A resourceVersion in `obj` must be current
        (409 Conflict otherwise). The main resource keeps the live status; the
        `status` subresource keeps the live spec and metadata (except for the
        bookkeeping the kubelet and controllers own)."""
        import copy
        from pkubectl.api import defaults, validation

        self.bootstrap()
        kind = registry.for_object(obj)
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        _check_decodable(kind, obj)
        name = meta.get("name", "")
        ns = self._ns_for(kind, meta.get("namespace"))
        if kind.namespaced:
            meta["namespace"] = ns
        with self._txn() as tx:
            live = tx.get(kind.resource, ns, name)
            if live is None:
                raise errors.not_found(kind.resource, name)
            expect = meta.get("resourceVersion")
            if expect and expect != live["metadata"].get("resourceVersion"):
                raise errors.conflict(kind.resource, name)
            lmeta = live["metadata"]
            if subresource == "status":
                new = copy.deepcopy(live)
                new["status"] = obj.get("status", {})
            else:
                new = obj
                for keep in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
                    if keep in lmeta:
                        meta[keep] = lmeta[keep]
                    else:
                        meta.pop(keep, None)
                if kind.has_status and kind.kind not in ("Namespace",):
                    if "status" in live:
                        new["status"] = live["status"]
                    else:
                        new.pop("status", None)
                with _decoding(kind, obj):
                    fold_string_data(new)
                    defaults.apply_defaults(new)
                if kind.kind == "Service":
                    self._allocate_service(tx, new, live)
                if kind.kind in GENERATION_KINDS:
                    gen = lmeta.get("generation", 1)
                    meta["generation"] = gen + 1 if spec_of(new) != spec_of(live) else gen
            with _decoding(kind, new):
                causes = validation.validate(new, live)
            if causes:
                raise errors.invalid(kind.kind, kind.group, name, causes)
            _check_types(kind, new)
            if dry_run:
                return new
            if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers") \
                    and not _awaits_kubelet(kind, new):
                tx.delete(kind.resource, ns, name)
                new["metadata"]["resourceVersion"] = str(tx.current_rev())
                return new
            return tx.update(kind.resource, ns, name, new)

    def update_status(self, obj: dict) -> dict:
        return self.update(obj, subresource="status")

    def patch(self, kind: Kind, namespace: str | None, name: str, patch, patch_type: str = "strategic",
              dry_run: bool = False, subresource: str = "") -> tuple[dict, bool]:
        """Apply a patch to the live object; returns (object, changed). Retries on
        conflict: the patch is re-applied to the newer object, as the API server does."""
        import copy
        from pkubectl.api import merge

        for _ in range(10):
            live = self.get(kind, namespace, name)
            if patch_type == "json":
                new = merge.json_patch(copy.deepcopy(live), patch)
            elif patch_type == "merge":
                new = merge.json_merge_patch(copy.deepcopy(live), patch)
            else:
                new = merge.strategic_merge_patch(copy.deepcopy(live), patch, kind.kind)
            if not isinstance(new, dict):
                raise errors.bad_request("the patch did not produce an object")
            new.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
            for ident in ("apiVersion", "kind"):
                new[ident] = live[ident]
            new["metadata"]["name"], new["metadata"]["uid"] = name, live["metadata"]["uid"]
            if new == live:
                return live, False
            try:
                out = self.update(new, dry_run=dry_run, subresource=subresource)
                return out, True
            except errors.ApiError as e:
                if e.reason != "Conflict":
                    raise
        raise errors.conflict(kind.resource, name)

    def delete(self, kind: Kind, namespace: str | None, name: str, propagation: str | None = None,
               grace: int | None = None, dry_run: bool = False, uid: str | None = None) -> dict:
        """Delete with Kubernetes semantics. Returns the object as deleted, or as
        marked for deletion (deletionTimestamp) when something must finish first:
        a kubelet stopping a running pod, finalizers, foreground dependents."""
        self.bootstrap()
        ns = self._ns_for(kind, namespace)
        with self._txn() as tx:
            live = tx.get(kind.resource, ns, name)
            if live is None or (uid and live["metadata"].get("uid") != uid):
                raise errors.not_found(kind.resource, name)
            if dry_run:
                return live
            meta = live["metadata"]
            propagation = propagation or ("Foreground" if FOREGROUND in (meta.get("finalizers") or [])
                                          else "Background")
            if propagation == "Orphan":
                self._orphan_dependents(tx, meta["uid"], ns)
            finalizers = list(meta.get("finalizers") or [])
            if propagation == "Foreground" and self._has_dependents(tx, meta["uid"], ns):
                if FOREGROUND not in finalizers:
                    finalizers.append(FOREGROUND)
            if kind.kind == "Namespace":
                live.setdefault("status", {})["phase"] = "Terminating"
                finalizers = finalizers or ["kubernetes"]
            if kind.kind == "Pod":
                g = grace if grace is not None else (live.get("spec", {}).get("terminationGracePeriodSeconds", 30))
                if g > 0 and _awaits_kubelet(kind, live):
                    if not meta.get("deletionTimestamp"):
                        meta["deletionTimestamp"] = st.now_rfc3339(time.time() + g)
                        meta["deletionGracePeriodSeconds"] = g
                        meta["finalizers"] = finalizers or meta.get("finalizers")
                        if not meta["finalizers"]:
                            meta.pop("finalizers")
                        return tx.update(kind.resource, ns, name, live)
                    return live
            if finalizers:
                if not meta.get("deletionTimestamp"):
                    meta["deletionTimestamp"] = now()
                    meta["deletionGracePeriodSeconds"] = 0
                meta["finalizers"] = finalizers
                return tx.update(kind.resource, ns, name, live)
            return tx.delete(kind.resource, ns, name)

    def bind(self, pod: dict, node_name: str) -> dict:
        """The pods/binding subresource (the scheduler's one write per pod): set
        spec.nodeName and condition PodScheduled=True together. A binding is not a spec
        update: no generation bump, no re-validation. A pod already bound, being deleted,
        or changed since it was read (resourceVersion) is a 409 Conflict."""
        meta = pod["metadata"]
        ns, name = meta.get("namespace") or "default", meta["name"]
        with self._txn() as tx:
            live = tx.get("pods", ns, name)
            if live is None or (meta.get("uid") and live["metadata"].get("uid") != meta["uid"]):
                raise errors.not_found("pods", name)
            if live.get("spec", {}).get("nodeName"):
                raise errors.ApiError(409, "Conflict", f'pod {name} is already assigned to node '
                                      f'"{live["spec"]["nodeName"]}"', name=name)
            if live["metadata"].get("deletionTimestamp"):
                raise errors.ApiError(409, "Conflict", f"pod {name} is being deleted, cannot be assigned "
                                      f"to a host", name=name)
            if meta.get("resourceVersion") and meta["resourceVersion"] != live["metadata"].get("resourceVersion"):
                raise errors.conflict("pods", name)
            live.setdefault("spec", {})["nodeName"] = node_name
            conditions = live.setdefault("status", {}).setdefault("conditions", [])
            scheduled = {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                         "lastTransitionTime": now()}
            for i, c in enumerate(conditions):
                if c.get("type") == "PodScheduled":
                    conditions[i] = scheduled
                    break
            else:
                conditions.append(scheduled)
            return tx.update("pods", ns, name, live)

    def batch(self):
        """Run many writes in one store transaction (the scheduler binds a pass's pods
        this way): every write method called inside shares it; all commit together."""
        return _Batch(self)

    # -- events -------------------------------------------------------------
    def record_event(self, involved: dict, type_: str, reason: str, message: str,
                     component: str = "", host: str = "", field_path: str = "") -> None:
        """Create an Event, or fold it into an identical recent one (count+1),
        as the Kubernetes event recorder does."""
        meta = involved.get("metadata", {})
        ns = meta.get("namespace") or "default"
        key = f'{meta.get("uid")}|{reason}|{message}|{component}|{field_path}'
        import uuid
        name = f'{meta.get("name")}.{uuid.uuid5(uuid.NAMESPACE_OID, key).hex[:16]}'
        stamp = now()
        with self._txn() as tx:
            ev = tx.get("events", ns, name)
            if ev is not None:
                ev["count"] = ev.get("count", 1) + 1
                ev["lastTimestamp"] = stamp
                tx.update("events", ns, name, ev)
                return
            tx.create("events", ns, name, {
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": name, "namespace": ns, "uid": str(uuid.uuid4()), "creationTimestamp": stamp},
                "involvedObject": {"apiVersion": involved.get("apiVersion"), "kind": involved.get("kind"),
                                   "name": meta.get("name"), "namespace": meta.get("namespace"),
                                   "uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion"),
                                   **({"fieldPath": field_path} if field_path else {})},
                "reason": reason, "message": message, "type": type_,
                "source": {"component": component, **({"host": host} if host else {})},
                "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1,
                "reportingComponent": component, "reportingInstance": host,
            })

    def events_for(self, obj: dict) -> list[dict]:
        uid = obj["metadata"].get("uid")
        ns = obj["metadata"].get("namespace") or "default"
        items, _ = self.list(registry.lookup("events"), ns)
        evs = [e for e in items if e.get("involvedObject", {}).get("uid") == uid]
        return sorted(evs, key=lambda e: (e.get("firstTimestamp") or "", e["metadata"]["name"]))

    # -- internals ------------------------------------------------------------
    def _txn(self):
        outer = getattr(self, "_batch_tx", None)
        if outer is not None:
            return _Joined(outer)
        return _ApiTxn(self.store)

    def _dependents(self, tx, owner_uid: str, ns: str):
        for k in registry.all_kinds():
            if not k.namespaced or k.kind == "Event":
                continue
            for o in tx.list(k.resource, ns or None):
                if any(r.get("uid") == owner_uid for r in o["metadata"].get("ownerReferences") or []):
                    yield k, o

    def _has_dependents(self, tx, owner_uid: str, ns: str) -> bool:
        return any(True for _ in self._dependents(tx, owner_uid, ns))

    def _orphan_dependents(self, tx, owner_uid: str, ns: str) -> None:
        for k, o in list(self._dependents(tx, owner_uid, ns)):
            refs = [r for r in o["metadata"]["ownerReferences"] if r.get("uid") != owner_uid]
            if refs:
                o["metadata"]["ownerReferences"] = refs
            else:
                del o["metadata"]["ownerReferences"]
            tx.update(k.resource, o["metadata"]["namespace"], o["metadata"]["name"], o)

    def _allocate_service(self, tx, svc: dict, old: dict | None) -> None:
        """Cluster IPs from service_cidr() and node ports from the node-port range,
        refusing taken or out-of-range values as the API server does."""
        spec = svc.setdefault("spec", {})
        stype = spec.get("type", "ClusterIP")
        taken_ips, taken_ports = set(), set()
        for o in tx.list("services"):
            if old is not None and o["metadata"].get("uid") == old["metadata"].get("uid"):
                continue
            if svc["metadata"].get("name") == o["metadata"]["name"] and \
                    svc["metadata"].get("namespace") == o["metadata"]["namespace"]:
                continue
            s = o.get("spec", {})
            if s.get("clusterIP"):
                taken_ips.add(s["clusterIP"])
            for p in s.get("ports") or []:
                if p.get("nodePort"):
                    taken_ports.add(p["nodePort"])
        if stype == "ExternalName":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        else:
            ip = spec.get("clusterIP") or (old or {}).get("spec", {}).get("clusterIP")
            if ip and ip != "None":
                if ip in taken_ips and (old is None or old["spec"].get("clusterIP") != ip):
                    raise errors.invalid("Service", "", svc["metadata"].get("name", ""), [
                        f'spec.clusterIPs: Invalid value: []string{{"{ip}"}}: failed to allocate IP {ip}: '
                        f'provided IP is already allocated'])
            elif not ip:
                ip = self._free_ip(service_cidr(), taken_ips | {str(service_cidr().network_address + 1)},
                                   CLUSTER_IP_BAND)
            spec["clusterIP"] = ip
            spec["clusterIPs"] = [ip]
        from pkubectl.api import validation

        lo, hi = validation.NODE_PORT_RANGE = node_port_range(tx)
        for i, p in enumerate(spec.get("ports") or []):
            if not isinstance(p, dict):
                continue
            if stype in ("NodePort", "LoadBalancer"):
                np_ = p.get("nodePort")
                if np_ is None and old is not None:
                    for op in old.get("spec", {}).get("ports") or []:
                        if op.get("port") == p.get("port") and op.get("nodePort"):
                            np_ = op["nodePort"]
                if np_:
                    if not isinstance(np_, int) or not lo <= np_ <= hi:
                        raise errors.invalid("Service", "", svc["metadata"].get("name", ""), [
                            f"spec.ports[{i}].nodePort: Invalid value: {np_}: provided port is not in the "
                            f"valid range. The range of valid ports is {lo}-{hi}"])
                    if np_ in taken_ports:
                        raise errors.invalid("Service", "", svc["metadata"].get("name", ""), [
                            f"spec.ports[{i}].nodePort: Invalid value: {np_}: provided port is already allocated"])
                else:
                    np_ = pick_dynamic(lo, hi, taken_ports, static_band(hi - lo + 1, *NODE_PORT_BAND))
                    if np_ is None:
                        raise errors.ApiError(500, "InternalError", "range is full")
                p["nodePort"] = np_
                taken_ports.add(np_)
            else:
                p.pop("nodePort", None)

    @staticmethod
    def _free_ip(net, taken: set, band: tuple[int, int, int] | None = None) -> str:
        """A free host address of `net`, from above its static band when `band` is given."""
        first, hosts = int(net.network_address) + 1, net.num_addresses - 2
        import ipaddress
        taken_ints = {int(ipaddress.ip_address(ip)) for ip in taken if ip and ip != "None"}
        found = pick_dynamic(first, first + hosts - 1, taken_ints, static_band(hosts, *band) if band else 0)
        if found is None:
            raise errors.ApiError(500, "InternalError", f"no free address in {net}")
        return str(ipaddress.ip_address(found))

    def allocate_loadbalancer_ip(self) -> str:
        taken = set()
        for svc in self.list(registry.lookup("services"))[0]:
            for ing in svc.get("status", {}).get("loadBalancer", {}).get("ingress") or []:
                taken.add(ing.get("ip"))
        return self._free_ip(loadbalancer_cidr(), taken)


class _ApiTxn:
    """A store transaction whose store errors come out as API errors."""

    def __init__(self, store: st.Store):
        self._inner = store.transaction()

    def __enter__(self):
        try:
            return self._inner.__enter__()
        except st.Unavailable as e:
            raise errors.unavailable(str(e)) from None

    def __exit__(self, exc_type, exc, tb):
        try:
            return self._inner.__exit__(exc_type, exc, tb)
        except st.Unavailable as e:
            raise errors.unavailable(str(e)) from None


class _Batch:
    """Api.batch(): one outer transaction that the Api's own writes join (re-entrant)."""

    def __init__(self, api: Api):
        self.api, self.txn = api, None

    def __enter__(self):
        if getattr(self.api, "_batch_tx", None) is not None:
            return self
        self.txn = _ApiTxn(self.api.store)
        self.api._batch_tx = self.txn.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.txn is None:
            return False
        self.api._batch_tx = None
        return self.txn.__exit__(exc_type, exc, tb)


class _Joined:
    """A write inside Api.batch(): uses the outer transaction, commits nothing itself."""

    def __init__(self, tx):
        self.tx = tx

    def __enter__(self):
        return self.tx

    def __exit__(self, exc_type, exc, tb):
        return False


# -- decoding ---------------------------------------------------------------------------------
# kube-apiserver decodes a request into typed Go structs before defaulting and validation,
# so a field of the wrong type is a 400 "cannot be handled as a <Kind>", never a crash.
# pkube keeps objects as dicts: ObjectMeta (which keys the store) is checked up front, and a
# wrong type met deeper inside defaulting or validation is reported the same way.
GO_TYPES = {str: "string", dict: "map[string]string", list: "[]string", int: "int64"}
META_FIELDS = {"name": str, "generateName": str, "namespace": str, "uid": str, "resourceVersion": str,
               "labels": dict, "annotations": dict, "finalizers": list, "ownerReferences": list,
               "generation": int, "creationTimestamp": (str, type(None)), "deletionTimestamp": (str, type(None))}
JSON_TYPES = {str: "string", bool: "bool", int: "number", float: "number", list: "array", dict: "object"}


def _cannot_handle(kind: Kind, why: str) -> errors.ApiError:
    return errors.bad_request(f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: {why}')


def _unmarshal(value, field: str, go_type: str) -> str:
    got = JSON_TYPES.get(type(value), "value")
    return f"json: cannot unmarshal {got} into Go struct field {field} of type {go_type}"


def _check_decodable(kind: Kind, obj: dict) -> None:
    for key in ("apiVersion", "kind"):
        if not isinstance(obj.get(key, ""), str):
            raise _cannot_handle(kind, _unmarshal(obj[key], f".{key}", "string"))
    meta = obj.get("metadata") or {}
    for key, want in META_FIELDS.items():
        value = meta.get(key)
        if value is None or isinstance(value, want) and not isinstance(value, bool):
            continue
        go = GO_TYPES.get(want if isinstance(want, type) else str, "string")
        if key == "ownerReferences":
            go = "[]v1.OwnerReference"
        raise _cannot_handle(kind, _unmarshal(value, f"ObjectMeta.metadata.{key}", go))
    for key in ("labels", "annotations"):
        for k, v in (meta.get(key) or {}).items():
            if not isinstance(v, str):
                raise _cannot_handle(kind, _unmarshal(v, f"ObjectMeta.metadata.{key}", "string"))
    for f in meta.get("finalizers") or []:
        if not isinstance(f, str):
            raise _cannot_handle(kind, _unmarshal(f, "ObjectMeta.metadata.finalizers", "string"))
    for ref in meta.get("ownerReferences") or []:
        if not isinstance(ref, dict):
            raise _cannot_handle(kind, _unmarshal(ref, "ObjectMeta.metadata.ownerReferences",
                                                  "v1.OwnerReference"))


def _check_types(kind: Kind, obj: dict) -> None:
    """The typed-decoding check (pkubectl.api.decode), run after validation so that the
    fields validation explains (e.g. `containerPort: PORT` -> Invalid value) keep its words."""
    from pkubectl.api import decode

    why = decode.error(kind.kind, obj)
    if why:
        raise _cannot_handle(kind, why)


class _decoding:
    """Defaulting and validation assume decodable input; a value of the wrong type deep
    inside an object surfaces as a Python error, turned here into the apiserver's 400
    (with decode's field path when it can name the field)."""

    def __init__(self, kind: Kind, obj: dict):
        self.kind, self.obj = kind, obj

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, (TypeError, AttributeError, KeyError, IndexError,
                                                          ValueError, OverflowError)) \
                and not issubclass(exc_type, errors.ApiError):
            from pkubectl.api import decode

            why = decode.error(self.kind.kind, self.obj) or (
                "a field has a value of the wrong type (json: cannot unmarshal it into its Go struct field)")
            raise _cannot_handle(self.kind, why) from None
        return False


def _awaits_kubelet(kind: Kind, obj: dict) -> bool:
    """A pod bound to a node whose containers may be running is removed by its
    kubelet after it stopped them; any other object goes at once."""
    if kind.kind != "Pod":
        return False
    if not obj.get("spec", {}).get("nodeName"):
        return False
    return obj.get("status", {}).get("phase") not in ("Succeeded", "Failed") or \
        any("running" in (c.get("state") or {}) for c in obj.get("status", {}).get("containerStatuses") or [])


def _qos_class(pod: dict) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    if not isinstance(containers, list):
        return "BestEffort"
    any_set, guaranteed = False, bool(containers)
    for c in containers:
        if not isinstance(c, dict):
            continue
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and req[r] != lim[r]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def dump_compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)


