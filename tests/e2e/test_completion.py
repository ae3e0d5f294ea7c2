"""Shell completion end to end: `pkubectl completion`, the hidden `__complete`, and the
generated scripts driven by the REAL shells (bash, zsh, fish) against a store with
live objects. One shell process runs all the lines of a shell (they are slow to start).
"""
from __future__ import annotations

import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from tests.conftest import BIN_DIR

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = {"bash": "completions/pkubectl.bash", "zsh": "completions/_pkubectl", "fish": "completions/pkubectl.fish"}
pytestmark = pytest.mark.e2e


def pod(name: str, ns: str = "default", containers=("app",), init=()) -> dict:
    spec = {"containers": [{"name": c, "image": "busybox"} for c in containers]}
    if init:
        spec["initContainers"] = [{"name": c, "image": "busybox"} for c in init]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": spec}


@pytest.fixture
def world(cluster):
    """A store with pods in two namespaces, a deployment, two extra nodes and a second
    context; written through the Api (no processes: completion only reads names)."""
    from pkubectl.api.server import Api
    from state.store import Store

    store = Store(cluster.home)
    api = Api(store)
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    api.create(pod("web-1", containers=("app", "sidecar"), init=("setup",)))
    api.create(pod("web-2"))
    api.create(pod("db-1"))
    api.create(pod("api-1", ns="team-a"))
    api.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                         "template": {"metadata": {"labels": {"app": "web"}},
                                      "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}})
    for n in ("worker-a", "worker-b"):
        api.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n}})
    store.close()
    cluster.ok("config", "set-context", "dev", "--namespace=team-a")
    files = os.path.join(cluster.home, "..", "files")
    os.makedirs(os.path.join(files, "sub"), exist_ok=True)
    for f in ("m.yaml", "n.json", "notes.txt"):
        open(os.path.join(files, f), "w").close()
    cluster.files = os.path.abspath(files)
    cluster.env["PATH"] = BIN_DIR + os.pathsep + cluster.env.get("PATH", "")
    return cluster


def complete(c, *words):
    r = c.pk("__complete", *words)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    return lines[:-1], lines[-1], r.stderr


# -- __complete itself ----------------------------------------------------------------

def test_complete_protocol(world):
    cands, directive, stderr = complete(world, "ro")
    assert cands == ["rollout\tManage the rollout of one or many resources"]
    assert directive == ":4"
    assert stderr == "Completion ended with directive: ShellCompDirectiveNoFileComp\n"

    cands, directive, stderr = complete(world, "apply", "-f", "")
    assert (cands, directive) == (["json", "yaml", "yml"], ":8")
    assert "ShellCompDirectiveFilterFileExt" in stderr

    cands, directive, _ = complete(world, "logs", "")
    assert cands[:3] == ["db-1", "web-1", "web-2"] and "deployments/" in cands and directive == ":4"
    cands, directive, stderr = complete(world, "logs", "dep")
    assert (cands, directive) == (["deployments/"], ":6")
    assert "ShellCompDirectiveNoSpace, ShellCompDirectiveNoFileComp" in stderr


@pytest.mark.parametrize("words,expected", [
    (["rollout", "s"], ["status\tShow the status of the rollout"]),
    (["create", "dep"], ["deployment\tCreate a deployment with the specified name"]),
    (["config", "set-c"], ["set-cluster\tSet a cluster entry in kubeconfig: a pkube cluster is a state directory",
                           "set-context\tSet a context entry in kubeconfig"]),
    (["set", "im"], ["image\tUpdate existing container image(s) of resources"]),
    (["completion", ""], ["bash", "zsh", "fish"]),
    (["get", "-o", ""], ["json", "yaml", "kyaml", "name", "go-template", "go-template-file", "template",
                         "templatefile", "jsonpath", "jsonpath-as-json", "jsonpath-file", "custom-columns",
                         "custom-columns-file", "wide"]),
    (["get", "--output=js"], ["json", "jsonpath", "jsonpath-as-json", "jsonpath-file"]),
    (["delete", "--cascade", ""], ["background", "orphan", "foreground"]),
    (["delete", "deploy", "web", "--dry-run="], ["none", "server", "client"]),
    (["get", "dep"], ["deployments.apps"]),
    (["get", "po"], ["pods"]),
    (["get", "pods", "w"], ["web-1", "web-2"]),
    (["get", "po", "web-1", ""], ["db-1", "web-2"]),
    (["get", "svc", ""], ["kubernetes"]),
    (["delete", "deploy/"], ["deploy/web"]),
    (["get", "pod/w"], ["pod/web-1", "pod/web-2"]),
    (["get", "pods", "-n", "team-a", ""], ["api-1"]),
    (["-n", "team-a", "get", "pods", ""], ["api-1"]),
    (["get", "pods", "--context", "dev", ""], ["api-1"]),
    (["get", "pods", "-A", "a"], ["api-1"]),
    (["get", "-n", "t"], ["team-a"]),
    (["get", "--context", ""], ["pkube", "dev"]),
    (["config", "use-context", "d"], ["dev"]),
    (["logs", "web-1", "-c", ""], ["setup", "app", "sidecar"]),
    (["exec", "deploy/web", "-c", ""], ["nginx"]),
    (["logs", "w"], ["web-1", "web-2"]),
    (["cordon", ""], ["worker-a", "worker-b"]),
    (["drain", "worker-a", ""], []),
    (["rollout", "status", ""], ["deployment", "daemonset", "statefulset"]),
    (["rollout", "status", "deployment", ""], ["web"]),
    (["expose", ""], ["pod", "service", "deployment", "replicaset"]),
    (["scale", ""], ["--replicas\tThe new desired number of replicas. Required.", "deployment", "replicaset",
                     "statefulset"]),
    (["scale", "--replicas=2", "deploy", ""], ["web"]),
])
def test_complete_candidates(world, words, expected):
    cands, directive, _ = complete(world, *words)
    assert cands == expected


def test_flags_with_help_and_used_flags_dropped(world):
    cands, _, _ = complete(world, "get", "--sh")
    assert cands == ["--show-kind\tIf present, list the resource type for the requested object(s).",
                     "--show-labels\tWhen printing, show all labels as the last column.",
                     "--show-managed-fields\tIf true, keep the managedFields when printing objects in JSON or YAML format."]
    cands, _, _ = complete(world, "get", "-")
    names = [c.split("\t")[0] for c in cands]
    assert "--output" in names and "-o" in names and names.index("--output") < names.index("-o")
    cands, _, _ = complete(world, "get", "--show-labels", "--sh")
    assert [c.split("\t")[0] for c in cands] == ["--show-kind", "--show-managed-fields"]


def test_no_store_no_names_and_no_state_dir_created(cluster):
    cands, directive, _ = complete(cluster, "get", "pods", "")
    assert (cands, directive) == ([], ":4")
    assert not os.path.exists(os.path.join(cluster.home, "state.db"))


def test_complete_imports_neither_typer_nor_yaml(world):
    code = ("import sys; from pkubectl.cli.main import main; main(['__complete', 'get', 'pods', '']); "
            "bad = [m for m in ('typer', 'yaml', 'click') if m in sys.modules]; "
            "sys.stderr.write('IMPORTED %s' % bad)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=world.env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "IMPORTED []" in r.stderr
    assert r.stdout.splitlines() == ["db-1", "web-1", "web-2", ":4"]


# -- the `completion` verb and generated files ------------------------------------------

def test_completion_errors(cluster):
    r = cluster.pk("completion")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == "error: Shell not specified.\nSee 'pkubectl completion -h' for help and examples\n"
    r = cluster.pk("completion", "foo")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == 'error: Unsupported shell type "foo".\nSee \'pkubectl completion -h\' for help and examples\n'


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_committed_scripts_match_generated(cluster, shell):
    out = cluster.ok("completion", shell)
    with open(os.path.join(ROOT, SCRIPTS[shell]), encoding="utf-8") as f:
        assert f.read() == out, f"{SCRIPTS[shell]} is stale: run python -m pkubectl.cli.completion --regenerate"
    if shell == "zsh":
        assert out.startswith("#compdef pkubectl\ncompdef _pkubectl pkubectl\n")


def test_spec_is_fresh():
    """complete_spec.py is generated from the typer app; a new verb or flag needs a
    re-run of the generator."""
    from pkubectl.cli import completion
    with open(completion.SPEC_PATH, encoding="utf-8") as f:
        committed = f.read()
    assert committed == completion.spec_source(), \
        "pkubectl/cli/complete_spec.py is stale: run python -m pkubectl.cli.completion --regenerate"


# -- the real shells --------------------------------------------------------------------

# (line typed before <TAB>, candidates expected: exact set, or ("has", subset) / ("not", absent))
LINES = [
    ("pkubectl ro", {"rollout"}),
    ("pkubectl rollout s", {"status"}),
    ("pkubectl create dep", {"deployment"}),
    ("pkubectl get --sh", {"--show-kind", "--show-labels", "--show-managed-fields"}),
    ("pkubectl get -o ", ("has", {"json", "yaml", "kyaml", "name", "jsonpath", "custom-columns", "wide"})),
    ("pkubectl get -o j", {"json", "jsonpath", "jsonpath-as-json", "jsonpath-file"}),
    ("pkubectl get dep", {"deployments.apps"}),
    ("pkubectl get pods w", {"web-1", "web-2"}),
    ("pkubectl get -n t", {"team-a"}),
    ("pkubectl get pods -n team-a ", {"api-1"}),
    ("pkubectl logs web-1 -c ", {"setup", "app", "sidecar"}),
    ("pkubectl cordon ", {"worker-a", "worker-b"}),
    ("pkubectl delete --cascade ", {"background", "orphan", "foreground"}),
    ("pkubectl config use-context ", {"pkube", "dev"}),
    ("pkubectl apply -f ", ("files", {"m.yaml", "n.json"}, {"notes.txt"})),
]
FLAG_EQ = {"bash": ("pkubectl get --output=js", {"json", "jsonpath", "jsonpath-as-json", "jsonpath-file"}),
           "zsh": ("pkubectl get --output=js", {"--output=json", "--output=jsonpath", "--output=jsonpath-as-json",
                                               "--output=jsonpath-file"}),
           "fish": ("pkubectl get --output=js", {"--output=json", "--output=jsonpath", "--output=jsonpath-as-json",
                                                "--output=jsonpath-file"})}

BASH_HARNESS = r'''
source "$1"; shift
for line in "$@"; do
    COMP_LINE=$line
    COMP_POINT=${#line}
    read -r -a COMP_WORDS <<< "$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    _pkubectl pkubectl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '<<CASE>>\n'
    printf '%s\n' "${COMPREPLY[@]}"
done
'''

FISH_HARNESS = r'''
source $PK_SCRIPT
for line in $argv
    echo '<<CASE>>'
    complete --do-complete $line
end
'''

ZSH_RC = r'''
PS1='<<PROMPT>>'
PROMPT_EOL_MARK=''
unsetopt beep auto_list auto_menu list_ambiguous
autoload -Uz compinit && compinit -u -d "$ZDOTDIR/.zcompdump"
source "$PK_SCRIPT"
# Capture what completion would offer instead of showing it: compadd calls that only
# compute matches (-O/-A/-D) go to the builtin; the others print their matches.
compadd() {
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
        builtin compadd "$@"
        return
    fi
    local -a __got
    builtin compadd -A __got "$@"
    local m
    for m in "${__got[@]}"; do print -rn -- "<<C>>$m<<E>>"; done
    # add them for real too: _files and others look at compstate[nmatches]
    builtin compadd "$@"
}
_pk_tab() { zle complete-word; print -rn -- "<<END>>"; }
zle -N _pk_tab
bindkey '^I' _pk_tab
'''


def _split_cases(text: str, n: int) -> list[list[str]]:
    parts = text.split("<<CASE>>\n")[1:]
    assert len(parts) == n, text
    return [[x for x in p.splitlines() if x] for p in parts]


def run_bash(world, lines):
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", BASH_HARNESS, "harness",
                        os.path.join(ROOT, SCRIPTS["bash"]), *lines],
                       capture_output=True, text=True, env=world.env, cwd=world.files, timeout=300)
    assert r.returncode == 0, r.stderr
    return _split_cases(r.stdout, len(lines))


def run_fish(world, lines):
    env = dict(world.env, PK_SCRIPT=os.path.join(ROOT, SCRIPTS["fish"]))
    r = subprocess.run(["fish", "--no-config", "-c", FISH_HARNESS, "--", *lines],
                       capture_output=True, text=True, env=env, cwd=world.files, timeout=300)
    assert r.returncode == 0, r.stderr
    return [[x.split("\t")[0] for x in case] for case in _split_cases(r.stdout, len(lines))]


def run_zsh(world, lines, timeout=60):
    """An interactive zsh on a pty: type each line, press TAB, collect what compadd got."""
    with tempfile.TemporaryDirectory() as zdot:
        with open(os.path.join(zdot, ".zshrc"), "w") as f:
            f.write(ZSH_RC)
        env = dict(world.env, ZDOTDIR=zdot, PK_SCRIPT=os.path.join(ROOT, SCRIPTS["zsh"]), TERM="dumb")
        pid, fd = pty.fork()
        if pid == 0:  # child: become the shell
            try:
                os.chdir(world.files)
                os.execvpe("zsh", ["zsh", "-i"], env)
            finally:
                os._exit(127)
        buf = b""

        def read_until(marker: bytes) -> None:
            nonlocal buf
            deadline = time.monotonic() + timeout
            while marker not in buf:
                if time.monotonic() > deadline:
                    raise AssertionError(f"zsh: no {marker!r} after {buf[-3000:]!r}")
                ready, _, _ = select.select([fd], [], [], 0.2)
                if ready:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        raise AssertionError(f"zsh exited: {buf[-3000:]!r}")
                    buf += chunk

        results = []
        try:
            read_until(b"<<PROMPT>>")
            for line in lines:
                buf = b""
                os.write(fd, line.encode() + b"\t")
                read_until(b"<<END>>")
                results.append(re.findall(r"<<C>>(.*?)<<E>>", buf.decode(errors="replace")))
                buf = b""
                os.write(fd, b"\x15")  # ^U: kill the line
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(fd)
        return results


RUNNERS = {"bash": run_bash, "zsh": run_zsh, "fish": run_fish}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_real_shell(world, shell):
    if shutil.which(shell) is None:
        pytest.fail(f"{shell} is not installed (.ci/run installs it)")
    cases = LINES + [FLAG_EQ[shell]]
    results = RUNNERS[shell](world, [line for line, _ in cases])
    problems = []
    for (line, expected), got in zip(cases, results):
        names = {g.rstrip("/") for g in got}
        if isinstance(expected, set):
            ok = names == expected
        elif expected[0] == "has":
            ok = expected[1] <= names
        else:  # files: wanted ones offered, the others not
            ok = expected[1] <= names and not (expected[2] & names) and "sub" in names
        if not ok:
            problems.append(f"{line!r}: expected {expected}, got {sorted(got)}")
    assert not problems, f"{shell}:\n" + "\n".join(problems)
