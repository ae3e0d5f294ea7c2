"""kubectl's JSONPath dialect: a port of k8s.io/client-go/util/jsonpath.

`-o jsonpath=` is scripted against heavily, so this follows client-go's parser
(same node kinds, same error texts) and evaluator (same range/end handling,
array bounds errors, filter comparisons and printing rules) instead of a
generic JSONPath library:

* text outside `{}` is literal; each `{...}` action yields a result set whose
  items are joined by one space; maps/lists print as compact Go JSON
  (sorted keys, `<>&` escaped), strings raw, null as `null`;
* a missing key yields nothing unless allow_missing=False (`x is not found`);
* array index/slice errors are always errors (`array index out of bounds...`).

Go map iteration order is random; where client-go walks a map (`*`, `..`)
keys are taken in sorted order here.

Public API:
    compile(template) -> Template            (raises JSONPathError)
    Template.execute(data, allow_missing=True) -> str
    Template.execute_as_json(data, allow_missing=True) -> str
    JSONPathError(msg)                        .args[0] is kubectl's text
    go_json(value, indent=None) -> str        Go encoding/json output
    go_sprint(value) -> str                   Go fmt %v of a JSON value
    go_type_name(value) -> str                Go type of a JSON value
"""

from __future__ import annotations

import json
import re
import unicodedata

__all__ = ["JSONPathError", "Template", "compile", "go_json", "go_sprint", "go_type_name"]


class JSONPathError(Exception):
    """A parse or execution error; str(err) is the text kubectl prints."""


# ---------------------------------------------------------------------------
# Go-compatible formatting of JSON values


def _format_g(x: float) -> str:
    from .yamlout import format_g  # floats are rare: keep the import lazy
    return format_g(x)


def go_sprint(v) -> str:
    """fmt.Sprint of a value decoded from JSON (map[a:1 b:[x y]], <nil>)."""
    if v is None:
        return "<nil>"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _format_g(v)
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(go_sprint(x) for x in v) + "]"
    return str(v)


_TYPE_NAMES = ((bool, "bool"), (str, "string"), (int, "int64"), (float, "float64"),
               (dict, "map[string]interface {}"), (list, "[]interface {}"),
               (tuple, "[]interface {}"))


def go_type_name(v) -> str:
    for typ, name in _TYPE_NAMES:
        if isinstance(v, typ):
            return name
    return "<nil>" if v is None else type(v).__name__


_HTML_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                               "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json_float(x: float) -> str:
    """encoding/json float format: 'f' shortest, 'e' (e-7 not e-07) at extremes."""
    ax = abs(x)
    if ax != 0 and (ax < 1e-6 or ax >= 1e21):
        s = repr(x)
        if "e" not in s:
            s = f"{x:e}"
        mant, _, exp = s.partition("e")
        if mant.endswith(".0"):
            mant = mant[:-2]
        sign = "-" if exp.startswith("-") else "+"
        return f"{mant}e{sign}{int(exp.lstrip('+-'))}"
    if x.is_integer():
        return str(int(x))
    s = repr(x)
    if "e" in s:  # repr uses exponents below 1e-4; Go's 'f' does not
        return format(x, "f").rstrip("0")
    return s


def go_json(v, indent: str | None = None, _level: int = 0) -> str:
    """json.Marshal (indent None) or json.MarshalIndent(v, "", indent)."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False).translate(_HTML_ESCAPES)
    if v is None or v is True or v is False:
        return {None: "null", True: "true", False: "false"}[v]
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _json_float(v)
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [(go_json(str(k)), go_json(v[k], indent, _level + 1)) for k in sorted(v)]
        if indent is None:
            return "{" + ",".join(f"{k}:{x}" for k, x in items) + "}"
        pad = "\n" + indent * (_level + 1)
        return "{" + ",".join(f"{pad}{k}: {x}" for k, x in items) + "\n" + indent * _level + "}"
    if isinstance(v, (list, tuple)):
        if not v:
            return "[]"
        items = [go_json(x, indent, _level + 1) for x in v]
        if indent is None:
            return "[" + ",".join(items) + "]"
        pad = "\n" + indent * (_level + 1)
        return "[" + ",".join(pad + x for x in items) + "\n" + indent * _level + "]"
    raise JSONPathError(f"json: unsupported type: {type(v).__name__}")


# ---------------------------------------------------------------------------
# Nodes (client-go util/jsonpath/node.go)


class _Node:
    __slots__ = ()


class _List(_Node):
    __slots__ = ("nodes",)

    def __init__(self) -> None:
        self.nodes: list[_Node] = []


class _Text(_Node):
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Field(_Node):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Identifier(_Node):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Literal(_Node):
    """IntNode / FloatNode / BoolNode: a constant for every input."""
    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value


class _Array(_Node):
    __slots__ = ("params",)

    def __init__(self, params) -> None:
        self.params = params  # three [value, known, derived]


class _Filter(_Node):
    __slots__ = ("left", "right", "op")

    def __init__(self, left: _List, right: _List, op: str) -> None:
        self.left, self.right, self.op = left, right, op


class _Union(_Node):
    __slots__ = ("lists",)

    def __init__(self, lists: list[_List]) -> None:
        self.lists = lists


class _Wildcard(_Node):
    __slots__ = ()


class _Recursive(_Node):
    __slots__ = ()


# ---------------------------------------------------------------------------
# Parser (client-go util/jsonpath/parser.go)

_EOF = ""
_DICT_KEY = re.compile(r"'([^']*)'\Z")
_SLICE = re.compile(r"(-?\d*)(:-?\d*)?(:-?\d*)?\Z")
_FILTER = re.compile(r"([^!<>=]+)([!<>=]+)(.+?)\Z", re.S)
_TERMINATORS = frozenset(" \t\r\n.,[]$@{}") | {_EOF}


def _is_alnum(r: str) -> bool:
    return r == "_" or r.isalpha() or unicodedata.category(r) == "Nd" if r else False


def _is_digit(r: str) -> bool:
    return bool(r) and unicodedata.category(r) == "Nd"


def _go_rune(r: str) -> str:
    """Go's %#U: U+007E '~'."""
    if r == _EOF:
        return "U+FFFFFFFFFFFFFFFF"
    cp = ord(r)
    return f"U+{cp:04X} '{r}'" if r.isprintable() else f"U+{cp:04X}"


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                   "v": "\v", "\\": "\\", "'": "'", '"': '"'}


def _unquote_extend(s: str) -> str:
    """strconv.Unquote that also accepts single-quoted strings."""
    if len(s) < 2 or s[0] != s[-1] or s[0] not in "\"'":
        raise ValueError("invalid syntax")
    quote, body = s[0], s[1:-1]
    if "\\" not in body and quote not in body:
        return body
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == quote:
            raise ValueError("invalid syntax")
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            raise ValueError("invalid syntax")
        e = body[i + 1]
        if e in _SIMPLE_ESCAPES:
            if e in "'\"" and e != quote:
                raise ValueError("invalid syntax")
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        elif e in "xuU":
            n = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i + 2:i + 2 + n]
            if len(digits) != n or not re.fullmatch("[0-9a-fA-F]+", digits):
                raise ValueError("invalid syntax")
            out.append(chr(int(digits, 16)))
            i += 2 + n
        elif e in "01234567":
            digits = body[i + 1:i + 4]
            if not re.fullmatch("[0-7]{3}", digits):
                raise ValueError("invalid syntax")
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ValueError("invalid syntax")
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.input = text
        self.pos = 0
        self.start = 0
        self.width = 0
        self.root = _List()

    # scanning helpers
    def next(self) -> str:
        if self.pos >= len(self.input):
            self.width = 0
            return _EOF
        self.width = 1
        self.pos += 1
        return self.input[self.pos - 1]

    def peek(self) -> str:
        r = self.next()
        self.backup()
        return r

    def backup(self) -> None:
        self.pos -= self.width

    def consume(self) -> str:
        value = self.input[self.start:self.pos]
        self.start = self.pos
        return value

    def parse(self) -> _List:
        while True:
            cur = self.parse_text()
            if cur is None:
                return self.root
            self.parse_inside_action(cur)

    def parse_text(self) -> _List | None:
        while True:
            if self.input.startswith("{", self.pos):
                if self.pos > self.start:
                    self.root.nodes.append(_Text(self.consume()))
                self.pos += 1
                self.consume()
                node = _List()
                self.root.nodes.append(node)
                return node
            if self.next() == _EOF:
                break
        if self.pos > self.start:
            self.root.nodes.append(_Text(self.consume()))
        return None

    def parse_inside_action(self, cur: _List) -> None:
        """Scan one action up to its "}"; client-go recurses per token, we loop."""
        while True:
            rest = self.input[self.pos:]
            if rest.startswith("}"):
                self.pos += 1
                self.consume()
                return
            if rest.startswith("[?("):
                self.parse_filter(cur)
                continue
            if rest.startswith(".."):
                self.parse_recursive(cur)
                continue
            r = self.next()
            if r == _EOF or r in "\r\n":
                raise JSONPathError("unclosed action")
            if r == " " or r in "@$":
                self.consume()
            elif r == "[":
                self.parse_array(cur)
            elif r in "\"'":
                self.parse_quote(cur, r)
            elif r == ".":
                self.parse_field(cur)
            elif r in "+-" or _is_digit(r):
                self.backup()
                self.parse_number(cur)
            elif _is_alnum(r):
                self.backup()
                self.parse_identifier(cur)
            else:
                raise JSONPathError(f"unrecognized character in action: {_go_rune(r)}")

    def parse_identifier(self, cur: _List) -> None:
        while True:
            r = self.next()
            if r in _TERMINATORS:
                self.backup()
                break
        value = self.consume()
        if value in ("true", "false"):
            cur.nodes.append(_Literal(value == "true"))
        else:
            cur.nodes.append(_Identifier(value))

    def parse_recursive(self, cur: _List) -> None:
        if cur.nodes and isinstance(cur.nodes[-1], _Recursive):
            raise JSONPathError("invalid multiple recursive descent")
        self.pos += 2
        self.consume()
        cur.nodes.append(_Recursive())
        if _is_alnum(self.peek()):
            self.parse_field(cur)

    def parse_number(self, cur: _List) -> None:
        if self.peek() in ("+", "-"):
            self.next()
        while True:
            r = self.next()
            if r != "." and not _is_digit(r):
                self.backup()
                break
        value = self.consume()
        if re.fullmatch(r"[+-]?[0-9]+", value):
            cur.nodes.append(_Literal(int(value)))
            return
        if re.fullmatch(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)", value):
            cur.nodes.append(_Literal(float(value)))
            return
        raise JSONPathError(f"cannot parse number {value}")

    def parse_array(self, cur: _List) -> None:
        while True:
            r = self.next()
            if r == _EOF or r == "\n":
                raise JSONPathError("unterminated array")
            if r == "]":
                break
        text = self.consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            cur.nodes.append(_Union([_parse_action(f"[{p.strip(' ')}]") for p in parts]))
            return
        m = _DICT_KEY.match(text)
        if m:
            cur.nodes.extend(_parse_action(f".{m[1]}").nodes)
            return
        m = _SLICE.match(text)
        if not m:
            raise JSONPathError(f"invalid array index {text}")
        params = []
        for i, raw in enumerate(m.groups()):
            if raw:
                if i > 0:
                    raw = raw[1:]
                if i > 0 and raw == "":
                    params.append([0, False, False])
                else:
                    try:
                        params.append([int(raw), True, False])
                    except ValueError:
                        raise JSONPathError(f"array index {raw} is not a number") from None
            elif i == 1:
                params.append([params[0][0] + 1, True, True])
            else:
                params.append([0, False, False])
        cur.nodes.append(_Array(params))

    def parse_filter(self, cur: _List) -> None:
        self.pos += 3
        self.consume()
        begin = end = False
        pair = ""
        while True:
            r = self.next()
            if r == _EOF or r == "\n":
                raise JSONPathError("unterminated filter")
            if r in "\"'":
                if not begin:
                    begin, pair = True, r
                    continue
                if self.input[self.pos - 2] != "\\" and r == pair:
                    end = True
            elif r == ")":
                if begin == end:
                    break
        if self.next() != "]":
            raise JSONPathError("unclosed array expect ]")
        text = self.consume()[:-2]
        m = _FILTER.match(text)
        if m is None:
            cur.nodes.append(_Filter(_parse_action(text), _List(), "exists"))
        else:
            cur.nodes.append(_Filter(_parse_action(m[1]), _parse_action(m[3]), m[2]))

    def parse_quote(self, cur: _List, end: str) -> None:
        while True:
            r = self.next()
            if r == _EOF or r == "\n":
                raise JSONPathError("unterminated quoted string")
            if r == end and self.input[self.pos - 2] != "\\":
                break
        value = self.consume()
        try:
            cur.nodes.append(_Text(_unquote_extend(value)))
        except ValueError as err:
            raise JSONPathError(f"unquote string {value} error {err}") from None

    def parse_field(self, cur: _List) -> None:
        self.consume()
        while True:
            r = self.next()
            if r == "\\":
                self.next()
            elif r in _TERMINATORS:
                self.backup()
                break
        value = self.consume()
        if value == "*":
            cur.nodes.append(_Wildcard())
        else:
            cur.nodes.append(_Field(value.replace("\\", "")))


def _parse_action(text: str) -> _List:
    """parseAction: parse `{text}` and return the action's list node."""
    root = _Parser("{" + text + "}").parse()
    return root.nodes[0]  # type: ignore[return-value]


# ---------------------------------------------------------------------------
# Evaluation (client-go util/jsonpath/jsonpath.go)

_INVALID = object()  # reflect.Value{}: what an empty range walks over


def _children(v) -> list:
    """Elements visited by `*` and `..`: map values, list items, string bytes."""
    if isinstance(v, dict):
        return [v[k] for k in sorted(v)]
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, str):
        return list(v.encode())
    return []


def _basic_kind(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    raise JSONPathError("invalid type for comparison")


def _equal(a, b) -> bool:
    if _basic_kind(a) != _basic_kind(b):
        raise JSONPathError("incompatible types for comparison")
    return a == b


def _less(a, b) -> bool:
    ka, kb = _basic_kind(a), _basic_kind(b)
    if ka != kb:
        raise JSONPathError("incompatible types for comparison")
    if ka == "bool":
        raise JSONPathError("invalid type for comparison")
    return a < b


_COMPARE = {
    "==": _equal,
    "!=": lambda a, b: not _equal(a, b),
    "<": _less,
    "<=": lambda a, b: _less(a, b) or _equal(a, b),
    ">": lambda a, b: not (_less(a, b) or _equal(a, b)),
    ">=": lambda a, b: not _less(a, b),
}


class _Run:
    """One execution: client-go keeps range bookkeeping on the JSONPath object."""

    def __init__(self, allow_missing: bool) -> None:
        self.allow_missing = allow_missing
        self.begin_range = 0
        self.in_range = 0
        self.end_range = 0
        self.last_end: _Node | None = None

    def find_results(self, data, nodes: list[_Node]) -> list[list]:
        cur = [data]
        full: list[list] = []
        i = 0
        while i < len(nodes):
            node = nodes[i]
            results = self.walk(cur, node)
            if 0 < self.end_range <= self.in_range:
                self.end_range -= 1
                self.last_end = node
                break
            if self.begin_range > 0:
                self.begin_range -= 1
                self.in_range += 1
                rest = nodes[i + 1:]
                if results:
                    for value in results:
                        full.extend(self.find_results(value, rest))
                else:
                    self.find_results(_INVALID, rest)
                self.in_range -= 1
                for k in range(i + 1, len(nodes)):
                    if nodes[k] is self.last_end:
                        i = k
                        break
                i += 1
                continue
            full.append(results)
            i += 1
        return full

    def walk(self, values: list, node: _Node) -> list:
        if isinstance(node, _List):
            for sub in node.nodes:
                values = self.walk(values, sub)
            return values
        if isinstance(node, _Field):
            return self.field(values, node.name)
        if isinstance(node, _Text):
            return [node.text]
        if isinstance(node, _Array):
            return self.array(values, node.params)
        if isinstance(node, _Filter):
            return self.filter(values, node)
        if isinstance(node, _Literal):
            return [node.value for _ in values]
        if isinstance(node, _Wildcard):
            return [c for v in values if v is not None for c in _children(v)]
        if isinstance(node, _Recursive):
            return self.recursive(values)
        if isinstance(node, _Union):
            out: list = []
            for lst in node.lists:
                out.extend(self.walk(values, lst))
            return out
        if isinstance(node, _Identifier):
            return self.identifier(values, node.name)
        raise JSONPathError(f"unexpected Node {node!r}")

    def identifier(self, values: list, name: str) -> list:
        if name == "range":
            self.begin_range += 1
            return values
        if name == "end":
            if self.in_range > 0:
                self.end_range += 1
                return []
            raise JSONPathError("not in range, nothing to end")
        raise JSONPathError(f"unrecognized identifier {name}")

    def field(self, values: list, name: str) -> list:
        if not values:
            return []
        results = [v[name] for v in values if isinstance(v, dict) and name in v]
        if not results and not self.allow_missing:
            raise JSONPathError(f"{name} is not found")
        return results

    def array(self, values: list, node_params) -> list:
        result: list = []
        for value in values:
            if value is None:
                continue
            if not isinstance(value, (list, tuple)):
                typ = "invalid type" if value is _INVALID else go_type_name(value)
                raise JSONPathError(f"{typ} is not array or slice")
            n = len(value)
            (start, start_known, _), (stop, stop_known, stop_derived), (step, step_known, _) = (
                list(p) for p in node_params)
            if not start_known:
                start = 0
            if start < 0:
                start += n
            if not stop_known:
                stop = n
            if stop < 0 or (stop == 0 and stop_derived):
                stop += n
            if stop == start:
                return result
            if start >= n or start < 0:
                raise JSONPathError(f"array index out of bounds: index {start}, length {n}")
            if stop > n or stop < 0:
                raise JSONPathError(f"array index out of bounds: index {stop - 1}, length {n}")
            if start > stop:
                raise JSONPathError(f"starting index {start} is greater than ending index {stop}")
            if step_known and step <= 0:
                raise JSONPathError("step must be > 0")
            result.extend(value[start:stop:step if step_known else 1])
        return result

    def recursive(self, values: list) -> list:
        result: list = []
        for value in values:
            if value is None:
                continue
            kids = _children(value)
            if kids:
                result.append(value)
                result.extend(self.recursive(kids))
        return result

    def filter(self, values: list, node: _Filter) -> list:
        results: list = []
        for value in values:
            if not isinstance(value, (list, tuple)):
                raise JSONPathError(f"{go_sprint(value)} is not array or slice and cannot be filtered")
            for item in value:
                if node.op == "exists":
                    try:
                        lefts = self.walk([item], node.left)
                    except JSONPathError:
                        lefts = []
                    if lefts:
                        results.append(item)
                    continue
                lefts = self.walk([item], node.left)
                if not lefts:
                    continue
                if len(lefts) > 1:
                    raise JSONPathError("can only compare one element at a time")
                rights = self.walk([item], node.right)
                if not rights:
                    continue
                if len(rights) > 1:
                    raise JSONPathError("can only compare one element at a time")
                compare = _COMPARE.get(node.op)
                if compare is None:
                    raise JSONPathError(f"unrecognized filter operator {node.op}")
                if compare(lefts[0], rights[0]):
                    results.append(item)
        return results


def _text(v) -> str:
    """PrintResults for one non-JSON-mode value."""
    if isinstance(v, (dict, list, tuple)):
        return go_json(v)
    if v is None:
        return "null"
    if v is _INVALID:
        return "<no value>"
    return go_sprint(v)


class Template:
    """A parsed JSONPath template."""

    def __init__(self, source: str, root: _List) -> None:
        self.source = source
        self._nodes = root.nodes

    def find_results(self, data, allow_missing: bool = True) -> list[list]:
        """One list of values per action/text node (client-go FindResults)."""
        return _Run(allow_missing).find_results(data, self._nodes)

    def execute(self, data, allow_missing: bool = True) -> str:
        """Render like `kubectl -o jsonpath=`: no newline is added at the end."""
        return "".join(" ".join(_text(v) for v in results)
                       for results in self.find_results(data, allow_missing))

    def execute_as_json(self, data, allow_missing: bool = True) -> str:
        """`-o jsonpath-as-json=`: each result set as a 4-space indented JSON array."""
        return "".join(go_json(list(results), "    ") + "\n"
                       for results in self.find_results(data, allow_missing))


def compile(template: str) -> Template:  # noqa: A001 - mirrors re.compile
    """Parse a JSONPath template; JSONPathError carries client-go's message."""
    return Template(template, _Parser(template).parse())
