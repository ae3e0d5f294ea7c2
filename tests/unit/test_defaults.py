"""Server defaulting: each kind gets exactly what the API server would fill in."""

from __future__ import annotations

import copy

import pytest

from pkubectl.api.defaults import DEFAULTERS, apply_defaults, image_tag, pull_policy_for, template_defaults

UID = "0b4e8c4a-3f0e-4d5e-9a51-2c1f8a6b7d90"


def make_pod(**spec) -> dict:
    spec.setdefault("containers", [{"name": "web", "image": "nginx:1.25"}])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"}, "spec": spec}


def make_workload(kind: str, api_version: str = "apps/v1", **spec) -> dict:
    spec.setdefault("selector", {"matchLabels": {"app": "web"}})
    spec.setdefault("template", {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    })
    return {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": "web", "namespace": "default", "uid": UID}, "spec": spec}


def make_job(**spec) -> dict:
    spec.setdefault("template", {"spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "pi", "image": "perl:5.34"}]}})
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "pi", "namespace": "default", "uid": UID}, "spec": spec}


def make_service(**spec) -> dict:
    spec.setdefault("ports", [{"port": 80}])
    spec.setdefault("selector", {"app": "web"})
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"}, "spec": spec}


def defaulted(obj: dict) -> dict:
    apply_defaults(obj)
    return obj


# --- images ---------------------------------------------------------------------------


@pytest.mark.parametrize("image, tag, policy", [
    pytest.param("nginx", "latest", "Always", id="no-tag"),
    pytest.param("nginx:latest", "latest", "Always", id="latest"),
    pytest.param("nginx:1.25", "1.25", "IfNotPresent", id="tag"),
    pytest.param("registry.local:5000/team/app", "latest", "Always", id="registry-port-no-tag"),
    pytest.param("registry.local:5000/team/app:v2", "v2", "IfNotPresent", id="registry-port-tag"),
    pytest.param("busybox@sha256:" + "a" * 64, "", "IfNotPresent", id="digest"),
    pytest.param("busybox:latest@sha256:" + "a" * 64, "latest", "Always", id="latest-and-digest"),
    pytest.param("", "latest", "IfNotPresent", id="empty-image"),
])
def test_image_pull_policy_follows_the_tag(image, tag, policy):
    if image:
        assert image_tag(image) == tag
    assert pull_policy_for(image) == policy


# --- Pods -----------------------------------------------------------------------------


def test_pod_gets_spec_container_and_admission_defaults():
    pod = defaulted(make_pod())
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["securityContext"] == {}
    assert spec["enableServiceLinks"] is True
    assert spec["serviceAccountName"] == "default"
    assert spec["serviceAccount"] == "default"
    assert spec["priority"] == 0
    assert spec["preemptionPolicy"] == "PreemptLowerPriority"
    assert spec["tolerations"] == [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
    ]
    container = spec["containers"][0]
    assert container == {
        "name": "web", "image": "nginx:1.25", "imagePullPolicy": "IfNotPresent",
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "resources": {},
    }
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_pod_keeps_values_the_user_set():
    pod = defaulted(make_pod(restartPolicy="Never", terminationGracePeriodSeconds=0, dnsPolicy="Default",
                             serviceAccountName="builder", enableServiceLinks=False, priority=5))
    spec = pod["spec"]
    assert (spec["restartPolicy"], spec["terminationGracePeriodSeconds"], spec["dnsPolicy"]) == ("Never", 0, "Default")
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "builder"
    assert spec["enableServiceLinks"] is False
    assert spec["priority"] == 5


def test_deprecated_service_account_fills_service_account_name():
    pod = defaulted(make_pod(serviceAccount="legacy"))
    assert pod["spec"]["serviceAccountName"] == "legacy"


def test_pod_with_priority_class_gets_no_default_priority():
    pod = defaulted(make_pod(priorityClassName="high"))
    assert "priority" not in pod["spec"]


@pytest.mark.parametrize("toleration, added", [
    pytest.param({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
                 ["node.kubernetes.io/unreachable"], id="not-ready-already"),
    pytest.param({"operator": "Exists"}, [], id="tolerate-everything"),
    pytest.param({"key": "node.kubernetes.io/unreachable", "operator": "Exists"},
                 ["node.kubernetes.io/not-ready"], id="any-effect"),
    pytest.param({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule"},
                 ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"], id="other-effect-does-not-count"),
])
def test_default_tolerations_skip_taints_already_tolerated(toleration, added):
    pod = defaulted(make_pod(tolerations=[dict(toleration)]))
    assert pod["spec"]["tolerations"][0] == toleration
    assert [t["key"] for t in pod["spec"]["tolerations"][1:]] == added


def test_pod_requests_default_to_limits():
    pod = defaulted(make_pod(containers=[{"name": "c", "image": "x:1",
                                          "resources": {"limits": {"cpu": "1", "memory": "64Mi"},
                                                        "requests": {"cpu": "500m"}}}]))
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "500m", "memory": "64Mi"}
    assert pod["status"]["qosClass"] == "Burstable"


def test_pod_with_equal_requests_and_limits_is_guaranteed():
    pod = defaulted(make_pod(containers=[{"name": "c", "image": "x:1",
                                          "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]))
    assert pod["status"]["qosClass"] == "Guaranteed"


def test_host_network_pod_ports_get_host_ports():
    pod = defaulted(make_pod(hostNetwork=True, containers=[{"name": "c", "image": "x:1",
                                                            "ports": [{"containerPort": 8080}]}]))
    assert pod["spec"]["containers"][0]["ports"] == [{"containerPort": 8080, "protocol": "TCP", "hostPort": 8080}]


def test_container_ports_probes_and_handlers_are_defaulted():
    pod = defaulted(make_pod(containers=[{
        "name": "c", "image": "x:1",
        "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
        "livenessProbe": {"httpGet": {"port": 80}},
        "readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 5},
        "startupProbe": {"grpc": {"port": 9000}},
        "lifecycle": {"preStop": {"httpGet": {"port": 80, "path": "/stop"}}},
    }]))
    container = pod["spec"]["containers"][0]
    assert [p["protocol"] for p in container["ports"]] == ["TCP", "UDP"]
    assert container["livenessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3,
    }
    assert container["readinessProbe"]["periodSeconds"] == 5
    assert container["startupProbe"]["grpc"] == {"port": 9000, "service": ""}
    assert container["lifecycle"]["preStop"]["httpGet"] == {"port": 80, "path": "/stop", "scheme": "HTTP"}


def test_init_containers_get_container_defaults():
    pod = defaulted(make_pod(initContainers=[{"name": "init", "image": "busybox"}]))
    assert pod["spec"]["initContainers"][0]["imagePullPolicy"] == "Always"


def test_volumes_and_env_sources_are_defaulted():
    pod = defaulted(make_pod(
        volumes=[
            {"name": "scratch"},
            {"name": "cfg", "configMap": {"name": "cfg"}},
            {"name": "sec", "secret": {"secretName": "s", "defaultMode": 256}},
            {"name": "host", "hostPath": {"path": "/tmp"}},
            {"name": "info", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
            {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
        ],
        containers=[{"name": "c", "image": "x:1", "env": [
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
        ]}],
    ))
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["scratch"] == {"name": "scratch", "emptyDir": {}}
    assert volumes["cfg"]["configMap"] == {"name": "cfg", "defaultMode": 420}
    assert volumes["sec"]["secret"]["defaultMode"] == 256
    assert volumes["host"]["hostPath"] == {"path": "/tmp", "type": ""}
    assert volumes["info"]["downwardAPI"]["items"][0]["fieldRef"]["apiVersion"] == "v1"
    assert volumes["token"]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"] == 3600
    env = pod["spec"]["containers"][0]["env"]
    assert env[0]["valueFrom"]["fieldRef"] == {"fieldPath": "metadata.name", "apiVersion": "v1"}
    assert env[1]["valueFrom"]["resourceFieldRef"]["divisor"] == "0"


# --- templates ------------------------------------------------------------------------

POD_ONLY_FIELDS = ("enableServiceLinks", "serviceAccountName", "priority", "preemptionPolicy", "tolerations")


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"])
def test_templates_get_pod_spec_defaults_but_not_admission(kind):
    spec = defaulted(make_workload(kind))["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["containers"][0]["imagePullPolicy"] == "Always"
    assert spec["containers"][0]["resources"] == {}
    for name in POD_ONLY_FIELDS:
        assert name not in spec


def test_template_defaults_is_idempotent():
    template = {"spec": {"containers": [{"name": "c", "image": "x", "livenessProbe": {"exec": {"command": ["true"]}}}],
                         "volumes": [{"name": "v"}]}}
    template_defaults(template)
    once = copy.deepcopy(template)
    template_defaults(template)
    assert template == once


# --- workloads ------------------------------------------------------------------------


def test_deployment_defaults():
    spec = defaulted(make_workload("Deployment"))["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600


def test_deployment_recreate_gets_no_rolling_update():
    spec = defaulted(make_workload("Deployment", strategy={"type": "Recreate"}, replicas=0))["spec"]
    assert spec["strategy"] == {"type": "Recreate"}
    assert spec["replicas"] == 0


def test_deployment_partial_rolling_update_is_completed():
    spec = defaulted(make_workload("Deployment", strategy={"rollingUpdate": {"maxSurge": 2}}))["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": "25%"}}


def test_replica_set_defaults():
    assert defaulted(make_workload("ReplicaSet"))["spec"]["replicas"] == 1


def test_daemon_set_defaults():
    spec = defaulted(make_workload("DaemonSet"))["spec"]
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert spec["revisionHistoryLimit"] == 10
    assert "replicas" not in spec


def test_stateful_set_defaults():
    spec = defaulted(make_workload("StatefulSet", serviceName="web"))["spec"]
    assert spec["replicas"] == 1
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}


def test_stateful_set_explicit_rolling_update_type_gets_no_partition_block():
    spec = defaulted(make_workload("StatefulSet", updateStrategy={"type": "RollingUpdate"}))["spec"]
    assert spec["updateStrategy"] == {"type": "RollingUpdate"}


def test_job_defaults_and_generated_selector():
    job = defaulted(make_job())
    spec = job["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["completionMode"] == "NonIndexed"
    assert spec["suspend"] is False
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    generated = {"batch.kubernetes.io/controller-uid": UID, "batch.kubernetes.io/job-name": "pi",
                 "controller-uid": UID, "job-name": "pi"}
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}
    assert spec["template"]["metadata"]["labels"] == generated
    assert job["metadata"]["labels"] == generated
    assert "manualSelector" not in spec


def test_job_keeps_its_own_labels_and_adds_generated_ones_to_the_template():
    job = make_job()
    job["metadata"]["labels"] = {"team": "a"}
    job["spec"]["template"]["metadata"] = {"labels": {"app": "pi"}}
    defaulted(job)
    assert job["metadata"]["labels"] == {"team": "a"}
    assert job["spec"]["template"]["metadata"]["labels"]["app"] == "pi"
    assert job["spec"]["template"]["metadata"]["labels"]["job-name"] == "pi"


def test_job_parallelism_alone_leaves_completions_unset():
    spec = defaulted(make_job(parallelism=3))["spec"]
    assert spec["parallelism"] == 3
    assert "completions" not in spec


def test_job_completions_alone_gets_parallelism_one():
    spec = defaulted(make_job(completions=5))["spec"]
    assert (spec["completions"], spec["parallelism"]) == (5, 1)


def test_job_with_pod_failure_policy_replaces_failed_pods_only():
    spec = defaulted(make_job(podFailurePolicy={"rules": []}))["spec"]
    assert spec["podReplacementPolicy"] == "Failed"


def test_job_manual_selector_is_left_alone():
    job = make_job(manualSelector=True, selector={"matchLabels": {"app": "pi"}})
    job["spec"]["template"]["metadata"] = {"labels": {"app": "pi"}}
    spec = defaulted(job)["spec"]
    assert spec["selector"] == {"matchLabels": {"app": "pi"}}
    assert spec["template"]["metadata"]["labels"] == {"app": "pi"}


def test_job_without_uid_gets_no_selector():
    job = make_job()
    del job["metadata"]["uid"]
    assert "selector" not in defaulted(job)["spec"]


def test_cron_job_defaults():
    cron = defaulted({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick", "namespace": "default"},
                      "spec": {"schedule": "*/1 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                          "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}})
    spec = cron["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"]) == ("Allow", False)
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    pod_spec = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod_spec["dnsPolicy"] == "ClusterFirst"
    assert pod_spec["containers"][0]["imagePullPolicy"] == "Always"
    assert "backoffLimit" not in spec["jobTemplate"]["spec"]


def test_hpa_defaults_min_replicas_and_cpu_metric():
    hpa = defaulted({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                     "metadata": {"name": "web", "namespace": "default"},
                     "spec": {"maxReplicas": 5, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                                                   "name": "web"}}})
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    assert "behavior" not in hpa["spec"]


def test_hpa_behavior_is_completed_with_default_rules():
    hpa = defaulted({"kind": "HorizontalPodAutoscaler", "metadata": {"name": "w"},
                     "spec": {"maxReplicas": 5, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}})
    behavior = hpa["spec"]["behavior"]
    assert behavior["scaleUp"] == {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]}
    assert behavior["scaleDown"] == {"stabilizationWindowSeconds": 60, "selectPolicy": "Max",
                                     "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


# --- Services -------------------------------------------------------------------------


def test_cluster_ip_service_defaults():
    service = defaulted(make_service())
    spec = service["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert spec["ipFamilies"] == ["IPv4"]
    assert spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert "externalTrafficPolicy" not in spec
    assert "allocateLoadBalancerNodePorts" not in spec
    assert "clusterIP" not in spec  # allocation is the store's job
    assert service["status"] == {"loadBalancer": {}}


def test_named_target_port_is_kept():
    service = defaulted(make_service(ports=[{"port": 80, "targetPort": "http"}]))
    assert service["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.parametrize("service_type, etp, allocate", [
    ("NodePort", "Cluster", None),
    ("LoadBalancer", "Cluster", True),
])
def test_externally_reachable_services(service_type, etp, allocate):
    spec = defaulted(make_service(type=service_type))["spec"]
    assert spec["externalTrafficPolicy"] == etp
    assert spec.get("allocateLoadBalancerNodePorts") is allocate


def test_client_ip_affinity_gets_a_timeout():
    spec = defaulted(make_service(sessionAffinity="ClientIP"))["spec"]
    assert spec["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_no_affinity_drops_affinity_config():
    spec = defaulted(make_service(sessionAffinityConfig={"clientIP": {"timeoutSeconds": 5}}))["spec"]
    assert "sessionAffinityConfig" not in spec


def test_headless_services():
    with_selector = defaulted(make_service(clusterIP="None"))["spec"]
    assert with_selector["clusterIPs"] == ["None"]
    assert with_selector["ipFamilyPolicy"] == "SingleStack"
    without_selector = defaulted(make_service(clusterIP="None", selector=None))["spec"]
    assert without_selector["ipFamilyPolicy"] == "RequireDualStack"
    assert without_selector["ipFamilies"] == ["IPv4"]


def test_external_name_service_gets_no_ip_fields():
    spec = defaulted(make_service(type="ExternalName", externalName="example.com", ports=[]))["spec"]
    for name in ("ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy", "clusterIPs"):
        assert name not in spec


# --- other core kinds -----------------------------------------------------------------


def test_namespace_defaults():
    ns = defaulted({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["status"] == {"phase": "Active"}


def test_namespace_name_label_cannot_be_overridden():
    ns = defaulted({"kind": "Namespace", "metadata": {"name": "a", "labels": {"kubernetes.io/metadata.name": "b"}}})
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == "a"


def test_secret_type_defaults_to_opaque():
    assert defaulted({"kind": "Secret", "metadata": {"name": "s"}})["type"] == "Opaque"
    assert defaulted({"kind": "Secret", "metadata": {"name": "s"}, "type": "kubernetes.io/tls"})["type"] == "kubernetes.io/tls"


def test_node_allocatable_defaults_to_capacity():
    node = defaulted({"kind": "Node", "metadata": {"name": "n1"}, "status": {"capacity": {"cpu": "4", "pods": "110"}}})
    assert node["status"]["allocatable"] == {"cpu": "4", "pods": "110"}


def test_endpoints_and_endpoint_slice_ports():
    ep = defaulted({"kind": "Endpoints", "metadata": {"name": "web"}, "subsets": [{"ports": [{"port": 80}]}]})
    assert ep["subsets"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]
    slice_ = defaulted({"kind": "EndpointSlice", "metadata": {"name": "web-x"}, "addressType": "IPv4",
                        "ports": [{"port": 80}]})
    assert slice_["ports"] == [{"port": 80, "name": "", "protocol": "TCP"}]


@pytest.mark.parametrize("kind", ["ConfigMap", "Event", "ServiceAccount", "Lease"])
def test_kinds_stored_as_sent(kind):
    obj = {"kind": kind, "metadata": {"name": "x", "namespace": "default"}, "data": {"a": "b"}}
    assert defaulted(copy.deepcopy(obj)) == obj


def test_unknown_kinds_are_left_alone():
    obj = {"kind": "Widget", "metadata": {"name": "x"}}
    assert defaulted(copy.deepcopy(obj)) == obj


# --- every kind: defaulting twice changes nothing ---------------------------------------

SAMPLES = {
    "Namespace": lambda: {"kind": "Namespace", "metadata": {"name": "a"}},
    "Pod": lambda: make_pod(containers=[{"name": "c", "image": "x", "resources": {"limits": {"cpu": "1"}},
                                         "readinessProbe": {"httpGet": {"port": 80}}}], volumes=[{"name": "v"}]),
    "Service": lambda: make_service(type="LoadBalancer", sessionAffinity="ClientIP"),
    "ConfigMap": lambda: {"kind": "ConfigMap", "metadata": {"name": "c"}},
    "Secret": lambda: {"kind": "Secret", "metadata": {"name": "s"}},
    "Node": lambda: {"kind": "Node", "metadata": {"name": "n"}, "status": {"capacity": {"cpu": "1"}}},
    "Event": lambda: {"kind": "Event", "metadata": {"name": "e"}},
    "Endpoints": lambda: {"kind": "Endpoints", "metadata": {"name": "e"}, "subsets": [{"ports": [{"port": 1}]}]},
    "ServiceAccount": lambda: {"kind": "ServiceAccount", "metadata": {"name": "default"}},
    "Deployment": lambda: make_workload("Deployment"),
    "ReplicaSet": lambda: make_workload("ReplicaSet"),
    "DaemonSet": lambda: make_workload("DaemonSet"),
    "StatefulSet": lambda: make_workload("StatefulSet"),
    "Job": lambda: make_job(),
    "CronJob": lambda: {"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"schedule": "@hourly", "jobTemplate": {
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}}}},
    "HorizontalPodAutoscaler": lambda: {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
                                        "spec": {"maxReplicas": 3, "behavior": {}}},
    "EndpointSlice": lambda: {"kind": "EndpointSlice", "metadata": {"name": "s"}, "ports": [{"port": 1}]},
    "Lease": lambda: {"kind": "Lease", "metadata": {"name": "l"}},
}


def test_every_defaulter_has_a_sample():
    assert set(SAMPLES) == set(DEFAULTERS)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_defaulting_twice_changes_nothing(kind):
    obj = defaulted(SAMPLES[kind]())
    once = copy.deepcopy(obj)
    apply_defaults(obj)
    assert obj == once
