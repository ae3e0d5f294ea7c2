"""Shell completion, the way kubectl (cobra) does it.

`pkubectl completion bash|zsh|fish` prints a small script. On <TAB> the script runs
`pkubectl __complete <words before the cursor> <partial word>`, which prints one
candidate per line (`value<TAB>help` for sub-commands and flags), then `:<directive>`,
and on stderr `Completion ended with directive: ...`. The directive is cobra's bit set
(DIRECTIVES below): whether the shell may add a space, fall back to file names, or
filter files by extension.

`__complete` runs on every <TAB>, so it must answer well inside 150 ms. Importing
typer and every command module costs more than that, so it never does: main.py hands
`__complete` to `complete_main` before building the typer app, and the verbs, flags
and their help come from `complete_spec.py`, a table GENERATED from the real typer
app by `python -m pkubectl.cli.completion --regenerate` (a test fails when it is
stale). Live names come straight from the store's names-only query.
"""
from __future__ import annotations

import os
import sys

SHELLS = ("bash", "zsh", "fish")

# cobra's ShellCompDirective bits, in the order cobra names them.
ERROR, NO_SPACE, NO_FILE_COMP, FILTER_FILE_EXT, FILTER_DIRS, KEEP_ORDER = 1, 2, 4, 8, 16, 32
DEFAULT = 0
DIRECTIVES = ((ERROR, "ShellCompDirectiveError"), (NO_SPACE, "ShellCompDirectiveNoSpace"),
              (NO_FILE_COMP, "ShellCompDirectiveNoFileComp"),
              (FILTER_FILE_EXT, "ShellCompDirectiveFilterFileExt"),
              (FILTER_DIRS, "ShellCompDirectiveFilterDirs"), (KEEP_ORDER, "ShellCompDirectiveKeepOrder"))

OUTPUT_FORMATS = ("json", "yaml", "kyaml", "name", "go-template", "go-template-file", "template",
                  "templatefile", "jsonpath", "jsonpath-as-json", "jsonpath-file", "custom-columns",
                  "custom-columns-file")
# Verbs whose -o also prints tables (so `wide` is a format there).
WIDE_VERBS = ("get",)
MANIFEST_EXTENSIONS = ("json", "yaml", "yml")

# Fixed value lists of flags (long name -> values), offered after `--flag ` or `--flag=`.
FLAG_VALUES = {
    "--cascade": ("background", "orphan", "foreground"),
    "--dry-run": ("none", "server", "client"),
    "--validate": ("strict", "warn", "ignore", "true", "false"),
}

# Type lists of the commands that act on some kinds only (kubectl's own lists; kinds
# this cluster does not serve are dropped when offered).
SCALABLE = ("deployment", "replicaset", "replicationcontroller", "statefulset")
ROLLOUT = ("deployment", "daemonset", "statefulset")
EXPOSABLE = ("pod", "service", "replicationcontroller", "deployment", "replicaset")
POD_TEMPLATE = ("daemonsets", "deployments", "pods", "cronjobs", "replicasets", "replicationcontrollers",
                "statefulsets")
# `logs`/`exec`: pod names, plus these `TYPE/` prefixes (kubectl's resourcesWithPods).
WITH_PODS = ("daemonsets", "deployments", "pods", "jobs", "replicasets", "replicationcontrollers",
             "services", "statefulsets")

# What the positional arguments of a command complete to: command path ->
# (completer, types or values, names after the first one too?).
ARGS = {
    "get": ("type_and_name", None, True),
    "describe": ("type_and_name", None, True),
    "delete": ("type_and_name", None, True),
    "wait": ("type_and_name", None, True),
    "edit": ("type_and_name", None, False),
    "label": ("type_and_name", None, False),
    "annotate": ("type_and_name", None, False),
    "patch": ("type_and_name", None, False),
    "scale": ("type_and_name", SCALABLE, True),
    "autoscale": ("type_and_name", SCALABLE, False),
    "expose": ("type_and_name", EXPOSABLE, False),
    "set image": ("type_and_name", POD_TEMPLATE, False),
    "set env": ("type_and_name", POD_TEMPLATE, False),
    "set resources": ("type_and_name", POD_TEMPLATE, False),
    "rollout status": ("type_and_name", ROLLOUT, False),
    "rollout history": ("type_and_name", ROLLOUT, False),
    "rollout undo": ("type_and_name", ROLLOUT, False),
    "rollout restart": ("type_and_name", ROLLOUT, True),
    "rollout pause": ("type_and_name", ("deployment",), True),
    "rollout resume": ("type_and_name", ("deployment",), True),
    "logs": ("pod_resource", None, False),
    "exec": ("pod_resource", None, False),
    "attach": ("pod_resource", None, False),
    "port-forward": ("pod_resource", None, False),
    "cordon": ("names", "node", True),
    "uncordon": ("names", "node", True),
    "drain": ("names", "node", False),
    "taint": ("type_and_name", ("node",), False),
    "top pod": ("names", "pod", False),
    "top node": ("names", "node", False),
    "explain": ("types", None, False),
    "completion": ("words", SHELLS, False),
    "config use-context": ("contexts", None, False),
    "config delete-context": ("contexts", None, False),
    "config rename-context": ("contexts", None, False),
    "config set-context": ("contexts", None, False),
    "config get-contexts": ("contexts", None, True),
    "config delete-cluster": ("clusters", None, False),
    "config set-cluster": ("clusters", None, False),
    "config delete-user": ("users", None, False),
    "config set-credentials": ("users", None, False),
}

# Flags kubectl offers even without a leading `-` (cobra's "required" flags), when not given yet.
REQUIRED_FLAGS = {
    "scale": ("--replicas",),
    "autoscale": ("--max",),
    "run": ("--image",),
    "create deployment": ("--image",),
}


# -- the `completion` verb ---------------------------------------------------------

def register(app) -> None:
    import typer

    from pkubectl.cli.common import CliError

    @app.command("completion", help="Output shell completion code for the specified shell (bash, zsh, or fish).\n\n"
                 "bash: source <(pkubectl completion bash)\n\n"
                 "zsh: source <(pkubectl completion zsh), after compinit\n\n"
                 "fish: pkubectl completion fish | source")
    def completion(shell: list[str] = typer.Argument(None, metavar="SHELL", show_default=False)):
        hint = "See 'pkubectl completion -h' for help and examples"
        if not shell:
            raise CliError("Shell not specified.", hint)
        if len(shell) > 1:
            raise CliError("Too many arguments. Expected only the shell type.", hint)
        if shell[0] not in SHELLS:
            raise CliError(f'Unsupported shell type "{shell[0]}".', hint)
        sys.stdout.write(script(shell[0]))


def script(shell: str) -> str:
    return SCRIPTS[shell]


# -- `__complete` ------------------------------------------------------------------

def complete_main(argv: list[str]) -> int:
    """Entry of the hidden `pkubectl __complete ARGS... PARTIAL` (called by main.py)."""
    try:
        candidates, directive = complete(argv)
    except Exception as e:  # noqa: BLE001 - a broken <TAB> must never print a traceback
        if os.environ.get("PKUBE_DEBUG"):
            raise
        sys.stderr.write(f"[Error] {type(e).__name__}: {e}\n")
        candidates, directive = [], ERROR
    out = sys.stdout
    for c in candidates:
        out.write(c + "\n")
    out.write(f":{directive}\n")
    names = [n for bit, n in DIRECTIVES if directive & bit] or ["ShellCompDirectiveDefault"]
    sys.stderr.write("Completion ended with directive: " + ", ".join(names) + "\n")
    out.flush()
    return 0


class Line:
    """What the words before the cursor say: the command, its flags, its arguments."""

    def __init__(self, spec: dict):
        self.node = spec
        self.path: list[str] = []
        self.flags_seen: set[str] = set()
        self.values: dict[str, str] = {}
        self.positionals: list[str] = []
        self.dashdash = False
        self.pending: tuple | None = None  # a flag still waiting for its value


def _flags(node: dict, root: dict) -> list:
    """The flags of a command: [names, help, takes a value, repeatable] rows (the spec
    stores each distinct row once, in root["flag_table"], and commands by index)."""
    table = root["flag_table"]
    indexes = list(node.get("flags", ()))
    if node is root:
        indexes += root.get("global_flags", ())
    return [table[i] for i in indexes]


def _find_flag(node: dict, root: dict, name: str):
    for f in _flags(node, root):
        if name in f[0]:
            return f
    for i in root.get("global_flags", ()):  # accepted anywhere (main.py moves them)
        if name in root["flag_table"][i][0]:
            return root["flag_table"][i]
    return None


def parse(words: list[str], spec: dict) -> Line:
    line = Line(spec)
    for w in words:
        if line.pending is not None:
            line.values[line.pending[0][0]] = w
            line.pending = None
            continue
        if line.dashdash:
            line.positionals.append(w)
            continue
        if w == "--":
            line.dashdash = True
            continue
        if w.startswith("-") and len(w) > 1:
            name, eq, value = w.partition("=")
            flag = _find_flag(line.node, spec, name)
            if flag is None and not name.startswith("--") and len(name) > 2:
                flag = _find_flag(line.node, spec, name[:2])  # -ojson, -nkube-system
                if flag is not None and flag[2]:
                    eq, value = "=", name[2:]
                else:
                    flag = None
            if flag is None:
                continue
            line.flags_seen.add(flag[0][0])
            if flag[2] and not eq:
                line.pending = flag
            else:
                line.values[flag[0][0]] = value if eq else "true"
            continue
        sub = line.node.get("commands", {}).get(w) if not line.positionals else None
        if sub is not None:
            line.path.append(sub.get("alias", w))
            line.node = line.node["commands"][sub["alias"]] if "alias" in sub else sub
            continue
        line.positionals.append(w)
    return line


def complete(argv: list[str]) -> tuple[list[str], int]:
    """(candidates, directive) for `__complete argv` (the last word is the partial one)."""
    from pkubectl.cli.complete_spec import SPEC

    if not argv:
        argv = [""]
    words, cur = argv[:-1], argv[-1]
    line = parse(words, SPEC)
    ctx = Context(line)
    if line.pending is not None:
        return flag_values(line, line.pending, cur, ctx)
    if cur.startswith("-") and "=" in cur and not line.dashdash:
        name, _, value = cur.partition("=")
        flag = _find_flag(line.node, SPEC, name)
        if flag is not None and flag[2]:
            return flag_values(line, flag, value, ctx)
        return [], NO_FILE_COMP
    if cur.startswith("-") and not line.dashdash:
        return flag_names(line, SPEC, cur), NO_FILE_COMP
    if line.dashdash:
        return [], NO_FILE_COMP
    commands = line.node.get("commands")
    if commands and not line.positionals:
        return [f"{n}\t{c['help']}" for n, c in commands.items()
                if not c.get("hidden") and n.startswith(cur)], NO_FILE_COMP
    key = " ".join(line.path)
    required = [f"{f}\t{_help_of(line.node, SPEC, f)}" for f in REQUIRED_FLAGS.get(key, ())
                if f not in line.flags_seen and f.startswith(cur)]
    completer = ARGS.get(key)
    if completer is None:
        return required, (DEFAULT if line.node.get("args") else NO_FILE_COMP)
    candidates, directive = ARG_COMPLETERS[completer[0]](line, cur, ctx, completer[1], completer[2])
    return required + candidates, directive


def _help_of(node: dict, root: dict, flag_name: str) -> str:
    f = _find_flag(node, root, flag_name)
    return f[1] if f else ""


def flag_names(line: Line, spec: dict, cur: str) -> list[str]:
    out = []
    for names, help_, _takes_value, multiple in _flags(line.node, spec):
        if names[0] in line.flags_seen and not multiple:
            continue
        for n in names:  # long form first, then the shorthand (cobra's order)
            if n.startswith(cur):
                out.append(f"{n}\t{help_}")
    return out


def flag_values(line: Line, flag, cur: str, ctx: "Context") -> tuple[list[str], int]:
    name = flag[0][0]
    if name == "--output":
        formats = OUTPUT_FORMATS + (("wide",) if line.path[:1] and line.path[0] in WIDE_VERBS else ())
        return [f for f in formats if f.startswith(cur)], NO_FILE_COMP
    if name in FLAG_VALUES:
        return [v for v in FLAG_VALUES[name] if v.startswith(cur)], NO_FILE_COMP
    if name == "--filename":
        return list(MANIFEST_EXTENSIONS), FILTER_FILE_EXT
    if name == "--namespace":
        return ctx.names("namespaces", cur), NO_FILE_COMP
    if name == "--context":
        return ctx.config_names("contexts", cur), NO_FILE_COMP
    if name == "--cluster":
        return ctx.config_names("clusters", cur), NO_FILE_COMP
    if name == "--user":
        return ctx.config_names("users", cur), NO_FILE_COMP
    if name in ("--container", "--containers"):
        return ctx.containers(line.positionals[:1], cur), NO_FILE_COMP
    return [], DEFAULT  # cobra: a flag with no completion function gets file names


# -- where names come from ---------------------------------------------------------

class Context:
    """The cluster and namespace the completed command would use (-n, --context,
    --kubeconfig, -A on the line), resolved lazily: most <TAB>s never need them."""

    def __init__(self, line: Line):
        self.line = line
        self._resolved = None

    def resolve(self):
        if self._resolved is None:
            from pkubectl.cli import config
            v = self.line.values
            try:
                cfg = config.load(config.config_path(v.get("--kubeconfig") or None))
                _name, home, ns = config.resolve(cfg, v.get("--context") or None)
            except Exception:  # noqa: BLE001 - a broken config completes nothing
                cfg, home, ns = {}, None, "default"
            self._resolved = (cfg, home, v.get("--namespace") or ns)
        return self._resolved

    @property
    def all_namespaces(self) -> bool:
        return "--all-namespaces" in self.line.values

    def store(self):
        home = self.resolve()[1]
        if not home or not os.path.exists(os.path.join(home, "state.db")):
            return None  # never create a state dir just to complete a word
        from state.store import Store
        return Store(home)

    def kind(self, type_text: str):
        from pkubectl.api import registry
        try:
            return registry.lookup(type_text)
        except registry.UnknownType:
            return None

    def names(self, type_text: str, prefix: str) -> list[str]:
        kind = self.kind(type_text)
        store = self.store() if kind is not None else None
        if store is None:
            return []
        ns = None if not kind.namespaced or self.all_namespaces else self.resolve()[2]
        try:
            return list(dict.fromkeys(store.names(kind.resource, ns, prefix)))
        finally:
            store.close()

    def config_names(self, section: str, prefix: str) -> list[str]:
        cfg = self.resolve()[0]
        return [i["name"] for i in cfg.get(section) or () if isinstance(i, dict)
                and str(i.get("name", "")).startswith(prefix)]

    def containers(self, first_arg: list[str], prefix: str) -> list[str]:
        """Container names of the pod (or pod template of TYPE/NAME) already typed."""
        if not first_arg:
            return []
        type_text, _, name = first_arg[0].rpartition("/")
        kind = self.kind(type_text or "pod")
        store = self.store() if kind is not None else None
        if store is None:
            return []
        ns = self.resolve()[2] if kind.namespaced else ""
        try:
            obj = store.get(kind.resource, ns, name)
        except Exception:  # noqa: BLE001 - not found: nothing to offer
            return []
        finally:
            store.close()
        spec = obj.get("spec") or {}
        if kind.kind == "CronJob":
            spec = ((spec.get("jobTemplate") or {}).get("spec") or {})
        if kind.kind != "Pod":
            spec = ((spec.get("template") or {}).get("spec") or {})
        names = [c.get("name", "") for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])]
        return [n for n in names if n.startswith(prefix)]


def resource_types(prefix: str) -> list[str]:
    """kubectl's list from discovery: `plural[.group]` of every kind that supports get."""
    from pkubectl.api import registry
    kinds = sorted((k for k in registry.all_kinds() if "get" in k.verbs), key=lambda k: (k.group != "", k.group, k.plural))
    return [k.resource for k in kinds if k.resource.startswith(prefix)]


def _type_and_name(line: Line, cur: str, ctx: Context, allowed, repeat: bool) -> tuple[list[str], int]:
    """kubectl's (Specified)ResourceTypeAndNameCompletionFunc."""
    args = line.positionals
    if args and "/" not in args[0]:
        if not repeat and len(args) > 1:
            return [], NO_FILE_COMP
        names = ctx.names(args[0], cur)
        return [n for n in names if n not in args[1:]], NO_FILE_COMP
    type_text, slash, name = cur.partition("/")
    if slash:
        return [f"{type_text}/{n}" for n in ctx.names(type_text, name)], NO_FILE_COMP
    if allowed is None:
        if "," in cur:  # get deploy,svc: complete the last type of the list
            head, _, last = cur.rpartition(",")
            types = [f"{head},{t}" for t in resource_types(last)]
        else:
            types = resource_types(cur)
    else:
        types = [t for t in allowed if t.startswith(cur) and ctx.kind(t) is not None]
    if not args:
        return types, NO_FILE_COMP
    # the first argument was TYPE/NAME: the others must be too
    return [f"{t}/" for t in types], NO_SPACE | NO_FILE_COMP


def _pod_resource(line: Line, cur: str, ctx: Context, _allowed, _repeat) -> tuple[list[str], int]:
    """kubectl's PodResourceNameCompletionFunc: pod names and `TYPE/` prefixes."""
    if line.positionals:
        return [], NO_FILE_COMP
    type_text, slash, name = cur.partition("/")
    if slash:
        return [f"{type_text}/{n}" for n in ctx.names(type_text, name)], NO_FILE_COMP
    comps = ctx.names("pods", cur)
    directive = NO_FILE_COMP if comps else NO_SPACE | NO_FILE_COMP
    return comps + [f"{t}/" for t in WITH_PODS if t.startswith(cur) and ctx.kind(t) is not None], directive


def _names(line: Line, cur: str, ctx: Context, type_text: str, repeat: bool) -> tuple[list[str], int]:
    if line.positionals and not repeat:
        return [], NO_FILE_COMP
    return [n for n in ctx.names(type_text, cur) if n not in line.positionals], NO_FILE_COMP


def _types(line: Line, cur: str, ctx: Context, _allowed, _repeat) -> tuple[list[str], int]:
    return ([] if line.positionals else resource_types(cur)), NO_FILE_COMP


def _words(line: Line, cur: str, ctx: Context, values, _repeat) -> tuple[list[str], int]:
    return ([] if line.positionals else [v for v in values if v.startswith(cur)]), NO_FILE_COMP


def _config_section(section: str):
    def complete_section(line: Line, cur: str, ctx: Context, _allowed, repeat: bool):
        if line.positionals and not repeat:
            return [], NO_FILE_COMP
        return [n for n in ctx.config_names(section, cur) if n not in line.positionals], NO_FILE_COMP
    return complete_section


ARG_COMPLETERS = {
    "type_and_name": _type_and_name,
    "pod_resource": _pod_resource,
    "names": _names,
    "types": _types,
    "words": _words,
    "contexts": _config_section("contexts"),
    "clusters": _config_section("clusters"),
    "users": _config_section("users"),
}


# -- generating the spec and the scripts ----------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "complete_spec.py")
SCRIPT_FILES = {"bash": "completions/pkubectl.bash", "zsh": "completions/_pkubectl",
                "fish": "completions/pkubectl.fish"}


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _short(text: str | None) -> str:
    first = (text or "").strip().split("\n\n")[0]
    return _one_line(first).rstrip(".")


def build_spec() -> dict:
    """Walk the real typer app: every verb, sub-verb and flag, with its help."""
    import typer

    from pkubectl.cli.main import GLOBAL_WITH_VALUE, build_app

    root = typer.main.get_command(build_app(None))
    table: list = []
    index: dict[str, int] = {}
    globals_: dict[str, int] = {}

    def row(entry: list) -> int:
        key = repr(entry)
        if key not in index:
            index[key] = len(table)
            table.append(entry)
        return index[key]

    def flags_of(cmd) -> list:
        rows = []
        for p in cmd.params:
            if type(p).__name__.endswith("Argument") or getattr(p, "hidden", False):
                continue
            longs = [o for o in p.opts if o.startswith("--")]
            shorts = [o for o in p.opts if not o.startswith("--")]
            takes_value = not getattr(p, "is_flag", False)
            entry = [longs + shorts, _one_line(p.help), takes_value, bool(getattr(p, "multiple", False))]
            rows.append(entry)
            for o in p.opts:
                if o in GLOBAL_WITH_VALUE and o.startswith("--"):
                    globals_.setdefault(o, row(entry))
        return [row(e) for e in sorted(rows, key=lambda f: f[0][0])]

    def node_of(cmd) -> dict:
        node = {"help": _short(cmd.help)}
        if getattr(cmd, "hidden", False):
            node["hidden"] = True
        if any(type(p).__name__.endswith("Argument") for p in cmd.params):
            node["args"] = True
        node["flags"] = flags_of(cmd)
        subs = getattr(cmd, "commands", None)
        if subs:
            node["commands"] = {}
            visible = {id(s.callback): n for n, s in subs.items() if not s.hidden and s.callback is not None}
            for name in sorted(subs):
                sub = subs[name]
                canonical = visible.get(id(sub.callback)) if sub.hidden else None
                if canonical and canonical != name:
                    node["commands"][name] = {"help": _short(sub.help), "hidden": True, "alias": canonical}
                else:
                    node["commands"][name] = node_of(sub)
        return node

    spec = node_of(root)
    spec["flags"] = []
    spec["global_flags"] = [globals_[o] for o in sorted(globals_)]
    # renumber the table in name order so that the file diffs well when flags come and go
    order = sorted(range(len(table)), key=lambda i: (table[i][0], table[i][1]))
    new = {old: n for n, old in enumerate(order)}

    def renumber(node: dict) -> None:
        if "flags" in node:
            node["flags"] = sorted(new[i] for i in node["flags"])
        for sub in node.get("commands", {}).values():
            renumber(sub)

    renumber(spec)
    spec["global_flags"] = [new[i] for i in spec["global_flags"]]
    spec["flag_table"] = [table[i] for i in order]
    return spec


def spec_source(spec: dict | None = None) -> str:
    spec = build_spec() if spec is None else spec
    table = spec.pop("flag_table")
    rows = "".join(f"    {r!r},\n" for r in table)
    return ('"""GENERATED by `python -m pkubectl.cli.completion --regenerate` from the typer app:\n'
            "verbs, sub-verbs and flags for `pkubectl __complete`, which must not import typer.\n"
            "FLAG_TABLE rows: [names, help, takes a value, repeatable]; commands list row numbers.\n"
            'Do not edit; regenerate."""\n'
            f"FLAG_TABLE = [\n{rows}]\n\n"
            f"SPEC = {_literal(spec, 0)}\n\n"
            'SPEC["flag_table"] = FLAG_TABLE\n')


def _literal(value, depth: int) -> str:
    """A Python literal, one dict key per line (readable diffs), lists on one line."""
    if isinstance(value, dict) and value:
        pad = " " * (depth + 1)
        items = [f"{pad}{k!r}: {_literal(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "}"
    return repr(value)


def regenerate() -> list[str]:
    """Rewrite complete_spec.py and completions/*; return the paths that changed."""
    changed = []
    files = {SPEC_PATH: spec_source()}
    files.update({os.path.join(ROOT, rel): script(shell) for shell, rel in SCRIPT_FILES.items()})
    for path, text in files.items():
        try:
            with open(path, encoding="utf-8") as f:
                if f.read() == text:
                    continue
        except FileNotFoundError:
            pass
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        changed.append(path)
    return changed


# -- the scripts (printed by `pkubectl completion SHELL`; copies in completions/) ---------

BASH_SCRIPT = r'''# bash completion for pkubectl                              -*- shell-script -*-
#
# Generated by `pkubectl completion bash`. Enable it in the current shell with
#     source <(pkubectl completion bash)
# or for every shell: add that line to ~/.bashrc.
#
# On <TAB> this runs `pkubectl __complete <words before the cursor> <partial word>`,
# which prints one candidate per line (`value<TAB>help`), then `:<directive>`, a bit
# set: 1 error, 2 no space after the word, 4 no file names, 8 the candidates are file
# extensions to filter on, 16 directories only, 32 keep the order.

__pkubectl_debug() {
    if [[ -n ${BASH_COMP_DEBUG_FILE-} ]]; then
        echo "$*" >> "${BASH_COMP_DEBUG_FILE}"
    fi
}

# The words up to the cursor, split on blanks only: bash also breaks words at = and
# : (COMP_WORDBREAKS), which would cut --output=json in three.
__pkubectl_line_words() {
    local line=${COMP_LINE:0:COMP_POINT}
    __pkubectl_words=()
    read -r -a __pkubectl_words <<< "$line"
    if [[ -z $line || $line == *[[:blank:]] ]]; then
        __pkubectl_words+=("")
    fi
}

# Files whose name ends with one of the given extensions, and directories.
__pkubectl_files_with_ext() {
    local cur=$1 f ext
    shift
    compopt -o filenames 2>/dev/null
    while IFS= read -r f; do
        if [[ -d $f ]]; then
            COMPREPLY+=("$f")
            continue
        fi
        for ext in "$@"; do
            if [[ $f == *."$ext" ]]; then
                COMPREPLY+=("$f")
                break
            fi
        done
    done < <(compgen -f -- "$cur")
}

_pkubectl() {
    local -a __pkubectl_words out
    local cur rlcur kept prefix prog directive=0 line value n
    COMPREPLY=()
    __pkubectl_line_words
    n=${#__pkubectl_words[@]}
    cur=${__pkubectl_words[n-1]}
    # readline replaces only the text after the last = or : of the word (when those
    # break words); what comes before it must be cut from each candidate.
    rlcur=$cur
    [[ $COMP_WORDBREAKS == *=* ]] && rlcur=${rlcur##*=}
    [[ $COMP_WORDBREAKS == *:* ]] && rlcur=${rlcur##*:}
    kept=${cur%"$rlcur"}
    # `--flag=partial`: __complete answers with bare values.
    prefix=""
    if [[ $cur == -*=* ]]; then
        prefix=${cur%%=*}=
    fi

    prog=${__pkubectl_words[0]}
    [[ $prog == "~/"* ]] && prog=$HOME/${prog#"~/"}
    case $(type -t "$prog") in
        file|function) ;;
        *) prog=pkubectl ;;  # an alias (complete -F _pkubectl k) or not found
    esac
    __pkubectl_debug "words: ${__pkubectl_words[*]}"

    if [[ $(type -t mapfile) == builtin ]]; then
        mapfile -t out < <("$prog" __complete "${__pkubectl_words[@]:1}" 2>/dev/null)
    else  # bash 3
        while IFS= read -r line; do
            out+=("$line")
        done < <("$prog" __complete "${__pkubectl_words[@]:1}" 2>/dev/null)
    fi
    n=${#out[@]}
    if (( n > 0 )) && [[ ${out[n-1]} == :* ]]; then
        directive=${out[n-1]#:}
        unset "out[n-1]"
    fi
    [[ $directive =~ ^[0-9]+$ ]] || directive=0
    __pkubectl_debug "directive: $directive; candidates: ${out[*]}"

    if (( directive & 1 )); then
        return 0
    fi
    if (( directive & 8 )); then
        local -a exts=()
        for value in "${out[@]}"; do
            exts+=("${value%%$'\t'*}")
        done
        __pkubectl_files_with_ext "$cur" "${exts[@]}"
        return 0
    fi
    if (( directive & 16 )); then
        compopt -o filenames 2>/dev/null
        while IFS= read -r value; do
            COMPREPLY+=("$value")
        done < <(compgen -d -- "$cur")
        return 0
    fi

    for value in "${out[@]}"; do
        value=$prefix${value%%$'\t'*}
        [[ -n $value && $value == "$cur"* ]] || continue
        COMPREPLY+=("${value#"$kept"}")
    done
    if (( directive & 2 )); then
        compopt -o nospace 2>/dev/null
    fi
    if (( directive & 32 )); then
        compopt -o nosort 2>/dev/null
    fi
    if (( directive & 4 )); then
        compopt +o default 2>/dev/null
    fi
    # directive 0 and no candidates: `complete -o default` falls back to file names.
    return 0
}

complete -o default -F _pkubectl pkubectl
'''

ZSH_SCRIPT = r'''#compdef pkubectl
compdef _pkubectl pkubectl

# zsh completion for pkubectl
#
# Generated by `pkubectl completion zsh`. Enable it either way:
#   - in ~/.zshrc, after `autoload -U compinit; compinit`:
#         source <(pkubectl completion zsh)
#   - or as a file on $fpath, before compinit runs:
#         pkubectl completion zsh > "${fpath[1]}/_pkubectl"
#
# On <TAB> this runs `pkubectl __complete <words before the cursor> <partial word>`,
# which prints one candidate per line (`value<TAB>help`), then `:<directive>`, a bit
# set: 1 error, 2 no space after the word, 4 no file names, 8 the candidates are file
# extensions to filter on, 16 directories only, 32 keep the order.

__pkubectl_debug() {
    local file=${BASH_COMP_DEBUG_FILE-}
    if [[ -n $file ]]; then
        print -r -- "$*" >> "$file"
    fi
}

_pkubectl() {
    local cur prefix prog directive=0 line value desc
    local -a lines cands opts exts
    cur=${(Q)words[CURRENT]}
    prog=${(Q)words[1]}
    (( $+commands[$prog] )) || [[ -x $prog ]] || prog=pkubectl
    # `--flag=partial`: __complete answers with bare values.
    prefix=""
    if [[ $cur == -*=* ]]; then
        prefix=${cur%%=*}=
    fi
    __pkubectl_debug "words: ${words[2,CURRENT]}"
    lines=("${(@f)$("$prog" __complete "${(@Q)words[2,CURRENT-1]}" "$cur" 2>/dev/null)}")
    if [[ ${lines[-1]} == :* ]]; then
        directive=${lines[-1]#:}
        lines[-1]=()
    fi
    [[ $directive == <-> ]] || directive=0
    __pkubectl_debug "directive: $directive; candidates: ${lines[*]}"

    if (( directive & 1 )); then
        return 1
    fi
    if (( directive & 8 )); then
        for line in $lines; do
            exts+=("${line%%$'\t'*}")
        done
        _files -g "*.(${(j:|:)exts})"
        return
    fi
    if (( directive & 16 )); then
        _files -/
        return
    fi

    for line in $lines; do
        [[ -n $line ]] || continue
        value=$prefix${line%%$'\t'*}
        desc=""
        [[ $line == *$'\t'* ]] && desc=${line#*$'\t'}
        # _describe splits `value:description` at the first unescaped colon
        value=${value//:/\\:}
        if [[ -n $desc ]]; then
            cands+=("$value:$desc")
        else
            cands+=("$value")
        fi
    done
    if (( ${#cands} == 0 )); then
        if (( directive & 4 )); then
            return 1
        fi
        _files  # directive 0: file names, like any command
        return
    fi
    (( directive & 2 )) && opts+=(-S '')
    if (( directive & 32 )); then
        _describe -V -t pkubectl 'completions' cands $opts
    else
        _describe -t pkubectl 'completions' cands $opts
    fi
}

# Loaded from $fpath, this file is the body of _pkubectl: run it. Sourced, do nothing more.
if [[ $funcstack[1] == _pkubectl ]]; then
    _pkubectl "$@"
fi
'''

FISH_SCRIPT = r'''# fish completion for pkubectl
#
# Generated by `pkubectl completion fish`. Enable it in the current shell with
#     pkubectl completion fish | source
# or for every shell:
#     pkubectl completion fish > ~/.config/fish/completions/pkubectl.fish
#
# On <TAB> this runs `pkubectl __complete <words before the cursor> <partial word>`,
# which prints one candidate per line (`value<TAB>help`), then `:<directive>`, a bit
# set: 1 error, 2 no space after the word, 4 no file names, 8 the candidates are file
# extensions to filter on, 16 directories only, 32 keep the order.

function __pkubectl_debug
    if set -q BASH_COMP_DEBUG_FILE; and test -n "$BASH_COMP_DEBUG_FILE"
        echo "$argv" >>$BASH_COMP_DEBUG_FILE
    end
end

# Runs __complete and leaves the candidates in $__pkubectl_results. Returns false when
# fish should complete file names itself (nothing offered and files allowed).
function __pkubectl_prepare
    set -g __pkubectl_results
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l prog $words[1]
    set -e words[1]
    if not command -q $prog; and not test -x "$prog"
        set prog pkubectl
    end
    set -l prefix ""
    if string match -qr -- '^-.*=' $cur
        set prefix (string replace -r -- '=.*' '' $cur)=
    end
    __pkubectl_debug "words: $words; cur: $cur"
    set -l lines ($prog __complete $words $cur 2>/dev/null)
    set -l directive 0
    if test (count $lines) -gt 0; and string match -qr -- '^:[0-9]+$' $lines[-1]
        set directive (string sub -s 2 -- $lines[-1])
        set -e lines[-1]
    end
    __pkubectl_debug "directive: $directive; candidates: $lines"

    if test (math "bitand($directive, 1)") -ne 0
        return 0
    end
    if test (math "bitand($directive, 8)") -ne 0
        set -l exts (string replace -r -- '\t.*' '' $lines)
        set -l pattern '\.('(string join '|' -- (string escape --style=regex -- $exts))')$'
        for f in $cur*
            if test -d $f
                set -a __pkubectl_results $f/
            else if string match -qr -- $pattern $f
                set -a __pkubectl_results $f
            end
        end
        return 0
    end
    if test (math "bitand($directive, 16)") -ne 0
        for f in $cur*
            test -d $f; and set -a __pkubectl_results $f/
        end
        return 0
    end
    for line in $lines
        test -n "$line"; and set -a __pkubectl_results $prefix$line
    end
    if test (count $__pkubectl_results) -eq 0; and test (math "bitand($directive, 4)") -eq 0
        return 1
    end
    return 0
end

complete -c pkubectl -e
complete -c pkubectl -n __pkubectl_prepare -f -a '$__pkubectl_results'
'''

SCRIPTS = {"bash": BASH_SCRIPT, "zsh": ZSH_SCRIPT, "fish": FISH_SCRIPT}


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate"]:
        for p in regenerate():
            print(f"wrote {os.path.relpath(p, ROOT)}")
        sys.exit(0)
    sys.stderr.write("usage: python -m pkubectl.cli.completion --regenerate\n")
    sys.exit(2)
