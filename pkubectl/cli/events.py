"""`events`: kubectl's events command — the namespace's (or all) Events, oldest first,
optionally only those of one object (`--for TYPE/NAME`) or of some types (`--types`),
then (`-w`) the ones that come after, as they come.

The table is kubectl's EventPrinter: LAST SEEN (with `(xN over AGE)` for a repeated
event), TYPE, REASON, OBJECT (`Kind/name`), MESSAGE (cut at its first line break),
NAMESPACE first with -A. -o json|yaml|name|jsonpath... print the EventList instead.
"""
from __future__ import annotations

import sys
import time
from typing import Annotated, Optional

import typer

from pkubectl.api import registry
from pkubectl.cli import common
from pkubectl.cli.common import (AllNamespacesOpt, CliError, ContextOpt, KubeconfigOpt, NamespaceOpt,
                                 OutputOpt, err)

HEADERS = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
TYPES = ("Normal", "Warning")


def event_time(event: dict) -> tuple[float, int]:
    """What kubectl sorts by (the series' last observation, else lastTimestamp, else
    eventTime), then the store's revision: timestamps have whole seconds, and events of
    one second are shown in the order they were written."""
    from pkubectl.printers.age import parse_rfc3339

    stamp = ((event.get("series") or {}).get("lastObservedTime") or event.get("lastTimestamp")
             or event.get("eventTime") or "")
    revision = int(event["metadata"].get("resourceVersion") or 0)
    return (parse_rfc3339(stamp) or 0.0) if stamp else 0.0, revision


def _since(stamp: str | None, now: float) -> str:
    from pkubectl.printers.age import human_duration, parse_rfc3339

    when = parse_rfc3339(stamp) if stamp else None
    return "<unknown>" if when is None else human_duration(now - when)


def interval(event: dict, now: float) -> str:
    """LAST SEEN: kubectl's getInterval."""
    first = _since(event.get("eventTime") or event.get("firstTimestamp"), now)
    series = event.get("series")
    if series:
        return f"{_since(series.get('lastObservedTime'), now)} (x{series.get('count')} over {first})"
    if (event.get("count") or 0) > 1:
        return f"{_since(event.get('lastTimestamp'), now)} (x{event['count']} over {first})"
    return first


def _cell(text: str) -> str:
    for i, ch in enumerate(text):
        if ch in "\f\n\r":
            return text[:i] + "..."
    return text


def row(event: dict, now: float, all_namespaces: bool) -> list[str]:
    involved = event.get("involvedObject") or {}
    cells = [interval(event, now), _cell(event.get("type") or ""), _cell(event.get("reason") or ""),
             f"{_cell(involved.get('kind') or '')}/{_cell(involved.get('name') or '')}",
             _cell((event.get("message") or "").strip())]
    return ([event["metadata"].get("namespace") or ""] if all_namespaces else []) + cells


def parse_for(text: str) -> tuple[str, str]:
    """(Kind, name) of `--for TYPE/NAME`."""
    from pkubectl.cli.resources import lookup_kind

    if "/" not in text:
        raise CliError("--for must be in resource/name form")
    parts = text.split("/")
    if len(parts) != 2:
        raise CliError("arguments in resource/name form may not have more than one slash")
    return lookup_kind(parts[0]).kind, parts[1]


def run_events(inv, all_namespaces: bool, for_: str | None, types: list[str], watch: bool, no_headers: bool,
               output: str | None) -> None:
    from pkubectl.printers.tabwriter import TableWriter

    wanted = sorted({t for text in types for t in text.split(",") if t})
    if any(t.lower() not in ("normal", "warning") for t in wanted):
        raise CliError("valid --types are Normal or Warning")
    involved = parse_for(for_) if for_ else None
    printer = common.object_printer(output, name_too=True)

    def keep(event: dict) -> bool:
        if wanted and (event.get("type") or "").lower() not in {t.lower() for t in wanted}:
            return False
        obj = event.get("involvedObject") or {}
        return involved is None or (obj.get("kind"), obj.get("name")) == involved

    kind = registry.by_kind("Event")
    namespace = None if all_namespaces else inv.namespace
    items, revision = inv.api.list(kind, namespace)
    items = sorted((e for e in items if keep(e)), key=event_time)
    writer = TableWriter()
    header = [] if no_headers else [(["NAMESPACE"] if all_namespaces else []) + HEADERS]
    if items:
        if printer is not None and printer.fmt != "name":  # kubectl prints the EventList it built
            printer.print([{"apiVersion": "v1", "items": items, "kind": "EventList", "metadata": {}}], False)
        elif printer is not None:
            printer.print(items, True)
        else:
            now = time.time()
            sys.stdout.write(writer.render(header + [row(e, now, all_namespaces) for e in items]))
            header = []
    elif not watch:  # a watch just waits for the first one
        err("No events found." if all_namespaces else f"No events found in {inv.namespace} namespace.")
    sys.stdout.flush()
    if not watch:
        return
    for change in inv.api.watch([kind], revision, namespace=namespace):
        if change.type == "DELETED" or not keep(change.object):
            continue
        if printer is not None:
            sys.stdout.write(printer.render([change.object], False))
        else:
            sys.stdout.write(writer.render(header + [row(change.object, time.time(), all_namespaces)]))
            header = []
        sys.stdout.flush()


def register(app: typer.Typer) -> None:
    @app.command("events")
    def events(namespace: NamespaceOpt = None, all_namespaces: AllNamespacesOpt = False,
               for_: Annotated[Optional[str], typer.Option("--for", help="Filter events to only those pertaining to the specified resource.")] = None,
               types: Annotated[Optional[list[str]], typer.Option("--types", help="Output only events of given types.")] = None,
               watch: Annotated[bool, typer.Option("--watch", "-w", help="After listing the requested events, watch for more events.")] = False,
               no_headers: Annotated[bool, typer.Option("--no-headers", help="When using the default output format, don't print headers.")] = False,
               output: OutputOpt = None,
               context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """List events."""
        inv = common.globals_(namespace, context, kubeconfig)
        try:
            run_events(inv, all_namespaces, for_, types or [], watch, no_headers, output)
        except KeyboardInterrupt:
            pass
