"""Patches over plain JSON-like data: JSON merge patch, JSON patch, strategic merge
patch, and the three-way patch of ``kubectl apply``.

The strategic merge code is a port of k8s.io/apimachinery/pkg/util/strategicpatch
(diffMaps / mergeMap and friends), so directives (``$patch``, ``$retainKeys``,
``$setElementOrder/<list>``, ``$deleteFromPrimitiveList/<list>``) and element
ordering behave as the real API server and kubectl do.  Which lists merge by which
key is the data table ``SCHEMAS`` (Go struct tags ``patchStrategy`` /
``patchMergeKey`` of the built-in types); a kind not in the table (a CRD) gets
JSON-merge semantics: maps merge, lists are replaced.

Every public function is pure: inputs are copied, never mutated.
"""

from __future__ import annotations

__all__ = [
    "MergeError",
    "JSONPatchError",
    "SCHEMAS",
    "schema_for",
    "deep_copy",
    "deep_equal",
    "json_merge_patch",
    "create_json_merge_patch",
    "json_patch",
    "strategic_merge_patch",
    "two_way_merge_patch",
    "three_way_apply",
]


class MergeError(ValueError):
    """A patch is malformed or cannot be applied to the document."""


class JSONPatchError(MergeError):
    """An RFC 6902 operation failed (text close to evanphx/json-patch's)."""


# ---------------------------------------------------------------------------
# JSON value helpers
# ---------------------------------------------------------------------------

def deep_copy(v):
    """Copy JSON-like data (dict/list/scalars) much faster than copy.deepcopy."""
    if isinstance(v, dict):
        return {k: deep_copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [deep_copy(x) for x in v]
    return v


def _kind(v) -> str:
    """The Go type a decoded JSON value would have (ints and floats are both float64)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "num"
    if isinstance(v, str):
        return "str"
    if isinstance(v, dict):
        return "map"
    if isinstance(v, list):
        return "list"
    return type(v).__name__


def deep_equal(a, b) -> bool:
    """reflect.DeepEqual on decoded JSON: like ==, but True is not 1."""
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        return False
    if ka == "map":
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    if ka == "list":
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b))
    return a == b


def _scalar_eq(a, b) -> bool:
    """Go interface equality for scalars (type and value)."""
    return _kind(a) == _kind(b) and a == b


def _fmt(v) -> str:
    """fmt.Sprintf("%v") of a decoded JSON scalar, used to sort and match merge keys."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if v is None:
        return "<nil>"
    return str(v)


# ---------------------------------------------------------------------------
# Patch metadata (the Go struct tags), as data
# ---------------------------------------------------------------------------

def _F(strategy: str = "", key: str = "", sub: dict | None = None) -> tuple:
    """Field metadata: patchStrategy (comma list, e.g. 'merge,retainKeys'), patchMergeKey,
    and the schema below the field (of the struct for a map field, of the element for a list).
    Plain tuples keep the module cheap to import."""
    return (strategy, key, sub)


_MERGE_BY_NAME = _F("merge", "name")
_CONDITIONS = _F("merge", "type")
_META = {"ownerReferences": _F("merge", "uid"), "finalizers": _F("merge")}
_CONTAINER = {
    "ports": _F("merge", "containerPort"),
    "env": _MERGE_BY_NAME,
    "volumeMounts": _F("merge", "mountPath"),
    "volumeDevices": _F("merge", "devicePath"),
    # envFrom, resizePolicy, command, args: atomic (no tag)
}
_POD_SPEC = {
    "containers": _F("merge", "name", _CONTAINER),
    "initContainers": _F("merge", "name", _CONTAINER),
    "ephemeralContainers": _F("merge", "name", _CONTAINER),
    "volumes": _F("merge,retainKeys", "name"),
    "imagePullSecrets": _MERGE_BY_NAME,
    "hostAliases": _F("merge", "ip"),
    "topologySpreadConstraints": _F("merge", "topologyKey"),
    "schedulingGates": _MERGE_BY_NAME,
    "resourceClaims": _F("merge,retainKeys", "name"),
    # tolerations, readinessGates: atomic
}
_POD_STATUS = {"conditions": _CONDITIONS, "podIPs": _F("merge", "ip"), "hostIPs": _F("merge", "ip")}
_POD_TEMPLATE = _F(sub={"metadata": _F(sub=_META), "spec": _F(sub=_POD_SPEC)})
_STATUS_CONDITIONS = _F(sub={"conditions": _CONDITIONS})


def _workload(spec_extra: dict | None = None) -> dict:
    spec = {"template": _POD_TEMPLATE}
    spec.update(spec_extra or {})
    return {"spec": _F(sub=spec), "status": _STATUS_CONDITIONS}


SCHEMAS: dict[str, dict] = {
    "Pod": {"spec": _F(sub=_POD_SPEC), "status": _F(sub=_POD_STATUS)},
    "PodTemplate": {"template": _POD_TEMPLATE},
    "ReplicationController": _workload(),
    "Deployment": _workload({"strategy": _F("retainKeys")}),
    "ReplicaSet": _workload(),
    "DaemonSet": _workload(),
    "StatefulSet": _workload(),
    "Job": _workload(),
    "CronJob": {"spec": _F(sub={"jobTemplate": _F(sub={
        "metadata": _F(sub=_META), "spec": _F(sub={"template": _POD_TEMPLATE})})})},
    "Service": {"spec": _F(sub={"ports": _F("merge", "port")}), "status": _STATUS_CONDITIONS},
    "Node": {"spec": _F(sub={"podCIDRs": _F("merge")}),
             "status": _F(sub={"conditions": _CONDITIONS, "addresses": _F("merge", "type")})},
    "Namespace": {"status": _STATUS_CONDITIONS},
    "ServiceAccount": {"secrets": _MERGE_BY_NAME},
    "PersistentVolumeClaim": {"status": _STATUS_CONDITIONS},
}
for _schema in SCHEMAS.values():
    _schema.setdefault("metadata", _F(sub=_META))
_UNKNOWN_KIND = {"metadata": _F(sub=_META)}


def schema_for(kind: str | None) -> dict:
    """Patch metadata of a kind; kinds not in the table merge maps and replace lists."""
    return SCHEMAS.get(kind or "", _UNKNOWN_KIND)


def _lookup(schema: dict | None, key: str) -> tuple[bool, str, str, dict]:
    """(has retainKeys, other strategy, merge key, sub-schema) of a field."""
    f = (schema or {}).get(key)
    if f is None:
        return False, "", "", {}
    strategy, merge_key, sub = f
    parts = [p for p in strategy.split(",") if p]
    retain = "retainKeys" in parts
    others = [p for p in parts if p != "retainKeys"]
    return retain, (others[0] if others else ""), merge_key, (sub or {})


# ---------------------------------------------------------------------------
# Diff (CreateTwoWayMergePatch / CreateThreeWayMergePatch building blocks)
# ---------------------------------------------------------------------------

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_PREFIX = "$deleteFromPrimitiveList"
_ORDER_PREFIX = "$setElementOrder"


class _DiffOpts:
    """strategicpatch.DiffOptions."""

    __slots__ = ("set_order", "ignore_changes", "ignore_deletions", "retain_keys")

    def __init__(self, set_order=False, ignore_changes=False, ignore_deletions=False, retain_keys=False):
        self.set_order = set_order
        self.ignore_changes = ignore_changes      # IgnoreChangesAndAdditions
        self.ignore_deletions = ignore_deletions
        self.retain_keys = retain_keys            # BuildRetainKeysDirective

    def with_retain(self, retain: bool) -> "_DiffOpts":
        return _DiffOpts(self.set_order, self.ignore_changes, self.ignore_deletions, retain)


def _sort_scalars(values: list) -> list:
    return sorted(values, key=_fmt)


def _diff_maps(original: dict, modified: dict, schema: dict, opts: _DiffOpts) -> dict:
    """Patch that turns original into modified (within what opts asks to keep)."""
    patch: dict = {}
    retain: list = []
    for key, mv in modified.items():
        if opts.retain_keys and mv is not None:
            retain.append(key)
        if key not in original:
            if not opts.ignore_changes:
                patch[key] = mv
            continue
        ov = original[key]
        if key == _DIRECTIVE:
            if not isinstance(ov, str) or not isinstance(mv, str):
                raise MergeError(f"invalid value for special key: {_DIRECTIVE}")
            if ov != mv:
                patch[key] = mv
            continue
        if _kind(ov) != _kind(mv):
            if not opts.ignore_changes:
                patch[key] = mv
            continue
        if isinstance(ov, dict):
            _handle_map_diff(key, ov, mv, patch, schema, opts)
        elif isinstance(ov, list):
            _handle_slice_diff(key, ov, mv, patch, schema, opts)
        elif not opts.ignore_changes and not deep_equal(ov, mv):
            patch[key] = mv
    if not opts.ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    if retain and (patch or any(v is not None and k not in modified for k, v in original.items())):
        patch[_RETAIN_KEYS] = _sort_scalars(retain)
    return patch


def _handle_map_diff(key, ov: dict, mv: dict, patch: dict, schema, opts: _DiffOpts) -> None:
    retain, strategy, _, sub = _lookup(schema, key)
    opts = opts.with_retain(retain)
    if strategy == "replace":
        if not opts.ignore_changes:
            patch[key] = mv
        return
    value = _diff_maps(ov, mv, sub, opts)
    if value:
        patch[key] = value


def _handle_slice_diff(key, ov: list, mv: list, patch: dict, schema, opts: _DiffOpts) -> None:
    retain, strategy, merge_key, sub = _lookup(schema, key)
    if strategy != "merge":
        if not opts.ignore_changes and not deep_equal(ov, mv):
            patch[key] = mv
        return
    add, delete, order = _diff_lists(ov, mv, sub, merge_key, opts.with_retain(retain))
    if add:
        patch[key] = add
    if delete:
        patch[f"{_DELETE_PREFIX}/{key}"] = delete
    if order:
        patch[f"{_ORDER_PREFIX}/{key}"] = order


def _elem_kind(*lists) -> str:
    """sliceElementType: all elements of one type, no lists of lists."""
    kind = None
    for lst in lists:
        for v in lst:
            k = _kind(v)
            if kind is None:
                if k == "list":
                    raise MergeError("lists of lists are not supported")
                kind = k
            elif k != kind:
                raise MergeError(f"list element types are not identical: {lists}")
    if kind is None:
        raise MergeError("no elements in any of the given slices")
    return kind


def _merge_key_value(elem, merge_key: str):
    if not isinstance(elem, dict):
        raise MergeError(f"expected a map, got {elem!r}")
    if merge_key not in elem:
        raise MergeError(f"map: {elem} does not contain declared merge key: {merge_key}")
    return elem[merge_key]


def _diff_lists(original: list, modified: list, schema, merge_key: str, opts: _DiffOpts):
    """(patch list, primitive deletion list, $setElementOrder list) for a merging list."""
    if not original:
        if not modified or opts.ignore_changes:
            return [], [], []
        return modified, [], []
    kind = _elem_kind(original, modified)
    if kind == "map":
        patch_list, delete_list = _diff_lists_of_maps(original, modified, schema, merge_key, opts)
        patch_list = _normalize_slice_order(patch_list, modified, merge_key, kind)
        order_same = len(original) == len(modified) and all(
            _scalar_eq(_merge_key_value(o, merge_key), _merge_key_value(m, merge_key))
            for o, m in zip(original, modified))
        patch_list += delete_list
        order = []
        if opts.set_order and ((not opts.ignore_changes and (patch_list or not order_same))
                               or (not opts.ignore_deletions and patch_list)):
            order = [{merge_key: m[merge_key]} for m in modified]
        return patch_list, [], order
    add, delete = _diff_lists_of_scalars(original, modified, opts)
    add = _normalize_slice_order(add, modified, "", kind)
    order = []
    if opts.set_order and ((not opts.ignore_deletions and delete)
                           or (not opts.ignore_changes and not deep_equal(original, modified))):
        order = modified
    return add, delete, order


def _diff_lists_of_scalars(original: list, modified: list, opts: _DiffOpts):
    orig = _sort_scalars(original)
    mod = _sort_scalars(modified)
    add, delete = [], []
    i = j = 0
    while i < len(orig) or j < len(mod):
        os_ = _fmt(orig[i]) if i < len(orig) else None
        ms = _fmt(mod[j]) if j < len(mod) else None
        if os_ is not None and ms is not None and os_ == ms:
            i += 1
            j += 1
        elif os_ is None or (ms is not None and os_ > ms):
            if not opts.ignore_changes:
                add.append(mod[j])
            j += 1
        else:
            if not opts.ignore_deletions:
                delete.append(orig[i])
            i += 1
    return add, _dedup(delete)


def _diff_lists_of_maps(original: list, modified: list, schema, merge_key: str, opts: _DiffOpts):
    by_key = lambda m: _fmt(_merge_key_value(m, merge_key))  # noqa: E731
    orig = sorted(original, key=by_key)
    mod = sorted(modified, key=by_key)
    patch, deletions = [], []
    i = j = 0
    while i < len(orig) or j < len(mod):
        os_ = by_key(orig[i]) if i < len(orig) else None
        ms = by_key(mod[j]) if j < len(mod) else None
        if os_ is not None and ms is not None and os_ == ms:
            value = _diff_maps(orig[i], mod[j], schema, opts)
            if value:
                value[merge_key] = mod[j][merge_key]
                patch.append(value)
            i += 1
            j += 1
        elif os_ is None or (ms is not None and os_ > ms):
            if not opts.ignore_changes:
                patch.append(mod[j])
            j += 1
        else:
            if not opts.ignore_deletions:
                deletions.append({merge_key: orig[i][merge_key], _DIRECTIVE: "delete"})
            i += 1
    return patch, deletions


# ---------------------------------------------------------------------------
# Element order (preserve-order-in-strategic-merge-patch)
# ---------------------------------------------------------------------------

def _order_value(item, merge_key: str, kind: str):
    return item.get(merge_key) if kind == "map" and isinstance(item, dict) else item


def _index(lst: list, item, merge_key: str, kind: str) -> int:
    want = _order_value(item, merge_key, kind)
    for i, v in enumerate(lst):
        if _scalar_eq(_order_value(v, merge_key, kind), want):
            return i
    return -1


def _normalize_slice_order(to_sort: list, order: list, merge_key: str, kind: str) -> list:
    """Sort by position in `order`; `$patch: delete` elements go last."""
    to_delete = []
    if kind == "map":
        for v in list(to_sort) + list(order):
            _merge_key_value(v, merge_key)
        to_delete = [v for v in to_sort if v.get(_DIRECTIVE) == "delete"]
        to_sort = [v for v in to_sort if v.get(_DIRECTIVE) != "delete"]

    def pos(item):
        i = _index(order, item, merge_key, kind)
        return i if i >= 0 else len(order)

    return sorted(to_sort, key=pos) + to_delete


def _merge_sorted(left: list, right: list, server_order: list, merge_key: str, kind: str) -> list:
    """mergeSortedSlice: interleave server-only items (left) into patch items (right)."""
    out, i, j = [], 0, 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li = _index(server_order, left[i], merge_key, kind)
            ri = _index(server_order, right[j], merge_key, kind)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


def _normalize_element_order(patch_items, server_only, patch_order, server_order, merge_key, kind):
    patch_items = _normalize_slice_order(patch_items, patch_order, merge_key, kind)
    server_only = _normalize_slice_order(server_only, server_order, merge_key, kind)
    return _merge_sorted(server_only, patch_items, server_order, merge_key, kind)


def _partition(merged: list, by: list, merge_key: str) -> tuple[list, list]:
    """Items of merged present in `by` (by merge key, or by value for primitives), and the rest."""
    inside, outside = [], []
    for v in merged:
        if merge_key:
            value = _merge_key_value(v, merge_key)
            found = any(isinstance(b, dict) and merge_key in b and _scalar_eq(b[merge_key], value) for b in by)
        else:
            found = any(_scalar_eq(v, b) for b in by)
        (inside if found else outside).append(v)
    return inside, outside


def _dedup(values: list) -> list:
    out = []
    for v in values:
        if not any(_scalar_eq(v, o) for o in out):
            out.append(v)
    return out


# ---------------------------------------------------------------------------
# Merge (StrategicMergePatch, and combining the two halves of a three-way patch)
# ---------------------------------------------------------------------------

class _MergeOpts:
    """strategicpatch.MergeOptions."""

    __slots__ = ("parallel", "ignore_nulls")

    def __init__(self, parallel: bool = True, ignore_nulls: bool = True):
        self.parallel = parallel          # MergeParallelList: apply directives (server side)
        self.ignore_nulls = ignore_nulls  # IgnoreUnmatchedNulls: a null deletes, and is not kept


def _extract_key(key: str, prefix: str) -> str:
    head, _, rest = key.partition("/")
    if head != prefix or not rest:
        if prefix == _DELETE_PREFIX:
            raise MergeError("invalid patch format for $deleteFromPrimitiveList")
        raise MergeError("invalid patch format for $setElementOrder list")
    return rest


def _merge_map(original: dict | None, patch: dict, schema, opts: _MergeOpts) -> dict:
    if _DIRECTIVE in patch:
        directive = patch[_DIRECTIVE]
        if directive == "replace":
            del patch[_DIRECTIVE]
            return _clean(patch, schema, opts) if opts.parallel else patch
        if directive == "delete":
            return {}
        raise MergeError(f"Unknown patch type: {directive} in map: {patch}")
    if original is None:
        original = {}
    _apply_retain_keys(original, patch, opts)
    _merge_patch_into_original(original, patch, schema, opts)
    for key, pv in list(patch.items()):
        is_delete_list = False
        if key.startswith(_DELETE_PREFIX):
            if not opts.parallel:
                original[key] = pv
                continue
            key, is_delete_list = _extract_key(key, _DELETE_PREFIX), True
        if pv is None:
            original.pop(key, None)
            if opts.ignore_nulls:
                continue
        if key not in original:
            if not is_delete_list:
                original[key] = _clean_new(pv, schema, key, opts)
            continue
        ov = original[key]
        if _kind(ov) != _kind(pv):
            if not is_delete_list:
                original[key] = _clean_new(pv, schema, key, opts)
            continue
        _, strategy, merge_key, sub = _lookup(schema, key)
        if isinstance(ov, dict):
            original[key] = pv if strategy == "replace" else _merge_map(ov, pv, sub, opts)
        elif isinstance(ov, list):
            if strategy == "merge":
                original[key] = _merge_slice(ov, pv, sub, merge_key, opts, is_delete_list)
            else:
                original[key] = pv
        else:
            original[key] = pv
    return original


def _clean(value, schema, opts: _MergeOpts):
    """A patch value with no live counterpart: drop nulls and apply its directives."""
    if isinstance(value, dict):
        return _merge_map({}, value, schema, opts)
    return value


def _clean_new(pv, schema, key: str, opts: _MergeOpts):
    """Value for a key the original lacks.  Server side, directives and nulls inside it are
    resolved against an empty value (so no `$patch` ends up stored); client side it is kept."""
    if not opts.parallel:
        return pv
    _, strategy, merge_key, sub = _lookup(schema, key)
    if isinstance(pv, dict) and strategy != "replace":
        return _merge_map({}, pv, sub, opts)
    if isinstance(pv, list) and strategy == "merge" and pv:
        return _merge_slice([], pv, sub, merge_key, opts, False)
    return pv


def _apply_retain_keys(original: dict, patch: dict, opts: _MergeOpts) -> None:
    if _RETAIN_KEYS not in patch:
        return
    keep = patch.pop(_RETAIN_KEYS)
    if not opts.parallel:
        if _RETAIN_KEYS in original and not deep_equal(original[_RETAIN_KEYS], keep):
            raise MergeError(f"{original[_RETAIN_KEYS]} and {keep} are not deep equal: this may happen "
                             "when calculating the 3-way diff patch")
        original.setdefault(_RETAIN_KEYS, keep)
        return
    if not isinstance(keep, list):
        raise MergeError("invalid patch format for $retainKeys")
    for k, v in patch.items():
        if v is None or k.startswith(_DELETE_PREFIX) or k.startswith(_ORDER_PREFIX):
            continue
        if k not in keep:
            raise MergeError("invalid patch format for $retainKeys")
    for k in list(original):
        if k not in keep:
            del original[k]


def _validate_order_list(patch_list: list, order_list: list, merge_key: str) -> None:
    if not order_list or not patch_list:
        return
    items = [v for v in patch_list if not (merge_key and isinstance(v, dict) and v.get(_DIRECTIVE) == "delete")]
    pi = oi = 0
    while pi < len(items) and oi < len(order_list):
        if isinstance(items[pi], dict) and _DIRECTIVE in items[pi]:
            pi += 1
            continue
        if merge_key:
            same = _scalar_eq(_merge_key_value(items[pi], merge_key), _merge_key_value(order_list[oi], merge_key))
        else:
            same = _scalar_eq(items[pi], order_list[oi])
        if same:
            pi += 1
        oi += 1
    if pi < len(items):
        raise MergeError(f"The order in patch list:\n{patch_list}\n doesn't match {_ORDER_PREFIX} list:\n{order_list}\n")


def _merge_patch_into_original(original: dict, patch: dict, schema, opts: _MergeOpts) -> None:
    """Handle `$setElementOrder/<list>` together with its list (mergePatchIntoOriginal)."""
    for key in [k for k in patch if k.startswith(_ORDER_PREFIX)]:
        order = patch.pop(key)
        if not opts.parallel:
            if key in original and not deep_equal(original[key], order):
                raise MergeError("invalid patch format for $setElementOrder list")
            original.setdefault(key, order)
        if not isinstance(order, list):
            raise MergeError("invalid patch format for $setElementOrder list")
        list_key = _extract_key(key, _ORDER_PREFIX)
        found_orig, found_patch = list_key in original, list_key in patch
        orig_list = original.get(list_key) if found_orig else []
        patch_list = patch.get(list_key) if found_patch else []
        if not isinstance(orig_list, list) or not isinstance(patch_list, list):
            raise MergeError(f"expected a list for {list_key}")
        _, strategy, merge_key, sub = _lookup(schema, list_key)
        _validate_order_list(patch_list, order, merge_key)
        if found_orig and found_patch:
            merged = (_merge_slice(orig_list, patch_list, sub, merge_key, opts, False)
                      if strategy == "merge" else patch_list)
        elif found_orig:
            merged = orig_list
        elif found_patch:
            merged = _clean_new(patch_list, schema, list_key, opts)
        else:
            continue
        if not merged:
            original[list_key] = merged
            patch.pop(list_key, None)
            continue
        inside, outside = _partition(merged, order, merge_key)
        kind = _elem_kind(orig_list, patch_list) if (orig_list or patch_list) else _elem_kind(merged)
        original[list_key] = _normalize_element_order(inside, outside, order, orig_list, merge_key, kind)
        patch.pop(list_key, None)


def _merge_slice(original: list, patch: list, schema, merge_key: str, opts: _MergeOpts,
                 is_delete_list: bool) -> list:
    if not original and not patch:
        return original
    kind = _elem_kind(original, patch)
    if kind != "map":
        if opts.parallel and is_delete_list:
            return [v for v in original if not any(_scalar_eq(v, d) for d in patch)]
        merged = _dedup(original + patch)
    else:
        if not merge_key:
            raise MergeError("cannot merge lists without merge key")
        original, patch = _merge_special_elements(original, patch, merge_key)
        merged = _merge_plain_elements(original, patch, merge_key, schema, opts)
    inside, outside = _partition(merged, patch, merge_key)
    return _normalize_element_order(inside, outside, patch, original, merge_key, kind)


def _merge_special_elements(original: list, patch: list, merge_key: str) -> tuple[list, list]:
    """Apply `{$patch: delete, key: v}` elements; `{$patch: replace}` makes the patch the list."""
    plain, replace = [], False
    for v in patch:
        directive = v.get(_DIRECTIVE) if isinstance(v, dict) else None
        if directive is None:
            plain.append(v)
        elif directive == "delete":
            if merge_key not in v:
                raise MergeError(f"map: {v} does not contain declared merge key: {merge_key}")
            original = [o for o in original if not _scalar_eq(o.get(merge_key), v[merge_key])]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise MergeError("merging lists cannot yet be specified in the patch")
        else:
            raise MergeError(f"Unknown patch type: {directive} in map: {v}")
    if replace:
        return plain, []
    return original, plain


def _merge_plain_elements(original: list, patch: list, merge_key: str, schema, opts: _MergeOpts) -> list:
    original = list(original)
    for v in patch:
        value = _merge_key_value(v, merge_key)
        for i, o in enumerate(original):
            if isinstance(o, dict) and merge_key in o and _scalar_eq(o[merge_key], value):
                original[i] = _merge_map(o, v, schema, opts)
                break
        else:
            original.append(_clean(v, schema, opts) if opts.parallel else v)
    return original


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

def strategic_merge_patch(target: dict | None, patch: dict, kind: str | None = None) -> dict:
    """Apply a strategic merge patch to `target` (a live object of `kind`), as the API server does."""
    if not isinstance(patch, dict):
        raise MergeError("strategic merge patch must be a JSON object")
    original = deep_copy(target) if isinstance(target, dict) else {}
    return _merge_map(original, deep_copy(patch), schema_for(kind), _MergeOpts(True, True))


def two_way_merge_patch(original: dict, modified: dict, kind: str | None = None) -> dict:
    """The strategic patch turning original into modified (CreateTwoWayMergePatch; used by edit)."""
    return deep_copy(_diff_maps(deep_copy(original or {}), deep_copy(modified or {}),
                                schema_for(kind), _DiffOpts(set_order=True)))


def three_way_apply(original: dict | None, modified: dict, current: dict | None,
                    kind: str | None = None) -> dict:
    """kubectl client-side apply patch (CreateThreeWayMergePatch).

    original: last-applied configuration (None when absent); modified: the new config;
    current: the live object.  The patch sets what modified changes relative to current
    (never removing what current has beyond modified: server defaults, other writers) plus
    null/`$patch: delete` for what original had and modified dropped.  `{}` = unchanged.
    Kinds outside SCHEMAS get JSON-merge semantics (lists replaced), as kubectl does for CRDs.
    """
    schema = schema_for(kind)
    modified = deep_copy(modified or {})
    delta = _diff_maps(deep_copy(current or {}), modified, schema,
                       _DiffOpts(set_order=True, ignore_deletions=True))
    deletions = _diff_maps(deep_copy(original or {}), modified, schema,
                           _DiffOpts(set_order=True, ignore_changes=True))
    return deep_copy(_merge_map(deep_copy(deletions), deep_copy(delta), schema, _MergeOpts(False, False)))


# -- RFC 7386 -------------------------------------------------------------------

def _merge_patch_into(target, patch):
    if not isinstance(patch, dict):
        return deep_copy(patch)
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = _merge_patch_into(target.get(k), v)
    return target


def json_merge_patch(target, patch):
    """RFC 7386 JSON merge patch: maps merge, null deletes, anything else replaces."""
    return _merge_patch_into(deep_copy(target), patch)


def create_json_merge_patch(original, modified):
    """The RFC 7386 patch turning original into modified ({} when equal)."""
    if not isinstance(original, dict) or not isinstance(modified, dict):
        return deep_copy(modified)
    patch = {}
    for k, v in modified.items():
        if k not in original:
            patch[k] = deep_copy(v)
        elif isinstance(v, dict) and isinstance(original[k], dict):
            sub = create_json_merge_patch(original[k], v)
            if sub:
                patch[k] = sub
        elif not deep_equal(original[k], v):
            patch[k] = deep_copy(v)
    for k in original:
        if k not in modified:
            patch[k] = None
    return patch


# -- RFC 6902 -------------------------------------------------------------------

def _pointer(path) -> list[str]:
    if not isinstance(path, str):
        raise JSONPatchError(f"invalid JSON pointer: {path!r}")
    if path == "":
        return []
    if not path.startswith("/"):
        raise JSONPatchError(f'JSON pointer must be empty or start with a "/": {path!r}')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _list_index(container: list, token: str, path: str, allow_end: bool) -> int:
    if allow_end and token == "-":
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise JSONPatchError(f"Unable to access invalid index: {token}: invalid index referenced ({path})")
    idx = int(token)
    limit = len(container) + (1 if allow_end else 0)
    if idx >= limit:
        raise JSONPatchError(f"Unable to access invalid index: {idx}: invalid index referenced ({path})")
    return idx


def _parent(doc, tokens: list[str], op: str, path: str):
    cur = doc
    for t in tokens[:-1]:
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list) and t.isdigit() and int(t) < len(cur):
            cur = cur[int(t)]
        else:
            raise JSONPatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')
    if not isinstance(cur, (dict, list)):
        raise JSONPatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')
    return cur


def _get(doc, path: str, op: str):
    cur = doc
    for t in _pointer(path):
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list) and t.isdigit() and int(t) < len(cur):
            cur = cur[int(t)]
        else:
            raise JSONPatchError(f'{op} operation does not apply: doc is missing from path: "{path}": missing value')
    return cur


def _add(doc, path: str, value, op: str = "add"):
    tokens = _pointer(path)
    if not tokens:
        return value
    parent, last = _parent(doc, tokens, op, path), tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    else:
        parent.insert(_list_index(parent, last, path, allow_end=True), value)
    return doc


def _remove(doc, path: str, op: str = "remove"):
    tokens = _pointer(path)
    if not tokens:
        raise JSONPatchError(f"{op} operation does not apply: cannot remove the document root")
    parent, last = _parent(doc, tokens, op, path), tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise JSONPatchError(f"error in {op} for path: '{path}': Unable to remove nonexistent key: {last}: missing value")
        return parent.pop(last)
    return parent.pop(_list_index(parent, last, path, allow_end=False))


def _replace(doc, path: str, value):
    tokens = _pointer(path)
    if not tokens:
        return value
    parent, last = _parent(doc, tokens, "replace", path), tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise JSONPatchError(f"replace operation does not apply: doc is missing key: {path}: missing value")
        parent[last] = value
    else:
        parent[_list_index(parent, last, path, allow_end=False)] = value
    return doc


def json_patch(target, ops):
    """Apply an RFC 6902 JSON patch (list of operations); JSONPatchError on failure."""
    if not isinstance(ops, list):
        raise JSONPatchError("json patch must be a list of operations")
    doc = deep_copy(target)
    for op in ops:
        if not isinstance(op, dict):
            raise JSONPatchError(f"invalid operation: {op!r}")
        name = op.get("op")
        path = op.get("path")
        if path is None:
            raise JSONPatchError(f"{name} operation failed to decode path: missing path")
        if name in ("add", "replace", "test") and "value" not in op:
            raise JSONPatchError(f"{name} operation failed to decode value: missing value")
        if name == "add":
            doc = _add(doc, path, deep_copy(op["value"]))
        elif name == "remove":
            _remove(doc, path)
        elif name == "replace":
            doc = _replace(doc, path, deep_copy(op["value"]))
        elif name in ("move", "copy"):
            src = op.get("from")
            if src is None:
                raise JSONPatchError(f"{name} operation failed to decode from: missing from")
            if name == "move":
                if path != src and path.startswith(src + "/"):
                    raise JSONPatchError(f"move operation does not apply: cannot move {src} into its own child {path}")
                if path == src:
                    _get(doc, src, name)
                    continue
                value = _remove(doc, src, "move")
            else:
                value = deep_copy(_get(doc, src, name))
            doc = _add(doc, path, value, name)
        elif name == "test":
            try:
                ok = deep_equal(_get(doc, path, "test"), op["value"])
            except JSONPatchError:
                ok = op["value"] is None  # a missing value tests equal to null
            if not ok:
                raise JSONPatchError(f"testing value {path} failed: test failed")
        else:
            raise JSONPatchError(f"Unexpected kind: {name}")
    return doc
