"""`logs`, `exec` and `top`: the verbs that reach into a pod's running containers.

A container is a process whose run directory the kubelet keeps at
{home}/pods/{uid}/{container}/{attempt}/ (run.json, container.log); these verbs read it
directly, as the kubelet's log/exec/stats endpoints would, judging a container's status
with the kubelet's own rules and words. The helpers below are shared with `drain`:

- `pick_pod`: `POD` or `TYPE/NAME` (deploy/x, rs/x, job/x, sts/x, ds/x, svc/x, rc/x); a
  workload resolves through its selector to one pod chosen as kubectl's ByLogging sort
  does (assigned, running, ready, most restarts, oldest).
- `default_container`: kubectl's container defaulting, annotation first.
- `log_run` / `running_run`: the run a container's logs or exec go to, judged as the
  kubelet's validateContainerLogStatus judges a container status.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Annotated, Optional

import typer

from pkubectl.api import registry, selectors
from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import (AllNamespacesOpt, CliError, ContainerOpt, ContextOpt, KubeconfigOpt, NamespaceOpt,
                                 PodRunningTimeoutOpt, QuietOpt, SelectorOpt, StdinOpt, TtyOpt, err)

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"


class RunError(Exception):
    """The kubelet's refusal to serve a container (kubectl: Error from server (BadRequest))."""

    def text(self) -> str:
        return f"Error from server (BadRequest): {self}"


# -- pods from arguments ---------------------------------------------------------------
def selector_of(obj: dict):
    """SelectorsForObject: the label selector a workload or Service picks its pods with."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind in ("Service", "ReplicationController"):
        sel = spec.get("selector")
        if not sel:
            raise CliError(f"invalid {kind.lower()} '{obj['metadata']['name']}': Service is defined without a selector"
                           if kind == "Service" else f"the {kind} has no selector")
        return selectors.selector_from_set(sel)
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
        return selectors.from_label_selector(spec.get("selector"))
    raise CliError(f"selector for *v1.{kind} not implemented")


def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def _ready_time(pod: dict) -> str:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready" and c.get("status") == "True":
            return c.get("lastTransitionTime") or ""
    return ""


def by_logging_key(pod: dict):
    """podutils.ByLogging as a sort key (the first pod is the one whose logs are shown)."""
    phase_rank = {"Running": 0, "Unknown": 1, "Pending": 2}
    status = pod.get("status") or {}
    restarts = max([c.get("restartCount", 0) for c in status.get("containerStatuses") or []] or [0])
    ready = _ready(pod)
    return (0 if (pod.get("spec") or {}).get("nodeName") else 1,
            phase_rank.get(status.get("phase"), 0),
            0 if ready else 1,
            (_ready_time(pod) or "~") if ready else "",
            -restarts,
            pod["metadata"].get("creationTimestamp") or "~")


def pick_pod(inv, arg: str, timeout: float = 20.0, quiet: bool = False) -> dict:
    """The pod named by `POD` or `TYPE/NAME`; stderr `Found N pods, using pod/x` when a
    workload has several. Waits (running the control loops) up to `timeout` for one."""
    api = inv.api
    pod_kind = registry.by_kind("Pod")
    if "/" not in arg:
        return api.get(pod_kind, inv.namespace, arg)
    type_name, _, name = arg.partition("/")
    try:
        kind = registry.lookup(type_name)
    except registry.UnknownType as e:
        raise CliError(str(e)) from None
    obj = api.get(kind, inv.namespace, name)
    if kind.kind == "Pod":
        return obj
    sel = selector_of(obj)
    deadline = time.monotonic() + timeout
    while True:
        pods, _ = api.list(pod_kind, inv.namespace, sel)
        if pods:
            pods.sort(key=by_logging_key)
            if len(pods) > 1 and not quiet:
                err(f"Found {len(pods)} pods, using pod/{pods[0]['metadata']['name']}")
            return pods[0]
        if time.monotonic() >= deadline:
            raise CliError("timed out waiting for the condition")
        from pkubectl.cli.converge import converge
        converge(inv, timeout=5.0, ensure_daemon=False)
        time.sleep(0.2)


# -- containers --------------------------------------------------------------------------
def all_container_names(pod: dict) -> str:
    """podcmd.AllContainerNames: `a, b, dbg (ephem), init (init)`."""
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    names += [f"{c['name']} (ephem)" for c in spec.get("ephemeralContainers") or []]
    names += [f"{c['name']} (init)" for c in spec.get("initContainers") or []]
    return ", ".join(names)


def find_container(pod: dict, name: str) -> dict | None:
    spec = pod.get("spec") or {}
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or []:
            if c.get("name") == name:
                return c
    return None


def default_container(pod: dict, quiet: bool = False) -> str:
    """The annotation's container, else the first one (with kubectl's stderr notice)."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    wanted = (meta.get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
    if wanted:
        if find_container(pod, wanted) is not None:
            return wanted
        if not quiet:
            err(f'Default container name "{wanted}" not found in pod {meta["name"]}')
    containers = spec.get("containers") or []
    if not containers:
        raise CliError(f"pod {meta.get('namespace')}/{meta['name']} does not have any containers")
    first = containers[0]["name"]
    if not quiet and (len(containers) > 1 or spec.get("initContainers") or spec.get("ephemeralContainers")):
        err(f'Defaulted container "{first}" out of: {all_container_names(pod)}')
    return first


def container_status(pod: dict, name: str) -> dict | None:
    status = pod.get("status") or {}
    for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        for s in status.get(key) or []:
            if s.get("name") == name:
                return s
    return None


def _runs(home: str, uid: str, container: str) -> list:
    from pkubelet import podstate
    from pkubelet.runtime import process

    out = []
    for attempt in podstate.attempts(home, uid, container):
        record = process.load(podstate.run_dir(home, uid, container, attempt))
        if record is not None:
            out.append((attempt, record))
    return out


def _waiting_text(name: str, pod_name: str, reason: str) -> str:
    if reason == "ErrImagePull":
        return f'container "{name}" in pod "{pod_name}" is waiting to start: image can\'t be pulled'
    if reason == "ImagePullBackOff":
        return f'container "{name}" in pod "{pod_name}" is waiting to start: trying and failing to pull image'
    return f'container "{name}" in pod "{pod_name}" is waiting to start: {reason}'


def log_run(home: str, pod: dict, name: str, previous: bool):
    """The RunRecord whose log `kubectl logs [-p]` shows for this container, or None when
    the pod has no node yet (the API server then returns no logs). Raises RunError."""
    pod_name = pod["metadata"]["name"]
    if not (pod.get("spec") or {}).get("nodeName"):
        return None
    runs = _runs(home, pod["metadata"]["uid"], name)
    latest = runs[-1][1] if runs else None
    before = runs[-2][1] if len(runs) > 1 else None
    status = container_status(pod, name)
    state, last = (status or {}).get("state") or {}, (status or {}).get("lastState") or {}
    if previous:
        # lastState.terminated is the run before the live one; while a crashed container
        # waits to restart, that is the latest run on disk.
        if status is None:
            rec = before
        elif "terminated" in last:
            rec = latest if "waiting" in state else before
        else:
            rec = None
        if rec is None:
            raise RunError(f'previous terminated container "{name}" in pod "{pod_name}" not found')
        return rec
    if status is None:
        if latest is None:
            raise RunError(_waiting_text(name, pod_name, "ContainerCreating"))
        return latest  # the kubelet has not reported yet, but the run is on disk
    if "running" in state or "terminated" in state or "terminated" in last:
        if latest is not None:
            return latest
    elif "waiting" in state:
        raise RunError(_waiting_text(name, pod_name, state["waiting"].get("reason") or "ContainerCreating"))
    raise RunError(f'container "{name}" in pod "{pod_name}" is waiting to start - no logs yet')


def latest_run(home: str, pod: dict, name: str):
    """The newest run of a container, running or not, or None."""
    runs = _runs(home, pod["metadata"]["uid"], name)
    return runs[-1][1] if runs else None


def running_run(home: str, pod: dict, name: str):
    """The live run of a container (for exec/top/attach), or None."""
    from pkubelet.runtime import process

    record = latest_run(home, pod, name)
    return record if record is not None and isinstance(process.status(record), process.Running) else None


# =====================================================================================
# logs
# =====================================================================================
LOGS_USAGE = ("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
              "POD or TYPE/NAME is a required argument for the logs command")
SELECTOR_TAIL = 10
MAX_FOLLOW = 5


class _Stream:
    """One container's log to print: where it is and how to tell it is still running."""

    def __init__(self, pod: dict, container: str, record):
        self.pod, self.container, self.record = pod, container, record

    @property
    def prefix(self) -> str:
        return f"[pod/{self.pod['metadata']['name']}/{self.container}] "


def _write(line: str, prefix: str = "") -> None:
    sys.stdout.write(prefix + line)
    sys.stdout.flush()


def run_logs(inv, args, container, all_containers, prefix, follow, tail, since, since_time, timestamps,
             previous, selector, limit_bytes, max_log_requests, pod_running_timeout, ignore_errors) -> None:
    from pkubelet.runtime import logs as crilogs

    if (not args and not selector) or len(args) > 2:
        raise CliError(LOGS_USAGE, hint="See 'pkubectl logs -h' for help and examples")
    if args and selector:
        raise CliError("only a selector (-l) or a POD name is allowed",
                       hint="See 'pkubectl logs -h' for help and examples")
    if len(args) == 2:
        if container:
            raise CliError("only one of -c or an inline [CONTAINER] arg is allowed")
        container = args[1]
    if since and since_time:
        raise CliError("at most one of `sinceTime` or `sinceSeconds` may be specified")
    if all_containers and container:
        raise CliError(f"--all-containers=true should not be specified with container name {container}")
    if limit_bytes is not None and limit_bytes < 0:
        raise CliError("--limit-bytes must be greater than 0")
    if tail is not None and tail < -1:
        raise CliError("--tail must be greater than or equal to -1")
    since_seconds = None
    if since:
        since_seconds = float(round(common.parse_duration(since)))
        if since_seconds < 0:
            raise CliError("--since must be greater than 0")
    elif since_time:
        from pkubelet.runtime.logs import parse_timestamp
        try:
            since_seconds = max(0.0, time.time() - parse_timestamp(since_time))
        except (ValueError, IndexError):
            raise CliError(f'parsing time "{since_time}" as "2006-01-02T15:04:05Z07:00": cannot parse') from None
    if tail is None:
        tail = SELECTOR_TAIL if selector else -1
    tail_lines = None if tail < 0 else tail
    limit = limit_bytes or None

    api = inv.api
    if selector:
        from pkubectl.cli.get import parse_selectors
        ls, _ = parse_selectors(selector, None)
        pods, _ = api.list(registry.by_kind("Pod"), inv.namespace, ls)
        if not pods:
            err(f"No resources found in {inv.namespace} namespace.")
            return
    else:
        try:
            pods = [pick_pod(inv, args[0], timeout=common.parse_duration(pod_running_timeout))]
        except ApiError as e:
            if e.code == 404 and "/" not in args[0]:
                raise CliError(f'error from server (NotFound): pods "{args[0]}" not found in namespace '
                               f'"{inv.namespace}"') from None
            raise
    streams: list[_Stream] = []
    for pod in pods:
        spec = pod.get("spec") or {}
        if all_containers:
            names = [c["name"] for key in ("initContainers", "containers", "ephemeralContainers")
                     for c in spec.get(key) or []]
        else:
            name = container or default_container(pod)
            if find_container(pod, name) is None:
                raise CliError(f"container {name} is not valid for pod {pod['metadata']['name']} out of: "
                               f"{all_container_names(pod)}")
            names = [name]
        for name in names:
            try:
                record = log_run(inv.home, pod, name, previous)
            except RunError as e:
                if ignore_errors:
                    continue
                raise CliError(e.text()) from None
            if record is not None:
                streams.append(_Stream(pod, name, record))
    use_prefix = prefix
    if follow and len(streams) > 1:
        if len(streams) > max_log_requests:
            raise CliError(f"you are attempting to follow {len(streams)} log streams, but maximum allowed "
                           f"concurrency is {max_log_requests}, use --max-log-requests to increase the limit")
        _follow_parallel(streams, use_prefix, tail_lines, since_seconds, timestamps, limit)
        return
    for s in streams:
        pre = s.prefix if use_prefix else ""
        if follow:
            lines = crilogs.follow(s.record.log_path, _alive(s.record), tail_lines, since_seconds, timestamps, limit)
        else:
            lines = crilogs.read(s.record.log_path, tail_lines, since_seconds, timestamps, limit)
        for line in lines:
            _write(line, pre)


def _alive(record):
    from pkubelet.runtime import process
    return lambda: isinstance(process.status(record), process.Running)


def _follow_parallel(streams, use_prefix, tail_lines, since_seconds, timestamps, limit) -> None:
    """Several `-f` streams at once, whole lines interleaved (kubectl's parallel consume)."""
    import threading

    from pkubelet.runtime import logs as crilogs

    lock = threading.Lock()

    def pump(s: _Stream):
        pre = s.prefix if use_prefix else ""
        for line in crilogs.follow(s.record.log_path, _alive(s.record), tail_lines, since_seconds, timestamps, limit):
            with lock:
                _write(line, pre)

    threads = [threading.Thread(target=pump, args=(s,), daemon=True) for s in streams]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(0.1)


# =====================================================================================
# exec
# =====================================================================================
def run_exec(inv, args, container, stdin, tty, quiet, pod_running_timeout) -> int:
    from pkubelet.runtime import exec as rexec

    if not args:
        raise CliError("pod, type/name or --filename must be specified")
    target, command = args[0], list(args[1:])
    if command and "--" not in sys.argv:
        err("kubectl exec [POD] [COMMAND] is DEPRECATED and will be removed in a future version. "
            "Use kubectl exec [POD] -- [COMMAND] instead.")
    if not command:
        raise CliError("you must specify at least one command for the container")
    pod = pick_pod(inv, target, timeout=common.parse_duration(pod_running_timeout), quiet=quiet)
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise CliError(f"cannot exec into a container in a completed pod; current phase is {phase}")
    if container:
        if find_container(pod, container) is None:
            raise CliError(f"container {container} not found in pod {pod['metadata']['name']}")
        name = container
    else:
        name = default_container(pod, quiet=quiet)
    record = running_run(inv.home, pod, name) if (pod.get("spec") or {}).get("nodeName") else None
    if record is None:
        raise CliError(f'unable to upgrade connection: container not found ("{name}")')
    try:
        code = rexec.exec_in(record, command, tty=tty, stdin=stdin)
    except rexec.ExecError as e:
        raise CliError(f"Internal error occurred: error executing command in container: {e.message}") from None
    if code:
        err(f"command terminated with exit code {code}")
    return code


# =====================================================================================
# top
# =====================================================================================
POD_COLUMNS = ["NAME", "CPU(cores)", "MEMORY(bytes)"]
NODE_COLUMNS = ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
MI = 1024 * 1024


def sample_window() -> float:
    """How long CPU is measured over; metrics-server averages ~15 s, a CLI cannot wait that long."""
    try:
        return float(os.environ.get("PKUBE_TOP_WINDOW", "0.5"))
    except ValueError:
        return 0.5


def measure(records: list) -> list[tuple[int, int]]:
    """(millicores, rss bytes) per run record, over one sampling window for all of them."""
    from pkubelet.runtime import process

    before = [process.tree_usage(r) for r in records]
    t0 = time.monotonic()
    time.sleep(sample_window())
    after = [process.tree_usage(r) for r in records]
    wall = time.monotonic() - t0
    return [(process.millicores(b[0], a[0], wall), a[1]) for b, a in zip(before, after)]


def _print_rows(rows: list[list[str]]) -> None:
    """kubectl's metrics printer: every cell ends in a tab (trailing padding included)."""
    from pkubectl.printers.tabwriter import TabWriter

    tw = TabWriter(6, 4, 3, " ", 0)
    tw.write("".join("".join(f"{c}\t" for c in row) + "\n" for row in rows))
    sys.stdout.write(tw.flush())


def pod_usage(inv, pods: list[dict]) -> dict:
    """{(ns, pod): {container: (millicores, bytes)}} for pods with running containers."""
    jobs = []
    for pod in pods:
        if not (pod.get("spec") or {}).get("nodeName") or (pod.get("status") or {}).get("phase") != "Running":
            continue
        for c in (pod.get("spec") or {}).get("containers") or []:
            rec = running_run(inv.home, pod, c["name"])
            if rec is not None:
                jobs.append(((pod["metadata"].get("namespace"), pod["metadata"]["name"]), c["name"], rec))
    usage: dict = {}
    for (key, cname, _rec), m in zip(jobs, measure([j[2] for j in jobs])):
        usage.setdefault(key, {})[cname] = m
    return usage


def run_top_pods(inv, name, all_namespaces, selector, field_selector, containers, sort_by, no_headers) -> None:
    from pkubectl.cli.get import parse_selectors

    if sort_by not in (None, "", "cpu", "memory"):
        raise CliError("--sort-by accepts only cpu or memory")
    api = inv.api
    kind = registry.by_kind("Pod")
    if name:
        try:
            pods = [api.get(kind, inv.namespace, name)]
        except ApiError as e:
            if e.code == 404:
                raise ApiError(404, "NotFound", f'podmetrics.metrics.k8s.io "{inv.namespace}/{name}" not found') \
                    from None
            raise
    else:
        ls, fs = parse_selectors(selector, field_selector, kind)
        pods, _ = api.list(kind, None if all_namespaces else inv.namespace, ls, fs)
    usage = pod_usage(inv, pods)
    if not usage:
        if pods:
            raise CliError("metrics not available yet")
        err("No resources found" if all_namespaces else f"No resources found in {inv.namespace} namespace.")
        return
    entries = []  # (ns, pod, container|None, cpu, mem)
    for (ns, pname), per in usage.items():
        if containers:
            entries += [(ns, pname, c, cpu, mem) for c, (cpu, mem) in per.items()]
        else:
            entries.append((ns, pname, None, sum(v[0] for v in per.values()), sum(v[1] for v in per.values())))
    if sort_by == "cpu":
        entries.sort(key=lambda e: -e[3])
    elif sort_by == "memory":
        entries.sort(key=lambda e: -e[4])
    else:
        entries.sort(key=lambda e: ((e[0] or "") if all_namespaces else "", e[1], e[2] or ""))
    header = (["NAMESPACE"] if all_namespaces else []) + (["POD"] if containers else []) + POD_COLUMNS
    rows = [] if no_headers else [header]
    for ns, pname, cname, cpu, mem in entries:
        row = ([ns] if all_namespaces else []) + ([pname, cname] if containers else [pname])
        rows.append(row + [f"{cpu}m", f"{mem // MI}Mi"])
    _print_rows(rows)


def run_top_nodes(inv, name, selector, sort_by, no_headers) -> None:
    from pkubectl.api import quantity
    from pkubectl.cli.get import parse_selectors

    if sort_by not in (None, "", "cpu", "memory"):
        raise CliError("--sort-by accepts only cpu or memory")
    api = inv.api
    kind = registry.by_kind("Node")
    if name:
        try:
            nodes = [api.get(kind, None, name)]
        except ApiError as e:
            if e.code == 404:
                raise ApiError(404, "NotFound", f'nodemetrics.metrics.k8s.io "{name}" not found') from None
            raise
    else:
        ls, _ = parse_selectors(selector, None)
        nodes, _ = api.list(kind, None, ls)
    if not nodes:
        err("No resources found")
        return
    pods, _ = api.list(registry.by_kind("Pod"), None)
    usage = pod_usage(inv, [p for p in pods if (p.get("spec") or {}).get("nodeName") in
                            {n["metadata"]["name"] for n in nodes}])
    by_node: dict = {}
    for p in pods:
        per = usage.get((p["metadata"].get("namespace"), p["metadata"]["name"]))
        if per:
            acc = by_node.setdefault(p["spec"]["nodeName"], [0, 0])
            acc[0] += sum(v[0] for v in per.values())
            acc[1] += sum(v[1] for v in per.values())
    entries = []
    for n in nodes:
        cpu, mem = by_node.get(n["metadata"]["name"], [0, 0])
        alloc = (n.get("status") or {}).get("allocatable") or {}
        a_cpu = quantity.cpu_millis(alloc["cpu"]) if alloc.get("cpu") else 0
        a_mem = quantity.bytes_(alloc["memory"]) if alloc.get("memory") else 0
        entries.append((n["metadata"]["name"], cpu, cpu * 100 // a_cpu if a_cpu else 0,
                        mem, mem * 100 // a_mem if a_mem else 0))
    if sort_by == "cpu":
        entries.sort(key=lambda e: -e[1])
    elif sort_by == "memory":
        entries.sort(key=lambda e: -e[3])
    else:
        entries.sort(key=lambda e: e[0])
    rows = [] if no_headers else [NODE_COLUMNS]
    rows += [[nm, f"{cpu}m", f"{cp}%", f"{mem // MI}Mi", f"{mp}%"] for nm, cpu, cp, mem, mp in entries]
    _print_rows(rows)


# =====================================================================================
# registration
# =====================================================================================
def register(app: typer.Typer) -> None:
    @app.command("logs")
    def logs(args: Annotated[Optional[list[str]], typer.Argument(help="(POD | TYPE/NAME) [CONTAINER]")] = None,
             namespace: NamespaceOpt = None, selector: SelectorOpt = None,
             container: Annotated[Optional[str], typer.Option("--container", "-c", help="Print the logs of this container")] = None,
             all_containers: Annotated[bool, typer.Option("--all-containers", help="Get all containers' logs in the pod(s).")] = False,
             prefix: Annotated[bool, typer.Option("--prefix", help="Prefix each log line with the log source (pod name and container name)")] = False,
             follow: Annotated[bool, typer.Option("--follow", "-f", help="Specify if the logs should be streamed.")] = False,
             tail: Annotated[Optional[int], typer.Option("--tail", help="Lines of recent log file to display. Defaults to -1 with no selector, showing all log lines otherwise 10, if a selector is provided.")] = None,
             since: Annotated[Optional[str], typer.Option("--since", help="Only return logs newer than a relative duration like 5s, 2m, or 3h.")] = None,
             since_time: Annotated[Optional[str], typer.Option("--since-time", help="Only return logs after a specific date (RFC3339).")] = None,
             timestamps: Annotated[bool, typer.Option("--timestamps", help="Include timestamps on each line in the log output")] = False,
             previous: Annotated[bool, typer.Option("--previous", "-p", help="If true, print the logs for the previous instance of the container in a pod if it exists.")] = False,
             limit_bytes: Annotated[Optional[int], typer.Option("--limit-bytes", help="Maximum bytes of logs to return. Defaults to no limit.")] = None,
             max_log_requests: Annotated[int, typer.Option("--max-log-requests", help="Specify maximum number of concurrent logs to follow when using by a selector. Defaults to 5.")] = MAX_FOLLOW,
             pod_running_timeout: Annotated[str, typer.Option("--pod-running-timeout", help="The length of time to wait until at least one pod is running")] = "20s",
             ignore_errors: Annotated[bool, typer.Option("--ignore-errors", help="If watching / following pod logs, allow for any errors that occur to be non-fatal")] = False,
             context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Print the logs for a container in a pod or specified resource."""
        inv = common.globals_(namespace, context, kubeconfig)
        try:
            run_logs(inv, args or [], container, all_containers, prefix, follow, tail, since, since_time,
                     timestamps, previous, selector, limit_bytes, max_log_requests, pod_running_timeout,
                     ignore_errors)
        except KeyboardInterrupt:
            return 0

    @app.command("exec", context_settings={"allow_interspersed_args": True})
    def exec_(args: Annotated[Optional[list[str]], typer.Argument(help="(POD | TYPE/NAME) -- COMMAND [args...]")] = None,
              namespace: NamespaceOpt = None,
              container: ContainerOpt = None,
              stdin: StdinOpt = False,
              tty: TtyOpt = False,
              quiet: QuietOpt = False,
              pod_running_timeout: PodRunningTimeoutOpt = "1m0s",
              context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Execute a command in a container."""
        inv = common.globals_(namespace, context, kubeconfig)
        code = run_exec(inv, args or [], container, stdin, tty, quiet, pod_running_timeout)
        if code:
            raise typer.Exit(code)

    top = typer.Typer(help="Display resource (CPU/memory) usage.", no_args_is_help=True,
                      context_settings={"help_option_names": ["-h", "--help"]})
    app.add_typer(top, name="top")

    def top_pod(name: Annotated[Optional[str], typer.Argument(help="NAME")] = None,
                namespace: NamespaceOpt = None, all_namespaces: AllNamespacesOpt = False,
                selector: SelectorOpt = None,
                field_selector: Annotated[Optional[str], typer.Option("--field-selector", help="Selector (field query) to filter on.")] = None,
                containers: Annotated[bool, typer.Option("--containers", help="If present, print usage of containers within a pod.")] = False,
                sort_by: Annotated[Optional[str], typer.Option("--sort-by", help="If non-empty, sort pods list using specified field. The field can be either 'cpu' or 'memory'.")] = None,
                no_headers: Annotated[bool, typer.Option("--no-headers", help="If present, print output without headers.")] = False,
                context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Display resource (CPU/memory) usage of pods."""
        inv = common.globals_(namespace, context, kubeconfig)
        run_top_pods(inv, name, all_namespaces, selector, field_selector, containers, sort_by, no_headers)

    def top_node(name: Annotated[Optional[str], typer.Argument(help="NAME")] = None,
                 selector: SelectorOpt = None,
                 sort_by: Annotated[Optional[str], typer.Option("--sort-by", help="If non-empty, sort nodes list using specified field. The field can be either 'cpu' or 'memory'.")] = None,
                 no_headers: Annotated[bool, typer.Option("--no-headers", help="If present, print output without headers")] = False,
                 context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Display resource (CPU/memory) usage of nodes."""
        inv = common.globals_(None, context, kubeconfig)
        run_top_nodes(inv, name, selector, sort_by, no_headers)

    for alias, hidden in (("pod", False), ("pods", True), ("po", True)):
        top.command(alias, hidden=hidden)(top_pod)
    for alias, hidden in (("node", False), ("nodes", True), ("no", True)):
        top.command(alias, hidden=hidden)(top_node)
