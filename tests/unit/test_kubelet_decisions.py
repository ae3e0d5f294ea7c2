"""The kubelet's pure decisions: restart policy, back-off, pod phase and conditions, probes."""
from __future__ import annotations

import pytest

from pkubelet import podstatus, probing, restarts


@pytest.mark.parametrize("policy,code,expected", [
    ("Always", 0, True), ("Always", 3, True), ("OnFailure", 0, False), ("OnFailure", 1, True),
    ("Never", 0, False), ("Never", 1, False)], ids=lambda v: str(v))
def test_should_restart(policy, code, expected):
    assert restarts.should_restart(policy, code) is expected


def test_backoff_first_crash_restarts_at_once_then_doubles_to_the_cap():
    entry = None
    assert not restarts.in_backoff(entry, finished_at=100.0, now=100.0)
    delays = []
    now = 100.0
    for _ in range(8):
        entry = restarts.next_backoff(entry, now)
        delays.append(entry["seconds"])
        now += entry["seconds"] + 1
    assert delays == [10, 20, 40, 80, 160, 300, 300, 300]


def test_backoff_waits_from_the_finish_time():
    entry = restarts.next_backoff(None, 100.0)  # 10 s after the first restart
    assert restarts.in_backoff(entry, finished_at=105.0, now=110.0)
    assert not restarts.in_backoff(entry, finished_at=105.0, now=115.5)
    assert restarts.backoff_remaining(entry, 105.0, 110.0) == pytest.approx(5.0)


def test_backoff_resets_after_ten_quiet_minutes():
    entry = {"seconds": 300.0, "updated": 0.0}
    assert restarts.next_backoff(entry, 601.0)["seconds"] == 10
    assert not restarts.in_backoff(entry, finished_at=600.0, now=601.0)


def cs(name, state, last=None, ready=False):
    return {"name": name, "state": state, "lastState": last or {}, "ready": ready}


RUNNING = {"running": {"startedAt": "t"}}
OK = {"terminated": {"exitCode": 0, "reason": "Completed"}}
FAIL = {"terminated": {"exitCode": 3, "reason": "Error"}}
WAIT = {"waiting": {"reason": "ContainerCreating"}}
CRASH = {"waiting": {"reason": "CrashLoopBackOff"}}


@pytest.mark.parametrize("policy,inits,apps,expected", [
    ("Always", [], [cs("a", RUNNING)], "Running"),
    ("Always", [], [cs("a", WAIT)], "Pending"),
    ("Always", [], [cs("a", CRASH, FAIL)], "Running"),
    ("Always", [], [cs("a", OK)], "Running"),
    ("OnFailure", [], [cs("a", OK)], "Succeeded"),
    ("Never", [], [cs("a", FAIL)], "Failed"),
    ("Never", [], [cs("a", OK), cs("b", FAIL)], "Failed"),
    ("Never", [cs("i", FAIL)], [cs("a", WAIT)], "Failed"),
    ("Always", [cs("i", CRASH, FAIL)], [cs("a", {"waiting": {"reason": "PodInitializing"}})], "Pending"),
    ("Always", [cs("i", RUNNING)], [cs("a", {"waiting": {"reason": "PodInitializing"}})], "Pending"),
    ("Always", [cs("i", OK)], [cs("a", RUNNING)], "Running"),
])
def test_phase(policy, inits, apps, expected):
    spec = {"restartPolicy": policy, "initContainers": [{"name": s["name"]} for s in inits],
            "containers": [{"name": s["name"]} for s in apps]}
    assert podstatus.phase(spec, inits, apps) == expected


def test_conditions_say_which_containers_are_unready():
    spec = {"containers": [{"name": "a"}, {"name": "b"}], "initContainers": [{"name": "i"}]}
    conds = podstatus.conditions(spec, [cs("i", OK)], [cs("a", RUNNING, ready=True), cs("b", RUNNING)],
                                 "Running", True)
    by = {c["type"]: c for c in conds}
    assert [c["type"] for c in conds] == list(podstatus.CONDITION_ORDER)
    assert by["Initialized"]["status"] == "True"
    assert (by["Ready"]["status"], by["Ready"]["reason"], by["Ready"]["message"]) == \
        ("False", "ContainersNotReady", "containers with unready status: [b]")


def test_merge_conditions_keeps_transition_times_while_status_holds():
    old = [{"type": "Ready", "status": "True", "lastTransitionTime": "T1", "lastProbeTime": None},
           {"type": "DisruptionTarget", "status": "True", "lastTransitionTime": "T0"}]
    merged = podstatus.merge_conditions(old, [{"type": "Ready", "status": "True", "lastProbeTime": None}], "T2")
    assert merged[0]["lastTransitionTime"] == "T1"
    assert merged[1]["type"] == "DisruptionTarget"
    flipped = podstatus.merge_conditions(old, [{"type": "Ready", "status": "False", "lastProbeTime": None}], "T2")
    assert flipped[0]["lastTransitionTime"] == "T2"


def test_probe_schedule_honours_initial_delay_and_period():
    c = {"readinessProbe": {"exec": {"command": ["true"]}, "initialDelaySeconds": 5, "periodSeconds": 2}}
    probes = {"attempt": 0}
    assert probing.due(c, probes, started_at=100.0, now=104.0) == []
    assert [k for k, _ in probing.due(c, probes, 100.0, 105.0)] == ["readiness"]
    probing.record(probes, "readiness", c["readinessProbe"], True, 105.0)
    assert probing.due(c, probes, 100.0, 106.0) == []
    assert probing.ready(c, probes)


def test_liveness_kills_only_at_the_failure_threshold():
    probe = {"failureThreshold": 3}
    probes: dict = {}
    assert probing.record(probes, "liveness", probe, False, 1.0) is None
    assert probing.record(probes, "liveness", probe, False, 2.0) is None
    assert probing.record(probes, "liveness", probe, False, 3.0) == "kill"


def test_readiness_needs_success_threshold_and_startup_gates_the_rest():
    c = {"startupProbe": {"exec": {}}, "readinessProbe": {"successThreshold": 2}, "livenessProbe": {"exec": {}}}
    probes: dict = {}
    assert [k for k, _ in probing.due(c, probes, 0.0, 1.0)] == ["startup"]
    probing.record(probes, "startup", c["startupProbe"], True, 1.0)
    assert sorted(k for k, _ in probing.due(c, probes, 0.0, 1.0)) == ["liveness", "readiness"]
    probing.record(probes, "readiness", c["readinessProbe"], True, 1.0)
    assert not probing.ready(c, probes)
    probing.record(probes, "readiness", c["readinessProbe"], True, 12.0)
    assert probing.ready(c, probes)


def test_named_probe_ports_resolve_to_container_ports():
    c = {"ports": [{"name": "http", "containerPort": 8080}]}
    assert probing.runnable({"httpGet": {"port": "http", "path": "/"}}, c)["httpGet"]["port"] == 8080
