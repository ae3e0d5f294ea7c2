"""Garbage collector: dependents follow their owners (pkg/controller/garbagecollector).

* An object whose ownerReferences all point at owners that no longer exist (by uid)
  is deleted (background; its own dependents follow on later passes).
* An object with some live owners just loses the references to the missing ones.
* An owner in foreground deletion (deletionTimestamp + `foregroundDeletion` finalizer)
  gets its dependents deleted (foreground too when they have dependents of their own);
  once no dependent with blockOwnerDeletion remains, the finalizer is removed, and the
  API removes the object.
* An owner being deleted with the `orphan` finalizer has the references to it stripped
  from its dependents, then the finalizer removed (the API already does this itself for
  `--cascade=orphan`; the finalizer path covers clients that set it).

Before deleting anything for a missing owner, the owner is looked up again by name:
the listing is not a snapshot, and an owner created meanwhile must not lose its
dependents. References to kinds this cluster does not serve are left alone.
"""
from __future__ import annotations

import copy

from pkubectl.api import errors, registry
from pkubectl.controllers import common

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def _ref_kind(ref: dict):
    try:
        return registry.by_kind(ref.get("kind", ""))
    except KeyError:
        return None


def sync(api) -> int:
    objects: list[tuple] = []  # (kind, obj)
    for k in registry.all_kinds():
        if k.kind == "Event":
            continue
        for o in api.list(k, None)[0]:
            objects.append((k, o))
    by_uid = {o["metadata"].get("uid"): o for _, o in objects}
    dependents: dict[str, list[tuple]] = {}
    for k, o in objects:
        for ref in o["metadata"].get("ownerReferences") or []:
            dependents.setdefault(ref.get("uid"), []).append((k, o))
    writes = 0
    for k, o in objects:
        try:
            if o["metadata"].get("ownerReferences"):
                writes += _attend_dependent(api, k, o, by_uid, dependents)
            if common.being_deleted(o):
                finalizers = o["metadata"].get("finalizers") or []
                if FOREGROUND in finalizers:
                    writes += _finish_foreground(api, k, o, dependents)
                elif ORPHAN in finalizers:
                    writes += _finish_orphan(api, k, o, dependents)
        except errors.ApiError as e:
            if e.reason not in common.RETRY_LATER:
                raise
    return writes


def _owner_state(api, ref: dict, dependent: dict, by_uid: dict) -> str:
    """'solid', 'waiting' (owner in foreground deletion) or 'dangling'."""
    owner = by_uid.get(ref.get("uid"))
    if owner is None:
        kind = _ref_kind(ref)
        if kind is None:
            return "solid"  # a kind we cannot check: never delete on a guess
        live = api.try_get(kind, dependent["metadata"].get("namespace") if kind.namespaced else None,
                           ref.get("name", ""))
        if live is None or live["metadata"].get("uid") != ref.get("uid"):
            return "dangling"
        owner = live
    if common.being_deleted(owner) and FOREGROUND in (owner["metadata"].get("finalizers") or []):
        return "waiting"
    return "solid"


def _attend_dependent(api, kind, obj: dict, by_uid: dict, dependents: dict) -> int:
    refs = obj["metadata"]["ownerReferences"]
    states = [(ref, _owner_state(api, ref, obj, by_uid)) for ref in refs]
    if all(s == "solid" for _, s in states):
        return 0
    meta = obj["metadata"]
    if any(s == "solid" for _, s in states):
        new = copy.deepcopy(obj)
        new["metadata"]["ownerReferences"] = [r for r, s in states if s == "solid"]
        return 1 if common.tolerant(api.update, new) is not None else 0
    if common.being_deleted(obj):
        return 0
    if any(s == "waiting" for _, s in states) and dependents.get(meta.get("uid")):
        policy = "Foreground"
    else:
        finalizers = meta.get("finalizers") or []
        policy = "Orphan" if ORPHAN in finalizers else "Foreground" if FOREGROUND in finalizers else "Background"
    out = common.tolerant(api.delete, kind, meta.get("namespace"), meta["name"], propagation=policy,
                          uid=meta.get("uid"))
    return 1 if out is not None else 0


def _finish_foreground(api, kind, owner: dict, dependents: dict) -> int:
    uid = owner["metadata"]["uid"]
    blocking = [o for _, o in dependents.get(uid, [])
                if any(r.get("uid") == uid and r.get("blockOwnerDeletion")
                       for r in o["metadata"].get("ownerReferences") or [])]
    if blocking:
        return 0
    return _drop_finalizer(api, owner, FOREGROUND)


def _finish_orphan(api, kind, owner: dict, dependents: dict) -> int:
    uid = owner["metadata"]["uid"]
    writes = 0
    for _, o in dependents.get(uid, []):
        new = copy.deepcopy(o)
        refs = [r for r in o["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
        if refs:
            new["metadata"]["ownerReferences"] = refs
        else:
            new["metadata"].pop("ownerReferences", None)
        if common.tolerant(api.update, new) is None:
            return writes  # try again next pass, before the finalizer goes
        writes += 1
    return writes + _drop_finalizer(api, owner, ORPHAN)


def _drop_finalizer(api, obj: dict, name: str) -> int:
    new = copy.deepcopy(obj)
    finalizers = [f for f in new["metadata"].get("finalizers") or [] if f != name]
    if finalizers:
        new["metadata"]["finalizers"] = finalizers
    else:
        new["metadata"].pop("finalizers", None)
    return 1 if common.tolerant(api.update, new) is not None else 0
