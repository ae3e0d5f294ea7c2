"""Server-side defaulting: what the API server fills in before an object is stored.

Where it sits: the store calls ``apply_defaults(obj)`` on every create/update, after it
has set ``metadata.uid`` and before ``validation.validate``. The result is what
``get -o yaml`` shows, so the values follow the Kubernetes sources exactly:

* ``pkg/apis/<group>/v1/defaults.go`` (SetDefaults_* functions, declarative ``+default``),
* the registry strategies (Namespace finalizers, Job selector generation, Service IP
  family fields, Pod status phase),
* the admission plugins that every real cluster runs for Pods (ServiceAccount, Priority,
  DefaultTolerationSeconds).

Pod-spec defaults are shared by Pods and every pod template (``pod_spec_defaults``);
the Pod-only parts (``SetDefaults_Pod`` and admission) are kept apart because a real
Deployment's template never shows ``enableServiceLinks`` or ``priority``.

Allocation (clusterIP, nodePort, names from generateName) is the store's job, not ours.
Every function here is idempotent: defaulting twice changes nothing.
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Callable

# --- small helpers ---------------------------------------------------------------------


def _unset(d: dict, key: str, value) -> None:
    """Set ``d[key]`` when it is absent or null (a Go pointer that is nil)."""
    if d.get(key) is None:
        d[key] = copy.deepcopy(value)


def _empty(d: dict, key: str, value) -> None:
    """Set ``d[key]`` when it is absent, null, "" or 0 (a Go zero value)."""
    if d.get(key) in (None, "", 0):
        d[key] = copy.deepcopy(value)


def _dict(d: dict, key: str) -> dict:
    """Return ``d[key]`` as a dict, creating it when absent (a non-pointer Go struct)."""
    if not isinstance(d.get(key), dict):
        d[key] = {}
    return d[key]


def _list(d: dict, key: str) -> list:
    value = d.get(key)
    return value if isinstance(value, list) else []


# --- images ----------------------------------------------------------------------------


def image_tag(image: str) -> str:
    """The tag of an image reference, "latest" when there is neither tag nor digest.

    Mirrors ``parsers.ParseImageName``: a digest without a tag gives "", so such images
    get ``IfNotPresent``.
    """
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1]
    return "" if digest else "latest"


def pull_policy_for(image: str) -> str:
    """Always for ":latest" (or no tag); IfNotPresent otherwise, and for unparsable images."""
    return "Always" if image and image_tag(image) == "latest" else "IfNotPresent"


# --- containers and pod specs ----------------------------------------------------------

PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
PROBE_FIELDS = ("livenessProbe", "readinessProbe", "startupProbe")
VOLUME_MODE_DEFAULT = 420  # 0644, SecretVolumeSourceDefaultMode and friends
TOKEN_EXPIRATION_SECONDS = 3600


def _handler_defaults(handler: dict) -> None:
    """Probe and lifecycle handlers: SetDefaults_HTTPGetAction, grpc ``service: ""``."""
    http = handler.get("httpGet")
    if isinstance(http, dict):
        _empty(http, "path", "/")
        _empty(http, "scheme", "HTTP")
    grpc = handler.get("grpc")
    if isinstance(grpc, dict):
        _unset(grpc, "service", "")


def _probe_defaults(probe: dict) -> None:
    for key, value in PROBE_DEFAULTS.items():
        _empty(probe, key, value)
    _handler_defaults(probe)


def _env_defaults(container: dict) -> None:
    for env in _list(container, "env"):
        source = env.get("valueFrom") if isinstance(env, dict) else None
        if not isinstance(source, dict):
            continue
        if isinstance(source.get("fieldRef"), dict):
            _empty(source["fieldRef"], "apiVersion", "v1")
        if isinstance(source.get("resourceFieldRef"), dict):
            _unset(source["resourceFieldRef"], "divisor", "0")


def container_defaults(container: dict) -> None:
    """SetDefaults_Container plus the declarative port protocol and probe defaults."""
    _empty(container, "imagePullPolicy", pull_policy_for(container.get("image", "")))
    _empty(container, "terminationMessagePath", "/dev/termination-log")
    _empty(container, "terminationMessagePolicy", "File")
    _dict(container, "resources")
    for port in _list(container, "ports"):
        if isinstance(port, dict):
            _empty(port, "protocol", "TCP")
    for name in PROBE_FIELDS:
        if isinstance(container.get(name), dict):
            _probe_defaults(container[name])
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            if isinstance(lifecycle.get(hook), dict):
                _handler_defaults(lifecycle[hook])
    _env_defaults(container)


VOLUME_SOURCES = (
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs",
    "iscsi", "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte",
    "downwardAPI", "fc", "flexVolume", "configMap", "azureFile", "vsphereVolume", "photonPersistentDisk",
    "portworxVolume", "azureDisk", "storageos", "projected", "scaleIO", "csi", "ephemeral", "image",
)
MODE_SOURCES = ("secret", "configMap", "downwardAPI", "projected")


def volume_defaults(volume: dict) -> None:
    """SetDefaults_Volume: no source means emptyDir; file modes default to 0644."""
    if not any(volume.get(key) is not None for key in VOLUME_SOURCES):
        volume["emptyDir"] = {}
    for key in MODE_SOURCES:
        if isinstance(volume.get(key), dict):
            _unset(volume[key], "defaultMode", VOLUME_MODE_DEFAULT)
    if isinstance(volume.get("hostPath"), dict):
        _unset(volume["hostPath"], "type", "")
    if isinstance(volume.get("downwardAPI"), dict):
        for item in _list(volume["downwardAPI"], "items"):
            if isinstance(item, dict) and isinstance(item.get("fieldRef"), dict):
                _empty(item["fieldRef"], "apiVersion", "v1")
    if isinstance(volume.get("projected"), dict):
        for source in _list(volume["projected"], "sources"):
            if isinstance(source, dict) and isinstance(source.get("serviceAccountToken"), dict):
                _unset(source["serviceAccountToken"], "expirationSeconds", TOKEN_EXPIRATION_SECONDS)


POD_SPEC_DEFAULTS = {
    "dnsPolicy": "ClusterFirst",
    "restartPolicy": "Always",
    "schedulerName": "default-scheduler",
}


def pod_spec_defaults(spec: dict) -> None:
    """SetDefaults_PodSpec and everything nested in it: shared by Pods and templates."""
    for key, value in POD_SPEC_DEFAULTS.items():
        _empty(spec, key, value)
    _unset(spec, "securityContext", {})
    _unset(spec, "terminationGracePeriodSeconds", 30)
    # v1 conversion keeps the deprecated serviceAccount field mirrored.
    if not spec.get("serviceAccountName") and spec.get("serviceAccount"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    if spec.get("serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in _list(spec, key):
            if isinstance(container, dict):
                container_defaults(container)
    for volume in _list(spec, "volumes"):
        if isinstance(volume, dict):
            volume_defaults(volume)


def template_defaults(template: dict) -> None:
    """Defaults for a PodTemplateSpec (``{metadata, spec}``) inside a workload."""
    pod_spec_defaults(_dict(template, "spec"))


# --- Pods ------------------------------------------------------------------------------

NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
DEFAULT_TOLERATION_SECONDS = 300


def _requests_from_limits(container: dict) -> None:
    """SetDefaults_Pod: a limit without a request makes the request equal to the limit."""
    resources = container.get("resources") or {}
    limits = resources.get("limits")
    if not limits:
        return
    requests = resources.setdefault("requests", {})
    for name, value in limits.items():
        requests.setdefault(name, value)


def _tolerates(tolerations: list, taint: str) -> bool:
    return any(
        isinstance(t, dict)
        and t.get("key", "") in (taint, "")
        and t.get("effect", "") in ("NoExecute", "")
        for t in tolerations
    )


def _toleration_seconds() -> int:
    """PKUBE_POD_EVICTION_TIMEOUT replaces the 300 s (kube-apiserver's
    --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds)."""
    import os
    try:
        return int(os.environ.get("PKUBE_POD_EVICTION_TIMEOUT", DEFAULT_TOLERATION_SECONDS))
    except ValueError:
        return DEFAULT_TOLERATION_SECONDS


def _default_tolerations(spec: dict) -> None:
    """DefaultTolerationSeconds admission: tolerate not-ready/unreachable for 300s."""
    tolerations = _list(spec, "tolerations")
    for taint in (NOT_READY_TAINT, UNREACHABLE_TAINT):
        if not _tolerates(tolerations, taint):
            tolerations.append({
                "key": taint,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": _toleration_seconds(),
            })
    spec["tolerations"] = tolerations


def qos_class(spec: dict) -> str:
    """The Pod QoS class (``qos.GetPodQOS``) from requests and limits of all containers."""
    from pkubectl.api.validation import parse_quantity  # lazy: only Pods need it

    def amounts(kind: str) -> list[dict]:
        return [
            ((c.get("resources") or {}).get(kind) or {})
            for key in ("initContainers", "containers")
            for c in _list(spec, key)
            if isinstance(c, dict)
        ]

    requests, limits = amounts("requests"), amounts("limits")
    compute = ("cpu", "memory")
    if not any(any(r.get(n) for n in compute) for r in requests + limits):
        return "BestEffort"
    for request, limit in zip(requests, limits):
        for name in compute:
            if name not in limit:
                return "Burstable"
            try:
                if parse_quantity(str(request.get(name, limit[name]))) != parse_quantity(str(limit[name])):
                    return "Burstable"
            except ValueError:
                return "Burstable"
    return "Guaranteed"


def _pod(obj: dict) -> None:
    spec = _dict(obj, "spec")
    pod_spec_defaults(spec)
    # SetDefaults_Pod (Pod only, never templates).
    for key in ("initContainers", "containers"):
        for container in _list(spec, key):
            if isinstance(container, dict):
                _requests_from_limits(container)
    _unset(spec, "enableServiceLinks", True)
    if spec.get("hostNetwork"):
        for key in ("initContainers", "containers"):
            for container in _list(spec, key):
                for port in _list(container, "ports"):
                    _empty(port, "hostPort", port.get("containerPort"))
    # Admission plugins.
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = "default"
        spec["serviceAccount"] = "default"
    if not spec.get("priorityClassName"):
        _unset(spec, "priority", 0)
    _empty(spec, "preemptionPolicy", "PreemptLowerPriority")
    _default_tolerations(spec)
    # Pod strategy PrepareForCreate.
    status = _dict(obj, "status")
    _empty(status, "phase", "Pending")
    _empty(status, "qosClass", qos_class(spec))


# --- workloads -------------------------------------------------------------------------


def _spec_with_template(obj: dict) -> dict:
    spec = _dict(obj, "spec")
    template_defaults(_dict(spec, "template"))
    return spec


def _deployment(obj: dict) -> None:
    spec = _spec_with_template(obj)
    _unset(spec, "replicas", 1)
    strategy = _dict(spec, "strategy")
    _empty(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _dict(strategy, "rollingUpdate")
        _unset(rolling, "maxUnavailable", "25%")
        _unset(rolling, "maxSurge", "25%")
    _unset(spec, "revisionHistoryLimit", 10)
    _unset(spec, "progressDeadlineSeconds", 600)


def _replica_set(obj: dict) -> None:
    spec = _spec_with_template(obj)
    _unset(spec, "replicas", 1)


def _daemon_set(obj: dict) -> None:
    spec = _spec_with_template(obj)
    strategy = _dict(spec, "updateStrategy")
    _empty(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _dict(strategy, "rollingUpdate")
        _unset(rolling, "maxUnavailable", 1)
        _unset(rolling, "maxSurge", 0)
    _unset(spec, "revisionHistoryLimit", 10)


def _stateful_set(obj: dict) -> None:
    spec = _spec_with_template(obj)
    _empty(spec, "podManagementPolicy", "OrderedReady")
    strategy = _dict(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        _dict(strategy, "rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(strategy.get("rollingUpdate"), dict):
        _unset(strategy["rollingUpdate"], "partition", 0)
    retention = _dict(spec, "persistentVolumeClaimRetentionPolicy")
    _empty(retention, "whenDeleted", "Retain")
    _empty(retention, "whenScaled", "Retain")
    _unset(spec, "replicas", 1)
    _unset(spec, "revisionHistoryLimit", 10)


# Job selector generation (registry/batch/job strategy): the prefixed labels are what
# the selector uses; the legacy ones are still added for old clients.
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"


def _generate_job_selector(obj: dict) -> None:
    meta = obj.get("metadata") or {}
    uid, name = meta.get("uid"), meta.get("name", "")
    if not uid:
        return  # the caller sets metadata.uid first; without it there is nothing to select on
    template = _dict(_dict(obj, "spec"), "template")
    labels = _dict(_dict(template, "metadata"), "labels")
    for key, value in (
        (CONTROLLER_UID_LABEL, uid), (JOB_NAME_LABEL, name),
        (LEGACY_CONTROLLER_UID_LABEL, uid), (LEGACY_JOB_NAME_LABEL, name),
    ):
        labels.setdefault(key, value)
    selector = _dict(obj["spec"], "selector")
    _dict(selector, "matchLabels").setdefault(CONTROLLER_UID_LABEL, uid)


def job_spec_defaults(spec: dict) -> None:
    """SetDefaults_Job on the spec part (also used on a CronJob's job template)."""
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    _unset(spec, "parallelism", 1)
    _unset(spec, "backoffLimit", 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6)
    _unset(spec, "completionMode", "NonIndexed")
    _unset(spec, "suspend", False)
    _unset(spec, "podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed")


def _job(obj: dict) -> None:
    spec = _spec_with_template(obj)
    job_spec_defaults(spec)
    if not spec.get("manualSelector"):
        _generate_job_selector(obj)
    meta = _dict(obj, "metadata")
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if template_labels and not meta.get("labels"):
        meta["labels"] = dict(template_labels)


def _cron_job(obj: dict) -> None:
    spec = _dict(obj, "spec")
    _empty(spec, "concurrencyPolicy", "Allow")
    _unset(spec, "suspend", False)
    _unset(spec, "successfulJobsHistoryLimit", 3)
    _unset(spec, "failedJobsHistoryLimit", 1)
    job_template = _dict(spec, "jobTemplate")
    template_defaults(_dict(_dict(job_template, "spec"), "template"))


# --- autoscaling -----------------------------------------------------------------------

DEFAULT_CPU_UTILIZATION = 80
SCALE_UP_RULES = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
SCALE_DOWN_RULES = {
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def _scaling_rules(given: dict | None, default: dict) -> dict:
    rules = copy.deepcopy(default)
    for key, value in (given or {}).items():
        if value is not None:
            rules[key] = value
    return rules


def _hpa(obj: dict) -> None:
    """autoscaling/v2 SetDefaults_HorizontalPodAutoscaler (+ its behavior defaults)."""
    spec = _dict(obj, "spec")
    _unset(spec, "minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [{
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION},
            },
        }]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _scaling_rules(behavior.get("scaleUp"), SCALE_UP_RULES)
        behavior["scaleDown"] = _scaling_rules(behavior.get("scaleDown"), SCALE_DOWN_RULES)


# --- core objects ----------------------------------------------------------------------

DEFAULT_CLIENT_IP_TIMEOUT = 10800


def _externally_accessible(spec: dict) -> bool:
    return spec.get("type") in ("LoadBalancer", "NodePort") or (
        spec.get("type") == "ClusterIP" and bool(spec.get("externalIPs"))
    )


def _service_ip_fields(spec: dict) -> None:
    """The registry's clusterIP/clusterIPs normalisation and single-stack IP families."""
    if spec.get("type") == "ExternalName":
        return
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    elif spec.get("clusterIPs") and not spec.get("clusterIP"):
        spec["clusterIP"] = spec["clusterIPs"][0]
    headless_without_selector = spec.get("clusterIP") == "None" and not spec.get("selector")
    _empty(spec, "ipFamilyPolicy", "RequireDualStack" if headless_without_selector else "SingleStack")
    _empty(spec, "ipFamilies", ["IPv4"])


def _service(obj: dict) -> None:
    spec = _dict(obj, "spec")
    _empty(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = spec.get("sessionAffinityConfig") or {}
        if ((config.get("clientIP") or {}).get("timeoutSeconds")) is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": DEFAULT_CLIENT_IP_TIMEOUT}}
    _empty(spec, "type", "ClusterIP")
    for port in _list(spec, "ports"):
        if isinstance(port, dict):
            _empty(port, "protocol", "TCP")
            if port.get("targetPort") in (None, 0, ""):
                port["targetPort"] = port.get("port")
    if _externally_accessible(spec):
        _empty(spec, "externalTrafficPolicy", "Cluster")
    if spec["type"] in ("ClusterIP", "NodePort", "LoadBalancer"):
        _unset(spec, "internalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        _unset(spec, "allocateLoadBalancerNodePorts", True)
    _service_ip_fields(spec)
    _dict(_dict(obj, "status"), "loadBalancer")


def _namespace(obj: dict) -> None:
    meta = _dict(obj, "metadata")
    if meta.get("name"):
        _dict(meta, "labels")["kubernetes.io/metadata.name"] = meta["name"]
    _unset(_dict(obj, "spec"), "finalizers", ["kubernetes"])
    _empty(_dict(obj, "status"), "phase", "Active")


def _secret(obj: dict) -> None:
    _empty(obj, "type", "Opaque")


def _node(obj: dict) -> None:
    status = obj.get("status")
    if isinstance(status, dict) and status.get("capacity") and status.get("allocatable") is None:
        status["allocatable"] = dict(status["capacity"])
    # The API server stamps a NoExecute taint with the time it arrived: the taint manager
    # counts a toleration's tolerationSeconds from it (`kubectl taint` sends none).
    spec = obj.get("spec")
    for taint in (spec.get("taints") or []) if isinstance(spec, dict) else []:
        if isinstance(taint, dict) and taint.get("effect") == "NoExecute" and not taint.get("timeAdded"):
            taint["timeAdded"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _endpoints(obj: dict) -> None:
    for subset in _list(obj, "subsets"):
        for port in _list(subset, "ports"):
            if isinstance(port, dict):
                _empty(port, "protocol", "TCP")


def _endpoint_slice(obj: dict) -> None:
    for port in _list(obj, "ports"):
        if isinstance(port, dict):
            _unset(port, "name", "")
            _unset(port, "protocol", "TCP")


def _nothing(obj: dict) -> None:
    """Kinds the server stores as sent (ConfigMap, Event, ServiceAccount, Lease)."""


DEFAULTERS: dict[str, Callable[[dict], None]] = {
    "Namespace": _namespace,
    "Pod": _pod,
    "Service": _service,
    "ConfigMap": _nothing,
    "Secret": _secret,
    "Node": _node,
    "Event": _nothing,
    "Endpoints": _endpoints,
    "ServiceAccount": _nothing,
    "Deployment": _deployment,
    "ReplicaSet": _replica_set,
    "DaemonSet": _daemon_set,
    "StatefulSet": _stateful_set,
    "Job": _job,
    "CronJob": _cron_job,
    "HorizontalPodAutoscaler": _hpa,
    "EndpointSlice": _endpoint_slice,
    "Lease": _nothing,
}


def apply_defaults(obj: dict) -> None:
    """Fill in server defaults in place, as the API server does before storing ``obj``.

    Unknown kinds are left alone. For Jobs, ``metadata.uid`` must already be set so the
    generated selector can use it.
    """
    defaulter = DEFAULTERS.get(obj.get("kind", ""))
    if defaulter is not None:
        defaulter(obj)
