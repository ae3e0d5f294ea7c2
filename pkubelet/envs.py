"""A container's environment, resolved the way the kubelet does (makeEnvironmentVariables).

Order and precedence:
1. the image's ENV (catalog entry) and HOSTNAME, as the container runtime sets them;
2. the Kubernetes service variables ({SVC}_SERVICE_HOST, {SVC}_PORT_80_TCP_ADDR, ...) for the
   Services in the pod's namespace that exist now (enableServiceLinks, default true), plus
   the `kubernetes` Service of the default namespace, always;
3. `envFrom` (configMapRef / secretRef, with `prefix`), values taken literally;
4. `env`, in order: `value` with `$(VAR)` expanded from the variables before it and the
   service variables; `valueFrom` configMapKeyRef / secretKeyRef / fieldRef / resourceFieldRef.

A missing ConfigMap, Secret or key that is not `optional` raises ConfigError with the
kubelet's message; the pod then waits with reason CreateContainerConfigError.
Nothing else is added: Kubernetes gives a container no POD_IP unless the manifest asks.
"""
from __future__ import annotations

import base64
import math
import re

from pkubelet.runtime import command

MASTER_NAMESPACE = "default"
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


class ConfigError(Exception):
    """CreateContainerConfigError: the container cannot be configured yet."""

    reason = "CreateContainerConfigError"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- service links ---------------------------------------------------------------------------

def _env_name(name: str) -> str:
    return name.upper().replace("-", "_")


def service_env(services: list) -> dict:
    """The docker-links style variables of these Services (kubelet's envvars.FromServices)."""
    env: dict = {}
    for svc in services:
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP")
        if not ip or ip == "None" or spec.get("type") == "ExternalName":
            continue
        ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
        if not ports:
            continue
        prefix = _env_name(svc["metadata"]["name"])
        env[prefix + "_SERVICE_HOST"] = ip
        env[prefix + "_SERVICE_PORT"] = str(ports[0].get("port"))
        for p in ports:
            if p.get("name"):
                env["%s_SERVICE_PORT_%s" % (prefix, _env_name(p["name"]))] = str(p.get("port"))
        for i, p in enumerate(ports):
            proto = str(p.get("protocol") or "TCP")
            url = "%s://%s:%s" % (proto.lower(), ip, p.get("port"))
            if i == 0:
                env[prefix + "_PORT"] = url
            base = "%s_PORT_%s_%s" % (prefix, p.get("port"), proto.upper())
            env[base] = url
            env[base + "_PROTO"] = proto.lower()
            env[base + "_PORT"] = str(p.get("port"))
            env[base + "_ADDR"] = ip
    return env


def services_for(api, pod: dict) -> list:
    """The Services whose variables a container of this pod gets, master service first."""
    from pkubectl.api import registry

    kind = registry.by_kind("Service")
    ns = pod["metadata"].get("namespace") or "default"
    chosen = {}
    if (pod.get("spec") or {}).get("enableServiceLinks", True) is not False:
        for svc in api.list(kind, ns)[0]:
            chosen[(ns, svc["metadata"]["name"])] = svc
    master = api.try_get(kind, MASTER_NAMESPACE, "kubernetes")
    if master is not None:
        chosen[(MASTER_NAMESPACE, "kubernetes")] = master
    # Services of the pod's own namespace win over the master one of the same name.
    return sorted(chosen.values(), key=lambda s: (s["metadata"].get("namespace") == ns,
                                                  s["metadata"]["name"]))


# --- sources ---------------------------------------------------------------------------------

def _config_data(obj: dict, kind: str) -> dict:
    """ConfigMap data + binaryData, or Secret data (base64-decoded) + stringData, as text."""
    out: dict = {}
    if kind == "Secret":
        for k, v in (obj.get("data") or {}).items():
            try:
                out[k] = base64.b64decode(v or "").decode("utf-8", "replace")
            except (ValueError, TypeError):
                out[k] = ""
        for k, v in (obj.get("stringData") or {}).items():
            out[k] = str(v)
    else:
        for k, v in (obj.get("binaryData") or {}).items():
            try:
                out[k] = base64.b64decode(v or "").decode("utf-8", "replace")
            except (ValueError, TypeError):
                out[k] = ""
        for k, v in (obj.get("data") or {}).items():
            out[k] = "" if v is None else str(v)
    return out


class Sources:
    """ConfigMaps and Secrets of one namespace, each read at most once per container start."""

    def __init__(self, api, namespace: str):
        self.api, self.namespace, self._cache = api, namespace, {}

    def get(self, kind: str, name: str) -> dict | None:
        key = (kind, name)
        if key not in self._cache:
            from pkubectl.api import registry

            self._cache[key] = self.api.try_get(registry.by_kind(kind), self.namespace, name)
        return self._cache[key]

    def data(self, kind: str, name: str) -> dict | None:
        obj = self.get(kind, name)
        return None if obj is None else _config_data(obj, kind)


def _lower(kind: str) -> str:
    return "configmap" if kind == "ConfigMap" else "secret"


def key_ref(sources: Sources, kind: str, ref: dict) -> str | None:
    """Value of a configMapKeyRef / secretKeyRef; None when optional and missing."""
    name, key = ref.get("name", ""), ref.get("key", "")
    data = sources.data(kind, name)
    if data is None:
        if ref.get("optional"):
            return None
        raise ConfigError('%s "%s" not found' % (_lower(kind), name))
    if key not in data:
        if ref.get("optional"):
            return None
        raise ConfigError("couldn't find key %s in %s %s/%s" % (key, kind, sources.namespace, name))
    return data[key]


# --- downward API ----------------------------------------------------------------------------

_SUBSCRIPT = re.compile(r"^metadata\.(labels|annotations)\['(.*)'\]$")


def field_value(pod: dict, path: str, pod_ip: str = "", host_ip: str = "") -> str:
    """The value of a fieldRef fieldPath (the kubelet's podFieldSelectorRuntimeValue)."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    m = _SUBSCRIPT.match(path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": pod_ip,
        "status.podIPs": pod_ip,
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
    }
    if path in simple:
        return str(simple[path] or "")
    if path in ("metadata.labels", "metadata.annotations"):
        items = meta.get(path.split(".")[1]) or {}
        return "\n".join('%s="%s"' % (k, items[k]) for k in sorted(items))
    raise ConfigError('unsupported fieldPath: "%s"' % path)


def resource_value(pod: dict, container: dict | None, ref: dict, node_allocatable: dict) -> str:
    """A resourceFieldRef: the limit (node allocatable when unset) or request, / divisor."""
    from pkubectl.api import quantity

    if container is None:
        wanted = ref.get("containerName")
        for c in (pod.get("spec") or {}).get("containers") or []:
            if c.get("name") == wanted:
                container = c
        if container is None:
            raise ConfigError('container "%s" not found' % wanted)
    resource = ref.get("resource", "")
    kind, _, name = resource.partition(".")
    resources = container.get("resources") or {}
    value = (resources.get(kind) or {}).get(name)
    if value is None and kind == "requests":
        value = (resources.get("limits") or {}).get(name)
    if value is None:
        value = node_allocatable.get(name, "0") if kind == "limits" else "0"
    divisor = ref.get("divisor") or "0"
    amount = quantity.parse_quantity(str(value)).value
    div = quantity.parse_quantity(str(divisor)).value
    if div == 0:
        div = 1  # divisor "0" means 1, as the API defaults it
    return str(math.ceil(amount / div))


# --- the whole environment --------------------------------------------------------------------

def container_env(api, pod: dict, container: dict, *, pod_ip: str, host_ip: str,
                  image=None, node_allocatable: dict | None = None,
                  services: list | None = None) -> dict:
    """The complete environment of one container start. Raises ConfigError."""
    ns = pod["metadata"].get("namespace") or "default"
    sources = Sources(api, ns)
    env: dict = {}
    for name, value in getattr(image, "env", ()) or ():
        env[name] = value
    spec = pod.get("spec") or {}
    env["HOSTNAME"] = spec.get("hostname") or pod["metadata"].get("name", "")
    svc_env = service_env(services if services is not None else services_for(api, pod))
    own: dict = {}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix") or ""
        for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = source.get(field)
            if not isinstance(ref, dict):
                continue
            data = sources.data(kind, ref.get("name", ""))
            if data is None:
                if ref.get("optional"):
                    continue
                raise ConfigError('%s "%s" not found' % (_lower(kind), ref.get("name", "")))
            for key, value in data.items():
                if _ENV_NAME.match(prefix + key):
                    own[prefix + key] = value
    for item in container.get("env") or []:
        name = item.get("name", "")
        source = item.get("valueFrom")
        if not source:
            scope = dict(svc_env)
            scope.update(own)
            own[name] = command.expand(str(item.get("value") or ""), scope)
            continue
        if source.get("configMapKeyRef"):
            value = key_ref(sources, "ConfigMap", source["configMapKeyRef"])
        elif source.get("secretKeyRef"):
            value = key_ref(sources, "Secret", source["secretKeyRef"])
        elif source.get("fieldRef"):
            value = field_value(pod, source["fieldRef"].get("fieldPath", ""), pod_ip, host_ip)
        elif source.get("resourceFieldRef"):
            value = resource_value(pod, container, source["resourceFieldRef"], node_allocatable or {})
        else:
            value = ""
        if value is None:
            continue  # optional and missing: the variable is not set at all
        own[name] = value
    env.update(svc_env)
    env.update(own)
    return env
