"""`pkubectl describe`: kubectl's layouts (Go tabwriter), selection rules and Events."""
from __future__ import annotations

import json
import os
import textwrap
from datetime import datetime, timezone

import pytest

UTC = {"TZ": "UTC"}

MANIFESTS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, labels: {tier: fe, app: web}}
data: {a: "1", b: "hello\\nworld"}
---
apiVersion: v1
kind: Secret
metadata: {name: sec, annotations: {note: hi}}
data: {k: aGVsbG8=, empty: ""}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com}
"""


@pytest.fixture
def objs(cluster, tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text(MANIFESTS)
    cluster.ok("apply", "-f", str(f))
    return cluster


def rfc1123z(ts: str) -> str:
    dt = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return dt.strftime("%a, %d %b %Y %H:%M:%S +0000")


def test_configmap_shows_data_and_events_none(objs):
    assert objs.ok("describe", "configmap", "cfg", env=UTC) == textwrap.dedent("""\
        Name:         cfg
        Namespace:    default
        Labels:       app=web
                      tier=fe
        Annotations:  <none>

        Data
        ====
        a:
        ----
        1

        b:
        ----
        hello
        world


        BinaryData
        ====

        Events:  <none>
        """)


def test_secret_shows_sizes_never_values(objs):
    out = objs.ok("describe", "secret/sec")
    assert out == textwrap.dedent("""\
        Name:         sec
        Namespace:    default
        Labels:       <none>
        Annotations:  note: hi

        Type:  Opaque

        Data
        ====
        empty:  0 bytes
        k:      5 bytes
        """)
    assert "hello" not in out


def test_service_and_namespace(objs):
    assert objs.ok("describe", "svc", "ext") == textwrap.dedent("""\
        Name:              ext
        Namespace:         default
        Labels:            <none>
        Annotations:       <none>
        Selector:          <none>
        Type:              ExternalName
        IP Families:       <none>
        IP:                
        IPs:               <none>
        External Name:     example.com
        Session Affinity:  None
        Events:            <none>
        """)
    assert objs.ok("describe", "ns", "kube-public") == textwrap.dedent("""\
        Name:         kube-public
        Labels:       kubernetes.io/metadata.name=kube-public
        Annotations:  <none>
        Status:       Active

        No resource quota.

        No LimitRange resource.
        """)


def test_events_table_and_show_events_false(objs):
    import subprocess
    import sys
    code = ("from pkubectl.api.server import Api; from pkubectl.api import registry; a = Api(); "
            "o = a.get(registry.lookup('cm'), 'default', 'cfg'); "
            "[a.record_event(o, 'Normal', 'Checked', 'all good', component='tester') for _ in range(2)]; "
            "a.record_event(o, 'Warning', 'Odd', 'look  ', component='tester', field_path='data{a}')")
    subprocess.run([sys.executable, "-c", code], env=objs.env, check=True)
    out = objs.ok("describe", "cm", "cfg")
    tail = out[out.index("Events:"):]
    lines = tail.splitlines()
    assert lines[0] == "Events:"
    assert lines[1].split() == ["Type", "Reason", "Age", "From", "Message"]
    assert lines[2].split() == ["----", "------", "----", "----", "-------"]
    # same-second events have no defined order (kubectl sorts by lastTimestamp only)
    checked = next(ln for ln in lines[3:] if "Checked" in ln)
    odd = next(ln for ln in lines[3:] if "Odd" in ln)
    assert checked.split()[0] == "Normal" and "(x2 over" in checked and checked.endswith("tester  all good")
    assert odd.split()[0] == "Warning" and odd.endswith("tester  look")
    assert len(lines) == 5
    assert "Events" not in objs.ok("describe", "cm", "cfg", "--show-events=false")


def test_pod_layout(cluster, tmp_path):
    f = tmp_path / "pod.yaml"
    f.write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: web-abc, labels: {app: web, pod-template-hash: abc}}
        spec:
          containers:
          - name: nginx
            image: nginx:1.25
            ports: [{containerPort: 80}]
            env: [{name: MODE, value: prod}, {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
            resources: {requests: {cpu: 100m, memory: 64Mi}}
            readinessProbe: {httpGet: {path: /, port: 80}}
        """))
    cluster.ok("apply", "-f", str(f))
    out = cluster.ok("describe", "pod", "web-abc")
    lines = out.splitlines()
    assert lines[0] == "Name:             web-abc"
    assert lines[1] == "Namespace:        default"
    assert "Labels:           app=web" in lines
    assert "                  pod-template-hash=abc" in lines
    assert "    Image:          nginx:1.25" in lines
    assert "    Port:           80/TCP" in lines
    assert "    Host Port:      0/TCP" in lines
    assert "    Requests:" in lines
    assert any(ln.startswith("      cpu:") and ln.endswith("100m") for ln in lines)
    assert any(ln.startswith("    Readiness:") and ln.endswith(
        "http-get http://:80/ delay=0s timeout=1s period=10s #success=1 #failure=3") for ln in lines)
    assert any(ln.strip().startswith("MODE:") and ln.endswith("prod") for ln in lines)
    assert any(ln.strip().startswith("POD:") and ln.endswith("web-abc (v1:metadata.name)") for ln in lines)
    assert any(ln.startswith("Tolerations:") and ln.endswith(
        "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s") for ln in lines)
    assert lines[-1].startswith("Events:") or lines[-1].startswith("  ")


def test_deployment_header(cluster):
    cluster.ok("create", "deployment", "web", "--image=nginx:1.25", "--replicas=0")
    meta = json.loads(cluster.ok("get", "deploy", "web", "-o", "json"))["metadata"]
    lines = cluster.ok("describe", "deploy", "web", env=UTC).splitlines()
    assert lines[:12] == [
        "Name:                   web",
        "Namespace:              default",
        f"CreationTimestamp:      {rfc1123z(meta['creationTimestamp'])}",
        "Labels:                 app=web",
        f"Annotations:            {lines[4].split(None, 1)[1]}",
        "Selector:               app=web",
        lines[6],
        "StrategyType:           RollingUpdate",
        "MinReadySeconds:        0",
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge",
        "Pod Template:",
        "  Labels:  app=web",
    ]
    assert lines[6].startswith("Replicas:               0 desired | ")
    assert "   nginx:" in lines


def test_selection_prefix_all_and_not_found(objs):
    objs.ok("create", "configmap", "cfg2", "--from-literal=x=y")
    one = objs.ok("describe", "cm", "cfg")
    # the exact name wins over the prefix
    assert one.count("Name:") == 1
    # a prefix with no exact match describes every match, each followed by a blank line
    pre = objs.ok("describe", "cm", "cf")
    assert pre.count("\nName:") + pre.startswith("Name:") == 2 and pre.endswith("\n\n")
    # all of a type: separated by two blank lines
    every = objs.ok("describe", "configmaps")
    assert "\n\n\nName:         cfg2\n" in every
    r = objs.pk("describe", "cm", "nope")
    assert r.returncode == 1 and r.stderr == 'Error from server (NotFound): configmaps "nope" not found\n'
    r = objs.pk("describe", "deploy", "-n", "kube-public")
    assert r.returncode == 0 and r.stderr == "No resources found in kube-public namespace.\n"
    r = objs.pk("describe", "cm", "-l", "tier=fe")
    assert r.stdout.startswith("Name:         cfg\n") and r.stdout.count("Name:") == 1
    r = objs.pk("describe")
    assert r.returncode == 1 and r.stderr.startswith("error: You must specify the type of resource to describe.")


def test_all_namespaces_and_file(objs, tmp_path):
    out = objs.ok("describe", "sa", "-A")
    assert "Namespace:           kube-system" in out or "Namespace:  kube-system" in out \
        or "kube-system" in out
    f = tmp_path / "m.yaml"
    f.write_text(MANIFESTS)
    out = objs.ok("describe", "-f", str(f))
    assert [ln for ln in out.splitlines() if ln.startswith("Name:")] == \
        ["Name:         cfg", "Name:         sec", "Name:              ext"]
