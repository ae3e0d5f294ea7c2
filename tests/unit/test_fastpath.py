"""The typer-free `get` parser agrees with the typer command on every flag it takes."""
from __future__ import annotations

import pytest

from pkubectl.cli import fastpath
from pkubectl.cli.main import build_app, pflag_booleans

CASES = [
    ["pods"],
    ["pods", "web-1", "web-2"],
    ["deploy,svc", "-n", "shop"],
    ["pods", "-nshop", "-o", "wide"],
    ["pods", "-o=json", "--namespace=shop"],
    ["pods", "-A", "-l", "app=web,tier!=db", "--field-selector", "status.phase=Running"],
    ["pods", "--show-labels", "-L", "app", "-L", "tier", "--sort-by", ".metadata.name"],
    ["pods", "--no-headers", "--ignore-not-found", "--show-kind", "--chunk-size", "10"],
    ["pods", "--show-labels=false", "--all-namespaces=true"],
    ["pods", "-o", "jsonpath={.items[*].metadata.name}", "--allow-missing-template-keys=false"],
    ["pods", "--context", "other", "--kubeconfig", "/tmp/cfg", "--template", "{{.kind}}"],
]


def typer_params(argv: list[str]) -> dict:
    import typer

    command = typer.main.get_command(build_app("get"))
    args = pflag_booleans(command, ["get", *argv])
    get = command.commands["get"]
    ctx = get.make_context("get", args[1:])
    return dict(ctx.params)


@pytest.mark.parametrize("argv", CASES, ids=[" ".join(c) for c in CASES])
def test_fast_parse_equals_typer(argv):
    fast = fastpath.parse_get(argv)
    assert fast is not None
    slow = typer_params(argv)
    for key, value in slow.items():
        expected = value if not isinstance(value, tuple) else list(value)
        got = fast.get(key, _defaults()[key])
        if key == "args" or isinstance(expected, list) or expected is None and isinstance(got, list):
            expected, got = list(expected or []), list(got or [])
        assert got == expected, key


def _defaults() -> dict:
    import inspect
    from pkubectl.cli.get import run_get
    return {k: p.default for k, p in inspect.signature(run_get).parameters.items()}


@pytest.mark.parametrize("argv", [["pods", "-w"], ["-f", "x.yaml"], ["pods", "--help"], ["pods", "--bogus"],
                                  ["pods", "-o"], ["pods", "--chunk-size", "x"], ["pods", "--", "x"]])
def test_other_words_fall_back_to_typer(argv):
    assert fastpath.parse_get(argv) is None
