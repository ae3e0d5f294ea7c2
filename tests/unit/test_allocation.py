"""Service address allocation as the API server does it: random nodePorts and ClusterIPs
stay out of the static band (the low values manifests name), which they use only once the
rest of the range is full."""
from __future__ import annotations

import ipaddress

import pytest

from pkubectl.api import errors
from pkubectl.api.server import Api, pick_dynamic, static_band
from state.store import Store


@pytest.fixture
def api(tmp_path):
    return Api(Store(str(tmp_path / "home")))


def node_port_service(name, node_port=None):
    port = {"port": 80}
    if node_port:
        port["nodePort"] = node_port
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": "NodePort", "selector": {"app": name}, "ports": [port]}}


@pytest.mark.parametrize("size, band", [(2768, 86), (100, 16), (10, 0), (100000, 128)])
def test_node_port_band_is_size_over_32_within_16_and_128(size, band):
    assert static_band(size, 16, 128, 32) == band


def test_cluster_ip_band_of_a_slash_16_is_256():
    assert static_band(65534, 16, 256, 16) == 256


def test_random_node_ports_and_cluster_ips_avoid_the_static_band(api):
    for i in range(40):
        spec = api.create(node_port_service(f"s{i}"))["spec"]
        assert 30086 <= spec["ports"][0]["nodePort"] <= 32767
        assert ipaddress.ip_address(spec["clusterIP"]) >= ipaddress.ip_address("127.96.1.1")
    # A manifest that names a low port gets it.
    assert api.create(node_port_service("fixed", 30007))["spec"]["ports"][0]["nodePort"] == 30007


def test_the_static_band_is_used_when_the_rest_is_full():
    taken = set(range(30016, 30100))
    assert 30000 <= pick_dynamic(30000, 30099, taken, 16) < 30016
    assert pick_dynamic(30000, 30099, set(range(30000, 30100)), 16) is None


def test_a_named_port_already_taken_is_refused(api):
    api.create(node_port_service("a", 31000))
    with pytest.raises(errors.ApiError) as e:
        api.create(node_port_service("b", 31000))
    assert "spec.ports[0].nodePort: Invalid value: 31000: provided port is already allocated" in str(e.value)
