"""service_port: the one spec.ports entry that create service, expose and run --expose write."""

from pkubectl.cli import create, run, services


def test_service_port_key_order_and_optional_name():
    assert list(create.service_port(80, 8080, name="80-8080")) == ["name", "port", "protocol", "targetPort"]
    assert create.service_port(80, "http", "UDP") == {"port": 80, "protocol": "UDP", "targetPort": "http"}


def test_parse_target_port_is_intstr_parse():
    assert create.parse_target_port("8080") == 8080
    assert create.parse_target_port("http") == "http"


def test_generators_share_it():
    assert create.parse_tcp(["80:8080,81"]) == [
        {"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080},
        {"name": "81", "port": 81, "protocol": "TCP", "targetPort": 81},
    ]
    assert run.gen_service("web", {"run": "web"}, 80, None)["spec"]["ports"] == [create.service_port(80, 80)]
    pod = {"kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}},
           "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 53, "protocol": "UDP"}]}]}}
    svc = services.build_service(pod, name=None, port="53,80", target_port="dns", protocol=None, type_=None,
                                 selector=None, labels=None, external_ip=None, session_affinity=None,
                                 cluster_ip=None, load_balancer_ip=None)
    assert svc["spec"]["ports"] == [create.service_port(53, "dns", "UDP", "port-1"),
                                    create.service_port(80, "dns", "TCP", "port-2")]
