"""The kubelet: make the pods bound to one node true on this machine.

`Kubelet(api, node_name).sync_once()` is one pass, run under the node's lock
({home}/locks/kubelet-{node}.lock) so that a CLI invocation and the daemon never both act:

1. make sure the Node is registered (and, when asked, heartbeat it when due);
2. run every probe that is due, in parallel (probing is I/O and may time out);
3. for each pod bound here: pods with a deletionTimestamp are stopped (preStop hook,
   SIGTERM, grace, SIGKILL) and then removed with api.delete(grace=0); the others get one
   PodWorker step (sandbox, init containers, containers, restarts, status);
4. pod directories of this node whose pod is gone or bound elsewhere (the node came back
   after its pods were evicted) have their processes stopped and are removed.

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

    # -- stopping ---------------------------------------------------------------------------
    def stop_run(self, pod: dict, container: dict | None, record, grace: float, pod_ip: str) -> None:
        """preStop hook (within the grace period), then SIGTERM, the rest of the grace, SIGKILL."""
        from pkubelet.runtime import process, probes

        started = time.monotonic()
        hook = ((container or {}).get("lifecycle") or {}).get("preStop") or {}
        if hook and isinstance(process.status(record), process.Running) and grace > 0:
            try:
                if hook.get("exec"):
                    probes.exec_command(hook["exec"], pod_ip, grace, record.env, record.cwd)
                elif hook.get("httpGet"):
                    from pkubelet import probing

                    probes.http_get(probing.resolve_port(hook["httpGet"], container), pod_ip, grace)
                elif hook.get("sleep"):
                    time.sleep(min(grace, float(hook["sleep"].get("seconds") or 0)))
            except Exception:  # noqa: BLE001 - a failing hook does not stop the kill
                pass
        remaining = max(0.0, grace - (time.monotonic() - started))
        process.stop(record, remaining)

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

    def _stop_all(self, jobs: list) -> None:
        """Stop (pod, container, record, grace, ip) jobs in parallel: grace periods overlap."""
        if not jobs:
            return
        if len(jobs) == 1:
            self.stop_run(*jobs[0])
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(64, len(jobs))) as pool:
            list(pool.map(lambda j: self.stop_run(*j), jobs))

    def terminate(self, pods: list, local: dict) -> int:
        """Stop the containers of pods being deleted, then let the API remove them."""
        from pkubectl.api import errors, registry

        jobs = []
        for pod in pods:
            uid = pod["metadata"]["uid"]
            meta, spec = pod["metadata"], pod.get("spec") or {}
            grace = meta.get("deletionGracePeriodSeconds")
            grace = float(spec.get("terminationGracePeriodSeconds", 30) if grace is None else grace)
            ip = (local.get(uid) or {}).get("podIP", "")
            for name, cspec, rec in self._running_runs(uid, spec):
                field = "initContainers" if any(c.get("name") == name for c in spec.get("initContainers") or []) \
                    else "containers"
                self.event(pod, "Normal", "Killing", "Stopping container %s" % name,
                           "spec.%s{%s}" % (field, name))
                jobs.append((pod, cspec, rec, grace, ip))
        self._stop_all(jobs)
        kind = registry.by_kind("Pod")
        for pod in pods:
            meta = pod["metadata"]
            try:
                self.api.delete(kind, meta.get("namespace"), meta["name"], grace=0, uid=meta["uid"])
            except errors.ApiError as err:
                if err.code != 404:
                    raise
            podstate.remove(self.home, meta["uid"])
            local.pop(meta["uid"], None)
        return len(pods)

    def cleanup(self, uids: list, local: dict) -> int:
        """Stop and remove pods that are gone from the API or bound to another node."""
        jobs = []
        for uid in uids:
            state = local.get(uid) or {}
            grace = float(state.get("grace", 30))
            for _name, _spec, rec in self._running_runs(uid, None):
                jobs.append(({}, None, rec, grace, state.get("podIP", "")))
        self._stop_all(jobs)
        for uid in uids:
            podstate.remove(self.home, uid)
        return len(uids)

    def stop_all_pods(self, grace: float | None = None) -> int:
        """Stop every container process of this node (pkubelet stop --stop-pods)."""
        with locks.held(self.home, "kubelet-%s.lock" % self.node_name, timeout=LOCK_TIMEOUT):
            jobs = []
            for uid, state in podstate.local_pods(self.home):
                if state is None or state.get("node") != self.node_name:
                    continue
                g = float(state.get("grace", 30)) if grace is None else grace
                for _name, _spec, rec in self._running_runs(uid, None):
                    jobs.append(({}, None, rec, g, state.get("podIP", "")))
            self._stop_all(jobs)
            return len(jobs)


_local: dict = {}


def sync_local(api) -> int:
    """One kubelet pass for the default node (pkubectl's converge loop)."""
    key = id(api)
    kubelet = _local.get(key)
    if kubelet is None or kubelet.api is not api:
        kubelet = _local[key] = Kubelet(api, nodes.DEFAULT_NODE, lock_timeout=CLI_LOCK_TIMEOUT)
    return kubelet.sync_once()
