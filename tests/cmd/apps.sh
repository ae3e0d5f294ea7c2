#!/usr/bin/env bash
# Deployments through pkubectl: create, scale, rollout (status, history, undo), set image,
# cascading delete, asserted with jsonpath (Kubernetes test/cmd apps.sh, written afresh).
#   PKUBE_HOME=$(mktemp -d) bash tests/cmd/apps.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE1=python:3.12-slim
IMAGE2=python:3.13-slim

test_deployment_lifecycle() {
    kube::test::get_object_assert deployments "" '{range .items[*]}{.metadata.name}:{end}' ''
    kubectl create deployment web --image="$IMAGE1" --replicas=2 -- python3 -c 'import time; time.sleep(3600)'
    kube::test::get_object_assert deployment web '{.spec.replicas}' '2'
    kube::test::get_object_assert deployment web '{.spec.template.spec.containers[0].image}' "$IMAGE1"
    kubectl rollout status deployment/web --timeout=120s
    kube::test::get_object_assert deployment web '{.status.readyReplicas}' '2'
    kube::test::get_object_assert pods "" '{range .items[*]}{.metadata.labels.app}:{end}' 'web:web:' -l app=web

    # scale, with and without a precondition
    kubectl scale deployment web --replicas=3
    kube::test::get_object_assert deployment web '{.spec.replicas}' '3'
    local out
    kube::test::expect_failure out kubectl scale deployment web --replicas=1 --current-replicas=2
    kube::test::get_object_assert deployment web '{.spec.replicas}' '3'
    kubectl scale deployment web --replicas=1 --current-replicas=3
    kube::test::get_object_assert deployment web '{.spec.replicas}' '1'
    kubectl rollout status deployment/web --timeout=120s
    kube::test::wait_object_assert pods "" '{range .items[*]}{.metadata.labels.app}:{end}' 'web:'

    # a new image makes revision 2; undo goes back to the first image
    kubectl set image deployment/web "*=$IMAGE2"
    kube::test::get_object_assert deployment web '{.spec.template.spec.containers[0].image}' "$IMAGE2"
    kubectl rollout status deployment/web --timeout=120s
    kube::test::get_object_assert deployment web "{.metadata.annotations['deployment\.kubernetes\.io/revision']}" '2'
    out=$(kubectl rollout history deployment/web)
    kube::test::if_has_string "$out" "deployment.apps/web"
    kube::test::if_has_string "$out" "REVISION  CHANGE-CAUSE"
    kubectl rollout undo deployment/web
    kube::test::get_object_assert deployment web '{.spec.template.spec.containers[0].image}' "$IMAGE1"
    kubectl rollout status deployment/web --timeout=120s
    kube::test::expect_failure out kubectl rollout undo deployment/web --to-revision=1000000
    kube::test::if_has_string "$out" "unable to find specified revision"

    # -o name is what scripts chain on
    out=$(kubectl get deployments -o name)
    kube::test::if_has_string "$out" "deployment.apps/web"

    # cascading delete takes the ReplicaSets and Pods with it
    kubectl delete deployment web
    kube::test::get_object_assert deployments "" '{range .items[*]}{.metadata.name}:{end}' ''
    kube::test::wait_object_assert replicasets "" '{range .items[*]}{.metadata.name}:{end}' ''
    kube::test::wait_object_assert pods "" '{range .items[*]}{.metadata.name}:{end}' ''
}

test_deployment_errors() {
    local out
    kube::test::expect_failure out kubectl get deployment nope
    kube::test::if_has_string "$out" 'deployments.apps "nope" not found'
    kube::test::expect_failure out kubectl scale deployment nope --replicas=1
    kube::test::expect_failure out kubectl rollout status deployment/nope
}

kube::test::run_suite apps test_deployment_lifecycle test_deployment_errors
