"""StatefulSet controller (pkg/controller/statefulset): stable names, ordered changes.

Pods are `<name>-<ordinal>` with hostname = pod name and subdomain = spec.serviceName,
labelled statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index and
controller-revision-hash. OrderedReady creates 0..N-1 one at a time, each after the one
before is Running and Ready, and removes surplus pods from the highest ordinal, one at a
time, only while the rest are healthy; Parallel does both without waiting. A failed pod
is deleted and recreated under the same name.

RollingUpdate replaces pods whose revision is not the update revision, from the highest
ordinal down to spec.updateStrategy.rollingUpdate.partition, one at a time, each after the
previous replacement is Running and Ready; pods below the partition are recreated from
the current revision. When every pod runs the update revision it becomes the current
one. OnDelete only uses the new template for pods someone deleted. Revisions are
ControllerRevisions `<name>-<hash>` (shared helpers in daemonset.py).

volumeClaimTemplates: pkube has no PersistentVolumes. Rather than refuse a manifest that
real clusters run, each claim becomes an emptyDir volume of the same name in the pod (so
volumeMounts resolve and the app starts), and a Warning event
VolumeClaimTemplatesUnsupported on the StatefulSet says plainly that the data does not
survive the pod.
"""
from __future__ import annotations

import copy

from pkubectl.api import errors, registry, selectors
from pkubectl.controllers import common
from pkubectl.controllers.daemonset import (REVISION_HASH, ensure_revision, owned_revisions, prune_revisions,
                                            template_of)

COMPONENT = "statefulset-controller"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
NO_PVC_REASON = "VolumeClaimTemplatesUnsupported"


def ordinal_of(sts: dict, pod: dict) -> int | None:
    """getParentNameAndOrdinal: `<sts>-<n>` -> n."""
    prefix = sts["metadata"]["name"] + "-"
    name = pod["metadata"]["name"]
    if not name.startswith(prefix) or not name[len(prefix):].isdigit():
        return None
    return int(name[len(prefix):])


def running_and_ready(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and common.pod_ready(pod)


def pod_revision(pod: dict) -> str:
    return common.labels_of(pod).get(REVISION_HASH, "")


def pod_from_revision(sts: dict, template: dict, revision_name: str, ordinal: int) -> dict:
    """newVersionedStatefulSetPod: identity, the revision label, emptyDir for claims."""
    name = f"{sts['metadata']['name']}-{ordinal}"
    tmeta = template.get("metadata") or {}
    meta: dict = {"name": name, "namespace": sts["metadata"]["namespace"],
                  "ownerReferences": [common.controller_ref_to(sts)]}
    for key in ("labels", "annotations", "finalizers"):
        if tmeta.get(key):
            meta[key] = copy.deepcopy(tmeta[key])
    labels = meta.setdefault("labels", {})
    labels[POD_NAME_LABEL] = name
    labels[POD_INDEX_LABEL] = str(ordinal)
    labels[REVISION_HASH] = revision_name
    spec = copy.deepcopy(template.get("spec") or {})
    spec["hostname"] = name
    if (sts.get("spec") or {}).get("serviceName"):
        spec["subdomain"] = sts["spec"]["serviceName"]
    volumes = spec.setdefault("volumes", [])
    for claim in (sts.get("spec") or {}).get("volumeClaimTemplates") or []:
        cname = (claim.get("metadata") or {}).get("name")
        if cname and not any(v.get("name") == cname for v in volumes):
            volumes.append({"name": cname, "emptyDir": {}})
    if not volumes:
        spec.pop("volumes")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def sync(api) -> int:
    sets, _ = api.list(registry.lookup("statefulsets"), None)
    if not sets:
        return 0
    pods_by_ns: dict[str, list[dict]] = {}
    for p in api.list(registry.lookup("pods"), None)[0]:
        pods_by_ns.setdefault(p["metadata"].get("namespace", ""), []).append(p)
    writes = 0
    for sts in sets:
        try:
            writes += Sync(api, sts, pods_by_ns.get(sts["metadata"]["namespace"], [])).run()
        except errors.ApiError as e:
            if e.reason not in common.RETRY_LATER:
                raise
    return writes


class Sync:
    def __init__(self, api, sts: dict, ns_pods: list[dict]):
        self.api, self.sts, self.ns_pods = api, sts, ns_pods
        self.spec = sts.get("spec") or {}
        self.writes = 0
        self.pod_kind = registry.lookup("pods")

    def event(self, type_: str, reason: str, message: str) -> None:
        self.api.record_event(self.sts, type_, reason, message, component=COMPONENT)
        self.writes += reason != "FailedCreate"  # a repeated failure is not progress

    def run(self) -> int:
        sts, spec = self.sts, self.spec
        try:
            selector = selectors.from_label_selector(spec.get("selector"))
        except selectors.SelectorError:
            return 0
        pods, self.writes = common.claim(self.api, sts, selector,
                                         [p for p in self.ns_pods if ordinal_of(sts, p) is not None])
        if common.being_deleted(sts):
            return self.writes
        revisions = owned_revisions(self.api, sts)
        update = ensure_revision(self.api, sts, spec.get("template") or {},
                                 (spec.get("selector") or {}).get("matchLabels") or {}, revisions)
        if update is None:
            return self.writes
        if update not in revisions:
            self.writes += 1
            revisions = owned_revisions(self.api, sts)
        status = sts.get("status") or {}
        update_name = update["metadata"]["name"]
        current_name = status.get("currentRevision") or update_name
        current = next((cr for cr in revisions if cr["metadata"]["name"] == current_name), None)
        if current is None:
            current, current_name = update, update_name
        if spec.get("volumeClaimTemplates") and not status.get("observedGeneration"):
            claims = ", ".join((c.get("metadata") or {}).get("name", "") for c in spec["volumeClaimTemplates"])
            self.event("Warning", NO_PVC_REASON,
                       f"volumeClaimTemplates ({claims}) are not supported by pkube: each claim is an emptyDir "
                       f"volume in its pod, so the data is not persistent and is lost when the pod is deleted")
        by_ordinal: dict[int, dict] = {}
        condemned: list[dict] = []
        replicas = spec.get("replicas", 1)
        for p in pods:
            o = ordinal_of(sts, p)
            if o is None:
                continue
            if o < replicas:
                by_ordinal[o] = p
            else:
                condemned.append(p)
        parallel = spec.get("podManagementPolicy") == "Parallel"
        rolling = (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"
        partition = (((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition") or 0) \
            if rolling else 0
        self._reconcile(by_ordinal, condemned, replicas, parallel, rolling, partition,
                        current, current_name, update, update_name)
        writes_status = self._status(current_name, update_name, replicas)
        in_use = {current_name, update_name} | {pod_revision(p) for p in pods}
        self.writes += prune_revisions(self.api, sts, owned_revisions(self.api, sts), in_use,
                                       spec.get("revisionHistoryLimit", 10))
        return self.writes + writes_status

    def _revision_for(self, ordinal: int, partition: int, rolling: bool, current, current_name, update,
                      update_name):
        if rolling and ordinal < partition:
            return current, current_name
        return update, update_name

    def _create(self, ordinal: int, revision, revision_name: str) -> None:
        pod = pod_from_revision(self.sts, template_of(revision), revision_name, ordinal)
        try:
            self.api.create(pod)
        except errors.ApiError as e:
            if e.reason == "AlreadyExists":
                return
            self.event("Warning", "FailedCreate", f"create Pod {pod['metadata']['name']} in StatefulSet "
                                                  f"{self.sts['metadata']['name']} failed error: {e.message}")
            return
        self.writes += 1
        self.event("Normal", "SuccessfulCreate", f"create Pod {pod['metadata']['name']} in StatefulSet "
                                                 f"{self.sts['metadata']['name']} successful")

    def _delete(self, pod: dict) -> bool:
        out = common.tolerant(self.api.delete, self.pod_kind, pod["metadata"]["namespace"], pod["metadata"]["name"],
                              uid=pod["metadata"]["uid"])
        if out is None:
            return False
        self.writes += 1
        self.event("Normal", "SuccessfulDelete", f"delete Pod {pod['metadata']['name']} in StatefulSet "
                                                 f"{self.sts['metadata']['name']} successful")
        return True

    def _reconcile(self, by_ordinal, condemned, replicas, parallel, rolling, partition,
                   current, current_name, update, update_name) -> None:
        # 1. create missing / replace failed pods, in order
        for o in range(replicas):
            pod = by_ordinal.get(o)
            if pod is not None and (pod.get("status") or {}).get("phase") == "Failed" \
                    and not common.being_deleted(pod):
                self._delete(pod)
                if not parallel:
                    return
                continue
            if pod is None:
                self._create(o, *self._revision_for(o, partition, rolling, current, current_name, update,
                                                    update_name))
                if not parallel:
                    return
                continue
            if not parallel and (common.being_deleted(pod) or not running_and_ready(pod)):
                return  # OrderedReady: wait for this one
        # 2. scale down from the highest ordinal
        live_condemned = sorted((p for p in condemned if not common.being_deleted(p)),
                                key=lambda p: -ordinal_of(self.sts, p))
        if condemned and not parallel:
            if any(common.being_deleted(p) for p in condemned):
                return  # one at a time
            if not all(running_and_ready(p) for p in by_ordinal.values()):
                return
            if live_condemned:
                self._delete(live_condemned[0])
            return
        for p in live_condemned:
            self._delete(p)
        if live_condemned:
            return
        # 3. rolling update, highest ordinal first, down to the partition
        if not rolling:
            return
        if not all(running_and_ready(p) and not common.being_deleted(p) for p in by_ordinal.values()):
            return
        for o in range(replicas - 1, partition - 1, -1):
            pod = by_ordinal.get(o)
            if pod is not None and pod_revision(pod) != update_name:
                self._delete(pod)
                return

    def _status(self, current_name: str, update_name: str, replicas: int) -> int:
        pods = [p for p in self.api.list(self.pod_kind, self.sts["metadata"]["namespace"])[0]
                if common.is_controlled_by(p, self.sts) and ordinal_of(self.sts, p) is not None
                and not common.being_deleted(p)]
        min_ready = self.spec.get("minReadySeconds") or 0
        ready = sum(1 for p in pods if running_and_ready(p))
        available = sum(1 for p in pods if running_and_ready(p) and common.pod_available(p, min_ready))
        cur = sum(1 for p in pods if pod_revision(p) == current_name)
        upd = sum(1 for p in pods if pod_revision(p) == update_name)
        if upd == replicas == len(pods) and ready == replicas and current_name != update_name:
            current_name, cur = update_name, upd  # the rollout finished: the update is current
        old = self.sts.get("status") or {}
        status = {"observedGeneration": self.sts["metadata"].get("generation", 1), "replicas": len(pods),
                  "readyReplicas": ready, "currentReplicas": cur, "updatedReplicas": upd,
                  "currentRevision": current_name, "updateRevision": update_name,
                  "collisionCount": old.get("collisionCount", 0), "availableReplicas": available}
        for key in ("readyReplicas", "currentReplicas", "updatedReplicas"):
            if not status[key]:
                status.pop(key)
        if old.get("conditions"):
            status["conditions"] = old["conditions"]
        if status == old:
            return 0
        new = copy.deepcopy(self.sts)
        new["status"] = status
        return int(common.tolerant(self.api.update_status, new) is not None)
