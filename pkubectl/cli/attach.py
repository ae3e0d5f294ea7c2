"""`pkubectl attach (POD | TYPE/NAME) [-c C] [-i] [-t]`: join a running container's stdio.

The kubelet side is pkubelet/runtime/attach.py (the container's log for its output, the
stdin FIFO for its input); this module is kubectl's attach.go around it: find the pod and
container, say what kubectl says, stream until the container ends. `run -i/--attach`
(run.py) reuses `attach_container` and `wait_for_pod`.

There is no TTY: containers have pipes, so `-t` streams the same bytes (a container with
`tty: true` gets none either), and kubectl's detach keys and resize do not apply.
"""
from __future__ import annotations

import sys
import time
from typing import Annotated, Callable, Optional

import typer

from pkubectl.api import registry
from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import (CliError, ContainerOpt, ContextOpt, KubeconfigOpt, NamespaceOpt, PodRunningTimeoutOpt,
                                 QuietOpt, StdinOpt, TtyOpt, err)

RECORDED = ("All commands and output from this session will be recorded in container logs, including credentials "
            "and sensitive information passed through the command prompt.")
PROMPT = "If you don't see a command prompt, try pressing enter."
POLL = 0.1


class AttachFailed(Exception):
    """The container could not be attached to (run falls back to its logs)."""


def wait_for_pod(inv, namespace: str, name: str, timeout: float, condition: Callable[[dict], bool]) -> dict:
    """Poll the pod (running the control loops, which start and judge it) until
    `condition(pod)` is true; kubectl's waitForPod. A deleted pod is NotFound."""
    from pkubectl.cli.converge import converge

    kind = registry.by_kind("Pod")
    deadline = time.monotonic() + timeout
    while True:
        pod = inv.api.try_get(kind, namespace, name)
        if pod is None:
            raise ApiError(404, "NotFound", 'pods "" not found')
        if condition(pod):
            return pod
        if time.monotonic() >= deadline:
            raise CliError("timed out waiting for the condition")
        if not converge(inv, timeout=5.0, ensure_daemon=False):
            time.sleep(POLL)


def phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def completed(pod: dict) -> bool:
    return phase(pod) in ("Succeeded", "Failed")


def running_and_ready(pod: dict) -> bool:
    """podRunningAndReady, with "ran to completion" also ending the wait."""
    if completed(pod):
        return True
    return phase(pod) == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in (pod.get("status") or {}).get("conditions") or [])


def container_to_attach(pod: dict, name: str | None, quiet: bool) -> dict:
    from pkubectl.cli.pods import default_container, find_container

    if name:
        c = find_container(pod, name)
        if c is None:
            raise CliError(f"cannot attach to the container: container {name} not found in pod "
                           f"{pod['metadata']['name']}")
        return c
    return find_container(pod, default_container(pod, quiet=quiet))


def attach_container(inv, pod: dict, container: dict, stdin: bool, tty: bool, quiet: bool,
                     from_start: bool = False) -> None:
    """Stream the container's output (and our stdin into it) until it ends. Raises
    AttachFailed when it has no running process to attach to. `from_start` (run's attach
    to the container it created) shows its output from the first line, even when it has
    already exited: that is the run it asked for."""
    from pkubectl.cli.pods import latest_run, running_run
    from pkubelet.runtime import attach as rattach

    name = container["name"]
    if tty and not container.get("tty"):
        tty = False
        if not quiet:
            err(f"error: Unable to use a TTY - container {name} did not allocate one")
    record = None
    if (pod.get("spec") or {}).get("nodeName"):
        record = (latest_run if from_start else running_run)(inv.home, pod, name)
    if record is None:
        raise AttachFailed(f'unable to upgrade connection: container not found ("{name}")')
    offset = 0 if from_start else rattach.log_end(record)
    if not quiet:
        err(RECORDED)
        err(PROMPT)
    sys.stdout.flush()
    sys.stderr.flush()
    if stdin and container.get("stdin"):
        try:
            fifo = rattach.open_stdin(record, once=bool(container.get("stdinOnce")))
        except rattach.AttachError:
            pass  # it ended between the checks: its output is still shown below
        else:
            try:
                source = sys.stdin.fileno()
            except (AttributeError, ValueError, OSError):  # no stdin at all: the container gets EOF
                import os
                os.close(fifo)
            else:
                rattach.pump_stdin(source, fifo)
    rattach.stream_output(record, offset, sys.stdout.buffer, sys.stderr.buffer)


def run_attach(inv, args: list, container: str | None, stdin: bool, tty: bool, quiet: bool,
               pod_running_timeout: str) -> None:
    from pkubectl.cli.pods import pick_pod

    if not args:
        raise CliError("at least 1 argument is required for attach")
    if len(args) > 2:
        raise CliError(f"expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw {len(args)}: "
                       f"[{' '.join(args)}]")
    timeout = common.parse_duration(pod_running_timeout)
    if timeout <= 0:
        raise CliError("--pod-running-timeout must be higher than zero")
    target = args[0] if len(args) == 1 else f"{args[0]}/{args[1]}"
    from pkubectl.cli.converge import converge
    converge(inv, timeout=5.0, ensure_daemon=False)  # a pod's status as the kubelet sees it now
    pod = pick_pod(inv, target, timeout=timeout, quiet=quiet)
    if completed(pod):
        raise CliError(f"cannot attach a container in a completed pod; current phase is {phase(pod)}")
    c = container_to_attach(pod, container, quiet)
    try:
        attach_container(inv, pod, c, stdin, tty, quiet)
    except AttachFailed as e:
        raise CliError(str(e)) from None


def register(app: typer.Typer) -> None:
    @app.command("attach")
    def attach(args: Annotated[Optional[list[str]], typer.Argument(help="(POD | TYPE/NAME)")] = None,
               namespace: NamespaceOpt = None,
               container: ContainerOpt = None,
               stdin: StdinOpt = False,
               tty: TtyOpt = False,
               quiet: QuietOpt = False,
               pod_running_timeout: PodRunningTimeoutOpt = "1m0s",
               context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Attach to a process that is already running inside an existing container."""
        inv = common.globals_(namespace, context, kubeconfig)
        run_attach(inv, args or [], container, stdin, tty, quiet, pod_running_timeout)
