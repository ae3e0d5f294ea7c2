"""Filter plugins: can this pod run on this node? (kube-scheduler's Filter extension point)

FILTERS is the table, in the default profile's order. Each entry is
(name, applies(pod_info) -> bool, check(pod_info, node_info) -> None | (code, [reasons])).
`applies` is PreFilter's Skip: a plugin with nothing to check for this pod (no host
ports, no node selector) is not called per node at all. The first failing plugin
decides a node's status, as the framework stops at the first rejection.

Codes: UNRESOLVABLE (UnschedulableAndUnresolvable: preemption cannot help) and
UNSCHEDULABLE (freeing resources could help). Reasons are Kubernetes' own words, because
the FailedScheduling message is built from them and users search for those texts.
"""
from __future__ import annotations

from pkubectl.api import nodematch
from pkubectl.scheduler.snapshot import UNSCHEDULABLE_TAINT, NodeInfo, PodInfo

UNSCHEDULABLE, UNRESOLVABLE = "Unschedulable", "UnschedulableAndUnresolvable"

ERR_NODE_NAME = "node(s) didn't match the requested node name"
ERR_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_TAINT = "node(s) had untolerated taint(s)"
ERR_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_PORTS = "node(s) didn't have free ports for the requested pod ports"
ERR_TOO_MANY_PODS = "Too many pods"


# -- helpers shared with scoring -------------------------------------------------------
tolerates, tolerated = nodematch.tolerates, nodematch.tolerated


def term_matches(term: dict, node: NodeInfo) -> bool:
    """A NodeSelectorTerm against a node (see pkubectl.api.nodematch)."""
    return nodematch.term_matches(term, node.labels, node.name)


# -- filters ---------------------------------------------------------------------------
def node_unschedulable(pod: PodInfo, node: NodeInfo):
    if node.unschedulable and not tolerated(pod.tolerations,
                                            {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}):
        return UNRESOLVABLE, [ERR_UNSCHEDULABLE]
    return None


def node_name(pod: PodInfo, node: NodeInfo):
    want = pod.spec.get("nodeName")
    if want and want != node.name:
        return UNRESOLVABLE, [ERR_NODE_NAME]
    return None


def taint_toleration(pod: PodInfo, node: NodeInfo):
    for taint in node.taints:
        if not tolerated(pod.tolerations, taint):
            return UNRESOLVABLE, [ERR_TAINT]
    return None


def node_affinity(pod: PodInfo, node: NodeInfo):
    labels = node.labels
    for k, v in pod.node_selector.items():
        if labels.get(k) != v:
            return UNRESOLVABLE, [ERR_AFFINITY]
    terms = pod.required_terms
    if terms is not None and not any(term_matches(t, node) for t in terms if isinstance(t, dict)):
        return UNRESOLVABLE, [ERR_AFFINITY]
    return None


def _port_conflict(a: tuple, b: tuple) -> bool:
    (ip1, proto1, port1), (ip2, proto2, port2) = a, b
    return port1 == port2 and proto1 == proto2 and (ip1 == ip2 or "0.0.0.0" in (ip1, ip2))


def node_ports(pod: PodInfo, node: NodeInfo):
    for want in pod.ports:
        if any(_port_conflict(want, used) for used in node.ports):
            return UNSCHEDULABLE, [ERR_PORTS]
    return None


def resources_fit(pod: PodInfo, node: NodeInfo):
    """NodeResourcesFit: pods count, then each requested resource against allocatable
    minus what pods already bound there request; every shortfall is a reason."""
    reasons = []
    if node.pods + 1 > node.max_pods:
        reasons.append(ERR_TOO_MANY_PODS)
    alloc, used = node.allocatable, node.requested
    for name, want in pod.request_order:
        if want > alloc.get(name, 0) - used.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return (UNSCHEDULABLE, reasons) if reasons else None


FILTERS = (
    ("NodeUnschedulable", lambda p: True, node_unschedulable),
    ("NodeName", lambda p: bool(p.spec.get("nodeName")), node_name),
    ("TaintToleration", lambda p: True, taint_toleration),
    ("NodeAffinity", lambda p: bool(p.node_selector) or p.required_terms is not None, node_affinity),
    ("NodePorts", lambda p: bool(p.ports), node_ports),
    ("NodeResourcesFit", lambda p: True, resources_fit),
)


def prefilter(pod: PodInfo) -> list:
    """The checks that apply to this pod, in table order."""
    return [check for _name, applies, check in FILTERS if applies(pod)]


def run(checks: list, pod: PodInfo, node: NodeInfo):
    """None when the node fits, else the first failing plugin's (code, reasons)."""
    for check in checks:
        status = check(pod, node)
        if status is not None:
            return status
    return None
