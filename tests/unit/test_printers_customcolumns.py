"""kubectl -o custom-columns / custom-columns-file."""

import pytest

from pkubectl.printers.customcolumns import (Column, CustomColumnsError, parse_file, parse_spec,
                                             relaxed_jsonpath, render)
from pkubectl.printers.tabwriter import format_table

PODS = [
    {"metadata": {"name": "a", "labels": {"a": 5}},
     "spec": {"containers": [{"image": "busybox"}, {"image": "redis:7"}]}},
    {"metadata": {"name": "b"}, "spec": {}},
]


@pytest.mark.parametrize("expr", ["metadata.name", ".metadata.name", "{metadata.name}",
                                  "{.metadata.name}"])
def test_relaxed_paths(expr):
    assert relaxed_jsonpath(expr) == "{.metadata.name}"


def test_parse_spec_and_render():
    cols = parse_spec("NAME:.metadata.name,IMAGES:.spec.containers[*].image,"
                      "LABELS:{.metadata.labels},X:metadata.nope")
    assert cols[1] == Column("IMAGES", "{.spec.containers[*].image}")
    assert format_table(render(cols, PODS)) == (
        "NAME   IMAGES            LABELS     X\n"
        "a      busybox,redis:7   map[a:5]   <none>\n"
        "b      <none>            <none>     <none>\n"
    )


def test_no_headers():
    assert render(parse_spec("N:.metadata.name"), PODS, no_headers=True) == [["a"], ["b"]]


def test_headers_printed_as_written():
    assert render(parse_spec("my name:.metadata.name"), PODS[:1])[0] == ["my name"]


@pytest.mark.parametrize("spec, message", [
    ("BAD", "unexpected custom-columns spec: BAD, expected <header>:<json-path-expr>"),
    ("A:.a,BAD", "unexpected custom-columns spec: BAD, expected <header>:<json-path-expr>"),
    ("", "custom-columns format specified but no custom columns given"),
    ("A:{.a}}", "unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
                "'{name1.name2}' or '{.name1.name2}'"),
])
def test_bad_specs(spec, message):
    with pytest.raises(CustomColumnsError) as err:
        parse_spec(spec)
    assert str(err.value) == message


def test_parse_file():
    cols = parse_file("NAME          IMAGE\n{metadata.name}   .spec.containers[0].image\n")
    assert cols == [Column("NAME", "{.metadata.name}"),
                    Column("IMAGE", "{.spec.containers[0].image}")]
    with pytest.raises(CustomColumnsError, match=r"number of headers \(2\) and field "
                                                 r"specifications \(1\) don't match"):
        parse_file("A B\n.a\n")


def test_terminal_escapes():
    rows = render(parse_spec("N:.n"), [{"n": "a\x1b[31mb\rc"}])
    assert rows[1] == ["a^[[31mb\\rc"]
