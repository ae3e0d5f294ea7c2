"""Label and field selectors: parsing, printing, matching, Kubernetes error texts."""

import pytest

from pkubectl.api.selectors import (
    FieldSelector,
    SelectorError,
    field_value,
    format_label_selector,
    from_label_selector,
    label_selector_matches_template,
    parse_field_selector,
    parse_label_selector,
    selector_from_set,
)


@pytest.mark.parametrize("text,labels,expected", [
    ("app=web", {"app": "web"}, True),
    ("app=web", {"app": "db"}, False),
    ("app==web", {"app": "web"}, True),
    ("app!=web", {"app": "db"}, True),
    ("app!=web", {}, True),                        # != matches a missing key
    ("app!=web", {"app": "web"}, False),
    ("env in (prod,dev)", {"env": "dev"}, True),
    ("env in (prod,dev)", {}, False),
    ("env notin (prod,dev)", {}, True),            # notin matches a missing key
    ("env notin (prod,dev)", {"env": "prod"}, False),
    ("app", {"app": ""}, True),
    ("app", {}, False),
    ("!app", {}, True),
    ("!app", {"app": "x"}, False),
    ("n>5", {"n": "6"}, True),
    ("n>5", {"n": "5"}, False),
    ("n<5", {"n": "4"}, True),
    ("n<5", {"n": "x"}, False),
    ("n<5", {}, False),
    ("a=1,b=2", {"a": "1", "b": "2"}, True),       # comma is AND
    ("a=1,b=2", {"a": "1"}, False),
    ("", {"anything": "x"}, True),                 # empty selects everything
    ("a=", {"a": ""}, True),
    ("x in (,a)", {"x": ""}, True),
])
def test_label_selector_matches(text, labels, expected):
    assert parse_label_selector(text).matches(labels) is expected


@pytest.mark.parametrize("text,printed", [
    ("b=2,a=1", "a=1,b=2"),                        # sorted by key
    ("z in (y,x),a", "a,z in (x,y)"),              # values sorted, exists printed bare
    ("!c, b!=3", "b!=3,!c"),
    ("k==v", "k==v"),
    ("k>5", "k>5"),
    ("x notin ()", "x notin ()"),
    ("  app = web  ", "app=web"),
    ("in in (in)", "in in (in)"),                   # keywords are identifiers in value position
    ("", ""),
])
def test_label_selector_string(text, printed):
    assert str(parse_label_selector(text)) == printed


@pytest.mark.parametrize("text,message", [
    ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("a=b=c", "found '=', expected: ',' or 'end of string'"),
    ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
    ("!a=b", "found '=', expected: ',' or 'end of string'"),
    ("a,", "found '', expected: identifier after ','"),
    (",a", "found ',', expected: !, identifier, or 'end of string'"),
    ("a>b", "unable to parse requirement: values[0]: Invalid value: \"b\": "
            "for 'Gt', 'Lt' operators, the value must be an integer"),
])
def test_label_selector_errors(text, message):
    with pytest.raises(SelectorError) as e:
        parse_label_selector(text)
    assert str(e.value) == message


def test_label_selector_invalid_key_and_value_messages():
    with pytest.raises(SelectorError) as e:
        parse_label_selector("-x=y")
    assert str(e.value).startswith('unable to parse requirement: <nil>: Invalid value: "-x": name part must consist of')
    with pytest.raises(SelectorError) as e:
        parse_label_selector("a=-b")
    assert str(e.value).startswith('unable to parse requirement: values[0][a]: Invalid value: "-b": a valid label must be')
    with pytest.raises(SelectorError) as e:
        parse_label_selector("a=" + "x" * 64)
    assert "must be no more than 63 characters" in str(e.value)
    assert str(parse_label_selector("example.com/app=x")) == "example.com/app=x"


def test_requires_exact_match():
    sel = parse_label_selector("app=web,tier in (a)")
    assert sel.requires_exact_match("app") == "web"
    assert sel.requires_exact_match("tier") == "a"
    assert sel.requires_exact_match("other") is None


def test_from_label_selector():
    sel = from_label_selector({
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["b", "a"]},
            {"key": "env", "operator": "NotIn", "values": ["prod"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "team", "operator": "Exists"},
        ],
    })
    assert str(sel) == "app=web,!canary,env notin (prod),team,tier in (a,b)"
    assert sel.matches({"app": "web", "tier": "a", "team": "x"})
    assert not sel.matches({"app": "web", "tier": "a", "team": "x", "canary": "1"})
    assert not sel.matches({"app": "web", "tier": "c", "team": "x"})


def test_from_label_selector_empty_and_none():
    assert from_label_selector({}).matches({"a": "b"})
    assert from_label_selector({}).empty()
    assert not from_label_selector(None).matches({})
    assert format_label_selector({}) == "<none>"
    assert format_label_selector({"matchLabels": {"app": "x"}}) == "app=x"


def test_from_label_selector_errors():
    with pytest.raises(SelectorError) as e:
        from_label_selector({"matchExpressions": [{"key": "a", "operator": "Bogus"}]})
    assert str(e.value) == '"Bogus" is not a valid label selector operator'
    with pytest.raises(SelectorError) as e:
        from_label_selector({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})
    assert str(e.value) == ("values: Invalid value: []string{}: for 'in', 'notin' operators, "
                            "values set can't be empty")
    assert format_label_selector({"matchExpressions": [{"key": "a", "operator": "In"}]}) == "<error>"


def test_selector_from_set_and_template_match():
    assert str(selector_from_set({"b": "2", "a": "1"})) == "a=1,b=2"
    assert selector_from_set({}).matches({"x": "y"})
    assert label_selector_matches_template({"matchLabels": {"app": "web"}}, {"app": "web", "x": "y"})
    assert not label_selector_matches_template({"matchLabels": {"app": "web"}}, {"app": "db"})
    assert not label_selector_matches_template({}, {"app": "web"})  # empty selector is invalid
    assert not label_selector_matches_template({"matchExpressions": [{"key": "a", "operator": "X"}]}, {"a": "1"})


# -- field selectors -----------------------------------------------------------

POD = {
    "kind": "Pod",
    "metadata": {"name": "web-1", "namespace": "default"},
    "spec": {"nodeName": "node-1", "restartPolicy": "Always", "hostNetwork": False},
    "status": {"phase": "Running", "podIP": "10.0.0.5"},
}


@pytest.mark.parametrize("text,expected", [
    ("status.phase=Running", True),
    ("status.phase==Running", True),
    ("status.phase!=Running", False),
    ("metadata.name=web-1,metadata.namespace=default", True),
    ("metadata.name=web-1,status.phase=Pending", False),
    ("spec.nodeName=node-1", True),
    ("spec.hostNetwork=false", True),
    ("spec.schedulerName=", True),          # unset compares as ''
    ("status.podIP=10.0.0.5", True),
    ("", True),
])
def test_field_selector_matches_pod(text, expected):
    fs = parse_field_selector(text)
    fs.validate_for_kind("Pod")
    assert fs.matches(POD) is expected


def test_field_selector_string_sorted_and_escaped():
    fs = parse_field_selector("status.phase!=Running,metadata.name=a\\,b")
    assert str(fs) == "metadata.name=a\\,b,status.phase!=Running"
    assert fs.matches({"kind": "Pod", "metadata": {"name": "a,b"}, "status": {"phase": "Pending"}})
    assert fs.requires_exact_match("metadata.name") == "a,b"


def test_field_selector_errors():
    with pytest.raises(SelectorError) as e:
        parse_field_selector("status.phase")
    assert str(e.value) == "invalid selector: 'status.phase'; can't understand 'status.phase'"
    with pytest.raises(SelectorError) as e:
        parse_field_selector("a=b=c")
    assert str(e.value) == "invalid field selector: unescaped character in value: ="


@pytest.mark.parametrize("kind,field", [
    ("Node", "spec.unschedulable"),
    ("Event", "involvedObject.name"),
    ("Event", "reason"),
    ("Event", "source"),
    ("Secret", "type"),
    ("Namespace", "status.phase"),
    ("ReplicaSet", "status.replicas"),
    ("Job", "status.successful"),
    ("Service", "spec.clusterIP"),
    ("Service", "spec.type"),
    ("ConfigMap", "metadata.name"),
    ("pods", "spec.nodeName"),
])
def test_supported_field_labels(kind, field):
    parse_field_selector(f"{field}=x").validate_for_kind(kind)


@pytest.mark.parametrize("kind,field", [
    ("Pod", "spec.containers"),
    ("ConfigMap", "data.a"),
    ("Service", "status.phase"),
    ("Deployment", "status.replicas"),
])
def test_unsupported_field_labels(kind, field):
    with pytest.raises(SelectorError) as e:
        parse_field_selector(f"{field}=x").validate_for_kind(kind)
    assert str(e.value) == f"field label not supported: {field}"


def test_field_values_by_type():
    node = {"kind": "Node", "metadata": {"name": "n"}, "spec": {}}
    assert field_value(node, "spec.unschedulable") == "false"
    assert parse_field_selector("spec.unschedulable=true").matches(
        {"kind": "Node", "metadata": {"name": "n"}, "spec": {"unschedulable": True}})
    rs = {"kind": "ReplicaSet", "metadata": {"name": "r"}, "status": {"replicas": 3}}
    assert parse_field_selector("status.replicas=3").matches(rs)
    assert field_value({"kind": "ReplicaSet", "metadata": {}}, "status.replicas") == "0"
    ev = {"kind": "Event", "metadata": {"name": "e"}, "source": {"component": "kubelet"},
          "involvedObject": {"kind": "Pod", "name": "web"}, "type": "Normal"}
    assert parse_field_selector("source=kubelet,involvedObject.kind=Pod,type=Normal").matches(ev)
    assert field_value({"kind": "Namespace", "metadata": {"name": "x"}}, "metadata.namespace") == ""
    assert FieldSelector().empty()
