"""`label` and `annotate`: the same operation on two metadata maps, driven by a table."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Optional

import typer

from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import (AllNamespacesOpt, CliError, ContextOpt, DryRunOpt, FieldSelectorOpt, FilenameOpt,
                                 KubeconfigOpt, NamespaceOpt, OutputOpt, RecursiveOpt, SelectorOpt, err, out)


@dataclass(frozen=True)
class MapVerb:
    field: str          # metadata key
    noun: str           # for messages
    done: str           # "labeled"
    undone: str         # "unlabeled"
    unchanged: str      # "not labeled"
    overwrite_error: str


LABEL = MapVerb("labels", "label", "labeled", "unlabeled", "not labeled",
                "'{key}' already has a value ({old}), and --overwrite is false")
ANNOTATE = MapVerb("annotations", "annotation", "annotated", "annotated", "not annotated",
                   "--overwrite is false but found the following declared annotation(s): "
                   "'{key}' already has a value ({old})")


def parse_changes(words: list[str]) -> tuple[dict, list[str]]:
    sets, removes = {}, []
    for w in words:
        if "=" in w:
            k, _, v = w.partition("=")
            if not k:
                raise CliError(f"invalid label spec: {w}")
            sets[k] = v
        elif w.endswith("-") and len(w) > 1:
            removes.append(w[:-1])
        else:
            raise CliError(f"at least one label update is required") if not w else \
                CliError(f"invalid label spec: {w}")
    return sets, removes


def split_args(args: list[str]) -> tuple[list[str], list[str]]:
    """Resource words come first; `k=v` and `k-` words are the changes."""
    res, changes = [], []
    for a in args:
        if "=" in a or (a.endswith("-") and "/" not in a and len(a) > 1 and res):
            changes.append(a)
        else:
            res.append(a)
    return res, changes


def run_map_verb(verb: MapVerb, args, namespace, all_namespaces, filename, recursive, selector, field_selector,
                 all_, overwrite, resource_version, dry_run, output, list_, context, kubeconfig):
    from pkubectl.cli.get import parse_selectors
    from pkubectl.cli.resources import kind_of_manifest, load_manifests, parse_targets

    inv = common.globals_(namespace, context, kubeconfig)
    mode = common.parse_dry_run(dry_run)
    res_words, change_words = split_args(args or [])
    if filename:
        change_words = res_words + change_words if not change_words else change_words
        res_words = []
    sets, removes = parse_changes(change_words)
    if not sets and not removes and not list_:
        raise CliError(f"at least one {verb.noun} update is required")
    objs: list[tuple] = []
    if filename:
        for src, o in load_manifests(filename, recursive):
            k = kind_of_manifest(o, src)
            meta = o.get("metadata") or {}
            objs.append((k, meta.get("namespace") or inv.namespace, meta.get("name")))
    else:
        targets = parse_targets(res_words)
        if not targets:
            raise CliError("one or more resources must be specified as <resource> <name> or <resource>/<name>")
        for t in targets:
            if t.names:
                objs += [(t.kind, inv.namespace, n) for n in t.names]
            elif all_ or selector or field_selector:
                ls, fs = parse_selectors(selector, field_selector, t.kind)
                items, _ = inv.api.list(t.kind, None if all_namespaces else inv.namespace, ls, fs)
                objs += [(t.kind, o["metadata"].get("namespace"), o["metadata"]["name"]) for o in items]
            else:
                raise CliError("resource(s) were provided, but no name was specified")
    for kind, ns, name in objs:
        try:
            _apply_change(inv, verb, kind, ns, name, sets, removes, overwrite, resource_version, mode, output,
                          list_)
        except ApiError as e:
            inv.fail(e.kubectl_text())
        except CliError as e:
            inv.fail(f"error: {e.message}")
    if mode == "none" and objs:
        from pkubectl.cli.converge import converge
        converge(inv)
    inv.finish()


def _apply_change(inv, verb, kind, ns, name, sets, removes, overwrite, resource_version, mode, output, list_):
    api = inv.api
    for attempt in range(10):
        obj = api.get(kind, ns, name)
        current = dict(obj["metadata"].get(verb.field) or {})
        if list_:
            for k in sorted(current):
                out(f"{k}={current[k]}")
            return
        if resource_version and obj["metadata"]["resourceVersion"] != resource_version:
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {kind.resource} "{name}": the '
                                            f"object has been modified; please apply your changes to the latest "
                                            f"version and try again")
        new = dict(current)
        for k, v in sets.items():
            if k in current and current[k] != v and not overwrite:
                raise CliError(verb.overwrite_error.format(key=k, old=current[k]))
            new[k] = v
        missing = [k for k in removes if k not in current]
        for k in removes:
            new.pop(k, None)
        for k in missing:
            err(f'{verb.noun} "{k}" not found.')
        if new == current:
            out(common.result_line(kind, name, verb.unchanged, mode, output))
            return
        obj["metadata"][verb.field] = new
        if not new:
            obj["metadata"].pop(verb.field)
        if mode != "client":
            try:
                api.update(obj, dry_run=mode == "server")
            except ApiError as e:
                if e.reason == "Conflict" and not resource_version and attempt < 9:
                    continue
                raise
        done = verb.undone if (removes and not sets) else verb.done
        out(common.result_line(kind, name, done, mode, output))
        return


def register(app: typer.Typer) -> None:
    for verb, cmd in ((LABEL, "label"), (ANNOTATE, "annotate")):
        _register_one(app, verb, cmd)


def _register_one(app, verb: MapVerb, cmd: str):
    @app.command(cmd, help=f"Update the {verb.field} on a resource.")
    def command(args: Annotated[Optional[list[str]], typer.Argument(help="TYPE NAME KEY_1=VAL_1 ... KEY_N=VAL_N")] = None,
                namespace: NamespaceOpt = None, all_namespaces: AllNamespacesOpt = False,
                filename: FilenameOpt = None, recursive: RecursiveOpt = False,
                selector: SelectorOpt = None, field_selector: FieldSelectorOpt = None,
                all_: Annotated[bool, typer.Option("--all", help="Select all resources, in the namespace of the specified resource types")] = False,
                overwrite: Annotated[bool, typer.Option("--overwrite", help="If true, allow labels/annotations to be overwritten, otherwise reject updates that overwrite existing values.")] = False,
                resource_version: Annotated[Optional[str], typer.Option("--resource-version", help="If non-empty, the update will only succeed if this is the current resource-version for the object.")] = None,
                list_: Annotated[bool, typer.Option("--list", help="If true, display the labels/annotations for a given resource.")] = False,
                dry_run: DryRunOpt = None, output: OutputOpt = None,
                context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        run_map_verb(verb, args, namespace, all_namespaces, filename, recursive, selector, field_selector, all_,
                     overwrite, resource_version, dry_run, output, list_, context, kubeconfig)
