"""`pkubectl describe`: the human-readable view of objects, their related objects and Events.

Selection follows kubectl's describe command: TYPE (all), TYPE NAME..., TYPE/NAME, -f, -l,
-A; a single `TYPE NAME` that does not exist describes every object whose name starts
with NAME (kubectl's DescribeMatchingResources). The text itself is built in
pkubectl.printers.describe.
"""
from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import (AllNamespacesOpt, CliError, ContextOpt, FilenameOpt, KubeconfigOpt, NamespaceOpt,
                                 RecursiveOpt, SelectorOpt)

NO_TYPE = ('You must specify the type of resource to describe. Use "pkubectl api-resources" for a complete '
           'list of supported resources.\n')


class Related:
    """What a describer may read besides the object: other objects and Events."""

    def __init__(self, api):
        self.api = api

    def list(self, kind_name: str, namespace: str | None, selector: dict | None = None) -> list[dict]:
        from pkubectl.api import registry, selectors
        kind = registry.by_kind(kind_name)
        ls = selectors.from_label_selector(selector) if selector else None
        return self.api.list(kind, namespace, ls)[0]

    def try_get(self, kind_name: str, namespace: str | None, name: str) -> dict | None:
        from pkubectl.api import registry
        try:
            kind = registry.by_kind(kind_name)
        except KeyError:
            return None
        return self.api.try_get(kind, namespace, name)

    def events_for(self, obj: dict) -> list[dict]:
        return self.api.events_for(obj)


def parse_bool(flag: str, value: str) -> bool:
    """A Go bool flag's value (`--flag`, `--flag=false`)."""
    v = value.lower()
    if v in ("1", "t", "true"):
        return True
    if v in ("0", "f", "false"):
        return False
    raise CliError(f'invalid argument "{value}" for "--{flag}" flag: strconv.ParseBool: parsing "{value}": '
                   f'invalid syntax')


def select(inv, args, filename, recursive, selector, all_namespaces):
    """[(kind, object)] in kubectl's order; NotFound names are reported on inv."""
    from pkubectl.cli.get import parse_selectors
    from pkubectl.cli.resources import kind_of_manifest, load_manifests, parse_targets

    api = inv.api
    found = []
    if filename:
        for src, obj in load_manifests(filename, recursive):
            kind = kind_of_manifest(obj, src)
            meta = obj.get("metadata") or {}
            try:
                found.append((kind, api.get(kind, meta.get("namespace") or inv.namespace, meta.get("name", ""))))
            except ApiError as e:
                inv.fail(e.kubectl_text())
        return found, False
    targets = parse_targets(args)
    ls = parse_selectors(selector, None)[0] if selector else None
    ns = None if all_namespaces else inv.namespace
    prefix_mode = False
    for t in targets:
        if not t.names:
            items, _ = api.list(t.kind, ns, ls)
            found += [(t.kind, o) for o in items]
            continue
        for n in t.names:
            try:
                found.append((t.kind, api.get(t.kind, inv.namespace, n)))
            except ApiError as e:
                if e.code == 404 and len(args) == 2 and not t.typed_as_slash:
                    items, _ = api.list(t.kind, inv.namespace)
                    matches = [o for o in items if o["metadata"]["name"].startswith(n)]
                    if matches:
                        found += [(t.kind, o) for o in matches]
                        prefix_mode = True
                        continue
                inv.fail(e.kubectl_text())
    return found, prefix_mode


def register(app: typer.Typer) -> None:
    @app.command("describe", context_settings={"allow_interspersed_args": True})
    def describe(args: Annotated[Optional[list[str]], typer.Argument(help="(TYPE[.VERSION][.GROUP] [NAME_PREFIX | -l label] | TYPE[.VERSION][.GROUP]/NAME)")] = None,
                 namespace: NamespaceOpt = None, all_namespaces: AllNamespacesOpt = False,
                 filename: FilenameOpt = None, recursive: RecursiveOpt = False, selector: SelectorOpt = None,
                 show_events: Annotated[str, typer.Option("--show-events", help="If true, display events related to the described object.", flag_value="true", is_flag=False)] = "true",
                 chunk_size: Annotated[int, typer.Option("--chunk-size", help="Return large lists in chunks rather than all at once.")] = 500,
                 context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Show details of a specific resource or group of resources."""
        from pkubectl.printers.describe import describe as render

        inv = common.globals_(namespace, context, kubeconfig)
        events = parse_bool("show-events", show_events)
        args = args or []
        if not args and not filename:
            raise CliError(NO_TYPE)
        found, prefix_mode = select(inv, args, filename, recursive, selector, all_namespaces)
        related = Related(inv.api)
        first = True
        for kind, obj in found:
            text = render(kind.kind, obj, related, events)
            if prefix_mode:
                sys.stdout.write(text + "\n")
            elif first:
                sys.stdout.write(text)
            else:
                sys.stdout.write("\n\n" + text)
            first = False
        if not found and not inv.errors:
            if all_namespaces:
                common.err("No resources found")
            else:
                common.err(f"No resources found in {inv.namespace} namespace.")
        inv.finish()
