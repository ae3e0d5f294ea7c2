"""`pkubectl delete`: by name, -f, -l, --all; cascading, graceful, waiting."""
from __future__ import annotations

import time
from typing import Annotated, Optional

import typer

from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import (AllNamespacesOpt, CliError, ContextOpt, DryRunOpt, FieldSelectorOpt, FilenameOpt,
                                 KubeconfigOpt, NamespaceOpt, OutputOpt, RecursiveOpt, SelectorOpt, err, out)

NO_ARGS = ("You must provide one or more resources by argument or filename.\nExample resource specifications "
           "include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'")
CASCADE = {"background": "Background", "true": "Background", "foreground": "Foreground", "orphan": "Orphan",
           "false": "Orphan"}
FORCE_WARNING = ("Warning: Immediate deletion does not wait for confirmation that the running resource has been "
                 "terminated. The resource may continue to run on the cluster indefinitely.")


def deleted_line(kind, obj: dict, dry_run: str, output: str | None, force: bool) -> str:
    name = obj["metadata"]["name"]
    if output == "name":
        return f"{kind.lower_kind}/{name}"
    verb = "force deleted" if force else "deleted"
    ns = obj["metadata"].get("namespace")
    where = f" from {ns} namespace" if kind.namespaced and ns else ""
    return f'{kind.lower_kind} "{name}" {verb}{where}{common.DRY_RUN_SUFFIX[dry_run]}'


def wait_gone(inv, pending: list, timeout: float | None) -> bool:
    """Poll (running the control loops, which finish graceful deletions) until every
    (kind, ns, name, uid) is gone. Returns False on timeout."""
    from pkubectl.cli.converge import converge
    deadline = None if not timeout else time.monotonic() + timeout
    while pending:
        converge(inv, timeout=5.0, ensure_daemon=False)
        left = []
        for kind, ns, name, uid in pending:
            o = inv.api.try_get(kind, ns, name)
            if o is not None and o["metadata"].get("uid") == uid:
                left.append((kind, ns, name, uid))
        pending = left
        if not pending:
            return True
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def register(app: typer.Typer) -> None:
    @app.command("delete")
    def delete(args: Annotated[Optional[list[str]], typer.Argument(help="TYPE [NAME...] | TYPE/NAME ...")] = None,
               namespace: NamespaceOpt = None, all_namespaces: AllNamespacesOpt = False,
               filename: FilenameOpt = None, recursive: RecursiveOpt = False,
               selector: SelectorOpt = None, field_selector: FieldSelectorOpt = None,
               all_: Annotated[bool, typer.Option("--all", help="Delete all resources, in the namespace of the specified resource types.")] = False,
               cascade: Annotated[str, typer.Option("--cascade", help='Must be "background", "orphan", or "foreground".', flag_value="background", is_flag=False)] = "background",
               grace_period: Annotated[int, typer.Option("--grace-period", help="Period of time in seconds given to the resource to terminate gracefully. -1 uses the object's own.")] = -1,
               now: Annotated[bool, typer.Option("--now", help="If true, resources are signaled for immediate shutdown (same as --grace-period=1).")] = False,
               force: Annotated[bool, typer.Option("--force", help="If true, immediately remove resources from API and bypass graceful deletion.")] = False,
               ignore_not_found: Annotated[Optional[bool], typer.Option("--ignore-not-found", help="Treat \"resource not found\" as a successful delete.")] = None,
               wait: Annotated[bool, typer.Option("--wait/--no-wait", help="If true, wait for resources to be gone before returning.")] = True,
               timeout: Annotated[str, typer.Option("--timeout", help="The length of time to wait before giving up on a delete, zero means determine a timeout from the size of the object")] = "0s",
               output: OutputOpt = None, dry_run: DryRunOpt = None,
               context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Delete resources by file names, stdin, resources and names, or by resources and label selector."""
        from pkubectl.cli.get import parse_selectors
        from pkubectl.cli.resources import Target, kind_of_manifest, load_manifests, parse_targets

        inv = common.globals_(namespace, context, kubeconfig)
        mode = common.parse_dry_run(dry_run)
        if cascade not in CASCADE:
            raise CliError(f'invalid cascade value ({cascade}). Must be "background", "foreground", or "orphan".')
        propagation = CASCADE[cascade]
        if all_ and selector:
            raise CliError("cannot set --all and --selector at the same time")
        if output not in (None, "name"):
            raise CliError(f"unexpected -o output mode: {output}. We only support '-o name'")
        grace = None if grace_period < 0 else grace_period
        if now:
            grace = 1
        if force and grace is None:
            grace = 0
        if force and grace == 0:
            err(FORCE_WARNING)
        elif grace == 0 and not force:
            grace = 1  # kubectl: --grace-period=0 without --force means 1
        if ignore_not_found is None:
            ignore_not_found = bool(all_ or selector or field_selector)
        # what to delete: (kind, namespace, name) triples
        work: list[tuple] = []
        if filename:
            for src, obj in load_manifests(filename, recursive):
                k = kind_of_manifest(obj, src)
                meta = obj.get("metadata") or {}
                ns = meta.get("namespace") or inv.namespace
                work.append((k, ns if k.namespaced else None, meta.get("name", ""), src))
        else:
            targets = parse_targets(args or [])
            if not targets:
                raise CliError(NO_ARGS)
            for t in targets:
                if t.names:
                    if all_namespaces:
                        raise CliError("a resource cannot be retrieved by name across all namespaces")
                    work += [(t.kind, inv.namespace, n, None) for n in t.names]
                elif all_ or selector or field_selector:
                    ls, fs = parse_selectors(selector, field_selector, t.kind)
                    items, _ = inv.api.list(t.kind, None if all_namespaces else inv.namespace, ls, fs)
                    work += [(t.kind, o["metadata"].get("namespace"), o["metadata"]["name"], None) for o in items]
                else:
                    raise CliError("resource(s) were provided, but no name was specified")
        pending = []
        for kind, ns, name, src in work:
            try:
                obj = inv.api.delete(kind, ns, name, propagation=propagation, grace=grace,
                                     dry_run=mode != "none")
            except ApiError as e:
                if e.code == 404 and ignore_not_found:
                    continue
                if src is not None and e.code == 404:
                    inv.fail(f'Error from server (NotFound): error when deleting "{src}": {e.message}')
                else:
                    inv.fail(e.kubectl_text())
                continue
            out(deleted_line(kind, obj, mode, output, force and grace == 0))
            if mode == "none":
                pending.append((kind, ns, name, obj["metadata"].get("uid")))
        if not work and not inv.errors and not filename:
            out("No resources found")
        if mode == "none":
            from pkubectl.cli.converge import converge
            converge(inv)
            if wait and pending:
                if not wait_gone(inv, pending, common.parse_duration(timeout) or None):
                    raise CliError("timed out waiting for the condition")
        inv.finish()
