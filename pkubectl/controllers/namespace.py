"""Namespace controller: what lives in a namespace, from its birth to its deletion.

* Every active namespace has the ServiceAccount `default` (serviceaccounts-controller)
  and the ConfigMap `kube-root-ca.crt` (root-ca-cert-publisher); deleted ones come back.
* A namespace being deleted (phase Terminating, finalizer `kubernetes`) has all its
  content deleted; its status carries the conditions Kubernetes' namespace deleter
  writes; once nothing is left the `kubernetes` finalizer is removed and the API removes
  the namespace. Pods still stopping (their kubelet finishes them) keep it Terminating.
"""
from __future__ import annotations

import copy
import os

from pkubectl.api import errors, registry
from pkubectl.controllers import common

FINALIZER = "kubernetes"
ROOT_CA = "kube-root-ca.crt"
ROOT_CA_DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
                       "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
                       "guaranteed across distributions of Kubernetes clusters.")
# pkube serves no TLS; without a cluster CA file the bundle is a clearly-labelled placeholder.
PLACEHOLDER_CA = ("-----BEGIN CERTIFICATE-----\n"
                  "cGt1YmUgbG9jYWwgY2x1c3Rlcjogbm8gVExTLCBubyBjbHVzdGVyIENBIChwbGFjZWhvbGRlcik=\n"
                  "-----END CERTIFICATE-----\n")


def sync(api) -> int:
    namespaces, _ = api.list(registry.lookup("namespaces"), None)
    writes = 0
    live = [n for n in namespaces if not common.being_deleted(n)]
    if live:
        writes += ensure_defaults(api, live)
    for ns in namespaces:
        if common.being_deleted(ns):
            try:
                writes += finalize(api, ns)
            except errors.ApiError as e:
                if e.reason not in common.RETRY_LATER:
                    raise
    return writes


def root_ca(home: str) -> str:
    for name in ("pki/ca.crt", "ca.crt"):
        path = os.path.join(home, name)
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            continue
    return PLACEHOLDER_CA


def ensure_defaults(api, namespaces: list[dict]) -> int:
    sa_kind, cm_kind = registry.lookup("serviceaccounts"), registry.lookup("configmaps")
    have_sa = {o["metadata"]["namespace"] for o in api.list(sa_kind, None)[0] if o["metadata"]["name"] == "default"}
    cms = {o["metadata"]["namespace"]: o for o in api.list(cm_kind, None)[0] if o["metadata"]["name"] == ROOT_CA}
    ca = root_ca(api.store.home)
    writes = 0
    for ns in namespaces:
        name = ns["metadata"]["name"]
        if ns.get("status", {}).get("phase", "Active") != "Active":
            continue
        if name not in have_sa:
            if common.tolerant(api.create, {"apiVersion": "v1", "kind": "ServiceAccount",
                                            "metadata": {"name": "default", "namespace": name}}) is not None:
                writes += 1
        cm = cms.get(name)
        if cm is None:
            out = common.tolerant(api.create, {
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": ROOT_CA, "namespace": name,
                             "annotations": {"kubernetes.io/description": ROOT_CA_DESCRIPTION}},
                "data": {"ca.crt": ca}})
            writes += out is not None
        elif (cm.get("data") or {}).get("ca.crt") != ca:
            new = copy.deepcopy(cm)
            new["data"] = {**(new.get("data") or {}), "ca.crt": ca}
            writes += common.tolerant(api.update, new) is not None
    return writes


def finalize(api, ns: dict) -> int:
    """Delete the content, report what remains, drop the finalizer when empty."""
    name = ns["metadata"]["name"]
    writes = 0
    remaining: dict[str, int] = {}
    finalizers: dict[str, int] = {}
    for k in registry.all_kinds():
        if not k.namespaced:
            continue
        for o in api.list(k, name)[0]:
            if not common.being_deleted(o):
                out = common.tolerant(api.delete, k, name, o["metadata"]["name"], uid=o["metadata"].get("uid"))
                writes += out is not None
                if out is None or out["metadata"].get("deletionTimestamp") is None:
                    continue  # gone now
                o = out
            remaining[k.resource] = remaining.get(k.resource, 0) + 1
            for f in o["metadata"].get("finalizers") or []:
                finalizers[f] = finalizers.get(f, 0) + 1
    status = copy.deepcopy(ns.get("status") or {})
    status["phase"] = "Terminating"
    for cond in deletion_conditions(remaining, finalizers):
        _set_condition(status, cond)
    if status != ns.get("status"):
        new = copy.deepcopy(ns)
        new["status"] = status
        out = common.tolerant(api.update_status, new)
        if out is None:
            return writes
        ns = out
        writes += 1
    if remaining:
        return writes
    new = copy.deepcopy(ns)
    spec_f = [f for f in (new.get("spec") or {}).get("finalizers") or [] if f != FINALIZER]
    if new.get("spec") is not None:
        if spec_f:
            new["spec"]["finalizers"] = spec_f
        else:
            new["spec"].pop("finalizers", None)
    meta_f = [f for f in new["metadata"].get("finalizers") or [] if f != FINALIZER]
    if meta_f:
        new["metadata"]["finalizers"] = meta_f
    else:
        new["metadata"].pop("finalizers", None)
    if new != ns:
        writes += common.tolerant(api.update, new) is not None
    return writes


def deletion_conditions(remaining: dict[str, int], finalizers: dict[str, int]) -> list[dict]:
    conds = [
        ("NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered", "All resources successfully discovered"),
        ("NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions",
         "All legacy kube types successfully parsed"),
        ("NamespaceDeletionContentFailure", "False", "ContentDeleted",
         "All content successfully deleted, may be waiting on finalization"),
    ]
    if remaining:
        conds.append(("NamespaceContentRemaining", "True", "SomeResourcesRemain",
                      "Some resources are remaining: " + ", ".join(
                          f"{r} has {n} resource instances" for r, n in sorted(remaining.items()))))
    else:
        conds.append(("NamespaceContentRemaining", "False", "ContentRemoved", "All content successfully removed"))
    if finalizers:
        conds.append(("NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
                      "Some content in the namespace has finalizers remaining: " + ", ".join(
                          f"{f} in {n} resource instances" for f, n in sorted(finalizers.items()))))
    else:
        conds.append(("NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers",
                      "All content-preserving finalizers finished"))
    return [{"type": t, "status": s, "reason": r, "message": m} for t, s, r, m in conds]


def _set_condition(status: dict, cond: dict) -> None:
    conds = status.setdefault("conditions", [])
    for i, c in enumerate(conds):
        if c.get("type") == cond["type"]:
            if c.get("status") == cond["status"] and c.get("reason") == cond["reason"] and \
                    c.get("message") == cond["message"]:
                return
            conds[i] = {**cond, "lastTransitionTime": common.rfc3339()}
            return
    conds.append({**cond, "lastTransitionTime": common.rfc3339()})
