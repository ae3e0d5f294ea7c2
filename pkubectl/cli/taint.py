"""`taint`: add, change and remove node taints, as kubectl's taint command does.

Arguments are resources first (`node NAME...`), then taint changes: `key=value:Effect` or
`key:Effect` adds, `key:Effect-` removes that key and effect, `key-` removes every effect
of the key. The result word follows kubectl's reorganizeTaints: `tainted` when taints were
added, `untainted` when only removed, `modified` when both or with --overwrite. The
scheduler and the taint manager (controllers/nodelifecycle) act on the new taints at the
next pass, which the command runs before it returns.
"""
from __future__ import annotations

from typing import Annotated, NamedTuple, Optional

import typer

from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import CliError, ContextOpt, DryRunOpt, KubeconfigOpt, OutputOpt, SelectorOpt, out

EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


class Taint(NamedTuple):
    key: str
    value: str
    effect: str  # "" in a removal means every effect of the key

    def text(self) -> str:  # kubectl's Taint.ToString
        return self.key + (f"={self.value}" if self.value else "") + (f":{self.effect}" if self.effect else "")


def is_taint_arg(word: str) -> bool:
    return "=" in word or ":" in word or word.endswith("-")


def parse_taint(spec: str) -> Taint:
    """`key=value:effect`, `key:effect` or `key` (kubectl's parseTaint, with its texts)."""
    from pkubectl.api import formats

    parts = spec.split(":")
    value, effect = "", ""
    if len(parts) == 1:
        key = parts[0]
    elif len(parts) == 2:
        effect = parts[1]
        if effect not in EFFECTS:
            raise CliError(f"invalid taint effect: {effect}, unsupported taint effect")
        kv = parts[0].split("=")
        if len(kv) > 2:
            raise CliError(f"invalid taint spec: {spec}")
        key = kv[0]
        if len(kv) == 2:
            value = kv[1]
            problems = formats.is_label_value(value)
            if problems:
                raise CliError(f"invalid taint spec: {spec}, {'; '.join(problems)}")
    else:
        raise CliError(f"invalid taint spec: {spec}")
    problems = formats.is_qualified_name(key)
    if problems:
        raise CliError(f"invalid taint spec: {spec}, {'; '.join(problems)}")
    return Taint(key, value, effect)


def parse_changes(specs: list[str]) -> tuple[list[Taint], list[Taint]]:
    """(taints to add, taints to remove) from the change arguments."""
    add, remove = [], []
    for spec in specs:
        if spec.endswith("-"):
            t = parse_taint(spec[:-1])
            remove.append(Taint(t.key, "", t.effect))
            continue
        t = parse_taint(spec)
        if not t.effect:
            raise CliError(f"invalid taint spec: {spec}")
        if any(a.key == t.key and a.effect == t.effect for a in add):
            raise CliError(f"duplicated taints with the same key and effect: {{{t.key} {t.value} {t.effect} <nil>}}")
        add.append(t)
    conflicts = [f'{{"{r.key}":"{r.effect}"}}' for a in add for r in remove
                 if a.key == r.key and (not r.effect or a.effect == r.effect)]
    if conflicts:
        raise CliError("can not both modify and remove the following taint(s) in the same command: "
                       + ", ".join(conflicts))
    return add, remove


def reorganize(current: list[dict], add: list[Taint], remove: list[Taint], overwrite: bool
               ) -> tuple[str, list[dict], list[str]]:
    """(operation word, new taint list, removals that matched nothing) as kubectl computes them."""
    new = [{"key": t.key, "value": t.value, "effect": t.effect} if t.value else {"key": t.key, "effect": t.effect}
           for t in add]
    for old in current:  # taints not replaced by an added one stay, after the added ones
        if not any(n["key"] == old.get("key") and n["effect"] == old.get("effect") for n in new):
            new.append(old)
    added = len(current) != len(new)
    missing, deleted = [], False
    for r in remove:
        kept = [t for t in new if not (t.get("key") == r.key and (not r.effect or t.get("effect") == r.effect))]
        deleted = len(kept) != len(new)  # kubectl keeps only the last removal's outcome
        if not deleted:
            missing.append(f'taint "{r.text()}" not found')
        new = kept
    if (added and deleted) or overwrite:
        return "modified", new, missing
    return ("tainted" if added else "untainted"), new, missing


def run_taint(inv, args: list[str], selector: str | None, all_: bool, overwrite: bool, dry_run: str | None,
              output: str | None) -> None:
    from pkubectl.cli.resources import lookup_kind

    mode = common.parse_dry_run(dry_run)
    resources, changes = [], []
    for word in args:
        if is_taint_arg(word):
            changes.append(word)
        elif changes:
            raise CliError(f"all resources must be specified before taint changes: {word}")
        else:
            resources.append(word)
    if not resources:
        raise CliError("one or more resources must be specified as <resource> <name>")
    if not changes:
        raise CliError("at least one taint update is required")
    try:
        add, remove = parse_changes(changes)
    except CliError as e:  # kubectl reports a bad taint spec as a usage error
        raise CliError(e.message, "See 'pkubectl taint -h' for help and examples") from None
    kind = lookup_kind(resources[0].lower())
    if kind.kind != "Node":
        raise CliError(f"invalid resource type {resources[0].lower()}, only node types are supported")
    if all_ and selector:
        raise CliError("setting 'all' parameter with a non empty selector is prohibited")
    if not all_ and not selector and len(resources) < 2:
        raise CliError("at least one resource name must be specified since 'all' parameter is not set")
    printer = common.object_printer(output)
    if all_ or selector:
        from pkubectl.cli.get import parse_selectors
        ls = parse_selectors(selector, None)[0] if selector else None
        nodes = [n["metadata"]["name"] for n in inv.api.list(kind, None, ls)[0]]
    else:
        nodes = resources[1:]
    changed = False
    for name in nodes:
        try:
            changed |= _taint_node(inv, kind, name, add, remove, overwrite, mode, output, printer)
        except ApiError as e:
            inv.fail(e.kubectl_text())
        except CliError as e:
            inv.fail(f"error: {e.message}")
    if mode == "none" and changed:
        from pkubectl.cli.converge import converge
        converge(inv)
    inv.finish()


def _taint_node(inv, kind, name, add, remove, overwrite, mode, output, printer) -> bool:
    node = inv.api.get(kind, None, name)
    current = list((node.get("spec") or {}).get("taints") or [])
    if not overwrite:
        clash = [t.key for t in add for old in current if t.key == old.get("key") and t.effect == old.get("effect")]
        if clash:
            raise CliError(f"node {name} already has {','.join(clash)} taint(s) with same effect(s) and "
                           "--overwrite is false")
    operation, taints, missing = reorganize(current, add, remove, overwrite)
    if missing:
        raise CliError(missing[0] if len(missing) == 1 else "[" + ", ".join(missing) + "]")
    result = node
    if mode != "client":
        # A merge patch replaces the whole list, as kubectl's strategic patch of `taints` does.
        result, _ = inv.api.patch(kind, None, name, {"spec": {"taints": taints or None}}, "merge",
                                  dry_run=mode == "server")
    elif taints:
        node.setdefault("spec", {})["taints"] = taints
    else:
        node.setdefault("spec", {}).pop("taints", None)
    if printer is not None:
        printer.print([result], False)
    else:
        out(common.result_line(kind, name, operation, mode, output))
    return True


def register(app: typer.Typer) -> None:
    @app.command("taint")
    def taint(args: Annotated[Optional[list[str]], typer.Argument(help="NODE NAME KEY_1=VAL_1:TAINT_EFFECT_1 ... KEY_N=VAL_N:TAINT_EFFECT_N")] = None,
              selector: SelectorOpt = None,
              all_: Annotated[bool, typer.Option("--all", help="Select all nodes in the cluster")] = False,
              overwrite: Annotated[bool, typer.Option("--overwrite", help="If true, allow taints to be overwritten, otherwise reject taint updates that overwrite existing taints.")] = False,
              dry_run: DryRunOpt = None, output: OutputOpt = None,
              context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Update the taints on one or more nodes."""
        run_taint(common.globals_(None, context, kubeconfig), args or [], selector, all_, overwrite, dry_run,
                  output)
