"""Which pods may go to which nodes: core/v1 helpers shared by the scheduler, the
DaemonSet controller and the node lifecycle controller (in Kubernetes they live in
k8s.io/api/core/v1 and component-helpers/scheduling).

- `tolerates(toleration, taint)`: Toleration.ToleratesTaint.
- `requirement_matches(expr, value)`: one NodeSelectorRequirement against a label
  value (None = label absent).
- `term_matches(term, labels, name)`: a NodeSelectorTerm (matchExpressions AND
  matchFields on metadata.name); an empty term matches nothing.
"""
from __future__ import annotations


def tolerates(toleration: dict, taint: dict) -> bool:
    """An empty effect or key matches all; operator '' means Equal."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    return op == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def tolerated(tolerations: list, taint: dict) -> bool:
    return any(tolerates(t, taint) for t in tolerations if isinstance(t, dict))


def _int(text) -> int | None:
    try:
        return int(str(text))
    except ValueError:
        return None


def requirement_matches(expr: dict, value: str | None) -> bool:
    op, values = expr.get("operator"), expr.get("values") or []
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt"):
        if value is None or len(values) != 1:
            return False
        have, want = _int(value), _int(values[0])
        if have is None or want is None:
            return False
        return have > want if op == "Gt" else have < want
    return False


def term_matches(term: dict, labels: dict, name: str) -> bool:
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False
    if not all(requirement_matches(e, labels.get(e.get("key", ""))) for e in exprs):
        return False
    return all(f.get("key") == "metadata.name" and requirement_matches(f, name) for f in fields)
