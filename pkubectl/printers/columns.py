"""Table cells for `get`, one small function per cell name used in the registry.

The server prints tables in Kubernetes (pkg/printers/internalversion); these are the
same rules. `CELLS[name](obj, now) -> str`.
"""
from __future__ import annotations

import time

from pkubectl.printers.age import age, human_duration, parse_rfc3339

NONE = "<none>"


def _meta(o):
    return o.get("metadata") or {}


def _spec(o):
    return o.get("spec") or {}


def _status(o):
    return o.get("status") or {}


def _labels_text(labels: dict | None) -> str:
    if not labels:
        return NONE
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_text(sel: dict | None) -> str:
    """LabelSelector in kubectl's form: `a=b,c in (x,y),!d`."""
    if not sel:
        return NONE
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        op, key, vals = e.get("operator"), e.get("key"), sorted(e.get("values") or [])
        parts.append({"In": f"{key} in ({','.join(vals)})", "NotIn": f"{key} notin ({','.join(vals)})",
                      "Exists": key, "DoesNotExist": f"!{key}"}.get(op, key))
    return ",".join(parts) or NONE


def _template_containers(o):
    spec = _spec(o)
    tmpl = spec.get("template") or (spec.get("jobTemplate") or {}).get("spec", {}).get("template") or {}
    return (tmpl.get("spec") or {}).get("containers") or []


def name(o, now):
    return _meta(o).get("name", "")


def age_cell(o, now):
    return age(_meta(o).get("creationTimestamp"), now)


def containers(o, now):
    return ",".join(c.get("name", "") for c in _template_containers(o))


def images(o, now):
    return ",".join(c.get("image", "") for c in _template_containers(o))


def selector(o, now):
    return selector_text(_spec(o).get("selector"))


# -- Pod ---------------------------------------------------------------------
def pod_summary(pod: dict) -> tuple[str, str, str]:
    """(READY, STATUS, RESTARTS) exactly as kubectl computes them (printers.go printPod)."""
    spec, status = _spec(pod), _status(pod)
    containers_ = spec.get("containers") or []
    init_specs = spec.get("initContainers") or []
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    total = len(containers_) + len(sidecars)
    ready = restarts = 0
    last_restart = None
    reason = status.get("reason") or status.get("phase") or "Pending"
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    def note_restart(cs):
        nonlocal last_restart
        fin = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        t = parse_rfc3339(fin) if fin else None
        if t and (last_restart is None or t > last_restart):
            last_restart = t

    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, cs in enumerate(init_statuses):
        restarts += cs.get("restartCount", 0)
        note_restart(cs)
        state = cs.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        if cs.get("name") in sidecars and state.get("running"):
            if cs.get("ready"):
                ready += 1
            continue
        if term:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode')}"
        elif wait and wait.get("reason") and wait.get("reason") != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True"
                      for c in status.get("conditions") or [])
    if not initializing or initialized:
        restarts = sum(cs.get("restartCount", 0) for cs in init_statuses if cs.get("name") in sidecars)
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += cs.get("restartCount", 0)
            note_restart(cs)
            state = cs.get("state") or {}
            wait, term = state.get("waiting"), state.get("terminated")
            if wait and wait.get("reason"):
                reason = wait["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode')}"
            elif cs.get("ready") and state.get("running"):
                has_running = True
                ready += 1
            elif state.get("running"):
                has_running = True
        if reason == "Completed" and has_running:
            pod_ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                            for c in status.get("conditions") or [])
            reason = "Running" if pod_ready else "NotReady"
    if _meta(pod).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration(time.time() - last_restart)} ago)"
    return f"{ready}/{total}", reason, restarts_text


_last_summary: tuple = (None, None)


def _summary(pod: dict) -> tuple[str, str, str]:
    """pod_summary for the three cells of one row, computed once per row."""
    global _last_summary
    if _last_summary[0] is not pod:
        _last_summary = (pod, pod_summary(pod))
    return _last_summary[1]


def pod_ready(o, now):
    return _summary(o)[0]


def pod_status(o, now):
    return _summary(o)[1]


def pod_restarts(o, now):
    return _summary(o)[2]


def pod_ip(o, now):
    ips = _status(o).get("podIPs") or []
    return (ips[0].get("ip") if ips else _status(o).get("podIP")) or NONE


def pod_node(o, now):
    return _spec(o).get("nodeName") or NONE


def pod_nominated(o, now):
    return _status(o).get("nominatedNodeName") or NONE


def pod_gates(o, now):
    gates = _spec(o).get("readinessGates") or []
    if not gates:
        return NONE
    conds = {c.get("type"): c.get("status") for c in _status(o).get("conditions") or []}
    return f"{sum(1 for g in gates if conds.get(g.get('conditionType')) == 'True')}/{len(gates)}"


# -- workloads -----------------------------------------------------------------
def ready_of_replicas(o, now):
    return f"{_status(o).get('readyReplicas', 0)}/{_spec(o).get('replicas', 0)}"


def updated_replicas(o, now):
    return str(_status(o).get("updatedReplicas", 0))


def available_replicas(o, now):
    return str(_status(o).get("availableReplicas", 0))


def spec_replicas(o, now):
    return str(_spec(o).get("replicas", 0))


def status_replicas(o, now):
    return str(_status(o).get("replicas", 0))


def ready_replicas(o, now):
    return str(_status(o).get("readyReplicas", 0))


def ds_desired(o, now):
    return str(_status(o).get("desiredNumberScheduled", 0))


def ds_current(o, now):
    return str(_status(o).get("currentNumberScheduled", 0))


def ds_ready(o, now):
    return str(_status(o).get("numberReady", 0))


def ds_updated(o, now):
    return str(_status(o).get("updatedNumberScheduled", 0))


def ds_available(o, now):
    return str(_status(o).get("numberAvailable", 0))


def ds_node_selector(o, now):
    sel = ((_spec(o).get("template") or {}).get("spec") or {}).get("nodeSelector")
    return _labels_text(sel)


def job_status(o, now):
    conds = {c.get("type") for c in _status(o).get("conditions") or [] if c.get("status") == "True"}
    for t, text in (("Complete", "Complete"), ("Failed", "Failed")):
        if t in conds:
            return text
    if _meta(o).get("deletionTimestamp"):
        return "Terminating"
    if "Suspended" in conds:
        return "Suspended"
    if "FailureTarget" in conds:
        return "FailureTarget"
    return "Running"


def job_completions(o, now):
    spec, succeeded = _spec(o), _status(o).get("succeeded", 0)
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    par = spec.get("parallelism", 1)
    return f"{succeeded}/1 of {par}" if par and par > 1 else f"{succeeded}/1"


def job_duration(o, now):
    start = parse_rfc3339(_status(o).get("startTime") or "")
    if start is None:
        return ""
    end = parse_rfc3339(_status(o).get("completionTime") or "") or (now or time.time())
    return human_duration(end - start)


def cj_schedule(o, now):
    return _spec(o).get("schedule", "")


def cj_timezone(o, now):
    return _spec(o).get("timeZone") or NONE


def cj_suspend(o, now):
    return "True" if _spec(o).get("suspend") else "False"


def cj_active(o, now):
    return str(len(_status(o).get("active") or []))


def cj_last_schedule(o, now):
    t = _status(o).get("lastScheduleTime")
    return age(t, now) if t else NONE


def cr_controller(o, now):
    refs = [r for r in _meta(o).get("ownerReferences") or [] if r.get("controller")]
    if not refs:
        return NONE
    r = refs[0]
    group = r.get("apiVersion", "").split("/")[0] if "/" in r.get("apiVersion", "") else ""
    return f"{r.get('kind', '').lower()}{'.' + group if group else ''}/{r.get('name')}"


def cr_revision(o, now):
    return str(o.get("revision", 0))


# -- HPA -----------------------------------------------------------------------
def hpa_reference(o, now):
    ref = _spec(o).get("scaleTargetRef") or {}
    return f"{ref.get('kind')}/{ref.get('name')}"


def hpa_targets(o, now):
    metrics = _spec(o).get("metrics") or []
    current = _status(o).get("currentMetrics") or []
    if not metrics:
        return NONE
    cells = []
    for i, m in enumerate(metrics):
        if m.get("type") != "Resource":
            cells.append(f"{m.get('type', '').lower()}: <unknown>")
            continue
        res = m.get("resource") or {}
        target = res.get("target") or {}
        cur = None
        for c in current:
            if c.get("type") == "Resource" and (c.get("resource") or {}).get("name") == res.get("name"):
                cur = (c.get("resource") or {}).get("current") or {}
        if target.get("type") == "Utilization":
            have = f"{cur['averageUtilization']}%" if cur and cur.get("averageUtilization") is not None \
                else "<unknown>"
            cells.append(f"{res.get('name')}: {have}/{target.get('averageUtilization')}%")
        else:
            want = target.get("averageValue") or target.get("value")
            have = (cur or {}).get("averageValue") or "<unknown>"
            cells.append(f"{res.get('name')}: {have}/{want}")
    if len(cells) > 2:
        return ", ".join(cells[:2]) + f" + {len(cells) - 2} more..."
    return ", ".join(cells)


def hpa_minpods(o, now):
    v = _spec(o).get("minReplicas")
    return str(v) if v is not None else "<unset>"


def hpa_maxpods(o, now):
    return str(_spec(o).get("maxReplicas", 0))


def hpa_replicas(o, now):
    return str(_status(o).get("currentReplicas", 0))


# -- Service, Endpoints ------------------------------------------------------------
def svc_type(o, now):
    return _spec(o).get("type", "ClusterIP")


def svc_cluster_ip(o, now):
    spec = _spec(o)
    if spec.get("type") == "ExternalName":
        return NONE
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return ips[0] if ips else NONE


def _external_ips(o, wide: bool) -> str:
    spec = _spec(o)
    t = spec.get("type", "ClusterIP")
    ext = list(spec.get("externalIPs") or [])
    if t in ("ClusterIP", "NodePort"):
        return ",".join(ext) if ext else NONE
    if t == "ExternalName":
        return spec.get("externalName", "")
    if t == "LoadBalancer":
        ingress = [i.get("ip") or i.get("hostname") for i in _status(o).get("loadBalancer", {}).get("ingress") or []]
        all_ = ingress + ext
        if not all_:
            return "<pending>"
        text = ",".join(all_)
        if not wide and len(text) > 16:
            return text[:13] + "..."
        return text
    return NONE


def svc_external_ip(o, now):
    return _external_ips(o, False)


def svc_ports(o, now):
    parts = []
    for p in _spec(o).get("ports") or []:
        proto = p.get("protocol", "TCP")
        if p.get("nodePort"):
            parts.append(f"{p.get('port')}:{p['nodePort']}/{proto}")
        else:
            parts.append(f"{p.get('port')}/{proto}")
    return ",".join(parts) if parts else NONE


def svc_selector(o, now):
    return _labels_text(_spec(o).get("selector"))


def endpoints(o, now):
    """formatEndpoints: per subset, port by port, each ready address; `<none>` only when
    there are no subsets (a subset of not-ready addresses only shows an empty cell)."""
    addrs = []
    for subset in o.get("subsets") or []:
        ports = subset.get("ports") or []
        if not ports:
            addrs += [a.get("ip") for a in subset.get("addresses") or []]
        for p in ports:
            addrs += [f"[{a.get('ip')}]:{p.get('port')}" if ":" in (a.get("ip") or "") else
                      f"{a.get('ip')}:{p.get('port')}" for a in subset.get("addresses") or []]
    if not o.get("subsets"):
        return NONE
    if len(addrs) > 3:
        return ",".join(addrs[:3]) + f" + {len(addrs) - 3} more..."
    return ",".join(addrs)


def eps_address_type(o, now):
    return o.get("addressType", "IPv4")


def eps_ports(o, now):
    ports = [str(p.get("port")) for p in o.get("ports") or [] if p.get("port") is not None]
    return ",".join(ports) if ports else "<unset>"


def eps_endpoints(o, now):
    addrs = [a for e in o.get("endpoints") or [] for a in e.get("addresses") or []]
    if not addrs:
        return "<unset>"
    if len(addrs) > 3:
        return ",".join(addrs[:3]) + f" + {len(addrs) - 3} more..."
    return ",".join(addrs)


# -- Node, Namespace, misc ------------------------------------------------------------
def node_status(o, now):
    ready = [c for c in _status(o).get("conditions") or [] if c.get("type") == "Ready"]
    text = "Unknown" if not ready else ("Ready" if ready[0].get("status") == "True" else "NotReady")
    if _spec(o).get("unschedulable"):
        text += ",SchedulingDisabled"
    return text


def node_roles(o, now):
    roles = set()
    for k, v in (_meta(o).get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/") and k.split("/", 1)[1]:
            roles.add(k.split("/", 1)[1])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return ",".join(sorted(roles)) or NONE


def node_version(o, now):
    return (_status(o).get("nodeInfo") or {}).get("kubeletVersion", "")


def _node_addr(o, t):
    for a in _status(o).get("addresses") or []:
        if a.get("type") == t:
            return a.get("address")
    return NONE


def node_internal_ip(o, now):
    return _node_addr(o, "InternalIP")


def node_external_ip(o, now):
    return _node_addr(o, "ExternalIP")


def node_os_image(o, now):
    return (_status(o).get("nodeInfo") or {}).get("osImage") or "<unknown>"


def node_kernel(o, now):
    return (_status(o).get("nodeInfo") or {}).get("kernelVersion") or "<unknown>"


def node_runtime(o, now):
    return (_status(o).get("nodeInfo") or {}).get("containerRuntimeVersion") or "<unknown>"


def namespace_status(o, now):
    return _status(o).get("phase", "Active")


def configmap_data(o, now):
    return str(len(o.get("data") or {}) + len(o.get("binaryData") or {}))


def secret_type(o, now):
    return o.get("type", "Opaque")


def secret_data(o, now):
    return str(len(o.get("data") or {}))


def sa_secrets(o, now):
    return str(len(o.get("secrets") or []))


def lease_holder(o, now):
    return _spec(o).get("holderIdentity") or ""


# -- Event -----------------------------------------------------------------------
def _event_time(o, first: bool):
    if first:
        return o.get("firstTimestamp") or o.get("eventTime") or _meta(o).get("creationTimestamp")
    return o.get("lastTimestamp") or o.get("firstTimestamp") or o.get("eventTime")


def event_last_seen(o, now):
    return age(_event_time(o, False), now)


def event_first_seen(o, now):
    return age(_event_time(o, True), now)


def event_type(o, now):
    return o.get("type", "")


def event_reason(o, now):
    return o.get("reason", "")


def event_object(o, now):
    io = o.get("involvedObject") or {}
    return f"{(io.get('kind') or '').lower()}/{io.get('name')}"


def event_subobject(o, now):
    return (o.get("involvedObject") or {}).get("fieldPath", "")


def event_source(o, now):
    src = o.get("source") or {}
    comp = src.get("component") or o.get("reportingComponent") or ""
    return f"{comp}, {src['host']}" if src.get("host") else comp


def event_message(o, now):
    return (o.get("message") or "").strip()


def event_count(o, now):
    return str(o.get("count", 1))


CELLS = {fn.__name__: fn for fn in list(globals().values())
         if callable(fn) and getattr(fn, "__module__", None) == __name__
         and fn.__code__.co_varnames[:2] == ("o", "now")}
CELLS["age"] = age_cell
