"""The pkube daemon: every control loop, continuously (DESIGN "Two ways to run", way 2).

`pkubelet run` runs the loops of LOOPS in threads, each with its own store connection and
its own period: the controller manager, the scheduler, the default node's kubelet sync
(probes run inside it when due), the node heartbeat, store compaction, and the Service
proxy. Loops are named "module:function" as in pkubectl/cli/converge.py; a loop whose
module is not installed is skipped. A loop function takes an Api and returns the number of
changes; FACTORIES builds the loops that keep state between passes (the kubelet, the
heartbeat).

One daemon per state directory: it holds {home}/locks/daemon.lock for its whole life (a
kill -9 releases it), and writes its pid to {home}/daemon.pid (0600), its output to
{home}/daemon.log. Stopping the daemon leaves containers running, like restarting a
kubelet: the next daemon or CLI sync adopts them by pid + start time.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import traceback

LOCK = "daemon.lock"
PIDFILE = "daemon.pid"
LOGFILE = "daemon.log"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 30.0

# name -> (loop "module:function", period in seconds)
LOOPS = {
    "controllers": ("pkubectl.controllers.manager:run_once", 0.5),
    "scheduler": ("pkubectl.scheduler.scheduler:run_once", 0.2),
    "kubelet": ("pkubelet.daemon:kubelet_loop", float(os.environ.get("PKUBE_KUBELET_SYNC_PERIOD", "0.3"))),
    "heartbeat": ("pkubelet.daemon:heartbeat_loop", 1.0),
    "compaction": ("pkubelet.daemon:compact", 300.0),
    "proxy": ("pkubelet.daemon:sync_proxy", 0.05),  # a pass is one revision read when idle
}


# --- loops ------------------------------------------------------------------------------------

def kubelet_loop(api):
    """The default node's kubelet; the heartbeat loop keeps its Lease (so a long graceful
    stop inside a sync never makes the node look dead)."""
    from pkubelet import kubelet

    agent_kubelet = kubelet.Kubelet(api, heartbeat=False)
    return agent_kubelet.sync_once


def heartbeat_loop(api):
    from pkubelet import node

    agent = node.NodeAgent(api)
    agent.register()
    return agent.heartbeat


def compact(api) -> int:
    api.store.compact()
    return 0


def sync_proxy(api) -> int:
    """Service proxy: ClusterIPs, LoadBalancer IPs and the default node's NodePorts
    (pkubelet.proxier; a pass is a no-op unless the store changed)."""
    from pkubelet import proxier

    return proxier.sync(api)


FACTORIES = {"pkubelet.daemon:kubelet_loop", "pkubelet.daemon:heartbeat_loop"}


def _load(spec: str):
    import importlib

    mod, _, fn = spec.partition(":")
    try:
        return getattr(importlib.import_module(mod), fn)
    except ModuleNotFoundError as err:
        if err.name and mod.startswith(err.name):
            return None  # that layer is not written yet in this build
        raise
    except AttributeError:
        return None


def _log(text: str) -> None:
    sys.stdout.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), text))
    sys.stdout.flush()


class Daemon:
    """Runs loops in threads until SIGTERM. A loop is ("module:function", period) as in
    LOOPS, or (factory, period) where factory(api) returns the pass function."""

    def __init__(self, home: str, loops: dict | None = None, lock: str = LOCK, pidfile: bool = True,
                 title: str = "pkubelet daemon"):
        self.home = home
        self.loops = dict(loops or LOOPS)
        self.lock, self.pidfile, self.title = lock, pidfile, title
        self.stop = threading.Event()
        self.threads: list = []

    def _run_loop(self, name: str, spec, period: float) -> None:
        from pkubectl.api.server import Api
        from state.store import Store

        api = Api(Store(self.home))
        fn = None
        failures = 0
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                if fn is None and callable(spec):
                    fn = spec(api)
                elif fn is None:
                    target = _load(spec)
                    if target is None:
                        _log("loop %s: %s is not available; skipped" % (name, spec))
                        return
                    fn = target(api) if spec in FACTORIES else (lambda f=target: f(api))
                fn()
                failures = 0
            except Exception:  # noqa: BLE001 - a loop must survive its own bugs
                failures += 1
                if failures <= 3 or failures % 100 == 0:
                    _log("loop %s failed:\n%s" % (name, traceback.format_exc()))
                if fn is None:
                    self.stop.wait(min(30.0, period * 10))
            self.stop.wait(max(0.0, period - (time.monotonic() - started)))

    def run(self) -> int:
        from pkubelet import locks

        os.makedirs(self.home, mode=0o700, exist_ok=True)
        try:
            lock_fd = locks.acquire(self.home, self.lock, timeout=2.0)
        except locks.LockTimeout:
            sys.stderr.write("error: %s is already running for %s%s\n" % (
                self.title, self.home, " (pid %s)" % read_pid(self.home) if self.pidfile else ""))
            return 1
        if self.pidfile:
            write_pid(self.home, os.getpid())
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())
        _log("%s started (pid %d) for %s" % (self.title, os.getpid(), self.home))
        for name, (spec, period) in self.loops.items():
            t = threading.Thread(target=self._run_loop, args=(name, spec, period), name=name, daemon=True)
            t.start()
            self.threads.append(t)
        while not self.stop.is_set():
            self.stop.wait(1.0)
        deadline = time.monotonic() + 10
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        _log("%s stopped; containers keep running" % self.title)
        try:
            if self.pidfile and read_pid(self.home) == os.getpid():
                os.unlink(os.path.join(self.home, PIDFILE))
        except OSError:
            pass
        os.close(lock_fd)
        return 0


# --- process management ---------------------------------------------------------------------

def write_pid(home: str, pid: int) -> None:
    path = os.path.join(home, PIDFILE)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("%d\n" % pid)
    os.replace(tmp, path)


def read_pid(home: str) -> int | None:
    try:
        with open(os.path.join(home, PIDFILE)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def running_pid(home: str) -> int | None:
    """The daemon's pid when one runs for this state directory, else None."""
    from pkubelet import locks

    if not os.path.exists(locks.lock_path(home, LOCK)) or not locks.is_held(home, LOCK):
        return None
    return read_pid(home) or -1


def spawn(home: str, wait: bool = True, timeout: float = START_TIMEOUT) -> int | None:
    """Start `pkubelet run` detached (own session, output to daemon.log); returns its pid
    once it holds the daemon lock (or None if it did not come up in time)."""
    os.makedirs(home, mode=0o700, exist_ok=True)
    env = dict(os.environ, PKUBE_HOME=home)
    log = os.open(os.path.join(home, LOGFILE), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        child = subprocess.Popen([sys.executable, "-m", "pkubelet", "run"], stdin=subprocess.DEVNULL,
                                 stdout=log, stderr=log, env=env, cwd=home, start_new_session=True,
                                 close_fds=True)
    finally:
        os.close(log)
    if not wait:
        return child.pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_pid(home) == child.pid:
            return child.pid
        if child.poll() is not None:
            return running_pid(home)  # lost a race to another daemon: that one is up
        time.sleep(0.02)
    return None


def ensure_running(home: str) -> None:
    """Start the local daemon in the background unless it runs (PKUBE_NO_DAEMON=1 opts out)."""
    if os.environ.get("PKUBE_NO_DAEMON"):
        return
    if running_pid(home):
        return
    spawn(home, wait=True, timeout=5.0)


def stop(home: str, timeout: float = STOP_TIMEOUT) -> int | None:
    """SIGTERM the daemon and wait until it let go of its lock; SIGKILL after timeout.
    Returns the pid stopped, or None when none was running."""
    pid = running_pid(home)
    if pid is None:
        return None
    if pid > 0:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running_pid(home) is None:
            return pid
        time.sleep(0.05)
    if pid > 0:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while running_pid(home) is not None and time.monotonic() < deadline + 5:
            time.sleep(0.05)
    return pid


def stop_pods(home: str) -> int:
    """Stop every container process of every node agent of this state dir (graceful)."""
    from pkubectl.api.server import Api
    from state.store import Store

    from pkubelet import kubelet, podstate

    nodes_seen = {st.get("node") for _uid, st in podstate.local_pods(home) if st is not None}
    api = Api(Store(home))
    stopped = 0
    for name in sorted(n for n in nodes_seen if n):
        stopped += kubelet.Kubelet(api, name, heartbeat=False).stop_all_pods()
    # runs of pod dirs without a state file (a crash mid-setup): kill what is left
    from pkubelet.runtime import process

    process.kill_all_in(podstate.pods_root(home))
    return stopped


def node_agent_loops(agent_args: dict, heartbeat_interval: float) -> dict:
    """Loops of an extra node agent (`pkubelet node`): its heartbeat and its kubelet."""
    def heartbeat(api):
        from pkubelet import node

        agent = node.NodeAgent(api, heartbeat_interval=heartbeat_interval, **agent_args)
        agent.register()
        return agent.heartbeat

    def kubelet_pass(api):
        from pkubelet import kubelet, node

        agent = node.NodeAgent(api, heartbeat_interval=heartbeat_interval, **agent_args)
        agent.register()
        return kubelet.Kubelet(api, agent_args["name"], agent=agent, heartbeat=False).sync_once

    def proxy_pass(api):  # this node's NodePorts (pkubelet.proxier)
        from pkubelet import proxier

        return lambda: proxier.sync(api, agent_args["name"])

    return {"heartbeat": (heartbeat, min(1.0, heartbeat_interval)),
            "kubelet": (kubelet_pass, LOOPS["kubelet"][1]),
            "proxy": (proxy_pass, LOOPS["proxy"][1])}
