"""Start, watch, stop and adopt container processes: pkube's containerd + conmon.

The kubelet may be a short-lived CLI call or a daemon that is kill -9'd and restarted, so
nothing here keeps state in memory. Each container run owns a directory:

    run_dir/
      run.json       RunRecord: argv, env, cwd, log/exit paths, shim and container pid +
                     create time, startedAt (written atomically, mode 0600: env may hold secrets)
      pids           "SHIM_PID CONTAINER_PID", written by the shim itself (recovers a run
                     whose launcher died before it could write run.json)
      exit.json      {"exitCode", "signal", "finishedAt", ["reason", "message"]}, written by
                     the shim atomically when the container exits
      container.log  CRI log (unless the caller chose another log_path)
      stdin          FIFO, only for stdin=True containers (open it to write to the container)
      shim.log       the shim's own stderr, for debugging the runtime itself
      stop.json      a graceful stop in progress (request_stop): its wall-clock deadline,
                     whether SIGTERM was sent, the hook run it waits for first
      prestop/, poststart/   runs of the container's lifecycle hooks (same layout)

Every run goes through a shim (shim.c, or shim.py without a compiler) that outlives the
kubelet, so status is read from files and from /proc, never from a parent's wait().
Identity is pid + create time (psutil), so a reused pid is never mistaken for ours.

Start failures (executable not found, bad working dir) raise StartError *and* leave the
same facts on disk: exit.json with exitCode 128 and reason "StartError", and the message as
a stderr line in the log. So a kubelet that crashed mid-start sees the same result.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from pathlib import Path

RUN_FILE, PIDS_FILE, EXIT_FILE, LOG_FILE, STDIN_FIFO, STOP_FILE = (
    "run.json", "pids", "exit.json", "container.log", "stdin", "stop.json")

VOLUMES_DIR_NAME = "volumes"  # pkubelet.podstate.VOLUMES_DIR: never holds runs
START_TIMEOUT = 10.0  # how long start() waits for the shim's report before giving up
SHIM_EXIT_TIMEOUT = 5.0  # after SIGKILL, how long the shim may take to record the exit
POLL_INTERVAL = 0.02  # between checks while waiting for a process to go
CREATE_TIME_TOLERANCE = 0.01  # psutil create times are tick-exact; allow float noise
LOST_EXIT_CODE = 137  # the shim died without an exit file: report as killed


class StartError(Exception):
    """The container could not start (RunContainerError); the run is recorded as exited."""

    reason = "RunContainerError"

    def __init__(self, message: str, record: "RunRecord | None" = None, exit_code: int = 128):
        super().__init__(message)
        self.message, self.record, self.exit_code = message, record, exit_code


@dataclasses.dataclass
class RunRecord:
    """What run.json holds: enough to find, judge, exec into and stop one container run."""

    run_dir: str
    argv: list
    env: dict
    cwd: str | None
    stdin: bool
    log_path: str
    exit_path: str
    started_at: str = ""  # RFC3339 UTC, like status.containerStatuses[].state.running.startedAt
    shim: str = ""  # "c" or "python"
    shim_pid: int | None = None
    shim_create_time: float | None = None
    pid: int | None = None  # the container's main process; also its process group id
    create_time: float | None = None

    def save(self) -> None:
        _atomic_write(os.path.join(self.run_dir, RUN_FILE), json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_json(cls, text: str) -> "RunRecord":
        doc = json.loads(text)
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in names})


@dataclasses.dataclass(frozen=True)
class Running:
    started_at: str
    pid: int | None


@dataclasses.dataclass(frozen=True)
class Exited:
    """A terminated container, with Kubernetes' reason: Completed, Error or StartError."""

    exit_code: int
    signal: int | None
    finished_at: str
    reason: str
    message: str = ""


# --- shims -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Shim:
    kind: str  # "c" or "python"
    argv: tuple  # command prefix; the shim's own arguments follow


_default_shims: dict = {}


def default_bin_dir() -> str:
    home = os.environ.get("PKUBE_HOME")
    if home:
        return os.path.join(home, "bin")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(cache, "pkube", "bin")


def find_shim(bin_dir: str | None = None, kind: str = "auto") -> Shim:
    """The shim to launch containers with: the compiled C shim when possible.

    ``kind`` is "auto" (C, else Python), "c" (raise if it cannot be built) or "python".
    The binary is named after a hash of shim.c, so an upgraded pkube never runs a stale shim.
    """
    bin_dir = bin_dir or default_bin_dir()
    key = (bin_dir, kind)
    if key not in _default_shims:
        shim = None
        if kind in ("auto", "c"):
            path = compile_c_shim(bin_dir)
            if path:
                shim = Shim("c", (path,))
            elif kind == "c":
                raise RuntimeError("cannot build the C shim: no working C compiler (cc)")
        if shim is None:
            import sys
            shim = Shim("python", (sys.executable, "-I", "-S", str(Path(__file__).with_name("shim.py"))))
        _default_shims[key] = shim
    return _default_shims[key]


def compile_c_shim(bin_dir: str) -> str | None:
    """Build shim.c into bin_dir once (atomically); None when no compiler works."""
    import hashlib
    import shutil
    import subprocess

    src = Path(__file__).with_name("shim.c")
    digest = hashlib.sha256(src.read_bytes()).hexdigest()[:12]
    target = os.path.join(bin_dir, "pkube-shim-" + digest)
    if os.access(target, os.X_OK):
        return target
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        return None
    os.makedirs(bin_dir, mode=0o700, exist_ok=True)
    tmp = "%s.tmp.%d" % (target, os.getpid())
    try:
        done = subprocess.run([cc, "-O2", "-o", tmp, str(src)], capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return None
    os.replace(tmp, target)
    return target


# --- start -----------------------------------------------------------------------------------

def start(run_dir: str, argv: list, env: dict, cwd: str | None, stdin: bool = False, *,
          log_path: str | None = None, shim: Shim | None = None, shim_cwd: str | None = None) -> RunRecord:
    """Start ``argv`` as a container run in ``run_dir`` (created if missing) and return its record.

    ``env`` is the container's whole environment; when it has no PATH the host's is added
    (as an image's ENV PATH would be). ``cwd`` None means "/", Kubernetes' default.
    ``shim_cwd``: where the shim starts argv when that is not ``cwd`` — argv enters the
    container's mount namespace and changes to ``cwd`` itself (mountns.wrap).
    Raises StartError when the process cannot be started; see the module docstring.
    """
    import select
    import subprocess

    if not argv:
        raise StartError("no command specified")
    shim = shim or find_shim()
    os.makedirs(run_dir, mode=0o700, exist_ok=True)
    env = {str(k): str(v) for k, v in env.items()}
    env.setdefault("PATH", os.environ.get("PATH") or "/usr/local/bin:/usr/bin:/bin")
    record = RunRecord(
        run_dir=run_dir, argv=[str(a) for a in argv], env=env, cwd=cwd or "/", stdin=stdin,
        log_path=log_path or os.path.join(run_dir, LOG_FILE),
        exit_path=os.path.join(run_dir, EXIT_FILE), shim=shim.kind)
    for stale in (record.exit_path, os.path.join(run_dir, PIDS_FILE)):
        if os.path.exists(stale):
            os.unlink(stale)
    stdin_arg = "-"
    if stdin:
        stdin_arg = os.path.join(run_dir, STDIN_FIFO)
        if not os.path.exists(stdin_arg):
            os.mkfifo(stdin_arg, 0o600)
    record.save()  # the Python shim reads env from here; a crashed launcher leaves a trace

    cmd = list(shim.argv)
    if shim.kind == "python":
        cmd += ["--env-from", os.path.join(run_dir, RUN_FILE)]
    cmd += [record.log_path, record.exit_path, os.path.join(run_dir, PIDS_FILE), stdin_arg,
            shim_cwd or record.cwd, "--"] + record.argv
    report_r, report_w = os.pipe()
    try:
        with open(os.path.join(run_dir, "shim.log"), "ab") as shim_log:
            launcher = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=report_w,
                                        stderr=shim_log, env=env, cwd=run_dir, close_fds=True)
        os.close(report_w)
        report_w = -1
        text, deadline = b"", time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([report_r], [], [], deadline - time.monotonic())
            chunk = os.read(report_r, 4096) if ready else b""
            if not chunk:
                break
            text += chunk
        launcher.wait(timeout=START_TIMEOUT)  # the shim's first process exits at once
    finally:
        os.close(report_r)
        if report_w >= 0:
            os.close(report_w)
    record.started_at = _rfc3339(time.time())
    fields = text.decode(errors="replace").rstrip("\n").split(" ", 4)
    if len(fields) < 3 or fields[0] not in ("ok", "fail"):
        raise StartError("container shim did not report (see %s)" % os.path.join(run_dir, "shim.log"),
                         record)
    record.shim_pid, record.pid = int(fields[1]), int(fields[2])
    record.shim_create_time = _create_time(record.shim_pid)
    record.create_time = _create_time(record.pid)
    record.save()
    if fields[0] == "fail":
        raise StartError(fields[4] if len(fields) > 4 else "start failed", record, int(fields[3]))
    return record


# --- status ----------------------------------------------------------------------------------

def status(record: RunRecord) -> Running | Exited:
    """Running, or Exited with Kubernetes' reason (Completed / Error / StartError).

    A run whose shim and container are both gone without an exit file (everything was
    SIGKILLed, or the machine rebooted) is recorded as exit 137, reason Error, so the answer
    stays the same on every later call.
    """
    done = _read_exit(record)
    if done:
        return done
    if _alive(record.shim_pid, record.shim_create_time) or _alive(record.pid, record.create_time):
        return Running(record.started_at, record.pid)
    done = _read_exit(record)  # the shim may have written it and exited between the checks
    if done:
        return done
    _atomic_write(record.exit_path, json.dumps({
        "exitCode": LOST_EXIT_CODE, "signal": signal.SIGKILL.value,
        "finishedAt": _rfc3339(time.time()), "reason": "Error",
        "message": "container monitor died without recording the exit status"}))
    return _read_exit(record)


def _read_exit(record: RunRecord) -> Exited | None:
    try:
        with open(record.exit_path) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    code = int(doc.get("exitCode", LOST_EXIT_CODE))
    reason = doc.get("reason") or ("Completed" if code == 0 else "Error")
    return Exited(code, doc.get("signal"), doc.get("finishedAt", ""), reason, doc.get("message", ""))


# --- stop ------------------------------------------------------------------------------------

def stop(record: RunRecord, grace_seconds: float) -> Exited:
    """SIGTERM the container's process group, SIGKILL it after the grace, and reap the shim."""
    current = status(record)
    if isinstance(current, Exited):
        return current
    if grace_seconds > 0:
        _signal_group(record, signal.SIGTERM)
        _wait_until(lambda: not _alive(record.pid, record.create_time)
                    or os.path.exists(record.exit_path), grace_seconds)
    _signal_group(record, signal.SIGKILL)
    if not _wait_until(lambda: os.path.exists(record.exit_path)
                       or not _alive(record.shim_pid, record.shim_create_time), SHIM_EXIT_TIMEOUT):
        _kill(record.shim_pid, record.shim_create_time, signal.SIGKILL)
    _wait_until(lambda: not _alive(record.shim_pid, record.shim_create_time), SHIM_EXIT_TIMEOUT)
    return status(record)


# --- graceful stop without waiting ------------------------------------------------------------
#
# A kubelet sync must not sit through a grace period (it would hold up every other pod of
# the node, and the CLI waiting for the node's lock). So a stop is a small state machine on
# disk, advanced by whichever sync comes next (a CLI's or the daemon's, even after a kill -9):
#
#   request_stop()  records stop.json {requestedAt, deadline (wall clock), hook, holdUntil,
#                   termAt}; SIGTERM at once unless a preStop hook must finish first
#   advance_stop()  hook finished (or holdUntil passed) -> SIGTERM; deadline passed -> SIGKILL


@dataclasses.dataclass
class StopProgress:
    """What advance_stop() saw and did: the container's state, whether it signalled or
    recorded anything (a change for the caller to count), and the hook's exit when this
    call was the first to see the hook finish."""

    state: "Running | Exited"
    acted: bool = False
    hook_exit: "Exited | None" = None


def stopping(record: RunRecord) -> dict | None:
    """The stop in progress for this run (stop.json), or None."""
    try:
        with open(os.path.join(record.run_dir, STOP_FILE)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def request_stop(record: RunRecord, grace_seconds: float, *, hook_dir: str | None = None,
                 hold_until: float | None = None, now: float | None = None) -> bool:
    """Begin stopping the run without waiting; returns True when it wrote or signalled.

    The deadline counts from now (hooks included, as the kubelet's grace period does). A
    second request can only bring the deadline closer (a delete with a shorter grace).
    ``hook_dir`` is a run (a preStop hook) that must exit before SIGTERM; ``hold_until`` a
    wall-clock time before which SIGTERM waits (a sleep hook).
    """
    now = time.time() if now is None else now
    if isinstance(status(record), Exited):
        return False
    deadline = now + max(0.0, grace_seconds)
    current = stopping(record)
    if current is not None:
        if deadline >= current.get("deadline", deadline):
            return False
        current["deadline"] = deadline
        _save_stop(record, current)
        return True
    doc = {"requestedAt": now, "deadline": deadline, "grace": grace_seconds, "termAt": None,
           "hook": hook_dir, "holdUntil": hold_until, "hookSeen": False}
    _save_stop(record, doc)
    advance_stop(record, now=now)
    return True


def advance_stop(record: RunRecord, now: float | None = None) -> StopProgress:
    """One step of a stop begun by request_stop (see above); never waits for the grace."""
    now = time.time() if now is None else now
    doc = stopping(record)
    current = status(record)
    progress = StopProgress(current)
    if doc is None or isinstance(current, Exited):
        return progress
    hook = load(doc["hook"]) if doc.get("hook") else None
    hook_state = status(hook) if hook is not None else None
    if isinstance(hook_state, Exited) and not doc.get("hookSeen"):
        doc["hookSeen"] = True
        progress.hook_exit, progress.acted = hook_state, True
    if now >= doc["deadline"]:
        if hook is not None and isinstance(hook_state, Running):
            _signal_group(hook, signal.SIGKILL)
        _signal_group(record, signal.SIGKILL)
        if doc.get("killAt") is None:
            doc["killAt"] = now
            progress.acted = True
        elif now - doc["killAt"] > SHIM_EXIT_TIMEOUT:
            _kill(record.shim_pid, record.shim_create_time, signal.SIGKILL)  # a stuck monitor
    elif doc.get("termAt") is None:
        hook_running = isinstance(hook_state, Running)
        if not hook_running and now >= (doc.get("holdUntil") or 0):
            _signal_group(record, signal.SIGTERM)
            doc["termAt"] = now
            progress.acted = True
    if progress.acted:
        _save_stop(record, doc)
    progress.state = status(record)
    return progress


def _save_stop(record: RunRecord, doc: dict) -> None:
    _atomic_write(os.path.join(record.run_dir, STOP_FILE), json.dumps(doc))


def settle(records: list, timeout: float) -> None:
    """Wait up to ``timeout`` for runs just sent SIGTERM to go (a well-behaved process exits
    in milliseconds, so its pod can be removed in the same sync)."""
    _wait_until(lambda: all(isinstance(status(r), Exited) for r in records), timeout)


def kill_all_in(run_dir_root: str) -> list:
    """SIGKILL every run found under run_dir_root (any depth); returns their records.

    Directories named "volumes" are not searched: a pod's volumes hold files a user or a
    container wrote (a run.json there must never make us signal a process)."""
    stopped = []
    for parent, dirs, files in os.walk(run_dir_root):
        dirs[:] = [d for d in dirs if d != VOLUMES_DIR_NAME]
        if RUN_FILE in files:
            record = load(parent)
            if record is not None:
                stop(record, 0)
                stopped.append(record)
    return stopped


# --- adopt -----------------------------------------------------------------------------------

def load(run_dir: str) -> RunRecord | None:
    """The run recorded in run_dir, for a restarted kubelet to adopt; None when there is none.

    If the launcher died before recording pids, they are taken from the shim's pids file,
    and a process is accepted as ours only if it was created after the run was set up.
    """
    try:
        with open(os.path.join(run_dir, RUN_FILE)) as f:
            record = RunRecord.from_json(f.read())
    except (OSError, ValueError, TypeError):
        return None
    record.run_dir = run_dir
    if record.shim_pid is None:
        try:
            with open(os.path.join(run_dir, PIDS_FILE)) as f:
                shim_pid, pid = (int(x) for x in f.read().split())
        except (OSError, ValueError):
            return record
        setup_time = os.stat(os.path.join(run_dir, RUN_FILE)).st_mtime - 1.0
        record.shim_pid, record.pid = shim_pid, pid
        for attr, p in (("shim_create_time", shim_pid), ("create_time", pid)):
            created = _create_time(p)
            setattr(record, attr, created if created and created >= setup_time else -1.0)
        record.started_at = record.started_at or _rfc3339(os.stat(os.path.join(run_dir, PIDS_FILE)).st_mtime)
        record.save()
    return record


# --- usage -----------------------------------------------------------------------------------

def tree_usage(record: RunRecord) -> tuple:
    """(cpu_seconds_total, rss_bytes) of the container's process tree; (0.0, 0) when gone.

    CPU includes reaped children (a shell loop's commands), so it only ever grows.
    """
    import psutil

    proc = _process(record.pid, record.create_time)
    if proc is None:
        return 0.0, 0
    cpu, rss = 0.0, 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0.0, 0
    for i, p in enumerate(procs):
        try:
            t = p.cpu_times()
            cpu += t.user + t.system + (t.children_user + t.children_system if i == 0 else 0.0)
            rss += p.memory_info().rss
        except psutil.Error:
            continue
    return cpu, rss


def cpu_percent(cpu_before: float, cpu_after: float, wall_seconds: float) -> float:
    """CPU use between two tree_usage() samples, in percent of one core (like top)."""
    if wall_seconds <= 0:
        return 0.0
    return max(0.0, cpu_after - cpu_before) * 100.0 / wall_seconds


def millicores(cpu_before: float, cpu_after: float, wall_seconds: float) -> int:
    """The same, in Kubernetes CPU units (1000m = one core), as `kubectl top` and the HPA use."""
    return int(round(cpu_percent(cpu_before, cpu_after, wall_seconds) * 10))


# --- helpers ---------------------------------------------------------------------------------

def _rfc3339(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _atomic_write(path: str, text: str) -> None:
    tmp = "%s.tmp.%d" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _create_time(pid: int | None) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time() if pid else None
    except psutil.Error:
        return None


def _process(pid, create_time):
    """The psutil.Process for pid if it is still the one created at create_time (else None)."""
    import psutil

    if not pid or create_time is None:
        return None
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - create_time) > CREATE_TIME_TOLERANCE:
            return None
        return proc
    except psutil.Error:
        return None


def _alive(pid, create_time) -> bool:
    """True if pid is still our process and has not yet terminated (zombies count as gone)."""
    import psutil

    proc = _process(pid, create_time)
    try:
        return proc is not None and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _signal_group(record: RunRecord, sig: int) -> None:
    # Only while the group leader is provably ours (a zombie leader still holds the group id,
    # so the id cannot have been reused); after that the shim kills any leftovers itself.
    if _process(record.pid, record.create_time) is not None:
        try:
            os.killpg(record.pid, sig)
        except OSError:
            pass


def _kill(pid, create_time, sig) -> None:
    if _process(pid, create_time) is not None:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def _wait_until(condition, timeout: float) -> bool:
    """Poll condition until true or timeout; the interval grows so short waits stay short."""
    deadline = time.monotonic() + timeout
    interval = 0.002
    while True:
        if condition():
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(interval, remaining))
        interval = min(interval * 2, POLL_INTERVAL)
