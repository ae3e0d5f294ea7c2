"""From Services + Endpoints to proxy rules (who listens where, with which endpoints), the
kubelet-managed hosts file, and the expose / port-forward helpers of the CLI."""
from __future__ import annotations

import os

import pytest

from pkubectl.cli import services as cli
from pkubectl.cli.common import CliError
from pkubelet import hosts, proxier


def svc(name="web", ns="default", **spec):
    body = dict({"type": "ClusterIP", "clusterIP": "127.96.0.10",
                 "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}]}, **spec)
    return {"metadata": {"name": name, "namespace": ns, "uid": "u-" + name}, "spec": body}


EPS = {("default", "web"): {"subsets": [
    {"addresses": [{"ip": "127.244.0.2"}, {"ip": "127.244.0.3"}], "notReadyAddresses": [{"ip": "127.244.0.4"}],
     "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]}}


def rules_of(services, node_ip="127.0.0.1", cluster=True):
    rules, owners, notes = proxier.service_rules(services, EPS, node_ip, cluster)
    return {(r.listen_ip, r.listen_port): r for r in rules}, notes


def test_cluster_ip_rule_uses_ready_addresses_and_the_named_port():
    rules, notes = rules_of([svc()])
    assert list(rules) == [("127.96.0.10", 80)]
    assert rules[("127.96.0.10", 80)].endpoints == (("127.244.0.2", 8080), ("127.244.0.3", 8080))
    assert notes == []


def test_nodeport_loadbalancer_and_affinity():
    lb = svc(type="LoadBalancer", sessionAffinity="ClientIP",
             sessionAffinityConfig={"clientIP": {"timeoutSeconds": 30}},
             ports=[{"name": "http", "port": 80, "nodePort": 30080, "targetPort": "http"}])
    lb["status"] = {"loadBalancer": {"ingress": [{"ip": "127.250.0.7"}]}}
    rules, _ = rules_of([lb])
    assert set(rules) == {("127.96.0.10", 80), ("127.250.0.7", 80), ("127.0.0.1", 30080)}
    assert {r.affinity_timeout for r in rules.values()} == {30}
    # a node agent serves only its own NodePorts
    rules, _ = rules_of([lb], node_ip="127.0.1.2", cluster=False)
    assert set(rules) == {("127.0.1.2", 30080)}


def test_headless_externalname_and_udp_get_no_listener():
    rules, notes = rules_of([svc("h", clusterIP="None"), svc("x", type="ExternalName", clusterIP=None),
                             svc("u", ports=[{"port": 53, "protocol": "UDP"}])])
    assert rules == {}
    assert [n.reason for n in notes] == ["ProtocolNotProxied"]


def test_external_ips_only_on_loopback():
    rules, notes = rules_of([svc(externalIPs=["127.0.0.5", "192.0.2.1"])])
    assert ("127.0.0.5", 80) in rules and not any(ip == "192.0.2.1" for ip, _ in rules)
    assert [n.reason for n in notes] == ["ExternalIPNotServed"]
    assert "192.0.2.1" in notes[0].message


def test_hosts_file_lists_services_by_search_path():
    pod = {"metadata": {"name": "client", "namespace": "default"}, "spec": {}}
    text = hosts.render(pod, "127.244.0.9", [svc(), svc("db", "other", clusterIP="127.96.0.20"),
                                             svc("h", clusterIP="None")])
    assert text.startswith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n")
    assert "127.244.0.9\tclient\n" in text
    assert "127.96.0.10\tweb web.default web.default.svc web.default.svc.cluster.local\n" in text
    assert "127.96.0.20\tdb.other db.other.svc db.other.svc.cluster.local\n" in text
    assert "\th " not in text and " h." not in text


def test_hosts_file_is_rewritten_in_place(tmp_path):
    path = str(tmp_path / "hosts")
    assert hosts.write(path, "a long first version\n")
    inode = os.stat(path).st_ino
    assert not hosts.write(path, "a long first version\n")
    assert hosts.write(path, "short\n")
    assert os.stat(path).st_ino == inode and open(path).read() == "short\n"


def test_wrap_keeps_argv_and_quotes_paths():
    from pkubelet import mountns
    tools = {"unshare": "/usr/bin/unshare", "mount": "/usr/bin/mount", "sh": "/bin/sh", "overlay": True}
    argv = mountns.wrap(["python3", "-c", "print(1)"], [("/x y/etc-hosts", "/etc/hosts", False)], "/tmp/st", tools)
    assert argv[:5] == ["/usr/bin/unshare", "--mount", "--propagation", "private", "--"]
    assert argv[7] == "\"$0\" --bind '/x y/etc-hosts' /etc/hosts && exec \"$@\""
    assert argv[-3:] == ["python3", "-c", "print(1)"]


DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
          "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"spec": {"containers": [
              {"name": "a", "ports": [{"containerPort": 8080}, {"containerPort": 9090, "protocol": "UDP"}]}]}}}}


def build(obj, **kw):
    args = dict(name=None, port=None, target_port=None, protocol=None, type_=None, selector=None, labels=None,
                external_ip=None, session_affinity=None, cluster_ip=None, load_balancer_ip=None)
    args.update(kw)
    return cli.build_service(obj, **args)


def test_expose_introspects_ports_selector_and_labels():
    s = build(DEPLOY)
    assert s["metadata"] == {"labels": {"app": "web"}, "name": "web"}
    assert s["spec"] == {"ports": [{"name": "port-1", "port": 8080, "protocol": "TCP", "targetPort": 8080},
                                   {"name": "port-2", "port": 9090, "protocol": "UDP", "targetPort": 9090}],
                         "selector": {"app": "web"}}
    s = build(DEPLOY, port="80", target_port="http", type_="NodePort", name="front")
    assert s["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": "http"}]
    assert s["spec"]["type"] == "NodePort" and s["metadata"]["name"] == "front"


def test_expose_errors():
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}
    with pytest.raises(CliError, match="the pod has no labels and cannot be exposed"):
        build(pod)
    pod["metadata"]["labels"] = {"run": "p"}
    with pytest.raises(CliError, match="^couldn't find port via --port flag or introspection$"):
        build(pod)
    with pytest.raises(CliError, match="^cannot expose a StatefulSet.apps$"):
        build({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"}})


def test_port_forward_translates_service_ports():
    service = svc(ports=[{"name": "http", "port": 80, "targetPort": "http"}, {"port": 81, "targetPort": 9000}])
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"ports": [{"name": "http", "containerPort": 8080}]}]}}
    assert cli.translate_service_ports(service, pod, ["8080:80", "81", ":http"]) == \
        [("8080", 8080), ("81", 9000), ("", 8080)]
    with pytest.raises(CliError, match="^Service web does not have a service port 82$"):
        cli.translate_service_ports(service, pod, ["82"])
    assert cli.translate_pod_ports(pod, ["http", "9000:http"]) == [("8080", 8080), ("9000", 8080)]
    assert cli.listen_addresses(None) == ["127.0.0.1", "::1"]
    assert cli.listen_addresses(["127.0.0.1,localhost"]) == ["127.0.0.1", "::1"]
