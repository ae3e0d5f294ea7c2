"""Server validation: the exact cause texts kubectl shows for Invalid (422) errors."""

from __future__ import annotations

import copy

import pytest

from pkubectl.api import validation
from pkubectl.api.defaults import apply_defaults
from pkubectl.api.validation import (
    FieldError, cron_schedule_error, format_invalid, go_quote, is_qualified_name, secret_decode_error,
    status_message, validate,
)

UID = "0b4e8c4a-3f0e-4d5e-9a51-2c1f8a6b7d90"
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)


# --- builders -------------------------------------------------------------------------


def make_pod(name="web", **spec) -> dict:
    spec.setdefault("containers", [{"name": "web", "image": "nginx:1.25"}])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def make_container(**fields) -> dict:
    fields.setdefault("name", "c")
    fields.setdefault("image", "busybox:1.36")
    return fields


def make_deployment(kind="Deployment", name="web", labels=None, selector="default", **spec) -> dict:
    labels = {"app": "web"} if labels is None else labels
    if selector == "default":
        selector = {"matchLabels": {"app": "web"}}
    if selector is not None:
        spec["selector"] = selector
    template_meta = {"labels": labels} if labels != "none" else {}
    spec.setdefault("template", {"metadata": template_meta,
                                 "spec": {"containers": [{"name": "web", "image": "nginx"}]}})
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def make_service(name="web", **spec) -> dict:
    spec.setdefault("ports", [{"port": 80}])
    spec.setdefault("selector", {"app": "web"})
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def make_job(name="pi", **spec) -> dict:
    spec.setdefault("template", {"spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}})
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": "default", "uid": UID}, "spec": spec}


def make_cron_job(name="tick", schedule="*/5 * * * *", restart="OnFailure") -> dict:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": "default"},
            "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": restart, "containers": [{"name": "c", "image": "busybox"}]}}}}}}


def causes(obj: dict, old: dict | None = None) -> list[str]:
    """Default then validate, as the store does, and return the cause texts."""
    apply_defaults(obj)
    if old is not None:
        apply_defaults(old)
    return [str(e) for e in validate(obj, old)]


# --- FieldError and kubectl's message ---------------------------------------------------


@pytest.mark.parametrize("error, text", [
    pytest.param(FieldError("spec.containers[0].image", "Required value"), "spec.containers[0].image: Required value",
                 id="required"),
    pytest.param(FieldError("spec.x", "Required value", "", "must be set"), "spec.x: Required value: must be set",
                 id="required-detail"),
    pytest.param(FieldError("spec.replicas", "Invalid value", -1, "must be greater than or equal to 0"),
                 "spec.replicas: Invalid value: -1: must be greater than or equal to 0", id="int"),
    pytest.param(FieldError("spec.a", "Invalid value", "x\"y", "bad"), 'spec.a: Invalid value: "x\\"y": bad',
                 id="quoted-string"),
    pytest.param(FieldError("spec.a", "Invalid value", True, "bad"), "spec.a: Invalid value: true: bad", id="bool"),
    pytest.param(FieldError("spec.a", "Invalid value", None, "bad"), "spec.a: Invalid value: null: bad", id="nil"),
    pytest.param(FieldError("spec.l", "Invalid value", {"b": "2", "a": "1"}, "bad"),
                 'spec.l: Invalid value: map[string]string{"a":"1", "b":"2"}: bad', id="map-sorted"),
    pytest.param(FieldError("spec.ips[0]", "Invalid value", ["10.0.0.1"], "may not change once set"),
                 'spec.ips[0]: Invalid value: []string{"10.0.0.1"}: may not change once set', id="string-slice"),
    pytest.param(FieldError("spec.p", "Duplicate value", "http"), 'spec.p: Duplicate value: "http"', id="duplicate"),
    pytest.param(FieldError("spec.v", "Not found", "data"), 'spec.v: Not found: "data"', id="not-found"),
    pytest.param(FieldError("spec.t", "Forbidden", "", "no"), "spec.t: Forbidden: no", id="forbidden"),
])
def test_field_error_text(error, text):
    assert str(error) == text


def test_field_error_reason_is_the_status_cause_type():
    assert FieldError("a", "Required value").reason == "FieldValueRequired"
    assert FieldError("a", "Unsupported value", "x").reason == "FieldValueNotSupported"
    assert FieldError("a", "Invalid value", 1, "x").body() == "Invalid value: 1: x"


def test_go_quote_escapes_like_strconv_quote():
    assert go_quote('a"b\\c\nd\x01é') == '"a\\"b\\\\c\\nd\\x01é"'


def test_format_invalid_single_cause_is_one_line():
    errors = [FieldError("spec.containers[0].image", "Required value")]
    assert format_invalid("Pod", "", "web", errors) == 'The Pod "web" is invalid: spec.containers[0].image: Required value'


def test_format_invalid_several_causes_are_bulleted():
    errors = [FieldError("spec.selector", "Required value"), FieldError("spec.replicas", "Invalid value", -1, "bad"),
              FieldError("spec.selector", "Required value")]
    assert format_invalid("Deployment", "apps", "web", errors) == (
        'The Deployment "web" is invalid: \n'
        "* spec.selector: Required value\n"
        "* spec.replicas: Invalid value: -1: bad"
    )


def test_status_message_qualifies_the_kind():
    one = [FieldError("spec.selector", "Required value")]
    two = one + [FieldError("spec.replicas", "Invalid value", -1, "bad")]
    assert status_message("Deployment", "apps", "web", one) == 'Deployment.apps "web" is invalid: spec.selector: Required value'
    assert status_message("Pod", "", "p", two) == \
        'Pod "p" is invalid: [spec.selector: Required value, spec.replicas: Invalid value: -1: bad]'


# --- names ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind, name, expected", [
    pytest.param("Pod", "Bad_Name", f'metadata.name: Invalid value: "Bad_Name": {SUBDOMAIN_MSG}', id="pod-subdomain"),
    pytest.param("ConfigMap", "a.b", None, id="configmap-dots-ok"),
    pytest.param("Service", "1web", f'metadata.name: Invalid value: "1web": {DNS1035_MSG}', id="service-dns1035"),
    pytest.param("Service", "web.x", f'metadata.name: Invalid value: "web.x": {DNS1035_MSG}', id="service-no-dots"),
    pytest.param("Namespace", "a.b", 'metadata.name: Invalid value: "a.b": must not contain dots', id="namespace-dots"),
    pytest.param("Namespace", "Team", f'metadata.name: Invalid value: "Team": {LABEL_MSG}', id="namespace-label"),
    pytest.param("Namespace", "a" * 64, f'metadata.name: Invalid value: "{"a" * 64}": must be no more than 63 characters',
                 id="namespace-length"),
    pytest.param("StatefulSet", "db.x", 'metadata.name: Invalid value: "db.x": must not contain dots', id="sts-label"),
    pytest.param("Secret", "x" * 254, f'metadata.name: Invalid value: "{"x" * 254}": must be no more than 253 characters',
                 id="subdomain-length"),
])
def test_name_formats_per_kind(kind, name, expected):
    meta = {"name": name} if kind in ("Namespace", "Node") else {"name": name, "namespace": "default"}
    errors = [str(e) for e in validation.validate_object_meta(meta, kind not in ("Namespace", "Node"),
                                                              validation.RULES[kind].name_fn)]
    assert errors == ([expected] if expected else [])


def test_name_is_required_unless_generate_name():
    assert causes({"kind": "ConfigMap", "metadata": {"namespace": "default"}}) == [
        "metadata.name: Required value: name or generateName is required"]
    assert causes({"kind": "ConfigMap", "metadata": {"generateName": "cfg-", "namespace": "default"}}) == []


def test_bad_generate_name_is_reported():
    assert causes({"kind": "ConfigMap", "metadata": {"generateName": "Cfg-", "namespace": "default"}}) == [
        f'metadata.generateName: Invalid value: "Cfg-": {SUBDOMAIN_MSG}']


def test_namespace_is_required_and_must_be_a_label():
    assert causes({"kind": "ConfigMap", "metadata": {"name": "c"}}) == ["metadata.namespace: Required value"]
    assert causes({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "Prod"}}) == [
        f'metadata.namespace: Invalid value: "Prod": {LABEL_MSG}']


def test_cluster_scoped_kinds_need_no_namespace():
    assert causes({"kind": "Namespace", "metadata": {"name": "team-a"}}) == []
    assert causes({"kind": "Node", "metadata": {"name": "node-1"}}) == []


def test_cron_job_name_limit():
    name = "n" * 53
    assert causes(make_cron_job(name=name)) == [f'metadata.name: Invalid value: "{name}": must be no more than 52 characters']
    assert causes(make_cron_job(name="n" * 52)) == []


# --- labels and annotations -------------------------------------------------------------


@pytest.mark.parametrize("key_text, messages", [
    ("app", []),
    ("example.com/app", []),
    ("app_", [NAME_PART_MSG]),
    ("/app", ["prefix part must be non-empty"]),
    ("Example.com/app", ["prefix part " + SUBDOMAIN_MSG]),
    ("a/b/c", ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
               "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
               "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix "
               "and '/' (e.g. 'example.com/MyName')"]),
    ("example.com/", ["name part must be non-empty", NAME_PART_MSG]),
    ("k" * 64, ["name part must be no more than 63 characters"]),
])
def test_qualified_names(key_text, messages):
    assert is_qualified_name(key_text) == messages


def test_bad_label_key_and_value():
    cm = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default",
                                            "labels": {"bad key": "ok", "tier": "-x"}}}
    assert causes(cm) == [
        'metadata.labels: Invalid value: "bad key": ' + NAME_PART_MSG,
        f'metadata.labels: Invalid value: "-x": {LABEL_VALUE_MSG}',
    ]


def test_label_value_length():
    cm = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default", "labels": {"a": "v" * 64}}}
    assert causes(cm) == [f'metadata.labels: Invalid value: "{"v" * 64}": must be no more than 63 characters']


def test_annotation_keys_ignore_case_and_total_size_is_limited():
    ok = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default", "annotations": {"Example.COM/Key": "v"}}}
    assert causes(ok) == []
    big = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default", "annotations": {"a": "x" * 262144}}}
    assert causes(big) == ["metadata.annotations: Too long: must have at most 262144 bytes"]


# --- pods and containers ----------------------------------------------------------------


def test_valid_pod_has_no_errors():
    assert causes(make_pod()) == []


def test_image_is_required():
    assert causes(make_pod(containers=[{"name": "web"}])) == ["spec.containers[0].image: Required value"]


def test_containers_are_required():
    assert causes(make_pod(containers=[])) == ["spec.containers: Required value"]


def test_container_name_rules():
    pod = make_pod(containers=[make_container(name="Web_1"), make_container(name="dup"), make_container(name="dup"),
                               make_container(name="")])
    assert causes(pod) == [
        f'spec.containers[0].name: Invalid value: "Web_1": {LABEL_MSG}',
        'spec.containers[2].name: Duplicate value: "dup"',
        "spec.containers[3].name: Required value",
    ]


def test_init_container_name_may_not_repeat_a_container_name():
    pod = make_pod(initContainers=[make_container(name="web")])
    assert causes(pod) == ['spec.initContainers[0].name: Duplicate value: "web"']


def test_image_whitespace_is_refused_for_pods_only():
    assert causes(make_pod(containers=[make_container(image=" nginx")])) == [
        'spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace']
    deployment = make_deployment()
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = " nginx"
    assert causes(deployment) == []


def test_restart_and_dns_policies():
    assert causes(make_pod(restartPolicy="Sometimes", dnsPolicy="Public")) == [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        'spec.dnsPolicy: Unsupported value: "Public": supported values: "ClusterFirstWithHostNet", '
        '"ClusterFirst", "Default", "None"',
    ]


def test_image_pull_policy_values():
    assert causes(make_pod(containers=[make_container(imagePullPolicy="Sometimes")])) == [
        'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: '
        '"Always", "IfNotPresent", "Never"']


@pytest.mark.parametrize("port, expected", [
    pytest.param({"containerPort": 80}, [], id="ok"),
    pytest.param({"containerPort": 0}, ["spec.containers[0].ports[0].containerPort: Required value"], id="zero"),
    pytest.param({"containerPort": 70000}, ["spec.containers[0].ports[0].containerPort: Invalid value: 70000: "
                                            "must be between 1 and 65535, inclusive"], id="too-big"),
    pytest.param({"containerPort": 80, "hostPort": -1}, ["spec.containers[0].ports[0].hostPort: Invalid value: -1: "
                                                         "must be between 1 and 65535, inclusive"], id="host-port"),
    pytest.param({"containerPort": 80, "protocol": "tcp"}, [
        'spec.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"'],
        id="protocol"),
    pytest.param({"containerPort": 80, "name": "a-very-long-port-name"}, [
        'spec.containers[0].ports[0].name: Invalid value: "a-very-long-port-name": must be no more than 15 characters'],
        id="name-length"),
    pytest.param({"containerPort": 80, "name": "8080"}, [
        'spec.containers[0].ports[0].name: Invalid value: "8080": must contain at least one letter (a-z)'],
        id="name-letter"),
    pytest.param({"containerPort": 80, "name": "Http--"}, [
        'spec.containers[0].ports[0].name: Invalid value: "Http--": must contain only alpha-numeric characters '
        '(a-z, 0-9), and hyphens (-)',
        'spec.containers[0].ports[0].name: Invalid value: "Http--": must not contain consecutive hyphens',
        'spec.containers[0].ports[0].name: Invalid value: "Http--": must not begin or end with a hyphen'],
        id="name-charset"),
])
def test_container_ports(port, expected):
    assert causes(make_pod(containers=[make_container(ports=[port])])) == expected


def test_duplicate_container_port_names():
    pod = make_pod(containers=[make_container(ports=[{"containerPort": 80, "name": "http"},
                                                     {"containerPort": 81, "name": "http"}])])
    assert causes(pod) == ['spec.containers[0].ports[1].name: Duplicate value: "http"']


def test_env_var_names_and_sources():
    pod = make_pod(containers=[make_container(env=[
        {"name": "GOOD_1", "value": "x"},
        {"name": "A=B"},
        {"name": ""},
        {"name": "FROM", "valueFrom": {}},
        {"name": "BOTH", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "KEY", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "bad key"}}},
    ])])
    assert causes(pod) == [
        'spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable name must consist '
        "only of printable ASCII characters other than '='",
        "spec.containers[0].env[2].name: Required value",
        'spec.containers[0].env[3].valueFrom: Invalid value: "": must specify one of: `fieldRef`, '
        "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        'spec.containers[0].env[4].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
        f'spec.containers[0].env[5].valueFrom.configMapKeyRef.key: Invalid value: "bad key": {CONFIG_KEY_MSG}',
    ]


def test_requests_may_not_exceed_limits():
    pod = make_pod(containers=[make_container(resources={"limits": {"cpu": "1", "memory": "128Mi"},
                                                         "requests": {"cpu": "1500m", "memory": "256Mi"}})])
    assert causes(pod) == [
        'spec.containers[0].resources.requests: Invalid value: "1500m": must be less than or equal to cpu limit of 1',
        'spec.containers[0].resources.requests: Invalid value: "256Mi": must be less than or equal to memory '
        "limit of 128Mi",
    ]


def test_resource_names_and_negative_quantities():
    # A Pod's limits are copied into its requests first, so a bad name shows up twice.
    pod = make_pod(containers=[make_container(resources={"limits": {"gpu": "1"}, "requests": {"cpu": "-1"}})])
    bad_name = ('Invalid value: "gpu": must be a standard resource type or fully qualified',
                'Invalid value: "gpu": must be a standard resource for containers')
    assert causes(pod) == [
        *(f"spec.containers[0].resources.limits[gpu]: {m}" for m in bad_name),
        'spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0',
        *(f"spec.containers[0].resources.requests[gpu]: {m}" for m in bad_name),
    ]


def test_extended_resources_are_accepted():
    pod = make_pod(containers=[make_container(resources={"limits": {"example.com/gpu": "1"}})])
    assert causes(pod) == []


@pytest.mark.parametrize("probe, expected", [
    pytest.param({"httpGet": {"port": 80}}, [], id="ok"),
    pytest.param({"periodSeconds": 5}, ["spec.containers[0].livenessProbe: Required value: must specify a handler type"],
                 id="no-handler"),
    pytest.param({"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}},
                 ["spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"],
                 id="two-handlers"),
    pytest.param({"exec": {}}, ["spec.containers[0].livenessProbe.exec.command: Required value"], id="empty-exec"),
    pytest.param({"tcpSocket": {"port": 0}}, ["spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: 0: "
                                              "must be between 1 and 65535, inclusive"], id="port"),
    pytest.param({"httpGet": {"port": "http", "scheme": "FTP"}}, [
        'spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"'],
        id="scheme"),
    pytest.param({"httpGet": {"port": 80}, "successThreshold": 2}, [
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"], id="liveness-success"),
    pytest.param({"httpGet": {"port": 80}, "initialDelaySeconds": -1}, [
        "spec.containers[0].livenessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0"],
        id="negative-delay"),
])
def test_liveness_probes(probe, expected):
    assert causes(make_pod(containers=[make_container(livenessProbe=probe)])) == expected


def test_readiness_probe_may_succeed_more_than_once():
    assert causes(make_pod(containers=[make_container(readinessProbe={"httpGet": {"port": 80}, "successThreshold": 3})])) == []


def test_init_containers_without_restart_always_may_not_have_probes():
    pod = make_pod(initContainers=[make_container(name="init", livenessProbe={"exec": {"command": ["true"]}})])
    assert causes(pod) == [
        "spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"]


def test_volumes_and_mounts():
    pod = make_pod(
        volumes=[{"name": "data", "emptyDir": {}}, {"name": "data", "emptyDir": {}},
                 {"name": "two", "emptyDir": {}, "hostPath": {"path": "/tmp"}},
                 {"name": "cfg", "configMap": {}}],
        containers=[make_container(volumeMounts=[
            {"name": "data", "mountPath": "/data"},
            {"name": "missing", "mountPath": "/data"},
            {"name": "data"},
        ])],
    )
    assert causes(pod) == [
        'spec.volumes[1].name: Duplicate value: "data"',
        "spec.volumes[2].hostPath: Forbidden: may not specify more than 1 volume type",
        "spec.volumes[3].configMap.name: Required value",
        'spec.containers[0].volumeMounts[1].name: Not found: "missing"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique',
        "spec.containers[0].volumeMounts[2].mountPath: Required value",
    ]


def test_volume_without_source_before_defaulting():
    errors = [str(e) for e in validation.validate_pod_spec({"volumes": [{"name": "v"}]}, "spec")]
    assert "spec.volumes[0]: Required value: must specify a volume type" in errors


def test_mount_of_an_invalid_volume_is_not_found():
    pod = make_pod(volumes=[{"name": "Bad"}], containers=[make_container(volumeMounts=[{"name": "Bad", "mountPath": "/x"}])])
    assert causes(pod) == [f'spec.volumes[0].name: Invalid value: "Bad": {LABEL_MSG}',
                           'spec.containers[0].volumeMounts[0].name: Not found: "Bad"']


def test_tolerations():
    pod = make_pod(tolerations=[{"operator": "Equal", "value": "x"},
                                {"key": "k", "operator": "Exists", "value": "v"},
                                {"key": "k", "tolerationSeconds": 5, "effect": "NoSchedule"}])
    assert causes(pod) == [
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, '
        'which means "match all values and all keys"',
        "spec.tolerations[1].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
        "spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when "
        "`tolerationSeconds` is set",
    ]


def test_pod_spec_is_immutable_except_images():
    old = make_pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.26"
    assert causes(new, old) == []
    new["spec"]["containers"][0]["command"] = ["sleep"]
    assert causes(new, copy.deepcopy(old)) == [
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
        "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
        "previously negative)"]


def test_pod_binding_may_set_node_name_once():
    old = make_pod()
    bound = copy.deepcopy(old)
    bound["spec"]["nodeName"] = "node-1"
    assert causes(bound, old) == []


def test_object_name_is_immutable_on_update():
    old = {"kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}}
    new = {"kind": "ConfigMap", "metadata": {"name": "b", "namespace": "default"}}
    assert causes(new, old) == ['metadata.name: Invalid value: "b": field is immutable']


# --- workloads ------------------------------------------------------------------------


def test_valid_workloads():
    for kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"):
        assert causes(make_deployment(kind=kind)) == [], kind


def test_deployment_without_selector():
    assert causes(make_deployment(selector=None)) == [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`",
    ]


def test_deployment_without_selector_or_template_labels():
    assert causes(make_deployment(selector=None, labels="none")) == [
        "spec.selector: Required value",
        "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`",
    ]


@pytest.mark.parametrize("kind, selector, rendered, word", [
    ("Deployment", {}, "map[string]string(nil)", "deployment"),
    ("Deployment", {"matchLabels": {}}, "map[string]string{}", "deployment"),
    ("ReplicaSet", {}, "map[string]string(nil)", "deployment"),
    ("DaemonSet", {}, "map[string]string(nil)", "daemonset"),
    ("StatefulSet", {}, "map[string]string(nil)", "statefulset"),
])
def test_empty_selector_is_refused(kind, selector, rendered, word):
    assert causes(make_deployment(kind=kind, selector=selector)) == [
        f"spec.selector: Invalid value: v1.LabelSelector{{MatchLabels:{rendered}, "
        f"MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}: empty selector is invalid for {word}"]


def test_selector_must_match_template_labels():
    assert causes(make_deployment(selector={"matchLabels": {"app": "other"}})) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`"]


def test_match_expressions_are_checked_and_used():
    ok = make_deployment(selector={"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]})
    assert causes(ok) == []
    bad = make_deployment(selector={"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "In"}, {"key": "x", "operator": "Exists", "values": ["a"]},
        {"key": "y", "operator": "Near"}]})
    assert causes(bad) == [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or "
        "'DoesNotExist'",
        'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
        "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: "
        "`selector` does not match template `labels`",
    ]


def test_daemon_set_without_selector_only_mismatches():
    assert causes(make_deployment(kind="DaemonSet", selector=None)) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`"]


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"])
def test_workload_templates_must_restart_always(kind):
    obj = make_deployment(kind=kind)
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert causes(obj) == ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']


def test_negative_replicas():
    assert causes(make_deployment(replicas=-1)) == ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]


def test_template_container_errors_are_nested_under_the_template():
    obj = make_deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["name"] = "Web_App"
    assert causes(obj) == [f'spec.template.spec.containers[0].name: Invalid value: "Web_App": {LABEL_MSG}']


def test_stateful_set_template_spec_is_not_validated():
    obj = make_deployment(kind="StatefulSet")
    obj["spec"]["template"]["spec"]["containers"][0]["name"] = "Web_App"
    assert causes(obj) == []


def test_deployment_strategy_rules():
    zero = make_deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})
    assert causes(zero) == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"]
    recreate = make_deployment(strategy={"type": "Recreate", "rollingUpdate": {"maxSurge": 1}})
    assert causes(recreate) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]
    percent = make_deployment(strategy={"rollingUpdate": {"maxSurge": "x%", "maxUnavailable": "150%"}})
    assert causes(percent) == [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: x%: a valid percent string must be a numeric string "
        "followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%",
    ]
    unknown = make_deployment(strategy={"type": "BlueGreen"})
    assert causes(unknown) == [
        'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", '
        'RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"']


def test_progress_deadline_must_exceed_min_ready():
    assert causes(make_deployment(minReadySeconds=600)) == [
        "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"]


def test_daemon_set_rolling_update_needs_exactly_one_of_surge_and_unavailable():
    both = make_deployment(kind="DaemonSet", updateStrategy={"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}})
    assert causes(both) == [
        "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero"]
    none = make_deployment(kind="DaemonSet", updateStrategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})
    assert causes(none) == ["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"]


def test_stateful_set_policies():
    obj = make_deployment(kind="StatefulSet", podManagementPolicy="Random",
                          persistentVolumeClaimRetentionPolicy={"whenDeleted": "Keep"})
    assert causes(obj) == [
        "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
        'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: '
        '"Retain", "Delete"',
    ]


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "DaemonSet"])
def test_selector_is_immutable(kind):
    old = make_deployment(kind=kind)
    new = make_deployment(kind=kind, labels={"app": "web2"}, selector={"matchLabels": {"app": "web2"}})
    assert causes(new, old) == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"]


def test_unchanged_selector_update_is_fine():
    old = make_deployment()
    new = make_deployment(replicas=5)
    assert causes(new, old) == []


def test_stateful_set_spec_is_mostly_immutable():
    old = make_deployment(kind="StatefulSet", serviceName="db")
    scaled = make_deployment(kind="StatefulSet", serviceName="db", replicas=3)
    assert causes(scaled, copy.deepcopy(old)) == []
    renamed = make_deployment(kind="StatefulSet", serviceName="other")
    assert causes(renamed, old) == [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
        "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]


# --- Jobs and CronJobs ------------------------------------------------------------------


def test_valid_job():
    assert causes(make_job()) == []


def test_job_restart_policy():
    always = make_job(template={"spec": {"containers": [{"name": "c", "image": "x"}]}})
    assert causes(always) == ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']
    weird = make_job(template={"spec": {"restartPolicy": "Sometimes", "containers": [{"name": "c", "image": "x"}]}})
    assert causes(weird) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
    ]


def test_job_counts_must_not_be_negative():
    assert causes(make_job(parallelism=-1, completions=-2, backoffLimit=-3)) == [
        "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
        "spec.completions: Invalid value: -2: must be greater than or equal to 0",
        "spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0",
    ]


def test_job_manual_selector_must_match_template():
    job = make_job(manualSelector=True, selector={"matchLabels": {"app": "pi"}})
    assert causes(job) == ["spec.template.metadata.labels: Invalid value: map[string]string(nil): "
                           "`selector` does not match template `labels`"]


def test_job_generated_label_conflict():
    job = make_job()
    job["spec"]["template"]["metadata"] = {"labels": {"job-name": "other"}}
    errors = causes(job)
    assert errors[0] == ("spec.template.metadata.labels[job-name]: Invalid value: map[string]string{"
                         f'"batch.kubernetes.io/controller-uid":"{UID}", "batch.kubernetes.io/job-name":"pi", '
                         f'"controller-uid":"{UID}", "job-name":"other"}}: must be \'pi\'')


def test_job_selector_and_completions_are_immutable():
    old = make_job()
    new = copy.deepcopy(old)
    apply_defaults(old)
    apply_defaults(new)
    new["spec"]["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": UID, "x": "y"}}
    new["spec"]["completions"] = 3
    errors = [str(e) for e in validate(new, old)]
    assert ('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{'
            f'"batch.kubernetes.io/controller-uid":"{UID}", "x":"y"}}, '
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable") in errors
    assert "spec.completions: Invalid value: 3: field is immutable" in errors


def test_valid_cron_job():
    assert causes(make_cron_job()) == []


@pytest.mark.parametrize("schedule, message", [
    ("* * * * *", None),
    ("@hourly", None),
    ("@every 1h30m", None),
    ("0 9 * * MON-FRI", None),
    ("*/15 0-6,18-23 1 JAN,jul ?", None),
    ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
    ("61 * * * *", "end of range (61) above maximum (59): 61"),
    ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ("1/2/3 * * * *", "too many slashes: 1/2/3"),
    ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
    ("@fortnightly", "unrecognized descriptor: @fortnightly"),
])
def test_cron_schedules(schedule, message):
    assert cron_schedule_error(schedule) == message


def test_cron_job_schedule_and_policy_errors():
    cron = make_cron_job(schedule="bad")
    cron["spec"]["concurrencyPolicy"] = "Sometimes"
    assert causes(cron) == [
        'spec.schedule: Invalid value: "bad": expected exactly 5 fields, found 1: [bad]',
        'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    ]


def test_cron_job_template_restart_policy_and_timezone_in_schedule():
    assert causes(make_cron_job(restart="Always", schedule="CRON_TZ=UTC 0 * * * *")) == [
        'spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, '
        "use timeZone field instead",
        'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]


# --- Services -------------------------------------------------------------------------


def test_valid_services():
    assert causes(make_service()) == []
    assert causes(make_service(type="NodePort", ports=[{"port": 80, "nodePort": 30080}])) == []
    assert causes(make_service(clusterIP="None", ports=[])) == []
    assert causes(make_service(type="ExternalName", externalName="db.example.com", ports=[], selector=None)) == []


def test_service_ports():
    service = make_service(ports=[{"port": 0, "name": "http"}, {"port": 80, "name": "http", "targetPort": 70000},
                                  {"port": 81, "protocol": "ICMP"}])
    assert causes(service) == [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",  # defaulted from port
        'spec.ports[1].name: Duplicate value: "http"',
        "spec.ports[1].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        "spec.ports[2].name: Required value",
        'spec.ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    ]


def test_service_needs_ports():
    assert causes(make_service(ports=[])) == ["spec.ports: Required value"]


def test_service_duplicate_port():
    assert causes(make_service(ports=[{"port": 80, "name": "a"}, {"port": 80, "name": "b"}])) == [
        'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), '
        'Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}']


def test_service_type_and_affinity_values():
    assert causes(make_service(type="Internal", sessionAffinity="Cookie")) == [
        'spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"',
        'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", '
        '"LoadBalancer", "NodePort"',
    ]


def test_cluster_ip_service_may_not_set_node_port():
    assert causes(make_service(ports=[{"port": 80, "nodePort": 30080}])) == [
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]


def test_node_port_range_follows_the_module_setting(monkeypatch):
    service = make_service(type="NodePort", ports=[{"port": 80, "nodePort": 80}])
    assert causes(copy.deepcopy(service)) == [
        "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. "
        "The range of valid ports is 30000-32767"]
    monkeypatch.setattr(validation, "NODE_PORT_RANGE", (1, 1000))
    assert causes(service) == []


def test_duplicate_node_ports():
    service = make_service(type="NodePort", ports=[{"port": 80, "name": "a", "nodePort": 30080},
                                                   {"port": 81, "name": "b", "nodePort": 30080}])
    assert causes(service) == ["spec.ports[1].nodePort: Duplicate value: 30080"]


def test_headless_node_port_is_refused():
    assert causes(make_service(type="NodePort", clusterIP="None")) == [
        "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"]


def test_external_name_requires_a_name():
    assert causes(make_service(type="ExternalName", ports=[])) == ["spec.externalName: Required value"]


def test_bad_cluster_ip():
    assert causes(make_service(clusterIP="10.0.0.300")) == [
        'spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']


def test_external_traffic_policy_only_for_external_services():
    assert causes(make_service(externalTrafficPolicy="Local")) == [
        'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']


def test_cluster_ip_may_not_change_once_set():
    old = make_service(clusterIP="10.96.0.10")
    new = make_service(clusterIP="10.96.0.11")
    assert causes(new, old) == ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']
    unset = make_service()
    assert causes(unset, make_service(clusterIP="10.96.0.10")) == []


# --- config, secrets, HPA, misc --------------------------------------------------------


def test_config_map_keys():
    cm = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"},
          "data": {"good.key": "1", "bad key": "2", "..x": "3"}, "binaryData": {"good.key": "AA=="}}
    assert causes(cm) == [
        f'data[..x]: Invalid value: "..x": must not start with \'..\'',
        f'data[bad key]: Invalid value: "bad key": {CONFIG_KEY_MSG}',
        'data[good.key]: Invalid value: "good.key": duplicate of key present in binaryData',
    ]


def test_secret_keys_and_type_requirements():
    bad = {"kind": "Secret", "metadata": {"name": "s", "namespace": "default"}, "data": {"a b": "eA=="}}
    assert causes(bad) == [f'data[a b]: Invalid value: "a b": {CONFIG_KEY_MSG}']
    tls = {"kind": "Secret", "metadata": {"name": "s", "namespace": "default"}, "type": "kubernetes.io/tls",
           "data": {"tls.crt": "eA=="}}
    assert causes(tls) == ["data[tls.key]: Required value"]
    basic = {"kind": "Secret", "metadata": {"name": "s", "namespace": "default"}, "type": "kubernetes.io/basic-auth"}
    assert causes(basic) == ["data[username]: Required value", "data[password]: Required value"]


@pytest.mark.parametrize("data, offset", [
    ("aGVsbG8=", None),
    ("aGVsbG8", 4),
    ("aGVs$G8=", 4),
    ("abc", 0),
    ("ab=", 3),
    ("a===", 1),
    ("YWJj\nZGVm", None),
    ("YWJj=", 4),
    ("YQ==YQ==", 4),
])
def test_secret_base64_errors_have_go_offsets(data, offset):
    message = secret_decode_error({"kind": "Secret", "data": {"k": data}})
    if offset is None:
        assert message is None
    else:
        assert message == f'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte {offset}'


def test_hpa_replica_bounds():
    hpa = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "h", "namespace": "default"},
           "spec": {"minReplicas": 0, "maxReplicas": 0, "scaleTargetRef": {"kind": "Deployment"}}}
    assert causes(hpa) == [
        "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
        "spec.maxReplicas: Invalid value: 0: must be greater than 0",
        "spec.scaleTargetRef.name: Required value",
    ]
    inverted = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "h", "namespace": "default"},
                "spec": {"minReplicas": 5, "maxReplicas": 2, "scaleTargetRef": {"kind": "Deployment", "name": "w"}}}
    assert causes(inverted) == ["spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"]


def test_endpoint_slice_address_type():
    eps = {"kind": "EndpointSlice", "metadata": {"name": "e", "namespace": "default"}, "addressType": "IPv5"}
    assert causes(eps) == ['addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"']


def test_node_taints():
    node = {"kind": "Node", "metadata": {"name": "n1"}, "spec": {"taints": [{"key": "a", "effect": "Sometimes"}]}}
    assert causes(node) == [
        'metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", '
        '"PreferNoSchedule", "NoExecute"']


@pytest.mark.parametrize("kind", sorted(validation.RULES))
def test_every_kind_validates_a_minimal_object_without_crashing(kind):
    obj = {"kind": kind, "metadata": {"name": "x", "namespace": "default"}}
    apply_defaults(obj)
    assert all(isinstance(e, FieldError) for e in validate(obj))
