"""`pkubectl get` without typer, for its common flags.

Scripts call `get` in loops, and building the typer app costs about as much as the
rest of the command (../shared/reference/startup-budget.md). This parses `get`'s
everyday flags the way pflag does (`-n ns`, `-nns`, `-n=ns`, `--namespace=ns`,
`--show-labels=false`, flags anywhere among the arguments) and calls the same
`run_get` that the typer command calls. Any flag not in the tables below (`-w`, `-f`,
`--help`, a typo...) returns None, and the full typer path takes over, with its help
and its kubectl-style usage errors. tests/unit/test_fastpath.py checks both paths
agree on every flag listed here.
"""
from __future__ import annotations

# flag -> (run_get parameter, kind): "value" | "list" (repeatable) | "int" | "bool"
FLAGS: dict[str, tuple[str, str]] = {
    "-n": ("namespace", "value"), "--namespace": ("namespace", "value"),
    "-o": ("output", "value"), "--output": ("output", "value"),
    "-l": ("selector", "value"), "--selector": ("selector", "value"),
    "--field-selector": ("field_selector", "value"),
    "-L": ("label_columns", "list"), "--label-columns": ("label_columns", "list"),
    "--sort-by": ("sort_by", "value"),
    "--chunk-size": ("chunk_size", "int"),
    "--template": ("template", "value"),
    "--context": ("context", "value"), "--kubeconfig": ("kubeconfig", "value"),
    "-A": ("all_namespaces", "bool"), "--all-namespaces": ("all_namespaces", "bool"),
    "--show-labels": ("show_labels", "bool"), "--no-headers": ("no_headers", "bool"),
    "--ignore-not-found": ("ignore_not_found", "bool"), "--show-kind": ("show_kind", "bool"),
    "--allow-missing-template-keys": ("allow_missing_template_keys", "bool"),
    "--show-managed-fields": ("show_managed_fields", "bool"),
}
BOOL_WORDS = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}


def parse_get(argv: list[str]) -> dict | None:
    """kwargs for run_get, or None when the typer path must handle these words."""
    kwargs: dict = {"args": []}
    i = 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if not word.startswith("-") or word == "-":
            kwargs["args"].append(word)
            continue
        if word == "--":
            return None
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            attached = value if eq else None
        else:  # shorthand: -n ns | -nns | -n=ns
            name, rest = word[:2], word[2:]
            attached = (rest[1:] if rest.startswith("=") else rest) if rest else None
        spec = FLAGS.get(name)
        if spec is None:
            return None
        dest, kind = spec
        if kind == "bool":
            if attached is None:
                kwargs[dest] = True
            elif attached.lower() in BOOL_WORDS:
                kwargs[dest] = BOOL_WORDS[attached.lower()]
            else:
                return None
            continue
        if attached is None:
            if i >= len(argv):
                return None
            attached = argv[i]
            i += 1
        if kind == "int":
            try:
                kwargs[dest] = int(attached)
            except ValueError:
                return None
        elif kind == "list":
            kwargs.setdefault(dest, []).append(attached)
        else:
            kwargs[dest] = attached
    return kwargs


def run(argv: list[str]) -> int | None:
    """Run `get` (argv without the verb) if every word is understood here."""
    kwargs = parse_get(argv)
    if kwargs is None:
        return None
    from pkubectl.cli.get import run_get
    run_get(**kwargs)
    return 0
