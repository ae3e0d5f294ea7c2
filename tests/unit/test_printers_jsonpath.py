"""kubectl JSONPath (client-go util/jsonpath) behaviour."""

import pytest

from pkubectl.printers.jsonpath import JSONPathError, compile, go_json, go_sprint

LIST = {"kind": "List", "apiVersion": "v1", "items": [
    {"metadata": {"name": "a", "labels": {"app": "web", "pod-template-hash": "x1"},
                  "annotations": {"example.com/k": "v"}},
     "spec": {"replicas": 3, "containers": [{"name": "c1", "image": "busybox"},
                                            {"name": "c2", "image": "redis:7"}]},
     "status": {"phase": "Running", "ready": True}},
    {"metadata": {"name": "b", "labels": {"app": "db"}},
     "spec": {"replicas": 1, "containers": [{"name": "c3", "image": "nginx"}]},
     "status": {"phase": "Pending", "ready": False, "x": None}},
]}


@pytest.mark.parametrize("template, out", [
    ("{.kind}", "List"),
    ("{$.kind}", "List"),
    ("{.items[*].metadata.name}", "a b"),
    ("{.items[0].metadata.name}", "a"),
    ("{.items[-1].metadata.name}", "b"),
    ("{.items[0:1].metadata.name}", "a"),
    ("{.items[0:2:2].metadata.name}", "a"),
    ("{.items[1:].metadata.name}", "b"),
    ("{.items[0].metadata.labels}", '{"app":"web","pod-template-hash":"x1"}'),
    ("{.items[0].spec.containers[0]}", '{"image":"busybox","name":"c1"}'),
    ("{.items[0].metadata.labels.pod-template-hash}", "x1"),
    ("{.items[0].metadata.labels['pod-template-hash']}", "x1"),
    # client-go re-parses ['k'] as .k, so dots inside still split unless escaped.
    ("{.items[0].metadata.annotations['example\\.com/k']}", "v"),
    ("{.items[0].metadata.annotations.example\\.com/k}", "v"),
    ("{.items[0].metadata.annotations['example.com/k']}", ""),
    ("{.items[0].metadata['name','labels']}", 'a {"app":"web","pod-template-hash":"x1"}'),
    ("{.items[*].spec.containers[*].image}", "busybox redis:7 nginx"),
    ("{..image}", "busybox redis:7 nginx"),
    ("{.items[*].spec.replicas}", "3 1"),
    ("{.items[*].status.ready}", "true false"),
    ("{.items[1].status.x}", "null"),
    ('{.items[?(@.status.phase=="Running")].metadata.name}', "a"),
    ("{.items[?(@.status.phase!='Running')].metadata.name}", "b"),
    ("{.items[?(@.spec.replicas>1)].metadata.name}", "a"),
    ("{.items[?(@.spec.replicas<=1)].metadata.name}", "b"),
    ("{.items[?(@.status.ready==true)].metadata.name}", "a"),
    ("{.items[?(@.status.x)].metadata.name}", "b"),
    ("{.items[?(@.metadata.annotations)].metadata.name}", "a"),
    ('{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}', "a\tRunning\nb\tPending\n"),
    ("{range .items[*]}[{range .spec.containers[*]}{.name},{end}]{end}", "[c1,c2,][c3,]"),
    ("{range .items[?(@.spec.replicas>5)]}{.metadata.name}{end}done", "done"),
    ("name: {.items[1].metadata.name}!", "name: b!"),
    ("{.items[*].metadata.labels.*}", "web x1 db"),
    ("{.nope}", ""),
    ("{.items[*].nope}", ""),
    ("'{.kind}'", "'List'"),
    ("plain text", "plain text"),
])
def test_execute(template, out):
    assert compile(template).execute(LIST) == out


@pytest.mark.parametrize("template, message", [
    ("{.items[", "unterminated array"),
    ('{.items[?(@.name=~"x")]}', "unrecognized character in action: U+007E '~'"),
    ("{.a", "unclosed action"),
    ("{.items[x]}", "invalid array index x"),
    ("{.a....b}", "invalid multiple recursive descent"),
    ("{.items[?(@.a==1]}", "unterminated filter"),
    ('{"abc}', "unterminated quoted string"),
    ("{.a,.b}", "unrecognized character in action: U+002C ','"),
])
def test_parse_errors(template, message):
    with pytest.raises(JSONPathError) as err:
        compile(template)
    assert str(err.value) == message


@pytest.mark.parametrize("template, message", [
    ("{.metadata.nope}", "metadata is not found"),
    ("{.items[0].metadata.nope}", "nope is not found"),
])
def test_missing_keys_are_errors_when_not_allowed(template, message):
    with pytest.raises(JSONPathError) as err:
        compile(template).execute(LIST, allow_missing=False)
    assert str(err.value) == message


@pytest.mark.parametrize("template, message", [
    ("{.items[5]}", "array index out of bounds: index 5, length 2"),
    ("{.items[0:9]}", "array index out of bounds: index 8, length 2"),
    ("{.kind[0]}", "string is not array or slice"),
    ("{end}", "not in range, nothing to end"),
    ("{.items[::0]}", "step must be > 0"),
    ("{.items[?(@.spec.replicas>1.5)]}", "incompatible types for comparison"),
])
def test_execution_errors(template, message):
    with pytest.raises(JSONPathError) as err:
        compile(template).execute(LIST)
    assert str(err.value) == message


def test_empty_list_index_is_an_error_like_kubectl():
    with pytest.raises(JSONPathError, match="array index out of bounds: index 0, length 0"):
        compile("{.items[0].metadata.name}").execute({"items": []})


def test_jsonpath_as_json():
    assert compile("{.items[*].metadata.name}").execute_as_json(LIST) == (
        '[\n    "a",\n    "b"\n]\n')
    assert compile("{.items[0].spec.containers[0]}").execute_as_json(LIST) == (
        '[\n    {\n        "image": "busybox",\n        "name": "c1"\n    }\n]\n')
    assert compile("{.nope}").execute_as_json(LIST) == "[]\n"


def test_go_json_escapes_and_numbers():
    assert go_json({"b": "<a&b>", "a": [1, 2.5, 1e-7, 2.0, None, True]}) == (
        '{"a":[1,2.5,1e-7,2,null,true],"b":"\\u003ca\\u0026b\\u003e"}')
    assert go_json({}, "    ") == "{}"


def test_go_sprint():
    assert go_sprint({"a": 5, "b": {"c": [1, "x"]}}) == "map[a:5 b:map[c:[1 x]]]"
    assert go_sprint(None) == "<nil>"
    assert go_sprint(1e6) == "1e+06"
