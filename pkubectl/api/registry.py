"""The kinds this cluster serves: one data table, read by everything that varies by kind.

A row says how a kind is named (group/version/kind, plural, singular, short names),
whether it is namespaced, its categories, and its printer columns (header, the name of
the cell function in ``pkubectl.printers.columns``, priority: 1 = only with ``-o wide``).
Adding a kind is adding a row.
"""
from __future__ import annotations

from typing import NamedTuple

WIDE = 1


class Column(NamedTuple):
    header: str
    cell: str
    priority: int = 0


class Kind(NamedTuple):
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    short_names: tuple[str, ...] = ()
    namespaced: bool = True
    categories: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    has_status: bool = True
    scalable: bool = False
    verbs: tuple[str, ...] = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """`plural[.group]`: the store's key prefix and kubectl's resource name."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def lower_kind(self) -> str:
        """`deployment.apps` — the prefix of `-o name` and of result lines."""
        k = self.kind.lower()
        return f"{k}.{self.group}" if self.group else k


def _c(*specs) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in specs)


NAME_AGE = _c(("NAME", "name"), ("AGE", "age"))
WORKLOAD_WIDE = (("CONTAINERS", "containers", WIDE), ("IMAGES", "images", WIDE), ("SELECTOR", "selector", WIDE))

KINDS: tuple[Kind, ...] = (
    Kind("", "v1", "ConfigMap", "configmaps", "configmap", ("cm",),
         columns=_c(("NAME", "name"), ("DATA", "configmap_data"), ("AGE", "age")), has_status=False),
    Kind("", "v1", "Endpoints", "endpoints", "endpoints", ("ep",),
         columns=_c(("NAME", "name"), ("ENDPOINTS", "endpoints"), ("AGE", "age")), has_status=False),
    Kind("", "v1", "Event", "events", "event", ("ev",),
         columns=_c(("LAST SEEN", "event_last_seen"), ("TYPE", "event_type"), ("REASON", "event_reason"),
                    ("OBJECT", "event_object"), ("SUBOBJECT", "event_subobject", WIDE),
                    ("SOURCE", "event_source", WIDE), ("MESSAGE", "event_message"),
                    ("FIRST SEEN", "event_first_seen", WIDE), ("COUNT", "event_count", WIDE),
                    ("NAME", "name", WIDE)), has_status=False),
    Kind("", "v1", "Namespace", "namespaces", "namespace", ("ns",), namespaced=False,
         columns=_c(("NAME", "name"), ("STATUS", "namespace_status"), ("AGE", "age")),
         verbs=("create", "delete", "get", "list", "patch", "update", "watch")),
    Kind("", "v1", "Node", "nodes", "node", ("no",), namespaced=False,
         columns=_c(("NAME", "name"), ("STATUS", "node_status"), ("ROLES", "node_roles"), ("AGE", "age"),
                    ("VERSION", "node_version"), ("INTERNAL-IP", "node_internal_ip", WIDE),
                    ("EXTERNAL-IP", "node_external_ip", WIDE), ("OS-IMAGE", "node_os_image", WIDE),
                    ("KERNEL-VERSION", "node_kernel", WIDE), ("CONTAINER-RUNTIME", "node_runtime", WIDE))),
    Kind("", "v1", "Pod", "pods", "pod", ("po",), categories=("all",),
         columns=_c(("NAME", "name"), ("READY", "pod_ready"), ("STATUS", "pod_status"),
                    ("RESTARTS", "pod_restarts"), ("AGE", "age"), ("IP", "pod_ip", WIDE),
                    ("NODE", "pod_node", WIDE), ("NOMINATED NODE", "pod_nominated", WIDE),
                    ("READINESS GATES", "pod_gates", WIDE))),
    Kind("", "v1", "Secret", "secrets", "secret", (),
         columns=_c(("NAME", "name"), ("TYPE", "secret_type"), ("DATA", "secret_data"), ("AGE", "age")),
         has_status=False),
    Kind("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", ("sa",),
         columns=_c(("NAME", "name"), ("SECRETS", "sa_secrets"), ("AGE", "age")), has_status=False),
    Kind("", "v1", "Service", "services", "service", ("svc",), categories=("all",),
         columns=_c(("NAME", "name"), ("TYPE", "svc_type"), ("CLUSTER-IP", "svc_cluster_ip"),
                    ("EXTERNAL-IP", "svc_external_ip"), ("PORT(S)", "svc_ports"), ("AGE", "age"),
                    ("SELECTOR", "svc_selector", WIDE))),
    Kind("apps", "v1", "DaemonSet", "daemonsets", "daemonset", ("ds",), categories=("all",),
         columns=_c(("NAME", "name"), ("DESIRED", "ds_desired"), ("CURRENT", "ds_current"),
                    ("READY", "ds_ready"), ("UP-TO-DATE", "ds_updated"), ("AVAILABLE", "ds_available"),
                    ("NODE SELECTOR", "ds_node_selector"), ("AGE", "age"), *WORKLOAD_WIDE)),
    Kind("apps", "v1", "Deployment", "deployments", "deployment", ("deploy",), categories=("all",),
         scalable=True,
         columns=_c(("NAME", "name"), ("READY", "ready_of_replicas"), ("UP-TO-DATE", "updated_replicas"),
                    ("AVAILABLE", "available_replicas"), ("AGE", "age"), *WORKLOAD_WIDE)),
    Kind("apps", "v1", "ReplicaSet", "replicasets", "replicaset", ("rs",), categories=("all",),
         scalable=True,
         columns=_c(("NAME", "name"), ("DESIRED", "spec_replicas"), ("CURRENT", "status_replicas"),
                    ("READY", "ready_replicas"), ("AGE", "age"), *WORKLOAD_WIDE)),
    Kind("apps", "v1", "StatefulSet", "statefulsets", "statefulset", ("sts",), categories=("all",),
         scalable=True,
         columns=_c(("NAME", "name"), ("READY", "ready_of_replicas"), ("AGE", "age"),
                    ("CONTAINERS", "containers", WIDE), ("IMAGES", "images", WIDE))),
    Kind("apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", (),
         columns=_c(("NAME", "name"), ("CONTROLLER", "cr_controller"), ("REVISION", "cr_revision"),
                    ("AGE", "age")), has_status=False),
    Kind("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
         "horizontalpodautoscaler", ("hpa",), categories=("all",),
         columns=_c(("NAME", "name"), ("REFERENCE", "hpa_reference"), ("TARGETS", "hpa_targets"),
                    ("MINPODS", "hpa_minpods"), ("MAXPODS", "hpa_maxpods"), ("REPLICAS", "hpa_replicas"),
                    ("AGE", "age"))),
    Kind("batch", "v1", "CronJob", "cronjobs", "cronjob", ("cj",), categories=("all",),
         columns=_c(("NAME", "name"), ("SCHEDULE", "cj_schedule"), ("TIMEZONE", "cj_timezone"),
                    ("SUSPEND", "cj_suspend"), ("ACTIVE", "cj_active"), ("LAST SCHEDULE", "cj_last_schedule"),
                    ("AGE", "age"), *WORKLOAD_WIDE)),
    Kind("batch", "v1", "Job", "jobs", "job", (), categories=("all",),
         columns=_c(("NAME", "name"), ("STATUS", "job_status"), ("COMPLETIONS", "job_completions"),
                    ("DURATION", "job_duration"), ("AGE", "age"), *WORKLOAD_WIDE)),
    Kind("coordination.k8s.io", "v1", "Lease", "leases", "lease", (),
         columns=_c(("NAME", "name"), ("HOLDER", "lease_holder"), ("AGE", "age")), has_status=False),
    Kind("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", (),
         columns=_c(("NAME", "name"), ("ADDRESSTYPE", "eps_address_type"), ("PORTS", "eps_ports"),
                    ("ENDPOINTS", "eps_endpoints"), ("AGE", "age")), has_status=False),
)

# Lookup tables built once from KINDS: every spelling kubectl accepts for a type.
_BY_NAME: dict[str, Kind] = {}
_BY_GVK: dict[tuple[str, str], Kind] = {}
_BY_KIND: dict[str, list[Kind]] = {}


def _index() -> None:
    for k in KINDS:
        _BY_GVK[(k.api_version, k.kind)] = k
        _BY_KIND.setdefault(k.kind, []).append(k)
        names = {k.plural, k.singular, k.kind.lower(), *k.short_names}
        if k.group:
            names |= {f"{k.plural}.{k.group}", f"{k.singular}.{k.group}",
                      f"{k.plural}.{k.version}.{k.group}", f"{k.kind.lower()}.{k.group}"}
        for n in names:
            _BY_NAME.setdefault(n, k)


_index()

CATEGORY_ALL_ORDER = ("pods", "replicationcontrollers", "services", "daemonsets", "deployments",
                      "replicasets", "statefulsets", "horizontalpodautoscalers", "cronjobs", "jobs")


class UnknownType(Exception):
    def __init__(self, name: str):
        super().__init__(f'the server doesn\'t have a resource type "{name}"')
        self.name = name


class NoKindMatch(Exception):
    def __init__(self, kind: str, api_version: str):
        super().__init__(f'no matches for kind "{kind}" in version "{api_version}"')
        self.kind, self.api_version = kind, api_version


def lookup(type_name: str) -> Kind:
    """Resolve what a user typed (`po`, `pods`, `Deployment`, `deployments.apps`)."""
    k = _BY_NAME.get(type_name) or _BY_NAME.get(type_name.lower())
    if k is None:
        raise UnknownType(type_name)
    return k


def for_object(obj: dict) -> Kind:
    """The row for a manifest's apiVersion/kind, or NoKindMatch in kubectl's words."""
    api_version, kind = obj.get("apiVersion") or "", obj.get("kind") or ""
    k = _BY_GVK.get((api_version, kind))
    if k is None:
        raise NoKindMatch(kind, api_version)
    return k


def by_kind(kind: str) -> Kind:
    """The preferred row for a bare Kind (owner references, involvedObject)."""
    return _BY_KIND[kind][0]


def expand_category(name: str) -> list[Kind] | None:
    if name != "all":
        return None
    present = {k.plural: k for k in KINDS if "all" in k.categories}
    return [present[p] for p in CATEGORY_ALL_ORDER if p in present]


def all_kinds() -> tuple[Kind, ...]:
    return KINDS
