"""`apply` (client-side, three-way), `replace` and `diff`: declarative management of
objects from manifests, as kubectl does it."""
from __future__ import annotations

import copy
import json
import sys
from typing import Annotated, Optional

import typer

from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import (CliError, ContextOpt, DryRunOpt, FilenameOpt, KubeconfigOpt, NamespaceOpt,
                                 OutputOpt, RecursiveOpt, SelectorOpt, err, out, result_line)

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MISSING_ANNOTATION = ("Warning: resource {res}/{name} is missing the kubectl.kubernetes.io/last-applied-configuration "
                      "annotation which is required by pkubectl apply. pkubectl apply should only be used on resources "
                      "created declaratively by either pkubectl create --save-config or pkubectl apply. The missing "
                      "annotation will be patched automatically.")


def last_applied_text(obj: dict) -> str:
    """The annotation's value: compact JSON, keys sorted, trailing newline, with
    `"annotations":{}` kept (kubectl serialises the object minus this annotation)."""
    c = copy.deepcopy(obj)
    meta = c.setdefault("metadata", {})
    ann = dict(meta.get("annotations") or {})
    ann.pop(LAST_APPLIED, None)
    meta["annotations"] = ann
    return json.dumps(_prune_nulls(c), separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"


def _prune_nulls(o):
    if isinstance(o, dict):
        return {k: _prune_nulls(v) for k, v in o.items() if v is not None}
    if isinstance(o, list):
        return [_prune_nulls(v) for v in o]
    return o


def with_annotation(obj: dict) -> dict:
    c = _prune_nulls(copy.deepcopy(obj))
    text = last_applied_text(obj)
    c.setdefault("metadata", {}).setdefault("annotations", {})
    if c["metadata"]["annotations"] is None:
        c["metadata"]["annotations"] = {}
    c["metadata"]["annotations"][LAST_APPLIED] = text
    return c


def check_namespace(inv, obj: dict, kind) -> None:
    """Fill the namespace; refuse a manifest namespace that contradicts `-n`."""
    if not kind.namespaced:
        if isinstance(obj.get("metadata"), dict):
            obj["metadata"].pop("namespace", None)
        return
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise CliError("error validating data: metadata must be an object")
    ns = meta.get("namespace")
    if ns and inv.explicit_namespace and ns != inv.namespace:
        raise CliError(f'the namespace from the provided object "{ns}" does not match the namespace '
                       f'"{inv.namespace}". You must pass \'--namespace={ns}\' to perform this operation.')
    meta["namespace"] = ns or inv.namespace


def server_error(e: ApiError, verb: str, source: str) -> str:
    """kubectl names the file in server errors about file objects."""
    if getattr(e, "local_state", False):  # the local state dir, not the object (errors.unavailable)
        return f"error: {e.message}"
    if e.reason == "Invalid":
        return e.kubectl_text()
    where = "STDIN" if source == "-" else source
    return f'Error from server ({e.reason}): error when {verb} "{where}": {e.message}'


def apply_one(inv, kind, obj: dict, source: str, dry_run: str, force: bool) -> tuple[str, dict]:
    """Apply one object; returns (verb, resulting object)."""
    from pkubectl.api import merge

    api = inv.api
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise CliError("error validating data: metadata must be an object")
    # kubectl reads name/namespace with unstructured accessors: a non-string reads as ""
    name = meta.get("name") if isinstance(meta.get("name"), str) else ""
    if not isinstance(meta.get("namespace", ""), str):
        meta["namespace"] = ""
    if not name:
        if obj["metadata"].get("generateName"):
            raise CliError(f"from {source}: cannot use generate name with apply")
        raise CliError(f'error when retrieving current configuration of:\nResource: "{kind.resource}", '
                       f'GroupVersionKind: "{kind.api_version}, Kind={kind.kind}"\nName: "", Namespace: '
                       f'"{obj["metadata"].get("namespace", "")}"\nfrom server for: "{source}": resource name may '
                       f'not be empty')
    ns = obj["metadata"].get("namespace")
    modified = with_annotation(obj)
    for attempt in range(5):
        live = api.try_get(kind, ns, name)
        if live is None:
            if dry_run == "client":
                return "created", modified
            try:
                created = api.create(modified, ns, dry_run=dry_run == "server")
            except ApiError as e:
                if e.reason == "AlreadyExists" and attempt < 4:
                    continue
                raise
            return "created", created
        stale = obj["metadata"].get("resourceVersion")
        if stale and stale != live["metadata"].get("resourceVersion"):
            # A manifest that carries a resourceVersion is a precondition: kubectl's
            # patch includes it and the server refuses a stale one.
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {kind.resource} "{name}": the '
                                            f'object has been modified; please apply your changes to the latest '
                                            f'version and try again')
        ann = (live["metadata"].get("annotations") or {}).get(LAST_APPLIED)
        original = None
        if ann:
            try:
                original = json.loads(ann)
            except ValueError:
                original = None
        else:
            common.err(MISSING_ANNOTATION.format(res=kind.resource, name=name))
        try:
            patch = merge.three_way_apply(original, modified, live, kind.kind)
        except merge.MergeError as e:  # kubectl prints the strategic-merge error as is
            raise CliError(str(e)) from None
        if not patch or _no_effect(live, patch, kind):
            # Nothing but the bookkeeping annotation would change (e.g. `get -o yaml |
            # apply -f -`, or a field removed that the server defaults back): the object
            # is unchanged and is not rewritten.
            return "unchanged", live
        if dry_run == "client":
            return "configured", merge.strategic_merge_patch(copy.deepcopy(live), patch, kind.kind)
        try:
            patch.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
            try:
                new = merge.strategic_merge_patch(copy.deepcopy(live), patch, kind.kind)
            except merge.MergeError as e:
                raise CliError(str(e)) from None
            result = api.update(new, dry_run=dry_run == "server")
            return "configured", result
        except ApiError as e:
            if e.reason == "Conflict" and attempt < 4:
                continue
            if force and e.reason in ("Invalid", "Conflict"):
                api.delete(kind, ns, name, grace=0)
                _wait_gone(inv, kind, ns, name)
                return "configured", api.create(modified, ns)
            raise
    raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {kind.resource} "{name}"')


def _wait_gone(inv, kind, ns, name, timeout: float = 60.0) -> None:
    import time
    from pkubectl.cli.converge import converge
    deadline = time.monotonic() + timeout
    while inv.api.try_get(kind, ns, name) is not None and time.monotonic() < deadline:
        converge(inv)
        time.sleep(0.05)


def manifests(inv, filename, recursive, selector=None):
    """(source, kind, object) for every document, namespaces filled in."""
    from pkubectl.cli.get import parse_selectors
    from pkubectl.cli.resources import kind_of_manifest, load_manifests

    if not filename:
        raise CliError("must specify one of -f and -k")
    ls = parse_selectors(selector, None)[0] if selector else None
    result = []
    for src, obj in load_manifests(filename, recursive):
        kind = kind_of_manifest(obj, src)
        if ls is not None and not ls.matches((obj.get("metadata") or {}).get("labels") or {}):
            continue
        check_namespace(inv, obj, kind)
        result.append((src, kind, obj))
    return result


def register(app: typer.Typer) -> None:
    @app.command("apply")
    def apply(filename: FilenameOpt = None, recursive: RecursiveOpt = False, namespace: NamespaceOpt = None,
              output: OutputOpt = None, dry_run: DryRunOpt = None, selector: SelectorOpt = None,
              prune: Annotated[bool, typer.Option("--prune", help="Automatically delete resource objects that do not appear in the configs and are created by either apply or create --save-config. Should be used with either -l or --all.")] = False,
              all_: Annotated[bool, typer.Option("--all", help="Select all resources in the namespace of the specified resource types.")] = False,
              force: Annotated[bool, typer.Option("--force", help="If true, immediately remove resources from API and bypass graceful deletion. Re-create the resource when the update fails.")] = False,
              server_side: Annotated[bool, typer.Option("--server-side", help="If true, apply runs in the server instead of the client.")] = False,
              validate: Annotated[str, typer.Option("--validate", help="Must be one of: strict (or true), warn, ignore (or false).")] = "strict",
              context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Apply a configuration to a resource by file name or stdin."""

        inv = common.globals_(namespace, context, kubeconfig)
        mode = common.parse_dry_run(dry_run)
        if server_side and mode == "client":
            raise CliError("--dry-run=client doesn't work with --server-side (did you mean --dry-run=server instead?)")
        if prune and not selector and not all_:
            raise CliError("all resources selected for prune without explicitly passing --all. To prune all "
                           "resources, pass the --all flag. If you did not mean to prune all resources, specify "
                           "a label selector")
        printer = common.object_printer(output)
        items = manifests(inv, filename, recursive, selector)
        if not items and not selector:
            raise CliError("no objects passed to apply")
        results = []
        applied = set()
        for src, kind, obj in items:
            try:
                verb, result = apply_one(inv, kind, obj, src, mode, force)
            except ApiError as e:
                inv.fail(server_error(e, "creating" if e.reason in ("AlreadyExists", "NotFound") else "applying", src))
                continue
            except CliError as e:
                inv.fail(f"error: {e.message}")
                continue
            applied.add((kind.resource, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]))
            if server_side and verb != "unchanged":
                verb = "serverside-applied"
            if printer is None:
                out(result_line(kind, obj["metadata"]["name"], verb, mode, output))
            else:
                results.append(result)
        if printer is not None and results:
            printer.print(results, len(results) > 1)
        if prune and mode != "client":
            _prune(inv, items, applied, selector, mode, output)
        if mode == "none":
            from pkubectl.cli.converge import converge
            converge(inv)
        inv.finish()

    @app.command("replace")
    def replace(filename: FilenameOpt = None, recursive: RecursiveOpt = False, namespace: NamespaceOpt = None,
                output: OutputOpt = None, dry_run: DryRunOpt = None,
                force: Annotated[bool, typer.Option("--force", help="If true, immediately remove resources from API and bypass graceful deletion.")] = False,
                save_config: Annotated[bool, typer.Option("--save-config", help="If true, the configuration of current object will be saved in its annotation.")] = False,
                context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Replace a resource by file name or stdin."""
        inv = common.globals_(namespace, context, kubeconfig)
        mode = common.parse_dry_run(dry_run)
        for src, kind, obj in manifests(inv, filename, recursive):
            name = obj["metadata"].get("name")
            try:
                if save_config:
                    obj = with_annotation(obj)
                if force:
                    if inv.api.try_get(kind, obj["metadata"].get("namespace"), name) is not None:
                        inv.api.delete(kind, obj["metadata"].get("namespace"), name, grace=0)
                        _wait_gone(inv, kind, obj["metadata"].get("namespace"), name)
                    inv.api.create(obj, dry_run=mode == "server")
                else:
                    obj["metadata"].pop("resourceVersion", None) if not obj["metadata"].get("resourceVersion") else None
                    inv.api.update(obj, dry_run=mode == "server")
            except ApiError as e:
                inv.fail(server_error(e, "replacing", src))
                continue
            out(result_line(kind, name, "replaced", mode, output))
        if mode == "none":
            from pkubectl.cli.converge import converge
            converge(inv)
        inv.finish()

    @app.command("diff")
    def diff(filename: FilenameOpt = None, recursive: RecursiveOpt = False, namespace: NamespaceOpt = None,
             selector: SelectorOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Diff the live version against what apply would make it. Exit 1 when they differ."""
        import difflib

        from pkubectl.printers import yamlout

        inv = common.globals_(namespace, context, kubeconfig)
        differs = False
        for src, kind, obj in manifests(inv, filename, recursive, selector):
            name = obj["metadata"].get("name")
            ns = obj["metadata"].get("namespace")
            live = inv.api.try_get(kind, ns, name)
            try:
                _, merged = apply_one(inv, kind, obj, src, "server", False)
            except ApiError as e:
                inv.fail(server_error(e, "applying", src))
                continue
            before = _diffable(live) if live else {}
            after = _diffable(merged)
            if before == after:
                continue
            differs = True
            label = f"{kind.api_version.replace('/', '.')}.{kind.kind}.{ns + '.' if ns else ''}{name}"
            a = yamlout.dump(before).splitlines(keepends=True) if live else []
            b = yamlout.dump(after).splitlines(keepends=True)
            sys.stdout.writelines(difflib.unified_diff(a, b, f"LIVE/{label}", f"MERGED/{label}"))
        if inv.errors:
            raise common.Failed()
        if differs:
            raise typer.Exit(1)


def _no_effect(live: dict, patch: dict, kind) -> bool:
    """True when applying `patch` (then server defaults) leaves the object as it is,
    apart from the last-applied annotation."""
    from pkubectl.api import merge
    from pkubectl.api.server import normalize

    try:
        new = merge.strategic_merge_patch(copy.deepcopy(live), patch, kind.kind)
        normalize(new)
    except (merge.MergeError, TypeError, AttributeError, KeyError, ValueError):
        return False  # not decodable: the write path reports it in kubectl's words
    return _comparable(new, kind) == _comparable(live, kind)


def _comparable(obj: dict, kind) -> dict:
    o = copy.deepcopy(obj)
    if kind.has_status and kind.kind != "Namespace":
        o.pop("status", None)  # the main resource ignores status (a subresource)
    meta = o.get("metadata") or {}
    meta.pop("resourceVersion", None)
    ann = meta.get("annotations")
    if isinstance(ann, dict):
        ann.pop(LAST_APPLIED, None)
        if not ann:
            meta.pop("annotations")
    return o


def _diffable(obj: dict) -> dict:
    o = copy.deepcopy(obj)
    meta = o.get("metadata", {})
    for k in ("resourceVersion", "generation", "managedFields"):
        meta.pop(k, None)
    return o


def _prune(inv, items, applied: set, selector, mode: str, output) -> None:
    from pkubectl.cli.get import parse_selectors

    ls = parse_selectors(selector, None)[0] if selector else None
    kinds = {k.resource: k for _, k, _ in items}
    namespaces = {o["metadata"].get("namespace", "") for _, _, o in items}
    for kind in kinds.values():
        for ns in (namespaces if kind.namespaced else {""}):
            objs, _ = inv.api.list(kind, ns or None, ls)
            for o in objs:
                m = o["metadata"]
                if (kind.resource, m.get("namespace", ""), m["name"]) in applied:
                    continue
                if LAST_APPLIED not in (m.get("annotations") or {}):
                    continue
                if m.get("ownerReferences"):
                    continue
                try:
                    inv.api.delete(kind, m.get("namespace"), m["name"], dry_run=mode == "server")
                except ApiError as e:
                    inv.fail(e.kubectl_text())
                    continue
                out(result_line(kind, m["name"], "pruned", mode, output))
