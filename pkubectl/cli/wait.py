"""`pkubectl wait`: block until objects meet a condition, are deleted, or exist.

kubectl watches; pkube polls the store with a deadline, and runs the control loops
(converge) on every poll so that a per-invocation cluster — no daemon — still makes
progress while we wait. Conditions follow kubectl's wait package: condition types and
values compare case-insensitively, a condition whose observedGeneration (its own, else
status.observedGeneration) is behind metadata.generation does not count, jsonpath
values compare as text after trimming, and a bare jsonpath only asks that a value exists.
Objects are waited on one after another under one overall timeout.
"""
from __future__ import annotations

import time
from typing import Annotated, Optional

import typer

from pkubectl.cli import common
from pkubectl.cli.common import (AllNamespacesOpt, CliError, ContextOpt, FieldSelectorOpt, FilenameOpt, KubeconfigOpt,
                                 NamespaceOpt, OutputOpt, RecursiveOpt, SelectorOpt, out)

WEEK = 168 * 3600.0
POLL = 0.1


class Condition:
    """What --for asks: mode is delete | create | condition | jsonpath."""

    def __init__(self, text: str | None):
        text = text or ""
        self.mode, self.name, self.value, self.template = "", "", "", None
        low = text.lower()
        if low == "delete":
            self.mode = "delete"
        elif low == "create":
            self.mode = "create"
        elif text.startswith("condition="):
            name = text[len("condition="):]
            self.mode, self.value = "condition", "true"
            if "=" in name:
                name, _, self.value = name.partition("=")
            self.name = name
        elif text.startswith("jsonpath="):
            self.mode = "jsonpath"
            self._parse_jsonpath(text[len("jsonpath="):])
        else:
            raise CliError(f'unrecognized condition: "{text}"')

    def _parse_jsonpath(self, text: str) -> None:
        from pkubectl.printers import jsonpath
        from pkubectl.printers.customcolumns import relaxed_jsonpath

        parts = _split_jsonpath_input(text)
        if not 1 <= len(parts) <= 2:
            raise CliError("jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or "
                           "--for=jsonpath='{.status.readyReplicas}'")
        expr = parts[0]
        if not expr:
            raise CliError("jsonpath expression cannot be empty")
        try:
            self.template = jsonpath.compile(relaxed_jsonpath(expr))
        except Exception as e:  # noqa: BLE001 - the parser's own message is the error text
            raise CliError(str(e)) from None
        if len(parts) == 2:
            self.value = parts[1].strip("'\"")
            if not self.value:
                raise CliError("jsonpath wait has to have a value after equal sign, like "
                               "--for=jsonpath='{.status.readyReplicas}'=3")
        else:
            self.value = None  # any value

    def met(self, obj: dict) -> bool:
        if self.mode == "condition":
            return _condition_met(obj, self.name, self.value)
        return self._jsonpath_met(obj)

    def _jsonpath_met(self, obj: dict) -> bool:
        from pkubectl.printers.jsonpath import go_sprint

        results = self.template.find_results(obj, allow_missing=True)
        if not results or not results[0]:
            return False
        if len(results) > 1:
            raise CliError("given jsonpath expression matches more than one list")
        if len(results[0]) > 1:
            raise CliError("given jsonpath expression matches more than one value")
        if self.value is None:
            return True
        v = results[0][0]
        if isinstance(v, (dict, list)):
            raise CliError("jsonpath leads to a nested object or list which is not supported")
        return go_sprint(v).strip() == self.value.strip()


def _split_jsonpath_input(text: str) -> list[str]:
    """Split on single '='; '==' stays inside an element (kubectl's splitJSONPathInput)."""
    parts, cur, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "=":
            if i + 1 < len(text) and text[i + 1] == "=":
                cur.append("==")
                i += 2
                continue
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def _condition_met(obj: dict, name: str, value: str) -> bool:
    gen = (obj.get("metadata") or {}).get("generation")
    for c in (obj.get("status") or {}).get("conditions") or []:
        if not isinstance(c, dict) or str(c.get("type", "")).casefold() != name.casefold():
            continue
        if "status" not in c:
            continue
        if gen is not None:
            observed = c.get("observedGeneration", (obj.get("status") or {}).get("observedGeneration"))
            if observed is not None and observed < gen:
                return False
        return str(c["status"]).casefold() == value.casefold()
    return False


def object_name(kind, name: str) -> str:
    """resource.Info.ObjectName(): `deployments/web` (plural, no group)."""
    return f"{kind.plural}/{name}"


def _poll(inv, deadline: float) -> bool:
    """Let the cluster move (one converge), then pause; False once the deadline passed."""
    from pkubectl.cli.converge import converge

    if time.monotonic() >= deadline:
        return False
    converge(inv, timeout=5.0, ensure_daemon=False)
    time.sleep(min(POLL, max(0.0, deadline - time.monotonic())))
    return True


def wait_one(inv, cond: Condition, kind, ns, name: str, uid: str | None, deadline: float, once: bool):
    """The object as it met the condition; raises CliError/ApiError otherwise."""
    api = inv.api
    if cond.mode == "delete":
        while True:
            live = api.try_get(kind, ns, name)
            if live is None or (uid and live["metadata"].get("uid") != uid):
                return live or {"metadata": {"name": name}}
            if once:
                raise CliError(f"condition not met for {object_name(kind, name)}")
            if not _poll(inv, deadline):
                raise CliError(f"timed out waiting for the condition on {object_name(kind, name)}")
    if cond.mode == "create":
        while True:
            live = api.try_get(kind, ns, name)
            if live is not None:
                return live
            if once or not _poll(inv, deadline):
                raise CliError(f"timed out waiting for the condition on {object_name(kind, name)}")
    live = api.get(kind, ns, name)
    while True:
        if cond.met(live):
            return live
        if once:
            raise CliError(f"condition not met for {object_name(kind, name)}")
        if not _poll(inv, deadline):
            raise CliError(f"timed out waiting for the condition on {object_name(kind, name)}")
        live = api.get(kind, ns, name)  # gone while waiting: NotFound, as kubectl's precondition


def register(app: typer.Typer) -> None:
    @app.command("wait")
    def wait(args: Annotated[Optional[list[str]], typer.Argument(help="([-f FILENAME] | resource.group/resource.name | resource.group [(-l label | --all)])")] = None,
             namespace: NamespaceOpt = None, all_namespaces: AllNamespacesOpt = False,
             selector: SelectorOpt = None, field_selector: FieldSelectorOpt = None,
             all_: Annotated[bool, typer.Option("--all", help="Select all resources in the namespace of the specified resource types")] = False,
             filename: FilenameOpt = None, recursive: RecursiveOpt = False,
             for_: Annotated[Optional[str], typer.Option("--for", help="The condition to wait on: [create|delete|condition=condition-name[=condition-value]|jsonpath='{JSONPath expression}'=[JSONPath value]]. The default condition-value is True.")] = None,
             timeout: Annotated[str, typer.Option("--timeout", help="The length of time to wait before giving up.  Zero means check once and don't wait, negative means wait for a week.")] = "30s",
             output: OutputOpt = None,
             context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Wait for a specific condition on one or many resources."""
        from pkubectl.cli.get import parse_selectors
        from pkubectl.cli.resources import kind_of_manifest, load_manifests, parse_targets

        inv = common.globals_(namespace, context, kubeconfig)
        cond = Condition(for_)
        if output not in (None, "name"):
            raise CliError(f"unable to match a printer suitable for the output format \"{output}\", "
                           f"allowed formats are: name")
        seconds = common.parse_duration(timeout) if not timeout.startswith("-") else -1.0
        once = seconds == 0
        deadline = time.monotonic() + (WEEK if seconds < 0 else seconds)
        # (kind, namespace, name, uid) to wait on, in kubectl's visiting order
        work: list[tuple] = []
        if filename:
            for src, obj in load_manifests(filename, recursive):
                k = kind_of_manifest(obj, src)
                meta = obj.get("metadata") or {}
                work.append((k, meta.get("namespace") or inv.namespace, meta.get("name", ""), None))
        else:
            targets = parse_targets(args or [])
            if not targets:
                raise CliError("You must provide one or more resources by argument or filename.\nExample resource "
                               "specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   "
                               "'<resource> <name>'\n   '<resource>'")
            for t in targets:
                if t.names:
                    work += [(t.kind, inv.namespace, n, None) for n in t.names]
                elif selector or field_selector or all_:
                    ls, fs = parse_selectors(selector, field_selector, t.kind)
                    items, _ = inv.api.list(t.kind, None if all_namespaces else inv.namespace, ls, fs)
                    work += [(t.kind, o["metadata"].get("namespace"), o["metadata"]["name"],
                              o["metadata"].get("uid")) for o in items]
                else:
                    raise CliError("resource(s) were provided, but no name was specified")
        if not work:
            if cond.mode == "delete":
                return
            raise CliError("no matching resources found")
        for kind, ns, name, uid in work:
            if cond.mode == "delete" and uid is None:
                live = inv.api.try_get(kind, ns, name)
                if live is None:
                    continue  # kubectl: a NotFound while visiting is ignored for --for=delete
                uid = live["metadata"].get("uid")
            wait_one(inv, cond, kind, ns if kind.namespaced else None, name, uid, deadline, once)
            out(common.result_line(kind, name, "condition met", output=output))
