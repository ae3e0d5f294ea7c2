"""Kubernetes resource.Quantity: exact parsing, rounding and canonical text.

A quantity is kept as an exact ``Fraction`` plus the *format* it was written in
(DecimalSI ``100m``/``1G``, BinarySI ``128Mi``, DecimalExponent ``1e3``), because
the canonical form Kubernetes prints (``get -o yaml``, ``describe``) depends on
both: ``0.5`` -> ``500m``, ``1.5Gi`` -> ``1536Mi``, ``1e3`` -> ``1e3``, ``2000m``
-> ``2``.  Like Kubernetes, values finer than 1n are rounded *up* to 1n.

Pure standard library; ``fractions`` is the only import.
"""

from __future__ import annotations

from fractions import Fraction

__all__ = [
    "QuantityError",
    "Quantity",
    "parse_quantity",
    "format_quantity",
    "canonicalize",
    "cpu_millis",
    "bytes_",
    "DECIMAL_SI",
    "BINARY_SI",
    "DECIMAL_EXPONENT",
]

DECIMAL_SI, BINARY_SI, DECIMAL_EXPONENT = "DecimalSI", "BinarySI", "DecimalExponent"

FORMAT_ERROR = ("quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
SUFFIX_ERROR = "unable to parse quantity's suffix"

# suffix -> (base, exponent); base 10 suffixes are DecimalSI, base 2 BinarySI.
_DEC_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BIN_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DEC_BY_EXP = {e: s for s, e in _DEC_SUFFIXES.items()}
_BIN_BY_EXP = {e: s for s, e in _BIN_SUFFIXES.items()}
_SUFFIX_CHARS = set("eEinumkKMGTP")
_NANO = Fraction(1, 10**9)


class QuantityError(ValueError):
    """Text is not a Kubernetes quantity (message is Kubernetes' text)."""


def _ceil_away(x: Fraction) -> int:
    """Round to an integer away from zero (inf.RoundUp), as Quantity.Value/MilliValue do."""
    n = -((-abs(x).numerator) // abs(x).denominator)
    return n if x >= 0 else -n


class Quantity:
    """An exact quantity and its format.  Immutable; supports + - and comparisons."""

    __slots__ = ("value", "format")

    def __init__(self, value, format: str = DECIMAL_SI):
        self.value = Fraction(value)
        self.format = format

    # -- conversions -----------------------------------------------------
    def milli_value(self) -> int:
        """Value in thousandths, rounded up (Quantity.MilliValue)."""
        return _ceil_away(self.value * 1000)

    def int_value(self) -> int:
        """Value as an integer, rounded up (Quantity.Value)."""
        return _ceil_away(self.value)

    def as_float(self) -> float:
        return float(self.value)

    def is_zero(self) -> bool:
        return self.value == 0

    # -- arithmetic --------------------------------------------------------
    def __add__(self, other) -> "Quantity":
        other = _coerce(other)
        fmt = other.format if self.value == 0 else self.format  # Quantity.Add keeps q's format
        return Quantity(self.value + other.value, fmt)

    __radd__ = __add__

    def __sub__(self, other) -> "Quantity":
        other = _coerce(other)
        fmt = other.format if self.value == 0 else self.format
        return Quantity(self.value - other.value, fmt)

    def __neg__(self) -> "Quantity":
        return Quantity(-self.value, self.format)

    def _cmp_value(self, other):
        return _coerce(other).value

    def __eq__(self, other) -> bool:
        try:
            return self.value == self._cmp_value(other)
        except (QuantityError, TypeError):
            return NotImplemented

    def __lt__(self, other) -> bool:
        return self.value < self._cmp_value(other)

    def __le__(self, other) -> bool:
        return self.value <= self._cmp_value(other)

    def __gt__(self, other) -> bool:
        return self.value > self._cmp_value(other)

    def __ge__(self, other) -> bool:
        return self.value >= self._cmp_value(other)

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return _canonical(self.value, self.format)

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"


def _coerce(q) -> Quantity:
    return q if isinstance(q, Quantity) else parse_quantity(q)


def _scan(text: str) -> tuple[bool, str, str, str]:
    """parseQuantityString: (positive, integer digits, fraction digits, suffix) or QuantityError."""
    pos, end, positive = 0, len(text), True
    if text[:1] == "-":
        positive, pos = False, 1
    elif text[:1] == "+":
        pos = 1
    start = pos
    while pos < end and text[pos].isdigit() and text[pos].isascii():
        pos += 1
    num = text[start:pos].lstrip("0") or "0"
    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos].isdigit() and text[pos].isascii():
            pos += 1
        denom = text[start:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in "0123456789":
        pos += 1
    if pos != end:
        raise QuantityError(FORMAT_ERROR)
    return positive, num, denom, text[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, str]:
    """suffix -> (base, exponent, format); QuantityError for unknown suffixes."""
    if suffix in _DEC_SUFFIXES:
        return 10, _DEC_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BIN_SUFFIXES:
        return 2, _BIN_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        exp = suffix[1:]
        body = exp[1:] if exp[0] in "+-" else exp
        if body.isdigit():
            return 10, int(exp), DECIMAL_EXPONENT
    raise QuantityError(SUFFIX_ERROR)


def parse_quantity(text) -> Quantity:
    """Parse '100m', '0.5', '128Mi', '1e3', ... (numbers from YAML are accepted too)."""
    if isinstance(text, Quantity):
        return text
    if isinstance(text, bool) or text is None:
        raise QuantityError(FORMAT_ERROR)
    if isinstance(text, int):
        text = str(text)
    elif isinstance(text, float):
        text = repr(text)
    if not isinstance(text, str) or not text:
        raise QuantityError(FORMAT_ERROR)
    positive, num, denom, suffix = _scan(text)
    base, exponent, fmt = _interpret(suffix)
    value = Fraction(int(num + denom), 10 ** len(denom))
    value *= Fraction(10) ** exponent if base == 10 else Fraction(2) ** exponent
    if value and value.denominator > 1 and (value / _NANO).denominator != 1:
        value = Fraction(_ceil_away(value / _NANO)) * _NANO  # round up to 1n
    return Quantity(value if positive else -value, fmt)


def _decimal_canonical(value: Fraction, fmt: str) -> str:
    """Mantissa x 10^exp with exp a multiple of 3, trailing zero groups folded into the suffix."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    exp = 0
    while v.denominator != 1:  # value is a multiple of 1n, so this stops by exp -9
        v *= 10
        exp -= 1
    mant = v.numerator
    while mant and mant % 10 == 0:
        mant //= 10
        exp += 1
    shift = exp % 3  # move down to a multiple of 3
    mant *= 10**shift
    exp -= shift
    if fmt == DECIMAL_EXPONENT:
        suffix = f"e{exp}" if exp else ""
    elif exp in _DEC_BY_EXP:
        suffix = _DEC_BY_EXP[exp]
    else:  # beyond Exa: fall back to an exponent
        suffix = f"e{exp}"
    return f"{sign}{mant}{suffix}"


def _canonical(value: Fraction, fmt: str) -> str:
    if value == 0:
        return "0"
    if fmt == BINARY_SI:
        if -1024 < value < 1024 or value.denominator != 1:
            return _decimal_canonical(value, DECIMAL_SI)
        mant, exp = abs(value.numerator), 0
        while mant % 1024 == 0 and exp < 60:
            mant //= 1024
            exp += 10
        return ("-" if value < 0 else "") + str(mant) + _BIN_BY_EXP.get(exp, "")
    return _decimal_canonical(value, fmt)


def format_quantity(q) -> str:
    """Canonical text of a quantity (what the API server stores and kubectl prints)."""
    return str(_coerce(q))


def canonicalize(q) -> str:
    """Alias of format_quantity, for normalizing resource maps on write."""
    return format_quantity(q)


def cpu_millis(q) -> int:
    """CPU in millicores, rounded up: '100m' -> 100, '0.5' -> 500, 2 -> 2000."""
    return _coerce(q).milli_value()


def bytes_(q) -> int:
    """Integer value, rounded up: '128Mi' -> 134217728, '1G' -> 10**9."""
    return _coerce(q).int_value()
