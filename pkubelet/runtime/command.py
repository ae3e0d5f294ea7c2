"""Kubernetes' rules for a container's command line and `$(VAR)` references.

- `command` replaces the image's ENTRYPOINT and drops its CMD; `args` replace CMD.
  Empty lists count as unset, as in the kubelet.
- `$(VAR)` in command, args and env values expands to an earlier-defined variable;
  `$$` is an escaped `$` (so `$$(VAR)` gives the literal `$(VAR)`); a reference to an
  undefined variable, and an unterminated `$(`, stay as written.

expand() is a port of Kubernetes' third_party/forked/golang/expansion, so edge cases match.
"""

from __future__ import annotations

from typing import Iterable, Mapping


def expand(text: str, env: Mapping[str, str]) -> str:
    """Expand `$(VAR)` references in text from env, Kubernetes style."""
    if "$" not in text:
        return text
    out, checkpoint, cursor, n = [], 0, 0, len(text)
    while cursor < n:
        if text[cursor] == "$" and cursor + 1 < n:
            out.append(text[checkpoint:cursor])
            nxt = text[cursor + 1]
            advance = 1
            if nxt == "$":  # escaped operator
                out.append("$")
            elif nxt == "(":
                close = text.find(")", cursor + 2)
                if close < 0:  # incomplete reference: keep "$(" and go on
                    out.append("$(")
                else:
                    name = text[cursor + 2:close]
                    out.append(env[name] if name in env else "$(%s)" % name)
                    advance = close - cursor
            else:  # not an expression: keep the "$" and the character after it
                out.append("$" + nxt)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out.append(text[checkpoint:])
    return "".join(out)


def expand_env_list(env_list: Iterable[tuple], base: Mapping[str, str] | None = None) -> dict:
    """Resolve a container's env in order: each value may refer to the ones before it.

    ``base`` holds variables every value may refer to but that the container's own entries
    override (the kubelet's service variables). Later duplicates win, as in Kubernetes.
    """
    env: dict = {}
    for name, value in env_list:
        scope = dict(base or {})
        scope.update(env)
        env[name] = expand(str(value if value is not None else ""), scope)
    return env


def build_argv(container: dict, image, env: Mapping[str, str]) -> list:
    """The process argv for a container spec and its ImageEntry (None when the image is unmapped).

    Raises ValueError when there is nothing to run (no command and no image entrypoint).
    """
    command = [expand(str(a), env) for a in container.get("command") or ()]
    args = [expand(str(a), env) for a in container.get("args") or ()]
    if command:
        argv = command + args
    elif image is not None:
        argv = list(image.entrypoint) + (args or list(image.cmd))
    else:
        argv = args
    if not argv:
        raise ValueError('container "%s": no command specified' % container.get("name", ""))
    aliases = dict(getattr(image, "aliases", ()) or ())
    if argv[0] in aliases:
        argv[0] = aliases[argv[0]]
    return argv
