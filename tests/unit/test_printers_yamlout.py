"""yamlout.dump against kubectl -o yaml (go-yaml v2) output."""

import pytest

from pkubectl.printers.yamlout import dump, format_g, go_float


def test_create_deployment_dry_run_output():
    # `kubectl create deployment web --image=nginx --dry-run=client -o yaml`
    obj = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"creationTimestamp": None, "labels": {"app": "web"}, "name": "web"},
        "spec": {
            "replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "strategy": {},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": {"app": "web"}},
                "spec": {"containers": [{"image": "nginx", "name": "nginx", "resources": {}}]},
            },
        },
        "status": {},
    }
    assert dump(obj) == """\
apiVersion: apps/v1
kind: Deployment
metadata:
  creationTimestamp: null
  labels:
    app: web
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: nginx
        name: nginx
        resources: {}
status: {}
"""


def test_lists_nested_and_empty():
    obj = {"items": [{"a": 1, "b": [1, 2]}, "x", [], {}, ["p", "q"]], "kind": "List",
           "metadata": {"resourceVersion": ""}}
    assert dump(obj) == """\
items:
- a: 1
  b:
  - 1
  - 2
- x
- []
- {}
- - p
  - q
kind: List
metadata:
  resourceVersion: ""
"""


@pytest.mark.parametrize("value, text", [
    ("true", '"true"'), ("False", '"False"'), ("y", '"y"'), ("n", '"n"'), ("yes", '"yes"'),
    ("off", '"off"'), ("ON", '"ON"'), ("~", '"~"'), ("null", '"null"'), ("", '""'),
    ("123", '"123"'), ("-5", '"-5"'), ("1.5", '"1.5"'), (".5", '".5"'), ("1e3", '"1e3"'),
    ("0x1f", '"0x1f"'), ("0o17", '"0o17"'), ("0755", '"0755"'), ("1_000", '"1_000"'),
    ("0b101", '"0b101"'), (".inf", '".inf"'), ("-.Inf", '"-.Inf"'), (".nan", '".nan"'),
    ("2024-01-01T00:00:00Z", '"2024-01-01T00:00:00Z"'), ("2024-01-01", '"2024-01-01"'),
    ("2024-1-2 3:04:05", '"2024-1-2 3:04:05"'), ("1:20", '"1:20"'), ("190:20:30", '"190:20:30"'),
    # Look like those but read back as strings: stay plain.
    ("2024-02-30", "2024-02-30"), ("1.2.3", "1.2.3"), ("0xZZ", "0xZZ"), ("8080:80", "8080:80"),
    ("yesno", "yesno"), ("nginx:1.25", "nginx:1.25"), ("10.244.0.5", "10.244.0.5"),
    ("100m", "100m"), ("1Gi", "1Gi"), ("<<", "<<"), ("a-b_c.d/e", "a-b_c.d/e"),
    ("http://x:80/p?q=1#f", "http://x:80/p?q=1#f"), ("+", "+"), ("-", "'-'"),
    # Indicators and ": " / " #": single quotes, quotes doubled inside.
    ("*star", "'*star'"), ("&a", "'&a'"), ("!x", "'!x'"), ("|p", "'|p'"), (">f", "'>f'"),
    ("'q'", "'''q'''"), ('"d"', "'\"d\"'"), ("%p", "'%p'"), ("@a", "'@a'"), ("`b", "'`b'"),
    ("- x", "'- x'"), ("-x", "-x"), ("? q", "'? q'"), (":a", ":a"), (": a", "': a'"),
    ("[a]", "'[a]'"), ("{a}", "'{a}'"), ("#c", "'#c'"), (",x", "',x'"), ("a: b", "'a: b'"),
    ("a:", "'a:'"), ("a:b", "a:b"), ("x #y", "'x #y'"), ("x#y", "x#y"), ("---", "'---'"),
    ("...x", "'...x'"), (" lead", "' lead'"), ("trail ", "'trail '"), ("it's", "it's"),
    # Characters YAML cannot show plainly: double quotes with Go escapes.
    ("tab\there", '"tab\\there"'), ("bell\x07", '"bell\\a"'), ("del\x7f", '"del\\x7F"'),
    ("emoji 😀", '"emoji \\U0001F600"'), ("bom\ufeff", '"bom\\uFEFF"'), ("cr\r", '"cr\\r"'),
    ("é ü", "é ü"), ("nbsp\xa0x", "nbsp\xa0x"),
])
def test_scalar_quoting(value, text):
    assert dump({"k": value}) == f"k: {text}\n"


@pytest.mark.parametrize("value, text", [
    ("a\nb\n", "|\n  a\n  b\n"), ("a\nb", "|-\n  a\n  b\n"), ("a\n\n", "|+\n  a\n\n"),
    ("\n", "|2+\n\n"), ("  indented\nx", "|2-\n    indented\n  x\n"), ("a\n\nb", "|-\n  a\n\n  b\n"),
    # Literal blocks are impossible with trailing spaces on a line or tabs.
    ("a \nb", '"a \\nb"\n'), ("a\tb\nc", '"a\\tb\\nc"\n'), ("a\nb ", '"a\\nb "\n'),
])
def test_multiline_strings(value, text):
    assert dump({"k": value}) == f"k: {text}"


def test_multiline_nested_indent():
    assert dump({"data": {"script.sh": "#!/bin/sh\necho hi\n"}}) == (
        "data:\n  script.sh: |\n    #!/bin/sh\n    echo hi\n")
    assert dump({"args": ["x\ny"]}) == "args:\n- |-\n  x\n  y\n"


def test_long_plain_string_folds_after_column_80():
    words = "The quick brown fox jumps over the lazy dog and keeps running far away from here"
    assert dump({"metadata": {"annotations": {"description": words + " again"}}}) == (
        "metadata:\n"
        "  annotations:\n"
        "    description: The quick brown fox jumps over the lazy dog and keeps running far\n"
        "      away from here again\n"
    )


def test_long_single_and_double_quoted_strings_fold():
    s = "*" + "word " * 20 + "end"
    assert dump({"k": s}) == (
        # Folding happens at the first space found past column 80 (libyaml rule).
        "k: '*word word word word word word word word word word word word word word word word\n"
        "  word word word word end'\n")
    d = "tab\t" + "word " * 20 + "end"
    assert dump({"k": d}) == (
        'k: "tab\\tword word word word word word word word word word word word word word word\n'
        '  word word word word word end"\n')


def test_long_string_without_spaces_never_folds():
    s = "x" * 200
    assert dump({"k": s}) == f"k: {s}\n"


def test_keys_sort_like_go_yaml():
    # Digit runs compare as numbers; non-letters sort before letters; case by code point.
    obj = {k: 1 for k in ["b", "a10", "a9", "a", "B", "_x", "a-b", "ab", "a.b", "x2y", "x10y"]}
    assert [line.split(":")[0] for line in dump(obj).splitlines()] == [
        "_x", "B", "a", "a-b", "a.b", "a9", "a10", "ab", "b", "x2y", "x10y"]


def test_keys_are_quoted_like_values():
    assert dump({"y": 1, "n": 2, "on": 3, "": 4, "a: b": 5, "123": 6}) == (
        '"": 4\n"123": 6\n\'a: b\': 5\n"n": 2\n"on": 3\n"y": 1\n')


def test_numbers_bools_null():
    assert dump({"i": 3, "neg": -7, "f": 1.5, "big": 1e21, "tiny": 1e-7, "whole": 2.0,
                 "t": True, "fa": False, "z": None}) == (
        "big: 1e+21\nf: 1.5\nfa: false\ni: 3\nneg: -7\nt: true\ntiny: 1e-07\nwhole: 2\nz: null\n")


def test_root_values():
    assert dump({}) == "{}\n"
    assert dump([]) == "[]\n"
    assert dump([1, "a"]) == "- 1\n- a\n"


@pytest.mark.parametrize("x, text", [
    (1.5, "1.5"), (0.0001, "0.0001"), (0.00001, "1e-05"), (123456.7, "123456.7"),
    (1234567.5, "1.2345675e+06"), (1e21, "1e+21"), (-2.5, "-2.5"), (100.0, "100"), (3e20, "3e+20"),
])
def test_go_float(x, text):
    assert go_float(x) == text


def test_format_g_is_go_percent_v():
    assert format_g(1000000.0) == "1e+06"
    assert format_g(3.0) == "3"
    assert format_g(0.1) == "0.1"


def test_many_pods_fast():
    import time
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "web", "labels": {"app": "web"}, "uid": "u"},
           "spec": {"containers": [{"name": "c", "image": "nginx:1.25",
                                    "ports": [{"containerPort": 80}]}]},
           "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    items = [dict(pod, metadata=dict(pod["metadata"], name=f"web-{i}")) for i in range(1000)]
    start = time.perf_counter()
    out = dump({"items": items})
    assert time.perf_counter() - start < 2.0
    assert out.count("- apiVersion: v1\n") == 1000
