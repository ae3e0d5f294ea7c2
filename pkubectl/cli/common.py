"""What every command shares: the invocation context, errors, result lines, and
the options spelled once (like sqlite-utils' shared option decorators)."""
from __future__ import annotations

import os
import sys

from pkubectl.api.errors import ApiError


class CliError(Exception):
    """A client-side failure: printed as `error: <msg>`, exit 1."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


class Failed(Exception):
    """Errors were already printed; exit 1 (kubectl keeps going over many items)."""


# -- global flags (also accepted before the verb; main.py moves them after) ---------
GLOBAL_FLAGS_WITH_VALUE = ("-n", "--namespace", "--context", "--kubeconfig", "-s", "--server")


class Invocation:
    """Resolved once per command: the cluster, the namespace, and where output goes."""

    def __init__(self):
        self.namespace_flag: str | None = None
        self.context_flag: str | None = None
        self.kubeconfig_flag: str | None = None
        self._api = None
        self._resolved: tuple | None = None
        self.errors = 0

    def resolve(self):
        if self._resolved is None:
            from pkubectl.cli import config
            path = config.config_path(self.kubeconfig_flag or None)
            try:
                cfg = config.load(path)
                self._resolved = (path, cfg, *config.resolve(cfg, self.context_flag))
            except config.ConfigError as e:
                raise CliError(str(e)) from None
        return self._resolved

    @property
    def namespace(self) -> str:
        return self.namespace_flag or self.resolve()[4]

    @property
    def explicit_namespace(self) -> bool:
        return bool(self.namespace_flag)

    @property
    def home(self) -> str:
        return self.resolve()[3]

    @property
    def api(self):
        if self._api is None:
            from pkubectl.api.server import Api
            from state.store import Store
            self._api = Api(Store(self.home))
        return self._api

    def fail(self, text: str) -> None:
        """Print one error line and keep going; the command exits 1 at the end."""
        err(text)
        self.errors += 1

    def finish(self) -> None:
        if self.errors:
            raise Failed()


INVOCATION = Invocation()


def inv() -> Invocation:
    return INVOCATION


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def err(line: str) -> None:
    sys.stderr.write(line + "\n")


def api_error_text(e: ApiError) -> str:
    return e.kubectl_text()


def set_namespace(ns: str | None) -> None:
    if ns:
        INVOCATION.namespace_flag = ns


# Options spelled once. Each command declares the ones it takes with these aliases.
# They are built on first use (module __getattr__), so that a command parsed without
# typer (the `get` fast path) never imports it.
_OPTION_SPECS = {
    "NamespaceOpt": ("Optional[str]", lambda t: t.Option("--namespace", "-n", help="If present, the namespace scope for this CLI request")),
    "AllNamespacesOpt": ("bool", lambda t: t.Option("--all-namespaces", "-A", help="List the requested object(s) across all namespaces.")),
    "OutputOpt": ("Optional[str]", lambda t: t.Option("--output", "-o", help="Output format. One of: (json, yaml, name, go-template, go-template-file, template, templatefile, jsonpath, jsonpath-as-json, jsonpath-file, custom-columns, custom-columns-file, wide).")),
    "FilenameOpt": ("Optional[list[str]]", lambda t: t.Option("--filename", "-f", help="Filename, directory, or URL to files; - for stdin.")),
    "RecursiveOpt": ("bool", lambda t: t.Option("--recursive", "-R", help="Process the directory used in -f, --filename recursively.")),
    "SelectorOpt": ("Optional[str]", lambda t: t.Option("--selector", "-l", help="Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'.")),
    "FieldSelectorOpt": ("Optional[str]", lambda t: t.Option("--field-selector", help="Selector (field query) to filter on, supports '=', '==', and '!='.")),
    "DryRunOpt": ("Optional[str]", lambda t: t.Option("--dry-run", help='Must be "none", "server", or "client".', flag_value="client", is_flag=False)),
    "ContextOpt": ("Optional[str]", lambda t: t.Option("--context", help="The name of the kubeconfig context to use")),
    "KubeconfigOpt": ("Optional[str]", lambda t: t.Option("--kubeconfig", help="Path to the kubeconfig file to use for CLI requests.")),
    "TemplateOpt": ("Optional[str]", lambda t: t.Option("--template", help="Template string or path to template file to use when -o=go-template, -o=go-template-file.")),
    "AllowMissingOpt": ("bool", lambda t: t.Option("--allow-missing-template-keys/--no-allow-missing-template-keys", help="If true, ignore any errors in templates when a field or map key is missing in the template.")),
    "ContainerOpt": ("Optional[str]", lambda t: t.Option("--container", "-c", help="Container name. If omitted, use the kubectl.kubernetes.io/default-container annotation for selecting the container to be attached or the first container in the pod will be chosen")),
    "StdinOpt": ("bool", lambda t: t.Option("--stdin", "-i", help="Pass stdin to the container")),
    "TtyOpt": ("bool", lambda t: t.Option("--tty", "-t", help="Stdin is a TTY")),
    "QuietOpt": ("bool", lambda t: t.Option("--quiet", "-q", help="Only print output from the remote session")),
    "PodRunningTimeoutOpt": ("str", lambda t: t.Option("--pod-running-timeout", help="The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is running")),
    "ShowManagedFieldsOpt": ("bool", lambda t: t.Option("--show-managed-fields", help="If true, keep the managedFields when printing objects in JSON or YAML format.")),
}


def __getattr__(name: str):
    spec = _OPTION_SPECS.get(name)
    if spec is None:
        raise AttributeError(name)
    from typing import Annotated, Optional  # noqa: F401 - names used by eval below

    import typer
    typ, option = spec
    annotated = Annotated[eval(typ), option(typer)]  # noqa: S307 - our own literal type names
    globals()[name] = annotated
    return annotated


def declare_options(namespace: dict) -> None:
    """Put `typer` and every shared *Opt alias into a command module's globals, for a
    module that must not import typer at import time (its verb has a typer-free
    fast path): typer resolves the string annotations there when registering."""
    import typer
    namespace["typer"] = typer
    for name in _OPTION_SPECS:
        namespace[name] = __getattr__(name)


def globals_(namespace=None, context=None, kubeconfig=None) -> Invocation:
    """Record the global flags a command received and return the invocation."""
    if namespace:
        INVOCATION.namespace_flag = namespace
    if context:
        INVOCATION.context_flag = context
    if kubeconfig:
        INVOCATION.kubeconfig_flag = kubeconfig
    return INVOCATION


def parse_dry_run(value: str | None) -> str:
    """'none' | 'client' | 'server', with kubectl's deprecation and error texts."""
    if value is None or value == "none" or value == "false":
        return "none"
    if value in ("client", "server"):
        return value
    if value in ("true", ""):
        err("W1126 --dry-run is deprecated and can be replaced with --dry-run=client.")
        return "client"
    raise CliError(f'Invalid dry-run value ({value}). Must be "none", "server", or "client".')


DRY_RUN_SUFFIX = {"none": "", "client": " (dry run)", "server": " (server dry run)"}


def result_line(kind, name: str, verb: str, dry_run: str = "none", output: str | None = None) -> str:
    """`deployment.apps/web created (dry run)`; `-o name` prints only the name part."""
    ref = f"{kind.lower_kind}/{name}"
    if output == "name":
        return ref
    return f"{ref} {verb}{DRY_RUN_SUFFIX[dry_run]}"


def object_printer(output: str | None, name_too: bool = False):
    """The Printer for -o, or None when the command prints its own result lines: no -o,
    or -o name (unless `name_too`). A bad format is a CliError."""
    if not output or (output == "name" and not name_too):
        return None
    from pkubectl.printers.output import Printer, PrinterError
    try:
        return Printer.from_flag(output)
    except PrinterError as e:
        raise CliError(str(e)) from None


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go time.ParseDuration ("30s", "1m30s", "500ms", "0"); a bare number is seconds."""
    import re
    text = text.strip()
    if not text:
        raise CliError('time: invalid duration ""')
    try:
        return float(text)
    except ValueError:
        pass
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text.lstrip("+"):
        raise CliError(f'time: invalid duration "{text}"')
    return sum(float(n) * _UNITS[u] for n, u in parts)
