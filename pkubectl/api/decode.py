"""Typed decoding, the step kube-apiserver takes before defaulting and validation.

The apiserver unmarshals a request into Go structs, so a field of the wrong JSON type is a
400 `<Kind> in version "v1" cannot be handled as a <Kind>: json: cannot unmarshal string
into Go struct field ... of type int32`, and nothing downstream ever sees it. pkube keeps
objects as dicts; SCHEMAS below holds the shape of the fields that defaulting, validation,
the controllers and the printers read, and `check(kind, obj)` walks an object against it.
Fields not listed are not checked (like unknown fields, they are carried as they are).

A type is: "string" | "int32" | "int64" | "bool" | "number" | "map" (map[string]string) |
"object" (any JSON object) | [type] (a list of type) | {field: type} (a struct).
"""
from __future__ import annotations

INT32 = (-(2 ** 31), 2 ** 31 - 1)
INT64 = (-(2 ** 63), 2 ** 63 - 1)

SELECTOR = {"matchLabels": "map", "matchExpressions": [{"key": "string", "operator": "string",
                                                        "values": ["string"]}]}
ENV = {"name": "string", "value": "string", "valueFrom": "object"}
PORT = {"name": "string", "containerPort": "int32", "hostPort": "int32", "protocol": "string",
        "hostIP": "string"}
PROBE = {"httpGet": "object", "tcpSocket": "object", "exec": {"command": ["string"]}, "grpc": "object",
         "initialDelaySeconds": "int32", "periodSeconds": "int32", "timeoutSeconds": "int32",
         "successThreshold": "int32", "failureThreshold": "int32", "terminationGracePeriodSeconds": "int64"}
CONTAINER = {"name": "string", "image": "string", "command": ["string"], "args": ["string"],
             "workingDir": "string", "env": [ENV], "envFrom": ["object"], "ports": [PORT],
             "resources": {"limits": "object", "requests": "object"},
             "volumeMounts": [{"name": "string", "mountPath": "string", "subPath": "string", "readOnly": "bool"}],
             "livenessProbe": PROBE, "readinessProbe": PROBE, "startupProbe": PROBE,
             "imagePullPolicy": "string", "stdin": "bool", "tty": "bool", "securityContext": "object",
             "lifecycle": "object"}
POD_SPEC = {"containers": [CONTAINER], "initContainers": [CONTAINER], "volumes": [{"name": "string"}],
            "restartPolicy": "string", "nodeName": "string", "nodeSelector": "map",
            "terminationGracePeriodSeconds": "int64", "activeDeadlineSeconds": "int64",
            "serviceAccountName": "string", "hostname": "string", "subdomain": "string",
            "tolerations": [{"key": "string", "operator": "string", "value": "string", "effect": "string",
                             "tolerationSeconds": "int64"}],
            "affinity": "object", "securityContext": "object", "priority": "int32",
            "hostNetwork": "bool", "dnsPolicy": "string", "schedulerName": "string"}
TEMPLATE_META = {"name": "string", "labels": "map", "annotations": "map"}
TEMPLATE = {"metadata": TEMPLATE_META, "spec": POD_SPEC}
JOB_SPEC = {"parallelism": "int32", "completions": "int32", "backoffLimit": "int32",
            "activeDeadlineSeconds": "int64", "ttlSecondsAfterFinished": "int32", "selector": SELECTOR,
            "completionMode": "string", "suspend": "bool", "template": TEMPLATE}
WORKLOAD = {"replicas": "int32", "selector": SELECTOR, "template": TEMPLATE, "minReadySeconds": "int32",
            "revisionHistoryLimit": "int32", "paused": "bool", "progressDeadlineSeconds": "int32"}

SCHEMAS = {
    "Pod": {"spec": POD_SPEC},
    "Deployment": {"spec": dict(WORKLOAD, strategy={"type": "string", "rollingUpdate": "object"})},
    "ReplicaSet": {"spec": WORKLOAD},
    "DaemonSet": {"spec": dict(WORKLOAD, updateStrategy={"type": "string", "rollingUpdate": "object"})},
    "StatefulSet": {"spec": dict(WORKLOAD, serviceName="string", podManagementPolicy="string",
                                 updateStrategy={"type": "string", "rollingUpdate": "object"},
                                 volumeClaimTemplates=["object"])},
    "Job": {"spec": JOB_SPEC},
    "CronJob": {"spec": {"schedule": "string", "timeZone": "string", "suspend": "bool",
                         "concurrencyPolicy": "string", "startingDeadlineSeconds": "int64",
                         "successfulJobsHistoryLimit": "int32", "failedJobsHistoryLimit": "int32",
                         "jobTemplate": {"metadata": TEMPLATE_META, "spec": JOB_SPEC}}},
    "Service": {"spec": {"type": "string", "selector": "map", "clusterIP": "string", "clusterIPs": ["string"],
                         "externalIPs": ["string"], "externalName": "string", "sessionAffinity": "string",
                         "ports": [{"name": "string", "protocol": "string", "port": "int32",
                                    "nodePort": "int32"}]}},
    "ConfigMap": {"data": "map", "binaryData": "map", "immutable": "bool"},
    "Secret": {"data": "map", "stringData": "map", "type": "string", "immutable": "bool"},
    "HorizontalPodAutoscaler": {"spec": {
        "scaleTargetRef": {"apiVersion": "string", "kind": "string", "name": "string"},
        "minReplicas": "int32", "maxReplicas": "int32", "behavior": "object",
        "metrics": [{"type": "string", "resource": {"name": "string", "target": {
            "type": "string", "averageUtilization": "int32"}}}]}},
    "Endpoints": {"subsets": [{"addresses": [{"ip": "string", "hostname": "string", "nodeName": "string",
                                              "targetRef": "object"}],
                               "notReadyAddresses": [{"ip": "string"}],
                               "ports": [{"name": "string", "port": "int32", "protocol": "string"}]}]},
    "EndpointSlice": {"addressType": "string", "endpoints": [{"addresses": ["string"], "conditions": "object",
                                                             "nodeName": "string", "targetRef": "object"}],
                      "ports": [{"name": "string", "port": "int32", "protocol": "string"}]},
    "Namespace": {"spec": {"finalizers": ["string"]}},
    "Node": {"spec": {"podCIDR": "string", "unschedulable": "bool", "taints": [
        {"key": "string", "value": "string", "effect": "string"}]}},
    "Lease": {"spec": {"holderIdentity": "string", "leaseDurationSeconds": "int32", "renewTime": "string",
                       "acquireTime": "string", "leaseTransitions": "int32"}},
    "Event": {"involvedObject": {"kind": "string", "name": "string", "namespace": "string", "uid": "string"},
              "reason": "string", "message": "string", "type": "string", "count": "int32"},
    "ServiceAccount": {"secrets": ["object"], "imagePullSecrets": ["object"]},
    "ControllerRevision": {"revision": "int64", "data": "object"},
}

_JSON = {str: "string", bool: "bool", int: "number", float: "number", list: "array", dict: "object",
         type(None): "null"}


def _go(t) -> str:
    if isinstance(t, list):
        return "[]" + _go(t[0])
    if isinstance(t, dict):
        return "struct"
    return {"map": "map[string]string", "object": "map[string]interface {}", "number": "float64"}.get(t, t)


def _fits(value, t) -> bool:
    if t == "string":
        return isinstance(value, str)
    if t in ("int32", "int64"):
        lo, hi = INT32 if t == "int32" else INT64
        return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
    if t == "bool":
        return isinstance(value, bool)
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "map":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return isinstance(value, list if isinstance(t, list) else dict)


def _walk(value, t, path: str):
    """The first (path, value, type) that does not fit, or None. null fits anything (omitted)."""
    if value is None:
        return None
    if not _fits(value, t):
        if t == "map" and isinstance(value, dict):
            bad = next(k for k, v in value.items() if not isinstance(v, str))
            return f"{path}", value[bad], "string"
        return path, value, _go(t)
    if isinstance(t, list):
        for item in value:
            found = _walk(item, t[0], path)
            if found:
                return found
    elif isinstance(t, dict):
        for field, sub in t.items():
            if field in value:
                found = _walk(value[field], sub, f"{path}.{field}")
                if found:
                    return found
    return None


def error(kind: str, obj: dict) -> str | None:
    """Go's unmarshal error for the first mistyped field of obj, else None."""
    schema = SCHEMAS.get(kind)
    if not schema:
        return None
    found = _walk(obj, schema, "")
    if not found:
        return None
    path, value, go = found
    got = _JSON.get(type(value), "value")
    if got == "number" and go in ("int32", "int64"):
        got = f"number {value}"
    return f"json: cannot unmarshal {got} into Go struct field {kind}{path} of type {go}"
