"""`pkubectl config`: view and edit the kubeconfig-style file of contexts and clusters.

A cluster is a pkube state directory (`pkube-home`), not a server URL; a context names
a cluster and a default namespace. The file is the one pkubectl/cli/config.py resolves
(`--kubeconfig`, `$PKUBECONFIG`, `<PKUBE_HOME>/config`); messages are kubectl's.
"""
from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from pkubectl.cli import common
from pkubectl.cli.common import CliError, ContextOpt, KubeconfigOpt, NamespaceOpt, OutputOpt, out


def _open(kubeconfig: str | None) -> tuple[str, dict]:
    from pkubectl.cli import config
    if kubeconfig:
        common.globals_(kubeconfig=kubeconfig)
    path = config.config_path(kubeconfig or common.INVOCATION.kubeconfig_flag)
    try:
        return path, config.load(path)
    except config.ConfigError as e:
        raise CliError(str(e)) from None


def _save(path: str, cfg: dict) -> None:
    from pkubectl.cli import config
    config.save(path, cfg)


def _find(items: list | None, name: str) -> dict | None:
    return next((it for it in items or [] if it.get("name") == name), None)


def register(app: typer.Typer) -> None:
    cfg_app = typer.Typer(help="Modify kubeconfig files using subcommands like \"pkubectl config set current-context my-context\".",
                          context_settings={"help_option_names": ["-h", "--help"]})
    app.add_typer(cfg_app, name="config")

    @cfg_app.command("view")
    def view(output: OutputOpt = None,
             minify: Annotated[bool, typer.Option("--minify", help="Remove all information not used by current-context from the output")] = False,
             raw: Annotated[bool, typer.Option("--raw", help="Display raw byte data and sensitive data")] = False,
             flatten: Annotated[bool, typer.Option("--flatten", help="Flatten the resulting kubeconfig file into self-contained output")] = False,
             kubeconfig: KubeconfigOpt = None, context: ContextOpt = None):
        """Display merged kubeconfig settings or a specified kubeconfig file."""
        import json

        from pkubectl.printers import yamlout
        _, cfg = _open(kubeconfig)
        cfg = {"apiVersion": cfg.get("apiVersion", "v1"), "clusters": cfg.get("clusters") or None,
               "contexts": cfg.get("contexts") or None, "current-context": cfg.get("current-context", ""),
               "kind": cfg.get("kind", "Config"), "users": cfg.get("users") or None}
        if cfg_prefs := _open(kubeconfig)[1].get("preferences"):  # 1.37 omits empty preferences
            cfg["preferences"] = cfg_prefs
        if minify:
            name = context or cfg["current-context"]
            ctx = _find(cfg["contexts"], name)
            if ctx is None:
                raise CliError(f'context "{name}" does not exist' if name else "current-context must exist in order to minify")
            cfg["contexts"] = [ctx]
            cl = _find(cfg["clusters"], (ctx.get("context") or {}).get("cluster", ""))
            cfg["clusters"] = [cl] if cl else None
            cfg["current-context"] = name
        if output == "json":
            out(json.dumps(cfg, indent=4))
        elif output in (None, "", "yaml"):
            sys.stdout.write(yamlout.dump(cfg))
        else:
            raise CliError(f'unable to match a printer suitable for the output format "{output}", allowed formats are: json,yaml')

    @cfg_app.command("current-context")
    def current_context(kubeconfig: KubeconfigOpt = None):
        """Display the current-context."""
        _, cfg = _open(kubeconfig)
        if not cfg.get("current-context"):
            raise CliError("current-context is not set")
        out(cfg["current-context"])

    @cfg_app.command("get-contexts")
    def get_contexts(names: Annotated[Optional[list[str]], typer.Argument(help="[(-o|--output=)name)]")] = None,
                     output: OutputOpt = None,
                     no_headers: Annotated[bool, typer.Option("--no-headers", help="When using the default or custom-column output format, don't print headers (default print headers).")] = False,
                     kubeconfig: KubeconfigOpt = None):
        """Display one or many contexts from the kubeconfig file."""
        from pkubectl.printers.tabwriter import format_table
        _, cfg = _open(kubeconfig)
        if output not in (None, "", "name"):
            raise CliError(f"output must be one of '' or 'name': {output}")
        contexts = sorted(cfg.get("contexts") or [], key=lambda c: c.get("name", ""))
        wanted = names or [c.get("name") for c in contexts]
        missing = [n for n in wanted if _find(contexts, n) is None]
        chosen = [c for c in contexts if c.get("name") in wanted]
        if output == "name":
            for c in chosen:
                out(c["name"])
        else:
            rows = [] if no_headers else [["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]]
            for c in chosen:
                ctx = c.get("context") or {}
                rows.append(["*" if c.get("name") == cfg.get("current-context") else "", c["name"],
                             ctx.get("cluster", ""), ctx.get("user", ""), ctx.get("namespace", "")])
            if rows:
                sys.stdout.write(format_table(rows))
        if missing:
            raise CliError(f"context {missing[0]} not found")

    @cfg_app.command("get-clusters")
    def get_clusters(kubeconfig: KubeconfigOpt = None):
        """Display clusters defined in the kubeconfig."""
        _, cfg = _open(kubeconfig)
        out("NAME")
        for c in sorted(cfg.get("clusters") or [], key=lambda c: c.get("name", "")):
            out(c.get("name", ""))

    @cfg_app.command("use-context")
    def use_context(name: Annotated[str, typer.Argument(help="CONTEXT_NAME")], kubeconfig: KubeconfigOpt = None):
        """Set the current-context in a kubeconfig file."""
        path, cfg = _open(kubeconfig)
        if _find(cfg.get("contexts"), name) is None:
            raise CliError(f'no context exists with the name: "{name}"')
        cfg["current-context"] = name
        _save(path, cfg)
        out(f'Switched to context "{name}".')

    cfg_app.command("use", hidden=True)(use_context)

    @cfg_app.command("set-context")
    def set_context(name: Annotated[Optional[str], typer.Argument(help="[NAME | --current]")] = None,
                    current: Annotated[bool, typer.Option("--current", help="Modify the current context")] = False,
                    cluster: Annotated[Optional[str], typer.Option("--cluster", help="cluster for the context entry in kubeconfig")] = None,
                    user: Annotated[Optional[str], typer.Option("--user", help="user for the context entry in kubeconfig")] = None,
                    namespace: NamespaceOpt = None, kubeconfig: KubeconfigOpt = None):
        """Set a context entry in kubeconfig."""
        path, cfg = _open(kubeconfig)
        if current:
            if name:
                raise CliError("you cannot specify both a context name and --current")
            name = cfg.get("current-context") or ""
            if not name:
                raise CliError("no current context is set")
        if not name:
            raise CliError("you must specify a non-empty context name or --current")
        contexts = cfg.setdefault("contexts", []) or []
        cfg["contexts"] = contexts
        entry = _find(contexts, name)
        created = entry is None
        if created:
            entry = {"name": name, "context": {}}
            contexts.append(entry)
        ctx = entry.setdefault("context", {})
        for key, value in (("cluster", cluster), ("user", user), ("namespace", namespace)):
            if value is not None:
                ctx[key] = value
        _save(path, cfg)
        out(f'Context "{name}" {"created" if created else "modified"}.')

    @cfg_app.command("set-cluster")
    def set_cluster(name: Annotated[str, typer.Argument(help="NAME")],
                    pkube_home: Annotated[Optional[str], typer.Option("--pkube-home", help="the pkube state directory of this cluster")] = None,
                    server: Annotated[Optional[str], typer.Option("--server", help="not used by pkube: a cluster is a state directory (use --pkube-home)")] = None,
                    kubeconfig: KubeconfigOpt = None):
        """Set a cluster entry in kubeconfig: a pkube cluster is a state directory."""
        path, cfg = _open(kubeconfig)
        clusters = cfg.get("clusters") or []
        cfg["clusters"] = clusters
        entry = _find(clusters, name)
        if entry is None:
            entry = {"name": name, "cluster": {}}
            clusters.append(entry)
        if pkube_home is not None:
            entry.setdefault("cluster", {})["pkube-home"] = os.path.abspath(os.path.expanduser(pkube_home))
        if server is not None:
            entry.setdefault("cluster", {})["server"] = server
        _save(path, cfg)
        out(f'Cluster "{name}" set.')

    @cfg_app.command("delete-context")
    def delete_context(name: Annotated[str, typer.Argument(help="NAME")], kubeconfig: KubeconfigOpt = None):
        """Delete the specified context from the kubeconfig."""
        path, cfg = _open(kubeconfig)
        if _find(cfg.get("contexts"), name) is None:
            raise CliError(f"cannot delete context {name}, not in {path}")
        if cfg.get("current-context") == name:
            common.err("warning: this removed your active context, use \"pkubectl config use-context\" to "
                       "select a different one")
        cfg["contexts"] = [c for c in cfg["contexts"] if c.get("name") != name]
        _save(path, cfg)
        out(f"deleted context {name} from {path}")

    @cfg_app.command("delete-cluster")
    def delete_cluster(name: Annotated[str, typer.Argument(help="NAME")], kubeconfig: KubeconfigOpt = None):
        """Delete the specified cluster from the kubeconfig."""
        path, cfg = _open(kubeconfig)
        if _find(cfg.get("clusters"), name) is None:
            raise CliError(f"cannot delete cluster {name}, not in {path}")
        cfg["clusters"] = [c for c in cfg["clusters"] if c.get("name") != name]
        _save(path, cfg)
        out(f"deleted cluster {name} from {path}")

    @cfg_app.command("rename-context")
    def rename_context(old: Annotated[str, typer.Argument(help="CONTEXT_NAME")],
                       new: Annotated[str, typer.Argument(help="NEW_NAME")], kubeconfig: KubeconfigOpt = None):
        """Rename a context from the kubeconfig file."""
        path, cfg = _open(kubeconfig)
        entry = _find(cfg.get("contexts"), old)
        if entry is None:
            raise CliError(f'cannot rename the context "{old}", it\'s not in {path}')
        if _find(cfg.get("contexts"), new) is not None:
            raise CliError(f'cannot rename the context "{old}", the context "{new}" already exists in {path}')
        entry["name"] = new
        if cfg.get("current-context") == old:
            cfg["current-context"] = new
        _save(path, cfg)
        out(f'Context "{old}" renamed to "{new}".')
