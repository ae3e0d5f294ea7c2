"""pkubectl's entry point: a thin typer layer over the API library.

Start-up time is a feature (DESIGN "The CLI"), so only the module of the verb being
run is imported: COMMANDS maps each verb to the module that registers it. `--help`
with no verb, and completion, import them all.

kubectl accepts global flags before the verb (`kubectl -n kube-system get pods`);
click does not, so they are moved after the verb before parsing.
"""
from __future__ import annotations

import os
import sys

# verb -> module that defines it (each module has `register(app)`)
COMMANDS: dict[str, str] = {
    "get": "pkubectl.cli.get",
    "describe": "pkubectl.cli.describe",
    "apply": "pkubectl.cli.apply",
    "create": "pkubectl.cli.create",
    "replace": "pkubectl.cli.apply",
    "diff": "pkubectl.cli.apply",
    "delete": "pkubectl.cli.delete",
    "label": "pkubectl.cli.metadata",
    "annotate": "pkubectl.cli.metadata",
    "patch": "pkubectl.cli.patch",
    "edit": "pkubectl.cli.edit",
    "api-resources": "pkubectl.cli.info",
    "api-versions": "pkubectl.cli.info",
    "version": "pkubectl.cli.info",
    "explain": "pkubectl.cli.info",
    "cluster-info": "pkubectl.cli.info",
    "config": "pkubectl.cli.configcmd",
    "run": "pkubectl.cli.run",
    "logs": "pkubectl.cli.pods",
    "exec": "pkubectl.cli.pods",
    "attach": "pkubectl.cli.attach",
    "top": "pkubectl.cli.pods",
    "wait": "pkubectl.cli.wait",
    "cordon": "pkubectl.cli.nodes",
    "taint": "pkubectl.cli.taint",
    "events": "pkubectl.cli.events",
    "cp": "pkubectl.cli.cp",
    "uncordon": "pkubectl.cli.nodes",
    "drain": "pkubectl.cli.nodes",
    "scale": "pkubectl.cli.workloads",
    "rollout": "pkubectl.cli.workloads",
    "set": "pkubectl.cli.workloads",
    "autoscale": "pkubectl.cli.autoscale",
    "expose": "pkubectl.cli.services",
    "port-forward": "pkubectl.cli.services",
    "completion": "pkubectl.cli.completion",
    "__complete": "pkubectl.cli.completion",
}

GLOBAL_WITH_VALUE = {"-n", "--namespace", "--context", "--kubeconfig"}


def hoist_global_flags(argv: list[str]) -> tuple[list[str], str | None]:
    """Move global flags that precede the verb to after it; return (argv, verb)."""
    leading: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in GLOBAL_WITH_VALUE and i + 1 < len(argv):
            leading += [a, argv[i + 1]]
            i += 2
        elif a.split("=", 1)[0] in GLOBAL_WITH_VALUE and "=" in a:
            leading.append(a)
            i += 1
        elif a.startswith("-n") and len(a) > 2 and not a.startswith("--"):
            leading.append(a)
            i += 1
        else:
            break
    if i >= len(argv):
        return argv, None
    verb = argv[i]
    rest = argv[i + 1:]
    if "--" in rest:
        cut = rest.index("--")
        return [verb, *rest[:cut], *leading, *rest[cut:]], verb
    return [verb, *rest, *leading], verb


def build_app(verb: str | None):
    import importlib

    global typer  # imported here, not at the top: `__complete` must not pay for it
    import typer

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
                      no_args_is_help=False,
                      context_settings={"help_option_names": ["-h", "--help"]},
                      help="pkubectl controls the pkube local cluster manager.\n\n"
                           "Find more information at: README.md of the pkube project.")

    @app.callback(invoke_without_command=True)
    def root(ctx: typer.Context):
        if ctx.invoked_subcommand is None:
            typer.echo(ctx.get_help())

    modules = [COMMANDS[verb]] if verb in COMMANDS else sorted(set(COMMANDS.values()))
    for mod in dict.fromkeys(modules):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name == mod:
                continue  # a verb whose module is not built yet
            raise
        m.register(app)
    return app


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["__complete"]:
        # Shell completion on every <TAB>: answered without typer (completion.py).
        from pkubectl.cli import completion
        return completion.complete_main(argv[1:])
    argv, verb = hoist_global_flags(argv)
    code = run(argv, verb)
    sys.stdout.flush()
    return code


def run(argv: list[str], verb: str | None) -> int:
    from pkubectl.api.errors import ApiError
    from pkubectl.cli.common import CliError, Failed, err

    try:
        if verb == "get":
            from pkubectl.cli import fastpath
            fast = fastpath.run(argv[1:])
            if fast is not None:
                return fast
        app = build_app(verb)
        import typer
        from typer import exceptions as tx
        from typer._click import exceptions as cx
        command = typer.main.get_command(app)
        argv = pflag_booleans(command, argv)
        try:
            rv = command.main(args=argv, prog_name="pkubectl", standalone_mode=False)
            return rv if isinstance(rv, int) else 0
        except cx.NoSuchOption as e:
            name = e.option_name
            if name.startswith("--"):
                err(f"error: unknown flag: {name}")
            else:
                err(f"error: unknown shorthand flag: '{name.lstrip('-')[:1]}' in {name}")
            err(f"See 'pkubectl {verb or ''} --help' for usage.".replace("  ", " "))
            return 1
        except cx.UsageError as e:
            msg = e.format_message()
            if msg.startswith("No such command"):
                err(f'error: unknown command "{verb}" for "pkubectl"')
                err("Run 'pkubectl --help' for usage.")
            else:
                err(f"error: {_usage_text(msg)}")
                err(f"See 'pkubectl {verb or ''} -h' for help and examples")
            return 1
        except tx.Exit as e:
            return e.exit_code
        except tx.Abort:
            return 1
    except CliError as e:
        text = e.message if e.message.startswith("error:") else f"error: {e.message}"
        err(text)
        if e.hint:
            err(e.hint)
        return 1
    except ApiError as e:
        err(e.kubectl_text())
        return 1
    except Failed:
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `pkubectl get pods | head -1`: the reader left; that is not an error.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except Exception as e:  # noqa: BLE001 - never show a traceback to a user
        if os.environ.get("PKUBE_DEBUG"):
            raise
        err(f"error: {type(e).__name__}: {e} (set PKUBE_DEBUG=1 for details)")
        return 1


def pflag_booleans(command, argv: list[str]) -> list[str]:
    """kubectl (pflag) accepts `--wait=false` and `--overwrite=true` for boolean
    flags, and `-o=json` for shorthands; click does not. Rewrite them, using the parsed command's declarations:
    `=true` -> the flag, `=false` -> its `--no-` form, or nothing when it has none."""
    cmd = command
    for word in argv:
        sub = getattr(cmd, "commands", {}).get(word) if not word.startswith("-") else None
        if sub is not None:
            cmd = sub
        elif not word.startswith("-") and getattr(cmd, "commands", None):
            break
    flags = {}
    for p in getattr(cmd, "params", []):
        if getattr(p, "is_flag", False) and getattr(p, "is_bool_flag", True):
            for o in p.opts:
                flags[o] = (o, (p.secondary_opts or [None])[0])
    out = []
    for i, word in enumerate(argv):
        if word == "--":
            return out + argv[i:]
        if len(word) > 3 and word[0] == "-" and word[1] != "-" and word[2] == "=":
            out += [word[:2], word[3:]]  # pflag: `-o=json` is `-o json`
            continue
        name, eq, value = word.partition("=")
        if eq and name in flags and value.lower() in ("true", "false", "1", "0", "t", "f"):
            on, off = flags[name]
            if value.lower() in ("true", "1", "t"):
                out.append(on)
            elif off:
                out.append(off)
            continue
        out.append(word)
    return out


def _usage_text(msg: str) -> str:
    # click: "Missing option '--replicas'." -> kubectl: required flag(s) "replicas" not set
    if msg.startswith("Missing option"):
        name = msg.split("'")[1].lstrip("-")
        return f'required flag(s) "{name}" not set'
    if msg.startswith("Option '") and "requires an argument" in msg:
        name = msg.split("'")[1]
        return f"flag needs an argument: {name}"
    return msg.rstrip(".")


if __name__ == "__main__":
    sys.exit(main())
