"""Simulated nodes (like KWOK): Nodes with Leases and pods reported Running, no processes.

For scale tests of the scheduler and the store: `pkubelet simulate --nodes 100` registers
sim-0 ... sim-99 (label pkube.io/simulated=true, annotation kwok.x-k8s.io/node=fake, the
capacity given), keeps their Leases fresh, and reports every pod bound to them Running and
Ready with an IP from the node's podCIDR, the five conditions and running containerStatuses.
A pod marked for deletion is removed at once (nothing to stop).
"""
from __future__ import annotations

import signal
import threading
import time

from pkubelet import ipam, node as nodes

SYNC_PERIOD = 0.3


class SimulatedNode(nodes.NodeAgent):
    def under_pressure(self) -> dict:
        return {}


def simulated_status(pod: dict, pod_ip: str, host_ip: str, now: str) -> dict:
    status = dict(pod.get("status") or {})
    spec = pod.get("spec") or {}
    cond = [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
            for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")]
    status.update({
        "phase": "Running", "conditions": cond, "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip, "podIPs": [{"ip": pod_ip}], "startTime": now,
        "containerStatuses": [{
            "name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": True,
            "restartCount": 0, "started": True, "containerID": "pkube://simulated",
            "state": {"running": {"startedAt": now}}, "lastState": {}} for c in spec.get("containers") or []],
    })
    if spec.get("initContainers"):
        status["initContainerStatuses"] = [{
            "name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": True,
            "restartCount": 0, "started": False, "containerID": "pkube://simulated",
            "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now,
                                     "finishedAt": now}}, "lastState": {}} for c in spec["initContainers"]]
    return status


class Simulator:
    def __init__(self, api, home: str, count: int, prefix: str = "sim-", capacity: dict | None = None,
                 heartbeat_interval: float = nodes.HEARTBEAT_INTERVAL):
        self.api, self.home = api, home
        labels = {nodes.SIMULATED_LABEL: "true", "type": "kwok"}
        self.agents = {
            "%s%d" % (prefix, i): SimulatedNode(
                api, "%s%d" % (prefix, i), home=home, labels=labels, capacity=capacity,
                annotations={nodes.KWOK_ANNOTATION: "fake"}, heartbeat_interval=heartbeat_interval)
            for i in range(count)}

    def register(self) -> None:
        for agent in self.agents.values():
            agent.register()

    def heartbeat(self) -> int:
        return sum(agent.heartbeat() for agent in self.agents.values())

    def sync_pods(self) -> int:
        from pkubectl.api import errors, registry

        kind = registry.by_kind("Pod")
        pods = [p for p in self.api.list(kind)[0] if (p.get("spec") or {}).get("nodeName") in self.agents]
        taken: dict = {}
        for p in pods:
            taken.setdefault(p["spec"]["nodeName"], set()).add((p.get("status") or {}).get("podIP"))
        changes = 0
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for pod in pods:
            meta, name = pod["metadata"], pod["spec"]["nodeName"]
            try:
                if meta.get("deletionTimestamp"):
                    self.api.delete(kind, meta.get("namespace"), meta["name"], grace=0, uid=meta["uid"])
                    changes += 1
                    continue
                status = pod.get("status") or {}
                if status.get("phase") == "Running" and status.get("podIP"):
                    continue
                agent = self.agents[name]
                ip = ipam.allocate(self.home, name, agent.node["spec"]["podCIDR"], taken[name])
                taken[name].add(ip)
                pod["status"] = simulated_status(pod, ip, agent.internal_ip(), now)
                self.api.update_status(pod)
                changes += 1
            except errors.ApiError as err:
                if err.code not in (404, 409):
                    raise
        return changes


def run(home: str, count: int, prefix: str = "sim-", capacity: str = "",
        heartbeat_interval: float = nodes.HEARTBEAT_INTERVAL) -> int:
    """`pkubelet simulate`: register, then heartbeat and report pods until SIGTERM."""
    from pkubectl.api.server import Api
    from state.store import Store

    from pkubelet import locks

    try:
        lock_fd = locks.acquire(home, "simulate-%s.lock" % prefix, timeout=2.0)
    except locks.LockTimeout:
        print("error: simulated nodes %s* are already running" % prefix)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sim = Simulator(Api(Store(home)), home, count, prefix, nodes.parse_capacity(capacity) or None,
                    heartbeat_interval)
    sim.register()
    print("registered %d simulated nodes (%s0 ... %s%d)" % (count, prefix, prefix, count - 1), flush=True)
    last_beat = time.monotonic()
    while not stop.is_set():
        sim.sync_pods()
        if time.monotonic() - last_beat >= min(1.0, heartbeat_interval):
            sim.heartbeat()
            last_beat = time.monotonic()
        stop.wait(SYNC_PERIOD)
    import os

    os.close(lock_fd)
    return 0
