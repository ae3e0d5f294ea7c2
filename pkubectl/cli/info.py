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


# -- explain: a small table of field docs -----------------------------------------------
COMMON_FIELDS = {
    "apiVersion": ("string", "APIVersion defines the versioned schema of this representation of an object. Servers "
                   "should convert recognized schemas to the latest internal value, and may reject unrecognized "
                   "values. More info: "
                   "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"),
    "kind": ("string", "Kind is a string value representing the REST resource this object represents. Servers may "
             "infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More "
             "info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"),
    "metadata": ("ObjectMeta", "Standard object's metadata. More info: "
                 "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"),
}

# kind -> (description, {field: (type, description)}) beyond the common fields.
EXPLAIN: dict[str, tuple[str, dict]] = {
    "Pod": ("Pod is a collection of containers that can run on a host. This resource is created by clients and "
            "scheduled onto hosts.",
            {"spec": ("PodSpec", "Specification of the desired behavior of the pod. More info: https://git.k8s.io/"
                      "community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status"),
             "status": ("PodStatus", "Most recently observed status of the pod. This data may not be up to date. "
                        "Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/"
                        "devel/sig-architecture/api-conventions.md#spec-and-status")}),
    "Deployment": ("Deployment enables declarative updates for Pods and ReplicaSets.",
                   {"spec": ("DeploymentSpec", "Specification of the desired behavior of the Deployment."),
                    "status": ("DeploymentStatus", "Most recently observed status of the Deployment.")}),
    "ReplicaSet": ("ReplicaSet ensures that a specified number of pod replicas are running at any given time.",
                   {"spec": ("ReplicaSetSpec", "Spec defines the specification of the desired behavior of the "
                             "ReplicaSet. More info: https://git.k8s.io/community/contributors/devel/"
                             "sig-architecture/api-conventions.md#spec-and-status"),
                    "status": ("ReplicaSetStatus", "Status is the most recently observed status of the ReplicaSet. "
                               "This data may be out of date by some window of time. Populated by the system. "
                               "Read-only. More info: https://git.k8s.io/community/contributors/devel/"
                               "sig-architecture/api-conventions.md#spec-and-status")}),
    "StatefulSet": ("StatefulSet represents a set of pods with consistent identities. Identities are defined as:\n"
                    "  - Network: A single stable DNS and hostname.\n  - Storage: As many VolumeClaims as requested.\n"
                    "\nThe StatefulSet guarantees that a given network identity will always map to the same "
                    "storage identity.",
                    {"spec": ("StatefulSetSpec", "Spec defines the desired identities of pods in this set."),
                     "status": ("StatefulSetStatus", "Status is the current status of Pods in this StatefulSet. This "
                                "data may be out of date by some window of time.")}),
    "DaemonSet": ("DaemonSet represents the configuration of a daemon set.",
                  {"spec": ("DaemonSetSpec", "The desired behavior of this daemon set. More info: https://git.k8s.io/"
                            "community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status"),
                   "status": ("DaemonSetStatus", "The current status of this daemon set. This data may be out of date "
                              "by some window of time. Populated by the system. Read-only. More info: https://"
                              "git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
                              "#spec-and-status")}),
    "Job": ("Job represents the configuration of a single job.",
            {"spec": ("JobSpec", "Specification of the desired behavior of a job. More info: https://git.k8s.io/"
                      "community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status"),
             "status": ("JobStatus", "Current status of a job. More info: https://git.k8s.io/community/"
                        "contributors/devel/sig-architecture/api-conventions.md#spec-and-status")}),
    "CronJob": ("CronJob represents the configuration of a single cron job.",
                {"spec": ("CronJobSpec", "Specification of the desired behavior of a cron job, including the "
                          "schedule. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
                          "api-conventions.md#spec-and-status"),
                 "status": ("CronJobStatus", "Current status of a cron job. More info: https://git.k8s.io/community/"
                            "contributors/devel/sig-architecture/api-conventions.md#spec-and-status")}),
    "Service": ("Service is a named abstraction of software service (for example, mysql) consisting of local port "
                "(for example 3306) that the proxy listens on, and the selector that determines which pods will "
                "answer requests sent through the proxy.",
                {"spec": ("ServiceSpec", "Spec defines the behavior of a service. https://git.k8s.io/community/"
                          "contributors/devel/sig-architecture/api-conventions.md#spec-and-status"),
                 "status": ("ServiceStatus", "Most recently observed status of the service. Populated by the "
                            "system. Read-only. More info: https://git.k8s.io/community/contributors/devel/"
                            "sig-architecture/api-conventions.md#spec-and-status")}),
    "ConfigMap": ("ConfigMap holds configuration data for pods to consume.",
                  {"binaryData": ("map[string]string", "BinaryData contains the binary data. Each key must consist "
                                  "of alphanumeric characters, '-', '_' or '.'. BinaryData can contain byte "
                                  "sequences that are not in the UTF-8 range. The keys stored in BinaryData must "
                                  "not overlap with the ones in the Data field, this is enforced during validation "
                                  "process. Using this field will require 1.10+ apiserver and kubelet."),
                   "data": ("map[string]string", "Data contains the configuration data. Each key must consist of "
                            "alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must "
                            "use the BinaryData field. The keys stored in Data must not overlap with the keys in "
                            "the BinaryData field, this is enforced during validation process."),
                   "immutable": ("boolean", "Immutable, if set to true, ensures that data stored in the ConfigMap "
                                 "cannot be updated (only object metadata can be modified). If not set to true, the "
                                 "field can be modified at any time. Defaulted to nil.")}),
    "Secret": ("Secret holds secret data of a certain type. The total bytes of the values in the Data field must be "
               "less than MaxSecretSize bytes.",
               {"data": ("map[string]string", "Data contains the secret data. Each key must consist of alphanumeric "
                         "characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded "
                         "string, representing the arbitrary (possibly non-string) data value here. Described in "
                         "https://tools.ietf.org/html/rfc4648#section-4"),
                "immutable": ("boolean", "Immutable, if set to true, ensures that data stored in the Secret cannot "
                              "be updated (only object metadata can be modified). If not set to true, the field can "
                              "be modified at any time. Defaulted to nil."),
                "stringData": ("map[string]string", "stringData allows specifying non-binary secret data in string "
                               "form. It is provided as a write-only input field for convenience. All keys and "
                               "values are merged into the data field on write, overwriting any existing values. "
                               "The stringData field is never output when reading from the API."),
                "type": ("string", "Used to facilitate programmatic handling of secret data. More info: "
                         "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types")}),
    "Namespace": ("Namespace provides a scope for Names. Use of multiple namespaces is optional.",
                  {"spec": ("NamespaceSpec", "Spec defines the behavior of the Namespace. More info: https://"
                            "git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
                            "#spec-and-status"),
                   "status": ("NamespaceStatus", "Status describes the current status of a Namespace. More info: "
                              "https://git.k8s.io/community/contributors/devel/sig-architecture/"
                              "api-conventions.md#spec-and-status")}),
    "Node": ("Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in "
             "etcd).",
             {"spec": ("NodeSpec", "Spec defines the behavior of a node. https://git.k8s.io/community/contributors/"
                       "devel/sig-architecture/api-conventions.md#spec-and-status"),
              "status": ("NodeStatus", "Most recently observed status of the node. Populated by the system. "
                         "Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
                         "api-conventions.md#spec-and-status")}),
    "ServiceAccount": ("ServiceAccount binds together: * a name, understood by users, and perhaps by peripheral "
                       "systems, for an identity * a principal that can be authenticated and authorized * a set "
                       "of secrets",
                       {"automountServiceAccountToken": ("boolean", "AutomountServiceAccountToken indicates whether "
                                                         "pods running as this service account should have an API "
                                                         "token automatically mounted. Can be overridden at the pod "
                                                         "level."),
                        "imagePullSecrets": ("[]LocalObjectReference", "ImagePullSecrets is a list of references to "
                                             "secrets in the same namespace to use for pulling any images in pods "
                                             "that reference this ServiceAccount."),
                        "secrets": ("[]ObjectReference", "Secrets is a list of the secrets in the same namespace "
                                    "that pods running using this ServiceAccount are allowed to use.")}),
    "HorizontalPodAutoscaler": ("HorizontalPodAutoscaler is the configuration for a horizontal pod autoscaler, "
                                "which automatically manages the replica count of any resource implementing the "
                                "scale subresource based on the metrics specified.",
                                {"spec": ("HorizontalPodAutoscalerSpec", "spec is the specification for the "
                                          "behaviour of the autoscaler. More info: https://git.k8s.io/community/"
                                          "contributors/devel/sig-architecture/api-conventions.md#spec-and-status."),
                                 "status": ("HorizontalPodAutoscalerStatus", "status is the current information "
                                            "about the autoscaler.")}),
}


def _wrap(text: str, indent: str, width: int = 80) -> list[str]:
    import textwrap
    lines = []
    for para in text.split("\n"):
        if not para.strip():
            lines.append(indent.rstrip() if False else indent)
            continue
        lines += [indent + ln for ln in textwrap.wrap(para, width - len(indent), break_long_words=False,
                                                         break_on_hyphens=False)] or [indent]
    return lines


def explain_text(kind, path: list[str]) -> str:
    desc, fields = EXPLAIN.get(kind.kind, (f"{kind.kind} is served by pkube.", {}))
    fields = {**COMMON_FIELDS, **fields}
    lines = [f"GROUP:      {kind.group}"] if kind.group else []
    lines += [f"KIND:       {kind.kind}", f"VERSION:    {kind.version}", ""]
    if path:
        field = path[0]
        if field not in fields or len(path) > 1:
            raise CliError(f'field "{path[-1] if field in fields else field}" does not exist')
        ftype, fdesc = fields[field]
        lines += [f"FIELD: {field} <{ftype}>", "", "", "DESCRIPTION:"]
        lines += _wrap(fdesc, "    ")
        return "\n".join(lines) + "\n    \n"
    lines += ["DESCRIPTION:"]
    lines += _wrap(desc, "    ")
    lines += ["    ", "FIELDS:"]
    for name in sorted(fields):
        ftype, fdesc = fields[name]
        lines.append(f"  {name}\t<{ftype}>")
        lines += _wrap(fdesc, "    ")
        lines.append("")
    return "\n".join(lines) + "\n"


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
                recursive: Annotated[bool, typer.Option("--recursive", help="Print the fields of fields (Currently only 1 level deep)")] = False,
                api_version: Annotated[Optional[str], typer.Option("--api-version", help="Get different explanations for particular API version (API group/version)")] = None,
                output: OutputOpt = None,
                namespace: NamespaceOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Describe fields and structure of various resources."""
        from pkubectl.cli.resources import lookup_kind

        common.globals_(namespace, context, kubeconfig)
        if not resource:
            raise CliError("You must specify the type of resource to explain. Use \"pkubectl api-resources\" for "
                           "a complete list of supported resources.\n")
        type_name, *path = resource.split(".")
        kind = lookup_kind(type_name)
        sys.stdout.write(explain_text(kind, path))

    @app.command("cluster-info")
    def cluster_info(namespace: NamespaceOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Display addresses of the control plane and services with label kubernetes.io/cluster-service=true."""
        inv = common.globals_(namespace, context, kubeconfig)
        home = os.path.abspath(inv.home)
        inv.api.bootstrap()
        out(f"Kubernetes control plane is running at sqlite://{os.path.join(home, 'state.db')}")
        pid = daemon_pid(home)
        out(f"pkubelet daemon is running (pid {pid})" if pid else "pkubelet daemon is not running")
