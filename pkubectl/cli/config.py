"""kubeconfig-style contexts: which cluster (state directory) and namespace a command uses.

The file is YAML shaped like a kubeconfig (contexts, clusters, current-context), but a
cluster is a pkube state directory (`pkube-home`) instead of a server URL. Where it
lives: `--kubeconfig`, else `$PKUBECONFIG`, else `<state dir>/config` — so a test or a
user that sets only `PKUBE_HOME` gets a private config next to its database.
It is read with a tiny parser of our own when PyYAML is not needed (the `get` path
must not pay ~25 ms to import yaml for a file of ten lines); written with PyYAML.
"""
from __future__ import annotations

import json
import os

from state.store import default_home

DEFAULT_CONTEXT = "pkube"


def config_path(explicit: str | None = None) -> str:
    return explicit or os.environ.get("PKUBECONFIG") or os.path.join(default_home(), "config")


def _default_config(home: str) -> dict:
    return {"apiVersion": "v1", "kind": "Config", "current-context": DEFAULT_CONTEXT,
            "clusters": [{"name": DEFAULT_CONTEXT, "cluster": {"pkube-home": home}}],
            "contexts": [{"name": DEFAULT_CONTEXT, "context": {"cluster": DEFAULT_CONTEXT, "namespace": "default"}}],
            "users": [], "preferences": {}}


def load(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return _default_config(default_home())
    except OSError as e:
        raise ConfigError(f"error loading config file \"{path}\": {e.strerror}") from None
    stripped = text.lstrip()
    try:
        if stripped.startswith("{"):
            data = json.loads(text)  # we write JSON-compatible YAML: fast path
        else:
            import yaml
            data = yaml.safe_load(text) or {}
    except Exception as e:  # noqa: BLE001 - any parse failure is the user's file
        raise ConfigError(f"error loading config file \"{path}\": {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"error loading config file \"{path}\": not a kubeconfig")
    return data


def save(path: str, cfg: dict) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        # JSON is valid YAML and reads back without importing yaml.
        json.dump(cfg, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


class ConfigError(Exception):
    pass


def _find(items: list, name: str) -> dict | None:
    for it in items or []:
        if it.get("name") == name:
            return it
    return None


def resolve(cfg: dict, context: str | None) -> tuple[str, str, str]:
    """(context name, state dir, namespace) for the chosen or current context."""
    name = context or cfg.get("current-context") or ""
    if not name:
        return "", default_home(), "default"
    ctx = _find(cfg.get("contexts"), name)
    if ctx is None:
        if context:
            raise ConfigError(f'context "{name}" does not exist')
        return name, default_home(), "default"
    c = ctx.get("context") or {}
    cluster = _find(cfg.get("clusters"), c.get("cluster", "")) or {}
    home = (cluster.get("cluster") or {}).get("pkube-home") or default_home()
    return name, os.path.expanduser(home), c.get("namespace") or "default"
