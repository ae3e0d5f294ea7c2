"""`pkubectl edit TYPE NAME`: open the live object in $KUBE_EDITOR / $EDITOR / vi and
save the result as an update guarded by the resourceVersion that was read (a concurrent
change is a Conflict, never a silent overwrite).

As kubectl does: the file starts with an explanatory comment; comment lines are ignored;
an empty or unchanged file cancels the edit; a file that does not parse or is refused by
the server is reopened with the errors as comments at the top, and when it comes back
unchanged the edit stops and a copy of the changes is kept.
"""
from __future__ import annotations

import copy
import os
import shlex
import subprocess
import tempfile
from typing import Annotated, Optional

import typer

from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import CliError, ContextOpt, FilenameOpt, KubeconfigOpt, NamespaceOpt, OutputOpt, RecursiveOpt, out

HEADER = ("# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
          "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
          "# reopened with the relevant failures.\n"
          "#\n")


def editor_argv(path: str) -> list[str]:
    """kubectl's editor rule: $KUBE_EDITOR, $EDITOR, else vi; an editor string with
    spaces runs through the shell (so quoting inside it works)."""
    editor = os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR") or "vi"
    if " " in editor.strip():
        return [os.environ.get("SHELL") or "/bin/sh", "-c", f"{editor} {shlex.quote(path)}"]
    return [editor, path]


def run_editor(path: str) -> None:
    argv = editor_argv(path)
    try:
        rc = subprocess.call(argv)
    except OSError as e:
        raise CliError(f'unable to launch the editor "{" ".join(argv)}": {e.strerror}') from None
    if rc != 0:
        raise CliError(f'there was a problem with the editor "{" ".join(argv[:-1]) if len(argv) > 2 else argv[0]}"')


def strip_comments(text: str) -> str:
    return "".join(ln for ln in text.splitlines(keepends=True) if not ln.lstrip().startswith("#"))


def editable(obj: dict) -> dict:
    o = copy.deepcopy(obj)
    (o.get("metadata") or {}).pop("managedFields", None)
    return o


def error_block(errors: list[str]) -> str:
    lines = []
    for e in errors:
        lines += [f"# {ln}" if ln else "#" for ln in e.split("\n")]
    return "\n".join(lines) + "\n#\n"


def invalid_text(kind, name: str, e: ApiError) -> str:
    if e.reason == "Invalid":
        return f'{kind.resource} "{name}" was not valid:\n' + "\n".join(f"* {c}" for c in e.causes)
    return e.kubectl_text().removeprefix("Error from server ")


def parse(text: str) -> list[dict]:
    from pkubectl.cli.resources import parse_documents
    objs = parse_documents(text.encode(), "edited file")
    return objs


def edit_objects(inv, items: list[tuple], output) -> None:
    from pkubectl.api import registry
    from pkubectl.printers import yamlout
    from pkubectl.printers.output import to_list

    originals = [editable(o) for _, o in items]
    body = yamlout.dump(originals[0] if len(originals) == 1 else to_list(originals))
    fd, path = tempfile.mkstemp(prefix="pkubectl-edit-", suffix=".yaml")
    os.close(fd)
    keep = False
    try:
        errors: list[str] = []
        last_content = None
        while True:
            content = HEADER + (error_block(errors) if errors else "") + body
            with open(path, "w", encoding="utf-8") as f:
                f.write(content)
            run_editor(path)
            with open(path, encoding="utf-8") as f:
                edited = f.read()
            if errors and edited == content or edited == last_content:
                keep = True
                common.err(f'A copy of your changes has been stored to "{path}"')
                raise CliError("Edit cancelled, no valid changes were saved.")
            last_content = edited
            stripped = strip_comments(edited)
            if not stripped.strip():
                out("Edit cancelled, no changes made.")
                return
            try:
                new_objs = parse(stripped)
            except CliError as e:
                errors = [f"The edited file had a syntax error: {e.message.split(': ', 1)[-1]}"]
                body = stripped
                continue
            if [editable(o) for o in new_objs] == originals:
                out("Edit cancelled, no changes made.")
                return
            errors = []
            for new, old in zip(new_objs, originals):
                kind = registry.for_object(old)
                name = old["metadata"]["name"]
                if new == old:
                    continue
                try:
                    if new.get("kind") != old.get("kind") or (new.get("metadata") or {}).get("name") != name:
                        raise CliError("At least one of apiVersion, kind and name was changed")
                    new.setdefault("metadata", {})["resourceVersion"] = old["metadata"].get("resourceVersion")
                    inv.api.update(new)
                except ApiError as e:
                    errors.append(invalid_text(kind, name, e))
                    continue
                except CliError as e:
                    errors.append(e.message)
                    continue
                out(common.result_line(kind, name, "edited", "none", output))
            if not errors:
                return
            body = stripped
    finally:
        if not keep:
            try:
                os.unlink(path)
            except OSError:
                pass


def register(app: typer.Typer) -> None:
    @app.command("edit", context_settings={"allow_interspersed_args": True})
    def edit(args: Annotated[Optional[list[str]], typer.Argument(help="(RESOURCE/NAME | -f FILENAME)")] = None,
             filename: FilenameOpt = None, recursive: RecursiveOpt = False, namespace: NamespaceOpt = None,
             output: OutputOpt = None,
             windows_line_endings: Annotated[bool, typer.Option("--windows-line-endings", help="Defaults to the line ending native to your platform.")] = False,
             context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Edit a resource on the server."""
        from pkubectl.cli.resources import kind_of_manifest, load_manifests, parse_targets

        inv = common.globals_(namespace, context, kubeconfig)
        items = []
        if filename:
            for src, o in load_manifests(filename, recursive):
                k = kind_of_manifest(o, src)
                meta = o.get("metadata") or {}
                items.append((k, inv.api.get(k, meta.get("namespace") or inv.namespace, meta.get("name", ""))))
        else:
            if not args:
                raise CliError("You must provide one or more resources by argument or filename.",
                               "See 'pkubectl edit -h' for help and examples")
            for t in parse_targets(args):
                if not t.names:
                    raise CliError("resource(s) were provided, but no name was specified")
                for n in t.names:
                    items.append((t.kind, inv.api.get(t.kind, inv.namespace, n)))
        edit_objects(inv, items, output)
        from pkubectl.cli.converge import converge
        converge(inv)
        inv.finish()
