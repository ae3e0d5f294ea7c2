"""Turning command-line arguments into kinds, names and manifests, as kubectl does.

- `TYPE`, `TYPE N1 N2`, `TYPE/N ...`, `T1,T2`, `all` -> Targets;
- `-f file|dir|-` (with `-R`) -> (source, object) pairs, with kubectl's error texts.
"""
from __future__ import annotations

import json
import os
import sys

from pkubectl.api import registry
from pkubectl.cli.common import CliError

MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_ALIASES = 1000  # YAML "billion laughs" guard; real manifests use a handful
MAX_DEPTH = 200
MAX_EXPANDED_NODES = 2_000_000  # far above any real manifest (a 16 MiB file of scalars)


class Target:
    """One resource type from the command line and the names given for it."""

    __slots__ = ("kind", "names", "typed_as_slash")

    def __init__(self, kind: registry.Kind, names: list[str] | None = None, typed_as_slash: bool = False):
        self.kind, self.names = kind, names if names is not None else []
        self.typed_as_slash = typed_as_slash  # `pod/x` form: output gets a kind prefix


def lookup_kind(type_name: str) -> registry.Kind:
    try:
        return registry.lookup(type_name)
    except registry.UnknownType as e:
        raise CliError(str(e)) from None


def parse_targets(args: list[str]) -> list[Target]:
    """kubectl's resource-argument grammar, with its error texts."""
    if not args:
        return []
    slash = [a for a in args if "/" in a]
    if slash:
        if len(slash) != len(args):
            raise CliError(
                "there is no need to specify a resource type as a separate argument when passing arguments "
                "in resource/name form (e.g. 'pkubectl get resource/<resource_name>' instead of "
                "'pkubectl get resource resource/<resource_name>'")
        targets: list[Target] = []
        for a in args:
            type_name, _, name = a.partition("/")
            if not name:
                raise CliError(f"arguments in resource/name form must have a single resource and name")
            kind = lookup_kind(type_name)
            if targets and targets[-1].kind is kind:
                targets[-1].names.append(name)
            else:
                targets.append(Target(kind, [name], True))
        return targets
    types, names = args[0], args[1:]
    kinds: list[registry.Kind] = []
    for t in types.split(","):
        if not t:
            continue
        cat = registry.expand_category(t)
        kinds.extend(cat if cat is not None else [lookup_kind(t)])
    if names and len(kinds) > 1:
        return [Target(k, list(names), True) for k in kinds]
    return [Target(k, list(names)) for k in kinds]


# -- manifests -----------------------------------------------------------------
_EXTS = (".json", ".yaml", ".yml")


def manifest_paths(paths: list[str], recursive: bool) -> list[str]:
    out: list[str] = []
    for p in paths:
        if p == "-":
            out.append(p)
            continue
        if p.startswith(("http://", "https://")):
            raise CliError(f'unable to read URL "{p}": pkube does not fetch from the network; '
                           f"download it first and pass the file")
        if not os.path.exists(p):
            raise CliError(f'the path "{p}" does not exist')
        if os.path.isdir(p):
            found = []
            if recursive:
                for root, dirs, files in os.walk(p):
                    dirs.sort()
                    found += [os.path.join(root, f) for f in sorted(files) if f.endswith(_EXTS)]
            else:
                found = [os.path.join(p, f) for f in sorted(os.listdir(p))
                         if f.endswith(_EXTS) and os.path.isfile(os.path.join(p, f))]
            if not found:
                raise CliError(f"error reading [{p}]: recognized file extensions are [.json .yaml .yml]")
            out += found
        else:
            out.append(p)
    return out


def read_source(path: str) -> bytes:
    if path == "-":
        data = sys.stdin.buffer.read(MAX_MANIFEST_BYTES + 1)
    else:
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_MANIFEST_BYTES + 1)
        except IsADirectoryError:
            raise CliError(f'error reading "{path}": is a directory') from None
        except OSError as e:
            raise CliError(f'error reading "{path}": {e.strerror}') from None
    if len(data) > MAX_MANIFEST_BYTES:
        raise CliError(f"error parsing {_name(path)}: the file is larger than "
                       f"{MAX_MANIFEST_BYTES // (1024 * 1024)} MiB")
    return data


def _name(path: str) -> str:
    return "STDIN" if path == "-" else path


def parse_documents(data: bytes, path: str) -> list[dict]:
    """YAML documents / a JSON object / a `kind: List`, flattened to objects."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(f"error parsing {_name(path)}: error converting YAML to JSON: "
                       f"yaml: invalid leading UTF-8 octet") from None
    if "\x00" in text:
        raise CliError(f"error parsing {_name(path)}: error converting YAML to JSON: "
                       f"yaml: control characters are not allowed")
    docs = []
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            docs = [json.loads(text)]
        except ValueError:
            docs = None  # fall back to YAML (a flow mapping is YAML too)
        except RecursionError:
            raise CliError(f"error parsing {_name(path)}: the document is nested too deeply") from None
    if not docs:
        docs = _yaml_documents(text, path)
    objects: list[dict] = []
    for d in docs:
        if d is None:
            continue
        if not isinstance(d, dict):
            raise CliError(f"error parsing {_name(path)}: error unmarshaling JSON: "
                           f"json: cannot unmarshal {_go_type(d)} into Go value of type map[string]interface {{}}")
        _check_depth(d, path)
        if d.get("kind") == "List" or (isinstance(d.get("kind"), str) and d["kind"].endswith("List")
                                        and isinstance(d.get("items"), list)):
            for item in d.get("items") or []:
                if isinstance(item, dict):
                    objects.append(item)
            continue
        for key in ("apiVersion", "kind"):
            if d.get(key) is not None and not isinstance(d[key], str):
                raise CliError(f'error validating "{_name(path)}": error validating data: {key} isn\'t string '
                               f'type; if you choose to ignore these errors, turn validation off with --validate=false')
        if not d.get("kind"):
            raise CliError(f"error validating {_name(path)}: error validating data: kind not set")
        if not d.get("apiVersion"):
            raise CliError(f"error validating {_name(path)}: error validating data: apiVersion not set")
        objects.append(d)
    return objects


def _go_type(v) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "bool"}.get(type(v), "value")


def _check_depth(obj, path: str) -> None:
    """Refuse documents nested too deeply or that expand too far: aliases are shared
    references after parsing, so a "billion laughs" document is small until walked."""
    stack = [(obj, 0)]
    visited = 0
    while stack:
        o, d = stack.pop()
        visited += 1
        if visited > MAX_EXPANDED_NODES:
            raise CliError(f"error parsing {_name(path)}: error converting YAML to JSON: yaml: "
                           f"document contains excessive aliasing")
        if d > MAX_DEPTH:
            raise CliError(f"error parsing {_name(path)}: the document is nested deeper than {MAX_DEPTH} levels")
        if isinstance(o, dict):
            stack += [(v, d + 1) for v in o.values()]
        elif isinstance(o, list):
            stack += [(v, d + 1) for v in o]


def _yaml_documents(text: str, path: str) -> list:
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(loader_cls):  # type: ignore[misc, valid-type]
        """SafeLoader that refuses alias bombs and keeps timestamps/dates as strings
        (Kubernetes reads YAML into JSON: there is no date type)."""
        aliases = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                Loader.aliases += 1
                if Loader.aliases > MAX_ALIASES:
                    raise yaml.YAMLError("document contains excessive aliasing")
            return super().compose_node(parent, index)

    Loader.aliases = 0
    Loader.yaml_implicit_resolvers = {
        k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
        for k, v in loader_cls.yaml_implicit_resolvers.items()}
    try:
        return list(yaml.load_all(text, Loader=Loader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise CliError(f"error parsing {_name(path)}: error converting YAML to JSON: yaml: {where}{problem}") from None
    except RecursionError:
        raise CliError(f"error parsing {_name(path)}: the document is nested too deeply") from None


def load_manifests(paths: list[str], recursive: bool = False) -> list[tuple[str, dict]]:
    """All objects named by `-f` arguments, as (source, object), in kubectl's order."""
    from pkubectl.api.conversion import to_stored_version

    result = []
    for p in manifest_paths(paths, recursive):
        for obj in parse_documents(read_source(p), p):
            result.append((p, to_stored_version(obj)))
    return result


def kind_of_manifest(obj: dict, source: str) -> registry.Kind:
    try:
        return registry.for_object(obj)
    except registry.NoKindMatch as e:
        name = (obj.get("metadata") or {}).get("name", "") if isinstance(obj.get("metadata"), dict) else ""
        ns = (obj.get("metadata") or {}).get("namespace", "") if isinstance(obj.get("metadata"), dict) else ""
        raise CliError(f'resource mapping not found for name: "{name}" namespace: "{ns}" from "{_name(source)}": '
                       f"{e}\nensure CRDs are installed first") from None
