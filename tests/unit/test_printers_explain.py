"""kubectl explain's text helpers: sprig's wrap and indent, and kubectl's type names."""
from __future__ import annotations

import pytest

from pkubectl.printers.explain import indent, type_guess, wrap


@pytest.mark.parametrize("text, width, wrapped", [
    ("aaa bbb ccc", 7, "aaa bbb\nccc"),
    ("aaa bbb ccc", 11, "aaa bbb ccc"),
    ("xxxxxxxxxx y", 5, "xxxxxxxxxx\ny"),         # a long word runs on to the next space
    ("xxxxxxxxxx", 5, "xxxxxxxxxx"),
    ("ab\ncd ef", 5, "ab\ncd\nef"),               # a newline is an ordinary character
    ("aaa  bbb", 3, "aaa\nbbb"),                   # spaces at a break are dropped
    ("", 5, ""),
])
def test_wrap_is_sprigs(text, width, wrapped):
    assert wrap(text, width) == wrapped


def test_indent_pads_every_line_even_empty_ones():
    assert indent("a\n\nb\n", 4) == "    a\n    \n    b\n    "


@pytest.mark.parametrize("schema, name", [
    ({"type": "string"}, "string"),
    ({"type": "object"}, "Object"),
    ({}, "Object"),
    ({"type": "array", "items": {"type": "string"}}, "[]string"),
    ({"type": "object", "additionalProperties": {"type": "string"}}, "map[string]string"),
    ({"$ref": "io.k8s.api.core.v1.Container"}, "Container"),
    ({"type": "array", "items": {"$ref": "io.k8s.api.core.v1.Container"}}, "[]Container"),
    ({"$ref": "io.k8s.apimachinery.pkg.util.intstr.IntOrString"}, "IntOrString"),  # no type: its name
    ({"$ref": "io.k8s.apimachinery.pkg.apis.meta.v1.Time"}, "string"),             # a string type: the type
    ({"additionalProperties": {"$ref": "io.k8s.apimachinery.pkg.api.resource.Quantity"}}, "map[string]Quantity"),
])
def test_type_guess(schema, name):
    assert type_guess(schema) == name
