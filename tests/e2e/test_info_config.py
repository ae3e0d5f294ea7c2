"""`api-resources`, `api-versions`, `version`, `explain`, `cluster-info` and `config`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap


def test_api_resources_table(cluster):
    out = cluster.ok("api-resources")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert lines[0].startswith("NAME                       SHORTNAMES   APIVERSION")
    names = [ln.split()[0] for ln in lines[1:]]
    # core group first, then groups A-Z, names sorted within a group
    assert names.index("configmaps") < names.index("pods") < names.index("deployments") < names.index("jobs")
    assert "pods                       po           v1                       true         Pod" in lines
    assert "secrets                                 v1                       true         Secret" in lines
    assert not any(ln != ln.rstrip() for ln in lines)


def test_api_resources_options(cluster):
    assert cluster.ok("api-resources", "-o", "name", "--api-group=apps") == \
        "controllerrevisions.apps\ndaemonsets.apps\ndeployments.apps\nreplicasets.apps\nstatefulsets.apps\n"
    cluster_scoped = cluster.ok("api-resources", "--namespaced=false", "--no-headers").splitlines()
    assert [ln.split()[0] for ln in cluster_scoped] == ["namespaces", "nodes"]
    wide = cluster.ok("api-resources", "-o", "wide").splitlines()
    assert wide[0].split()[-2:] == ["VERBS", "CATEGORIES"]
    pods = next(ln for ln in wide if ln.startswith("pods "))
    assert pods.split()[-2:] == ["create,delete,deletecollection,get,list,patch,update,watch", "all"]
    ns = next(ln for ln in wide if ln.startswith("namespaces "))
    assert ns.split()[-1] == "create,delete,get,list,patch,update,watch"
    by_kind = [ln.split()[-1] for ln in cluster.ok("api-resources", "--sort-by=kind", "--no-headers").splitlines()]
    assert by_kind == sorted(by_kind)


def test_api_versions(cluster):
    out = cluster.ok("api-versions").splitlines()
    assert out == sorted(out) and out[-1] == "v1" and "apps/v1" in out and "batch/v1" in out


def test_version(cluster):
    out = cluster.ok("version").splitlines()
    assert out[0].startswith("Client Version: v1.37.1+pkube.")
    assert out[1].startswith("Server Version: v1.37.1+pkube.")
    assert cluster.ok("version", "--client").count("\n") == 1
    data = json.loads(cluster.ok("version", "-o", "json"))
    assert set(data) == {"clientVersion", "serverVersion"}
    assert {"major", "minor", "gitVersion", "platform"} <= set(data["clientVersion"])
    assert data["clientVersion"]["major"] == "1" and data["clientVersion"]["minor"] == "37"
    assert cluster.ok("version", "--client", "-o", "yaml").startswith("clientVersion:\n  buildDate:")
    r = cluster.pk("version", "-o", "xml")
    assert r.returncode == 1 and r.stderr == "error: --output must be 'yaml' or 'json'\n"


def test_explain(cluster):
    out = cluster.ok("explain", "deployments")
    assert out.startswith("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nDESCRIPTION:\n")
    assert "\nFIELDS:\n  apiVersion\t<string>\n" in out and "  spec\t<DeploymentSpec>\n" in out
    out = cluster.ok("explain", "cm.data")
    assert out.startswith("KIND:       ConfigMap\nVERSION:    v1\n\nFIELD: data <map[string]string>\n")
    r = cluster.pk("explain", "pods.nope")
    assert r.returncode == 1 and r.stderr == 'error: field "nope" does not exist\n'
    r = cluster.pk("explain", "bogus")
    assert r.returncode == 1 and r.stderr == 'error: the server doesn\'t have a resource type "bogus"\n'


def test_explain_walks_lists_maps_and_refs_to_any_depth(cluster):
    out = cluster.ok("explain", "deploy.spec.template.spec.containers.ports")
    assert out.startswith("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\n"
                          "FIELD: ports <[]ContainerPort>\n\n\nDESCRIPTION:\n    List of ports to expose")
    # the field's own description, then its type's
    assert "\n    ContainerPort represents a network port in a single container.\n    \nFIELDS:\n" in out
    assert "  containerPort\t<integer> -required-\n    Number of port to expose" in out
    assert cluster.ok("explain", "deploy.spec.strategy.rollingUpdate.maxSurge").splitlines()[4] == \
        "FIELD: maxSurge <IntOrString>"
    assert "FIELD: limits <map[string]Quantity>" in cluster.ok("explain", "po.spec.containers.resources.limits")
    assert "\n  selector\t<LabelSelector> -required-\n" in cluster.ok("explain", "deployment.spec")
    # every line of a description is indented, long words run past the width as kubectl's wrap does
    for line in cluster.ok("explain", "pod.spec").splitlines():
        assert len(line) <= 80 or " " not in line.strip(), line
    r = cluster.pk("explain", "pods.spec.containers.nope.deeper")
    assert r.returncode == 1 and r.stderr == 'error: field "deeper" does not exist\n'


def test_explain_recursive_and_max_depth(cluster):
    out = cluster.ok("explain", "pods", "--recursive")
    assert "\n  spec\t<PodSpec>\n    activeDeadlineSeconds\t<integer>\n" in out
    assert "\n    containers\t<[]Container> -required-\n      args\t<[]string>\n" in out
    shallow = cluster.ok("explain", "pods", "-R", "--max-depth=1")
    assert "  spec\t<PodSpec>\n  status\t<PodStatus>\n" in shallow and "activeDeadlineSeconds" not in shallow
    r = cluster.pk("explain", "pods", "--max-depth=2")
    assert r.returncode == 1 and r.stderr == "error: --max-depth requires --recursive\n"
    r = cluster.pk("explain", "pods", "-R", "--max-depth=-1")
    assert r.returncode == 1 and r.stderr == "error: --max-depth must be non-negative\n"


def test_cluster_info_reads_the_daemon_pidfile(cluster):
    db = os.path.join(cluster.home, "state.db")
    assert cluster.ok("cluster-info") == (f"Kubernetes control plane is running at sqlite://{db}\n"
                                          "pkubelet daemon is not running\n")
    p = cluster.popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with open(os.path.join(cluster.home, "daemon.pid"), "w") as f:
        f.write(f"{p.pid}\n")
    assert cluster.ok("cluster-info").splitlines()[1] == f"pkubelet daemon is running (pid {p.pid})"
    p.kill()
    p.wait(10)
    assert cluster.ok("cluster-info").splitlines()[1] == "pkubelet daemon is not running"


def test_config_contexts(cluster, tmp_path):
    other = str(tmp_path / "other")
    assert cluster.ok("config", "current-context") == "pkube\n"
    assert cluster.ok("config", "get-contexts") == (
        "CURRENT   NAME    CLUSTER   AUTHINFO   NAMESPACE\n"
        "*         pkube   pkube                default\n")
    assert cluster.ok("config", "set-cluster", "other", f"--pkube-home={other}") == 'Cluster "other" set.\n'
    assert cluster.ok("config", "set-context", "dev", "--cluster=other", "--namespace=team") == \
        'Context "dev" created.\n'
    assert cluster.ok("config", "set-context", "dev", "--namespace=team2") == 'Context "dev" modified.\n'
    assert cluster.ok("config", "get-contexts") == (
        "CURRENT   NAME    CLUSTER   AUTHINFO   NAMESPACE\n"
        "          dev     other                team2\n"
        "*         pkube   pkube                default\n")
    r = cluster.pk("config", "use-context", "zz")
    assert r.returncode == 1 and r.stderr == 'error: no context exists with the name: "zz"\n'
    assert cluster.ok("config", "use-context", "dev") == 'Switched to context "dev".\n'
    # every command now uses the other state directory and the context's namespace
    cluster.ok("create", "ns", "team2")
    assert cluster.ok("create", "configmap", "c", "--from-literal=a=b") == "configmap/c created\n"
    assert os.path.exists(os.path.join(other, "state.db"))
    assert cluster.ok("get", "cm", "c", "-o", "jsonpath={.metadata.namespace}") == "team2"
    assert cluster.pk("--context", "pkube", "get", "cm", "c").returncode == 1
    assert cluster.ok("get", "cm", "c", "-n", "team2", "--context", "dev", "-o", "name") == "configmap/c\n"
    assert cluster.ok("config", "set-context", "--current", "--namespace=default") == 'Context "dev" modified.\n'
    assert cluster.ok("config", "rename-context", "dev", "dev2") == 'Context "dev" renamed to "dev2".\n'
    assert cluster.ok("config", "current-context") == "dev2\n"
    r = cluster.pk("config", "rename-context", "nope", "x")
    cfg = os.path.join(cluster.home, "config")
    assert r.returncode == 1 and r.stderr == f'error: cannot rename the context "nope", it\'s not in {cfg}\n'
    r = cluster.pk("config", "set-context")
    assert r.returncode == 1 and r.stderr == "error: you must specify a non-empty context name or --current\n"
    assert cluster.ok("config", "use-context", "pkube") == 'Switched to context "pkube".\n'
    assert cluster.ok("config", "delete-context", "dev2") == f"deleted context dev2 from {cfg}\n"
    r = cluster.pk("config", "delete-context", "dev2")
    assert r.returncode == 1 and r.stderr == f"error: cannot delete context dev2, not in {cfg}\n"
    r = cluster.pk("config", "get-contexts", "nope")
    assert r.returncode == 1 and r.stderr == "error: context nope not found\n"
    assert cluster.ok("config", "get-contexts", "-o", "name") == "pkube\n"


def test_config_view_and_explicit_file(cluster, tmp_path):
    assert cluster.ok("config", "view") == textwrap.dedent(f"""\
        apiVersion: v1
        clusters:
        - cluster:
            pkube-home: {cluster.home}
          name: pkube
        contexts:
        - context:
            cluster: pkube
            namespace: default
          name: pkube
        current-context: pkube
        kind: Config
        users: null
        """)
    kc = str(tmp_path / "kc")
    assert cluster.ok("config", "set-context", "x", "--namespace=n", "--kubeconfig", kc) == 'Context "x" created.\n'
    # a new file starts from the default context (the default state directory) plus the change
    assert cluster.ok("config", "get-contexts", "--kubeconfig", kc, "-o", "name") == "pkube\nx\n"
    assert cluster.ok("config", "get-contexts", "-o", "name", env={"PKUBECONFIG": kc}) == "pkube\nx\n"
    with open(kc, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "Config", "contexts": [{"name": "x", "context": {}}]}, f)
    r = cluster.pk("config", "current-context", "--kubeconfig", kc)
    assert r.returncode == 1 and r.stderr == "error: current-context is not set\n"
