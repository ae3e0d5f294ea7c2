"""`pkubectl get`: read objects and print them, or follow the revision log with -w."""
from __future__ import annotations

import sys
import time
from typing import Annotated, Optional

from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import CliError, err, out

NO_TYPE = ('You must specify the type of resource to get. Use "pkubectl api-resources" for a complete list of '
           'supported resources.\n\nerror: Required resource not specified.\nUse "pkubectl explain <resource>" for '
           'a detailed description of that resource (e.g. pkubectl explain pods).\n'
           "See 'pkubectl get -h' for help and examples")


def parse_selectors(selector: str | None, field_selector: str | None, kind=None):
    if not selector and not field_selector:
        return None, None
    from pkubectl.api import selectors
    try:
        ls = selectors.parse_label_selector(selector) if selector else None
        fs = selectors.parse_field_selector(field_selector) if field_selector else None
        if fs is not None and kind is not None:
            fs.validate_for_kind(kind.kind)
    except selectors.SelectorError as e:
        if "field label not supported" in str(e):
            raise ApiError(400, "BadRequest", f'Unable to find "{kind.group + "/" if kind and kind.group else "/"}'
                                              f'{kind.version if kind else "v1"}, Resource={kind.plural if kind else ""}" '
                                              f'that match label selector "{selector or ""}", field selector '
                                              f'"{field_selector}": {e}') from None
        raise CliError(str(e)) from None
    return ls, fs


def sort_objects(objs: list[dict], sort_by: str) -> list[dict]:
    from pkubectl.printers import jsonpath
    expr = sort_by if sort_by.startswith("{") else "{" + sort_by + "}"
    try:
        tmpl = jsonpath.compile(expr)
    except jsonpath.JSONPathError as e:
        raise CliError(f"couldn't parse sort-by jsonpath {sort_by}: {e}") from None

    def key(o):
        v = tmpl.execute(o, allow_missing=True)
        try:
            return (0, float(v), "")
        except ValueError:
            return (1, 0.0, v)
    return sorted(objs, key=key)


def collect(inv, targets, all_ns: bool, ls, fs, ignore_not_found: bool):
    """[(kind, [objects])] in argument order; missing names reported and counted."""
    api = inv.api
    blocks = []
    ns = None if all_ns else inv.namespace
    for t in targets:
        if t.names:
            found = []
            for n in t.names:
                try:
                    found.append(api.get(t.kind, ns or inv.namespace, n))
                except ApiError as e:
                    if not (ignore_not_found and e.code == 404):
                        inv.fail(e.kubectl_text())
            blocks.append((t, found))
        else:
            items, _ = api.list(t.kind, ns, ls, fs)
            blocks.append((t, items))
    return blocks


def register(app) -> None:
    common.declare_options(globals())

    @app.command("get", context_settings={"allow_interspersed_args": True})
    def get(args: Annotated[Optional[list[str]], typer.Argument(help="TYPE[.VERSION][.GROUP] [NAME ...]")] = None,
            namespace: NamespaceOpt = None, all_namespaces: AllNamespacesOpt = False,
            output: OutputOpt = None, selector: SelectorOpt = None, field_selector: FieldSelectorOpt = None,
            filename: FilenameOpt = None, recursive: RecursiveOpt = False,
            show_labels: Annotated[bool, typer.Option("--show-labels", help="When printing, show all labels as the last column.")] = False,
            label_columns: Annotated[Optional[list[str]], typer.Option("--label-columns", "-L", help="Accepts a comma separated list of labels that are going to be presented as columns.")] = None,
            sort_by: Annotated[Optional[str], typer.Option("--sort-by", help="If non-empty, sort list types using this field specification (JSONPath).")] = None,
            no_headers: Annotated[bool, typer.Option("--no-headers", help="When using the default or custom-column output format, don't print headers.")] = False,
            ignore_not_found: Annotated[bool, typer.Option("--ignore-not-found", help="If the requested object does not exist the command will return exit code 0.")] = False,
            watch: Annotated[bool, typer.Option("--watch", "-w", help="After listing/getting the requested object, watch for changes.")] = False,
            watch_only: Annotated[bool, typer.Option("--watch-only", help="Watch for changes to the requested object(s), without listing/getting first.")] = False,
            output_watch_events: Annotated[bool, typer.Option("--output-watch-events", help="Output watch event objects when --watch or --watch-only is used.")] = False,
            show_kind: Annotated[bool, typer.Option("--show-kind", help="If present, list the resource type for the requested object(s).")] = False,
            chunk_size: Annotated[int, typer.Option("--chunk-size", help="Return large lists in chunks rather than all at once.")] = 500,
            template: TemplateOpt = None, allow_missing_template_keys: AllowMissingOpt = True,
            show_managed_fields: ShowManagedFieldsOpt = False,
            context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Display one or many resources."""
        return run_get(**locals())


def run_get(args=None, namespace=None, all_namespaces=False, output=None, selector=None, field_selector=None,
            filename=None, recursive=False, show_labels=False, label_columns=None, sort_by=None, no_headers=False,
            ignore_not_found=False, watch=False, watch_only=False, output_watch_events=False, show_kind=False,
            chunk_size=500, template=None, allow_missing_template_keys=True, show_managed_fields=False,
            context=None, kubeconfig=None):
    """`get` itself, callable without typer (see fastpath.py)."""
    from pkubectl.cli.resources import kind_of_manifest, load_manifests, parse_targets, Target
    from pkubectl.printers.output import Printer, PrinterError, TableOptions, table_rows

    inv = common.globals_(namespace, context, kubeconfig)
    try:
        printer = Printer.from_flag(output, allow_missing_template_keys, template)
    except PrinterError as e:
        raise CliError(str(e)) from None
    args = args or []
    if filename:
        targets = []
        for src, obj in load_manifests(filename, recursive):
            k = kind_of_manifest(obj, src)
            meta = obj.get("metadata") or {}
            ns = meta.get("namespace")
            if ns:
                inv.namespace_flag = inv.namespace_flag or ns
            targets.append(Target(k, [meta.get("name", "")], True))
    else:
        if not args:
            err(NO_TYPE)
            raise common.Failed()
        targets = parse_targets(args)
    single_kind = len({t.kind for t in targets}) == 1
    ls, fs = parse_selectors(selector, field_selector, targets[0].kind if single_kind and targets else None)
    if not watch_only:
        blocks = collect(inv, targets, all_namespaces, ls, fs, ignore_not_found)
    else:
        blocks = [(t, []) for t in targets]
    if sort_by:
        blocks = [(t, sort_objects(objs, sort_by)) for t, objs in blocks]

    opts = TableOptions(wide=printer.fmt == "wide", no_headers=no_headers, show_labels=show_labels,
                        label_columns=[c for lc in (label_columns or []) for c in lc.split(",")],
                        all_namespaces=all_namespaces,
                        show_kind=show_kind or len(blocks) > 1 or any(t.typed_as_slash for t in targets)
                        and len({t.kind for t in targets}) > 1)
    total = sum(len(objs) for _, objs in blocks)
    writer = None
    if printer.is_table:
        from pkubectl.printers.tabwriter import TableWriter
        writer = TableWriter()
        first = True
        for t, objs in blocks:
            if not objs:
                continue
            rows = table_rows(t.kind, objs, opts)
            if not first:
                out("")
            writer.reset_widths()
            sys.stdout.write(writer.render(rows).rstrip("\n") + "\n")
            first = False
        if total == 0 and not inv.errors and not ignore_not_found and not watch_only:
            if all_namespaces:
                err("No resources found")
            else:
                err(f"No resources found in {inv.namespace} namespace.")
    elif not watch_only:
        objs = [o for _, os_ in blocks for o in os_]
        as_list = not (len(targets) == 1 and len(targets[0].names) == 1 and not filename) or \
            (filename is not None and len(objs) > 1)
        if objs or as_list:
            if objs or printer.fmt not in ("name",):
                if not (inv.errors and not objs):
                    printer.print(objs, as_list)
    sys.stdout.flush()
    if watch or watch_only:
        follow(inv, targets, all_namespaces, ls, fs, printer, opts, writer, output_watch_events,
               header=watch_only)
    inv.finish()




def follow(inv, targets, all_ns, ls, fs, printer, opts, writer, output_events: bool, header: bool):
    """One line (or object) per change, widths remembered, until interrupted."""
    from pkubectl.printers.output import table_rows
    from pkubectl.printers.tabwriter import TableWriter

    api = inv.api
    kinds = list({t.kind.resource: t.kind for t in targets}.values())
    names = {(t.kind.resource, n) for t in targets for n in t.names}
    ns = None if all_ns else inv.namespace
    since = api.store.revision()
    writer = writer or TableWriter()
    printed_header = not header
    for ev in api.watch(kinds, since, namespace=ns):
        if names and (ev.resource, ev.name) not in names:
            continue
        kind = next(k for k in kinds if k.resource == ev.resource)
        obj = ev.object
        if ls is not None and not ls.matches(obj["metadata"].get("labels") or {}):
            continue
        if fs is not None and not fs.matches(obj):
            continue
        if printer.is_table:
            rows = table_rows(kind, [obj], opts, header=not printed_header)
            if output_events:
                if not printed_header:
                    rows[0].insert(0, "EVENT")
                    rows[1].insert(0, ev.type)
                else:
                    rows[0].insert(0, ev.type)
            printed_header = True
            sys.stdout.write(writer.render(rows).rstrip("\n") + "\n")
        else:
            if output_events:
                printer.fmt_obj = None
                import json
                sys.stdout.write(json.dumps({"type": ev.type, "object": obj}) + "\n")
            else:
                sys.stdout.write(printer.render([obj], False))
        sys.stdout.flush()
