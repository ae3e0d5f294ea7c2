"""Discovery and cluster information: `api-resources`, `api-versions`, `version`,
`explain` and `cluster-info`. Everything comes from the kinds registry (pkube needs no
discovery round-trip) and, for `explain`, a small table of field descriptions."""
from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Optional

import typer

from pkubectl.cli import common
from pkubectl.cli.common import CliError, ContextOpt, KubeconfigOpt, NamespaceOpt, OutputOpt, out

KUBERNETES_VERSION = "1.37.1"


def pkube_version() -> str:
    try:
        from importlib.metadata import version
        return version("pkube")
    except Exception:  # noqa: BLE001 - not installed as a distribution (running from a tree)
        return "0.1.0"


def git_version() -> str:
    """The Kubernetes version whose behaviour pkube follows, tagged with pkube's own."""
    return f"v{KUBERNETES_VERSION}+pkube.{pkube_version()}"


def version_info() -> dict:
    import platform
    major, minor, _ = KUBERNETES_VERSION.split(".")
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return {"major": major, "minor": minor, "gitVersion": git_version(), "gitCommit": "",
            "gitTreeState": "", "buildDate": "", "goVersion": f"python{platform.python_version()}",
            "compiler": platform.python_implementation().lower(),
            "platform": f"{sys.platform}/{machine}"}


# -- api-resources ------------------------------------------------------------------
def resource_rows(namespaced: Optional[bool], api_group: Optional[str], verbs: list[str], sort_by: Optional[str]):
    from pkubectl.api import registry
    kinds = [k for k in registry.all_kinds()
             if (namespaced is None or k.namespaced == namespaced)
             and (api_group is None or k.group == api_group)
             and all(v in k.verbs for v in verbs)]
    if sort_by == "name":
        kinds.sort(key=lambda k: k.plural)
    elif sort_by == "kind":
        kinds.sort(key=lambda k: k.kind)
    else:
        kinds.sort(key=lambda k: (k.group != "", k.group, k.plural))
    return kinds


# -- cluster-info --------------------------------------------------------------------
def daemon_pid(home: str) -> int | None:
    """The daemon's pid from {home}/daemon.pid when that process is alive."""
    try:
        with open(os.path.join(home, "daemon.pid"), encoding="utf-8") as f:
            pid = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    import psutil
    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return None
    except psutil.Error:
        return None
    return pid


def register(app: typer.Typer) -> None:
    @app.command("api-resources")
    def api_resources(output: OutputOpt = None,
                      namespaced: Annotated[Optional[str], typer.Option("--namespaced", help="If false, non-namespaced resources will be returned, otherwise returning namespaced resources by default.", flag_value="true", is_flag=False)] = None,
                      api_group: Annotated[Optional[str], typer.Option("--api-group", help="Limit to resources in the specified API group.")] = None,
                      verbs: Annotated[Optional[list[str]], typer.Option("--verbs", help="Limit to resources that support the specified verbs.")] = None,
                      sort_by: Annotated[Optional[str], typer.Option("--sort-by", help="If non-empty, sort list of resources using specified field. The field can be either 'name' or 'kind'.")] = None,
                      no_headers: Annotated[bool, typer.Option("--no-headers", help="When using the default or custom-column output format, don't print headers (default print headers).")] = False,
                      cached: Annotated[bool, typer.Option("--cached", help="Use the cached list of resources if available.")] = False,
                      namespace: NamespaceOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Print the supported API resources on the server."""
        from pkubectl.printers.tabwriter import format_table

        common.globals_(namespace, context, kubeconfig)
        if output not in (None, "", "wide", "name"):
            raise CliError(f"--output {output} is not available")
        if sort_by not in (None, "", "name", "kind"):
            raise CliError(f"--sort-by accepts only name or kind")
        from pkubectl.cli.describe import parse_bool
        wanted = [v for item in verbs or [] for v in item.split(",") if v]
        kinds = resource_rows(None if namespaced is None else parse_bool("namespaced", namespaced), api_group,
                              wanted, sort_by)
        if output == "name":
            for k in kinds:
                out(k.resource)
            return
        rows = [] if no_headers else [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
                                      + (["VERBS", "CATEGORIES"] if output == "wide" else [])]
        for k in kinds:
            row = [k.plural, ",".join(k.short_names), k.api_version, "true" if k.namespaced else "false", k.kind]
            if output == "wide":
                row += [",".join(sorted(k.verbs)), ",".join(k.categories)]
            rows.append(row)
        if rows:
            sys.stdout.write(format_table(rows))

    @app.command("api-versions")
    def api_versions(namespace: NamespaceOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Print the supported API versions on the server, in the form of "group/version"."""
        from pkubectl.api import registry
        common.globals_(namespace, context, kubeconfig)
        for v in sorted({k.api_version for k in registry.all_kinds()}):
            out(v)

    @app.command("version")
    def version(client: Annotated[bool, typer.Option("--client", help="If true, shows client version only (no server required).")] = False,
                output: OutputOpt = None,
                namespace: NamespaceOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Print the client and server version information for the current context."""
        inv = common.globals_(namespace, context, kubeconfig)
        if output not in (None, "", "json", "yaml"):
            raise CliError("--output must be 'yaml' or 'json'")
        data = {"clientVersion": version_info()}
        if not client:
            inv.api.bootstrap()  # the "server" is the state directory: make sure it answers
            data["serverVersion"] = version_info()
        if output == "json":
            out(json.dumps(data, indent=2))
        elif output == "yaml":
            from pkubectl.printers import yamlout
            sys.stdout.write(yamlout.dump(data))
        else:
            out(f"Client Version: {data['clientVersion']['gitVersion']}")
            if not client:
                out(f"Server Version: {data['serverVersion']['gitVersion']}")

    @app.command("explain")
    def explain(resource: Annotated[Optional[str], typer.Argument(help="TYPE[.FIELD...]")] = None,
                recursive: Annotated[bool, typer.Option("--recursive", "-R", help="Print the fields of fields. Use --max-depth to cap the recursion depth.")] = False,
                max_depth: Annotated[int, typer.Option("--max-depth", help="Maximum recursion depth when printing nested fields with --recursive. 0 means no limit. Requires --recursive when greater than 0.")] = 0,
                api_version: Annotated[Optional[str], typer.Option("--api-version", help="Get different explanations for particular API version (API group/version)")] = None,
                output: Annotated[str, typer.Option("--output", "-o", help="Format in which to render the schema (plaintext, plaintext-openapiv2)")] = "plaintext",
                namespace: NamespaceOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Describe fields and structure of various resources."""
        from pkubectl.cli.resources import lookup_kind
        from pkubectl.printers import explain as explainer

        common.globals_(namespace, context, kubeconfig)
        if max_depth < 0:
            raise CliError("--max-depth must be non-negative")
        if max_depth > 0 and not recursive:
            raise CliError("--max-depth requires --recursive")
        if not resource:
            raise CliError("You must specify the type of resource to explain. Use \"pkubectl api-resources\" for "
                           "a complete list of supported resources.\n")
        if output != "plaintext":  # kubectl's other format is its old, OpenAPI v2 renderer
            raise CliError(f"--output {output} is not available: pkube renders explain as plaintext only")
        type_name, *path = resource.split(".")
        kind = lookup_kind(type_name)
        if api_version and api_version not in (kind.api_version, kind.version):
            raise CliError(f"couldn't find resource for \"{kind.plural}.{kind.group or ''}/{api_version}\"".replace("./", "/"))
        try:
            sys.stdout.write(explainer.explain(kind, path, recursive, max_depth))
        except explainer.FieldNotFound as e:
            raise CliError(f'field "{e}" does not exist') from None

    @app.command("cluster-info")
    def cluster_info(namespace: NamespaceOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Display addresses of the control plane and services with label kubernetes.io/cluster-service=true."""
        inv = common.globals_(namespace, context, kubeconfig)
        home = os.path.abspath(inv.home)
        inv.api.bootstrap()
        out(f"Kubernetes control plane is running at sqlite://{os.path.join(home, 'state.db')}")
        pid = daemon_pid(home)
        out(f"pkubelet daemon is running (pid {pid})" if pid else "pkubelet daemon is not running")
