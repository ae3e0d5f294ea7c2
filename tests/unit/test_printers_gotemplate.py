"""Go text/template subset as used by kubectl -o go-template."""

import pytest

from pkubectl.printers.gotemplate import TemplateError, compile

DATA = {"kind": "List", "items": [
    {"metadata": {"name": "a", "labels": {"app": "web"}},
     "spec": {"replicas": 3, "big": 1000000, "containers": [{"name": "c1", "image": "busybox"}]},
     "status": {"x": None}},
    {"metadata": {"name": "b"}, "spec": {"replicas": 1, "containers": []}},
]}


@pytest.mark.parametrize("template, out", [
    ("{{.kind}}", "List"),
    ('{{range .items}}{{.metadata.name}}{{"\\n"}}{{end}}', "a\nb\n"),
    ("{{range $i, $e := .items}}{{$i}}={{$e.metadata.name}} {{end}}", "0=a 1=b "),
    ("{{range $e := .items}}{{$e.metadata.name}}{{end}}", "ab"),
    ("{{range .items}}{{range .spec.containers}}[{{.image}}]{{end}}{{end}}", "[busybox]"),
    ("{{range .nope}}x{{else}}empty{{end}}", "empty"),
    ("{{(index .items 0).spec.replicas}} {{(index .items 0).spec.big}}", "3 1e+06"),
    ('{{printf "%-5s|%5d|%v|%q|%s" "ab" 7 .kind "x" 3}}', 'ab   |    7|List|"x"|%!s(int=3)'),
    ('{{printf "%d" (index .items 0).spec.replicas}}', "%!d(float64=3)"),
    ('{{printf "%.1f" (index .items 0).spec.replicas}}', "3.0"),
    ('{{printf "%s %s" "a"}}', "a %!s(MISSING)"),
    ("{{len .items}}", "2"),
    ('{{if eq .kind "List"}}yes{{else}}no{{end}}', "yes"),
    ('{{if eq .kind "X"}}1{{else if eq .kind "List"}}2{{else}}3{{end}}', "2"),
    ('{{if ne .kind "List"}}1{{else}}2{{end}}', "2"),
    ('{{if and .kind (not .nope)}}ok{{end}}', "ok"),
    ("{{and 1 0}} {{or 0 \"z\"}} {{not true}}", "0 z false"),
    ("{{with .items}}{{len .}}{{end}}", "2"),
    ("{{with .nope}}x{{else}}none{{end}}", "none"),
    ("{{.missing}}", "<no value>"),
    ("{{.missing.deeper}}", "<no value>"),
    ("{{(index .items 0).status.x}}", "<no value>"),
    ("{{(index .items 0).metadata}}", "map[labels:map[app:web] name:a]"),
    ("{{$x := .kind}}{{$x}}", "List"),
    ('{{$x := "a"}}{{$x = "b"}}{{$x}}', "b"),
    ("{{range .items}}{{$.kind}}{{end}}", "ListList"),
    ('{{.kind | printf "%s!"}}', "List!"),
    ('{{index (index .items 0).metadata.labels "app"}}', "web"),
    ('{{index .items 1 | printf "%v"}}', "map[metadata:map[name:b] spec:map[containers:[] replicas:1]]"),
    ('{{print 1 2 "a" 3}}', "1 2a3"),
    ('{{println "a" 1}}', "a 1\n"),
    ("{{/* comment */}}x", "x"),
    ('{{- " a " -}}  \n  {{"b"}}', " a b"),
    ("a  {{- .kind}}", "aList"),
    ('{{range .items}}{{if eq .metadata.name "a"}}{{continue}}{{end}}{{.metadata.name}}{{end}}', "b"),
    ('{{range .items}}{{.metadata.name}}{{break}}{{end}}', "a"),
    ('{{exists . "items"}} {{exists . "nope"}}', "true false"),
    ('{{"aGVsbG8=" | base64decode}}', "hello"),
    ('{{`raw\\n`}}', "raw\\n"),
    ("{{1.5}} {{0x10}} {{'a'}}", "1.5 16 97"),
])
def test_execute(template, out):
    assert compile(template).execute(DATA) == out


@pytest.mark.parametrize("template, message", [
    ("{{.missing}}",
     'template: output:1:2: executing "output" at <.missing>: map has no entry for key "missing"'),
    ("x\n{{range .items}}{{.metadata.labels.app}}{{end}}",
     'template: output:2:18: executing "output" at <.metadata.labels.app>: '
     'map has no entry for key "labels"'),
])
def test_missing_key_error(template, message):
    assert compile(template).execute(DATA) != ""
    with pytest.raises(TemplateError) as err:
        compile(template).execute(DATA, allow_missing=False)
    assert str(err.value) == message


@pytest.mark.parametrize("template, message", [
    ("{{eq (index .items 0).spec.replicas 3}}",
     'template: output:1:2: executing "output" at <eq (index .items 0).spec.replicas 3>: '
     "error calling eq: incompatible types for comparison"),
    ("{{.kind.foo}}",
     'template: output:1:2: executing "output" at <.kind.foo>: can\'t evaluate field foo in type interface {}'),
    ("{{(index .items 0).status.x.y}}",
     'template: output:1:2: executing "output" at <(index .items 0).status.x.y>: '
     "nil pointer evaluating interface {}.y"),
    ("{{$nope}}", 'template: output:1:2: executing "output" at <$nope>: undefined variable: $nope'),
])
def test_execution_errors(template, message):
    with pytest.raises(TemplateError) as err:
        compile(template).execute(DATA)
    assert str(err.value) == message


@pytest.mark.parametrize("template, message", [
    ("{{.kind", "template: output:1: unclosed action"),
    ("{{foo}}", 'template: output:1: function "foo" not defined'),
    ("{{if .x}}", "template: output:1: unexpected EOF"),
    ("{{end}}", "template: output:1: unexpected {{end}}"),
    ("{{.a ~}}", "template: output:1: unrecognized character in action: U+007E '~'"),
])
def test_parse_errors(template, message):
    with pytest.raises(TemplateError) as err:
        compile(template)
    assert str(err.value) == message
