"""Older API versions that a real cluster still serves, converted to the version we store.

A table of (apiVersion, kind) -> converter. Removed versions (extensions/v1beta1,
apps/v1beta1, autoscaling/v2beta1, autoscaling/v2beta2) are not here: a real v1.37
server refuses them too, with `no matches for kind`.
"""
from __future__ import annotations

import copy


def _hpa_v1_to_v2(obj: dict) -> dict:
    """autoscaling/v1 carries one CPU target (targetCPUUtilizationPercentage)."""
    out = copy.deepcopy(obj)
    out["apiVersion"] = "autoscaling/v2"
    spec = out.get("spec")
    if isinstance(spec, dict) and "targetCPUUtilizationPercentage" in spec:
        pct = spec.pop("targetCPUUtilizationPercentage")
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": pct}}}]
    status = out.get("status")
    if isinstance(status, dict) and "currentCPUUtilizationPercentage" in status:
        pct = status.pop("currentCPUUtilizationPercentage")
        status["currentMetrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "current": {"averageUtilization": pct}}}]
    return out


CONVERSIONS = {
    ("autoscaling/v1", "HorizontalPodAutoscaler"): _hpa_v1_to_v2,
}


def to_stored_version(obj: dict) -> dict:
    conv = CONVERSIONS.get((obj.get("apiVersion"), obj.get("kind")))
    return conv(obj) if conv else obj
