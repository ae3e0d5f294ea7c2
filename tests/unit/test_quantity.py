"""resource.Quantity parsing, rounding and canonical forms."""

from fractions import Fraction

import pytest

from pkubectl.api.quantity import (
    BINARY_SI,
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    FORMAT_ERROR,
    Quantity,
    QuantityError,
    bytes_,
    cpu_millis,
    format_quantity,
    parse_quantity,
)


@pytest.mark.parametrize("text,value,fmt", [
    ("100m", Fraction(1, 10), DECIMAL_SI),
    ("0.5", Fraction(1, 2), DECIMAL_SI),
    ("2", 2, DECIMAL_SI),
    ("128Mi", 128 * 2**20, BINARY_SI),
    ("1G", 10**9, DECIMAL_SI),
    ("1e3", 1000, DECIMAL_EXPONENT),
    ("1E3", 1000, DECIMAL_EXPONENT),
    ("1Ki", 1024, BINARY_SI),
    ("1.5Gi", 1536 * 2**20, BINARY_SI),
    ("-1", -1, DECIMAL_SI),
    ("+3", 3, DECIMAL_SI),
    ("007", 7, DECIMAL_SI),
    ("1n", Fraction(1, 10**9), DECIMAL_SI),
    ("1u", Fraction(1, 10**6), DECIMAL_SI),
    ("5e-3", Fraction(5, 1000), DECIMAL_EXPONENT),
    (0.25, Fraction(1, 4), DECIMAL_SI),
    (3, 3, DECIMAL_SI),
])
def test_parse_values(text, value, fmt):
    q = parse_quantity(text)
    assert q.value == value
    assert q.format == fmt


def test_values_finer_than_nano_round_up():
    assert parse_quantity("1.0000000001").value == Fraction(1000000001, 10**9)
    assert parse_quantity("0.1n").value == Fraction(1, 10**9)


@pytest.mark.parametrize("text,canonical", [
    ("100m", "100m"),
    ("0.5", "500m"),
    ("1.5", "1500m"),
    ("2000m", "2"),
    ("2", "2"),
    ("1000", "1k"),
    ("1500", "1500"),
    ("128Mi", "128Mi"),
    ("1G", "1G"),
    ("1e3", "1e3"),
    ("12e+2", "1200"),
    ("1Ki", "1Ki"),
    ("1024", "1024"),           # DecimalSI stays decimal
    ("1.5Gi", "1536Mi"),
    ("0.5Gi", "512Mi"),
    ("1.5Ki", "1536"),          # not a whole number of Ki: plain
    ("8388608Ki", "8Gi"),       # node memory in describe node
    ("512", "512"),
    ("0", "0"),
    ("0Mi", "0"),
    ("-100m", "-100m"),
    ("0.1", "100m"),
])
def test_canonical_form(text, canonical):
    assert format_quantity(text) == canonical


@pytest.mark.parametrize("text", ["abc", "1.2.3", "", "1 ", "1.5x", None, True])
def test_format_errors(text):
    with pytest.raises(QuantityError) as e:
        parse_quantity(text)
    assert str(e.value) == FORMAT_ERROR
    assert str(e.value) == ("quantities must match the regular expression "
                            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


@pytest.mark.parametrize("text", ["1mi", "1e", "1Ki2", "1kk", "--1"])
def test_suffix_errors(text):
    with pytest.raises(QuantityError) as e:
        parse_quantity(text)
    assert str(e.value) == "unable to parse quantity's suffix"


def test_bare_suffix_is_zero_like_kubernetes():
    # parseQuantityString treats a missing numerator as 0.
    assert parse_quantity("Mi").value == 0


def test_cpu_millis_and_bytes():
    assert cpu_millis("100m") == 100
    assert cpu_millis("0.5") == 500
    assert cpu_millis(2) == 2000
    assert cpu_millis("1n") == 1            # rounded up
    assert bytes_("128Mi") == 134217728
    assert bytes_("1G") == 10**9
    assert bytes_("100m") == 1              # rounded up
    assert bytes_(Quantity(5)) == 5


def test_arithmetic_keeps_format():
    total = parse_quantity("100m") + "250m"
    assert str(total) == "350m"
    mem = Quantity(0) + "64Mi" + "64Mi"      # a zero sum takes the addend's format
    assert str(mem) == "128Mi"
    assert parse_quantity("1") > "500m"
    assert parse_quantity("1Gi") == "1024Mi"
    assert str(parse_quantity("1") - "250m") == "750m"
