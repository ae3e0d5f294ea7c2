"""`kubectl describe` text, one function per kind (k8s.io/kubectl/pkg/describe).

Every describer writes through a PrefixWriter into one Go tabwriter (minwidth 0,
tabwidth 8, padding 2) exactly as kubectl does, so the alignment quirks match: a line
without a tab ends an aligned block, and the Events table is flushed on its own.

    describe(kind, obj, related, show_events=True) -> str

`related` is anything with `list(kind_name, namespace, selector=None)`,
`try_get(kind_name, namespace, name)` and `events_for(obj)` (the CLI passes an adapter
over the Api), so this module reads other objects without knowing where they live.
Kinds without a describer get the generic one (kubectl's genericDescriber).
"""
from __future__ import annotations

import re
import time
from datetime import datetime

from pkubectl.printers.age import human_duration, parse_rfc3339
from pkubectl.printers.columns import selector_text
from pkubectl.printers.tabwriter import describe_writer

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_ANNOTATION_LEN = 140
NONE = "<none>"


class RawWriter:
    """A tabwriter stand-in that keeps tabs as they are (`rollout history --revision`
    prints a pod template that way)."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> None:
        self._parts.append(text)

    def flush(self) -> str:
        text, self._parts = "".join(self._parts), []
        return text


class PrefixWriter:
    """kubectl's prefixWriter: `write(level, text)` with two spaces per level, into the
    describe tabwriter (aligned) or a RawWriter."""

    def __init__(self, aligned: bool = True) -> None:
        self.tw = describe_writer() if aligned else RawWriter()
        self._out: list[str] = []

    def write(self, level: int, text: str) -> None:
        self.tw.write("  " * level + text)

    def line(self, text: str = "") -> None:
        self.tw.write(text + "\n")

    def flush(self) -> None:
        self._out.append(self.tw.flush())

    def text(self) -> str:
        self.flush()
        return "".join(self._out)


# -- small formatting helpers -----------------------------------------------------
def rfc1123z(ts: str | None) -> str:
    """Go's time.RFC1123Z in local time (metav1.Time unmarshals to Local)."""
    t = parse_rfc3339(ts) if ts else None
    if t is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    return datetime.fromtimestamp(t).astimezone().strftime("%a, %d %b %Y %H:%M:%S %z")


def since(ts: str | None, now: float | None = None) -> str:
    t = parse_rfc3339(ts) if ts else None
    if t is None:
        return "<unknown>"
    return human_duration((now or time.time()) - t)


def go_bool(v) -> str:
    return "true" if v else "false"


def title_bool(v) -> str:
    return "True" if v else "False"


def int_or_str(v) -> str:
    return str(v) if v is not None else ""


def labels_line(labels: dict | None) -> str:
    """labels.FormatLabels: sorted `k=v` joined by `,`, `<none>` when empty."""
    if not labels:
        return NONE
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def print_list(w: PrefixWriter, title: str, items: list[str], initial: str = "") -> None:
    """`Title:\tfirst` then `\tnext` per line (`<none>` when empty): labels, annotations,
    taints and tolerations all print this way."""
    w.write(0, f"{initial}{title}:\t")
    if not items:
        w.line(NONE)
        return
    for i, it in enumerate(items):
        if i:
            w.write(0, initial + "\t")
        w.write(0, it + "\n")


def print_labels(w: PrefixWriter, title: str, labels: dict | None, initial: str = "") -> None:
    print_list(w, title, [f"{k}={labels[k]}" for k in sorted(labels or {})], initial)


def annotation_text(key: str, value: str) -> str:
    """`key: value`, or, when long or multi-line, the key then each line indented and cut."""
    if value.endswith("\n"):
        value = value[:-1]
    if len(value) + len(key) + 2 <= MAX_ANNOTATION_LEN and "\n" not in value:
        return f"{key}: {value}"
    cut = MAX_ANNOTATION_LEN - 2
    return f"{key}:" + "".join(f"\n\t  {s[:cut] + '...' if len(s) > cut else s}" for s in value.split("\n"))


def print_annotations(w: PrefixWriter, title: str, annotations: dict | None) -> None:
    keys = sorted(k for k in (annotations or {}) if k != LAST_APPLIED)
    print_list(w, title, [annotation_text(k, str(annotations[k])) for k in keys])


def toleration_text(t: dict) -> str:
    s = t.get("key", "")
    if t.get("value"):
        s += "=" + t["value"]
    if t.get("effect"):
        s += ":" + t["effect"]
    if t.get("operator") == "Exists" and not t.get("value"):
        s += " op=Exists" if (t.get("key") or t.get("effect")) else "op=Exists"
    if t.get("tolerationSeconds") is not None:
        s += f" for {t['tolerationSeconds']}s"
    return s


def print_tolerations(w: PrefixWriter, title: str, tolerations: list | None) -> None:
    items = sorted(tolerations or [], key=lambda t: t.get("key", ""))
    print_list(w, title, [toleration_text(t) for t in items])


def taint_text(t: dict) -> str:
    v = f"={t['value']}" if t.get("value") else ""
    return f"{t.get('key', '')}{v}:{t.get('effect', '')}"


def controlled_by(obj: dict) -> str:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return ""


def quantity_text(v) -> str:
    from pkubectl.api import quantity
    try:
        return quantity.canonicalize(v)
    except Exception:  # noqa: BLE001 - show what is stored rather than fail
        return str(v)


def selector_string(sel: dict | None) -> str:
    """labels.Selector.String() of a LabelSelector: empty for an empty selector."""
    text = selector_text(sel)
    return "" if text == NONE else text


def is_set(value) -> bool:
    """For pointer fields kubectl prints whenever they are set, 0 and false included."""
    return value is not None


def optional_rows(w: PrefixWriter, source: dict, rows, level: int = 0, present=bool) -> None:
    """`Title:\tvalue` for each (title, key[, format]) whose source[key] is present: set and
    non-empty by default (kubectl's `if x != ""`), or `present=is_set` for pointers."""
    for title, key, *fmt in rows:
        value = source.get(key)
        if present(value):
            w.write(level, f"{title}:\t{fmt[0](value) if fmt else value}\n")


def seconds(value) -> str:
    return f"{value}s"


def or_unset(value, fmt=str) -> str:
    return "<unset>" if value is None else fmt(value)


def joined(values) -> str:
    return ",".join(values)


def table_header(w: PrefixWriter, level: int, *columns: str) -> None:
    """A table's column titles and their dashes underneath."""
    w.write(level, "\t".join(columns) + "\n")
    w.write(level, "\t".join("-" * len(c) for c in columns) + "\n")


def controlled_by_row(w: PrefixWriter, obj: dict) -> None:
    owner = controlled_by(obj)
    if owner:
        w.write(0, f"Controlled By:\t{owner}\n")


# -- shared blocks ----------------------------------------------------------------
def describe_events(w: PrefixWriter, events: list[dict] | None, now: float | None = None) -> None:
    if events is None:
        return
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.flush()
    events = sorted(events, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")  # kubectl's four dashes under Age
    for e in events:
        first = since(e.get("eventTime"), now) if e.get("eventTime") else since(e.get("firstTimestamp"), now)
        series = e.get("series")
        if series:
            interval = f"{since(series.get('lastObservedTime'), now)} (x{series.get('count')} over {first})"
        elif (e.get("count") or 0) > 1:
            interval = f"{since(e.get('lastTimestamp'), now)} (x{e['count']} over {first})"
        else:
            interval = first
        source = (e.get("source") or {}).get("component") or e.get("reportingController") or ""
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t"
                   f"{(e.get('message') or '').strip()}\n")


def describe_resources(w: PrefixWriter, resources: dict | None, level: int) -> None:
    resources = resources or {}
    for title, key in (("Limits", "limits"), ("Requests", "requests")):
        values = resources.get(key) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{quantity_text(values[name])}\n")


def describe_probe(p: dict) -> str:
    attrs = (f"delay={p.get('initialDelaySeconds', 0)}s timeout={p.get('timeoutSeconds', 1)}s "
             f"period={p.get('periodSeconds', 10)}s #success={p.get('successThreshold', 1)} "
             f"#failure={p.get('failureThreshold', 3)}")
    if p.get("exec") is not None:
        return f"exec [{' '.join((p['exec'] or {}).get('command') or [])}] {attrs}"
    if p.get("httpGet") is not None:
        h = p["httpGet"]
        port = str(h.get("port", ""))
        host = h.get("host", "")
        hostport = (f"[{host}]:{port}" if ":" in host else f"{host}:{port}") if port else host
        return f"http-get {(h.get('scheme') or 'HTTP').lower()}://{hostport}{h.get('path', '')} {attrs}"
    if p.get("tcpSocket") is not None:
        t = p["tcpSocket"]
        return f"tcp-socket {t.get('host', '')}:{t.get('port', '')} {attrs}"
    if p.get("grpc") is not None:
        return f"grpc <pod>:{p['grpc'].get('port')} {p['grpc'].get('service', '')} {attrs}"
    return f"unknown {attrs}"


def describe_state(w: PrefixWriter, name: str, state: dict | None) -> None:
    state = state or {}
    if state.get("running") is not None:
        w.write(2, f"{name}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(state['running'].get('startedAt'))}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{name}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        t = state["terminated"]
        w.write(2, f"{name}:\tTerminated\n")
        if t.get("reason"):
            w.write(3, f"Reason:\t{t['reason']}\n")
        if t.get("message"):
            w.write(3, f"Message:\t{t['message']}\n")
        w.write(3, f"Exit Code:\t{t.get('exitCode', 0)}\n")
        if (t.get("signal") or 0) > 0:
            w.write(3, f"Signal:\t{t['signal']}\n")
        w.write(3, f"Started:\t{rfc1123z(t.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{rfc1123z(t.get('finishedAt'))}\n")
    else:
        w.write(2, f"{name}:\tWaiting\n")


def _field_value(pod: dict | None, path: str) -> str:
    if pod is None:
        return ""
    m = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if m:
        return str(((pod.get("metadata") or {}).get(m.group(1)) or {}).get(m.group(2), ""))
    cur = pod
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return "" if cur is None else str(cur)


# valueFrom key references, in the order kubectl tests them, and how it names their source.
KEY_REFS = {"secretKeyRef": "in secret", "configMapKeyRef": "of config map"}


def describe_env(w: PrefixWriter, c: dict, pod: dict | None) -> None:
    if c.get("envFrom"):
        w.write(2, "Environment Variables from:\n")
        for e in c["envFrom"]:
            ref, src = (e.get("configMapRef"), "ConfigMap") if e.get("configMapRef") else (e.get("secretRef"), "Secret")
            ref = ref or {}
            opt = go_bool(ref.get("optional"))
            if e.get("prefix"):
                w.write(3, f"{ref.get('name', '')}\t{src} with prefix '{e['prefix']}'\tOptional: {opt}\n")
            else:
                w.write(3, f"{ref.get('name', '')}\t{src}\tOptional: {opt}\n")
    env = c.get("env") or []
    w.write(2, "Environment:" + ("" if env else "\t<none>") + "\n")
    for e in env:
        vf = e.get("valueFrom")
        if vf is None:
            for i, s in enumerate(str(e.get("value", "")).split("\n")):
                w.write(3, f"{e['name']}:\t{s}\n" if i == 0 else f"\t{s}\n")
        elif vf.get("fieldRef"):
            fr = vf["fieldRef"]
            w.write(3, f"{e['name']}:\t{_field_value(pod, fr.get('fieldPath', ''))} "
                       f"({fr.get('apiVersion', 'v1')}:{fr.get('fieldPath', '')})\n")
        elif vf.get("resourceFieldRef"):
            rf = vf["resourceFieldRef"]
            kind, _, res = rf.get("resource", "").partition(".")
            value = ((c.get("resources") or {}).get(kind) or {}).get(res)
            text = quantity_text(value) if value is not None else "0"
            if text == "0" and rf.get("resource") in ("limits.cpu", "limits.memory"):
                text = "node allocatable"
            w.write(3, f"{e['name']}:\t{text} ({rf.get('resource')})\n")
        else:
            ref_key = next((k for k in KEY_REFS if vf.get(k)), None)
            if ref_key:
                r = vf[ref_key]
                w.write(3, f"{e['name']}:\t<set to the key '{r.get('key')}' {KEY_REFS[ref_key]} '{r.get('name')}'>\t"
                           f"Optional: {go_bool(r.get('optional'))}\n")


def describe_containers(w: PrefixWriter, label: str, containers: list, statuses: list | None,
                        pod: dict | None, space: str = "") -> None:
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    name_indent = " " if space else ""
    for c in containers:
        st = by_name.get(c.get("name"))
        w.write(1, f"{name_indent}{c.get('name')}:\n")
        if st is not None:
            w.write(2, f"Container ID:\t{st.get('containerID', '')}\n")
        w.write(2, f"Image:\t{c.get('image', '')}\n")
        if st is not None:
            w.write(2, f"Image ID:\t{st.get('imageID', '')}\n")
        ports = c.get("ports") or []
        ps = ", ".join(f"{p.get('containerPort', 0)}/{p.get('protocol', 'TCP')}" for p in ports)
        hps = ", ".join(f"{p.get('hostPort', 0)}/{p.get('protocol', 'TCP')}" for p in ports)
        w.write(2, f"Ports:\t{ps}\n" if "," in ps else f"Port:\t{ps or NONE}\n")
        w.write(2, f"Host Ports:\t{hps}\n" if "," in hps else f"Host Port:\t{hps or NONE}\n")
        for title, key in (("Command", "command"), ("Args", "args")):
            if c.get(key):
                w.write(2, f"{title}:\n")
                for item in c[key]:
                    for s in str(item).split("\n"):
                        w.write(3, s + "\n")
        if st is not None:
            describe_state(w, "State", st.get("state"))
            if (st.get("lastState") or {}).get("terminated") is not None:
                describe_state(w, "Last State", st.get("lastState"))
            w.write(2, f"Ready:\t{title_bool(st.get('ready'))}\n")
            w.write(2, f"Restart Count:\t{st.get('restartCount', 0)}\n")
        describe_resources(w, c.get("resources"), 2)
        for title, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"),
                           ("Startup", "startupProbe")):
            if c.get(key) is not None:
                w.write(2, f"{title}:\t{describe_probe(c[key])}\n")
        describe_env(w, c, pod)
        mounts = sorted(c.get("volumeMounts") or [], key=lambda m: m.get("mountPath", ""))
        w.write(2, "Mounts:" + ("" if mounts else "\t<none>") + "\n")
        for m in mounts:
            flags = ["ro" if m.get("readOnly") else "rw"]
            if m.get("subPath"):
                flags.append(f'path="{m["subPath"]}"')
            w.write(3, f"{m.get('mountPath')} from {m.get('name')} ({','.join(flags)})\n")


# (volume source key, describe-line builder) — kubectl's printXxxVolumeSource texts.
def _vol_lines(v: dict) -> list[tuple[int, str]]:
    if v.get("hostPath") is not None:
        h = v["hostPath"]
        return [(2, "Type:\tHostPath (bare host directory volume)\n"), (2, f"Path:\t{h.get('path', '')}\n"),
                (2, f"HostPathType:\t{h.get('type') or NONE}\n")]
    if v.get("emptyDir") is not None:
        e = v["emptyDir"] or {}
        size = quantity_text(e["sizeLimit"]) if e.get("sizeLimit") not in (None, "0", 0) else "<unset>"
        return [(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"),
                (2, f"Medium:\t{e.get('medium', '')}\n"), (2, f"SizeLimit:\t{size}\n")]
    if v.get("secret") is not None:
        s = v["secret"]
        return [(2, "Type:\tSecret (a volume populated by a Secret)\n"), (2, f"SecretName:\t{s.get('secretName', '')}\n"),
                (2, f"Optional:\t{go_bool(s.get('optional'))}\n")]
    if v.get("configMap") is not None:
        c = v["configMap"]
        return [(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n"), (2, f"Name:\t{c.get('name', '')}\n"),
                (2, f"Optional:\t{go_bool(c.get('optional'))}\n")]
    if v.get("persistentVolumeClaim") is not None:
        c = v["persistentVolumeClaim"]
        return [(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"),
                (2, f"ClaimName:\t{c.get('claimName', '')}\n"), (2, f"ReadOnly:\t{go_bool(c.get('readOnly'))}\n")]
    if v.get("downwardAPI") is not None:
        lines = [(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n"), (2, "Items:\n")]
        for it in v["downwardAPI"].get("items") or []:
            if it.get("fieldRef"):
                lines.append((3, f"{it['fieldRef'].get('fieldPath')} -> {it.get('path')}\n"))
            if it.get("resourceFieldRef"):
                lines.append((3, f"{it['resourceFieldRef'].get('resource')} -> {it.get('path')}\n"))
        return lines
    if v.get("projected") is not None:
        lines = [(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")]
        for src in v["projected"].get("sources") or []:
            if src.get("secret") is not None:
                lines += [(2, f"SecretName:\t{src['secret'].get('name', '')}\n"),
                          (2, f"Optional:\t{go_bool(src['secret'].get('optional'))}\n")]
            elif src.get("downwardAPI") is not None:
                lines.append((2, "DownwardAPI:\ttrue\n"))
            elif src.get("configMap") is not None:
                lines += [(2, f"ConfigMapName:\t{src['configMap'].get('name', '')}\n"),
                          (2, f"Optional:\t{go_bool(src['configMap'].get('optional'))}\n")]
            elif src.get("serviceAccountToken") is not None:
                lines.append((2, f"TokenExpirationSeconds:\t{src['serviceAccountToken'].get('expirationSeconds', 3607)}\n"))
        return lines
    if v.get("nfs") is not None:
        n = v["nfs"]
        return [(2, "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n"), (2, f"Server:\t{n.get('server', '')}\n"),
                (2, f"Path:\t{n.get('path', '')}\n"), (2, f"ReadOnly:\t{go_bool(n.get('readOnly'))}\n")]
    return [(1, "<unknown>\n")]


def describe_volumes(w: PrefixWriter, volumes: list | None, space: str = "") -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    name_indent = " " if space else ""
    for v in volumes:
        w.write(1, f"{name_indent}{v.get('name')}:\n")
        for level, text in _vol_lines(v):
            # kubectl writes continuation lines with a literal 4-space indent at LEVEL_2
            w.write(level, text)


def describe_pod_template(w: PrefixWriter, template: dict | None) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta = template.get("metadata") or {}
    spec = template.get("spec") or {}
    print_labels(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        print_annotations(w, "  Annotations", meta.get("annotations"))
    optional_rows(w, spec, [("Service Account", "serviceAccountName")], 1)
    if spec.get("initContainers"):
        describe_containers(w, "Init Containers", spec["initContainers"], None, None, "  ")
    describe_containers(w, "Containers", spec.get("containers") or [], None, None, "  ")
    describe_volumes(w, spec.get("volumes"), "  ")
    optional_rows(w, spec, [("Priority Class Name", "priorityClassName")], 1)
    print_labels(w, "  Node-Selectors", spec.get("nodeSelector"))
    print_tolerations(w, "  Tolerations", spec.get("tolerations"))


def pod_status_counts(related, obj: dict, selector: dict | None) -> tuple[int, int, int, int]:
    """Running / Waiting / Succeeded / Failed pods controlled by obj (getPodStatusForController)."""
    uid = obj["metadata"].get("uid")
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for p in related.list("Pod", obj["metadata"].get("namespace"), selector):
        refs = [r for r in (p["metadata"].get("ownerReferences") or []) if r.get("controller")]
        if not refs or refs[0].get("uid") != uid:
            continue
        phase = (p.get("status") or {}).get("phase")
        if phase in counts:
            counts[phase] += 1
    return counts["Running"], counts["Pending"], counts["Succeeded"], counts["Failed"]


def pods_status_row(w: PrefixWriter, related, obj: dict) -> None:
    r, wt, s, f = pod_status_counts(related, obj, (obj.get("spec") or {}).get("selector"))
    w.write(0, f"Pods Status:\t{r} Running / {wt} Waiting / {s} Succeeded / {f} Failed\n")


def name_ns_header(w: PrefixWriter, obj: dict, namespace: bool = True) -> None:
    m = obj.get("metadata") or {}
    w.write(0, f"Name:\t{m.get('name', '')}\n")
    if namespace:
        w.write(0, f"Namespace:\t{m.get('namespace', '')}\n")


def labels_annotations(w: PrefixWriter, obj: dict) -> None:
    m = obj.get("metadata") or {}
    print_labels(w, "Labels", m.get("labels"))
    print_annotations(w, "Annotations", m.get("annotations"))


# -- describers -------------------------------------------------------------------
def describe_pod(w, pod, related, events):
    m, spec, st = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    name_ns_header(w, pod)
    optional_rows(w, spec, [("Priority", "priority")], present=is_set)
    optional_rows(w, spec, [("Priority Class Name", "priorityClassName"), ("Runtime Class Name", "runtimeClassName"),
                            ("Service Account", "serviceAccountName")])
    if not spec.get("nodeName"):
        w.write(0, "Node:\t<none>\n")
    else:
        w.write(0, f"Node:\t{spec['nodeName']}/{st.get('hostIP', '')}\n")
    optional_rows(w, st, [("Start Time", "startTime", rfc1123z)])
    labels_annotations(w, pod)
    if m.get("deletionTimestamp") and st.get("phase") not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {since(m['deletionTimestamp'])})\n")
        w.write(0, f"Termination Grace Period:\t{m.get('deletionGracePeriodSeconds', 0)}s\n")
    else:
        w.write(0, f"Status:\t{st.get('phase', '')}\n")
    optional_rows(w, st, [("Reason", "reason"), ("Message", "message")])
    w.write(0, f"IP:\t{st.get('podIP', '')}\n")
    ips = st.get("podIPs") or []
    if not ips:
        w.write(0, "IPs:\t<none>\n")
    else:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    controlled_by_row(w, pod)
    optional_rows(w, st, [("NominatedNodeName", "nominatedNodeName")])
    if spec.get("initContainers"):
        describe_containers(w, "Init Containers", spec["initContainers"], st.get("initContainerStatuses"), pod)
    describe_containers(w, "Containers", spec.get("containers") or [], st.get("containerStatuses"), pod)
    if spec.get("readinessGates"):
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        conds = {c.get("type"): c.get("status") for c in st.get("conditions") or []}
        for g in spec["readinessGates"]:
            w.write(1, f"{g.get('conditionType')} \t{conds.get(g.get('conditionType'), NONE)} \n")
    if st.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \n")
    describe_volumes(w, spec.get("volumes"))
    w.write(0, f"QoS Class:\t{st.get('qosClass', '')}\n")
    print_labels(w, "Node-Selectors", spec.get("nodeSelector"))
    print_tolerations(w, "Tolerations", spec.get("tolerations"))
    describe_events(w, events)


def describe_deployment(w, d, related, events):
    m, spec, st = d["metadata"], d.get("spec") or {}, d.get("status") or {}
    name_ns_header(w, d)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(m.get('creationTimestamp'))}\n")
    labels_annotations(w, d)
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    w.write(0, f"Replicas:\t{spec.get('replicas', 1)} desired | {st.get('updatedReplicas', 0)} updated | "
               f"{st.get('replicas', 0)} total | {st.get('availableReplicas', 0)} available | "
               f"{st.get('unavailableReplicas', 0)} unavailable\n")
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n")
    if strategy.get("rollingUpdate") is not None:
        ru = strategy["rollingUpdate"]
        w.write(0, f"RollingUpdateStrategy:\t{int_or_str(ru.get('maxUnavailable'))} max unavailable, "
                   f"{int_or_str(ru.get('maxSurge'))} max surge\n")
    describe_pod_template(w, spec.get("template"))
    conditions_table(w, st.get("conditions"))
    old, new = deployment_replicasets(related, d)
    if old or new:
        w.write(0, f"OldReplicaSets:\t{rs_list(old)}\n")
        w.write(0, f"NewReplicaSet:\t{rs_list(new)}\n")
    describe_events(w, events)


def conditions_table(w, conditions) -> None:
    if conditions:
        w.write(0, "Conditions:\n")
        table_header(w, 1, "Type", "Status", "Reason")
        for c in conditions:
            w.write(1, f"{c.get('type')} \t{c.get('status')}\t{c.get('reason', '')}\n")


def _template_without_hash(t: dict | None) -> dict:
    import copy
    t = copy.deepcopy(t or {})
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop("pod-template-hash", None)
    return t


def deployment_replicasets(related, d: dict) -> tuple[list, list]:
    """(old, new) ReplicaSets owned by the deployment; new = same template but the hash."""
    uid = d["metadata"].get("uid")
    owned = [rs for rs in related.list("ReplicaSet", d["metadata"].get("namespace"))
             if any(r.get("uid") == uid and r.get("controller") for r in rs["metadata"].get("ownerReferences") or [])]
    want = _template_without_hash((d.get("spec") or {}).get("template"))
    new, old = [], []
    for rs in sorted(owned, key=lambda r: r["metadata"].get("creationTimestamp") or ""):
        if not new and _template_without_hash((rs.get("spec") or {}).get("template")) == want:
            new.append(rs)
        elif ((rs.get("spec") or {}).get("replicas") or 0) > 0 or (rs.get("status") or {}).get("replicas"):
            old.append(rs)
    return old, new


def rs_list(rss: list) -> str:
    return ", ".join(f"{r['metadata']['name']} ({(r.get('status') or {}).get('replicas', 0)}/"
                     f"{(r.get('spec') or {}).get('replicas', 1)} replicas created)" for r in rss) or NONE


def describe_replicaset(w, rs, related, events):
    spec, st = rs.get("spec") or {}, rs.get("status") or {}
    name_ns_header(w, rs)
    w.write(0, f"Selector:\t{selector_text(spec.get('selector'))}\n")
    labels_annotations(w, rs)
    controlled_by_row(w, rs)
    w.write(0, f"Replicas:\t{st.get('replicas', 0)} current / {spec.get('replicas', 1)} desired\n")
    pods_status_row(w, related, rs)
    describe_pod_template(w, spec.get("template"))
    conditions_table(w, st.get("conditions"))
    describe_events(w, events)


def describe_statefulset(w, ss, related, events):
    m, spec, st = ss["metadata"], ss.get("spec") or {}, ss.get("status") or {}
    name_ns_header(w, ss)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(m.get('creationTimestamp'))}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    labels_annotations(w, ss)
    w.write(0, f"Replicas:\t{spec.get('replicas', 1)} desired | {st.get('replicas', 0)} total\n")
    us = spec.get("updateStrategy") or {}
    w.write(0, f"Update Strategy:\t{us.get('type', '')}\n")
    ru = us.get("rollingUpdate")
    if ru and ru.get("partition") is not None:
        w.write(1, f"Partition:\t{ru['partition']}\n")
        if ru.get("maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{ru['maxUnavailable']}\n")
    pods_status_row(w, related, ss)
    describe_pod_template(w, spec.get("template"))
    claims = spec.get("volumeClaimTemplates") or []
    if not claims:
        w.write(0, "Volume Claims:\t<none>\n")
    else:
        w.write(0, "Volume Claims:\n")
        for pvc in claims:
            pm, ps = pvc.get("metadata") or {}, pvc.get("spec") or {}
            w.write(1, f"Name:\t{pm.get('name', '')}\n")
            w.write(1, f"StorageClass:\t{ps.get('storageClassName', '')}\n")
            print_labels(w, "Labels", pm.get("labels"), "  ")
            print_labels(w, "Annotations", pm.get("annotations"), "  ")
            cap = ((ps.get("resources") or {}).get("requests") or {}).get("storage")
            w.write(1, f"Capacity:\t{quantity_text(cap) if cap is not None else '<default>'}\n")
            w.write(1, f"Access Modes:\t[{' '.join(ps.get('accessModes') or [])}]\n")
    describe_events(w, events)


def describe_daemonset(w, ds, related, events):
    spec, st = ds.get("spec") or {}, ds.get("status") or {}
    name_ns_header(w, ds)
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    node_sel = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    w.write(0, f"Node-Selector:\t{labels_line(node_sel)}\n")
    labels_annotations(w, ds)
    w.write(0, f"Desired Number of Nodes Scheduled: {st.get('desiredNumberScheduled', 0)}\n")
    w.write(0, f"Current Number of Nodes Scheduled: {st.get('currentNumberScheduled', 0)}\n")
    w.write(0, f"Number of Nodes Scheduled with Up-to-date Pods: {st.get('updatedNumberScheduled', 0)}\n")
    w.write(0, f"Number of Nodes Scheduled with Available Pods: {st.get('numberAvailable', 0)}\n")
    w.write(0, f"Number of Nodes Misscheduled: {st.get('numberMisscheduled', 0)}\n")
    pods_status_row(w, related, ds)
    describe_pod_template(w, spec.get("template"))
    describe_events(w, events)


def describe_job(w, job, related, events):
    spec, st = job.get("spec") or {}, job.get("status") or {}
    name_ns_header(w, job)
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    labels_annotations(w, job)
    controlled_by_row(w, job)
    optional_rows(w, spec, [("Parallelism", "parallelism")], present=is_set)
    w.write(0, f"Completions:\t{or_unset(spec.get('completions'))}\n")
    optional_rows(w, spec, [("Completion Mode", "completionMode")])
    optional_rows(w, spec, [("Suspend", "suspend", go_bool), ("Backoff Limit", "backoffLimit"),
                            ("TTL Seconds After Finished", "ttlSecondsAfterFinished")], present=is_set)
    optional_rows(w, st, [("Start Time", "startTime", rfc1123z), ("Completed At", "completionTime", rfc1123z)])
    if st.get("startTime") and st.get("completionTime"):
        w.write(0, f"Duration:\t{human_duration(parse_rfc3339(st['completionTime']) - parse_rfc3339(st['startTime']))}\n")
    optional_rows(w, spec, [("Active Deadline Seconds", "activeDeadlineSeconds", seconds)], present=is_set)
    a, s, f = st.get("active", 0), st.get("succeeded", 0), st.get("failed", 0)
    if st.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{a} Active / {s} Succeeded / {f} Failed\n")
    else:
        w.write(0, f"Pods Statuses:\t{a} Active ({st['ready']} Ready) / {s} Succeeded / {f} Failed\n")
    if spec.get("completionMode") == "Indexed":
        w.write(0, f"Completed Indexes:\t{st.get('completedIndexes') or NONE}\n")
    describe_pod_template(w, spec.get("template"))
    describe_events(w, events)


def describe_cronjob(w, cj, related, events):
    spec, st = cj.get("spec") or {}, cj.get("status") or {}
    name_ns_header(w, cj)
    labels_annotations(w, cj)
    w.write(0, f"Schedule:\t{spec.get('schedule', '')}\n")
    w.write(0, f"Concurrency Policy:\t{spec.get('concurrencyPolicy', '')}\n")
    w.write(0, f"Suspend:\t{or_unset(spec.get('suspend'), title_bool)}\n")
    w.write(0, f"Successful Job History Limit:\t{or_unset(spec.get('successfulJobsHistoryLimit'))}\n")
    w.write(0, f"Failed Job History Limit:\t{or_unset(spec.get('failedJobsHistoryLimit'))}\n")
    w.write(0, f"Starting Deadline Seconds:\t{or_unset(spec.get('startingDeadlineSeconds'), seconds)}\n")
    jt = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    w.write(0, f"Selector:\t{selector_string(jt['selector']) if jt.get('selector') else '<unset>'}\n")
    w.write(0, f"Parallelism:\t{or_unset(jt.get('parallelism'))}\n")
    w.write(0, f"Completions:\t{or_unset(jt.get('completions'))}\n")
    optional_rows(w, jt, [("Active Deadline Seconds", "activeDeadlineSeconds", seconds)], present=is_set)
    describe_pod_template(w, jt.get("template"))
    w.write(0, f"Last Schedule Time:\t{rfc1123z(st['lastScheduleTime']) if st.get('lastScheduleTime') else '<unset>'}\n")
    active = [a.get("name", "") for a in st.get("active") or []]
    w.write(0, "Active Jobs:\t")
    w.line(", ".join(active) if active else NONE)
    describe_events(w, events)


def describe_service(w, svc, related, events):
    spec, st = svc.get("spec") or {}, svc.get("status") or {}
    name_ns_header(w, svc)
    labels_annotations(w, svc)
    w.write(0, f"Selector:\t{labels_line(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type', '')}\n")
    optional_rows(w, spec, [("IP Family Policy", "ipFamilyPolicy")])
    w.write(0, f"IP Families:\t{joined(spec.get('ipFamilies') or []) or NONE}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    w.write(0, f"IPs:\t{joined(spec.get('clusterIPs') or []) or NONE}\n")
    optional_rows(w, spec, [("External IPs", "externalIPs", joined), ("Desired LoadBalancer IP", "loadBalancerIP"),
                            ("External Name", "externalName")])
    ingress = (st.get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        parts = [(i["ip"] + (f" ({i['ipMode']})" if i.get("ipMode") else "")) if i.get("ip") else i.get("hostname", "")
                 for i in ingress]
        w.write(0, f"LoadBalancer Ingress:\t{', '.join(parts)}\n")
    slices = related.list("EndpointSlice", svc["metadata"].get("namespace"),
                          {"matchLabels": {"kubernetes.io/service-name": svc["metadata"]["name"]}})
    for p in spec.get("ports") or []:
        name = p.get("name") or "<unset>"
        proto = p.get("protocol", "TCP")
        w.write(0, f"Port:\t{name}\t{p.get('port')}/{proto}\n")
        w.write(0, f"TargetPort:\t{p.get('targetPort', p.get('port'))}/{proto}\n")
        if p.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{p['nodePort']}/{proto}\n")
        w.write(0, f"Endpoints:\t{format_endpoint_slices(slices, p.get('name', ''))}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', '')}\n")
    optional_rows(w, spec, [("External Traffic Policy", "externalTrafficPolicy"),
                            ("Internal Traffic Policy", "internalTrafficPolicy"),
                            ("HealthCheck NodePort", "healthCheckNodePort"),
                            ("LoadBalancer Source Ranges", "loadBalancerSourceRanges", joined),
                            ("Traffic Distribution", "trafficDistribution")])
    describe_events(w, events)


def format_endpoint_slices(slices: list, port_name: str) -> str:
    if not slices:
        return NONE
    out, count, more, limit = [], 0, False, 3
    for s in slices:
        eps = s.get("endpoints") or []
        for p in s.get("ports") or [None]:  # a slice without ports lists bare addresses
            if p is not None and (p.get("name") or "") != port_name:
                continue
            for e in eps:
                if len(out) == limit:
                    more = True
                if (e.get("conditions") or {}).get("ready") is False:
                    continue
                if not more:
                    addr = (e.get("addresses") or [""])[0]
                    if p is not None:
                        addr = f"[{addr}]:{p.get('port')}" if ":" in addr else f"{addr}:{p.get('port')}"
                    out.append(addr)
                count += 1
    text = ",".join(out)
    return f"{text} + {count - limit} more..." if more else text


def describe_endpoints(w, ep, related, events):
    name_ns_header(w, ep)
    labels_annotations(w, ep)
    w.write(0, "Subsets:\n")
    for s in ep.get("subsets") or []:
        w.write(1, f"Addresses:\t{','.join(a.get('ip', '') for a in s.get('addresses') or []) or NONE}\n")
        w.write(1, f"NotReadyAddresses:\t"
                   f"{','.join(a.get('ip', '') for a in s.get('notReadyAddresses') or []) or NONE}\n")
        if s.get("ports"):
            w.write(1, "Ports:\n")
            table_header(w, 2, "Name", "Port", "Protocol")
            for p in s["ports"]:
                w.write(2, f"{p.get('name') or '<unset>'}\t{p.get('port')}\t{p.get('protocol', 'TCP')}\n")
        w.write(0, "\n")
    describe_events(w, events)


def describe_node(w, node, related, events):
    m, spec, st = node["metadata"], node.get("spec") or {}, node.get("status") or {}
    w.write(0, f"Name:\t{m.get('name')}\n")
    roles = sorted({k[len("node-role.kubernetes.io/"):] for k in (m.get("labels") or {})
                    if k.startswith("node-role.kubernetes.io/") and len(k) > len("node-role.kubernetes.io/")}
                   | ({(m.get("labels") or {})["kubernetes.io/role"]}
                      if (m.get("labels") or {}).get("kubernetes.io/role") else set()))
    w.write(0, f"Roles:\t{','.join(roles) or NONE}\n")
    labels_annotations(w, node)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(m.get('creationTimestamp'))}\n")
    taints = sorted(spec.get("taints") or [], key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    print_list(w, "Taints", [taint_text(t) for t in taints])
    w.write(0, f"Unschedulable:\t{go_bool(spec.get('unschedulable'))}\n")
    lease = related.try_get("Lease", "kube-node-lease", m.get("name"))
    if lease is None:
        w.write(0, f'Lease:\tFailed to get lease: leases.coordination.k8s.io "{m.get("name")}" not found\n')
    else:
        ls = lease.get("spec") or {}
        w.write(0, "Lease:\n")
        w.write(1, f"HolderIdentity:\t{ls.get('holderIdentity') or '<unset>'}\n")
        w.write(1, f"AcquireTime:\t{rfc1123z(ls['acquireTime']) if ls.get('acquireTime') else '<unset>'}\n")
        w.write(1, f"RenewTime:\t{rfc1123z(ls['renewTime']) if ls.get('renewTime') else '<unset>'}\n")
    if st.get("conditions"):
        w.write(0, "Conditions:\n")
        table_header(w, 1, "Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \t{rfc1123z(c.get('lastHeartbeatTime'))} \t"
                       f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n")
    w.write(0, "Addresses:\n")
    for a in st.get("addresses") or []:
        w.write(1, f"{a.get('type')}:\t{a.get('address')}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if st.get(key):
            w.write(0, f"{title}:\n")
            for r in sorted(st[key]):
                w.write(0, f"  {r}:\t{quantity_text(st[key][r])}\n")
    info = st.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for title, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
                       ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"),
                       ("Operating System", "operatingSystem"), ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion")):
        w.write(0, f"  {title}:\t{info.get(key, '')}\n")
    optional_rows(w, spec, [("PodCIDR", "podCIDR"), ("PodCIDRs", "podCIDRs", joined), ("ProviderID", "providerID")])
    pods = [p for p in related.list("Pod", None)
            if (p.get("spec") or {}).get("nodeName") == m.get("name")
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    describe_node_resource(w, node, pods)
    describe_events(w, events)


def _pod_requests_limits(pod: dict) -> tuple[dict, dict]:
    """resourcehelper.PodRequestsAndLimits: sum over containers, max with each init
    container, plus overhead. Values are Quantities (their sum keeps the format)."""
    from pkubectl.api import quantity

    def total(containers, key):
        acc: dict = {}
        for c in containers or []:
            for r, v in ((c.get("resources") or {}).get(key) or {}).items():
                q = quantity.parse_quantity(v)
                acc[r] = acc[r] + q if r in acc else q
        return acc
    spec = pod.get("spec") or {}
    out = []
    for key in ("requests", "limits"):
        acc = total(spec.get("containers"), key)
        for ic in spec.get("initContainers") or []:
            for r, v in total([ic], key).items():
                if r not in acc or v > acc[r]:
                    acc[r] = v
        for r, v in (spec.get("overhead") or {}).items():
            q = quantity.parse_quantity(v)
            acc[r] = acc[r] + q if r in acc else q
        out.append(acc)
    return out[0], out[1]


def describe_node_resource(w, node: dict, pods: list) -> None:
    from pkubectl.api import quantity

    st = node.get("status") or {}
    alloc = st.get("allocatable") or st.get("capacity") or {}
    zero = quantity.parse_quantity("0")

    def pct(q, r):
        try:
            a = quantity.parse_quantity(alloc[r]) if r in alloc else zero
        except Exception:  # noqa: BLE001
            a = zero
        if r == "cpu":
            return int(q.milli_value() / a.milli_value() * 100) if a.milli_value() else 0
        return int(q.int_value() / a.int_value() * 100) if a.int_value() else 0

    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    table_header(w, 1, "Namespace", "Name", "", "CPU Requests", "CPU Limits", "Memory Requests", "Memory Limits", "Age")
    reqs: dict = {}
    lims: dict = {}
    for p in pods:
        rq, lm = _pod_requests_limits(p)
        for acc, src in ((reqs, rq), (lims, lm)):
            for r, v in src.items():
                acc[r] = acc[r] + v if r in acc else v
        cells = []
        for q, r in ((rq.get("cpu", zero), "cpu"), (lm.get("cpu", zero), "cpu"),
                     (rq.get("memory", zero), "memory"), (lm.get("memory", zero), "memory")):
            cells.append(f"{q} ({pct(q, r)}%)")
        w.write(1, f"{p['metadata'].get('namespace')}\t{p['metadata']['name']}\t\t" + "\t".join(cells)
                   + f"\t{since(p['metadata'].get('creationTimestamp'))}\n")
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    table_header(w, 1, "Resource", "Requests", "Limits")
    for r in ("cpu", "memory", "ephemeral-storage"):
        rq, lm = reqs.get(r, zero), lims.get(r, zero)
        w.write(1, f"{r}\t{rq} ({pct(rq, r)}%)\t{lm} ({pct(lm, r)}%)\n")


def describe_namespace(w, ns, related, events):
    w.write(0, f"Name:\t{ns['metadata']['name']}\n")
    labels_annotations(w, ns)
    w.write(0, f"Status:\t{(ns.get('status') or {}).get('phase', '')}\n")
    conds = (ns.get("status") or {}).get("conditions") or []
    if conds:
        w.write(0, "Conditions:\n")
        table_header(w, 1, "Type", "Status", "LastTransitionTime", "Reason", "Message")
        for c in conds:
            w.write(1, f"{c.get('type')}\t{c.get('status')}\t{rfc1123z(c.get('lastTransitionTime'))}\t"
                       f"{c.get('reason', '')}\t{c.get('message', '')}\n")
    w.write(0, "\n")
    w.write(0, "No resource quota.\n")
    w.write(0, "\n")
    w.write(0, "No LimitRange resource.\n")


def describe_configmap(w, cm, related, events):
    name_ns_header(w, cm)
    labels_annotations(w, cm)
    w.write(0, "\nData\n====\n")
    # Go map iteration order is random; sorted keys is the stable choice.
    for k, v in sorted((cm.get("data") or {}).items()):
        w.write(0, f"{k}:\n----\n")
        w.write(0, f"{v}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    for k, v in sorted((cm.get("binaryData") or {}).items()):
        import base64
        try:
            n = len(base64.b64decode(v))
        except Exception:  # noqa: BLE001
            n = len(v)
        w.write(0, f"{k}: {n} bytes\n")
    w.write(0, "\n")
    describe_events(w, events)


def describe_secret(w, secret, related, events):
    import base64
    name_ns_header(w, secret)
    labels_annotations(w, secret)
    stype = secret.get("type") or "Opaque"
    w.write(0, f"\nType:\t{stype}\n")
    w.write(0, "\nData\n====\n")
    for k, v in sorted((secret.get("data") or {}).items()):
        try:
            raw = base64.b64decode(v or "")
        except Exception:  # noqa: BLE001
            raw = (v or "").encode()
        if k == "token" and stype == "kubernetes.io/service-account-token":
            w.write(0, f"{k}:\t{raw.decode('utf-8', 'replace')}\n")
        else:
            w.write(0, f"{k}:\t{len(raw)} bytes\n")


def describe_serviceaccount(w, sa, related, events):
    name_ns_header(w, sa)
    labels_annotations(w, sa)
    ns = sa["metadata"].get("namespace")
    existing = {s["metadata"]["name"]: s for s in related.list("Secret", ns)}
    tokens = [n for n, s in existing.items()
              if s.get("type") == "kubernetes.io/service-account-token"
              and (s["metadata"].get("annotations") or {}).get("kubernetes.io/service-account.name")
              == sa["metadata"]["name"]
              and (s["metadata"].get("annotations") or {}).get("kubernetes.io/service-account.uid")
              == sa["metadata"].get("uid")]
    groups = {"Image pull secrets:": [s.get("name", "") for s in sa.get("imagePullSecrets") or []],
              "Mountable secrets: ": [s.get("name", "") for s in sa.get("secrets") or []],
              "Tokens:            ": tokens}
    for header in sorted(groups):
        names = groups[header]
        if not names:
            w.write(0, f"{header}\t<none>\n")
            continue
        prefix = header
        for n in names:
            missing = header != "Tokens:            " and n not in existing
            w.write(0, f"{prefix}\t{n}{' (not found)' if missing else ''}\n")
            prefix = " " * 19
    describe_events(w, events)


def describe_hpa(w, hpa, related, events):
    m, spec, st = hpa["metadata"], hpa.get("spec") or {}, hpa.get("status") or {}
    name_ns_header(w, hpa)
    labels_annotations(w, hpa)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(m.get('creationTimestamp'))}\n")
    ref = spec.get("scaleTargetRef") or {}
    w.write(0, f"Reference:\t{ref.get('kind')}/{ref.get('name')}\n")
    w.write(0, "Metrics:\t( current / target )\n")
    current = st.get("currentMetrics") or []
    for i, metric in enumerate(spec.get("metrics") or []):
        if metric.get("type") == "Resource":
            res = metric.get("resource") or {}
            target = res.get("target") or {}
            cur = (current[i].get("resource") or {}) if i < len(current) else {}
            w.write(1, f"resource {res.get('name')} on pods")
            if target.get("averageValue") is not None:
                cv = (cur.get("current") or {}).get("averageValue")
                w.write(0, f":\t{quantity_text(cv) if cv is not None else '<unknown>'} / "
                           f"{quantity_text(target['averageValue'])}\n")
            else:
                c = cur.get("current") or {}
                cv = (f"{c['averageUtilization']}% ({quantity_text(c.get('averageValue', '0'))})"
                      if c.get("averageUtilization") is not None else "<unknown>")
                tv = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
                w.write(1, f"(as a percentage of request):\t{cv} / {tv}\n")
        else:
            w.write(1, f'<unknown metric type "{metric.get("type")}">\n')
    w.write(0, f"Min replicas:\t{spec['minReplicas'] if spec.get('minReplicas') is not None else '<unset>'}\n")
    w.write(0, f"Max replicas:\t{spec.get('maxReplicas', 0)}\n")
    beh = spec.get("behavior")
    if beh is not None:
        w.write(0, "Behavior:\n")
        for title, key in (("Scale Up", "scaleUp"), ("Scale Down", "scaleDown")):
            rules = beh.get(key)
            if rules is None:
                continue
            w.write(1, f"{title}:\n")
            if rules.get("stabilizationWindowSeconds") is not None:
                w.write(2, f"Stabilization Window: {rules['stabilizationWindowSeconds']} seconds\n")
            if rules.get("policies"):
                w.write(2, f"Select Policy: {rules.get('selectPolicy') or 'Max'}\n")
                w.write(2, "Policies:\n")
                for p in rules["policies"]:
                    w.write(3, f"- Type: {p.get('type')}\tValue: {p.get('value')}\tPeriod: {p.get('periodSeconds')} seconds\n")
    w.write(0, f"{ref.get('kind')} pods:\t")
    w.write(0, f"{st.get('currentReplicas', 0)} current / {st.get('desiredReplicas', 0)} desired\n")
    if st.get("conditions"):
        w.write(0, "Conditions:\n")
        table_header(w, 1, "Type", "Status", "Reason", "Message")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type')}\t{c.get('status')}\t{c.get('reason', '')}\t{c.get('message', '')}\n")
    describe_events(w, events)


def describe_endpointslice(w, eps, related, events):
    name_ns_header(w, eps)
    labels_annotations(w, eps)
    w.write(0, f"AddressType:\t{eps.get('addressType', '')}\n")
    ports = eps.get("ports") or []
    if not ports:
        w.write(0, "Ports: <unset>\n")
    else:
        w.write(0, "Ports:\n")
        table_header(w, 1, "Name", "Port", "Protocol")
        for p in ports:
            w.write(1, f"{p.get('name') or '<unset>'}\t{p.get('port', '<unset>')}\t{p.get('protocol', 'TCP')}\n")
    endpoints = eps.get("endpoints") or []
    if not endpoints:
        w.write(0, "Endpoints: <none>\n")
    else:
        w.write(0, "Endpoints:\n")
        for e in endpoints:
            w.write(1, f"- Addresses:\t{', '.join(e.get('addresses') or []) or NONE}\n")
            w.write(2, "Conditions:\n")
            ready = (e.get("conditions") or {}).get("ready")
            w.write(3, f"Ready:\t{'<unset>' if ready is None else go_bool(ready)}\n")
            w.write(2, f"Hostname:\t{e.get('hostname', '<unset>')}\n")
            if e.get("targetRef"):
                w.write(2, f"TargetRef:\t{e['targetRef'].get('kind')}/{e['targetRef'].get('name')}\n")
            w.write(2, f"NodeName:\t{e.get('nodeName', '<unset>')}\n")
            w.write(2, f"Zone:\t{e.get('zone', '<unset>')}\n")
    describe_events(w, events)


def describe_event(w, ev, related, events):
    """Events have no describer in kubectl: the generic one, with the event's fields."""
    describe_generic(w, ev, related, events)


def _smart_label(field: str) -> str:
    if any(not (ch.isalpha() or ch == "-") for ch in field):
        return field
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z]|$)|[A-Z]?[a-z]+|[A-Z]+|-+", field) or [field]
    words = []
    for p in parts:
        words.append(p.upper() if p.upper() in ("API", "URL", "UID", "OSB", "GUID") else p[:1].upper() + p[1:])
    return " ".join(words)


def _go_value(v) -> str:
    if isinstance(v, bool):
        return go_bool(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _unstructured(w, level: int, content: dict, prefix: str, skip: set) -> None:
    for field in sorted(content):
        value = content[field]
        path = f"{prefix}.{field}"
        if path in skip:
            continue
        if isinstance(value, dict):
            w.write(level, f"{_smart_label(field)}:\n")
            _unstructured(w, level + 1, value, path, skip)
        elif isinstance(value, list):
            w.write(level, f"{_smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _unstructured(w, level + 1, child, path, skip)
                else:
                    w.write(level + 1, f"{_go_value(child)}\n")
        else:
            w.write(level, f"{_smart_label(field)}:\t{_go_value(value)}\n")


def describe_generic(w, obj, related, events):
    m = obj.get("metadata") or {}
    w.write(0, f"Name:\t{m.get('name', '')}\n")
    w.write(0, f"Namespace:\t{m.get('namespace', '')}\n")
    labels_annotations(w, obj)
    _unstructured(w, 0, obj, "", {".metadata.managedFields", ".metadata.name", ".metadata.namespace",
                                  ".metadata.labels", ".metadata.annotations"})
    describe_events(w, events)


DESCRIBERS = {
    "Pod": describe_pod, "Deployment": describe_deployment, "ReplicaSet": describe_replicaset,
    "StatefulSet": describe_statefulset, "DaemonSet": describe_daemonset, "Job": describe_job,
    "CronJob": describe_cronjob, "Service": describe_service, "Endpoints": describe_endpoints,
    "EndpointSlice": describe_endpointslice, "Node": describe_node, "Namespace": describe_namespace,
    "ConfigMap": describe_configmap, "Secret": describe_secret, "ServiceAccount": describe_serviceaccount,
    "HorizontalPodAutoscaler": describe_hpa, "Event": describe_event,
}
# Kinds whose kubectl describer never shows events.
NO_EVENTS = {"Namespace", "Secret"}


def describe(kind_name: str, obj: dict, related, show_events: bool = True) -> str:
    """The full describe text for one object (ends with a newline)."""
    w = PrefixWriter()
    fn = DESCRIBERS.get(kind_name, describe_generic)
    events = related.events_for(obj) if show_events and kind_name not in NO_EVENTS else None
    fn(w, obj, related, events)
    return w.text()
