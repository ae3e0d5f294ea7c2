"""DaemonSet controller (pkg/controller/daemon): one pod on every eligible node.

A node is eligible when the pod template's nodeSelector and required node affinity
match it and the pod tolerates its NoSchedule/NoExecute taints. DaemonSet pods get the
tolerations Kubernetes adds (not-ready and unreachable NoExecute without a time limit,
the pressure and unschedulable NoSchedule taints), so a cordoned or failing node keeps
its daemon, and each pod is pinned to its node with a required node-affinity term
`matchFields metadata.name In [node]` that the scheduler then honours, as Kubernetes
does since the scheduler took DaemonSet placement over.

Rolling update (maxUnavailable, default 1): pods whose controller-revision-hash is not
the current one are deleted, unavailable ones first, no more at a time than
maxUnavailable allows; their replacements come from the current template. OnDelete
leaves old pods alone. History is kept as ControllerRevisions `<ds>-<hash>` whose data
is the template patch `rollout undo` applies; revisionHistoryLimit prunes unused ones.

The revision helpers here are shared with the StatefulSet controller.
"""
from __future__ import annotations

import copy
import json

from pkubectl.api import errors, nodematch, registry, selectors
from pkubectl.controllers import common

COMPONENT = "daemonset-controller"
REVISION_HASH = "controller-revision-hash"
TEMPLATE_GENERATION = "pod-template-generation"
MAX_GENERATED_PREFIX = 63 - 5

# util.AddOrUpdateDaemonPodTolerations
DAEMON_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
HOST_NETWORK_TOLERATION = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                           "effect": "NoSchedule"}


# -- ControllerRevisions (shared with statefulset.py) -------------------------------------------
def revision_data(template: dict) -> dict:
    """The patch a revision stores (getPatch): the whole template, replacing."""
    return {"spec": {"template": {**copy.deepcopy(template), "$patch": "replace"}}}


def template_of(revision: dict) -> dict:
    tmpl = copy.deepcopy(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    tmpl.pop("$patch", None)
    return tmpl


def revision_hash(data: dict, collision_count: int = 0) -> str:
    """history.HashControllerRevision: FNV-32a of the data (+ collision count), safe-encoded."""
    from pkubectl.controllers.deployment import fnv32a, safe_encode
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        raw += collision_count.to_bytes(4, "little")
    return safe_encode(str(fnv32a(raw)))


def owned_revisions(api, owner: dict) -> list[dict]:
    items, _ = api.list(registry.lookup("controllerrevisions"), owner["metadata"]["namespace"])
    return sorted((cr for cr in items if common.is_controlled_by(cr, owner)), key=lambda cr: cr.get("revision", 0))


def ensure_revision(api, owner: dict, template: dict, selector_labels: dict, revisions: list[dict]) -> dict | None:
    """The ControllerRevision holding this template: an existing equal one (its revision
    number moved to the top when it is not already there, as a rollback does), else a
    new `<owner>-<hash>` with the next revision number."""
    data = revision_data(template)
    top = max([cr.get("revision", 0) for cr in revisions] or [0])
    for cr in revisions:
        if cr.get("data") == data:
            if cr.get("revision", 0) == top:
                return cr
            new = copy.deepcopy(cr)
            new["revision"] = top + 1
            return common.tolerant(api.update, new)
    name = f"{owner['metadata']['name']}-{revision_hash(data)}"
    cr = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
          "metadata": {"name": name, "namespace": owner["metadata"]["namespace"],
                       "labels": {**selector_labels, REVISION_HASH: name.rsplit("-", 1)[1]},
                       "ownerReferences": [common.controller_ref_to(owner)]},
          "data": data, "revision": top + 1}
    try:
        return api.create(cr)
    except errors.ApiError as e:
        if e.reason != "AlreadyExists":
            raise
        live = api.try_get(registry.lookup("controllerrevisions"), owner["metadata"]["namespace"], name)
        return live if live is not None and live.get("data") == data else None


def prune_revisions(api, owner: dict, revisions: list[dict], in_use: set, limit: int) -> int:
    """Delete the oldest revisions not in use beyond revisionHistoryLimit."""
    spare = [cr for cr in revisions if cr["metadata"]["name"] not in in_use]
    writes = 0
    for cr in spare[:max(0, len(spare) - limit)]:
        if common.tolerant(api.delete, registry.lookup("controllerrevisions"), cr["metadata"]["namespace"],
                           cr["metadata"]["name"]) is not None:
            writes += 1
    return writes


# -- node eligibility (pure, unit-tested) ---------------------------------------------------------
def _term_matches(term: dict, node: dict) -> bool:
    return nodematch.term_matches(term, common.labels_of(node), node["metadata"]["name"])


def with_daemon_tolerations(pod_spec: dict) -> dict:
    spec = copy.deepcopy(pod_spec)
    tolerations = list(spec.get("tolerations") or [])
    extra = list(DAEMON_TOLERATIONS) + ([HOST_NETWORK_TOLERATION] if spec.get("hostNetwork") else [])
    for t in extra:
        if not any(x.get("key") == t["key"] and x.get("effect") == t["effect"] for x in tolerations):
            tolerations.append(dict(t))
    spec["tolerations"] = tolerations
    return spec


def should_run(pod_spec: dict, node: dict) -> tuple[bool, bool]:
    """(should run there, should keep running there): nodeSelector, required node
    affinity, and taints (NoSchedule blocks new pods, NoExecute also evicts)."""
    labels = common.labels_of(node)
    for k, v in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False, False
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms")
    if terms is not None and not any(_term_matches(t, node) for t in terms):
        return False, False
    tolerations = with_daemon_tolerations(pod_spec)["tolerations"]
    run, keep = True, True
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if nodematch.tolerated(tolerations, taint):
            continue
        run = False
        if taint.get("effect") == "NoExecute":
            keep = False
    return run, keep


def pin_to_node(pod_spec: dict, node_name: str) -> dict:
    """ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes one
    term selecting this node by name (preferred terms are kept)."""
    spec = copy.deepcopy(pod_spec)
    affinity = spec.setdefault("affinity", {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [{"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}
    return spec


# -- the controller ---------------------------------------------------------------------------------
def sync(api) -> int:
    dss, _ = api.list(registry.lookup("daemonsets"), None)
    if not dss:
        return 0
    nodes, _ = api.list(registry.lookup("nodes"), None)
    pods_by_ns: dict[str, list[dict]] = {}
    for p in api.list(registry.lookup("pods"), None)[0]:
        pods_by_ns.setdefault(p["metadata"].get("namespace", ""), []).append(p)
    writes = 0
    for ds in dss:
        try:
            writes += sync_one(api, ds, nodes, pods_by_ns.get(ds["metadata"]["namespace"], []))
        except errors.ApiError as e:
            if e.reason not in common.RETRY_LATER:
                raise
    return writes


def _event(api, ds, type_, reason, message) -> int:
    api.record_event(ds, type_, reason, message, component=COMPONENT)
    return 1


def sync_one(api, ds: dict, nodes: list[dict], ns_pods: list[dict]) -> int:
    spec = ds.get("spec") or {}
    try:
        selector = selectors.from_label_selector(spec.get("selector"))
    except selectors.SelectorError:
        return 0
    candidates = [p for p in ns_pods if not common.being_deleted(p) or common.is_controlled_by(p, ds)]
    pods, writes = common.claim(api, ds, selector, candidates)
    if common.being_deleted(ds):
        return writes
    template = spec.get("template") or {}
    revisions = owned_revisions(api, ds)
    current = ensure_revision(api, ds, template, (spec.get("selector") or {}).get("matchLabels") or {}, revisions)
    if current is None:
        return writes
    writes += current not in revisions
    cur_hash = current["metadata"]["name"].rsplit("-", 1)[1]
    by_node: dict[str, list[dict]] = {}
    for p in pods:
        node = (p.get("spec") or {}).get("nodeName") or _pinned_node(p)
        if node:
            by_node.setdefault(node, []).append(p)
    pod_kind = registry.lookup("pods")
    to_create: list[str] = []
    to_delete: list[dict] = []
    desired = scheduled = misscheduled = ready = available = updated = 0
    min_ready = spec.get("minReadySeconds") or 0
    old_pods: list[dict] = []
    unavailable = 0
    for node in nodes:
        name = node["metadata"]["name"]
        run, keep = should_run(template.get("spec") or {}, node)
        here = [p for p in by_node.get(name, []) if not common.being_deleted(p)]
        if run:
            desired += 1
            failed = [p for p in here if (p.get("status") or {}).get("phase") == "Failed"]
            to_delete += failed
            here = [p for p in here if p not in failed]
            if not here:
                to_create.append(name)
                unavailable += 1
                continue
            here.sort(key=lambda p: p["metadata"].get("creationTimestamp", ""))
            to_delete += here[1:]
            pod = here[0]
            scheduled += 1
            ok = common.pod_available(pod, min_ready)
            ready += common.pod_ready(pod)
            available += ok
            unavailable += not ok
            if common.labels_of(pod).get(REVISION_HASH) == cur_hash:
                updated += 1
            else:
                old_pods.append(pod)
        elif here:
            misscheduled += 1  # kept while only NoSchedule forbids it; gone when anything else does
            if not keep:
                to_delete += here
    if (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") == "RollingUpdate" and old_pods:
        max_unavailable = common.int_or_percent(
            ((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("maxUnavailable", 1),
            desired, True) or 1
        old_pods.sort(key=lambda p: common.pod_available(p, min_ready))  # unavailable old pods first
        budget = max_unavailable - unavailable
        for p in old_pods:
            if not common.pod_available(p, min_ready):
                to_delete.append(p)
            elif budget > 0:
                to_delete.append(p)
                budget -= 1
    for p in to_delete:
        if common.tolerant(api.delete, pod_kind, p["metadata"]["namespace"], p["metadata"]["name"],
                           uid=p["metadata"]["uid"]) is not None:
            writes += 1 + _event(api, ds, "Normal", "SuccessfulDelete", f"Deleted pod: {p['metadata']['name']}")
    for node_name in to_create:
        try:
            pod = api.create(pod_for_node(ds, template, node_name, cur_hash))
        except errors.ApiError as e:
            _event(api, ds, "Warning", "FailedCreate", f"Error creating: {e.message}")  # not progress
            break
        writes += 1 + _event(api, ds, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
    in_use = {current["metadata"]["name"]} | {f"{ds['metadata']['name']}-{common.labels_of(p).get(REVISION_HASH)}"
                                               for p in pods}
    writes += prune_revisions(api, ds, owned_revisions(api, ds), in_use, spec.get("revisionHistoryLimit", 10))
    status = {"currentNumberScheduled": scheduled, "desiredNumberScheduled": desired,
              "numberMisscheduled": misscheduled, "numberReady": ready,
              "observedGeneration": ds["metadata"].get("generation", 1)}
    if available:
        status["numberAvailable"] = available
    if desired - available > 0:
        status["numberUnavailable"] = desired - available
    if updated:
        status["updatedNumberScheduled"] = updated
    old = ds.get("status") or {}
    for keep_key in ("collisionCount", "conditions"):
        if keep_key in old:
            status[keep_key] = old[keep_key]
    if status != old:
        new = copy.deepcopy(ds)
        new["status"] = status
        writes += common.tolerant(api.update_status, new) is not None
    return writes


def _pinned_node(pod: dict) -> str | None:
    terms = ((((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {})
             .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or []
    for t in terms:
        for f in t.get("matchFields") or []:
            if f.get("key") == "metadata.name" and f.get("operator") == "In" and len(f.get("values") or []) == 1:
                return f["values"][0]
    return None


def pod_for_node(ds: dict, template: dict, node_name: str, rev_hash: str) -> dict:
    tmeta = template.get("metadata") or {}
    meta: dict = {"generateName": (ds["metadata"]["name"] + "-")[:MAX_GENERATED_PREFIX],
                  "namespace": ds["metadata"]["namespace"], "ownerReferences": [common.controller_ref_to(ds)]}
    for key in ("labels", "annotations", "finalizers"):
        if tmeta.get(key):
            meta[key] = copy.deepcopy(tmeta[key])
    labels = meta.setdefault("labels", {})
    labels[REVISION_HASH] = rev_hash
    labels[TEMPLATE_GENERATION] = str(ds["metadata"].get("generation", 1))
    spec = pin_to_node(with_daemon_tolerations(template.get("spec") or {}), node_name)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
