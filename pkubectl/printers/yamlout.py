"""`kubectl -o yaml` output: a port of the go-yaml v2 emitter paths kubectl uses.

kubectl turns an object into JSON, reads the JSON back with go-yaml v2 (so
numbers become int/float and everything else keeps its JSON type) and
marshals that with go-yaml v2. Its choices are visible to users and to
scripts that diff output, so they are reproduced here rather than
approximated with PyYAML:

* map keys sorted with go-yaml's "natural" order (digit runs compare as
  numbers, non-letters sort before letters);
* a string is double-quoted when, written plain, it would read back as
  something else (bool/int/float/null/timestamp/base-60 number: "true",
  "123", "y", "0x1f", "2024-01-01T00:00:00Z", "1:20");
* strings with a newline are `|` literal blocks (`|-`, `|+`, `|2-` hints)
  unless that is impossible (trailing space, tab, ...), then double-quoted;
* otherwise plain, falling back to single quotes when the emitter's scalar
  analysis forbids plain (leading `*`, `: `, ` #`, ...), then double quotes;
* long plain/quoted strings are folded at spaces once past column 80;
* empty maps/lists are written `{}` / `[]`; sequences inside a mapping are
  not indented ("spec:\\n  containers:\\n  - name: x").

Public API:
    dump(obj) -> str            one YAML document, ending in a newline
    go_float(x: float) -> str   how a JSON float number prints in YAML
    format_g(x: float) -> str   Go's FormatFloat(x, 'g', -1, 64) / fmt %v
"""

from __future__ import annotations

import re
from functools import cmp_to_key

__all__ = ["dump", "go_float", "format_g"]

BEST_INDENT = 2
BEST_WIDTH = 80

_BREAKS = "\r\n\x85\u2028\u2029"

# ---------------------------------------------------------------------------
# resolve(): would a plain scalar read back as a non-string? (go-yaml resolve.go)

_RESOLVE_MAP = frozenset(
    "y Y yes Yes YES true True TRUE on On ON "
    "n N no No NO false False FALSE off Off OFF "
    "~ null Null NULL .nan .NaN .NAN .inf .Inf .INF "
    "+.inf +.Inf +.INF -.inf -.Inf -.INF".split()
)
# First character -> resolve hint; characters absent here resolve to str.
_HINT = {c: "D" for c in "0123456789"}
_HINT.update({"+": "S", "-": "S", ".": "."})
_HINT.update({c: "M" for c in "yYnNtTfFoO~"})

_GO_INT = re.compile(
    r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|(0[0-7]*)|([1-9][0-9]*))\Z")
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?\Z")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
# (Spelled without {n} counts: that form takes ~40 ms to compile on CPython 3.11.)
_TIMESTAMP = re.compile(
    r"([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)"
    r"(?:([Tt ])([0-9][0-9]?):([0-9][0-9]?):([0-9][0-9]?)(?:[.,][0-9]+)?"
    r"(Z|[+-][0-9][0-9]:[0-9][0-9])?)?\Z")
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_timestamp(s: str) -> bool:
    """go-yaml parseTimestamp: the layouts it tries, with Go's range checks."""
    m = _TIMESTAMP.match(s)
    if not m:
        return False
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    sep, tz = m[4], m[8]
    if sep is not None:
        # "T" layouts need a zone; the space layout must not have one.
        if (sep in "Tt") != (tz is not None):
            return False
        if int(m[5]) > 23 or int(m[6]) > 59 or int(m[7]) > 59:
            return False
    if not 1 <= month <= 12:
        return False
    days = _DAYS_IN_MONTH[month - 1]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        days = 29
    return 1 <= day <= days


def _is_go_int(plain: str) -> bool:
    """strconv.ParseInt(plain, 0, 64) or ParseUint(plain, 0, 64) succeeds."""
    m = _GO_INT.match(plain)
    if not m:
        return False
    sign, hx, octal, binary, zero_octal, dec = m.groups()
    if hx is not None:
        v = int(hx, 16)
    elif octal is not None:
        v = int(octal, 8)
    elif binary is not None:
        v = int(binary, 2)
    elif zero_octal is not None:
        v = int(zero_octal, 8)
    else:
        v = int(dec)
    if sign == "-":
        return v <= 1 << 63
    if v < 1 << 63:
        return True
    return sign == "" and v < 1 << 64  # ParseUint takes no sign


def _is_go_float(plain: str) -> bool:
    if not _YAML_FLOAT.match(plain):
        return False
    return abs(float(plain)) != float("inf")  # Go reports ErrRange


def _resolves_to_non_string(s: str) -> bool:
    """True when go-yaml would read plain `s` as bool/int/float/null/timestamp."""
    if s == "":
        return True
    hint = _HINT.get(s[0])
    if hint is None:
        return False
    if s in _RESOLVE_MAP:
        return True
    if hint == ".":
        return bool(_DOT_FLOAT.match(s))
    if hint == "M":
        return False
    if hint == "D" and _is_timestamp(s):
        return True
    plain = s.replace("_", "")
    if _is_go_int(plain) or _is_go_float(plain):
        return True
    if plain.startswith("0b"):
        return bool(re.fullmatch(r"[+-]?[01]+", plain[2:]))
    if plain.startswith("-0b"):
        return bool(re.fullmatch(r"[01]+", plain[3:]))
    return False


def _can_use_plain(s: str) -> bool:
    """encode.go stringv: plain only if it reads back as the same string."""
    if _resolves_to_non_string(s):
        return False
    c = s[0]
    if (c in "+-" or "0" <= c <= "9") and ":" in s and _BASE60.match(s):
        return False
    return True


# ---------------------------------------------------------------------------
# yaml_emitter_analyze_scalar, block context only (we never emit a non-empty
# flow collection, so the flow_* flags are irrelevant).

_NON_PRINTABLE = re.compile("[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_BREAK_RE = re.compile("[\r\n\x85\u2028\u2029]")
_BREAK_SPACE = re.compile("[\r\n\x85\u2028\u2029] ")
_SPACE_BREAK = re.compile(" [\r\n\x85\u2028\u2029]")
_INNER_INDICATOR = re.compile("(?s:.):(?:[ \t]|\\Z)|[ \t\r\n\x85\u2028\u2029\x00]#")
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")

PLAIN, SINGLE, DOUBLE, LITERAL = "plain", "single", "double", "literal"


def _analyze(s: str) -> tuple[bool, bool, bool, bool]:
    """(multiline, block_plain_allowed, single_quoted_allowed, block_allowed)."""
    if not s:
        return False, True, True, False
    first, last = s[0], s[-1]
    special = bool(_NON_PRINTABLE.search(s))
    line_breaks = bool(_BREAK_RE.search(s))
    break_space = bool(_BREAK_SPACE.search(s)) if line_breaks else False
    space_break = bool(_SPACE_BREAK.search(s)) if line_breaks else False
    trailing_space = last == " "
    edge = first == " " or first in _BREAKS or trailing_space or last in _BREAKS
    followed_by_ws = len(s) == 1 or s[1] in " \t"
    block_indicators = (
        s[:3] in ("---", "...")
        or first in _FIRST_INDICATORS
        or (first in "?:-" and followed_by_ws)
        or bool(_INNER_INDICATOR.search(s))
    )
    block_plain = not (edge or break_space or space_break or special
                       or line_breaks or block_indicators)
    single_ok = not (break_space or space_break or special)
    block_ok = not (trailing_space or space_break or special)
    return line_breaks, block_plain, single_ok, block_ok


def _select_style(s: str, requested: str, simple_key: bool) -> str:
    """yaml_emitter_select_scalar_style for flow_level == 0."""
    multiline, block_plain, single_ok, block_ok = _analyze(s)
    style = requested
    if simple_key and multiline:
        style = DOUBLE
    if style == PLAIN:
        if not block_plain or (not s and simple_key):
            style = SINGLE
    if style == SINGLE and not single_ok:
        style = DOUBLE
    if style == LITERAL and (not block_ok or simple_key):
        style = DOUBLE
    return style


def _string_style(s: str, simple_key: bool) -> str:
    if "\n" in s:
        requested = LITERAL
    elif _can_use_plain(s):
        requested = PLAIN
    else:
        requested = DOUBLE
    return _select_style(s, requested, simple_key)


# Style decisions depend only on the string: cache them (bounded, for `get -w`).
_CACHE_LIMIT = 100_000
_VALUE_STYLE: dict[str, str] = {}
_KEY_TEXT: dict[str, str] = {}

# ---------------------------------------------------------------------------
# Scalars that are not strings.


def go_float(x: float) -> str:
    """A float as kubectl's YAML shows it: JSON text read back by go-yaml.

    Integral values below 1e21 come back as ints ("3"); the rest are go-yaml
    floats, printed with format_g ("1e-07", "1.2345675e+06", "1e+21").
    """
    if x.is_integer() and abs(x) < 1e21:
        v = int(x)
        if -(1 << 63) <= v < 1 << 64:
            return str(v)
    return format_g(x)


def format_g(x: float) -> str:
    """Go strconv.FormatFloat(x, 'g', -1, 64), which is also fmt's %v.

    Shortest round-trip digits (Python's repr finds the same ones), exponent
    form when the decimal exponent is < -4 or >= 6.
    """
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "+Inf" if x > 0 else "-Inf"
    if x == 0:
        return "-0" if str(x).startswith("-") else "0"
    r = repr(abs(x))
    mant, _, exp = r.partition("e")
    whole, _, frac = mant.partition(".")
    all_digits = whole + frac
    stripped = all_digits.lstrip("0")
    # Go's decimal form: value = 0.<digits> * 10**dp
    dp = len(whole) + (int(exp) if exp else 0) - (len(all_digits) - len(stripped))
    digits = stripped.rstrip("0") or "0"
    sign = "-" if x < 0 else ""
    e10 = dp - 1
    if e10 < -4 or e10 >= 6:
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{m}e{'-' if e10 < 0 else '+'}{abs(e10):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def _scalar_text(v) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    raise TypeError(f"cannot encode {type(v).__name__} as YAML")


# ---------------------------------------------------------------------------
# Key order (go-yaml sorter.go keyList.Less).


def _natural_cmp(a: str, b: str) -> int:
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return -1 if ca < cb else 1
        if al or bl:
            return 1 if al else -1
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdecimal():
            an = an * 10 + ord(a[ai]) - 48
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            bn = bn * 10 + ord(b[bi]) - 48
            bi += 1
        if an != bn:
            return -1 if an < bn else 1
        if ai != bi:
            return -1 if ai < bi else 1
        return -1 if ca < cb else 1
    return (len(a) > len(b)) - (len(a) < len(b))


_NATURAL_KEY = cmp_to_key(_natural_cmp)


def _letters_last(s: str) -> tuple:
    return tuple((c.isalpha(), c) for c in s)


def _sorted_keys(keys) -> list:
    keys = list(keys)
    if all(k.isalpha() for k in keys):
        return sorted(keys)
    if not any(c.isdecimal() for k in keys for c in k):
        return sorted(keys, key=_letters_last)
    return sorted(keys, key=_NATURAL_KEY)


# ---------------------------------------------------------------------------
# The emitter state machine, reduced to recursion over the value.


class _Emitter:
    __slots__ = ("out", "column", "whitespace", "indention", "indent", "open_ended")

    def __init__(self) -> None:
        self.out: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True
        self.indent = -1
        self.open_ended = False

    # -- primitives (emitterc.go put / put_break / write_indent / indicator)
    def _put(self, text: str) -> None:
        self.out.append(text)
        self.column += len(text)

    def _put_break(self) -> None:
        self.out.append("\n")
        self.column = 0

    def _write_break(self, ch: str) -> None:
        self.out.append(ch)
        self.column = 0

    def _write_indent(self) -> None:
        indent = self.indent if self.indent > 0 else 0
        if (not self.indention or self.column > indent
                or (self.column == indent and not self.whitespace)):
            self._put_break()
        if self.column < indent:
            self._put(" " * (indent - self.column))
        self.whitespace = True
        self.indention = True

    def _indicator(self, ind: str, need_ws: bool, is_ws: bool, is_indention: bool) -> None:
        if need_ws and not self.whitespace:
            self._put(" ")
        self._put(ind)
        self.whitespace = is_ws
        self.indention = self.indention and is_indention
        self.open_ended = False

    # -- nodes
    def node(self, v, root: bool = False, mapping: bool = False) -> None:
        if isinstance(v, dict):
            if v:
                self._block_mapping(v)
            else:
                self._indicator("{", True, True, False)
                self._indicator("}", False, False, False)
        elif isinstance(v, (list, tuple)):
            if v:
                self._block_sequence(v, mapping)
            else:
                self._indicator("[", True, True, False)
                self._indicator("]", False, False, False)
        elif isinstance(v, str):
            style = _VALUE_STYLE.get(v)
            if style is None:
                if len(_VALUE_STYLE) > _CACHE_LIMIT:
                    _VALUE_STYLE.clear()
                style = _VALUE_STYLE[v] = _string_style(v, False)
            self._scalar(v, style, root, allow_breaks=True)
        else:
            # Numbers, bools and null are always plain and never fold.
            if not self.whitespace:
                self._put(" ")
            self._put(_scalar_text(v))
            self.whitespace = self.indention = False
            if root:
                self.open_ended = True

    def _block_mapping(self, m: dict) -> None:
        saved = self.indent
        self.indent = 0 if saved < 0 else saved + BEST_INDENT
        keys = m.keys()
        if not all(type(k) is str for k in keys):
            keys = [k if type(k) is str else _scalar_text(k) for k in keys]
            m = dict(zip(keys, m.values()))
        for k in _sorted_keys(keys):
            self._write_indent()
            if len(k.encode()) <= 128 and not _BREAK_RE.search(k):
                text = _KEY_TEXT.get(k)
                if text is None:
                    text = _KEY_TEXT[k] = self._render_key(k)
                # A key always follows write_indent: whitespace is set.
                self.out.append(text)
                self.column += len(text)
                self.whitespace = self.indention = False
                self._indicator(":", False, False, False)
            else:
                # Not a simple key: "? key" / ": value" (complex key form).
                self._indicator("?", True, False, True)
                self._scalar(k, _string_style(k, False), False, allow_breaks=True)
                self._write_indent()
                self._indicator(":", True, False, True)
            self.node(m[k], mapping=True)
        self.indent = saved

    @staticmethod
    def _render_key(k: str) -> str:
        sub = _Emitter()
        sub._scalar(k, _string_style(k, True), False, allow_breaks=False)
        return "".join(sub.out)

    def _block_sequence(self, seq, mapping: bool) -> None:
        saved = self.indent
        if saved < 0:
            self.indent = 0
        elif not (mapping and not self.indention):
            self.indent = saved + BEST_INDENT
        for item in seq:
            self._write_indent()
            self._indicator("-", True, False, True)
            self.node(item)
        self.indent = saved

    # -- scalars
    def _scalar(self, s: str, style: str, root: bool, allow_breaks: bool) -> None:
        saved = self.indent
        self.indent = BEST_INDENT if saved < 0 else saved + BEST_INDENT
        if style == PLAIN:
            self._plain(s, allow_breaks)
            if root:
                self.open_ended = True
        elif style == DOUBLE:
            self._double(s, allow_breaks)
        elif style == SINGLE:
            self._single(s, allow_breaks)
        else:
            self._literal(s)
        self.indent = saved

    def _plain(self, s: str, allow_breaks: bool) -> None:
        if not self.whitespace:
            self._put(" ")
        if not allow_breaks or self.column + len(s) <= BEST_WIDTH or " " not in s:
            self._put(s)
        else:
            spaces = False
            n = len(s)
            for i, ch in enumerate(s):
                if ch == " ":
                    if (not spaces and self.column > BEST_WIDTH
                            and i + 1 < n and s[i + 1] != " "):
                        self._write_indent()
                    else:
                        self._put(ch)
                    spaces = True
                else:
                    self._put(ch)
                    self.indention = False
                    spaces = False
        self.whitespace = self.indention = False

    def _single(self, s: str, allow_breaks: bool) -> None:
        self._indicator("'", True, False, False)
        spaces = breaks = False
        n = len(s)
        for i, ch in enumerate(s):
            if ch == " ":
                if (allow_breaks and not spaces and self.column > BEST_WIDTH
                        and 0 < i < n - 1 and s[i + 1] != " "):
                    self._write_indent()
                else:
                    self._put(ch)
                spaces = True
            elif ch in _BREAKS:
                if not breaks and ch == "\n":
                    self._put_break()
                self._write_break(ch)
                self.indention = True
                breaks = True
            else:
                if breaks:
                    self._write_indent()
                self._put("''" if ch == "'" else ch)
                self.indention = False
                spaces = breaks = False
        self._indicator("'", False, False, False)
        self.whitespace = self.indention = False

    def _double(self, s: str, allow_breaks: bool) -> None:
        self._indicator('"', True, False, False)
        if _DQ_SAFE.match(s) and (not allow_breaks or self.column + len(s) <= BEST_WIDTH
                                  or " " not in s):
            self._put(s)
        else:
            spaces = False
            n = len(s)
            for i, ch in enumerate(s):
                if ch in _DQ_MUST_ESCAPE or _NON_PRINTABLE.match(ch):
                    self._put(_dq_escape(ch))
                    spaces = False
                elif ch == " ":
                    if (allow_breaks and not spaces and self.column > BEST_WIDTH
                            and 0 < i < n - 1):
                        self._write_indent()
                        if s[i + 1] == " ":
                            self._put("\\")
                    else:
                        self._put(ch)
                    spaces = True
                else:
                    self._put(ch)
                    spaces = False
        self._indicator('"', False, False, False)
        self.whitespace = self.indention = False

    def _literal(self, s: str) -> None:
        self._indicator("|", True, False, False)
        if s[0] == " " or s[0] in _BREAKS:
            self._indicator(str(BEST_INDENT), False, False, False)
        self.open_ended = False
        chomp = ""
        if s[-1] not in _BREAKS:
            chomp = "-"
        elif len(s) == 1 or s[-2] in _BREAKS:
            chomp = "+"
        if chomp:
            # write_indicator clears open_ended again, so "..." never follows.
            self._indicator(chomp, False, False, False)
        self._put_break()
        self.indention = self.whitespace = True
        breaks = True
        for seg in _LINE_SPLIT.split(s):
            if not seg:
                continue
            if seg in _BREAKS:
                self._write_break(seg)
                self.indention = breaks = True
            else:
                if breaks:
                    self._write_indent()
                self._put(seg)
                self.indention = breaks = False


_LINE_SPLIT = re.compile("([\r\n\x85\u2028\u2029])")
_DQ_SAFE = re.compile(r'[\x20-\x21\x23-\x5b\x5d-\x7e]*\Z')
_DQ_MUST_ESCAPE = frozenset('"\\\ufeff' + _BREAKS)
_DQ_ESCAPES = {
    "\x00": "\\0", "\x07": "\\a", "\x08": "\\b", "\t": "\\t", "\n": "\\n",
    "\x0b": "\\v", "\x0c": "\\f", "\r": "\\r", "\x1b": "\\e", '"': '\\"',
    "\\": "\\\\", "\x85": "\\N", "\xa0": "\\_", "\u2028": "\\L", "\u2029": "\\P",
}


def _dq_escape(ch: str) -> str:
    esc = _DQ_ESCAPES.get(ch)
    if esc is not None:
        return esc
    v = ord(ch)
    if v <= 0xFF:
        return f"\\x{v:02X}"
    if v <= 0xFFFF:
        return f"\\u{v:04X}"
    return f"\\U{v:08X}"


def dump(obj) -> str:
    """Marshal a JSON-like value (dict/list/str/int/float/bool/None) like kubectl -o yaml."""
    e = _Emitter()
    e.node(obj, root=True)
    # Document end: write_indent (no "..." since the document is implicit).
    e.indent = -1
    e._write_indent()
    if e.open_ended:
        e._indicator("...", True, False, False)
        e._write_indent()
    return "".join(e.out)
