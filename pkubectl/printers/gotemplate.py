"""`kubectl -o go-template=`: a subset of Go's text/template over JSON data.

kubectl marshals the object to JSON and unmarshals it into
map[string]interface{}, so every number the template sees is a float64:
`{{.spec.replicas}}` prints `3` but `1000000` prints `1e+06`, `printf "%d"`
on it prints `%!d(float64=3)` and `eq .spec.replicas 3` is an error
("incompatible types for comparison"). Those quirks are kept on purpose.

Supported: text and `{{- -}}` trimming, comments, `.a.b` / `$x.a` /
`(pipe).a` chains, `$` and variables (`:=`, `=`), pipelines `|`, `if` /
`else if` / `else` / `with` / `range` (with `$i, $e :=`, `break`, `continue`),
string/raw/char/number/bool/nil literals, and the functions and, or, not,
len, index, print, printf, println, eq, ne, lt, le, gt, ge, plus kubectl's
`exists` and `base64decode`. (`define`/`template`/`block` are not.)

A missing map key prints `<no value>`; with allow_missing=False execution
fails with Go's text, e.g. `template: output:1:2: executing "output" at
<.missing>: map has no entry for key "missing"`.

Public API:
    compile(text) -> Template        (raises TemplateError)
    Template.execute(data, allow_missing=True) -> str
    TemplateError(msg)
"""

from __future__ import annotations

import re

from .jsonpath import go_sprint

__all__ = ["TemplateError", "Template", "compile"]

NAME = "output"  # kubectl: template.New("output")


class TemplateError(Exception):
    """Parse or execution error; str(err) is Go's message."""


class _Missing:
    """Go's invalid reflect.Value: a missing key. Prints as <no value>."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "<no value>"


MISSING = _Missing()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


# ---------------------------------------------------------------------------
# Go value helpers (data numbers are float64, template integers are int)


class GoInt(int):
    """An int that came from the template (Go `int`), not from JSON data."""


def _type_name(v) -> str:
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, GoInt):
        return "int"
    if isinstance(v, (int, float)):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, (list, tuple)):
        return "[]interface {}"
    return type(v).__name__


def _from_data(v):
    """JSON numbers decoded by encoding/json into interface{} are float64."""
    if type(v) is int:
        return float(v)
    return v


def _sprint_value(v) -> str:
    """fmt %v, with data ints shown as float64 would be."""
    if isinstance(v, GoInt):
        return str(int(v))
    if isinstance(v, bool) or v is None:
        return go_sprint(v)
    if isinstance(v, (int, float)):
        from .yamlout import format_g
        return format_g(float(v))
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_sprint_value(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(_sprint_value(x) for x in v) + "]"
    if v is MISSING:
        return "<nil>"
    return str(v)


def _truth(v) -> bool:
    if v is None or v is MISSING:
        return False
    if isinstance(v, (bool, int, float, str, dict, list, tuple)):
        return bool(v)
    return True


def _go_quote(s: str) -> str:
    """strconv.Quote."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in _QUOTE_ESC:
            out.append(_QUOTE_ESC[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) > 0xFF else f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


_QUOTE_ESC = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
              "\t": "\\t", "\v": "\\v"}


# ---------------------------------------------------------------------------
# printf: Go fmt verbs over template values

_VERB = re.compile(r"%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?([a-zA-Z%])")


def _bad_verb(verb: str, v) -> str:
    if v is None or v is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({_type_name(v)}={_sprint_value(v)})"


def _format_one(verb: str, flags: str, prec: str | None, v) -> str:
    is_num = isinstance(v, (int, float)) and not isinstance(v, bool)
    if verb == "v":
        if isinstance(v, str):
            return v
        return _sprint_value(v)
    if verb == "s":
        if isinstance(v, str):
            return v if prec is None else v[:int(prec or 0)]
        if isinstance(v, dict):
            return "map[" + " ".join(f"{k}:{_format_one('s', '', None, v[k])}"
                                     for k in sorted(v)) + "]"
        if isinstance(v, (list, tuple)):
            return "[" + " ".join(_format_one("s", "", None, x) for x in v) + "]"
        return _bad_verb(verb, v)
    if verb == "q":
        if isinstance(v, str):
            return _go_quote(v)
        if isinstance(v, GoInt):
            return "'" + chr(v) + "'"
        return _bad_verb(verb, v)
    if verb == "t":
        return ("true" if v else "false") if isinstance(v, bool) else _bad_verb(verb, v)
    if verb in "dboxXc":
        if isinstance(v, GoInt):
            n = int(v)
            return {"d": str(n), "b": format(n, "b"), "o": format(n, "o"), "x": format(n, "x"),
                    "X": format(n, "X"), "c": chr(n)}[verb]
        if verb in "xX" and isinstance(v, str):
            h = v.encode().hex()
            return h.upper() if verb == "X" else h
        return _bad_verb(verb, v)
    if verb in "feEgG":
        if is_num and not isinstance(v, GoInt):
            x = float(v)
            if verb in "gG" and prec is None:
                from .yamlout import format_g
                s = format_g(x)
                return s.upper() if verb == "G" else s
            p = 6 if prec is None else int(prec or 0)
            return format(x, f".{p}{verb}")
        return _bad_verb(verb, v)
    return f"%!{verb}({_type_name(v)}={_sprint_value(v)})"


def go_sprintf(fmt: str, args: list) -> str:
    out: list[str] = []
    pos = 0
    argi = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        flags, width, prec, verb = m.groups()
        if verb == "%":
            out.append("%")
            continue
        if width == "*":
            width = str(int(args[argi])) if argi < len(args) else ""
            argi += 1
        if prec == "*":
            prec = str(int(args[argi])) if argi < len(args) else ""
            argi += 1
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        v = args[argi]
        argi += 1
        s = _format_one(verb, flags, prec, v)
        if width:
            w = int(width)
            if "-" in flags:
                s = s.ljust(w)
            elif "0" in flags and isinstance(v, (int, float)) and not isinstance(v, bool):
                sign = s[0] if s[:1] in "+-" else ""
                s = sign + s[len(sign):].rjust(w - len(sign), "0")
            else:
                s = s.rjust(w)
        out.append(s)
    out.append(fmt[pos:])
    if argi < len(args):
        extra = ", ".join(f"{_type_name(a)}={_sprint_value(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


# ---------------------------------------------------------------------------
# Builtin functions

def _basic_kind(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, GoInt):
        return "int"
    if isinstance(v, (int, float)):
        return "float"
    if isinstance(v, str):
        return "string"
    raise TemplateError("invalid type for comparison")


def _eq(a, *others) -> bool:
    if not others:
        raise TemplateError("missing argument for comparison")
    for b in others:
        if a in (None, MISSING) or b in (None, MISSING):
            if (a in (None, MISSING)) == (b in (None, MISSING)):
                return True
            if not isinstance(a, (dict, list)) and not isinstance(b, (dict, list)):
                continue
        if _basic_kind(a) != _basic_kind(b):
            raise TemplateError("incompatible types for comparison")
        if a == b:
            return True
    return False


def _lt(a, b) -> bool:
    ka, kb = _basic_kind(a), _basic_kind(b)
    if ka != kb:
        raise TemplateError("incompatible types for comparison")
    if ka == "bool":
        raise TemplateError("invalid type for comparison")
    return a < b


def _len(v):
    if isinstance(v, str):
        return GoInt(len(v.encode()))
    if isinstance(v, (dict, list, tuple)):
        return GoInt(len(v))
    if v is None or v is MISSING:
        raise TemplateError("len of nil pointer")
    raise TemplateError(f"len of type {_type_name(v)}")


def _index(item, *indices):
    if item is None or item is MISSING:
        raise TemplateError("index of untyped nil")
    for idx in indices:
        if isinstance(item, dict):
            if not isinstance(idx, str):
                raise TemplateError(f"value has type {_type_name(idx)}; should be string")
            item = _from_data(item.get(idx, None))
        elif isinstance(item, (list, tuple, str)):
            if not isinstance(idx, GoInt):
                raise TemplateError(f"cannot index slice/array with type {_type_name(idx)}")
            if not 0 <= idx < len(item):
                raise TemplateError(f"index out of range: {int(idx)}")
            item = GoInt(item.encode()[idx]) if isinstance(item, str) else _from_data(item[idx])
        elif item is None:
            raise TemplateError("index of untyped nil")
        else:
            raise TemplateError(f"can't index item of type {_type_name(item)}")
    return item


def _sprint(*args) -> str:
    """fmt.Sprint: a space between operands when neither is a string."""
    out: list[str] = []
    for i, a in enumerate(args):
        if i and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(_sprint_value(a) if a is not MISSING else "<nil>")
    return "".join(out)


def _exists(item, *indices) -> bool:
    """kubectl's `exists`: does the index path resolve?"""
    for idx in indices:
        if isinstance(item, dict) and isinstance(idx, str) and idx in item:
            item = item[idx]
        elif isinstance(item, (list, tuple)) and isinstance(idx, int) and 0 <= idx < len(item):
            item = item[idx]
        else:
            return False
    return True


def _base64decode(v) -> str:
    import base64
    import binascii
    try:
        return base64.b64decode(str(v), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError) as err:
        raise TemplateError(f"base64 decode failed: {err}") from None


def _printf(fmt, *args) -> str:
    if not isinstance(fmt, str):
        raise TemplateError(f"wrong type for value; expected string; got {_type_name(fmt)}")
    return go_sprintf(fmt, list(args))


_FUNCS = {
    "not": lambda v: not _truth(v),
    "len": _len,
    "index": _index,
    "print": _sprint,
    "printf": _printf,
    "println": lambda *a: " ".join(_sprint_value(x) if x is not MISSING else "<nil>" for x in a) + "\n",
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "lt": _lt,
    "le": lambda a, b: _lt(a, b) or _eq(a, b),
    "gt": lambda a, b: not (_lt(a, b) or _eq(a, b)),
    "ge": lambda a, b: not _lt(a, b),
    "exists": _exists,
    "base64decode": _base64decode,
}
_SPECIAL = {"and", "or"}  # short-circuit: evaluated lazily


# ---------------------------------------------------------------------------
# Lexer

_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<decl>:=)
  | (?P<assign>=)
  | (?P<pipe>\|)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<number>[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?))
  | (?P<field>\.[A-Za-z_][A-Za-z_0-9]*)
  | (?P<variable>\$[A-Za-z_0-9]*)
  | (?P<dot>\.)
  | (?P<ident>[A-Za-z_][A-Za-z_0-9]*)
""", re.X)


def _lex_action(src: str, base: int, line_of):
    """Tokens of one action body: (kind, text, absolute offset)."""
    toks = []
    i = 0
    while i < len(src):
        m = _TOKEN.match(src, i)
        if not m:
            from .jsonpath import _go_rune
            raise TemplateError(f"template: {NAME}:{line_of(base + i)}: "
                                f"unrecognized character in action: {_go_rune(src[i])}")
        toks.append((m.lastgroup, m.group(), base + i))
        i = m.end()
    return toks


# ---------------------------------------------------------------------------
# Parse tree

class _Cmd:
    __slots__ = ("args", "pos", "text")

    def __init__(self, args, pos, text):
        self.args, self.pos, self.text = args, pos, text


class _Pipe:
    __slots__ = ("decl", "assign", "cmds", "pos", "text")

    def __init__(self, decl, assign, cmds, pos, text):
        self.decl, self.assign, self.cmds, self.pos, self.text = decl, assign, cmds, pos, text


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def err(self, offset: int, msg: str) -> TemplateError:
        return TemplateError(f"template: {NAME}:{self.line_of(offset)}: {msg}")

    def items(self):
        """Split into ("text", str) and ("action", body, offset) with trimming."""
        text = self.text
        out = []
        pos = 0
        trim_next = False
        while True:
            start = text.find("{{", pos)
            if start < 0:
                chunk = text[pos:]
                if trim_next:
                    chunk = chunk.lstrip(" \t\r\n")
                if chunk:
                    out.append(("text", chunk))
                break
            chunk = text[pos:start]
            if trim_next:
                chunk = chunk.lstrip(" \t\r\n")
            inner = start + 2
            if text.startswith("- ", inner) or text.startswith("-\t", inner) or text.startswith("-\n", inner):
                chunk = chunk.rstrip(" \t\r\n")
                inner += 1
            if chunk:
                out.append(("text", chunk))
            if text.startswith("/*", inner):
                end = text.find("*/", inner)
                if end < 0:
                    raise self.err(start, "unclosed comment")
                close = text.find("}}", end)
                if close < 0:
                    raise self.err(start, "unclosed comment")
                trim_next = text[end + 2:close].strip() == "-"
                pos = close + 2
                continue
            close = self._find_close(inner)
            if close < 0:
                raise self.err(start, "unclosed action")
            body_end = close
            trim_next = False
            if close - 2 >= inner and text[close - 1] == "-" and text[close - 2] in " \t\r\n":
                trim_next = True
                body_end = close - 1
            out.append(("action", text[inner:body_end], inner))
            pos = close + 2
        return out

    def _find_close(self, i: int) -> int:
        """Position of the closing }} that is not inside a quoted string."""
        text = self.text
        while i < len(text):
            ch = text[i]
            if ch in "\"'`":
                j = i + 1
                while j < len(text) and text[j] != ch:
                    if text[j] == "\\" and ch != "`":
                        j += 1
                    j += 1
                i = j + 1
                continue
            if text.startswith("}}", i):
                return i
            i += 1
        return -1

    def parse(self):
        items = self.items()
        self.items_list = items
        self.i = 0
        tree, end = self.parse_list(top=True)
        return tree

    def parse_list(self, top=False):
        """Parse nodes until {{end}}/{{else}}; return (nodes, terminator)."""
        nodes = []
        while self.i < len(self.items_list):
            item = self.items_list[self.i]
            self.i += 1
            if item[0] == "text":
                nodes.append(("text", item[1]))
                continue
            body, off = item[1], item[2]
            toks = [t for t in _lex_action(body, off, self.line_of)]
            words = [t for t in toks if t[0] != "space"]
            if not words:
                raise self.err(off, "missing value for command")
            kw = words[0][1] if words[0][0] == "ident" else None
            if kw in ("end", "else"):
                if top:
                    raise self.err(off, f"unexpected {{{{{kw}}}}}")
                return nodes, (kw, toks, off)
            if kw in ("if", "with", "range"):
                nodes.append(self.parse_control(kw, toks, off))
            elif kw in ("break", "continue"):
                nodes.append((kw,))
            elif kw in ("define", "template", "block"):
                raise self.err(off, f"{{{{{kw}}}}} is not supported by pkubectl")
            else:
                nodes.append(("action", self.parse_pipe(toks, off)))
        if not top:
            raise self.err(len(self.text), "unexpected EOF")
        return nodes, None

    def parse_control(self, kw, toks, off):
        # Drop the keyword token (and spaces before it).
        rest = toks[[t[0] for t in toks].index("ident") + 1:]
        pipe = self.parse_pipe(rest, off, allow_two=(kw == "range"))
        body, term = self.parse_list()
        else_nodes = None
        if term[0] == "else":
            etoks = [t for t in term[1] if t[0] != "space"]
            if len(etoks) > 1 and etoks[1][0] == "ident" and etoks[1][1] in ("if", "with"):
                # {{else if ...}} == {{else}}{{if ...}}...{{end}}
                sub_toks = term[1][[t[1] for t in term[1]].index(etoks[1][1]):]
                else_nodes = [self.parse_control(etoks[1][1], sub_toks, term[2])]
                return (kw, pipe, body, else_nodes)
            else_nodes, term = self.parse_list()
            if term[0] != "end":
                raise self.err(term[2], "expected end; found {{else}}")
        return (kw, pipe, body, else_nodes)

    def parse_pipe(self, toks, off, allow_two=False):
        words = [t for t in toks if t[0] != "space"]
        decl: list[str] = []
        assign = False
        # Variable declarations: $x := / $x = / $i, $e :=
        if words and words[0][0] == "variable":
            if len(words) > 1 and words[1][0] in ("decl", "assign"):
                decl = [words[0][1]]
                assign = words[1][0] == "assign"
                toks = toks[toks.index(words[1]) + 1:]
            elif (allow_two and len(words) > 3 and words[1][0] == "comma"
                  and words[2][0] == "variable" and words[3][0] in ("decl", "assign")):
                decl = [words[0][1], words[2][1]]
                assign = words[3][0] == "assign"
                toks = toks[toks.index(words[3]) + 1:]
        cmds = []
        current: list = []
        depth = 0
        for t in toks:
            if t[0] == "pipe" and depth == 0:
                cmds.append(current)
                current = []
                continue
            if t[0] == "lparen":
                depth += 1
            elif t[0] == "rparen":
                depth -= 1
            current.append(t)
        cmds.append(current)
        parsed = []
        for c in cmds:
            if not [t for t in c if t[0] != "space"]:
                raise self.err(off, "missing value for command")
            parsed.append(self.parse_cmd(c))
        text = "".join(t[1] for t in toks).strip()
        return _Pipe(decl, assign, parsed, off, text)

    def parse_cmd(self, toks):
        """Group tokens into operands: a term followed directly by .fields."""
        args = []
        i = 0
        n = len(toks)
        while i < n:
            kind, text, pos = toks[i]
            if kind == "space":
                i += 1
                continue
            start = i
            if kind == "lparen":
                depth, j = 1, i + 1
                while j < n and depth:
                    depth += {"lparen": 1, "rparen": -1}.get(toks[j][0], 0)
                    j += 1
                if depth:
                    raise self.err(pos, "unclosed left paren")
                term = ("pipe", self.parse_pipe(toks[i + 1:j - 1], pos))
                i = j
            elif kind == "rparen":
                raise self.err(pos, "unexpected right paren")
            else:
                term = self.parse_term(kind, text, pos)
                i += 1
            fields = []
            while i < n and toks[i][0] == "field":
                fields.append(toks[i][1][1:])
                i += 1
            if fields:
                if term[0] == "field":
                    term = ("field", term[1] + fields)
                elif term[0] == "variable":
                    term = ("variable", term[1], term[2] + fields)
                elif term[0] in ("pipe", "dot"):
                    term = ("chain", term, fields)
                else:
                    raise self.err(pos, f"unexpected . after term {text!r}".replace("'", '"'))
            args.append((term, pos, "".join(t[1] for t in toks[start:i])))
        text = "".join(t[1] for t in toks).strip()
        return _Cmd(args, toks[0][2] if toks else 0, text)

    def parse_term(self, kind, text, pos):
        if kind == "field":
            return ("field", [text[1:]])
        if kind == "variable":
            return ("variable", text, [])
        if kind == "dot":
            return ("dot",)
        if kind == "string":
            try:
                return ("const", _unquote(text))
            except ValueError:
                raise self.err(pos, f"bad string syntax: {text}") from None
        if kind == "raw":
            return ("const", text[1:-1])
        if kind == "char":
            return ("const", GoInt(ord(_unquote('"' + text[1:-1] + '"'))))
        if kind == "number":
            clean = text.replace("_", "")
            try:
                if re.fullmatch(r"[+-]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|\d+)", clean) and \
                        not re.fullmatch(r"[+-]?0\d+", clean):
                    return ("const", GoInt(int(clean, 0)))
                return ("const", float(clean))
            except ValueError:
                raise self.err(pos, f"illegal number syntax: {text!r}".replace("'", '"')) from None
        if kind == "ident":
            if text in ("true", "false"):
                return ("const", text == "true")
            if text == "nil":
                return ("nil",)
            if text in _FUNCS or text in _SPECIAL:
                return ("func", text)
            raise self.err(pos, f'function "{text}" not defined')
        raise self.err(pos, f"unexpected {text!r} in command".replace("'", '"'))


def _unquote(s: str) -> str:
    import ast
    if "\\" not in s:
        return s[1:-1]
    return ast.literal_eval(s)


# ---------------------------------------------------------------------------
# Execution


class _Exec:
    def __init__(self, source: str, root, allow_missing: bool) -> None:
        self.source = source
        self.root = root
        self.allow_missing = allow_missing
        self.vars: list[tuple[str, object]] = [("$", root)]
        self.out: list[str] = []

    def fail(self, pos: int, node_text: str, msg: str) -> TemplateError:
        before = self.source[:pos]
        line = before.count("\n") + 1
        col = pos - (before.rfind("\n") + 1)
        return TemplateError(f'template: {NAME}:{line}:{col}: executing "{NAME}" at <{node_text}>: {msg}')

    def run(self, nodes, dot) -> None:
        for node in nodes:
            kind = node[0]
            if kind == "text":
                self.out.append(node[1])
            elif kind == "action":
                pipe = node[1]
                val = self.pipeline(pipe, dot)
                if not pipe.decl:
                    self.out.append(self.printable(val))
            elif kind == "if" or kind == "with":
                mark = len(self.vars)
                val = self.pipeline(node[1], dot)
                if _truth(val):
                    self.run(node[2], val if kind == "with" else dot)
                elif node[3] is not None:
                    self.run(node[3], dot)
                del self.vars[mark:]
            elif kind == "range":
                self.range(node, dot)
            elif kind == "break":
                raise _Break()
            elif kind == "continue":
                raise _Continue()

    def range(self, node, dot) -> None:
        _, pipe, body, else_nodes = node
        mark = len(self.vars)
        decl = pipe.decl
        pipe.decl = []  # the range variables are set per element, not to the collection
        try:
            val = self.pipeline(pipe, dot)
        finally:
            pipe.decl = decl
        if isinstance(val, dict):
            pairs = [(k, _from_data(val[k])) for k in sorted(val)]
        elif isinstance(val, (list, tuple)):
            pairs = [(GoInt(i), _from_data(x)) for i, x in enumerate(val)]
        elif isinstance(val, GoInt):
            pairs = [(GoInt(i), GoInt(i)) for i in range(int(val))]
        elif val is None or val is MISSING:
            pairs = []
        else:
            raise self.fail(pipe.pos, pipe.text, f"range can't iterate over {_sprint_value(val)}")
        if not pairs:
            del self.vars[mark:]
            if else_nodes is not None:
                self.run(else_nodes, dot)
            return
        for key, elem in pairs:
            inner = len(self.vars)
            if len(decl) == 1:
                self.vars.append((decl[0], elem))
            elif len(decl) == 2:
                self.vars.append((decl[0], key))
                self.vars.append((decl[1], elem))
            try:
                self.run(body, elem)
            except _Continue:
                pass
            except _Break:
                del self.vars[inner:]
                break
            del self.vars[inner:]
        del self.vars[mark:]

    @staticmethod
    def printable(val) -> str:
        if val is MISSING or val is None:
            return "<no value>"
        return _sprint_value(val)

    def lookup_var(self, name: str, pos: int, text: str):
        for vname, value in reversed(self.vars):
            if vname == name:
                return value
        raise self.fail(pos, text, f"undefined variable: {name}")

    def pipeline(self, pipe: _Pipe, dot):
        val = None
        first = True
        for cmd in pipe.cmds:
            val = self.command(cmd, dot, None if first else val, not first)
            first = False
        # evalPipeline digs one level into interface{}: JSON null becomes "no value".
        if val is None:
            val = MISSING
        for name in pipe.decl:
            if pipe.assign:
                for i in range(len(self.vars) - 1, -1, -1):
                    if self.vars[i][0] == name:
                        self.vars[i] = (name, val)
                        break
                else:
                    raise self.fail(pipe.pos, pipe.text, f"undefined variable: {name}")
            else:
                self.vars.append((name, val))
        return val

    def command(self, cmd: _Cmd, dot, final, has_final: bool):
        term, pos, text = cmd.args[0]
        if term[0] == "func":
            name = term[1]
            if name in _SPECIAL:
                return self.and_or(name, cmd, dot, final, has_final)
            args = [self.arg(a, dot) for a in cmd.args[1:]]
            if has_final:
                args.append(final)
            try:
                return _FUNCS[name](*args)
            except TemplateError as err:
                raise self.fail(cmd.pos, cmd.text, f"error calling {name}: {err}") from None
            except TypeError:
                raise self.fail(cmd.pos, cmd.text,
                                f"wrong number of args for {name}: got {len(args)}") from None
        if len(cmd.args) > 1 or has_final:
            if term[0] in ("field", "chain", "variable") and (term[0] != "variable" or term[2]):
                raise self.fail(pos, text, f"{(term[1] if term[0] == 'field' else term[-1])[-1]} "
                                "is not a method but has arguments")
            raise self.fail(pos, text, f"can't give argument to non-function {text}")
        return self.arg(cmd.args[0], dot)

    def and_or(self, name, cmd, dot, final, has_final):
        nodes = cmd.args[1:]
        if not nodes and not has_final:
            raise self.fail(cmd.pos, cmd.text, f"wrong number of args for {name}: want at least 1 got 0")
        val = None
        values = [lambda a=a: self.arg(a, dot) for a in nodes]
        if has_final:
            values.append(lambda: final)
        for get in values:
            val = get()
            if _truth(val) != (name == "and"):
                return val
        return val

    def arg(self, node, dot):
        term, pos, text = node
        kind = term[0]
        if kind == "const":
            return term[1]
        if kind == "dot":
            return dot
        if kind == "nil":
            raise self.fail(pos, text, "nil is not a command")
        if kind == "field":
            return self.fields(dot, term[1], pos, text)
        if kind == "variable":
            return self.fields(self.lookup_var(term[1], pos, text), term[2], pos, text)
        if kind == "pipe":
            return self.pipeline(term[1], dot)
        if kind == "chain":
            base = self.arg((term[1], pos, text), dot)
            return self.fields(base, term[2], pos, text)
        if kind == "func":
            return self.command(_Cmd([node], pos, text), dot, None, False)
        raise self.fail(pos, text, f"can't evaluate {text}")

    def fields(self, value, names, pos, text):
        for name in names:
            if value is MISSING:
                if not self.allow_missing:
                    raise self.fail(pos, text, f"nil data; no entry for key {_go_quote(name)}")
                return MISSING
            if value is None:
                raise self.fail(pos, text, f"nil pointer evaluating interface {{}}.{name}")
            if isinstance(value, dict):
                if name in value:
                    value = _from_data(value[name])
                elif self.allow_missing:
                    value = MISSING
                else:
                    raise self.fail(pos, text, f"map has no entry for key {_go_quote(name)}")
            else:
                raise self.fail(pos, text, f"can't evaluate field {name} in type interface {{}}")
        return value


class Template:
    """A parsed template (kubectl names it "output")."""

    def __init__(self, source: str, tree) -> None:
        self.source = source
        self._tree = tree

    def execute(self, data, allow_missing: bool = True) -> str:
        ex = _Exec(self.source, data, allow_missing)
        try:
            ex.run(self._tree, data)
        except (_Break, _Continue):
            raise TemplateError(f"template: {NAME}: break or continue outside range") from None
        return "".join(ex.out)


def compile(text: str) -> Template:  # noqa: A001 - mirrors re.compile
    """Parse a Go template; TemplateError carries a Go-style message."""
    return Template(text, _Parser(text).parse())
