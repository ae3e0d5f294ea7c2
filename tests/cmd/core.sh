#!/usr/bin/env bash
# Core kinds through pkubectl: pods, configmaps, namespaces; create/get/label/annotate/
# patch/delete asserted with jsonpath (Kubernetes test/cmd core.sh, written afresh).
#   PKUBE_HOME=$(mktemp -d) bash tests/cmd/core.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

POD_YAML='apiVersion: v1
kind: Pod
metadata:
  name: valid-pod
  labels:
    name: valid-pod
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]'

test_pods() {
    kube::test::get_object_assert pods "" '{range .items[*]}{.metadata.name}:{end}' ''
    echo "$POD_YAML" | kubectl create -f -
    kube::test::get_object_assert pods "" '{range .items[*]}{.metadata.name}:{end}' 'valid-pod:'
    kube::test::get_object_assert pod valid-pod '{.metadata.labels.name}' 'valid-pod'
    kube::test::get_object_assert pod/valid-pod "" '{.spec.containers[0].image}' 'busybox'
    local out
    out=$(kubectl get pods -o name)
    kube::test::if_has_string "$out" "pod/valid-pod"
    out=$(kubectl describe pod valid-pod)
    kube::test::if_has_string "$out" "Name:"
    kube::test::if_has_string "$out" "valid-pod"
    # missing objects: rc 1, message on stderr
    kube::test::expect_failure out kubectl get pods abc
    kube::test::if_has_string "$out" 'pods "abc" not found'
    kube::test::expect_failure out kubectl get pods abc -o name
    kube::test::if_has_not_string "$out" "List"
    # labels
    kubectl label pods valid-pod new-name=new-valid-pod
    kube::test::get_object_assert pod valid-pod '{.metadata.labels.new-name}' 'new-valid-pod'
    kube::test::expect_failure out kubectl label pods valid-pod new-name=again
    kube::test::if_has_string "$out" "--overwrite"
    kubectl label pods valid-pod new-name=again --overwrite
    kube::test::get_object_assert pod valid-pod '{.metadata.labels.new-name}' 'again'
    kubectl label pods valid-pod new-name-
    kube::test::get_object_assert pod valid-pod '{.metadata.labels.new-name}' ''
    # annotations
    kubectl annotate pods valid-pod description='my frontend'
    kube::test::get_object_assert pod valid-pod '{.metadata.annotations.description}' 'my frontend'
    # patch
    kubectl patch pod valid-pod -p '{"metadata":{"labels":{"patched":"yes"}}}'
    kube::test::get_object_assert pod valid-pod '{.metadata.labels.patched}' 'yes'
    kubectl patch pod valid-pod --type=json -p '[{"op":"replace","path":"/metadata/labels/patched","value":"json"}]'
    kube::test::get_object_assert pod valid-pod '{.metadata.labels.patched}' 'json'
    # selectors
    kube::test::get_object_assert pods "" '{range .items[*]}{.metadata.name}:{end}' 'valid-pod:' -l patched=json
    kube::test::get_object_assert pods "" '{range .items[*]}{.metadata.name}:{end}' '' -l patched=nope
    # delete
    kubectl delete pod valid-pod --grace-period=0 --force
    kube::test::wait_object_assert pods "" '{range .items[*]}{.metadata.name}:{end}' ''
}

test_configmaps_and_namespaces() {
    kubectl create namespace test-cm
    kube::test::get_object_assert namespace test-cm '{.status.phase}' 'Active'
    kubectl create configmap test-configmap --from-literal=key1=config1 -n test-cm
    kube::test::get_object_assert configmap test-configmap '{.data.key1}' 'config1' -n test-cm
    kube::test::get_object_assert cm "" '{range .items[*]}{.metadata.name}:{end}' 'kube-root-ca.crt:test-configmap:' -n test-cm
    local out
    out=$(kubectl create configmap test-configmap --from-literal=a=b -n test-cm --dry-run=client -o yaml)
    kube::test::if_has_string "$out" "name: test-configmap"
    kube::test::expect_failure out kubectl create configmap test-configmap --from-literal=a=b -n test-cm
    kube::test::if_has_string "$out" 'configmaps "test-configmap" already exists'
    kubectl delete configmap test-configmap -n test-cm
    kube::test::get_object_assert cm "" '{range .items[*]}{.metadata.name}:{end}' 'kube-root-ca.crt:' -n test-cm
    kubectl delete namespace test-cm
    kube::test::wait_object_assert namespaces "" '{range .items[?(@.metadata.name=="test-cm")]}{.metadata.name}{end}' ''
}

test_usage_errors() {
    local out
    kube::test::expect_failure out kubectl get
    kube::test::if_has_string "$out" "error: Required resource not specified."
    kube::test::expect_failure out kubectl get nosuchtype
    kube::test::if_has_string "$out" 'the server doesn'"'"'t have a resource type "nosuchtype"'
    kube::test::expect_failure out kubectl get pods -o bogus
    kube::test::if_has_string "$out" 'unable to match a printer suitable for the output format "bogus"'
    kube::test::expect_failure out kubectl delete pod
    kube::test::if_has_string "$out" "resource(s) were provided, but no name was specified"
}

kube::test::run_suite core test_pods test_configmaps_and_namespaces test_usage_errors
