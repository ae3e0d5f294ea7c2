"""One pod's sync: sandbox (pod IP, volumes), init containers in order, app containers with
restart policy and back-off, probe results, and the pod status (the kubelet's SyncPod).

A PodWorker lives for one sync. It reads the runtime's facts from the pod directory
(runtime.process.load/status of the latest attempt of each container), decides, acts, and
writes the status when it differs. Decisions that must survive the process (back-off,
probe counts, which exit was already reported) are saved in pod.json.

A container with a postStart hook is not Running (nor probed) until its hook run has
exited 0; a failed hook kills it (FailedPostStartHook) and it restarts per restartPolicy.
Kills (liveness, startup, postStart) are begun here and finished by later syncs
(Kubelet.begin_stop / advance_stop), so a long grace period never blocks the node.
ConfigMap/Secret/downwardAPI volumes are refreshed from their sources while the pod runs.

Why an exit is "reported" once before a restart: the kubelet shows a crashed container as
terminated (STATUS Error / Completed) before its next sync restarts it or puts it in
CrashLoopBackOff; `get pods -w` users and scripts see that Error, so we keep that step.
"""
from __future__ import annotations

import copy
import os
import time

from pkubelet import envs, podstate, podstatus, probing, restarts, volumes

CRASH_MESSAGE = "back-off %s restarting failed container=%s pod=%s"
# How often a running pod's configMap/secret/downwardAPI volumes are compared with their
# sources (the kubelet's sync period plus cache TTL is about a minute; files are small here).
VOLUME_REFRESH = float(os.environ.get("PKUBE_VOLUME_REFRESH", "2"))
MIN_KILL_GRACE = 2.0


def _go_duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 60:
        m, s = divmod(seconds, 60)
        return "%dm%ds" % (m, s)
    return "%ds" % seconds


def parse_time(text: str) -> float:
    import calendar

    try:
        return float(calendar.timegm(time.strptime((text or "")[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return 0.0


def pod_ref(pod: dict) -> str:
    """format.Pod: name_namespace(uid), as the kubelet names a pod in its messages."""
    m = pod["metadata"]
    return "%s_%s(%s)" % (m.get("name"), m.get("namespace"), m.get("uid"))


class Facts:
    """The latest run of one container and the run before it, from the pod directory."""

    __slots__ = ("attempt", "record", "state", "prev_record", "prev_state")

    def __init__(self, home: str, uid: str, name: str):
        from pkubelet.runtime import process

        self.attempt, self.record, self.state = None, None, None
        self.prev_record, self.prev_state = None, None
        numbers = podstate.attempts(home, uid, name)
        if not numbers:
            return
        self.attempt = numbers[-1]
        self.record = process.load(podstate.run_dir(home, uid, name, numbers[-1]))
        if self.record is not None and self.record.pid is None and self.record.shim_pid is None \
                and not os.path.exists(self.record.exit_path):
            self.record = None  # set up but never launched: start it again in the same dir
        if self.record is not None:
            self.state = process.status(self.record)
        for n in reversed(numbers[:-1]):
            rec = process.load(podstate.run_dir(home, uid, name, n))
            if rec is not None:
                self.prev_record, self.prev_state = rec, process.status(rec)
                break

    @property
    def running(self) -> bool:
        from pkubelet.runtime import process

        return isinstance(self.state, process.Running)

    @property
    def exited(self) -> bool:
        from pkubelet.runtime import process

        return isinstance(self.state, process.Exited)


def terminated(record, exited) -> dict:
    out = {"containerID": "pkube://%s" % record.pid if record.pid else "", "exitCode": exited.exit_code,
           "finishedAt": exited.finished_at, "reason": exited.reason, "startedAt": record.started_at}
    if exited.message:
        out["message"] = exited.message
    if not out["containerID"]:
        del out["containerID"]
    return out


class PodWorker:
    def __init__(self, kubelet, pod: dict, state: "podstate.PodState | None"):
        self.kl, self.pod = kubelet, pod
        self.home, self.uid = kubelet.home, pod["metadata"]["uid"]
        self.spec = pod.get("spec") or {}
        self.state = state
        self.changes = 0
        self.now = time.time()
        self.facts: dict = {}

    # -- helpers ----------------------------------------------------------------------------
    def fact(self, name: str, refresh: bool = False) -> Facts:
        if refresh or name not in self.facts:
            self.facts[name] = Facts(self.home, self.uid, name)
        return self.facts[name]

    def event(self, type_: str, reason: str, message: str, container: dict | None = None,
              init: bool = False) -> None:
        path = ""
        if container is not None:
            path = self.field_path(container, init)
        self.kl.event(self.pod, type_, reason, message, path)

    @staticmethod
    def field_path(container: dict, init: bool) -> str:
        return "spec.%s{%s}" % ("initContainers" if init else "containers", container.get("name"))

    @property
    def pod_ip(self) -> str:
        return (self.state or {}).get("podIP", "")

    def grace(self, probe: dict | None = None) -> float:
        if probe and probe.get("terminationGracePeriodSeconds") is not None:
            return float(probe["terminationGracePeriodSeconds"])
        g = self.spec.get("terminationGracePeriodSeconds")
        return float(30 if g is None else g)

    def kill_grace(self, probe: dict | None = None) -> float:
        """The grace of a kill the kubelet decides itself (probe, postStart): never under
        2 s (killContainer's minimumGracePeriodInSeconds); pod deletion uses its own."""
        return max(MIN_KILL_GRACE, self.grace(probe))

    # -- sandbox ----------------------------------------------------------------------------
    def ensure_sandbox(self) -> bool:
        """Pod IP and volumes; False while volumes cannot be set up (ContainerCreating)."""
        if self.state is None:
            ip = self.kl.allocate_ip()
            self.state = podstate.PodState.create(
                self.home, self.uid, node=self.kl.node_name, podIP=ip,
                namespace=self.pod["metadata"].get("namespace"), name=self.pod["metadata"].get("name"),
                startTime=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now)),
                grace=self.grace())
            self.changes += 1
        if self.state.get("volumesReady"):
            self.refresh_volumes()
            return True
        failure = self.state.get("volumeFailure")
        if failure and restarts.in_backoff(failure.get("backoff"), failure.get("at", 0), self.now):
            return False
        try:
            dirs = volumes.materialise(self.kl.api, self.pod, self.home, pod_ip=self.pod_ip,
                                       host_ip=self.kl.host_ip, allocatable=self.kl.allocatable)
        except volumes.VolumeError as err:
            self.state["volumeFailure"] = {"at": self.now, "message": err.message,
                                           "backoff": restarts.next_backoff((failure or {}).get("backoff"), self.now)}
            self.state.save()
            self.event("Warning", "FailedMount", err.message)
            self.changes += 1
            return False
        self.state.pop("volumeFailure", None)
        self.state["volumesReady"] = True
        self.state["volumeDirs"] = dirs
        self.state.save()
        notes = volumes.unmounted(self.pod, dirs)
        if notes:
            self.event("Warning", "VolumeMountsNotMade",
                       "volumes are not mounted at their mountPath (" + volumes.why_unmounted() +
                       "); their files are at: " + "; ".join(notes))
        return True

    def refresh_volumes(self) -> None:
        """ConfigMap/Secret/downwardAPI files follow their sources while the pod runs (the
        kubelet's periodic volume remount), at most every VOLUME_REFRESH seconds."""
        if self.now - float(self.state.get("volumesRefreshed") or 0) < VOLUME_REFRESH \
                or not volumes.refreshable(self.pod):
            return
        volumes.refresh(self.kl.api, self.pod, self.home, pod_ip=self.pod_ip, host_ip=self.kl.host_ip,
                        allocatable=self.kl.allocatable)
        self.state["volumesRefreshed"] = self.now
        self.state.save()

    # -- probes -----------------------------------------------------------------------------
    def due_probes(self) -> list:
        """[(container name, kind, probe, pod ip, env, cwd)] for the kubelet to run now."""
        if self.state is None or self.pod["metadata"].get("deletionTimestamp"):
            return []
        jobs = []
        for c in self._probed_containers():
            f = self.fact(c["name"])
            if not f.running or f.record is None or not self.live(c, f):
                continue
            probes = probing.state_for(self.state.container(c["name"]), f.attempt)
            started_at = f.record.create_time or parse_time(f.record.started_at)
            for kind, probe in probing.due(c, probes, started_at, self.now):
                jobs.append((c["name"], kind, probing.runnable(probe, c), self.pod_ip,
                             f.record.env, f.record.cwd))
        return jobs

    def _probed_containers(self) -> list:
        sidecars = [c for c in self.spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
        return sidecars + list(self.spec.get("containers") or [])

    def apply_probe_results(self, results: dict) -> None:
        for c in self._probed_containers():
            f = self.fact(c["name"])
            if not f.running or not self.live(c, f):
                continue
            entry = self.state.container(c["name"])
            probes = probing.state_for(entry, f.attempt)
            for kind, field in probing.KINDS:
                key = (self.uid, c["name"], kind)
                if key not in results:
                    continue
                ok, message = results[key]
                verdict = probing.record(probes, kind, c[field], ok, self.now)
                self.state.save()
                if not ok:
                    self.event("Warning", "Unhealthy", "%s probe failed: %s" % (probing.LABEL[kind], message), c)
                    self.changes += 1
                if verdict == "kill":
                    self.event("Normal", "Killing", "Container %s failed %s probe, will be restarted"
                               % (c["name"], kind), c)
                    self.kl.begin_stop(self.pod, c, f.record, self.kill_grace(c[field]), self.pod_ip)
                    self.changes += 1
                    break

    # -- postStart hook and stops in progress ----------------------------------------------
    def post_start(self, c: dict, f: Facts) -> str:
        """The postStart hook of the current run: "none", "running", "ok" or "failed"."""
        from pkubelet.runtime import process

        if not ((c.get("lifecycle") or {}).get("postStart")) or f.record is None:
            return "none"
        hook = process.load(os.path.join(f.record.run_dir, "poststart"))
        if hook is None:
            return "none"  # a run started before the hook existed, or before this pkube
        state = process.status(hook)
        if isinstance(state, process.Running):
            return "running"
        return "ok" if state.exit_code == 0 else "failed"

    def live(self, c: dict, f: Facts) -> bool:
        """Running, past its postStart hook and not being killed: probes and readiness apply."""
        from pkubelet.runtime import process

        return f.running and process.stopping(f.record) is None and self.post_start(c, f) in ("none", "ok")

    def sync_post_start(self, c: dict, f: Facts, init: bool) -> str:
        """A running container whose postStart hook failed is killed (it restarts per the
        restart policy), as the kubelet's startContainer does; "running" once the hook is done."""
        hook = self.post_start(c, f)
        if hook == "running":
            return "starting"
        if hook != "failed":
            return "running"
        from pkubelet.runtime import process

        entry = self.state.container(c["name"])
        hook_dir = os.path.join(f.record.run_dir, "poststart")
        message = self.kl.hook_failure(self.pod, c, "postStart", hook_dir,
                                       process.status(process.load(hook_dir)))
        entry["waiting"] = {"reason": "PostStartHookError", "message": message}
        self.state.save()
        # the kubelet keeps the handler's output out of the Event (it may hold secrets)
        self.event("Warning", "FailedPostStartHook", "PostStartHook failed", c, init)
        self.event("Normal", "Killing", "FailedPostStartHook", c, init)
        self.kl.begin_stop(self.pod, c, f.record, self.kill_grace(), self.pod_ip)
        self.changes += 1
        return "stopping"

    # -- containers -------------------------------------------------------------------------
    def sync_container(self, c: dict, policy: str, init: bool) -> str:
        """Drive one container a step; returns running / done / failed / waiting / exited."""
        name = c["name"]
        f = self.fact(name)
        entry = self.state.container(name)
        if f.record is None:
            return self.start(c, f.attempt or 0, init, restart=False)
        if f.running:
            from pkubelet.runtime import process

            if process.stopping(f.record) is not None:  # a kill in progress (probe, hook)
                progress = self.kl.advance_stop(self.pod, c, f.record, self.field_path(c, init))
                self.changes += int(progress.acted)
                f = self.fact(name, refresh=True)
                if f.running:
                    return "stopping"
            else:
                return self.sync_post_start(c, f, init)
        code = f.state.exit_code
        if init and code == 0:
            return "done"
        if entry.get("reported") != f.attempt:
            if c.get("lifecycle"):
                from pkubelet.kubelet import reap_hooks

                reap_hooks(f.record)  # a hook never outlives its container
            entry["reported"] = f.attempt
            self.state.save()
            self.changes += 1
            return "exited"
        if not restarts.should_restart(policy, code):
            if (entry.get("waiting") or {}).get("reason") == "PostStartHookError":
                entry.pop("waiting")  # shown only while a restart is coming, as the kubelet does
                self.state.save()
            return "done" if code == 0 else "failed"
        finished = parse_time(f.state.finished_at) or self.now
        backoff = entry.get("backoff")
        if restarts.in_backoff(backoff, finished, self.now):
            waiting = entry.get("waiting") or {}
            if waiting.get("reason") != "CrashLoopBackOff":
                entry["waiting"] = {"reason": "CrashLoopBackOff", "message": CRASH_MESSAGE % (
                    _go_duration(backoff["seconds"]), name, pod_ref(self.pod))}
                self.state.save()
                self.event("Warning", "BackOff", "Back-off restarting failed container %s in pod %s"
                           % (name, pod_ref(self.pod)), c, init)
                self.changes += 1
            return "waiting"
        return self.start(c, f.attempt + 1, init, restart=True)

    def _fail_start(self, c: dict, init: bool, reason: str, message: str, events: list) -> str:
        entry = self.state.container(c["name"])
        previous = entry.get("startFailure") or {}
        entry["startFailure"] = {"reason": reason, "message": message, "at": self.now,
                                 "backoff": restarts.next_backoff(previous.get("backoff"), self.now)}
        entry["waiting"] = {"reason": reason, "message": message}
        self.state.save()
        for type_, ev_reason, text in events:
            self.event(type_, ev_reason, text, c, init)
        self.changes += 1
        return "waiting"

    def start(self, c: dict, attempt: int, init: bool, restart: bool) -> str:
        from pkubelet.runtime import command, images, process

        name, image_name = c["name"], str(c.get("image") or "")
        entry = self.state.container(name)
        failure = entry.get("startFailure")
        if failure and restarts.in_backoff(failure.get("backoff"), failure.get("at", 0), self.now):
            if failure["reason"] == "ErrImagePull" and (entry.get("waiting") or {}).get("reason") != "ImagePullBackOff":
                message = 'Back-off pulling image "%s"' % image_name
                entry["waiting"] = {"reason": "ImagePullBackOff", "message": message}
                self.state.save()
                self.event("Normal", "BackOff", message, c, init)
                self.event("Warning", "Failed", "Error: ImagePullBackOff", c, init)
                self.changes += 1
            return "waiting"
        try:
            image = images.resolve_for_container(c, self.kl.images_config)
        except images.ImageNotMapped as err:
            return self._fail_start(c, init, "ErrImagePull", err.message, [
                ("Warning", "Failed", 'Failed to pull image "%s": %s' % (image_name, err.message)),
                ("Warning", "Failed", "Error: ErrImagePull")])
        try:
            env = envs.container_env(self.kl.api, self.pod, c, pod_ip=self.pod_ip, host_ip=self.kl.host_ip,
                                     image=image, node_allocatable=self.kl.allocatable)
            argv = command.build_argv(c, image, env)
        except envs.ConfigError as err:
            return self._fail_start(c, init, "CreateContainerConfigError", err.message,
                                    [("Warning", "Failed", "Error: " + err.message)])
        except ValueError as err:
            return self._fail_start(c, init, "RunContainerError", str(err),
                                    [("Warning", "Failed", "Error: " + str(err))])
        if c.get("imagePullPolicy") == "Always" and image is not None:
            self.event("Normal", "Pulling", 'Pulling image "%s"' % image_name, c, init)
            self.event("Normal", "Pulled", image.pulled_message(), c, init)
        else:
            self.event("Normal", "Pulled", 'Container image "%s" already present on machine' % image_name, c, init)
        cwd = c.get("workingDir") or getattr(image, "working_dir", None)
        run_dir = podstate.run_dir(self.home, self.uid, name, attempt)
        entry.pop("startFailure", None)
        entry.pop("waiting", None)
        entry["imageID"] = max(images.spellings(image_name), key=len) if image_name else ""
        if restart:
            entry["backoff"] = restarts.next_backoff(entry.get("backoff"), self.now)
        self.state.save()
        self.changes += 1
        from pkubelet import hosts  # /etc/hosts with the Services, in a private mount namespace

        from pkubelet import mountns  # volumes at their mountPath, in the same namespace

        wrapped = hosts.prepare(self.kl.api, self.pod, self.home, self.pod_ip, argv, env,
                                lambda type_, reason, message: self.event(type_, reason, message),
                                binds=mountns.volume_binds(c, self.state.get("volumeDirs") or {}),
                                stage_dir=os.path.join(run_dir, "overlay"), cwd=cwd)
        try:
            # a wrapped command changes to cwd inside its namespace, where a workingDir
            # under a mountPath exists; the shim starts it from "/"
            process.start(run_dir, wrapped, env, cwd, stdin=bool(c.get("stdin")),
                          shim_cwd="/" if wrapped is not argv else None)
        except process.StartError as err:
            if err.record is None:
                return self._fail_start(c, init, "RunContainerError", err.message,
                                        [("Warning", "Failed", "Error: " + err.message)])
            self.event("Normal", "Created", "Created container: %s" % name, c, init)
            self.event("Warning", "Failed", "Error: " + err.message, c, init)
            self.fact(name, refresh=True)
            return "exited"
        self.event("Normal", "Created", "Created container: %s" % name, c, init)
        self.event("Normal", "Started", "Started container %s" % name, c, init)
        f = self.fact(name, refresh=True)
        if (c.get("lifecycle") or {}).get("postStart") and f.record is not None:
            # run beside the container; it is not Running (nor probed) until the hook is done
            self.kl.start_hook(c, f.record, "postStart", self.pod_ip)
            return self.sync_post_start(c, f, init)
        return "running"

    # -- the sync ---------------------------------------------------------------------------
    def sync(self, probe_results: dict) -> int:
        policy = self.spec.get("restartPolicy") or "Always"
        sandbox = self.ensure_sandbox()
        initialized = False
        if sandbox:
            self.apply_probe_results(probe_results)
            initialized = True
            init_policy = "OnFailure" if policy == "Always" else policy
            for c in self.spec.get("initContainers") or []:
                if c.get("restartPolicy") == "Always":  # sidecar: runs alongside, restarts always
                    if self.sync_container(c, "Always", True) != "running":
                        initialized = False
                        break
                    if not probing.started(c, probing.state_for(self.state.container(c["name"]),
                                                                self.fact(c["name"]).attempt)):
                        initialized = False
                        break
                    continue
                if self.sync_container(c, init_policy, True) != "done":
                    initialized = False
                    break
            if initialized:
                for c in self.spec.get("containers") or []:
                    self.sync_container(c, policy, False)
        self.write_status(sandbox, initialized)
        return self.changes

    # -- status -----------------------------------------------------------------------------
    def container_status(self, c: dict, default_reason: str) -> dict:
        name = c["name"]
        entry = self.state.container(name) if self.state is not None else {}
        f = self.fact(name) if self.state is not None else None
        out = {"name": name, "image": c.get("image", ""), "imageID": entry.get("imageID", ""),
               "ready": False, "restartCount": (f.attempt or 0) if f else 0, "started": False,
               "state": {}, "lastState": {}}
        waiting = entry.get("waiting")
        if f is None or f.record is None:
            out["state"] = {"waiting": dict(waiting) if waiting else {"reason": default_reason}}
            return out
        if f.prev_record is not None and f.prev_state is not None and hasattr(f.prev_state, "exit_code"):
            out["lastState"] = {"terminated": terminated(f.prev_record, f.prev_state)}
        if f.record.pid:
            out["containerID"] = "pkube://%d" % f.record.pid
        hook = self.post_start(c, f) if f.running else "none"
        if hook == "running":  # the kubelet has not finished starting it
            out["state"] = {"waiting": {"reason": "ContainerCreating"}}
        elif hook == "failed" and waiting:
            out["state"] = {"waiting": dict(waiting)}
        elif f.running:
            probes = probing.state_for(entry, f.attempt)
            out["state"] = {"running": {"startedAt": f.record.started_at}}
            out["started"] = probing.started(c, probes)
            out["ready"] = probing.ready(c, probes)
        elif waiting:
            out["state"] = {"waiting": dict(waiting)}
            out["lastState"] = {"terminated": terminated(f.record, f.state)}
        else:
            out["state"] = {"terminated": terminated(f.record, f.state)}
        return out

    def write_status(self, sandbox: bool, initialized: bool) -> None:
        from pkubectl.api import errors

        init_specs = self.spec.get("initContainers") or []
        init_statuses = [self.container_status(c, "PodInitializing") for c in init_specs]
        app_reason = "ContainerCreating" if initialized or not init_specs else "PodInitializing"
        statuses = [self.container_status(c, app_reason) for c in self.spec.get("containers") or []]
        old = self.pod.get("status") or {}
        status = copy.deepcopy(old)
        phase = podstatus.phase(self.spec, init_statuses, statuses)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now))
        status["phase"] = phase
        status["conditions"] = podstatus.merge_conditions(
            old.get("conditions"), podstatus.conditions(self.spec, init_statuses, statuses, phase,
                                                        sandbox and self.state is not None), now)
        host_ip = self.kl.host_ip
        status["hostIP"], status["hostIPs"] = host_ip, [{"ip": host_ip}]
        if self.pod_ip:
            status["podIP"], status["podIPs"] = self.pod_ip, [{"ip": self.pod_ip}]
        if self.state is not None and self.state.get("startTime"):
            status["startTime"] = self.state["startTime"]
        if init_specs:
            status["initContainerStatuses"] = init_statuses
        else:
            status.pop("initContainerStatuses", None)
        status["containerStatuses"] = statuses
        if status == old:
            return
        pod = dict(self.pod)
        pod["status"] = status
        try:
            self.pod = self.kl.api.update_status(pod)
        except errors.ApiError as err:
            if err.code not in (404, 409):
                raise
        self.changes += 1
