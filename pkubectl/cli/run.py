"""`pkubectl run NAME --image=I`: create one Pod the way kubectl's run generator does
(label `run=NAME`, container named NAME, words after `--` as args or, with --command,
as the command), and with --expose also its Service (selector = the pod's labels).

With -i (stdin: true, stdinOnce unless --leave-stdin-open) or --attach, run then waits for
the pod to run and attaches to it (attach.py), streaming its output from its first line;
a pod that finished before that gets its logs printed instead. With --restart=Never or
OnFailure (the default with -i) it then waits for the pod to finish and returns the
container's exit code as kubectl does (`pod NS/NAME terminated (Error)` on stderr, exit =
the container's code); --rm deletes what it created once the attach is over."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from pkubectl.api.errors import ApiError
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
            restart: str, pull_policy: Optional[str], words: list[str], command: bool,
            stdin: bool = False, leave_stdin_open: bool = False, tty: bool = False) -> dict:
    c: dict = {"image": image, "name": name, "resources": {}}
    if stdin:
        c["stdin"] = True
        if not leave_stdin_open:
            c["stdinOnce"] = True
    if tty:
        c["tty"] = True
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


def attach_and_wait(inv, created: list, restart: Optional[str], stdin: bool, tty: bool, quiet: bool,
                    leave_stdin_open: bool, timeout: float, rm: bool) -> int:
    """kubectl run's attach: attach (or print the logs of a pod already finished), then,
    for Never/OnFailure, wait for the end and return the container's exit code; --rm
    deletes the created objects on the way out (kubectl's deferred removal), before any
    error is printed."""
    try:
        code, message = _attach_and_wait(inv, created[0][1], restart, stdin, tty, quiet, leave_stdin_open, timeout)
    finally:
        if rm:
            _remove(inv, created, quiet)
    if message:
        common.err(message)
    return code


def _attach_and_wait(inv, pod: dict, restart, stdin, tty, quiet, leave_stdin_open, timeout) -> tuple:
    from pkubectl.cli import attach as cattach

    ns, name = pod["metadata"].get("namespace") or inv.namespace, pod["metadata"]["name"]
    pod = cattach.wait_for_pod(inv, ns, name, timeout, cattach.running_and_ready)
    container = cattach.container_to_attach(pod, None, quiet)
    if cattach.completed(pod):
        _print_logs(inv, pod, container["name"])
    else:
        try:
            cattach.attach_container(inv, pod, container, stdin, tty, quiet, from_start=True)
        except cattach.AttachFailed as e:
            common.err(f"warning: couldn't attach to pod/{name}, falling back to streaming logs: {e}")
            _print_logs(inv, pod, container["name"])
    # getRestartPolicy: with -i and no --restart, kubectl waits as for OnFailure (the pod itself is Always)
    policy = restart or ("OnFailure" if stdin else "Always")
    if leave_stdin_open or policy == "Always":
        return 0, ""
    done = cattach.completed if policy == "Never" else (lambda p: cattach.phase(p) == "Succeeded")
    pod = cattach.wait_for_pod(inv, ns, name, timeout, done)
    if cattach.phase(pod) == "Succeeded":
        return 0, ""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    terminated = ((statuses[0].get("state") or {}).get("terminated") if statuses else None) or {}
    rc = terminated.get("exitCode", 0) if terminated else 0
    if not rc:
        raise CliError(f"pod {ns}/{name} failed with unknown exit code")
    # uexec.CodeExitError: printed as is (no "error: "), the exit code is the container's
    return int(rc), (f"pod {ns}/{name} terminated ({terminated.get('reason', '')})\n"
                     f"{terminated.get('message', '')}").rstrip("\n")


def _print_logs(inv, pod: dict, container: str) -> None:
    """logOpts: the container's whole log, as `kubectl logs` prints it."""
    import sys

    from pkubectl.cli.pods import RunError, log_run
    from pkubelet.runtime import logs as crilogs

    try:
        record = log_run(inv.home, pod, container, False)
    except RunError as e:
        raise CliError(e.text()) from None
    if record is not None:
        for line in crilogs.read(record.log_path):
            sys.stdout.write(line)
        sys.stdout.flush()


def _remove(inv, created: list, quiet: bool) -> None:
    """removeCreatedObjects: delete each (not found is fine), `pod "x" deleted ...`."""
    from pkubectl.cli.converge import converge
    from pkubectl.cli.delete import deleted_line

    for kind, obj in created:
        meta = obj["metadata"]
        try:
            gone = inv.api.delete(kind, meta.get("namespace") or inv.namespace, meta["name"])
        except ApiError as e:
            if e.code == 404:
                continue
            raise
        if not quiet:
            out(deleted_line(kind, gone, "none", None, False))
    converge(inv)


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
            attach: Annotated[Optional[bool], typer.Option("--attach/--no-attach", help="If true, wait for the Pod to start running, and then attach to the Pod as if 'pkubectl attach ...' were called.  Default false, unless '-i/--stdin' is set, in which case the default is true. With '--restart=Never' the exit code of the container process is returned.")] = None,
            leave_stdin_open: Annotated[bool, typer.Option("--leave-stdin-open", help="If the pod is started in interactive mode or with stdin, leave stdin open after the first attach completes. By default, stdin will be closed after the first attach completes.")] = False,
            quiet: Annotated[bool, typer.Option("--quiet", "-q", help="If true, suppress prompt messages.")] = False,
            pod_running_timeout: Annotated[str, typer.Option("--pod-running-timeout", help="The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is running")] = "1m0s",
            namespace: NamespaceOpt = None, output: OutputOpt = None, dry_run: DryRunOpt = None,
            context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Create and run a particular image in a pod."""
        from pkubectl.api import registry
        from pkubectl.cli.create import words_after_dash

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
        if tty and not stdin:
            raise CliError("-i/--stdin is required for containers with -t/--tty=true")
        if expose and port is None:
            raise CliError("--port must be set when exposing a service")
        attach = stdin if attach is None else attach
        if rm and not attach:
            raise CliError("--rm should only be used for attached containers")
        if attach and mode != "none":
            raise CliError("--dry-run=[server|client] can't be used with attached containers options "
                           "(--attach, --stdin, or --tty)", "See 'pkubectl run -h' for help and examples")
        timeout = common.parse_duration(pod_running_timeout)
        if timeout <= 0:
            raise CliError("--pod-running-timeout must be higher than zero")
        printer = common.object_printer(output)
        pod_labels = parse_pairs(labels, "labels") or {"run": name}
        pod = gen_pod(name, image, pod_labels, parse_pairs(annotations, "annotations"), env or [], port,
                      restart or "Always", image_pull_policy, words, command, stdin, leave_stdin_open, tty)
        objects = [pod]
        if expose:
            objects.append(gen_service(name, pod_labels, port, parse_pairs(labels, "labels") or None))
        created = []
        for obj in objects:
            kind = registry.for_object(obj)
            if inv.explicit_namespace:
                obj["metadata"]["namespace"] = inv.namespace
            result = obj if mode == "client" else inv.api.create(obj, inv.namespace, dry_run=mode == "server")
            created.append((kind, result))
            if attach and obj is pod:
                continue  # kubectl prints the pod only when it does not attach
            if printer is not None:
                if printer.fmt in ("yaml", "kyaml") and obj is not objects[0]:
                    out("---")
                printer.print([result], False)
            else:
                out(common.result_line(kind, name, "created", mode, output))
        if mode == "none":
            from pkubectl.cli.converge import converge
            converge(inv)
        if attach:
            code = attach_and_wait(inv, created, restart, stdin, tty, quiet, leave_stdin_open, timeout, rm)
            if code:
                raise typer.Exit(code)
