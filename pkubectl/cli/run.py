"""`pkubectl run NAME --image=I`: create one Pod the way kubectl's run generator does
(label `run=NAME`, container named NAME, words after `--` as args or, with --command,
as the command), and with --expose also its Service (selector = the pod's labels)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from pkubectl.cli import common
from pkubectl.cli.common import (CliError, ContextOpt, DryRunOpt, KubeconfigOpt, NamespaceOpt, OutputOpt, out)

RESTART_POLICIES = ("Always", "OnFailure", "Never")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")


def parse_pairs(items: list[str] | None, what: str) -> dict:
    result = {}
    for item in items or []:
        for part in (item.split(",") if what == "labels" else [item]):
            k, sep, v = part.partition("=")
            if not sep or not k:
                raise CliError(f"invalid {what[:-1] if what.endswith('s') else what}: {part}" if what != "labels"
                               else f"invalid label spec: {part}")
            result[k] = v
    return result


def gen_pod(name: str, image: str, labels: dict, annotations: dict, env: list[str], port: Optional[int],
            restart: str, pull_policy: Optional[str], words: list[str], command: bool) -> dict:
    c: dict = {"image": image, "name": name, "resources": {}}
    if words:
        c["command" if command else "args"] = list(words)
    if env:
        c["env"] = [dict(zip(("name", "value"), e.split("=", 1))) if "=" in e else {"name": e} for e in env]
        for e in c["env"]:
            e.setdefault("value", "")
    if port is not None:
        c["ports"] = [{"containerPort": port}]
    if pull_policy:
        c["imagePullPolicy"] = pull_policy
    meta: dict = {"labels": labels, "name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [c], "dnsPolicy": "ClusterFirst", "restartPolicy": restart}, "status": {}}


def gen_service(name: str, selector: dict, port: int, labels: dict | None) -> dict:
    from pkubectl.cli.create import service_port
    meta: dict = {"name": name}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
            "spec": {"ports": [service_port(port, port)], "selector": dict(selector)},
            "status": {"loadBalancer": {}}}


def register(app: typer.Typer) -> None:
    @app.command("run", context_settings={"allow_interspersed_args": True})
    def run(args: Annotated[Optional[list[str]], typer.Argument(help="NAME [-- COMMAND [args...]]")] = None,
            image: Annotated[Optional[str], typer.Option("--image", help="The image for the container to run.")] = None,
            command: Annotated[bool, typer.Option("--command", help="If true and extra arguments are present, use them as the 'command' field in the container, rather than the 'args' field which is the default.")] = False,
            env: Annotated[Optional[list[str]], typer.Option("--env", help="Environment variables to set in the container.")] = None,
            port: Annotated[Optional[int], typer.Option("--port", help="The port that this container exposes.")] = None,
            restart: Annotated[Optional[str], typer.Option("--restart", help="The restart policy for this Pod.  Legal values [Always, OnFailure, Never].")] = None,
            labels: Annotated[Optional[list[str]], typer.Option("--labels", "-l", help="Comma separated labels to apply to the pod. Will override previous values.")] = None,
            annotations: Annotated[Optional[list[str]], typer.Option("--annotations", help="Annotations to apply to the pod.")] = None,
            image_pull_policy: Annotated[Optional[str], typer.Option("--image-pull-policy", help="The image pull policy for the container.")] = None,
            expose: Annotated[bool, typer.Option("--expose", help="If true, create a ClusterIP service associated with the pod.  Requires `--port`.")] = False,
            rm: Annotated[bool, typer.Option("--rm", help="If true, delete the pod after it exits.  Only valid when attaching to the container.")] = False,
            stdin: Annotated[bool, typer.Option("--stdin", "-i", help="Keep stdin open on the container in the pod, even if nothing is attached.")] = False,
            tty: Annotated[bool, typer.Option("--tty", "-t", help="Allocate a TTY for the container in the pod.")] = False,
            attach: Annotated[bool, typer.Option("--attach", help="If true, wait for the Pod to start running, and then attach to the Pod as if 'pkubectl attach ...' were called.")] = False,
            namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
            context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Create and run a particular image in a pod."""
        from pkubectl.api import registry
        from pkubectl.cli.create import words_after_dash
        from pkubectl.printers.output import Printer, PrinterError

        inv = common.globals_(namespace, context, kubeconfig)
        mode = common.parse_dry_run(dry_run)
        args = list(args or [])
        n_words = min(words_after_dash(), len(args))
        names, words = args[:len(args) - n_words], args[len(args) - n_words:]
        if not names:
            raise CliError("NAME is required for run", "See 'pkubectl run -h' for help and examples")
        name, words = names[0], names[1:] + words
        if not image:
            raise CliError('required flag(s) "image" not set')
        if restart is not None and restart not in RESTART_POLICIES:
            raise CliError(f"invalid restart policy: {restart}", "See 'pkubectl run -h' for help and examples")
        if image_pull_policy and image_pull_policy not in PULL_POLICIES:
            raise CliError(f"invalid image pull policy: {image_pull_policy}",
                           "See 'pkubectl run -h' for help and examples")
        if rm and not (attach or stdin):
            raise CliError("--rm should only be used for attached containers")
        if attach or stdin or tty:
            raise CliError("attaching to a container (-i, -t, --attach) is not supported by pkubectl run yet; "
                           "run it detached and use 'pkubectl logs -f'")
        if expose and port is None:
            raise CliError("--port must be set when exposing a service")
        try:
            printer = Printer.from_flag(output) if output and output != "name" else None
        except PrinterError as e:
            raise CliError(str(e)) from None
        pod_labels = parse_pairs(labels, "labels") or {"run": name}
        pod = gen_pod(name, image, pod_labels, parse_pairs(annotations, "annotations"), env or [], port,
                      restart or "Always", image_pull_policy, words, command)
        objects = [pod]
        if expose:
            objects.append(gen_service(name, pod_labels, port, parse_pairs(labels, "labels") or None))
        for obj in objects:
            kind = registry.for_object(obj)
            if inv.explicit_namespace:
                obj["metadata"]["namespace"] = inv.namespace
            result = obj if mode == "client" else inv.api.create(obj, inv.namespace, dry_run=mode == "server")
            if printer is not None:
                if printer.fmt in ("yaml", "kyaml") and obj is not objects[0]:
                    out("---")
                printer.print([result], False)
            else:
                out(common.result_line(kind, name, "created", mode, output))
        if mode == "none":
            from pkubectl.cli.converge import converge
            converge(inv)
