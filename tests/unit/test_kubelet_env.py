"""Container environment: service links, downward API fields, config sources and errors."""
from __future__ import annotations

import base64

import pytest

from pkubelet import envs


class FakeApi:
    """The two calls envs makes: try_get and list (by kind name)."""

    def __init__(self, *objs):
        self.objs = objs

    def try_get(self, kind, ns, name):
        for o in self.objs:
            if o["kind"] == kind.kind and o["metadata"]["name"] == name and \
                    o["metadata"].get("namespace", "default") == (ns or "default"):
                return o
        return None

    def list(self, kind, ns=None):
        return [o for o in self.objs if o["kind"] == kind.kind and
                (ns is None or o["metadata"].get("namespace", "default") == ns)], 1


def svc(name, ip, ports, ns="default"):
    return {"kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"clusterIP": ip, "ports": ports}}


POD = {"metadata": {"name": "web-1", "namespace": "default", "uid": "u1", "labels": {"app": "web"}},
       "spec": {"nodeName": "pkube", "serviceAccountName": "default", "containers": [{"name": "c"}]}}


def test_service_env_matches_kubernetes_names():
    env = envs.service_env([svc("redis-primary", "127.96.0.11",
                                [{"name": "db", "port": 6379, "protocol": "TCP"}])])
    assert env == {
        "REDIS_PRIMARY_SERVICE_HOST": "127.96.0.11",
        "REDIS_PRIMARY_SERVICE_PORT": "6379",
        "REDIS_PRIMARY_SERVICE_PORT_DB": "6379",
        "REDIS_PRIMARY_PORT": "tcp://127.96.0.11:6379",
        "REDIS_PRIMARY_PORT_6379_TCP": "tcp://127.96.0.11:6379",
        "REDIS_PRIMARY_PORT_6379_TCP_PROTO": "tcp",
        "REDIS_PRIMARY_PORT_6379_TCP_PORT": "6379",
        "REDIS_PRIMARY_PORT_6379_TCP_ADDR": "127.96.0.11",
    }


def test_headless_and_external_name_services_give_no_variables():
    headless = svc("h", "None", [{"port": 80}])
    ext = {"kind": "Service", "metadata": {"name": "e"}, "spec": {"type": "ExternalName", "ports": [{"port": 1}]}}
    assert envs.service_env([headless, ext]) == {}


@pytest.mark.parametrize("path,value", [
    ("metadata.name", "web-1"), ("metadata.namespace", "default"), ("metadata.uid", "u1"),
    ("metadata.labels['app']", "web"), ("spec.nodeName", "pkube"),
    ("spec.serviceAccountName", "default"), ("status.podIP", "127.244.0.5"),
    ("status.hostIP", "127.0.0.1")])
def test_field_refs(path, value):
    assert envs.field_value(POD, path, "127.244.0.5", "127.0.0.1") == value


def test_env_order_expansion_and_sources():
    cm = {"kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"}, "data": {"a": "1", "b": "2"}}
    secret = {"kind": "Secret", "metadata": {"name": "s", "namespace": "default"},
              "data": {"pw": base64.b64encode(b"hunter2").decode()}}
    api = FakeApi(cm, secret, svc("kubernetes", "127.96.0.1", [{"name": "https", "port": 443}]))
    container = {"name": "c", "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}],
                 "env": [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw"}}},
                         {"name": "URL", "value": "https://$(KUBERNETES_SERVICE_HOST):$(CFG_a)/$(NOPE)"},
                         {"name": "OPT", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "k",
                                                                          "optional": True}}}]}
    env = envs.container_env(api, POD, container, pod_ip="127.244.0.5", host_ip="127.0.0.1")
    assert env["CFG_a"] == "1" and env["PW"] == "hunter2"
    assert env["URL"] == "https://127.96.0.1:1/$(NOPE)"
    assert "OPT" not in env and env["HOSTNAME"] == "web-1"
    assert env["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"


@pytest.mark.parametrize("ref,message", [
    ({"configMapKeyRef": {"name": "nope", "key": "k"}}, 'configmap "nope" not found'),
    ({"secretKeyRef": {"name": "nope", "key": "k"}}, 'secret "nope" not found'),
    ({"configMapKeyRef": {"name": "cfg", "key": "zz"}}, "couldn't find key zz in ConfigMap default/cfg"),
])
def test_missing_sources_are_config_errors_with_kubelet_words(ref, message):
    api = FakeApi({"kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"}, "data": {}})
    container = {"name": "c", "env": [{"name": "X", "valueFrom": ref}]}
    with pytest.raises(envs.ConfigError) as err:
        envs.container_env(api, POD, container, pod_ip="", host_ip="", services=[])
    assert err.value.message == message


def test_resource_field_ref_rounds_up_by_divisor():
    c = {"name": "c", "resources": {"limits": {"cpu": "250m", "memory": "64Mi"}}}
    assert envs.resource_value(POD, c, {"resource": "limits.cpu", "divisor": "1"}, {}) == "1"
    assert envs.resource_value(POD, c, {"resource": "limits.cpu", "divisor": "1m"}, {}) == "250"
    assert envs.resource_value(POD, c, {"resource": "limits.memory", "divisor": "1Mi"}, {}) == "64"
    assert envs.resource_value(POD, c, {"resource": "limits.memory"}, {}) == str(64 * 1024 * 1024)
