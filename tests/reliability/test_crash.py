"""kill -9 of the daemon at random moments during applies and rollouts, then `pkubelet
start`: each time the cluster converges to exactly what was asked, with nothing doubled,
nothing orphaned, nothing lost and a sound database.

Per round: apply a new revision of a Deployment (new replica count and a template change,
so a rolling update runs) and a new ConfigMap, kill -9 the daemon after a random delay,
restart it, and check (by polling, with a deadline):

- the Deployment is complete: replicas Running with the newest template, no other pods;
- no duplicate container: at most one live run per (pod, container), judged both from the
  run dirs ({home}/pods/{uid}/{container}/{attempt}/run.json, pid + create time) and from
  the process table (shim processes by their run dir);
- no orphan: no live run or shim for a pod uid that no longer exists;
- no lost object: every ConfigMap created so far is there;
- `PRAGMA integrity_check` = ok on state.db.

Half the rounds let the CLI converge too (CLI and daemon race under the kubelet lock), half
set PKUBE_NO_CONVERGE=1 so the daemon alone does the work it is killed in the middle of.
5 rounds in CI, 50 with --soak.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time

import yaml
from conftest import executable

from .probes import daemon_pid, integrity, live_runs, pods, shim_processes, start_daemon


def deployment(replicas: int, gen: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                         "terminationGracePeriodSeconds": 1,
                         "containers": [{"name": "app", "image": "busybox",
                                         "command": ["sleep", "3600"],
                                         "env": [{"name": "GEN", "value": str(gen)}]}]}}}}


def configmap(i: int) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"keep-{i}"}, "data": {"i": str(i)}}


def converged(kube, replicas: int, gen: int, kept: int):
    """None when everything holds, else a short description of what does not (yet)."""
    dep = json.loads(kube.ok("get", "deploy", "web", "-o", "json"))
    st = dep.get("status", {})
    if dep["metadata"].get("generation") != st.get("observedGeneration"):
        return f"observedGeneration {st.get('observedGeneration')} != {dep['metadata'].get('generation')}"
    for field in ("updatedReplicas", "readyReplicas", "availableReplicas", "replicas"):
        if st.get(field, 0) != replicas:
            return f"status.{field} = {st.get(field, 0)}, want {replicas}"
    items = pods(kube)
    web = [p for p in items if p["metadata"].get("labels", {}).get("app") == "web"]
    if len(web) != replicas:
        return f"{len(web)} web pods ({[p['metadata']['name'] for p in web]}), want {replicas}"
    for p in web:
        env = p["spec"]["containers"][0].get("env", [])
        if p["status"].get("phase") != "Running" or p["metadata"].get("deletionTimestamp"):
            return f"pod {p['metadata']['name']} is {p['status'].get('phase')}"
        if {"name": "GEN", "value": str(gen)} not in env:
            return f"pod {p['metadata']['name']} runs an old template"
    uids = {p["metadata"]["uid"] for p in items}
    runs = live_runs(kube.home)
    doubled = {k: v for k, v in runs.items() if len(v) > 1}
    if doubled:
        return f"duplicate containers: {doubled}"
    orphans = {k for k in runs if k[0] not in uids}
    if orphans:
        return f"orphan runs: {orphans}"
    shims = shim_processes(kube.home)
    if any(n > 1 for n in shims.values()):
        return f"duplicate shims: {shims}"
    if any(uid not in uids for uid, _c in shims):
        return f"orphan shims: {shims}"
    for p in web:
        if (p["metadata"]["uid"], "app") not in runs:
            return f"pod {p['metadata']['name']} has no live container"
    names = set(kube.ok("get", "cm", "-o", "name").split())
    missing = [i for i in range(kept) if f"configmap/keep-{i}" not in names]
    if missing:
        return f"lost configmaps {missing}"
    return None


def test_kill_9_of_the_daemon_during_applies_and_rollouts(kube, soak):
    rounds = 50 if soak else 5
    rng = random.Random(int(os.environ.get("PKUBE_CRASH_SEED", "1234")))
    start_daemon(kube)
    kube.ok("apply", "-f", "-", input=yaml.safe_dump_all([deployment(2, 0), configmap(0)]))
    history = []
    for r in range(1, rounds + 1):
        replicas, gen = rng.choice([1, 2, 3, 4]), r
        loops_in_cli = r % 2 == 0
        delay = rng.uniform(0.0, 2.0)
        env = dict(kube.env, **({} if loops_in_cli else {"PKUBE_NO_CONVERGE": "1"}))
        apply = subprocess.Popen([executable("pkubectl"), "apply", "-f", "-"], env=env, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 start_new_session=True)
        kube.started.append(apply)
        apply.stdin.write(yaml.safe_dump_all([deployment(replicas, gen), configmap(r)]))
        apply.stdin.close()
        time.sleep(delay)
        victim = daemon_pid(kube.home)
        os.kill(victim, signal.SIGKILL)
        history.append(f"round {r}: replicas={replicas} cli-loops={loops_in_cli} kill after {delay:.2f}s")
        apply.wait(timeout=180)
        out, err = apply.stdout.read(), apply.stderr.read()
        assert apply.returncode == 0, (history, out, err)
        assert "Traceback" not in err
        kube.wait_for(lambda: not _alive(victim), timeout=10, message="the killed daemon gone")
        start_daemon(kube)
        why = []

        def ok():
            why[:] = [converged(kube, replicas, gen, r + 1)]
            return why[0] is None

        kube.wait_for(ok, timeout=120, interval=0.5, message=f"convergence after {history[-1]}: {why}")
        assert integrity(kube.home) == "ok", history
    log = open(os.path.join(kube.home, "daemon.log"), encoding="utf-8", errors="replace").read()
    assert "database disk image is malformed" not in log


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
