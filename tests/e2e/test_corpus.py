"""Every real manifest of ../shared/corpus/k8s-examples is either applied and read back
with its defaults, or refused with a kubectl-style reason from the short list below.

The control loops are off (PKUBE_NO_CONVERGE=1): this is about the API accepting
and storing what a real API server accepts, not about running 500 workloads.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import re

import pytest
import yaml

# A copy of ../shared/corpus/k8s-examples (licences and provenance in its LICENSE-NOTE.md),
# kept in the repository so that CI on a fresh machine walks it too.
CORPUS = os.path.join(os.path.dirname(__file__), "..", "corpus", "k8s-examples")
CORPUS = os.environ.get("PKUBE_CORPUS", os.path.normpath(CORPUS))

# Jobs written for `kubectl create` (generateName): kubectl apply refuses them, create takes them.
CREATE_ONLY = {
    "GoogleCloudPlatform__kubernetes-engine-samples/batch/kueue-cohort/job-team-a.yaml",
    "GoogleCloudPlatform__kubernetes-engine-samples/batch/kueue-cohort/job-team-b.yaml",
    "GoogleCloudPlatform__kubernetes-engine-samples/batch/kueue-intro/job-team-a.yaml",
    "GoogleCloudPlatform__kubernetes-engine-samples/batch/kueue-intro/job-team-b.yaml",
}

# path -> a piece of the error that must explain the refusal. Each is a refusal that
# a real v1.37 API server makes too.
REFUSED = {
    # API versions removed from Kubernetes (extensions/v1beta1, apps/v1beta1, autoscaling/v2beta1/2)
    "kubernetes__examples/_archived/newrelic-infrastructure/newrelic-infra-daemonset.yaml":
        'no matches for kind "DaemonSet" in version "extensions/v1beta1"',
    "kubernetes__examples/_archived/volumes/flexvolume/deploy/ds.yaml":
        'no matches for kind "DaemonSet" in version "extensions/v1beta1"',
    "GoogleCloudPlatform__kubernetes-engine-samples/cost-optimization/gke-shift-left-cost/api/testdata/hpa/hpa-v2beta1.yaml":
        'no matches for kind "HorizontalPodAutoscaler" in version "autoscaling/v2beta1"',
    "GoogleCloudPlatform__kubernetes-engine-samples/cost-optimization/gke-shift-left-cost/api/testdata/hpa/hpa-v2beta2.yaml":
        'no matches for kind "HorizontalPodAutoscaler" in version "autoscaling/v2beta2"',
    "GoogleCloudPlatform__kubernetes-engine-samples/cost-optimization/gke-shift-left-cost/api/testdata/manifests/nginx.yaml":
        'no matches for kind "HorizontalPodAutoscaler" in version "autoscaling/v2beta2"',
    "GoogleCloudPlatform__kubernetes-engine-samples/cost-optimization/gke-shift-left-cost/api/testdata/manifests/test.yaml":
        'no matches for kind "Deployment" in version "apps/v1beta1"',
    "GoogleCloudPlatform__kubernetes-engine-samples/cost-optimization/gke-shift-left-cost/samples/k8s-cost-estimator-github/wordpress/wordpress_hpa.yaml":
        'no matches for kind "HorizontalPodAutoscaler" in version "autoscaling/v2beta2"',
    "GoogleCloudPlatform__kubernetes-engine-samples/cost-optimization/gke-shift-left-cost/samples/k8s-cost-estimator-gitlab/wordpress/wordpress_hpa.yaml":
        'no matches for kind "HorizontalPodAutoscaler" in version "autoscaling/v2beta2"',
    "GoogleCloudPlatform__kubernetes-engine-samples/cost-optimization/gke-shift-left-cost/samples/k8s-cost-estimator-local/app-v1/deployment-with-hpa.yaml":
        'no matches for kind "HorizontalPodAutoscaler" in version "autoscaling/v2beta2"',
    "GoogleCloudPlatform__kubernetes-engine-samples/cost-optimization/gke-shift-left-cost/samples/k8s-cost-estimator-local/app-v1/deployment.yaml":
        'no matches for kind "Deployment" in version "apps/v1beta1"',
    "GoogleCloudPlatform__kubernetes-engine-samples/cost-optimization/gke-shift-left-cost/samples/k8s-cost-estimator-local/app-v2/deployment-with-hpa.yaml":
        'no matches for kind "HorizontalPodAutoscaler" in version "autoscaling/v2beta2"',
    "GoogleCloudPlatform__kubernetes-engine-samples/cost-optimization/gke-shift-left-cost/samples/k8s-cost-estimator-local/app-v2/deployment.yaml":
        'no matches for kind "Deployment" in version "apps/v1beta1"',
    # Placeholders meant to be filled in before applying (`$K8S_SA_NAME`, `<KSA_NAME>`, `PORT`, `{{uid}}`)
    "kubernetes__examples/_archived/storage/vitess/vttablet-pod-template.yaml": 'Invalid value: "vttablet-{{uid}}"',
    "GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/gke-online-serving-single-gpu/src/gke-config/deployment-tfserve.yaml":
        'serviceAccountName: Invalid value: "$K8S_SA_NAME"',
    "GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/gke-online-serving-single-gpu/src/gke-config/deployment-triton.yaml":
        'serviceAccountName: Invalid value: "$K8S_SA_NAME"',
    "GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/gke-ray/rayserve/llm/tpu/components/model-downloader-job.yaml":
        'serviceAccountName: Invalid value: "${KSA_NAME}"',
    "GoogleCloudPlatform__kubernetes-engine-samples/autoscaling/custom-compute-classes/reservations/deployment-gpu.yaml":
        'Invalid value: "${ACCELERATOR_QUANTITY}"',
    "GoogleCloudPlatform__kubernetes-engine-samples/databases/hello-app-cloud-spanner/k8s/deployment.yaml":
        'serviceAccountName: Invalid value: "<KSA_NAME>"',
    "GoogleCloudPlatform__kubernetes-engine-samples/networking/sctp/sctp-deployment.yaml": 'Invalid value: "PORT"',
    # Lower-case protocol: the API server only accepts TCP, UDP, SCTP
    "kubernetes__examples/_archived/volumes/aws_ebs/aws-ebs-web.yaml": 'Unsupported value: "tcp"',
    "kubernetes__examples/_archived/volumes/cinder/cinder-web.yaml": 'Unsupported value: "tcp"',
}

# what `get -o json` must show for each kind: defaults the API server fills in
DEFAULTED = {
    "Deployment": lambda o: o["spec"]["strategy"]["type"] and o["spec"]["revisionHistoryLimit"] == 10,
    "Pod": lambda o: o["spec"]["restartPolicy"] and o["spec"]["dnsPolicy"] and o["status"]["phase"],
    "Service": lambda o: o["spec"]["sessionAffinity"] and o["spec"]["type"],
    "Job": lambda o: o["spec"]["backoffLimit"] is not None and o["spec"]["completionMode"],
    "StatefulSet": lambda o: o["spec"]["podManagementPolicy"],
    "DaemonSet": lambda o: o["spec"]["updateStrategy"]["type"],
    "CronJob": lambda o: o["spec"]["concurrencyPolicy"],
    "Secret": lambda o: o["type"],
}


FIXED_NODE_PORT = re.compile(r"^\s*nodePort:\s*[1-9]", re.M)


def corpus_files() -> list[str]:
    index = os.path.join(CORPUS, "INDEX.tsv")
    if not os.path.exists(index):
        return []
    with open(index, encoding="utf-8") as f:
        return [line.split("\t")[0] for line in f.read().splitlines()[1:] if line.strip()]


def explicit_namespaces(path: str) -> set[str]:
    found = set()
    try:
        with open(path, encoding="utf-8") as f:
            for d in yaml.safe_load_all(f):
                meta = d.get("metadata") if isinstance(d, dict) else None
                if isinstance(meta, dict) and meta.get("namespace"):
                    found.add(meta["namespace"])
    except yaml.YAMLError:
        pass
    return found


@pytest.mark.skipif(not corpus_files(), reason="the shared corpus is not next to this checkout")
def test_whole_corpus_is_applied_or_refused_with_a_reason(cluster):
    cluster.env["PKUBE_NO_CONVERGE"] = "1"
    files = corpus_files()
    paths = {f: os.path.join(CORPUS, f) for f in files}
    namespaces = set().union(*(explicit_namespaces(p) for p in paths.values()))
    namespaces |= {f"c{i}" for i in range(len(files))}
    docs = "\n---\n".join(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: '{n}'}}"
                          for n in sorted(namespaces) if not n.startswith("kube-") and n != "default")
    cluster.ok("apply", "-f", "-", input=docs)

    def one(i: int):
        f = files[i]
        # A file that names its namespaces is applied as written; the others get a
        # namespace of their own so that equal names in different files do not meet.
        ns = [] if explicit_namespaces(paths[f]) else ["-n", f"c{i}"]
        if f in CREATE_ONLY:
            refused = cluster.pk("apply", *ns, "-f", paths[f])
            assert refused.returncode == 1 and "cannot use generate name with apply" in refused.stderr, f
            created = cluster.pk("create", *ns, "-f", paths[f], "-o", "json")
            return f, created, created
        applied = cluster.pk("apply", *ns, "-f", paths[f])
        got = cluster.pk("get", *ns, "-f", paths[f], "-o", "json") if applied.returncode == 0 else None
        return f, applied, got

    unexpected, accepted_but_listed, undefaulted = [], [], []
    # Files that fix a nodePort go first, as an operator would apply them: the API server
    # keeps random nodePorts out of the low static band only, so a random one could take
    # 31000 before the file that names it (as on a real cluster).
    fixed = [i for i, f in enumerate(files) if FIXED_NODE_PORT.search(open(paths[f], encoding="utf-8").read())]
    rest = [i for i in range(len(files)) if i not in fixed]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for f, applied, got in [one(i) for i in fixed] + list(pool.map(one, rest)):
            assert "Traceback" not in applied.stderr, f
            if applied.returncode != 0:
                reason = REFUSED.get(f)
                if reason is None or reason not in applied.stderr:
                    unexpected.append(f"{f}: {applied.stderr.strip()[:300]}")
                assert applied.stderr.startswith(("error:", "Error from server", "The ", "Warning:")), f
                continue
            if f in REFUSED:
                accepted_but_listed.append(f)
            assert got.returncode == 0, (f, got.stderr)
            data = json.loads(got.stdout)
            for obj in data["items"] if data.get("kind") == "List" else [data]:
                check = DEFAULTED.get(obj["kind"])
                assert obj["metadata"]["uid"] and obj["metadata"]["resourceVersion"], f
                if check is not None and not check(obj):
                    undefaulted.append(f"{f}: {obj['kind']}")
    assert unexpected == [], "refused without a listed reason:\n" + "\n".join(unexpected)
    assert accepted_but_listed == [], f"listed as refused but accepted: {accepted_but_listed}"
    assert undefaulted == []
    assert len(files) > 500
