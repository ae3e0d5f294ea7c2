"""Probe scheduling and results: when a startup/liveness/readiness probe is due, and what
its result means (the kubelet's prober workers, minus the goroutines).

State lives in the container's entry of pod.json under "probes", for the current attempt
only (a new attempt starts over): per kind {"ok", "succ", "fail", "last"}. The first
attempt is due initialDelaySeconds after the container started, then every periodSeconds.
Liveness and readiness wait until the startup probe has succeeded. Readiness starts false,
liveness and startup results start "unknown" (not failed). Running the attempt itself is
runtime.probes.run_probe, done by the kubelet in parallel for all due probes.
"""
from __future__ import annotations

KINDS = (("startup", "startupProbe"), ("liveness", "livenessProbe"), ("readiness", "readinessProbe"))
LABEL = {"startup": "Startup", "liveness": "Liveness", "readiness": "Readiness"}


def _int(probe: dict, key: str, default: int) -> int:
    value = probe.get(key)
    return int(value) if isinstance(value, (int, float)) and value is not None else default


def state_for(entry: dict, attempt: int) -> dict:
    """The probe state of this attempt (reset when the attempt changed)."""
    probes = entry.get("probes")
    if not probes or probes.get("attempt") != attempt:
        probes = {"attempt": attempt}
        entry["probes"] = probes
    return probes


def started(container: dict, probes: dict) -> bool:
    """True once the startup probe succeeded (at once without one)."""
    if not container.get("startupProbe"):
        return True
    return bool((probes.get("startup") or {}).get("ok"))


def ready(container: dict, probes: dict) -> bool:
    if not started(container, probes):
        return False
    if not container.get("readinessProbe"):
        return True
    return bool((probes.get("readiness") or {}).get("ok"))


def due(container: dict, probes: dict, started_at: float, now: float) -> list:
    """[(kind, probe spec)] of the probes to run now for a running container."""
    out = []
    for kind, field in KINDS:
        probe = container.get(field)
        if not probe:
            continue
        if kind != "startup" and not started(container, probes):
            continue
        if kind == "startup" and started(container, probes):
            continue
        st = probes.get(kind) or {}
        if now < started_at + _int(probe, "initialDelaySeconds", 0):
            continue
        if st.get("last") and now - st["last"] < _int(probe, "periodSeconds", 10):
            continue
        out.append((kind, probe))
    return out


def next_due(container: dict, probes: dict, started_at: float) -> float | None:
    """When the next probe of this container falls due (for the daemon's sleep)."""
    times = []
    for kind, field in KINDS:
        probe = container.get(field)
        if not probe or (kind != "startup" and not started(container, probes)):
            continue
        st = probes.get(kind) or {}
        first = started_at + _int(probe, "initialDelaySeconds", 0)
        times.append(max(first, (st.get("last") or 0) + _int(probe, "periodSeconds", 10)))
    return min(times) if times else None


def record(probes: dict, kind: str, probe: dict, ok: bool, now: float) -> str | None:
    """Fold one result into the state. Returns "kill" when a startup or liveness probe
    crossed failureThreshold (the container must be restarted), else None."""
    st = probes.setdefault(kind, {"ok": None, "succ": 0, "fail": 0})
    st["last"] = now
    if ok:
        st["succ"], st["fail"] = st.get("succ", 0) + 1, 0
        if st["succ"] >= _int(probe, "successThreshold", 1):
            st["ok"] = True
        return None
    st["fail"], st["succ"] = st.get("fail", 0) + 1, 0
    if st["fail"] >= _int(probe, "failureThreshold", 3):
        st["ok"] = False
        if kind in ("startup", "liveness"):
            return "kill"
    return None


def resolve_port(spec: dict, container: dict) -> dict:
    """A handler spec with a named port replaced by its containerPort number."""
    port = spec.get("port")
    if isinstance(port, str) and not port.isdigit():
        for p in container.get("ports") or []:
            if p.get("name") == port:
                spec = dict(spec)
                spec["port"] = p.get("containerPort")
                break
    return spec


def runnable(probe: dict, container: dict) -> dict:
    """The probe spec with named ports resolved, ready for runtime.probes.run_probe."""
    probe = dict(probe)
    for handler in ("httpGet", "tcpSocket", "grpc"):
        if isinstance(probe.get(handler), dict):
            probe[handler] = resolve_port(probe[handler], container)
    return probe
