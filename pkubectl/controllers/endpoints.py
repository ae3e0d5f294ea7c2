"""Endpoints and EndpointSlice controllers: which pod addresses stand behind each Service.

For every Service with a selector (pkg/controller/endpoint and pkg/controller/endpointslice):

- the pods of its namespace that match the selector and have an IP; finished pods never
  count, pods being deleted are left out unless `publishNotReadyAddresses` is set;
- each service port's targetPort is resolved per pod (podutil.FindPort): a number is taken
  as is, a name is looked up in the pod's containerPorts (with the same protocol) and a pod
  without that named port is skipped for that port only;
- the Endpoints object named like the Service lists Ready pods under `addresses` and the
  others under `notReadyAddresses` (all under `addresses` with publishNotReadyAddresses),
  repacked so that addresses with the same ports share one subset;
- EndpointSlices `<svc>-<5 random>` (one per distinct port set, 100 endpoints at most),
  labelled kubernetes.io/service-name and managed-by endpointslice-controller.k8s.io and
  owned by the Service; terminating pods stay in slices with ready=false, terminating=true,
  as Kubernetes publishes them.

Services without a selector are left alone: their Endpoints are the user's. Endpoints this
controller made carry `endpoints.kubernetes.io/managed-by: endpoint-controller` (as in
Kubernetes 1.33+) so that when their Service goes they can be told apart from a user's.
Writes happen only when the content differs, so a quiet cluster sees no churn.
"""
from __future__ import annotations

from pkubectl.api import errors, registry, selectors
from pkubectl.controllers import common

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
SLICE_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
SLICE_CONTROLLER = "endpointslice-controller.k8s.io"
ENDPOINTS_MANAGED_BY = "endpoints.kubernetes.io/managed-by"
ENDPOINTS_CONTROLLER = "endpoint-controller"
HEADLESS_LABEL = "service.kubernetes.io/headless"
MAX_ENDPOINTS_PER_SLICE = 100


# -- what the pods say -------------------------------------------------------------------------
def pod_ip(pod: dict) -> str:
    st = pod.get("status") or {}
    return st.get("podIP") or ((st.get("podIPs") or [{}])[0].get("ip") or "")


def find_port(pod: dict, service_port: dict) -> int | None:
    """podutil.FindPort: the container port a service port's targetPort names, or None."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    text = str(target)
    if text.isdigit():
        return int(text)
    protocol = service_port.get("protocol") or "TCP"
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == text and (p.get("protocol") or "TCP") == protocol:
                return p.get("containerPort")
    return None


def _in_endpoints(pod: dict, include_terminating: bool) -> bool:
    """endpointsliceutil.ShouldPodBeInEndpoints."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    if not pod_ip(pod):
        return False
    return include_terminating or not common.being_deleted(pod)


def _target_ref(pod: dict) -> dict:
    m = pod["metadata"]
    return {"kind": "Pod", "name": m["name"], "namespace": m.get("namespace", ""), "uid": m.get("uid", "")}


def _hostname(pod: dict, svc: dict) -> str | None:
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"]:
        return spec["hostname"]
    return None


def selected_pods(svc: dict, ns_pods: list) -> list:
    sel = (svc.get("spec") or {}).get("selector") or {}
    selector = selectors.from_label_selector({"matchLabels": sel})
    return [p for p in ns_pods if selector.matches(common.labels_of(p))]


# -- Endpoints ---------------------------------------------------------------------------------
def _port_key(p: dict) -> tuple:
    return (p.get("name") or "", p.get("port"), p.get("protocol") or "TCP")


def desired_subsets(svc: dict, pods: list) -> list:
    """The Endpoints subsets for these pods, repacked (endpoints.RepackSubsets) and sorted."""
    spec = svc.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
    headless = spec.get("clusterIP") == "None"
    # address identity -> (address dict, ready, {port keys})
    found: dict[str, list] = {}
    for pod in pods:
        if not _in_endpoints(pod, publish):
            continue
        addr = {"ip": pod_ip(pod)}
        hostname = _hostname(pod, svc)
        if hostname:
            addr["hostname"] = hostname
        if (pod.get("spec") or {}).get("nodeName"):
            addr["nodeName"] = pod["spec"]["nodeName"]
        addr["targetRef"] = _target_ref(pod)
        ready = publish or common.pod_ready(pod)
        if not ports and headless:
            found[addr["ip"] + "/" + addr["targetRef"]["uid"]] = [addr, ready, frozenset()]
            continue
        keys = set()
        for sp in ports:
            num = find_port(pod, sp)
            if num is None:
                continue
            entry = {"port": num, "protocol": sp.get("protocol") or "TCP"}
            if sp.get("name"):
                entry = {"name": sp["name"], **entry}
            keys.add(tuple(sorted(entry.items())))
        if keys:
            found[addr["ip"] + "/" + addr["targetRef"]["uid"]] = [addr, ready, frozenset(keys)]
    groups: dict[frozenset, dict] = {}
    for addr, ready, keys in found.values():
        g = groups.setdefault(keys, {"addresses": [], "notReadyAddresses": []})
        g["addresses" if ready else "notReadyAddresses"].append(addr)
    subsets = []
    for keys, g in groups.items():
        subset: dict = {}
        for field in ("addresses", "notReadyAddresses"):
            if g[field]:
                subset[field] = sorted(g[field], key=lambda a: (a["ip"], a["targetRef"]["uid"]))
        ports_list = sorted((dict(k) for k in keys), key=_port_key)
        if ports_list:
            subset["ports"] = ports_list
        subsets.append(subset)
    subsets.sort(key=lambda s: ([_port_key(p) for p in s.get("ports", [])],
                                [a["ip"] for a in s.get("addresses", []) + s.get("notReadyAddresses", [])]))
    return subsets


def _endpoints_labels(svc: dict) -> dict:
    labels = dict(common.labels_of(svc))
    if (svc.get("spec") or {}).get("clusterIP") == "None":
        labels[HEADLESS_LABEL] = ""
    labels[ENDPOINTS_MANAGED_BY] = ENDPOINTS_CONTROLLER
    return labels


def sync_endpoints(api, svc: dict, pods: list, current: dict | None) -> int:
    subsets = desired_subsets(svc, pods)
    labels = _endpoints_labels(svc)
    meta = svc["metadata"]
    if current is None:
        obj = {"apiVersion": "v1", "kind": "Endpoints",
               "metadata": {"name": meta["name"], "namespace": meta["namespace"], "labels": labels}}
        if subsets:
            obj["subsets"] = subsets
        return 1 if common.tolerant(api.create, obj) is not None else 0
    if (current.get("subsets") or []) == subsets and common.labels_of(current) == labels:
        return 0
    new = dict(current)
    new["metadata"] = dict(current["metadata"], labels=labels)
    if subsets:
        new["subsets"] = subsets
    else:
        new.pop("subsets", None)
    return 1 if common.tolerant(api.update, new) is not None else 0


# -- EndpointSlices ----------------------------------------------------------------------------
def desired_slices(svc: dict, pods: list) -> list:
    """[(ports, endpoints)] — one group per distinct resolved port set, chunked by 100."""
    spec = svc.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
    groups: dict[tuple, list] = {}
    for pod in sorted(pods, key=lambda p: (pod_ip(p), p["metadata"]["name"])):
        if not _in_endpoints(pod, True):
            continue
        resolved = []
        for sp in ports:
            num = find_port(pod, sp)
            if num is None:
                continue
            resolved.append({"name": sp.get("name") or "", "port": num, "protocol": sp.get("protocol") or "TCP"})
        if ports and not resolved:
            continue
        serving = common.pod_ready(pod)
        terminating = common.being_deleted(pod)
        ready = (publish or serving) and (publish or not terminating)
        ep = {"addresses": [pod_ip(pod)],
              "conditions": {"ready": ready, "serving": serving, "terminating": terminating}}
        hostname = _hostname(pod, svc)
        if hostname:
            ep["hostname"] = hostname
        if (pod.get("spec") or {}).get("nodeName"):
            ep["nodeName"] = pod["spec"]["nodeName"]
        ep["targetRef"] = _target_ref(pod)
        key = tuple(tuple(sorted(p.items())) for p in resolved)
        groups.setdefault(key, []).append(ep)
    out = []
    for key, eps in groups.items():
        port_list = [dict(k) for k in key]
        for i in range(0, len(eps), MAX_ENDPOINTS_PER_SLICE):
            out.append((port_list, eps[i:i + MAX_ENDPOINTS_PER_SLICE]))
    if not out:
        out.append(([], []))  # Kubernetes keeps a placeholder slice for a Service with no endpoints
    return out


def _slice_labels(svc: dict) -> dict:
    labels = {k: v for k, v in common.labels_of(svc).items()
              if k not in (SERVICE_NAME_LABEL, SLICE_MANAGED_BY)}
    if (svc.get("spec") or {}).get("clusterIP") == "None":
        labels[HEADLESS_LABEL] = ""
    labels[SERVICE_NAME_LABEL] = svc["metadata"]["name"]
    labels[SLICE_MANAGED_BY] = SLICE_CONTROLLER
    return labels


def _slice_body(ports: list, eps: list) -> dict:
    return {"addressType": "IPv4", "endpoints": eps, "ports": ports}


def sync_slices(api, svc: dict, pods: list, current: list) -> int:
    kind = registry.by_kind("EndpointSlice")
    labels = _slice_labels(svc)
    wanted = [_slice_body(ports, eps) for ports, eps in desired_slices(svc, pods)]
    writes = 0
    unmatched = []
    remaining = list(wanted)
    # Keep slices whose content is already wanted; reuse the others for what is left.
    for s in current:
        body = {"addressType": s.get("addressType"), "endpoints": s.get("endpoints") or [],
                "ports": s.get("ports") or []}
        if body in remaining and common.labels_of(s) == labels and common.is_controlled_by(s, svc):
            remaining.remove(body)
        else:
            unmatched.append(s)
    for body in remaining:
        if unmatched:
            s = unmatched.pop(0)
            new = dict(s, **body)
            new["metadata"] = dict(s["metadata"], labels=labels,
                                   ownerReferences=[common.controller_ref_to(svc)])
            writes += 1 if common.tolerant(api.update, new) is not None else 0
        else:
            obj = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                   "metadata": {"generateName": svc["metadata"]["name"] + "-",
                                "namespace": svc["metadata"]["namespace"], "labels": labels,
                                "ownerReferences": [common.controller_ref_to(svc)]}, **body}
            writes += 1 if common.tolerant(api.create, obj) is not None else 0
    for s in unmatched:
        writes += _delete(api, kind, s)
    return writes


def _delete(api, kind, obj: dict) -> int:
    try:
        api.delete(kind, obj["metadata"].get("namespace"), obj["metadata"]["name"])
        return 1
    except errors.ApiError as e:
        if e.code == 404:
            return 0
        raise


# -- the pass ----------------------------------------------------------------------------------
def sync(api) -> int:
    svc_kind, ep_kind = registry.by_kind("Service"), registry.by_kind("Endpoints")
    slice_kind, pod_kind = registry.by_kind("EndpointSlice"), registry.by_kind("Pod")
    services = {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in api.list(svc_kind, None)[0]}
    endpoints = {(e["metadata"]["namespace"], e["metadata"]["name"]): e for e in api.list(ep_kind, None)[0]}
    slices: dict[tuple, list] = {}
    for s in api.list(slice_kind, None)[0]:
        labels = common.labels_of(s)
        if labels.get(SLICE_MANAGED_BY) != SLICE_CONTROLLER or SERVICE_NAME_LABEL not in labels:
            continue  # a user's (or another controller's) slice
        slices.setdefault((s["metadata"]["namespace"], labels[SERVICE_NAME_LABEL]), []).append(s)
    selected = [s for s in services.values()
                if (s.get("spec") or {}).get("selector") and not common.being_deleted(s)]
    pods_by_ns: dict[str, list] = {}
    if selected:
        for p in api.list(pod_kind, None)[0]:
            pods_by_ns.setdefault(p["metadata"].get("namespace", ""), []).append(p)
    writes = 0
    for svc in selected:
        key = (svc["metadata"]["namespace"], svc["metadata"]["name"])
        try:
            pods = selected_pods(svc, pods_by_ns.get(key[0], []))
            writes += sync_endpoints(api, svc, pods, endpoints.get(key))
            writes += sync_slices(api, svc, pods, slices.pop(key, []))
        except errors.ApiError as e:
            if e.reason not in common.RETRY_LATER:
                raise
    wanted = {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in selected}
    for key, ep in endpoints.items():
        if key in wanted or common.labels_of(ep).get(ENDPOINTS_MANAGED_BY) != ENDPOINTS_CONTROLLER:
            continue
        if key in services and not (services[key].get("spec") or {}).get("selector") \
                and not common.being_deleted(services[key]):
            continue  # the selector was dropped: Kubernetes leaves what is there to the user
        writes += _delete(api, ep_kind, ep)
    for key, leftover in slices.items():
        for s in leftover:  # their Service is gone or lost its selector
            writes += _delete(api, slice_kind, s)
    return writes
