"""Endpoints / EndpointSlice controller and LoadBalancer assignment against a real Api on a
temporary store: readiness, named target ports, publishNotReadyAddresses, terminating
pods, selector-less Services, deletion, and no writes when nothing changed."""
from __future__ import annotations

import pytest

from pkubectl.api import registry
from pkubectl.api.server import Api
from pkubectl.controllers import endpoints, loadbalancer
from state.store import Store

EP, SLICE, SVC, POD = (registry.by_kind(k) for k in ("Endpoints", "EndpointSlice", "Service", "Pod"))


@pytest.fixture
def api(tmp_path):
    return Api(Store(str(tmp_path / "home")))


def make_pod(api, name, ip, ready=True, ports=(("http", 8080),), labels=None, phase="Running"):
    pod = api.create({"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": name, "labels": labels or {"app": "web"}},
                      "spec": {"nodeName": "pkube", "containers": [
                          {"name": "c", "image": "x", "ports": [{"name": n, "containerPort": p} for n, p in ports]}]}})
    pod["status"] = {"phase": phase, "podIP": ip,
                     "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    return api.update_status(pod)


def make_svc(api, name="web", **spec):
    body = dict({"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}, **spec)
    return api.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"tier": "fe"}},
                       "spec": body})


def addresses(api, name="web", field="addresses"):
    ep = api.get(EP, "default", name)
    return sorted((a["ip"], p["port"]) for s in ep.get("subsets") or [] for a in s.get(field) or []
                  for p in s.get("ports") or [])


def slices(api, name="web"):
    return [s for s in api.list(SLICE, "default")[0]
            if s["metadata"]["labels"].get("kubernetes.io/service-name") == name]


def test_ready_and_not_ready_addresses_with_named_target_port(api):
    make_svc(api)
    make_pod(api, "a", "127.244.0.2")
    make_pod(api, "b", "127.244.0.3", ready=False)
    make_pod(api, "c", "127.244.0.4", ports=())           # no port named http: skipped
    make_pod(api, "d", "", ready=True)                    # no IP yet
    make_pod(api, "e", "127.244.0.6", phase="Succeeded")  # finished
    make_pod(api, "f", "127.244.0.7", labels={"app": "other"})
    assert endpoints.sync(api) > 0
    assert addresses(api) == [("127.244.0.2", 8080)]
    assert addresses(api, field="notReadyAddresses") == [("127.244.0.3", 8080)]
    ep = api.get(EP, "default", "web")
    addr = ep["subsets"][0]["addresses"][0]
    assert addr["nodeName"] == "pkube" and addr["targetRef"]["kind"] == "Pod" and addr["targetRef"]["name"] == "a"
    assert ep["metadata"]["labels"] == {"tier": "fe", "endpoints.kubernetes.io/managed-by": "endpoint-controller"}
    (s,) = slices(api)
    assert s["metadata"]["name"].startswith("web-") and len(s["metadata"]["name"]) == len("web-") + 5
    assert s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert s["metadata"]["ownerReferences"][0]["kind"] == "Service"
    assert s["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert [(e["addresses"], e["conditions"]["ready"]) for e in s["endpoints"]] == [
        (["127.244.0.2"], True), (["127.244.0.3"], False)]


def test_no_writes_when_nothing_changed(api):
    make_svc(api)
    make_pod(api, "a", "127.244.0.2")
    endpoints.sync(api)
    rev = api.store.revision()
    assert endpoints.sync(api) == 0 and endpoints.sync(api) == 0
    assert api.store.revision() == rev


def test_numeric_target_port_and_multi_port_repack(api):
    make_svc(api, ports=[{"name": "http", "port": 80, "targetPort": "http"},
                         {"name": "metrics", "port": 9090, "targetPort": 9100}])
    make_pod(api, "a", "127.244.0.2")
    make_pod(api, "b", "127.244.0.3", ports=())
    endpoints.sync(api)
    ep = api.get(EP, "default", "web")
    shapes = sorted((tuple(p["name"] for p in s["ports"]), tuple(a["ip"] for a in s["addresses"]))
                    for s in ep["subsets"])
    assert shapes == [(("http", "metrics"), ("127.244.0.2",)), (("metrics",), ("127.244.0.3",))]
    assert len(slices(api)) == 2


def test_publish_not_ready_and_terminating(api):
    make_svc(api, publishNotReadyAddresses=True)
    make_pod(api, "a", "127.244.0.2", ready=False)
    endpoints.sync(api)
    assert addresses(api) == [("127.244.0.2", 8080)]
    api.patch(SVC, "default", "web", {"spec": {"publishNotReadyAddresses": False}})
    endpoints.sync(api)
    assert addresses(api) == [] and addresses(api, field="notReadyAddresses") == [("127.244.0.2", 8080)]
    make_pod(api, "b", "127.244.0.3")
    api.delete(POD, "default", "b")  # bound to a node: gets a deletionTimestamp, stays until the kubelet stops it
    assert api.get(POD, "default", "b")["metadata"].get("deletionTimestamp")
    endpoints.sync(api)
    assert "127.244.0.3" not in [ip for ip, _ in addresses(api) + addresses(api, field="notReadyAddresses")]
    conditions = {e["addresses"][0]: e["conditions"] for e in slices(api)[0]["endpoints"]}
    assert conditions["127.244.0.3"] == {"ready": False, "serving": True, "terminating": True}


def test_selectorless_service_keeps_user_endpoints_and_deletion_cleans_up(api):
    make_svc(api, "ext", selector=None)
    api.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ext"},
                "subsets": [{"addresses": [{"ip": "127.0.0.9"}], "ports": [{"port": 5432}]}]})
    make_svc(api)
    make_pod(api, "a", "127.244.0.2")
    endpoints.sync(api)
    assert addresses(api, "ext") == [("127.0.0.9", 5432)] and slices(api, "ext") == []
    api.delete(SVC, "default", "web")
    api.delete(SVC, "default", "ext")
    endpoints.sync(api)
    assert api.try_get(EP, "default", "web") is None and slices(api) == []
    assert api.try_get(EP, "default", "ext") is not None  # the user's, not ours


def test_empty_service_has_placeholder_slice_and_no_subsets(api):
    make_svc(api)
    endpoints.sync(api)
    assert "subsets" not in api.get(EP, "default", "web")
    (s,) = slices(api)
    assert s["endpoints"] == [] and s["ports"] == []


def test_loadbalancer_gets_an_ingress_ip_once_and_loses_it_when_type_changes(api):
    make_svc(api, type="LoadBalancer")
    assert loadbalancer.sync(api) == 1 and loadbalancer.sync(api) == 0
    ingress = api.get(SVC, "default", "web")["status"]["loadBalancer"]["ingress"]
    assert len(ingress) == 1 and ingress[0]["ip"].startswith("127.250.") and ingress[0]["ipMode"] == "VIP"
    api.patch(SVC, "default", "web", {"spec": {"type": "ClusterIP", "allocateLoadBalancerNodePorts": None,
                                               "externalTrafficPolicy": None}}, "merge")
    assert loadbalancer.sync(api) == 1
    assert api.get(SVC, "default", "web")["status"]["loadBalancer"] == {}
