"""`pkubectl patch`: strategic, merge and JSON patches on live objects."""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import (CliError, ContextOpt, DryRunOpt, FilenameOpt, KubeconfigOpt, NamespaceOpt,
                                 OutputOpt, RecursiveOpt, out)

PATCH_TYPES = ("json", "merge", "strategic")


def parse_patch(text: str):
    """JSON or YAML, as kubectl accepts."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    import yaml
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise CliError(f"unable to parse \"{text}\": yaml: {getattr(e, 'problem', e)}") from None
    if not isinstance(data, (dict, list)):
        raise CliError(f'unable to parse "{text}": json: cannot unmarshal into an object')
    return data


def register(app: typer.Typer) -> None:
    @app.command("patch")
    def patch(args: Annotated[Optional[list[str]], typer.Argument(help="(-f FILENAME | TYPE NAME)")] = None,
              patch_text: Annotated[Optional[str], typer.Option("--patch", "-p", help="The patch to be applied to the resource JSON file.")] = None,
              patch_file: Annotated[Optional[str], typer.Option("--patch-file", help="A file containing a patch to be applied to the resource.")] = None,
              type_: Annotated[str, typer.Option("--type", help="The type of patch being provided; one of [json merge strategic]")] = "strategic",
              subresource: Annotated[str, typer.Option("--subresource", help="If specified, patch will operate on the subresource of the requested object.")] = "",
              filename: FilenameOpt = None, recursive: RecursiveOpt = False,
              namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
              context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Update fields of a resource using strategic merge patch, a JSON merge patch, or a JSON patch."""
        from pkubectl.api import merge
        from pkubectl.cli.resources import kind_of_manifest, load_manifests, parse_targets
        from pkubectl.printers.output import Printer, PrinterError

        inv = common.globals_(namespace, context, kubeconfig)
        mode = common.parse_dry_run(dry_run)
        if type_ not in PATCH_TYPES:
            raise CliError(f"--type must be one of [json merge strategic], not \"{type_}\"")
        if patch_file:
            try:
                with open(patch_file, encoding="utf-8") as f:
                    patch_text = f.read()
            except OSError as e:
                raise CliError(f"unable to read patch file: open {patch_file}: {e.strerror.lower()}") from None
        if not patch_text:
            raise CliError("must specify -p to patch")
        body = parse_patch(patch_text)
        if type_ == "json" and not isinstance(body, list):
            raise CliError("unable to parse patch: json patch must be a list of operations")
        targets = []
        if filename:
            for src, o in load_manifests(filename, recursive):
                k = kind_of_manifest(o, src)
                targets.append((k, (o.get("metadata") or {}).get("namespace") or inv.namespace,
                                (o.get("metadata") or {}).get("name")))
        else:
            for t in parse_targets(args or []):
                if not t.names:
                    raise CliError("resource(s) were provided, but no name was specified")
                targets += [(t.kind, inv.namespace, n) for n in t.names]
        if not targets:
            raise CliError("You must provide one or more resources by argument or filename.")
        printer = None
        if output and output != "name":
            try:
                printer = Printer.from_flag(output)
            except PrinterError as e:
                raise CliError(str(e)) from None
        for kind, ns, name in targets:
            try:
                if mode == "client":
                    live = inv.api.get(kind, ns, name)
                    obj, changed = live, True
                else:
                    obj, changed = inv.api.patch(kind, ns, name, body, type_, dry_run=mode == "server",
                                                 subresource=subresource)
            except (merge.JSONPatchError if hasattr(merge, "JSONPatchError") else ValueError) as e:
                inv.fail(f"error: {e}")
                continue
            except ApiError as e:
                inv.fail(e.kubectl_text())
                continue
            if printer is not None:
                printer.print([obj], False)
            else:
                out(common.result_line(kind, name, "patched" if changed else "patched (no change)", mode, output))
        if mode == "none":
            from pkubectl.cli.converge import converge
            converge(inv)
        inv.finish()
