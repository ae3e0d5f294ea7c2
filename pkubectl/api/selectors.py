"""Label and field selectors, with Kubernetes' parsing rules and error texts.

Label selectors follow k8s.io/apimachinery/pkg/labels (lexer + recursive descent
parser, requirements sorted by key, values shown sorted); field selectors follow
k8s.io/apimachinery/pkg/fields (comma-split terms with backslash escapes, only
``=``, ``==`` and ``!=``).  Which fields a kind can be filtered on is a data
table (``FIELD_LABELS``), mirroring the API server's ``ToSelectableFields``.

Only the standard library is used and nothing heavy is imported at module level:
this module is loaded by most ``get``/``delete`` invocations.
"""

from __future__ import annotations

import re

# Label keys and values are checked, and strings quoted, as the API server's validation does.
from pkubectl.api.formats import go_quote
from pkubectl.api.formats import is_label_key as validate_label_key
from pkubectl.api.formats import is_label_value as validate_label_value

__all__ = [
    "SelectorError",
    "Requirement",
    "Selector",
    "everything",
    "nothing",
    "parse_label_selector",
    "from_label_selector",
    "selector_from_set",
    "format_label_selector",
    "label_selector_matches_template",
    "validate_label_key",
    "validate_label_value",
    "FieldTerm",
    "FieldSelector",
    "FIELD_LABELS",
    "parse_field_selector",
    "field_value",
]


class SelectorError(ValueError):
    """A selector could not be parsed or is not supported (message is Kubernetes' text)."""


def _invalid(path: str, value, detail: str) -> str:
    """field.Invalid(path, value, detail).Error()"""
    if isinstance(value, (list, tuple)):
        shown = "[]string{" + ", ".join(go_quote(v) for v in value) + "}"
    else:
        shown = go_quote(value)
    return f"{path}: Invalid value: {shown}: {detail}"


def _aggregate(errs: list[str]) -> str | None:
    """utilerrors.Aggregate text: one message as is, several as '[a, b]' (duplicates dropped)."""
    uniq = list(dict.fromkeys(errs))
    if not uniq:
        return None
    if len(uniq) == 1:
        return uniq[0]
    return "[" + ", ".join(uniq) + "]"


# ---------------------------------------------------------------------------
# Requirements and selectors
# ---------------------------------------------------------------------------

# selection.Operator values, as Kubernetes spells them.
EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "=", "==", "!="
IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GT, LT = "in", "notin", "exists", "!", "gt", "lt"
_BINARY_OPS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GT, LT)
_ALL_OPS = _BINARY_OPS + (EXISTS, DOES_NOT_EXIST)

# How each operator is printed between key and values.
_OP_TEXT = {EQUALS: "=", DOUBLE_EQUALS: "==", NOT_EQUALS: "!=", IN: " in ", NOT_IN: " notin ",
            GT: ">", LT: "<"}


def _parse_int64(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 64), None on failure."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return None
    n = int(text)
    return n if -(1 << 63) <= n < (1 << 63) else None


class Requirement:
    """One `key op values` clause; construct with `Requirement.new` to get validation."""

    __slots__ = ("key", "operator", "values")

    def __init__(self, key: str, operator: str, values=()):
        self.key = key
        self.operator = operator
        self.values = tuple(values)

    @classmethod
    def new(cls, key: str, operator: str, values=(), path: str | None = None) -> "Requirement":
        """labels.NewRequirement: validate key, operator arity and values; SelectorError otherwise."""
        values = list(values)
        base = path  # None means the nil field path
        key_path = f"{base}.key" if base else "key"
        val_path = f"{base}.values" if base else "values"
        errs = []
        kerr = validate_label_key(key)
        if kerr:
            errs.append(_invalid(key_path, key, "; ".join(kerr)))
        if operator in (IN, NOT_IN):
            if not values:
                errs.append(_invalid(val_path, values, "for 'in', 'notin' operators, values set can't be empty"))
        elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
            if len(values) != 1:
                errs.append(_invalid(val_path, values, "exact-match compatibility requires one single value"))
        elif operator in (EXISTS, DOES_NOT_EXIST):
            if values:
                errs.append(_invalid(val_path, values, "values set must be empty for exists and does not exist"))
        elif operator in (GT, LT):
            if len(values) != 1:
                errs.append(_invalid(val_path, values, "for 'Gt', 'Lt' operators, exactly one value is required"))
            for i, v in enumerate(values):
                if _parse_int64(v) is None:
                    errs.append(_invalid(f"{val_path}[{i}]", v, "for 'Gt', 'Lt' operators, the value must be an integer"))
        else:
            supported = ", ".join(go_quote(o) for o in _ALL_OPS)
            op_path = f"{base}.operator" if base else "operator"
            errs.append(f"{op_path}: Unsupported value: {go_quote(operator)}: supported values: {supported}")
        for i, v in enumerate(values):
            verr = validate_label_value(v)
            if verr:
                errs.append(_invalid(f"{val_path}[{i}][{key}]", v, "; ".join(verr)))
        msg = _aggregate(errs)
        if msg:
            raise SelectorError(msg)
        return cls(key, operator, values)

    def matches(self, labels: dict | None) -> bool:
        labels = labels or {}
        op = self.operator
        if op in (IN, EQUALS, DOUBLE_EQUALS):
            return self.key in labels and labels[self.key] in self.values
        if op in (NOT_IN, NOT_EQUALS):
            return self.key not in labels or labels[self.key] not in self.values
        if op == EXISTS:
            return self.key in labels
        if op == DOES_NOT_EXIST:
            return self.key not in labels
        if op in (GT, LT):
            if self.key not in labels or len(self.values) != 1:
                return False
            have, want = _parse_int64(str(labels[self.key])), _parse_int64(self.values[0])
            if have is None or want is None:
                return False
            return have > want if op == GT else have < want
        return False

    def __str__(self) -> str:
        if self.operator == DOES_NOT_EXIST:
            return "!" + self.key
        if self.operator == EXISTS:
            return self.key
        vals = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if self.operator in (IN, NOT_IN):
            vals = f"({vals})"
        return self.key + _OP_TEXT[self.operator] + vals

    def __repr__(self) -> str:
        return f"Requirement({self.key!r}, {self.operator!r}, {self.values!r})"

    def __eq__(self, other) -> bool:
        return (isinstance(other, Requirement) and self.key == other.key
                and self.operator == other.operator and self.values == other.values)

    def __hash__(self) -> int:
        return hash((self.key, self.operator, self.values))


class Selector:
    """AND of requirements.  `Selector.NOTHING` (from a nil LabelSelector) matches nothing."""

    __slots__ = ("requirements", "_nothing")

    def __init__(self, requirements=(), *, nothing: bool = False):
        # Kubernetes sorts by key only (stable for the small sizes selectors have).
        self.requirements = tuple(sorted(requirements, key=lambda r: r.key))
        self._nothing = nothing

    def matches(self, labels: dict | None) -> bool:
        if self._nothing:
            return False
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        """True when the selector selects everything."""
        return not self._nothing and not self.requirements

    def is_nothing(self) -> bool:
        return self._nothing

    def add(self, *reqs: Requirement) -> "Selector":
        if self._nothing:
            return self
        return Selector(self.requirements + tuple(reqs))

    def requires_exact_match(self, key: str) -> str | None:
        """The single value `key` must have, when the selector pins it (labels.RequiresExactMatch)."""
        for r in self.requirements:
            if r.key == key:
                if r.operator in (EQUALS, DOUBLE_EQUALS, IN) and len(r.values) == 1:
                    return r.values[0]
                return None
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return "Selector(nothing)" if self._nothing else f"Selector({str(self)!r})"

    def __eq__(self, other) -> bool:
        return (isinstance(other, Selector) and self._nothing == other._nothing
                and self.requirements == other.requirements)

    def __hash__(self) -> int:
        return hash((self._nothing, self.requirements))


def everything() -> Selector:
    return Selector()


def nothing() -> Selector:
    return Selector(nothing=True)


# ---------------------------------------------------------------------------
# Label selector string parser (labels.Parse)
# ---------------------------------------------------------------------------

# Token kinds.
_ERR, _EOS, _CPAR, _COMMA, _NOT, _DEQ, _EQ, _GT, _ID, _IN, _LT, _NEQ, _NOTIN, _OPAR = range(14)
_LITERALS = {")": _CPAR, ",": _COMMA, "!": _NOT, "==": _DEQ, "=": _EQ, ">": _GT, "in": _IN,
             "<": _LT, "!=": _NEQ, "notin": _NOTIN, "(": _OPAR}
_SPECIAL = set("=!(),><")
_WHITESPACE = set(" \t\r\n")


def _lex(s: str) -> list[tuple[int, str]]:
    """Tokenize like labels.Lexer (special symbols take the longest known operator)."""
    items: list[tuple[int, str]] = []
    pos, n = 0, len(s)
    while True:
        while pos < n and s[pos] in _WHITESPACE:
            pos += 1
        if pos >= n:
            items.append((_EOS, ""))
            return items
        if s[pos] in _SPECIAL:
            buf, last = "", None
            while pos < n and s[pos] in _SPECIAL:
                buf += s[pos]
                if buf in _LITERALS:
                    last = (_LITERALS[buf], buf)
                    pos += 1
                elif last is not None:
                    break
                else:
                    pos += 1
            if last is None:
                items.append((_ERR, f"error expected: keyword found '{buf}'"))
            else:
                items.append(last)
        else:
            start = pos
            while pos < n and s[pos] not in _SPECIAL and s[pos] not in _WHITESPACE:
                pos += 1
            word = s[start:pos]
            items.append((_LITERALS.get(word, _ID), word))


class _Parser:
    """Recursive descent parser, a port of labels.Parser (same errors, same token rules)."""

    def __init__(self, text: str):
        self.items = _lex(text)
        self.pos = 0

    def _tok(self, i: int, values: bool) -> tuple[int, str]:
        tok, lit = self.items[i]
        if values and tok in (_IN, _NOTIN):
            tok = _ID
        return tok, lit

    def lookahead(self, values: bool = True) -> tuple[int, str]:
        return self._tok(self.pos, values)

    def consume(self, values: bool = True) -> tuple[int, str]:
        self.pos += 1
        return self._tok(self.pos - 1, values)

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok in (_ID, _NOT):
                try:
                    reqs.append(self.parse_requirement())
                except SelectorError as e:
                    raise SelectorError(f"unable to parse requirement: {e}") from None
                t, l = self.consume()
                if t == _EOS:
                    return reqs
                if t == _COMMA:
                    t2, l2 = self.lookahead()
                    if t2 not in (_ID, _NOT):
                        raise SelectorError(f"found '{l2}', expected: identifier after ','")
                else:
                    raise SelectorError(f"found '{l}', expected: ',' or 'end of string'")
            elif tok == _EOS:
                return reqs
            else:
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def parse_requirement(self) -> Requirement:
        key, op = self.parse_key_and_infer_operator()
        if op in (EXISTS, DOES_NOT_EXIST):
            return Requirement.new(key, op, [])
        op = self.parse_operator()
        if op in (IN, NOT_IN):
            values = self.parse_values()
        else:
            values = self.parse_exact_value()
        return Requirement.new(key, op, sorted(values))

    def parse_key_and_infer_operator(self) -> tuple[str, str]:
        op = ""
        tok, lit = self.consume()
        if tok == _NOT:
            op = DOES_NOT_EXIST
            tok, lit = self.consume()
        if tok != _ID:
            raise SelectorError(f"found '{lit}', expected: identifier")
        errs = validate_label_key(lit)
        if errs:
            raise SelectorError(_invalid("<nil>", lit, "; ".join(errs)))
        t, _ = self.lookahead()
        if t in (_EOS, _COMMA) and op != DOES_NOT_EXIST:
            op = EXISTS
        return lit, op

    _OPERATORS = {_IN: IN, _EQ: EQUALS, _DEQ: DOUBLE_EQUALS, _GT: GT, _LT: LT, _NOTIN: NOT_IN,
                  _NEQ: NOT_EQUALS}

    def parse_operator(self) -> str:
        tok, lit = self.consume(values=False)
        if tok not in self._OPERATORS:
            raise SelectorError(f"found '{lit}', expected: {', '.join(_BINARY_OPS)}")
        return self._OPERATORS[tok]

    def parse_values(self) -> set[str]:
        tok, lit = self.consume()
        if tok != _OPAR:
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok in (_ID, _COMMA):
            values = self.parse_identifiers_list()
            if self.consume()[0] != _CPAR:
                raise SelectorError(f"found '{lit}', expected: ')'")
            return values
        if tok == _CPAR:
            self.consume()
            return {""}
        raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")

    def parse_identifiers_list(self) -> set[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok == _ID:
                values.add(lit)
                tok2, lit2 = self.lookahead()
                if tok2 == _COMMA:
                    continue
                if tok2 == _CPAR:
                    return values
                raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            if tok == _COMMA:
                if not values:
                    values.add("")
                tok2, _ = self.lookahead()
                if tok2 == _CPAR:
                    values.add("")
                    return values
                if tok2 == _COMMA:
                    values.add("")
                continue
            raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def parse_exact_value(self) -> set[str]:
        tok, _ = self.lookahead()
        if tok in (_EOS, _COMMA):
            return {""}
        tok, lit = self.consume()
        if tok == _ID:
            return {lit}
        raise SelectorError(f"found '{lit}', expected: identifier")


def parse_label_selector(text: str | None) -> Selector:
    """Parse a `-l` string ('' or None selects everything); SelectorError with Kubernetes' text."""
    if text is None:
        return Selector()
    return Selector(_Parser(text).parse())


# ---------------------------------------------------------------------------
# LabelSelector objects (metav1.LabelSelectorAsSelector) and helpers
# ---------------------------------------------------------------------------

_EXPR_OPS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def from_label_selector(obj: dict | None) -> Selector:
    """A LabelSelector dict: None selects nothing, {} everything, else matchLabels AND matchExpressions."""
    if obj is None:
        return Selector(nothing=True)
    match_labels = obj.get("matchLabels") or {}
    exprs = obj.get("matchExpressions") or []
    if not match_labels and not exprs:
        return Selector()
    reqs = [Requirement.new(k, EQUALS, [_label_str(v)]) for k, v in match_labels.items()]
    for expr in exprs:
        op = expr.get("operator")
        if op not in _EXPR_OPS:
            raise SelectorError(f"{go_quote(str(op or ''))} is not a valid label selector operator")
        reqs.append(Requirement.new(expr.get("key", ""), _EXPR_OPS[op],
                                    [_label_str(v) for v in expr.get("values") or []]))
    return Selector(reqs)


def _label_str(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def selector_from_set(labels: dict | None) -> Selector:
    """Equality selector for a plain map (Service spec.selector, RC selector); empty selects everything."""
    return Selector([Requirement(k, EQUALS, [_label_str(v)]) for k, v in (labels or {}).items()])


def format_label_selector(obj: dict | None) -> str:
    """metav1.FormatLabelSelector: kubectl's text for a LabelSelector ('<none>' when empty, '<error>' if bad)."""
    try:
        text = str(from_label_selector(obj))
    except SelectorError:
        return "<error>"
    return text or "<none>"


def label_selector_matches_template(selector_dict: dict | None, labels: dict | None) -> bool:
    """Does a workload's spec.selector select its own template labels? (invalid selectors never do)."""
    try:
        sel = from_label_selector(selector_dict)
    except SelectorError:
        return False
    return not sel.empty() and sel.matches(labels or {})


# ---------------------------------------------------------------------------
# Field selectors
# ---------------------------------------------------------------------------

# field label -> (candidate JSON paths, first non-empty wins; value type).  The value
# type says how Go renders the field into the fields.Set: str, bool ("true"/"false"),
# int (decimal, 0 when unset).  Every kind also has metadata.name / metadata.namespace.
_META_FIELDS = {
    "metadata.name": (("metadata.name",), "str"),
    "metadata.namespace": (("metadata.namespace",), "str"),
}
FIELD_LABELS: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "Pod": {
        "spec.nodeName": (("spec.nodeName",), "str"),
        "spec.restartPolicy": (("spec.restartPolicy",), "str"),
        "spec.schedulerName": (("spec.schedulerName",), "str"),
        "spec.serviceAccountName": (("spec.serviceAccountName",), "str"),
        "spec.hostNetwork": (("spec.hostNetwork",), "bool"),
        "status.phase": (("status.phase",), "str"),
        "status.podIP": (("status.podIP", "status.podIPs.0.ip"), "str"),
        "status.podIPs": (("status.podIP", "status.podIPs.0.ip"), "str"),
        "status.nominatedNodeName": (("status.nominatedNodeName",), "str"),
    },
    "Node": {"spec.unschedulable": (("spec.unschedulable",), "bool")},
    "Event": {
        "involvedObject.kind": (("involvedObject.kind",), "str"),
        "involvedObject.namespace": (("involvedObject.namespace",), "str"),
        "involvedObject.name": (("involvedObject.name",), "str"),
        "involvedObject.uid": (("involvedObject.uid",), "str"),
        "involvedObject.apiVersion": (("involvedObject.apiVersion",), "str"),
        "involvedObject.resourceVersion": (("involvedObject.resourceVersion",), "str"),
        "involvedObject.fieldPath": (("involvedObject.fieldPath",), "str"),
        "reason": (("reason",), "str"),
        "reportingComponent": (("reportingComponent",), "str"),
        "source": (("source.component", "reportingComponent"), "str"),
        "type": (("type",), "str"),
    },
    "Secret": {"type": (("type",), "str")},
    "Namespace": {"status.phase": (("status.phase",), "str")},
    "ReplicaSet": {"status.replicas": (("status.replicas",), "int")},
    "Job": {"status.successful": (("status.successful",), "int")},
    "Service": {
        "spec.clusterIP": (("spec.clusterIP",), "str"),
        "spec.type": (("spec.type",), "str"),
    },
}
# Lower-case kind, singular and plural resource names -> Kind.
_KIND_ALIASES = {}
for _k in FIELD_LABELS:
    _KIND_ALIASES[_k.lower()] = _KIND_ALIASES[_k.lower() + "s"] = _k
_KIND_ALIASES["events.events.k8s.io"] = "Event"


def _fields_for(kind: str | None) -> dict:
    table = dict(_META_FIELDS)
    if kind:
        table.update(FIELD_LABELS.get(_KIND_ALIASES.get(kind.lower(), kind), {}))
    return table


def _dig(obj, path: str):
    cur = obj
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur


def field_value(obj: dict, field: str, kind: str | None = None) -> str:
    """The string the API server would compare for `field` on `obj` ('' when unset)."""
    kind = kind or obj.get("kind")
    paths, typ = _fields_for(kind).get(field, ((field,), "str"))
    raw = None
    for p in paths:
        raw = _dig(obj, p)
        if raw not in (None, ""):
            break
    if typ == "bool":
        return "true" if raw is True or raw == "true" else "false"
    if typ == "int":
        return str(int(raw)) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else (raw or "0")
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def _escape_field_value(v: str) -> str:
    return v.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape_field_value(s: str) -> str:
    """fields.UnescapeValue: only \\\\, \\, and \\= are escapes; bare ',' or '=' are errors."""
    if not any(c in s for c in "\\,="):
        return s
    out, in_slash = [], False
    for c in s:
        if in_slash:
            if c not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{c}")
            out.append(c)
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c in ",=":
            raise SelectorError(f"invalid field selector: unescaped character in value: {c}")
        else:
            out.append(c)
    if in_slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


class FieldTerm:
    """`field=value` (op '=') or `field!=value` (op '!=')."""

    __slots__ = ("field", "op", "value")

    def __init__(self, field: str, op: str, value: str):
        self.field, self.op, self.value = field, op, value

    def matches(self, obj: dict, kind: str | None = None) -> bool:
        have = field_value(obj, self.field, kind)
        return have == self.value if self.op == "=" else have != self.value

    def __str__(self) -> str:
        return f"{self.field}{self.op}{_escape_field_value(self.value)}"

    def __repr__(self) -> str:
        return f"FieldTerm({self.field!r}, {self.op!r}, {self.value!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, FieldTerm) and (self.field, self.op, self.value) == (other.field, other.op, other.value)

    def __hash__(self) -> int:
        return hash((self.field, self.op, self.value))


class FieldSelector:
    """AND of field terms, as `--field-selector` gives them."""

    __slots__ = ("terms",)

    def __init__(self, terms=()):
        self.terms = tuple(terms)

    def empty(self) -> bool:
        return not self.terms

    def matches(self, obj: dict, kind: str | None = None) -> bool:
        return all(t.matches(obj, kind) for t in self.terms)

    def validate_for_kind(self, kind: str | None) -> None:
        """Raise SelectorError('field label not supported: f') for a field the kind cannot filter on."""
        supported = _fields_for(kind)
        for t in self.terms:
            if t.field not in supported:
                raise SelectorError(f"field label not supported: {t.field}")

    def requires_exact_match(self, field: str) -> str | None:
        for t in self.terms:
            if t.field == field and t.op == "=":
                return t.value
        return None

    def __str__(self) -> str:
        return ",".join(str(t) for t in self.terms)

    def __repr__(self) -> str:
        return f"FieldSelector({str(self)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, FieldSelector) and self.terms == other.terms

    def __hash__(self) -> int:
        return hash(self.terms)


def _split_terms(text: str) -> list[str]:
    """Split on commas not escaped by a backslash."""
    terms, start, in_slash = [], 0, False
    for i, c in enumerate(text):
        if in_slash:
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """First operator position wins; at one position '!=' and '==' beat '='."""
    for i in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
    return None


def parse_field_selector(text: str | None) -> FieldSelector:
    """Parse `--field-selector` (terms sorted like fields.ParseSelector); '' selects everything."""
    if not text:
        return FieldSelector()
    terms = []
    for part in sorted(_split_terms(text)):
        if part == "":
            continue
        split = _split_term(part)
        if split is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        terms.append(FieldTerm(lhs, "!=" if op == "!=" else "=", _unescape_field_value(rhs)))
    return FieldSelector(terms)
