#!/usr/bin/env bash
# Export the objects you made (not the ones the cluster made for you) to YAML with
# `get -o yaml`, strip what the server fills in, restore them into another cluster,
# and check that the two exports match.
#
#   examples/scripts/export-restore.sh SOURCE_STATE_DIR DEST_STATE_DIR [EXPORT_DIR]
#
# Each state dir is a pkube cluster (what PKUBE_HOME names); DEST should be new.
# With kubectl, use two contexts instead of PKUBE_HOME.
set -euo pipefail

if (( $# < 2 )); then
    echo "usage: $0 SOURCE_STATE_DIR DEST_STATE_DIR [EXPORT_DIR]" >&2
    exit 1
fi
SRC=$1
DEST=$2
OUT=${3:-$(mktemp -d)}
PKUBECTL=${PKUBECTL:-pkubectl}
# The kinds people write; Pods, ReplicaSets, Endpoints, Events... are made by the cluster.
KINDS=${KINDS:-namespaces,configmaps,secrets,serviceaccounts,services,deployments.apps,statefulsets.apps,daemonsets.apps,cronjobs.batch,jobs.batch,horizontalpodautoscalers.autoscaling}
# A Python with PyYAML: the one pkubectl runs on.
PYTHON=${PYTHON:-$(head -1 "$(command -v "$PKUBECTL")" | sed -n 's/^#!//p')}
[[ -x ${PYTHON%% *} ]] || PYTHON=python3

mkdir -p "$OUT"
in_cluster() { local home=$1; shift; PKUBE_HOME=$home "$PKUBECTL" "$@"; }

# Reads a `kind: List` on stdin, writes the user's objects without server fields.
strip() {
    "$PYTHON" -c '
import sys, yaml
SERVER_META = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
               "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")
SERVER_ANNOTATIONS = ("deployment.kubernetes.io/revision",)
BUILTIN_NS = {"default", "kube-system", "kube-public", "kube-node-lease"}
def made_by_cluster(o):
    m, kind = o["metadata"], o["kind"]
    return (m.get("ownerReferences")
            or (kind == "Namespace" and m["name"] in BUILTIN_NS)
            or (kind == "Service" and m["name"] == "kubernetes" and m.get("namespace") == "default")
            or (kind == "ConfigMap" and m["name"] == "kube-root-ca.crt")
            or (kind == "ServiceAccount" and m["name"] == "default")
            or (kind == "Secret" and o.get("type") == "kubernetes.io/service-account-token"))
out = []
for o in yaml.safe_load(sys.stdin)["items"]:
    if made_by_cluster(o):
        continue
    o.pop("status", None)
    m = o["metadata"]
    for k in SERVER_META:
        m.pop(k, None)
    ann = m.get("annotations") or {}
    for k in SERVER_ANNOTATIONS:
        ann.pop(k, None)
    if not ann:
        m.pop("annotations", None)
    if o["kind"] == "Service":  # allocated by the server
        for k in ("clusterIP", "clusterIPs"):
            o["spec"].pop(k, None)
    out.append(o)
out.sort(key=lambda o: (o["kind"] != "Namespace", o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]))
yaml.safe_dump_all(out, sys.stdout, sort_keys=True)
'
}

echo "== export from $SRC"
in_cluster "$SRC" get "$KINDS" -A -o yaml | strip > "$OUT/export.yaml"
count=$(grep -c '^kind:' "$OUT/export.yaml" || true)
echo "$count objects -> $OUT/export.yaml"

echo "== restore into $DEST"
if [[ -e $DEST/state.db ]]; then
    echo "error: $DEST already holds a cluster; restore into a new state dir" >&2
    exit 1
fi
if (( count > 0 )); then
    in_cluster "$DEST" create -f "$OUT/export.yaml"
fi

echo "== verify"
in_cluster "$DEST" get "$KINDS" -A -o yaml | strip > "$OUT/restored.yaml"
if ! diff -u "$OUT/export.yaml" "$OUT/restored.yaml"; then
    echo "export-restore failed: the restored objects differ (diff above)" >&2
    exit 1
fi
echo "restored $count objects; they match"
