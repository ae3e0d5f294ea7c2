"""`cordon`, `uncordon` and `drain`: take a node out of scheduling, and empty it.

cordon is the patch kubectl sends, spec.unschedulable true (uncordon removes it), plus
the node.kubernetes.io/unschedulable:NoSchedule taint that Kubernetes' node lifecycle
controller would add; the scheduler's NodeUnschedulable filter honours both. drain cordons, sorts the node's pods
through kubectl's filter table (DaemonSet-managed, mirror, local storage, no
controller), evicts — deletes, gracefully — the ones it may, and waits for them to be
gone while running the control loops, so their controllers recreate them elsewhere.
"""
from __future__ import annotations

import time
from typing import Annotated, Optional

import typer

from pkubectl.api import registry
from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import CliError, ContextOpt, DryRunOpt, KubeconfigOpt, SelectorOpt, err, out

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"


# -- cordon / uncordon -----------------------------------------------------------------
def _nodes(inv, names: list[str], selector: str | None) -> list[dict]:
    from pkubectl.cli.get import parse_selectors

    kind = registry.by_kind("Node")
    if selector:
        if names:
            raise CliError("error: cannot specify both a node name and a selector")
        ls, _ = parse_selectors(selector, None)
        return inv.api.list(kind, None, ls)[0]
    if not names:
        raise CliError("USAGE: cordon NODE [flags]", hint="See 'pkubectl cordon -h' for help and examples")
    return [inv.api.get(kind, None, n) for n in names]


def set_unschedulable(inv, node: dict, value: bool, dry_run: str) -> bool:
    """True when the node changed (or would, in a dry run)."""
    if bool((node.get("spec") or {}).get("unschedulable")) == value:
        return False
    if dry_run == "none":
        # The taint is the node lifecycle controller's job in Kubernetes (TaintNodesByCondition);
        # pkube has no such controller for it, so cordon keeps it in step here.
        taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("key") != UNSCHEDULABLE_TAINT]
        if value:
            from pkubectl.api.server import now
            taints.append({"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule", "timeAdded": now()})
        patch = {"spec": {"unschedulable": True if value else None, "taints": taints or None}}
        inv.api.patch(registry.by_kind("Node"), None, node["metadata"]["name"], patch, "merge")
    return True


def cordon_line(name: str, value: bool, changed: bool, dry_run: str) -> str:
    verb = ("cordoned" if value else "uncordoned") if changed else \
        ("already cordoned" if value else "already uncordoned")
    return f"node/{name} {verb}{common.DRY_RUN_SUFFIX[dry_run] if changed else ''}"


def run_cordon(inv, names, selector, dry_run, value: bool) -> None:
    mode = common.parse_dry_run(dry_run)
    for node in _nodes(inv, names, selector):
        changed = set_unschedulable(inv, node, value, mode)
        out(cordon_line(node["metadata"]["name"], value, changed, mode))
    if mode == "none":
        from pkubectl.cli.converge import converge
        converge(inv)


# -- drain -------------------------------------------------------------------------------
class DrainPlan:
    """Pods to evict, and per-category warnings and refusals (kubectl's podDeleteList)."""

    def __init__(self):
        self.evict: list[dict] = []
        self.warnings: dict[str, list[str]] = {}
        self.errors: dict[str, list[str]] = {}

    def warn(self, msg: str, pod: dict) -> None:
        self.warnings.setdefault(msg, []).append(_ref(pod))

    def refuse(self, msg: str, pod: dict) -> None:
        self.errors.setdefault(msg, []).append(_ref(pod))

    def warning_text(self) -> str:
        return "; ".join(f"{m}: {', '.join(p)}" for m, p in self.warnings.items())

    def error_text(self) -> str:
        errs = [f"cannot delete {m}: {', '.join(p)}" for m, p in self.errors.items()]
        return errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]"


def _ref(pod: dict) -> str:
    return f"{pod['metadata'].get('namespace')}/{pod['metadata']['name']}"


def _controller(pod: dict) -> dict | None:
    return next((r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")), None)


def _terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


# Each filter: (pod, options) -> "evict" | "skip" | ("warn", msg) | ("error", msg); the
# first that does not say "evict" decides, in kubectl's order.
def _daemonset_filter(pod, o):
    ref = _controller(pod)
    if not ref or ref.get("kind") != "DaemonSet":
        return "evict"
    if not o["ignore_daemonsets"]:
        return ("error", "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)")
    return ("skip-warn", "ignoring DaemonSet-managed Pods")


def _mirror_filter(pod, o):
    return "skip" if MIRROR_ANNOTATION in (pod["metadata"].get("annotations") or {}) else "evict"


def _local_storage_filter(pod, o):
    if not any("emptyDir" in v for v in (pod.get("spec") or {}).get("volumes") or []) or _terminal(pod):
        return "evict"
    if not o["delete_emptydir_data"]:
        return ("error", "Pods with local storage (use --delete-emptydir-data to override)")
    return ("warn", "deleting Pods with local storage")


def _unreplicated_filter(pod, o):
    if _terminal(pod) or _controller(pod) is not None:
        return "evict"
    if not o["force"]:
        return ("error", "Pods that declare no controller (use --force to override)")
    return ("warn", "deleting Pods that declare no controller")


DRAIN_FILTERS = (_daemonset_filter, _mirror_filter, _local_storage_filter, _unreplicated_filter)


def plan_drain(pods: list[dict], options: dict) -> DrainPlan:
    plan = DrainPlan()
    for pod in pods:
        fate = "evict"
        for f in DRAIN_FILTERS:
            verdict = f(pod, options)
            if verdict == "evict":
                continue
            if verdict == "skip":
                fate = "skip"
                break
            what, msg = verdict
            if what == "error":
                plan.refuse(msg, pod)
                fate = "skip"
                break
            if what == "skip-warn":
                plan.warn(msg, pod)
                fate = "skip"
                break
            plan.warn(msg, pod)  # "warn": still evicted, later filters still apply
        if fate == "evict":
            plan.evict.append(pod)
    return plan


def drain_node(inv, node: dict, options: dict, mode: str) -> bool:
    """Evict what may go; True when the node is drained."""
    from pkubectl.cli.get import parse_selectors

    name = node["metadata"]["name"]
    pod_kind = registry.by_kind("Pod")
    ls = parse_selectors(options["pod_selector"], None)[0] if options["pod_selector"] else None
    pods = [p for p in inv.api.list(pod_kind, None, ls)[0] if (p.get("spec") or {}).get("nodeName") == name]
    plan = plan_drain(pods, options)
    if plan.errors:
        err(f'error: unable to drain node "{name}" due to error: {plan.error_text()}, continuing command...')
        err("There are pending nodes to be drained:")
        err(f" {name}")
        err(plan.error_text())
        return False
    if plan.warnings:
        err(f"Warning: {plan.warning_text()}")
    suffix = common.DRY_RUN_SUFFIX[mode]
    verb = "deleted" if options["disable_eviction"] else "evicted"
    grace = None if options["grace_period"] < 0 else options["grace_period"]
    pending = []
    for pod in plan.evict:
        if not options["disable_eviction"]:
            out(f"evicting pod {_ref(pod)}{suffix}")
        if mode != "none":
            continue
        try:
            inv.api.delete(pod_kind, pod["metadata"]["namespace"], pod["metadata"]["name"], grace=grace,
                           uid=pod["metadata"].get("uid"))
        except ApiError as e:
            if e.code != 404:
                raise
        pending.append(pod)
    if mode == "none" and not _wait_gone(inv, pending, options["timeout"], verb):
        err(f'error: unable to drain node "{name}" due to error: drain did not complete within '
            f'{options["timeout_text"]}, continuing command...')
        err("There are pending nodes to be drained:")
        err(f" {name}")
        err(f"drain did not complete within {options['timeout_text']}")
        return False
    out(f"node/{name} drained{suffix}")
    return True


def _wait_gone(inv, pods: list[dict], timeout: float, verb: str) -> bool:
    """Poll (converging, so kubelets stop the containers) until every pod is gone, printing
    `pod/x evicted` as each goes. False on timeout (0 = no limit)."""
    from pkubectl.cli.converge import converge

    pod_kind = registry.by_kind("Pod")
    deadline = time.monotonic() + timeout if timeout > 0 else None
    left = list(pods)
    while left:
        converge(inv, timeout=5.0, ensure_daemon=False)
        still = []
        for p in left:
            live = inv.api.try_get(pod_kind, p["metadata"]["namespace"], p["metadata"]["name"])
            if live is not None and live["metadata"].get("uid") == p["metadata"].get("uid"):
                still.append(p)
            else:
                out(f"pod/{p['metadata']['name']} {verb}")
        left = still
        if not left:
            return True
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def run_drain(inv, names, selector, options, dry_run) -> None:
    mode = common.parse_dry_run(dry_run)
    nodes = _nodes(inv, names, selector)
    ok = True
    for node in nodes:
        changed = set_unschedulable(inv, node, True, mode)
        out(cordon_line(node["metadata"]["name"], True, changed, mode))
    for node in nodes:
        ok = drain_node(inv, node, options, mode) and ok
    if not ok:
        raise common.Failed()


NodeArgs = Annotated[Optional[list[str]], typer.Argument(help="NODE")]


def register(app: typer.Typer) -> None:
    @app.command("cordon")
    def cordon(names: NodeArgs = None, selector: SelectorOpt = None, dry_run: DryRunOpt = None,
               context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Mark node as unschedulable."""
        run_cordon(common.globals_(None, context, kubeconfig), names or [], selector, dry_run, True)

    @app.command("uncordon")
    def uncordon(names: NodeArgs = None, selector: SelectorOpt = None, dry_run: DryRunOpt = None,
                 context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Mark node as schedulable."""
        run_cordon(common.globals_(None, context, kubeconfig), names or [], selector, dry_run, False)

    @app.command("drain")
    def drain(names: NodeArgs = None, selector: SelectorOpt = None, dry_run: DryRunOpt = None,
              ignore_daemonsets: Annotated[bool, typer.Option("--ignore-daemonsets", help="Ignore DaemonSet-managed pods.")] = False,
              delete_emptydir_data: Annotated[bool, typer.Option("--delete-emptydir-data", help="Continue even if there are pods using emptyDir (local data that will be deleted when the node is drained).")] = False,
              force: Annotated[bool, typer.Option("--force", help="Continue even if there are pods that do not declare a controller.")] = False,
              grace_period: Annotated[int, typer.Option("--grace-period", help="Period of time in seconds given to each pod to terminate gracefully. If negative, the default value specified in the pod will be used.")] = -1,
              timeout: Annotated[str, typer.Option("--timeout", help="The length of time to wait before giving up, zero means infinite")] = "0s",
              pod_selector: Annotated[Optional[str], typer.Option("--pod-selector", help="Label selector to filter pods on the node")] = None,
              disable_eviction: Annotated[bool, typer.Option("--disable-eviction", help="Force drain to use delete, even if eviction is supported.")] = False,
              context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Drain node in preparation for maintenance."""
        inv = common.globals_(None, context, kubeconfig)
        options = {"ignore_daemonsets": ignore_daemonsets, "delete_emptydir_data": delete_emptydir_data,
                   "force": force, "grace_period": grace_period, "timeout": common.parse_duration(timeout),
                   "timeout_text": timeout, "pod_selector": pod_selector, "disable_eviction": disable_eviction}
        run_drain(inv, names or [], selector, options, dry_run)
