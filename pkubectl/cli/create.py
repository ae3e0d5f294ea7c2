"""`pkubectl create`: objects from files (`create -f`) and kubectl's generators
(`create deployment|service|configmap|secret|job|cronjob|namespace|serviceaccount`).

Generators build exactly the object kubectl builds (k8s.io/kubectl/pkg/cmd/create), so
`--dry-run=client -o yaml` prints the same YAML — including the empty structs
(`strategy: {}`, `resources: {}`, `status: {}`) that come from Go's zero values, and
without `creationTimestamp: null`, which kubectl 1.37 no longer prints.
"""
from __future__ import annotations

import base64
import json
import os
import random
import re
import sys
from typing import Annotated, Optional

import typer

from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import (CliError, ContextOpt, DryRunOpt, FilenameOpt, KubeconfigOpt, NamespaceOpt,
                                 OutputOpt, RecursiveOpt, out)

SaveConfigOpt = Annotated[bool, typer.Option("--save-config", help="If true, the configuration of current object will be saved in its annotation.")]
ValidateOpt = Annotated[str, typer.Option("--validate", help="Must be one of: strict (or true), warn, ignore (or false).")]
FieldManagerOpt = Annotated[str, typer.Option("--field-manager", help="Name of the manager used to track field ownership.")]
Args = Annotated[Optional[list[str]], typer.Argument(help="NAME [-- COMMAND [args...]]")]

CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
ENV_NAME_MSG = ("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', "
                "and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex "
                "used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')")
CONFIGMAP_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                     "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
RAND_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


# -- shared plumbing --------------------------------------------------------------
def words_after_dash() -> int:
    """How many positional words followed `--` (cobra's ArgsLenAtDash)."""
    argv = sys.argv[1:]
    return len(argv) - argv.index("--") - 1 if "--" in argv else 0


def one_name(args: list[str] | None, sub: str, allow_command: bool = False) -> tuple[str, list[str]]:
    args = list(args or [])
    n_cmd = words_after_dash() if allow_command else 0
    n_cmd = min(n_cmd, len(args))
    names, command = args[:len(args) - n_cmd], args[len(args) - n_cmd:]
    if len(names) != 1:
        raise CliError(f"exactly one NAME is required, got {len(names)}",
                       f"See 'pkubectl create {sub} -h' for help and examples")
    return names[0], command


def begin(namespace, context, kubeconfig, dry_run, output):
    """(inv, dry-run mode, Printer or None for -o name / no -o): how every command that
    creates objects (create, expose) starts."""
    inv = common.globals_(namespace, context, kubeconfig)
    mode = common.parse_dry_run(dry_run)
    printer = common.object_printer(output)
    return inv, mode, printer


def emit(obj: dict, namespace, context, kubeconfig, dry_run, output, save_config: bool = False) -> None:
    """Send (or, with --dry-run=client, only print) one generated object, the kubectl way."""
    from pkubectl.api import registry

    inv, mode, printer = begin(namespace, context, kubeconfig, dry_run, output)
    kind = registry.for_object(obj)
    if kind.namespaced and inv.explicit_namespace:
        obj["metadata"]["namespace"] = inv.namespace
    if save_config:
        from pkubectl.cli.apply import with_annotation
        obj = with_annotation(obj)
    if mode == "client":
        result = obj
    else:
        result = inv.api.create(obj, inv.namespace if kind.namespaced else None, dry_run=mode == "server")
    if printer is not None:
        printer.print([result], False)
    else:
        out(common.result_line(kind, obj["metadata"]["name"], "created", mode, output))
    if mode == "none":
        from pkubectl.cli.converge import converge
        converge(inv)


def split_kv(text: str, what: str) -> tuple[str, str]:
    k, sep, v = text.partition("=")
    if not sep or not k:
        raise CliError(f"invalid {what} source {text}, expected key=value")
    return k, v


def read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise CliError(f"error reading {path}: no such file or directory") from None
    except OSError as e:
        raise CliError(f"error reading {path}: {e.strerror.lower()}") from None


def file_sources(specs: list[str]) -> list[tuple[str, bytes]]:
    """`--from-file=[key=]path`; a directory adds each regular file in it (not recursive)."""
    result = []
    for spec in specs:
        key, sep, path = spec.partition("=")
        if not sep:
            key, path = "", spec
        elif not key:
            raise CliError(f"key name for file path {path} missing")
        if os.path.isdir(path):
            if key:
                raise CliError("cannot give a key name for a directory path")
            for entry in sorted(os.listdir(path)):
                full = os.path.join(path, entry)
                if os.path.isfile(full):
                    result.append((entry, read_file(full)))
        else:
            result.append((key or os.path.basename(path), read_file(path)))
    return result


def env_file_sources(paths: list[str]) -> list[tuple[str, bytes]]:
    """`--from-env-file`: KEY=VALUE lines; `#` comments and blank lines skipped; a bare
    KEY takes its value from the environment (kubectl's env file rules)."""
    result = []
    for path in paths:
        data = read_file(path)
        for lineno, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            line = raw.lstrip()
            if lineno == 1:
                line = line.lstrip("\ufeff")
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not ENV_NAME.match(key):
                raise CliError(f'"{key}" is not a valid key name: {ENV_NAME_MSG}')
            if not sep:
                value = os.environ.get(key, "")
            result.append((key, value.encode()))
    return result


def gather(kind_name: str, name: str, literals, files, env_files) -> list[tuple[str, bytes]]:
    if env_files and (files or literals):
        raise CliError("from-env-file cannot be combined with from-file or from-literal")
    pairs = [(k, v.encode()) for k, v in (split_kv(s, "literal") for s in literals or [])]
    pairs += file_sources(files or [])
    pairs += env_file_sources(env_files or [])
    seen = set()
    for k, _ in pairs:
        if not CONFIGMAP_KEY.match(k):
            raise CliError(f'"{k}" is not a valid key name for a {kind_name}: {CONFIGMAP_KEY_MSG}')
        if k in seen:
            raise CliError(f'cannot add key "{k}", another key by that name already exists in Data for '
                           f'{kind_name} "{name}"')
        seen.add(k)
    return pairs


def container_name(image: str) -> str:
    """The last path part of the image without tag/digest; `_` makes it `x-y-<5 random>`."""
    name = image.split("/")[-1].split(":")[0].split("@")[0]
    if "_" in name:
        name = name.replace("_", "-") + "-" + "".join(random.choice(RAND_ALPHABET) for _ in range(5))
    return name


def parse_target_port(text: str) -> int | str:
    """intstr.Parse: a number, else a container port name."""
    return int(text) if text.isdigit() else text


def service_port(port: int, target: int | str, protocol: str = "TCP", name: str | None = None) -> dict:
    """One spec.ports entry as kubectl's generators write it (create service, expose, run
    --expose): the key order is what -o yaml shows."""
    p: dict = {"name": name} if name is not None else {}
    p.update(port=port, protocol=protocol, targetPort=target)
    return p


def parse_tcp(specs: list[str]) -> list[dict]:
    """`--tcp port[:targetPort],...` -> spec.ports."""
    ports = []
    for spec in (s for item in specs for s in item.split(",") if s):
        port, _, target = spec.partition(":")
        try:
            p = int(port)
            t = int(target) if target else p
        except ValueError:
            raise CliError(f'invalid port "{spec}"') from None
        ports.append(service_port(p, t, name=spec.replace(":", "-")))
    return ports


# -- generators (pure: arguments -> object) --------------------------------------
def gen_namespace(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, "spec": {}, "status": {}}


def gen_serviceaccount(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}


def gen_configmap(name: str, pairs: list[tuple[str, bytes]], append_hash: bool = False) -> dict:
    obj: dict = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
    for k, v in pairs:
        try:
            obj.setdefault("data", {})[k] = v.decode("utf-8")
        except UnicodeDecodeError:
            obj.setdefault("binaryData", {})[k] = base64.b64encode(v).decode()
    return obj


def gen_secret(name: str, pairs: list[tuple[str, bytes]], type_: str | None = None) -> dict:
    obj: dict = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}}
    if pairs:
        obj["data"] = {k: base64.b64encode(v).decode() for k, v in pairs}
    if type_:
        obj["type"] = type_
    return obj


def gen_docker_registry(name: str, server: str, user: str, password: str, email: str) -> dict:
    entry = {"username": user, "password": password}
    if email:
        entry["email"] = email
    entry["auth"] = base64.b64encode(f"{user}:{password}".encode()).decode()
    cfg = json.dumps({"auths": {server: entry}}, separators=(",", ":"))
    return gen_secret(name, [(".dockerconfigjson", cfg.encode())], "kubernetes.io/dockerconfigjson")


def gen_deployment(name: str, images: list[str], replicas: int, port: int | None) -> dict:
    containers = [{"image": i, "name": container_name(i), "resources": {}} for i in images]
    if port is not None and containers:
        containers[0]["ports"] = [{"containerPort": port}]
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"labels": dict(labels), "name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)}, "strategy": {},
                     "template": {"metadata": {"labels": dict(labels)},
                                  "spec": {"containers": containers}}},
            "status": {}}


SERVICE_TYPES = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
                 "externalname": "ExternalName"}


def gen_service(name: str, stype: str, tcp: list[str], cluster_ip: str | None, node_port: int,
                external_name: str | None) -> dict:
    ports = parse_tcp(tcp)
    if stype == "ClusterIP" and not ports and cluster_ip != "None":
        raise CliError("at least one tcp port specifier must be provided")
    if stype in ("NodePort", "LoadBalancer") and not ports:
        raise CliError("at least one tcp port specifier must be provided")
    if node_port:
        for p in ports:
            p["nodePort"] = node_port
    spec: dict = {"selector": {"app": name}, "type": stype}
    if ports:
        spec["ports"] = ports
    if cluster_ip:
        spec["clusterIP"] = cluster_ip
    if external_name:
        spec["externalName"] = external_name
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"labels": {"app": name}, "name": name},
            "spec": spec, "status": {"loadBalancer": {}}}


def gen_job(name: str, image: str, command: list[str]) -> dict:
    c: dict = {"image": image, "name": name, "resources": {}}
    if command:
        c["command"] = list(command)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"metadata": {}, "spec": {"containers": [c], "restartPolicy": "Never"}}},
            "status": {}}


def gen_job_from_cronjob(name: str, cj: dict) -> dict:
    jt = (cj.get("spec") or {}).get("jobTemplate") or {}
    jmeta = jt.get("metadata") or {}
    annotations = {"cronjob.kubernetes.io/instantiate": "manual", **(jmeta.get("annotations") or {})}
    meta: dict = {"annotations": annotations, "name": name,
                  "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cj["metadata"]["name"],
                                       "uid": cj["metadata"].get("uid", ""), "controller": True}]}
    if jmeta.get("labels"):
        meta["labels"] = dict(jmeta["labels"])
    import copy
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": copy.deepcopy(jt.get("spec") or {}),
            "status": {}}


def gen_cronjob(name: str, image: str, schedule: str, restart: str, command: list[str]) -> dict:
    c: dict = {"image": image, "name": name, "resources": {}}
    if command:
        c["command"] = list(command)
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"jobTemplate": {"metadata": {"name": name},
                                     "spec": {"template": {"metadata": {},
                                                           "spec": {"containers": [c], "restartPolicy": restart}}}},
                     "schedule": schedule},
            "status": {}}


# -- commands -----------------------------------------------------------------------
def create_from_files(filename, recursive, namespace, context, kubeconfig, dry_run, output, save_config) -> None:
    from pkubectl.cli.apply import manifests, server_error, with_annotation

    inv, mode, printer = begin(namespace, context, kubeconfig, dry_run, output)
    results = []
    for src, kind, obj in manifests(inv, filename, recursive):
        if save_config:
            obj = with_annotation(obj)
        try:
            result = obj if mode == "client" else inv.api.create(obj, obj["metadata"].get("namespace"),
                                                                   dry_run=mode == "server")
        except ApiError as e:
            inv.fail(server_error(e, "creating", src))
            continue
        if printer is None:
            out(common.result_line(kind, obj["metadata"].get("name", ""), "created", mode, output))
        else:
            results.append(result)
    if printer is not None and results:
        printer.print(results, len(results) > 1)
    if mode == "none":
        from pkubectl.cli.converge import converge
        converge(inv)
    inv.finish()


def register(app: typer.Typer) -> None:
    create = typer.Typer(help="Create a resource from a file or from stdin.", no_args_is_help=False,
                         context_settings={"help_option_names": ["-h", "--help"]})

    @create.callback(invoke_without_command=True)
    def create_root(ctx: typer.Context, filename: FilenameOpt = None, recursive: RecursiveOpt = False,
                    namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
                    save_config: SaveConfigOpt = False, validate: ValidateOpt = "strict",
                    context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Create a resource from a file or from stdin."""
        if ctx.invoked_subcommand is not None:
            common.globals_(namespace, context, kubeconfig)
            return
        if not filename:
            raise CliError("must specify one of -f and -k")
        create_from_files(filename, recursive, namespace, context, kubeconfig, dry_run, output, save_config)

    def add_name_only(sub: str, alias: str, gen, doc: str):
        """A `create <sub> NAME` whose object is made from the name alone."""
        def cmd(args: Args = None, namespace: NamespaceOpt = None, output: OutputOpt = None,
                dry_run: DryRunOpt = None, save_config: SaveConfigOpt = False, context: ContextOpt = None,
                kubeconfig: KubeconfigOpt = None):
            name, _ = one_name(args, sub)
            emit(gen(name), namespace, context, kubeconfig, dry_run, output, save_config)
        cmd.__doc__ = doc
        create.command(sub)(cmd)
        create.command(alias, hidden=True)(cmd)

    add_name_only("namespace", "ns", gen_namespace, "Create a namespace with the specified name.")
    add_name_only("serviceaccount", "sa", gen_serviceaccount, "Create a service account with the specified name.")

    @create.command("configmap")
    def configmap(args: Args = None,
                  from_literal: Annotated[Optional[list[str]], typer.Option("--from-literal", help="Specify a key and literal value to insert in configmap (i.e. mykey=somevalue)")] = None,
                  from_file: Annotated[Optional[list[str]], typer.Option("--from-file", help="Key file can be specified using its file path, in which case file basename will be used as configmap key, or optionally with a key and file path, in which case the given key will be used.")] = None,
                  from_env_file: Annotated[Optional[list[str]], typer.Option("--from-env-file", help="Specify the path to a file to read lines of key=val pairs to create a configmap.")] = None,
                  namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
                  save_config: SaveConfigOpt = False, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Create a config map based on a file, directory, or specified literal value."""
        name, _ = one_name(args, "configmap")
        pairs = gather("ConfigMap", name, from_literal, from_file, from_env_file)
        emit(gen_configmap(name, pairs), namespace, context, kubeconfig, dry_run, output, save_config)

    create.command("cm", hidden=True)(configmap)

    secret = typer.Typer(help="Create a secret using a specified subcommand.",
                         context_settings={"help_option_names": ["-h", "--help"]})
    create.add_typer(secret, name="secret")

    @secret.command("generic")
    def secret_generic(args: Args = None,
                       from_literal: Annotated[Optional[list[str]], typer.Option("--from-literal", help="Specify a key and literal value to insert in secret (i.e. mykey=somevalue)")] = None,
                       from_file: Annotated[Optional[list[str]], typer.Option("--from-file", help="Key files can be specified using their file path, in which case a default name will be given to them, or optionally with a name and file path.")] = None,
                       from_env_file: Annotated[Optional[list[str]], typer.Option("--from-env-file", help="Specify the path to a file to read lines of key=val pairs to create a secret.")] = None,
                       type_: Annotated[Optional[str], typer.Option("--type", help="The type of secret to create")] = None,
                       namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
                       save_config: SaveConfigOpt = False, context: ContextOpt = None,
                       kubeconfig: KubeconfigOpt = None):
        """Create a secret from a local file, directory, or literal value."""
        name, _ = one_name(args, "secret generic")
        pairs = gather("Secret", name, from_literal, from_file, from_env_file)
        emit(gen_secret(name, pairs, type_), namespace, context, kubeconfig, dry_run, output, save_config)

    @secret.command("tls")
    def secret_tls(args: Args = None,
                   cert: Annotated[Optional[str], typer.Option("--cert", help="Path to PEM encoded public key certificate.")] = None,
                   key: Annotated[Optional[str], typer.Option("--key", help="Path to private key associated with given certificate.")] = None,
                   namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
                   save_config: SaveConfigOpt = False, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Create a TLS secret from the given public/private key pair."""
        name, _ = one_name(args, "secret tls")
        data = []
        for field, path in (("tls.crt", cert), ("tls.key", key)):
            try:
                with open(path or "", "rb") as f:
                    data.append((field, f.read()))
            except OSError:
                raise CliError(f"Cannot read file {path or ''}, open {path or ''}: no such file or directory") from None
        emit(gen_secret(name, data, "kubernetes.io/tls"), namespace, context, kubeconfig, dry_run, output,
             save_config)

    @secret.command("docker-registry")
    def secret_docker(args: Args = None,
                      docker_server: Annotated[str, typer.Option("--docker-server", help="Server location for Docker registry")] = "https://index.docker.io/v1/",
                      docker_username: Annotated[Optional[str], typer.Option("--docker-username", help="Username for Docker registry authentication")] = None,
                      docker_password: Annotated[Optional[str], typer.Option("--docker-password", help="Password for Docker registry authentication")] = None,
                      docker_email: Annotated[str, typer.Option("--docker-email", help="Email for Docker registry")] = "",
                      namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
                      save_config: SaveConfigOpt = False, context: ContextOpt = None,
                      kubeconfig: KubeconfigOpt = None):
        """Create a new secret for use with Docker registries."""
        name, _ = one_name(args, "secret docker-registry")
        if docker_username is None or docker_password is None:
            missing = [f'"{n}"' for n, v in (("docker-password", docker_password),
                                              ("docker-username", docker_username)) if v is None]
            raise CliError(f"required flag(s) {', '.join(missing)} not set")
        emit(gen_docker_registry(name, docker_server, docker_username, docker_password, docker_email),
             namespace, context, kubeconfig, dry_run, output, save_config)

    @create.command("deployment")
    def deployment(args: Args = None,
                   image: Annotated[Optional[list[str]], typer.Option("--image", help="Image names to run. A deployment can have multiple images set for multi-container pod.")] = None,
                   replicas: Annotated[int, typer.Option("--replicas", "-r", help="Number of replicas to create. Default is 1.")] = 1,
                   port: Annotated[Optional[int], typer.Option("--port", help="The containerPort that this deployment exposes.")] = None,
                   namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
                   save_config: SaveConfigOpt = False, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Create a deployment with the specified name."""
        name, command = one_name(args, "deployment", allow_command=True)
        if not image:
            raise CliError('required flag(s) "image" not set')
        obj = gen_deployment(name, image, replicas, port)
        if command:
            obj["spec"]["template"]["spec"]["containers"][0]["command"] = command
        emit(obj, namespace, context, kubeconfig, dry_run, output, save_config)

    create.command("deploy", hidden=True)(deployment)

    service = typer.Typer(help="Create a service using a specified subcommand.",
                          context_settings={"help_option_names": ["-h", "--help"]})
    create.add_typer(service, name="service")
    create.add_typer(service, name="svc", hidden=True)

    def add_service(sub: str):
        stype = SERVICE_TYPES[sub]

        def cmd(args: Args = None,
                tcp: Annotated[Optional[list[str]], typer.Option("--tcp", help="Port pairs can be specified as '<port>:<targetPort>'.")] = None,
                clusterip: Annotated[Optional[str], typer.Option("--clusterip", help="Assign your own ClusterIP or set to 'None' for a 'headless' service (no loadbalancing).")] = None,
                node_port: Annotated[int, typer.Option("--node-port", help="Port used to expose the service on each node in a cluster.")] = 0,
                external_name: Annotated[Optional[str], typer.Option("--external-name", help="External name of service")] = None,
                namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
                save_config: SaveConfigOpt = False, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
            name, _ = one_name(args, f"service {sub}")
            if stype == "ExternalName" and not external_name:
                raise CliError('required flag(s) "external-name" not set')
            obj = gen_service(name, stype, tcp or [], clusterip if stype == "ClusterIP" else None,
                              node_port if stype in ("NodePort", "LoadBalancer") else 0,
                              external_name if stype == "ExternalName" else None)
            emit(obj, namespace, context, kubeconfig, dry_run, output, save_config)
        cmd.__doc__ = f"Create a {stype} service."
        service.command(sub)(cmd)

    for sub in SERVICE_TYPES:
        add_service(sub)

    @create.command("job")
    def job(args: Args = None,
            image: Annotated[Optional[str], typer.Option("--image", help="Image name to run.")] = None,
            from_: Annotated[Optional[str], typer.Option("--from", help="The name of the resource to create a Job from (only cronjob is supported).")] = None,
            namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
            save_config: SaveConfigOpt = False, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Create a job with the specified name."""
        name, command = one_name(args, "job", allow_command=True)
        if not image and not from_:
            raise CliError("either --image or --from must be specified")
        if image and from_:
            raise CliError("--image and --from are mutually exclusive")
        if from_:
            from pkubectl.cli.resources import lookup_kind
            type_name, _, src = from_.partition("/")
            if not src or lookup_kind(type_name).kind != "CronJob":
                raise CliError(f"from must be an existing cronjob: {from_}" if src else
                               f"from must be of the form <type>/<name>: {from_}")
            inv = common.globals_(namespace, context, kubeconfig)
            cj = inv.api.get(lookup_kind("cronjob"), inv.namespace, src)
            obj = gen_job_from_cronjob(name, cj)
        else:
            obj = gen_job(name, image, command)
        emit(obj, namespace, context, kubeconfig, dry_run, output, save_config)

    @create.command("cronjob")
    def cronjob(args: Args = None,
                image: Annotated[str, typer.Option("--image", help="Image name to run.")] = ...,
                schedule: Annotated[str, typer.Option("--schedule", help="A schedule in the Cron format the job should be run with.")] = ...,
                restart: Annotated[str, typer.Option("--restart", help="job's restart policy. supported values: OnFailure, Never")] = "OnFailure",
                namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
                save_config: SaveConfigOpt = False, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Create a cron job with the specified name."""
        name, command = one_name(args, "cronjob", allow_command=True)
        if restart not in ("OnFailure", "Never"):
            raise CliError(f"restart must be one of OnFailure, Never: {restart}" if restart else
                           "restart must be specified")
        emit(gen_cronjob(name, image, schedule, restart, command), namespace, context, kubeconfig, dry_run,
             output, save_config)

    create.command("cj", hidden=True)(cronjob)

    app.add_typer(create, name="create")
