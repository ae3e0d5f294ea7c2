"""Score plugins: which feasible node is best? (kube-scheduler's Score + NormalizeScore)

SCORES is the table: (name, weight, applies(pod, nodes) -> bool, score(pod, node) -> int,
normalize(list[int]) -> list[int] | None). Raw scores are normalised to 0..100 across
the feasible nodes, multiplied by the weight and summed; the weights are the default
profile's. A plugin that cannot tell nodes apart for this pod is skipped (applies).

Resource scores use "non-zero" requests (100m / 200Mi for a container that asks for
nothing), as Kubernetes does, so best-effort pods still spread over nodes.
"""
from __future__ import annotations

from pkubectl.scheduler.filters import term_matches, tolerates
from pkubectl.scheduler.snapshot import NodeInfo, PodInfo

MAX = 100


def _fraction_free(capacity: int, requested: int) -> int:
    if capacity <= 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX // capacity


def least_allocated(pod: PodInfo, node: NodeInfo) -> int:
    """NodeResourcesFit LeastAllocated: prefer the node with the most left free."""
    alloc = node.allocatable
    cpu = _fraction_free(alloc.get("cpu", 0), node.nz_cpu + pod.nz_cpu)
    mem = _fraction_free(alloc.get("memory", 0), node.nz_mem + pod.nz_mem)
    return (cpu + mem) // 2


def balanced_allocation(pod: PodInfo, node: NodeInfo) -> int:
    """NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory use stay even."""
    alloc = node.allocatable
    cap_cpu, cap_mem = alloc.get("cpu", 0), alloc.get("memory", 0)
    if cap_cpu <= 0 or cap_mem <= 0:
        return 0
    f_cpu = min(1.0, (node.nz_cpu + pod.nz_cpu) / cap_cpu)
    f_mem = min(1.0, (node.nz_mem + pod.nz_mem) / cap_mem)
    return int((1 - abs(f_cpu - f_mem) / 2) * MAX)


def same_owner(pod: PodInfo, node: NodeInfo) -> int:
    """System-default PodTopologySpread over hostnames, keyed by the pod's controller."""
    return node.owners.get(pod.owner, 0)


def preferred_affinity(pod: PodInfo, node: NodeInfo) -> int:
    total = 0
    for term in pod.preferred_terms:
        if isinstance(term, dict) and term_matches(term.get("preference") or {}, node):
            total += term.get("weight") or 0
    return total


def intolerable_prefer_no_schedule(pod: PodInfo, node: NodeInfo) -> int:
    tols = [t for t in pod.tolerations if isinstance(t, dict) and t.get("effect") in (None, "", "PreferNoSchedule")]
    return sum(1 for taint in node.prefer_taints if not any(tolerates(t, taint) for t in tols))


def normalize_fewer_is_better(raw: list[int]) -> list[int]:
    top = max(raw)
    if top == 0:
        return [MAX] * len(raw)
    return [MAX - r * MAX // top for r in raw]


def normalize_more_is_better(raw: list[int]) -> list[int]:
    top = max(raw)
    if top == 0:
        return raw
    return [r * MAX // top for r in raw]


SCORES = (
    ("TaintToleration", 3, lambda p, nodes: any(n.prefer_taints for n in nodes),
     intolerable_prefer_no_schedule, normalize_fewer_is_better),
    ("NodeAffinity", 2, lambda p, nodes: bool(p.preferred_terms), preferred_affinity, normalize_more_is_better),
    ("PodTopologySpread", 2, lambda p, nodes: p.owner is not None, same_owner, normalize_fewer_is_better),
    ("NodeResourcesFit", 1, lambda p, nodes: True, least_allocated, None),
    ("NodeResourcesBalancedAllocation", 1, lambda p, nodes: True, balanced_allocation, None),
)
