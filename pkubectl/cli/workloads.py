"""Workload verbs: `scale`, `rollout status|history|undo|restart|pause|resume`,
`set image`, `set env` — kubectl's texts, over the API library.

Each verb resolves its targets the kubectl way (TYPE NAME, TYPE/NAME, -f, -l, --all),
changes the objects, then runs converge() so the controllers act before it returns.
`rollout status` converges in its polling loop: it is itself the thing that makes the
rollout progress when no daemon runs.
"""
from __future__ import annotations

import copy
import fnmatch
import re
import sys
import time
from typing import Annotated, Optional

import typer

from pkubectl.api import registry
from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import (AllNamespacesOpt, CliError, ContextOpt, DryRunOpt, FilenameOpt, KubeconfigOpt,
                                 NamespaceOpt, OutputOpt, RecursiveOpt, SelectorOpt, err, out)
from pkubectl.controllers.deployment import strip_hash

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
HASH_LABEL = "pod-template-hash"
ROLLBACK_SKIP_ANNOTATIONS = {"kubectl.kubernetes.io/last-applied-configuration", REVISION,
                             "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
                             "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to"}
NO_ARGS = ("You must provide one or more resources by argument or filename.\nExample resource specifications "
           "include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'")
POLL = 0.2

AllOpt = Annotated[bool, typer.Option("--all", help="Select all resources in the namespace of the specified resource types")]


# -- shared -----------------------------------------------------------------------------------
def group_kind(kind) -> str:
    return f"{kind.kind}.{kind.group}" if kind.group else kind.kind


def resource_string(kind) -> str:
    return kind.resource


def resolve(inv, args, filename=None, recursive=False, selector=None, all_=False, all_namespaces=False,
            single_ok=True) -> list[tuple]:
    """(kind, namespace, name) for each object named on the command line."""
    from pkubectl.cli.get import parse_selectors
    from pkubectl.cli.resources import kind_of_manifest, load_manifests, parse_targets

    objs: list[tuple] = []
    if filename:
        for src, o in load_manifests(filename, recursive):
            k = kind_of_manifest(o, src)
            meta = o.get("metadata") or {}
            objs.append((k, meta.get("namespace") or inv.namespace, meta.get("name", "")))
        return objs
    targets = parse_targets(args or [])
    if not targets:
        raise CliError(NO_ARGS)
    for t in targets:
        if t.names:
            objs += [(t.kind, inv.namespace, n) for n in t.names]
        elif all_ or selector:
            ls, _ = parse_selectors(selector, None, t.kind)
            items, _ = inv.api.list(t.kind, None if all_namespaces else inv.namespace, ls)
            objs += [(t.kind, o["metadata"].get("namespace"), o["metadata"]["name"]) for o in items]
        else:
            raise CliError("resource(s) were provided, but no name was specified")
    return objs


def pod_spec_path(kind) -> tuple[str, ...] | None:
    return {"Pod": ("spec",), "CronJob": ("spec", "jobTemplate", "spec", "template", "spec")}.get(
        kind.kind, ("spec", "template", "spec") if kind.kind in
        ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "ReplicationController") else None)


def pod_spec_of(kind, obj: dict) -> dict | None:
    path = pod_spec_path(kind)
    if path is None:
        return None
    cur = obj
    for p in path:
        cur = cur.setdefault(p, {}) if isinstance(cur, dict) else None
        if cur is None:
            return None
    return cur


def converge_now(inv) -> None:
    from pkubectl.cli.converge import converge
    converge(inv)


def write(inv, obj: dict, mode: str) -> dict:
    if mode == "client":
        return obj
    return inv.api.update(obj, dry_run=mode == "server")


def go_rfc3339_now() -> str:
    """time.Now().Format(time.RFC3339): local time, `Z` when UTC."""
    from datetime import datetime
    t = datetime.now().astimezone().replace(microsecond=0)
    text = t.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# -- scale ----------------------------------------------------------------------------------------
def run_scale(inv, args, filename, recursive, selector, all_, all_namespaces, replicas, current_replicas,
              resource_version, timeout, mode, output) -> None:
    if replicas is None:
        raise CliError('required flag(s) "replicas" not set')
    if replicas < 0:
        raise CliError("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    objs = resolve(inv, args, filename, recursive, selector, all_, all_namespaces)
    if not objs:
        raise CliError("no objects passed to scale")
    if resource_version and len(objs) > 1:
        raise CliError("cannot use --resource-version with multiple resources")
    scaled = []
    for kind, ns, name in objs:
        try:
            if not kind.scalable:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            for attempt in range(10):
                obj = inv.api.get(kind, ns, name)
                have = obj.get("spec", {}).get("replicas", 1)
                if current_replicas >= 0 and have != current_replicas:
                    raise CliError(f"Expected replicas to be {current_replicas}, was {have}")
                rv = obj["metadata"].get("resourceVersion")
                if resource_version and rv != resource_version:
                    raise CliError(f"Expected resourceVersion to be {resource_version}, was {rv}")
                obj["spec"]["replicas"] = replicas
                try:
                    write(inv, obj, mode)
                except ApiError as e:
                    if e.reason == "Conflict" and not resource_version and attempt < 9:
                        continue
                    raise
                break
            out(common.result_line(kind, name, "scaled", mode, output))
            scaled.append((kind, ns, name))
        except ApiError as e:
            inv.fail(e.kubectl_text())
        except CliError as e:
            inv.fail(f"error: {e.message}")
    if mode == "none" and scaled:
        converge_now(inv)
        if timeout > 0:
            _wait_scaled(inv, scaled, timeout)
    inv.finish()


def _wait_scaled(inv, objs, timeout: float) -> None:
    from pkubectl.cli.converge import converge
    deadline = time.monotonic() + timeout
    while True:
        pending = []
        for kind, ns, name in objs:
            o = inv.api.try_get(kind, ns, name)
            if o is None:
                continue
            st = o.get("status") or {}
            if st.get("observedGeneration", 0) < o["metadata"].get("generation", 1) or \
                    st.get("replicas", 0) != o["spec"].get("replicas", 1):
                pending.append((kind, ns, name))
        if not pending:
            return
        if time.monotonic() > deadline:
            raise CliError("timed out waiting for the condition")
        if not converge(inv, timeout=5, ensure_daemon=False):
            time.sleep(POLL)
        objs = pending


# -- rollout status ------------------------------------------------------------------------------
def deployment_status(d: dict, revision: int) -> tuple[str, bool]:
    """kubectl's DeploymentStatusViewer: (message, done); raises CliError on failure."""
    name = d["metadata"]["name"]
    st = d.get("status") or {}
    if revision > 0:
        have = int((d["metadata"].get("annotations") or {}).get(REVISION, "0") or 0)
        if revision != have:
            raise CliError(f"desired revision ({revision}) is different from the running revision ({have})")
    if d["metadata"].get("generation", 1) <= st.get("observedGeneration", 0):
        cond = next((c for c in st.get("conditions") or [] if c.get("type") == "Progressing"), None)
        if cond is not None and cond.get("reason") == "ProgressDeadlineExceeded":
            raise CliError(f'deployment "{name}" exceeded its progress deadline')
        want = d["spec"].get("replicas", 1)
        updated, total, avail = st.get("updatedReplicas", 0), st.get("replicas", 0), st.get("availableReplicas", 0)
        if updated < want:
            return (f'Waiting for deployment "{name}" rollout to finish: {updated} out of {want} new replicas '
                    f"have been updated..."), False
        if total > updated:
            return (f'Waiting for deployment "{name}" rollout to finish: {total - updated} old replicas are '
                    f"pending termination..."), False
        if avail < updated:
            return (f'Waiting for deployment "{name}" rollout to finish: {avail} of {updated} updated replicas '
                    f"are available..."), False
        return f'deployment "{name}" successfully rolled out', True
    return "Waiting for deployment spec update to be observed...", False


def daemonset_status(ds: dict, revision: int) -> tuple[str, bool]:
    name = ds["metadata"]["name"]
    st = ds.get("status") or {}
    if (ds["spec"].get("updateStrategy") or {}).get("type", "RollingUpdate") != "RollingUpdate":
        raise CliError("rollout status is only available for RollingUpdate strategy type")
    if ds["metadata"].get("generation", 1) <= st.get("observedGeneration", 0):
        desired = st.get("desiredNumberScheduled", 0)
        updated, avail = st.get("updatedNumberScheduled", 0), st.get("numberAvailable", 0)
        if updated < desired:
            return (f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} new pods '
                    f"have been updated..."), False
        if avail < desired:
            return (f'Waiting for daemon set "{name}" rollout to finish: {avail} of {desired} updated pods are '
                    f"available..."), False
        return f'daemon set "{name}" successfully rolled out', True
    return "Waiting for daemon set spec update to be observed...", False


def statefulset_status(sts: dict, revision: int) -> tuple[str, bool]:
    st = sts.get("status") or {}
    strategy = sts["spec"].get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        raise CliError("rollout status is only available for RollingUpdate strategy type")
    if not st.get("observedGeneration") or sts["metadata"].get("generation", 1) > st.get("observedGeneration", 0):
        return "Waiting for statefulset spec update to be observed...", False
    want = sts["spec"].get("replicas", 1)
    if st.get("readyReplicas", 0) < want:
        return f"Waiting for {want - st.get('readyReplicas', 0)} pods to be ready...", False
    rolling = strategy.get("rollingUpdate")
    if rolling is not None:
        if rolling.get("partition") is not None:
            target = want - rolling["partition"]
            if st.get("updatedReplicas", 0) < target:
                return (f"Waiting for partitioned roll out to finish: {st.get('updatedReplicas', 0)} out of "
                        f"{target} new pods have been updated..."), False
        return f"partitioned roll out complete: {st.get('updatedReplicas', 0)} new pods have been updated...", True
    if st.get("updateRevision") != st.get("currentRevision"):
        return (f"waiting for statefulset rolling update to complete {st.get('updatedReplicas', 0)} pods at "
                f"revision {st.get('updateRevision', '')}..."), False
    return (f"statefulset rolling update complete {st.get('currentReplicas', 0)} pods at revision "
            f"{st.get('currentRevision', '')}..."), True


STATUS_VIEWERS = {"Deployment": deployment_status, "DaemonSet": daemonset_status, "StatefulSet": statefulset_status}


def run_status(inv, args, filename, recursive, selector, watch: bool, revision: int, timeout: float) -> None:
    from pkubectl.cli.converge import converge
    objs = resolve(inv, args, filename, recursive, selector)
    if not objs:
        raise CliError("no objects passed to rollout status") if not selector else \
            CliError("no matching resources found")
    for kind, ns, name in objs:
        viewer = STATUS_VIEWERS.get(kind.kind)
        if viewer is None:
            raise CliError(f"no status viewer has been implemented for {group_kind(kind)}")
        deadline = time.monotonic() + timeout if timeout > 0 else None
        obj = inv.api.get(kind, ns, name)
        uid, last_rv, first = obj["metadata"]["uid"], None, True
        while True:
            if obj is None or obj["metadata"]["uid"] != uid:
                raise CliError("object has been deleted")
            if obj["metadata"].get("resourceVersion") != last_rv:
                last_rv = obj["metadata"].get("resourceVersion")
                message, done = viewer(obj, revision)
                out(message)
                sys.stdout.flush()
                if done or not watch:
                    break
            if deadline is not None and time.monotonic() > deadline:
                raise CliError("timed out waiting for the condition")
            changed = converge(inv, timeout=5, ensure_daemon=first)
            first = False
            if not changed:
                time.sleep(POLL)
            obj = inv.api.try_get(kind, ns, name)


# -- history ---------------------------------------------------------------------------------------
def owned_replica_sets(inv, d: dict) -> list[dict]:
    items, _ = inv.api.list(registry.lookup("replicasets"), d["metadata"]["namespace"])
    uid = d["metadata"]["uid"]
    return [rs for rs in items if any(r.get("controller") and r.get("uid") == uid
                                      for r in rs["metadata"].get("ownerReferences") or [])]


def _revision(obj: dict) -> int | None:
    try:
        return int((obj["metadata"].get("annotations") or {})[REVISION])
    except (KeyError, ValueError, TypeError):
        return None


def history_of(inv, kind, obj: dict) -> dict[int, dict]:
    """revision -> pod template (with the change-cause annotation folded in)."""
    out_: dict[int, dict] = {}
    if kind.kind == "Deployment":
        for rs in owned_replica_sets(inv, obj):
            v = _revision(rs)
            if v is None:
                continue
            tmpl = copy.deepcopy(rs["spec"].get("template") or {})
            cause = (rs["metadata"].get("annotations") or {}).get(CHANGE_CAUSE)
            if cause:
                tmpl.setdefault("metadata", {}).setdefault("annotations", {})[CHANGE_CAUSE] = cause
            out_[v] = tmpl
        return out_
    if kind.kind in ("DaemonSet", "StatefulSet"):
        items, _ = inv.api.list(registry.lookup("controllerrevisions"), obj["metadata"]["namespace"])
        uid = obj["metadata"]["uid"]
        for cr in items:
            if not any(r.get("uid") == uid and r.get("controller") for r in cr["metadata"].get("ownerReferences") or []):
                continue
            tmpl = copy.deepcopy(((cr.get("data") or {}).get("spec") or {}).get("template") or {})
            cause = (cr["metadata"].get("annotations") or {}).get(CHANGE_CAUSE)
            if cause:
                tmpl.setdefault("metadata", {}).setdefault("annotations", {})[CHANGE_CAUSE] = cause
            out_[int(cr.get("revision", 0))] = tmpl
        return out_
    raise CliError(f'error retrieving history for "{group_kind(kind)}", no visitor method exists for '
                   f"{{{kind.group} {kind.kind}}}")


def history_table(history: dict[int, dict]) -> str:
    from pkubectl.printers.tabwriter import TabWriter
    w = TabWriter(0, 8, 2, " ", 0)
    w.write("REVISION\tCHANGE-CAUSE\n")
    for r in sorted(history):
        cause = ((history[r].get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE) or "<none>"
        w.write(f"{r}\t{cause}\n")
    return w.flush()


def run_history(inv, args, filename, recursive, selector, revision: int) -> None:
    for kind, ns, name in resolve(inv, args, filename, recursive, selector):
        obj = inv.api.get(kind, ns, name)
        history = history_of(inv, kind, obj)
        ref = f"{kind.lower_kind}/{name}"
        if revision > 0:
            if revision not in history:
                raise CliError("unable to find the specified revision")
            sys.stdout.write(f"{ref} with revision #{revision}\n{describe_pod_template(history[revision])}\n")
            continue
        if not history:
            sys.stdout.write(f"{ref} \nNo rollout history found.\n")
            continue
        sys.stdout.write(f"{ref} \n{history_table(history)}\n")


# -- a pod template described as kubectl's DescribePodTemplate writes it -------------------------------
def describe_pod_template(template: dict) -> str:
    """`rollout history --revision` prints the template with raw tabs, not through a tabwriter."""
    from pkubectl.printers import describe
    w = describe.PrefixWriter(aligned=False)
    describe.describe_pod_template(w, template)
    return w.text()


# -- undo ------------------------------------------------------------------------------------------
def rollback_target(inv, d: dict, to_revision: int) -> dict:
    latest, latest_rev, previous, previous_rev = None, -1, None, -1
    for rs in owned_replica_sets(inv, d):
        v = _revision(rs)
        if v is None:
            continue
        if to_revision == 0:
            if latest_rev < v:
                previous, previous_rev, latest, latest_rev = latest, latest_rev, rs, v
            elif previous_rev < v:
                previous, previous_rev = rs, v
        elif to_revision == v:
            return rs
    if to_revision > 0:
        raise CliError(f"unable to find specified revision {to_revision} in history")
    if previous is None:
        raise CliError(f'no rollout history found for deployment "{d["metadata"]["name"]}"')
    return previous


def undo_one(inv, kind, ns, name, to_revision: int, mode: str, output) -> None:
    if to_revision < 0:
        raise CliError(f"unable to find specified revision {to_revision} in history")
    if kind.kind != "Deployment":
        if kind.kind in ("DaemonSet", "StatefulSet"):
            return undo_controller_revision(inv, kind, ns, name, to_revision, mode, output)
        raise CliError(f'no rollbacker has been implemented for "{group_kind(kind)}"')
    d = inv.api.get(kind, ns, name)
    if d["spec"].get("paused"):
        raise CliError("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' "
                       "and try again")
    rs = rollback_target(inv, d, to_revision)
    template = strip_hash(rs["spec"].get("template"))
    if template == strip_hash(d["spec"].get("template")):
        out(common.result_line(kind, name, f"skipped rollback (current template already matches revision "
                                           f"{to_revision})", "none", output))
        return
    if mode == "client":
        sys.stdout.write(f"{kind.lower_kind}/{name} {describe_pod_template(rs['spec'].get('template') or {})}\n")
        return
    annotations = {k: v for k, v in (d["metadata"].get("annotations") or {}).items()
                   if k in ROLLBACK_SKIP_ANNOTATIONS}
    annotations.update({k: v for k, v in (rs["metadata"].get("annotations") or {}).items()
                        if k not in ROLLBACK_SKIP_ANNOTATIONS})
    patch = [{"op": "replace", "path": "/spec/template", "value": template},
             {"op": "replace", "path": "/metadata/annotations", "value": annotations}]
    try:
        inv.api.patch(kind, ns, name, patch, "json", dry_run=mode == "server")
    except ApiError as e:
        raise CliError(f"failed restoring revision {to_revision}: {e.message}") from None
    out(common.result_line(kind, name, "rolled back", mode, output))


def undo_controller_revision(inv, kind, ns, name, to_revision, mode, output) -> None:
    """DaemonSet/StatefulSet: the ControllerRevision's data is a patch of the template."""
    obj = inv.api.get(kind, ns, name)
    items, _ = inv.api.list(registry.lookup("controllerrevisions"), ns)
    uid = obj["metadata"]["uid"]
    revs = sorted((cr for cr in items if any(r.get("uid") == uid and r.get("controller")
                                               for r in cr["metadata"].get("ownerReferences") or [])),
                  key=lambda cr: cr.get("revision", 0))
    if not revs:
        raise CliError("no last revision to roll back to")
    if to_revision == 0:
        if len(revs) < 2:
            raise CliError("no last revision to roll back to")
        target = revs[-2]
    else:
        target = next((cr for cr in revs if cr.get("revision") == to_revision), None)
        if target is None:
            raise CliError(f"unable to find specified revision {to_revision} in history")
    tmpl = ((target.get("data") or {}).get("spec") or {}).get("template")
    if tmpl == obj["spec"].get("template"):
        out(common.result_line(kind, name, f"skipped rollback (current template already matches revision "
                                           f"{to_revision})", "none", output))
        return
    if mode != "client":
        inv.api.patch(kind, ns, name, target.get("data") or {}, "strategic", dry_run=mode == "server")
    out(common.result_line(kind, name, "rolled back", mode, output))


# -- restart / pause / resume -------------------------------------------------------------------------
def restart_one(inv, kind, ns, name, output) -> None:
    if kind.kind not in ("Deployment", "DaemonSet", "StatefulSet"):
        raise CliError(f'{kind.resource} "{name}" restarting is not supported')
    obj = inv.api.get(kind, ns, name)
    if kind.kind == "Deployment" and obj["spec"].get("paused"):
        raise CliError(f'{kind.resource} "{name}" can\'t restart paused deployment (run rollout resume first)')
    stamp = go_rfc3339_now()
    tmeta = obj["spec"].setdefault("template", {}).setdefault("metadata", {})
    if (tmeta.get("annotations") or {}).get(RESTARTED_AT) == stamp:
        raise CliError(f"failed to create patch for {name}: if restart has already been triggered within the past "
                       f"second, please wait before attempting to trigger another")
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    inv.api.patch(kind, ns, name, patch, "strategic")
    out(common.result_line(kind, name, "restarted", "none", output))


def pause_one(inv, kind, ns, name, pause: bool, output) -> None:
    verb = "paused" if pause else "resumed"
    if kind.kind != "Deployment":
        raise CliError(f'{kind.resource} "{name}" {"pausing" if pause else "resuming"} is not supported')
    obj = inv.api.get(kind, ns, name)
    if bool(obj["spec"].get("paused")) == pause:
        raise CliError(f'{kind.resource} "{name}" is {"already paused" if pause else "not paused"}')
    inv.api.patch(kind, ns, name, {"spec": {"paused": pause}}, "strategic")
    out(common.result_line(kind, name, verb, "none", output))


# -- set image / set env ----------------------------------------------------------------------------
def split_changes(args: list[str], is_change, filename) -> tuple[list[str], list[str]]:
    """(resource words, changes); with -f every word is a change."""
    res, changes = [], []
    for a in args or []:
        (changes if (res and is_change(a)) else res).append(a)
    if filename:
        changes, res = res + changes if not changes else changes, []
    return res, changes


def edit_pod_specs(inv, objs, mode: str, output, verb: str, edit) -> None:
    """set image / set env: edit(kind, ns, name, pod_spec) changes each object's pod spec in
    place; a changed one is written and reported as `<verb>`, an unchanged one skipped."""
    updated = []
    for kind, ns, name in objs:
        try:
            obj = inv.api.get(kind, ns, name)
            spec = pod_spec_of(kind, obj)
            if spec is None:
                raise CliError(f"{kind.lower_kind}/{name} the object is not a pod or does not have a pod template: "
                               f"*{kind.kind}")
            before = copy.deepcopy(spec)
            edit(kind, ns, name, spec)
            if spec == before:
                continue
            written = write(inv, obj, mode)
            printer = common.object_printer(output)
            if printer is not None:  # -o yaml|json|...: the object as written
                printer.print([written or obj], False)
            else:
                out(common.result_line(kind, name, verb, mode, output))
            updated.append(name)
        except ApiError as e:
            inv.fail(e.kubectl_text())
        except CliError as e:
            inv.fail(f"error: {e.message}")
    if mode == "none" and updated:
        converge_now(inv)
    inv.finish()


def run_set_image(inv, args, filename, recursive, selector, all_, mode, output) -> None:
    res_words, changes = split_changes(args, lambda a: "=" in a, filename)
    if not changes:
        raise CliError("at least one image update is required")
    images = {}
    for c in changes:
        name, _, image = c.partition("=")
        if not name or not image:
            raise CliError("at least one image update is required")
        images[name] = image

    def set_images(kind, ns, name, spec) -> None:
        for cname, image in images.items():
            found = False
            for key in ("initContainers", "containers"):
                for c in spec.get(key) or []:
                    if c.get("name") == cname or cname == "*":
                        c["image"] = image
                        found = True
            if not found:
                inv.fail(f'error: unable to find container named "{cname}"')

    objs = resolve(inv, res_words, filename, recursive, selector, all_)
    edit_pod_specs(inv, objs, mode, output, "image updated", set_images)


def parse_resource_list(spec: str) -> dict:
    """`cpu=100m,memory=256Mi` -> {name: canonical quantity} (kubectl's populateResourceListV1)."""
    from pkubectl.api import quantity

    result = {}
    for statement in spec.split(",") if spec else []:
        parts = statement.split("=")
        if len(parts) != 2:
            raise CliError(f"Invalid argument syntax {statement}, expected <resource>=<value>")
        try:
            result[parts[0]] = quantity.canonicalize(quantity.parse_quantity(parts[1]))
        except quantity.QuantityError as e:
            raise CliError(str(e)) from None
    return result


def run_set_resources(inv, args, filename, recursive, selector, all_, containers, limits, requests, mode,
                      output) -> None:
    if all_ and selector:
        raise CliError("cannot set --all and --selector at the same time")
    if not limits and not requests:
        raise CliError("you must specify an update to requests or limits (in the form of --requests/--limits)")
    wanted = {"limits": parse_resource_list(limits or ""), "requests": parse_resource_list(requests or "")}

    def set_resources(kind, ns, name, spec) -> None:
        chosen = [c for key in ("containers", "initContainers") for c in spec.get(key) or []
                  if fnmatch.fnmatchcase(c.get("name", ""), containers)]
        if not chosen:
            inv.fail(f"error: unable to find container named {containers}")
        for c in chosen:
            for field, values in wanted.items():
                if values:
                    c.setdefault("resources", {}).setdefault(field, {}).update(values)

    objs = resolve(inv, args or [], filename, recursive, selector, all_)
    edit_pod_specs(inv, objs, mode, output, "resource requirements updated", set_resources)


ENV_NAME = re.compile(r"[^A-Za-z0-9_]")


def parse_env(changes: list[str]) -> tuple[list[dict], list[str]]:
    sets, removes = [], []
    for c in changes:
        if "=" in c:
            k, _, v = c.partition("=")
            if not k:
                raise CliError(f"invalid environment variable: {c}")
            sets.append({"name": k, "value": v})
        elif c.endswith("-"):
            removes.append(c[:-1])
        else:
            raise CliError(f"environment variables must be of the form key=value: {c}")
    return sets, removes


def _env_from_source(inv, source: str, ns: str, prefix: str, keys: list[str] | None) -> list[dict]:
    kind_name, _, src_name = source.partition("/")
    kind = registry.lookup(kind_name)
    obj = inv.api.get(kind, ns, src_name)
    if kind.kind == "ConfigMap":
        ref_key, data = "configMapKeyRef", {**(obj.get("data") or {}), **(obj.get("binaryData") or {})}
    elif kind.kind == "Secret":
        ref_key, data = "secretKeyRef", obj.get("data") or {}
    else:
        raise CliError(f"unsupported resource specified in --from: {kind.resource}")
    out_ = []
    for k in sorted(data):
        if keys and k not in keys:
            continue
        out_.append({"name": prefix + ENV_NAME.sub("_", k).upper(),
                     "valueFrom": {ref_key: {"name": src_name, "key": k}}})
    return out_


def env_ref_string(vf: dict) -> str:
    if vf.get("configMapKeyRef"):
        return f"configmap {vf['configMapKeyRef'].get('name')}, key {vf['configMapKeyRef'].get('key')}"
    if vf.get("secretKeyRef"):
        return f"secret {vf['secretKeyRef'].get('name')}, key {vf['secretKeyRef'].get('key')}"
    if vf.get("fieldRef"):
        return f"field path {vf['fieldRef'].get('fieldPath')}"
    if vf.get("resourceFieldRef"):
        r = vf["resourceFieldRef"]
        prefix = f"{r['containerName']}/" if r.get("containerName") else ""
        return f"resource field {prefix}{r.get('resource')}"
    return "invalid valueFrom"


def run_set_env(inv, args, filename, recursive, selector, all_, containers, list_, from_, prefix, keys, overwrite,
                mode, output) -> None:
    import fnmatch
    res_words, changes = split_changes(args, lambda a: "=" in a or (a.endswith("-") and "/" not in a), filename)
    sets, removes = parse_env(changes)
    if not sets and not removes and not list_ and not from_:
        raise CliError("at least one environment variable must be provided")

    def set_env(kind, ns, name, spec) -> None:
        matched = [c for key in ("initContainers", "containers") for c in spec.get(key) or []
                   if fnmatch.fnmatchcase(c.get("name", ""), containers)]
        if not matched:
            err(f'Warning: {kind.kind}/{name} does not have any containers matching "{containers}"')
            return
        if list_:
            for c in matched:
                out(f"# {kind.kind} {name}, container {c.get('name')}")
                for e in c.get("env") or []:
                    if e.get("valueFrom") is None:
                        out(f"{e['name']}={e.get('value', '')}")
                    else:
                        out(f"# {e['name']} from {env_ref_string(e['valueFrom'])}")
            return
        extra = _env_from_source(inv, from_, ns, prefix or "", keys) if from_ else []
        for c in matched:
            env = [e for e in c.get("env") or [] if e.get("name") not in removes]
            for new in [*extra, *sets]:
                at = next((i for i, e in enumerate(env) if e.get("name") == new["name"]), None)
                if at is None:
                    env.append(copy.deepcopy(new))
                elif overwrite:
                    env[at] = copy.deepcopy(new)
            if env:
                c["env"] = env
            else:
                c.pop("env", None)

    objs = resolve(inv, res_words, filename, recursive, selector, all_)
    edit_pod_specs(inv, objs, mode, output, "env updated", set_env)


# -- registration ------------------------------------------------------------------------------------
def _each(inv, objs, fn) -> None:
    done = False
    for kind, ns, name in objs:
        try:
            fn(kind, ns, name)
            done = True
        except ApiError as e:
            inv.fail(e.kubectl_text())
        except CliError as e:
            inv.fail(e.message if e.message.startswith("error:") else f"error: {e.message}")
    if done:
        converge_now(inv)
    inv.finish()


ArgsOpt = Annotated[Optional[list[str]], typer.Argument(help="(TYPE NAME | TYPE/NAME)")]


def _per_object_command(act):
    """A rollout subcommand that runs act(inv, kind, ns, name, output) on each object."""
    def command(args: ArgsOpt = None, namespace: NamespaceOpt = None, filename: FilenameOpt = None,
                recursive: RecursiveOpt = False, selector: SelectorOpt = None, output: OutputOpt = None,
                context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        inv = common.globals_(namespace, context, kubeconfig)
        objs = resolve(inv, args, filename, recursive, selector)
        _each(inv, objs, lambda k, ns, n: act(inv, k, ns, n, output))
    return command


def register(app: typer.Typer) -> None:

    @app.command("scale")
    def scale(args: ArgsOpt = None,
              replicas: Annotated[Optional[int], typer.Option("--replicas", help="The new desired number of replicas. Required.")] = None,
              current_replicas: Annotated[int, typer.Option("--current-replicas", help="Precondition for current size. Requires that the current size of the resource match this value in order to scale. -1 (default) for no condition.")] = -1,
              resource_version: Annotated[Optional[str], typer.Option("--resource-version", help="Precondition for resource version. Requires that the current resource version match this value in order to scale.")] = None,
              timeout: Annotated[str, typer.Option("--timeout", help="The length of time to wait before giving up on a scale operation, zero means don't wait.")] = "0s",
              namespace: NamespaceOpt = None, all_namespaces: AllNamespacesOpt = False,
              filename: FilenameOpt = None, recursive: RecursiveOpt = False, selector: SelectorOpt = None,
              all_: AllOpt = False, dry_run: DryRunOpt = None, output: OutputOpt = None,
              context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Set a new size for a deployment, replica set, replication controller, or stateful set."""
        inv = common.globals_(namespace, context, kubeconfig)
        run_scale(inv, args, filename, recursive, selector, all_, all_namespaces, replicas, current_replicas,
                  resource_version, common.parse_duration(timeout), common.parse_dry_run(dry_run), output)

    rollout = typer.Typer(help="Manage the rollout of one or many resources.", no_args_is_help=True)
    app.add_typer(rollout, name="rollout")

    @rollout.command("status")
    def status(args: ArgsOpt = None,
               watch: Annotated[bool, typer.Option("--watch/--no-watch", "-w", help="Watch the status of the rollout until it's done.")] = True,
               revision: Annotated[int, typer.Option("--revision", help="Pin to a specific revision for showing its status. Defaults to 0 (last revision).")] = 0,
               timeout: Annotated[str, typer.Option("--timeout", help="The length of time to wait before ending watch, zero means never.")] = "0s",
               namespace: NamespaceOpt = None, filename: FilenameOpt = None, recursive: RecursiveOpt = False,
               selector: SelectorOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Show the status of the rollout."""
        inv = common.globals_(namespace, context, kubeconfig)
        if revision < 0:
            raise CliError("revision must be a positive integer")
        run_status(inv, args, filename, recursive, selector, watch, revision, common.parse_duration(timeout))

    @rollout.command("history")
    def history(args: ArgsOpt = None,
                revision: Annotated[int, typer.Option("--revision", help="See the details, including podTemplate of the revision specified")] = 0,
                namespace: NamespaceOpt = None, filename: FilenameOpt = None, recursive: RecursiveOpt = False,
                selector: SelectorOpt = None, output: OutputOpt = None,
                context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """View previous rollout revisions and configurations."""
        inv = common.globals_(namespace, context, kubeconfig)
        if revision < 0:
            raise CliError("revision must be a positive integer")
        run_history(inv, args, filename, recursive, selector, revision)

    @rollout.command("undo")
    def undo(args: ArgsOpt = None,
             to_revision: Annotated[int, typer.Option("--to-revision", help="The revision to rollback to. Default to 0 (last revision).")] = 0,
             namespace: NamespaceOpt = None, filename: FilenameOpt = None, recursive: RecursiveOpt = False,
             selector: SelectorOpt = None, dry_run: DryRunOpt = None, output: OutputOpt = None,
             context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Roll back to a previous rollout."""
        inv = common.globals_(namespace, context, kubeconfig)
        mode = common.parse_dry_run(dry_run)
        objs = resolve(inv, args, filename, recursive, selector)
        _each(inv, objs, lambda k, ns, n: undo_one(inv, k, ns, n, to_revision, mode, output))

    # restart, pause and resume take the same flags and act on each object in turn.
    for verb, doc, act in (
            ("restart", "Restart a resource.", restart_one),
            ("pause", "Mark the provided resource as paused.",
             lambda inv, k, ns, n, output: pause_one(inv, k, ns, n, True, output)),
            ("resume", "Resume a paused resource.",
             lambda inv, k, ns, n, output: pause_one(inv, k, ns, n, False, output))):
        rollout.command(verb, help=doc)(_per_object_command(act))

    set_app = typer.Typer(help="Set specific features on objects.", no_args_is_help=True)
    app.add_typer(set_app, name="set")

    @set_app.command("image")
    def set_image(args: Annotated[Optional[list[str]], typer.Argument(help="(-f FILENAME | TYPE NAME) CONTAINER_NAME_1=CONTAINER_IMAGE_1 ...")] = None,
                  namespace: NamespaceOpt = None, filename: FilenameOpt = None, recursive: RecursiveOpt = False,
                  selector: SelectorOpt = None, all_: AllOpt = False, dry_run: DryRunOpt = None,
                  output: OutputOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Update existing container image(s) of resources."""
        inv = common.globals_(namespace, context, kubeconfig)
        run_set_image(inv, args, filename, recursive, selector, all_, common.parse_dry_run(dry_run), output)

    @set_app.command("resources")
    def set_resources(args: Annotated[Optional[list[str]], typer.Argument(help="(-f FILENAME | TYPE NAME) ([--limits=LIMITS & --requests=REQUESTS]")] = None,
                      namespace: NamespaceOpt = None, filename: FilenameOpt = None, recursive: RecursiveOpt = False,
                      selector: SelectorOpt = None, all_: AllOpt = False,
                      containers: Annotated[str, typer.Option("--containers", "-c", help="The names of containers in the selected pod templates to change, all containers are selected by default - may use wildcards")] = "*",
                      limits: Annotated[Optional[str], typer.Option("--limits", help="The resource requirement requests for this container.  For example, 'cpu=100m,memory=256Mi'.  Note that server side components may assign requests depending on the server configuration, such as limit ranges.")] = None,
                      requests: Annotated[Optional[str], typer.Option("--requests", help="The resource requirement requests for this container.  For example, 'cpu=100m,memory=256Mi'.  Note that server side components may assign requests depending on the server configuration, such as limit ranges.")] = None,
                      dry_run: DryRunOpt = None, output: OutputOpt = None,
                      context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Update resource requests/limits on objects with pod templates."""
        inv = common.globals_(namespace, context, kubeconfig)
        run_set_resources(inv, args, filename, recursive, selector, all_, containers, limits, requests,
                          common.parse_dry_run(dry_run), output)

    @set_app.command("env")
    def set_env(args: Annotated[Optional[list[str]], typer.Argument(help="(-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N")] = None,
                namespace: NamespaceOpt = None, filename: FilenameOpt = None, recursive: RecursiveOpt = False,
                selector: SelectorOpt = None, all_: AllOpt = False,
                containers: Annotated[str, typer.Option("--containers", "-c", help="The names of containers in the selected pod templates to change - may use wildcards")] = "*",
                list_: Annotated[bool, typer.Option("--list", help="If true, display the environment and any changes in the standard format.")] = False,
                from_: Annotated[Optional[str], typer.Option("--from", help="The name of a resource from which to inject environment variables")] = None,
                prefix: Annotated[Optional[str], typer.Option("--prefix", help="Prefix to append to variable names")] = None,
                keys: Annotated[Optional[list[str]], typer.Option("--keys", help="Comma-separated list of keys to import from specified resource")] = None,
                overwrite: Annotated[bool, typer.Option("--overwrite/--no-overwrite", help="If true, allow environment to be overwritten, otherwise reject updates that overwrite existing environment.")] = True,
                dry_run: DryRunOpt = None, output: OutputOpt = None,
                context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Update environment variables on a pod template."""
        inv = common.globals_(namespace, context, kubeconfig)
        key_list = [k for ks in keys or [] for k in ks.split(",") if k]
        run_set_env(inv, args, filename, recursive, selector, all_, containers, list_, from_, prefix, key_list,
                    overwrite, common.parse_dry_run(dry_run), output)
