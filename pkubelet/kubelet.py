"""The kubelet: make the pods bound to one node true on this machine.

`Kubelet(api, node_name).sync_once()` is one pass, run under the node's lock
({home}/locks/kubelet-{node}.lock) so that a CLI invocation and the daemon never both act:

1. make sure the Node is registered (and, when asked, heartbeat it when due);
2. run every probe that is due, in parallel (probing is I/O and may time out);
3. for each pod bound here: pods with a deletionTimestamp are stopped and, once none of
   their processes is left, removed with api.delete(grace=0); the others get one PodWorker
   step (sandbox, init containers, containers, restarts, status);
4. pod directories of this node whose pod is gone or bound elsewhere (the node came back
   after its pods were evicted) have their processes stopped and are removed.

Stopping never waits out a grace period inside the pass (that would hold up every other
pod of the node and the CLI waiting for the lock): begin_stop() runs the preStop hook as a
run of its own, sends SIGTERM when it is done and writes the deadline next to the run
(runtime.process request_stop); each later pass, from any process, calls advance_stop(),
which SIGKILLs once the deadline has passed. A well-behaved container is given
SETTLE_SECONDS to exit so that its pod goes in the same pass. Lifecycle hooks (postStart
too) are runs in {run dir}/poststart and {run dir}/prestop, read like containers.

It returns how many things it changed, so `pkubectl`'s converge can run it until quiet.
`sync_local(api)` is that pass for the default node, as pkubectl.cli.converge names it.
"""
from __future__ import annotations

import os
import time

from pkubelet import locks, node as nodes, podstate

LOCK_TIMEOUT = float(os.environ.get("PKUBE_KUBELET_LOCK_TIMEOUT", "120"))
# A CLI command waits less: if the daemon is busy (a long graceful stop), the command
# returns and the daemon finishes the work.
CLI_LOCK_TIMEOUT = float(os.environ.get("PKUBE_CLI_KUBELET_LOCK_TIMEOUT", "10"))
PROBE_WORKERS = 32
# After SIGTERM, how long a sync waits for well-behaved containers to exit so their pod is
# removed in the same pass; a process that ignores SIGTERM is left to later syncs.
SETTLE_SECONDS = float(os.environ.get("PKUBE_STOP_SETTLE", "0.5"))
HOOK_DIRS = {"postStart": "poststart", "preStop": "prestop"}


class Kubelet:
    def __init__(self, api, node_name: str = nodes.DEFAULT_NODE, *, home: str | None = None,
                 agent: "nodes.NodeAgent | None" = None, heartbeat: bool = True,
                 lock_timeout: float = LOCK_TIMEOUT):
        self.api = api
        self.node_name = node_name
        self.home = home or api.store.home
        self.agent = agent or nodes.NodeAgent(api, node_name, home=self.home)
        self.heartbeat = heartbeat
        self.lock_timeout = lock_timeout
        self.images_config = os.path.join(self.home, "images.yaml")

    # -- node -------------------------------------------------------------------------------
    def ensure_node(self) -> None:
        agent = self.agent
        if agent.node is None:
            from pkubectl.api import registry

            live = self.api.try_get(registry.by_kind("Node"), None, self.node_name)
            if live is None or not (live.get("spec") or {}).get("podCIDR"):
                agent.register()
            else:
                agent.node = live
                if self.heartbeat and agent.renew_lease():  # a CLI's first pass heartbeats too
                    agent.post_status()
        elif self.heartbeat and agent.renew_lease():
            agent.post_status()

    @property
    def host_ip(self) -> str:
        return self.agent.internal_ip()

    @property
    def allocatable(self) -> dict:
        return ((self.agent.node or {}).get("status") or {}).get("allocatable") or {}

    def allocate_ip(self) -> str:
        from pkubelet import ipam

        taken = set(self._taken_ips)
        ip = ipam.allocate(self.home, self.node_name, self.agent.node["spec"]["podCIDR"], taken)
        self._taken_ips.add(ip)
        return ip

    def event(self, pod: dict, type_: str, reason: str, message: str, field_path: str = "") -> None:
        self.api.record_event(pod, type_, reason, message, component="kubelet", host=self.node_name,
                              field_path=field_path)

    # -- the pass ---------------------------------------------------------------------------
    def sync_once(self) -> int:
        """One kubelet pass over this node's pods; returns the number of changes."""
        try:
            with locks.held(self.home, "kubelet-%s.lock" % self.node_name, timeout=self.lock_timeout):
                return self._sync()
        except locks.LockTimeout:
            return 0

    def _sync(self) -> int:
        from pkubectl.api import registry

        from pkubelet.podworker import PodWorker

        self.ensure_node()
        pods = [p for p in self.api.list(registry.by_kind("Pod"))[0]
                if (p.get("spec") or {}).get("nodeName") == self.node_name]
        local = {uid: st for uid, st in podstate.local_pods(self.home)
                 if st is not None and st.get("node") == self.node_name}
        self._taken_ips = {st.get("podIP") for st in local.values()} | \
            {(p.get("status") or {}).get("podIP") for p in pods}
        changes = 0
        deleting = [p for p in pods if p["metadata"].get("deletionTimestamp")]
        if deleting:
            changes += self.terminate(deleting, local)
        workers = [PodWorker(self, p, local.get(p["metadata"]["uid"]))
                   for p in pods if not p["metadata"].get("deletionTimestamp")]
        results = self.run_probes([(w, job) for w in workers for job in w.due_probes()])
        for w in workers:
            changes += w.sync(results)
        bound = {p["metadata"]["uid"] for p in pods}
        gone = [uid for uid in local if uid not in bound]
        if gone:
            changes += self.cleanup(gone, local)
        return changes

    # -- probes -----------------------------------------------------------------------------
    def run_probes(self, jobs: list) -> dict:
        """{(pod uid, container, kind): (ok, message)} for every due probe, run in parallel."""
        from pkubelet.runtime import probes

        def one(item):
            worker, (cname, kind, probe, ip, env, cwd) = item
            try:
                return (worker.uid, cname, kind), probes.run_probe(probe, ip, env, cwd)
            except Exception as err:  # noqa: BLE001 - a probe bug is a failed probe, not a dead kubelet
                return (worker.uid, cname, kind), (False, str(err))

        if not jobs:
            return {}
        if len(jobs) == 1:
            return dict([one(jobs[0])])
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(PROBE_WORKERS, len(jobs))) as pool:
            return dict(pool.map(one, jobs))

    # -- lifecycle hooks --------------------------------------------------------------------
    def start_hook(self, container: dict | None, record, which: str, pod_ip: str) -> str | None:
        """Launch the container's `which` hook (postStart / preStop) as a run of its own in
        {run dir}/{poststart,prestop}, and return that directory (None: no hook).

        The hook is never waited for here: later syncs read its exit like a container's, so
        a slow hook holds up only its own container, never the node's sync, and it survives
        a kubelet restart. exec runs in the container's environment (and mount namespace,
        when it has one); httpGet is one GET from a helper process; sleep is `sleep N`."""
        import json
        import shutil
        import sys

        from pkubelet.runtime import process

        hook = ((container or {}).get("lifecycle") or {}).get(which) or {}
        cwd = record.cwd
        if hook.get("exec") is not None:
            argv = [str(a) for a in hook["exec"].get("command") or []]
            argv, cwd = _in_mount_namespace(argv, record)
        elif hook.get("httpGet") is not None:
            from pkubelet import probing

            spec = probing.resolve_port(hook["httpGet"], container or {})
            argv = [sys.executable, "-I", "-m", "pkubelet.runtime.probes", "hook-http", json.dumps(spec), pod_ip]
        elif hook.get("sleep") is not None:
            argv = [shutil.which("sleep") or "sleep", str(int(hook["sleep"].get("seconds") or 0))]
        else:
            return None
        run_dir = os.path.join(record.run_dir, HOOK_DIRS[which])
        try:
            process.start(run_dir, argv, dict(record.env or {}), cwd)
        except process.StartError:
            pass  # recorded in the hook's run dir as an exit 128 with its message
        except OSError:
            return None  # no run to wait for: the stop (or the start) goes on without the hook
        return run_dir

    def hook_failure(self, pod: dict, container: dict | None, which: str, hook_dir: str, exited) -> str:
        """The kubelet's handler-runner message for a failed hook run (for the status)."""
        from pkubelet import podworker

        hook = ((container or {}).get("lifecycle") or {}).get(which) or {}
        name = (container or {}).get("name", "")
        where = 'for Container "%s" in Pod "%s"' % (name, podworker.pod_ref(pod))
        if hook.get("httpGet") is not None:
            return "HTTP lifecycle hook (%s) %s failed - error: %s" % (
                hook["httpGet"].get("path", ""), where, hook_log(hook_dir).strip())
        command = [str(a) for a in (hook.get("exec") or {}).get("command") or []]
        if exited.reason == "StartError":
            error = exited.message
            output = ""
        else:
            error = "command '%s' exited with %d: " % (" ".join(command), exited.exit_code)
            output = hook_log(hook_dir)
        import json

        return "Exec lifecycle hook ([%s]) %s failed - error: %s, message: %s" % (
            " ".join(command), where, error, json.dumps(output))

    # -- stopping ---------------------------------------------------------------------------
    def begin_stop(self, pod: dict, container: dict | None, record, grace: float, pod_ip: str) -> bool:
        """Start stopping a container run and return at once: preStop hook (its grace counts),
        then SIGTERM, SIGKILL at the deadline. The deadline is on disk (runtime.process
        request_stop), so any later sync — this process's, the daemon's, a restarted one's —
        finishes the stop with advance_stop(). True when something was done."""
        from pkubelet.runtime import process

        if process.stopping(record) is not None:
            return process.request_stop(record, grace)  # may only bring the deadline closer
        hook_dir = None
        hook = ((container or {}).get("lifecycle") or {}).get("preStop")
        if hook and grace > 0 and isinstance(process.status(record), process.Running):
            hook_dir = self.start_hook(container, record, "preStop", pod_ip)
        return process.request_stop(record, grace, hook_dir=hook_dir)

    def advance_stop(self, pod: dict, container: dict | None, record, field_path: str = ""):
        """One step of a stop in progress (runtime.process.advance_stop) plus its Events."""
        from pkubelet.runtime import process

        progress = process.advance_stop(record)
        ex = progress.hook_exit
        if ex is not None and ex.exit_code != 0 and pod.get("metadata"):
            # the kubelet keeps the handler's output out of the Event (it may hold secrets)
            self.event(pod, "Warning", "FailedPreStopHook", "PreStopHook failed", field_path)
        if isinstance(progress.state, process.Exited):
            reap_hooks(record)
        return progress

    def _running_runs(self, uid: str, spec: dict | None) -> list:
        """(container spec or None, record) of every run still going in a pod directory."""
        from pkubelet.runtime import process

        specs = {}
        for c in ((spec or {}).get("initContainers") or []) + ((spec or {}).get("containers") or []):
            specs[c.get("name")] = c
        out = []
        root = podstate.pod_dir(self.home, uid)
        try:
            names = os.listdir(root)
        except OSError:
            return out
        for name in names:
            if name == podstate.VOLUMES_DIR or not os.path.isdir(os.path.join(root, name)):
                continue
            for attempt in podstate.attempts(self.home, uid, name):
                rec = process.load(podstate.run_dir(self.home, uid, name, attempt))
                if rec is not None and isinstance(process.status(rec), process.Running):
                    out.append((name, specs.get(name), rec))
        return out

    def _stop_pods(self, items: list) -> tuple:
        """Drive the stop of every run of each (pod, uid, grace, ip) one step; returns
        (changes, [(pod, uid) whose processes are all gone])."""
        from pkubelet.runtime import process

        changes, plans, signalled = 0, [], []
        for pod, uid, grace, ip in items:
            spec = pod.get("spec") or {}
            inits = {c.get("name") for c in spec.get("initContainers") or []}
            runs = []
            for name, cspec, rec in self._running_runs(uid, spec or None):
                path = "spec.%s{%s}" % ("initContainers" if name in inits else "containers", name) if spec else ""
                fresh = process.stopping(rec) is None
                if fresh and pod.get("metadata"):
                    self.event(pod, "Normal", "Killing", "Stopping container %s" % name, path)
                if self.begin_stop(pod, cspec, rec, grace, ip):
                    changes += 1
                    if fresh and (process.stopping(rec) or {}).get("termAt") is not None:
                        signalled.append(rec)
                runs.append((cspec, rec, path))
            plans.append((pod, uid, runs))
        if signalled:
            process.settle(signalled, SETTLE_SECONDS)
        done = []
        for pod, uid, runs in plans:
            left = 0
            for cspec, rec, path in runs:
                progress = self.advance_stop(pod, cspec, rec, path)
                changes += int(progress.acted)
                left += isinstance(progress.state, process.Running)
            if not left:
                self._reap_pod_hooks(uid)
                done.append((pod, uid))
        return changes, done

    def _reap_pod_hooks(self, uid: str) -> None:
        """Kill hook runs still going in a pod whose containers are all gone. (Only run
        dirs are looked at: a volume's files are the user's and never read as runs.)"""
        from pkubelet.runtime import process

        root = podstate.pod_dir(self.home, uid)
        try:
            names = os.listdir(root)
        except OSError:
            return
        for name in names:
            if name == podstate.VOLUMES_DIR:
                continue
            for attempt in podstate.attempts(self.home, uid, name):
                rec = process.load(podstate.run_dir(self.home, uid, name, attempt))
                if rec is not None:
                    reap_hooks(rec)

    def terminate(self, pods: list, local: dict) -> int:
        """Stop the containers of pods being deleted (without waiting out their grace) and
        let the API remove each pod once all its processes are gone."""
        from pkubectl.api import errors, registry

        items = []
        for pod in pods:
            meta, spec = pod["metadata"], pod.get("spec") or {}
            grace = meta.get("deletionGracePeriodSeconds")
            grace = float(spec.get("terminationGracePeriodSeconds", 30) if grace is None else grace)
            items.append((pod, meta["uid"], grace, (local.get(meta["uid"]) or {}).get("podIP", "")))
        changes, done = self._stop_pods(items)
        kind = registry.by_kind("Pod")
        for pod, uid in done:
            meta = pod["metadata"]
            try:
                self.api.delete(kind, meta.get("namespace"), meta["name"], grace=0, uid=uid)
            except errors.ApiError as err:
                if err.code != 404:
                    raise
            podstate.remove(self.home, uid)
            local.pop(uid, None)
            changes += 1
        return changes

    def cleanup(self, uids: list, local: dict) -> int:
        """Stop and remove pods that are gone from the API or bound to another node."""
        items = []
        for uid in uids:
            state = local.get(uid) or {}
            items.append(({}, uid, float(state.get("grace", 30)), state.get("podIP", "")))
        changes, done = self._stop_pods(items)
        for _pod, uid in done:
            podstate.remove(self.home, uid)
            changes += 1
        return changes

    def stop_all_pods(self, grace: float | None = None) -> int:
        """Stop every container process of this node (pkubelet stop --stop-pods); this one
        waits (SIGTERM, grace, SIGKILL in parallel), as the command returns when all are gone."""
        from pkubelet.runtime import process

        with locks.held(self.home, "kubelet-%s.lock" % self.node_name, timeout=LOCK_TIMEOUT):
            jobs = []
            for uid, state in podstate.local_pods(self.home):
                if state is None or state.get("node") != self.node_name:
                    continue
                g = float(state.get("grace", 30)) if grace is None else grace
                for _name, _spec, rec in self._running_runs(uid, None):
                    stop = process.stopping(rec)
                    if stop is not None:  # a stop in progress keeps its (closer) deadline
                        g = min(g, max(0.0, stop["deadline"] - time.time()))
                    jobs.append((rec, g))
            if len(jobs) == 1:
                process.stop(*jobs[0])
            elif jobs:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(max_workers=min(64, len(jobs))) as pool:
                    list(pool.map(lambda j: process.stop(*j), jobs))
            return len(jobs)


def reap_hooks(record) -> None:
    """SIGKILL the hook runs of a container run that has exited (a hook never outlives it)."""
    from pkubelet.runtime import process

    for sub in HOOK_DIRS.values():
        hook = process.load(os.path.join(record.run_dir, sub))
        if hook is not None and isinstance(process.status(hook), process.Running):
            process.stop(hook, 0)


def _in_mount_namespace(argv: list, record) -> tuple:
    """(argv, cwd) to run argv in the container's private mount namespace (nsenter), so an
    exec hook sees the volumes at their mountPath as the container does; unchanged when the
    container shares ours or nsenter cannot set the working directory inside it."""
    import shutil

    nsenter = shutil.which("nsenter")
    if not nsenter or not record.pid or not _nsenter_has_wdns(nsenter):
        return argv, record.cwd
    try:
        theirs = os.readlink("/proc/%d/ns/mnt" % record.pid)
        if theirs == os.readlink("/proc/self/ns/mnt"):
            return argv, record.cwd
    except OSError:
        return argv, record.cwd
    return [nsenter, "--mount=/proc/%d/ns/mnt" % record.pid, "--wdns=%s" % (record.cwd or "/"), "--"] + argv, "/"


_wdns: dict = {}


def _nsenter_has_wdns(nsenter: str) -> bool:
    if nsenter not in _wdns:
        import subprocess

        try:
            text = subprocess.run([nsenter, "--help"], capture_output=True, text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            text = ""
        _wdns[nsenter] = "--wdns" in text
    return _wdns[nsenter]


def hook_log(run_dir: str, limit: int = 10 * 1024) -> str:
    lines, partial = [], ""
    try:
        with open(os.path.join(run_dir, "container.log"), errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split(" ", 3)
                if len(parts) < 4:
                    continue
                partial += parts[3]
                if parts[2] == "F":
                    lines.append(partial)
                    partial = ""
    except OSError:
        return ""
    return ("\n".join(lines) + ("\n" if lines else ""))[:limit]


_local: dict = {}


def sync_local(api) -> int:
    """One kubelet pass for the default node (pkubectl's converge loop)."""
    key = id(api)
    kubelet = _local.get(key)
    if kubelet is None or kubelet.api is not api:
        kubelet = _local[key] = Kubelet(api, nodes.DEFAULT_NODE, lock_timeout=CLI_LOCK_TIMEOUT)
    return kubelet.sync_once()
