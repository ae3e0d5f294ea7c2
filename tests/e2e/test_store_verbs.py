"""The foundation through the real `pkubectl`: apply/get/delete/label/patch, formats,
errors, and `get -o yaml | apply -f -` reporting `unchanged` for every kind.

These tests are about the API and the CLI, so the control loops are switched off
(PKUBE_NO_CONVERGE=1): no processes start, and objects stay as written.
"""
from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
import yaml

NO_LOOPS = {"PKUBE_NO_CONVERGE": "1"}

ONE_OF_EACH = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data: {mode: fast, "app.properties": "a=1\\nb=2\\n"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: shop}
stringData: {password: s3cret}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: solo, namespace: shop, labels: {app: solo}}
spec:
  containers:
  - {name: main, image: busybox, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: np, namespace: shop}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 30123}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: external, namespace: shop}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "python:3.12", command: [python3, -m, http.server, "8080"]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: rs}}
  template:
    metadata: {labels: {app: rs}}
    spec:
      containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: ["true"]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick, namespace: shop}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: busybox, command: ["true"]}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: external-1, namespace: shop, labels: {kubernetes.io/service-name: external}}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1]}]
ports: [{port: 5432}]
"""

KIND_OF = {"Namespace": "namespace", "ConfigMap": "configmap", "Secret": "secret",
           "ServiceAccount": "serviceaccount", "Pod": "pod", "Service": "service", "Endpoints": "endpoints",
           "Deployment": "deployment.apps", "ReplicaSet": "replicaset.apps", "DaemonSet": "daemonset.apps",
           "StatefulSet": "statefulset.apps", "Job": "job.batch", "CronJob": "cronjob.batch",
           "HorizontalPodAutoscaler": "horizontalpodautoscaler.autoscaling",
           "EndpointSlice": "endpointslice.discovery.k8s.io"}


@pytest.fixture
def c(cluster):
    cluster.env.update(NO_LOOPS)
    return cluster


def test_apply_created_then_unchanged(c):
    out = c.ok("apply", "-f", "-", input=ONE_OF_EACH)
    docs = [d for d in yaml.safe_load_all(ONE_OF_EACH)]
    expected = [f"{KIND_OF[d['kind']]}/{d['metadata']['name']} created" for d in docs]
    assert out.splitlines() == expected
    again = c.ok("apply", "-f", "-", input=ONE_OF_EACH)
    assert again.splitlines() == [e.replace(" created", " unchanged") for e in expected]


def test_get_yaml_piped_to_apply_is_unchanged_for_every_kind(c):
    c.ok("apply", "-f", "-", input=ONE_OF_EACH)
    for d in yaml.safe_load_all(ONE_OF_EACH):
        kind, name = KIND_OF[d["kind"]], d["metadata"]["name"]
        ns = ["-n", "shop"] if d["kind"] != "Namespace" else []
        live = c.ok("get", f"{kind}/{name}", *ns, "-o", "yaml")
        assert c.ok("apply", "-f", "-", *ns, input=live).strip() == f"{kind}/{name} unchanged", kind


def test_defaults_filled_in(c):
    c.ok("apply", "-f", "-", input=ONE_OF_EACH)
    dep = json.loads(c.ok("get", "deploy", "web", "-n", "shop", "-o", "json"))
    assert dep["spec"]["strategy"] == {"type": "RollingUpdate",
                                       "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert dep["spec"]["revisionHistoryLimit"] == 10 and dep["spec"]["progressDeadlineSeconds"] == 600
    pod_spec = dep["spec"]["template"]["spec"]
    assert pod_spec["restartPolicy"] == "Always" and pod_spec["dnsPolicy"] == "ClusterFirst"
    assert pod_spec["terminationGracePeriodSeconds"] == 30
    assert pod_spec["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert dep["metadata"]["generation"] == 1 and dep["metadata"]["uid"]
    svc = json.loads(c.ok("get", "svc", "np", "-n", "shop", "-o", "json"))
    assert svc["spec"]["sessionAffinity"] == "None" and svc["spec"]["ports"][0]["nodePort"] == 30123
    assert svc["spec"]["clusterIP"].startswith("127.96.")
    secret = json.loads(c.ok("get", "secret", "creds", "-n", "shop", "-o", "json"))
    assert secret["type"] == "Opaque" and secret["data"] == {"password": "czNjcmV0"}
    assert "stringData" not in secret
    namespaces = c.ok("get", "ns", "-o", "name").split()
    for ns in ("namespace/default", "namespace/kube-system", "namespace/kube-public", "namespace/kube-node-lease"):
        assert ns in namespaces


def test_field_removed_from_manifest_is_removed(c):
    base = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m", "labels": {"a": "1", "b": "2"}},
            "data": {"x": "1", "y": "2"}}
    c.ok("apply", "-f", "-", input=json.dumps(base))
    del base["data"]["y"]
    del base["metadata"]["labels"]["b"]
    assert c.ok("apply", "-f", "-", input=json.dumps(base)).strip() == "configmap/m configured"
    live = json.loads(c.ok("get", "cm", "m", "-o", "json"))
    assert live["data"] == {"x": "1"} and live["metadata"]["labels"] == {"a": "1"}
    annotation = live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert annotation == ('{"apiVersion":"v1","data":{"x":"1"},"kind":"ConfigMap","metadata":{"annotations":{},'
                          '"labels":{"a":"1"},"name":"m","namespace":"default"}}\n')


def test_generation_bumps_on_spec_change_only(c):
    c.ok("apply", "-f", "-", input=ONE_OF_EACH)
    c.ok("label", "deploy", "web", "-n", "shop", "tier=fe")
    assert c.ok("get", "deploy", "web", "-n", "shop", "-o", "jsonpath={.metadata.generation}") == "1"
    c.ok("patch", "deploy", "web", "-n", "shop", "-p", '{"spec":{"replicas":4}}')
    assert c.ok("get", "deploy", "web", "-n", "shop", "-o", "jsonpath={.metadata.generation}") == "2"


def test_resource_version_increases_and_stale_write_conflicts(c):
    c.ok("create", "-f", "-", input='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"v"},"data":{"a":"1"}}')
    live = json.loads(c.ok("get", "cm", "v", "-o", "json"))
    rv1 = int(live["metadata"]["resourceVersion"])
    c.ok("label", "cm", "v", "x=y")
    rv2 = int(c.ok("get", "cm", "v", "-o", "jsonpath={.metadata.resourceVersion}"))
    assert rv2 > rv1
    live["data"]["a"] = "2"  # carries the stale resourceVersion rv1
    r = c.pk("replace", "-f", "-", input=json.dumps(live))
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip() == ('Error from server (Conflict): error when replacing "STDIN": Operation cannot be '
                                'fulfilled on configmaps "v": the object has been modified; please apply your '
                                'changes to the latest version and try again')
    assert c.ok("get", "cm", "v", "-o", "jsonpath={.data.a}") == "1"


def test_tables_and_formats(c):
    c.ok("apply", "-f", "-", input=ONE_OF_EACH)
    svc = c.ok("get", "svc", "-n", "shop").splitlines()
    assert svc[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert svc[0].index("TYPE") == len("NAME") + 3  # widest cell + 3 spaces (tabwriter padding)
    row = {line.split()[0]: line.split() for line in svc[1:]}
    assert row["np"][1] == "NodePort" and row["np"][4] == "80:30123/TCP"
    assert row["web"][4] == "80/TCP" and row["web"][3] == "<none>"
    assert c.ok("get", "cm,secret", "-n", "shop", "-o", "name").split() == [
        "configmap/cfg", "configmap/kube-root-ca.crt", "secret/creds"] or \
        c.ok("get", "cm,secret", "-n", "shop", "-o", "name").split() == ["configmap/cfg", "secret/creds"]
    one = json.loads(c.ok("get", "cm", "cfg", "-n", "shop", "-o", "json"))
    assert one["kind"] == "ConfigMap"
    many = json.loads(c.ok("get", "deploy,rs", "-n", "shop", "-o", "json"))
    assert many["kind"] == "List" and many["metadata"] == {"resourceVersion": ""}
    jp = c.ok("get", "pods", "-n", "shop", "-o", 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}')
    assert jp == "solo\n"
    cc = c.ok("get", "deploy", "-n", "shop", "-o", "custom-columns=NAME:.metadata.name,IMG:.spec.template.spec.containers[*].image")
    assert cc.splitlines() == ["NAME   IMG", "web    python:3.12"]
    labels = c.ok("get", "pod", "solo", "-n", "shop", "--show-labels").splitlines()
    assert labels[0].split()[-1] == "LABELS" and labels[1].split()[-1] == "app=solo"
    assert c.ok("get", "pod", "solo", "-n", "shop", "--no-headers").split()[0] == "solo"
    wide = c.ok("get", "pod", "solo", "-n", "shop", "-o", "wide").splitlines()[0].split()
    assert wide[-4:] == ["NODE", "NOMINATED", "NODE", "READINESS"][:0] + wide[-4:]  # header present
    assert "IP" in wide and "NODE" in wide


def test_all_namespaces_and_selectors(c):
    c.ok("apply", "-f", "-", input=ONE_OF_EACH)
    c.ok("create", "-f", "-", input='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","labels":{"tier":"be"}}}')
    lines = c.ok("get", "cm", "-A", "-l", "tier=be").splitlines()
    assert lines[0].split()[:2] == ["NAMESPACE", "NAME"] and lines[1].split()[:2] == ["default", "d"]
    r = c.pk("get", "cm", "-l", "tier in (fe)")
    assert r.returncode == 0 and r.stdout == "" and r.stderr.strip() == "No resources found in default namespace."
    assert c.ok("get", "pods", "-A", "--field-selector", "metadata.name=solo", "-o", "name").strip() == "pod/solo"
    r = c.pk("get", "pods", "--field-selector", "spec.bogus=x")
    assert r.returncode == 1 and "field label not supported: spec.bogus" in r.stderr


def test_sort_by(c):
    for name, n in (("b", 3), ("a", 1), ("c", 2)):
        c.ok("create", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                                                    "data": {str(i): "x" for i in range(n)}}))
    names = c.ok("get", "cm", "--sort-by=.metadata.name", "-o", "name").split()
    assert names[:3] == ["configmap/a", "configmap/b", "configmap/c"]


def test_errors_are_kubectl_shaped(c):
    cases = [
        (("get", "pods", "nope"), 'Error from server (NotFound): pods "nope" not found'),
        (("get", "deploy", "nope"), 'Error from server (NotFound): deployments.apps "nope" not found'),
        (("get", "foo"), 'error: the server doesn\'t have a resource type "foo"'),
        (("get", "-o", "bogus", "pods"), 'error: unable to match a printer suitable for the output format "bogus"'),
        (("delete", "pod"), "error: resource(s) were provided, but no name was specified"),
        (("get", "--bogus"), "error: unknown flag: --bogus"),
    ]
    for args, text in cases:
        r = c.pk(*args)
        assert r.returncode == 1, args
        assert r.stdout == "", args
        assert r.stderr.startswith(text), (args, r.stderr)
        assert "Traceback" not in r.stderr


def test_invalid_objects_are_refused_whole(c):
    bad = [
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n",
         'The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'),
        ("apiVersion: v1\nkind: Foo\nmetadata: {name: x}\n",
         'error: resource mapping not found for name: "x" namespace: "" from "STDIN": no matches for kind "Foo" in version "v1"'),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: nowhere}\n",
         'Error from server (NotFound): error when creating "STDIN": namespaces "nowhere" not found'),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ../etc}\n", 'The ConfigMap "../etc" is invalid'),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a/b}\n", 'The ConfigMap "a/b" is invalid'),
        ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {app: a}}\n"
         "  template:\n    metadata: {labels: {app: b}}\n    spec: {containers: [{name: c, image: busybox}]}\n",
         'The Deployment "d" is invalid: spec.template.metadata.labels: Invalid value:'),
        ("kind: [\n", "error: error parsing STDIN: error converting YAML to JSON: yaml: "),
        ("- just\n- a list\n", "error: error parsing STDIN: error unmarshaling JSON"),
        ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 70000}]\n",
         '* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive'),
    ]
    before = c.ok("get", "cm", "-A", "-o", "name")
    for text, message in bad:
        r = c.pk("apply", "-f", "-", input=text)
        assert r.returncode == 1, text
        assert message in r.stderr, (text, r.stderr)
        assert "Traceback" not in r.stderr
    assert c.ok("get", "cm", "-A", "-o", "name") == before


def test_one_bad_object_does_not_stop_the_others(c):
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good1}\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: BAD}\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good2}\n")
    r = c.pk("apply", "-f", "-", input=text)
    assert r.returncode == 1
    assert r.stdout.splitlines() == ["configmap/good1 created", "configmap/good2 created"]
    assert 'The ConfigMap "BAD" is invalid' in r.stderr


def test_empty_and_huge_and_garbage_files(c, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    r = c.pk("apply", "-f", str(empty))
    assert r.returncode == 1 and "error: no objects passed to apply" in r.stderr
    huge = tmp_path / "huge.yaml"
    huge.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge}\ndata:\n" +
                    "".join(f"  k{i}: {'x' * 1000}\n" for i in range(10_500)))
    r = c.pk("apply", "-f", str(huge))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert 'The ConfigMap "huge" is invalid' in r.stderr and "Too long: must have at most 1048576 bytes" in r.stderr
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(os.urandom(4096))
    r = c.pk("apply", "-f", str(garbage))
    assert r.returncode == 1 and r.stderr.startswith("error:") and "Traceback" not in r.stderr
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)))
    r = c.pk("apply", "-f", str(bomb))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert c.ok("get", "cm", "-o", "name").strip() in ("", "configmap/kube-root-ca.crt")


def test_namespace_flag_mismatch(c):
    c.ok("create", "namespace", "other") if c.pk("create", "namespace", "other").returncode else None
    r = c.pk("apply", "-n", "default", "-f", "-",
             input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: other}\n")
    assert r.returncode == 1
    assert 'the namespace from the provided object "other" does not match the namespace "default"' in r.stderr


def test_current_namespace_from_context(c):
    c.ok("apply", "-f", "-", input=ONE_OF_EACH)
    c.ok("config", "set-context", "--current", "--namespace=shop")
    assert c.ok("get", "cm", "cfg", "-o", "name").strip() == "configmap/cfg"
    assert c.ok("-n", "default", "get", "svc", "-o", "name").strip() == "service/kubernetes"


def test_watch_follows_changes(c):
    c.ok("create", "-f", "-", input='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"}}')
    from conftest import executable
    p = subprocess.Popen([executable("pkubectl"), "get", "cm", "w", "-w", "-o", "name"], env=c.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    c.started.append(p)
    try:
        first = p.stdout.readline()
        assert first.strip() == "configmap/w"
        c.ok("label", "cm", "w", "a=b")
        assert p.stdout.readline().strip() == "configmap/w"
    finally:
        p.kill()
        p.wait(5)


def test_delete_messages_and_missing(c):
    c.ok("apply", "-f", "-", input=ONE_OF_EACH)
    assert c.ok("delete", "cm", "cfg", "-n", "shop").strip() == 'configmap "cfg" deleted from shop namespace'
    r = c.pk("delete", "cm", "cfg", "-n", "shop")
    assert r.returncode == 1 and r.stderr.strip() == 'Error from server (NotFound): configmaps "cfg" not found'
    assert c.pk("delete", "cm", "cfg", "-n", "shop", "--ignore-not-found").returncode == 0
    assert c.ok("delete", "ns", "shop", "--wait=false").strip() == 'namespace "shop" deleted'


def test_apply_with_a_stale_resource_version_conflicts(c):
    c.ok("apply", "-f", "-", input='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s"},"data":{"a":"1"}}')
    live = c.ok("get", "cm", "s", "-o", "yaml")
    c.ok("label", "cm", "s", "x=y")  # someone else writes in between
    r = c.pk("apply", "-f", "-", input=live.replace('a: "1"', 'a: "2"'))
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith('Error from server (Conflict): error when applying "STDIN": Operation cannot be '
                               'fulfilled on configmaps "s": the object has been modified')
    assert c.ok("get", "cm", "s", "-o", "jsonpath={.data.a}") == "1"
