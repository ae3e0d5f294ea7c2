"""JSON merge patch, JSON patch, strategic merge patch and the kubectl apply three-way patch."""

import copy

import pytest

from pkubectl.api.merge import (
    JSONPatchError,
    MergeError,
    create_json_merge_patch,
    deep_equal,
    json_merge_patch,
    json_patch,
    strategic_merge_patch,
    three_way_apply,
    two_way_merge_patch,
)

# -- helpers -----------------------------------------------------------------


def apply(original, modified, live, kind):
    """Run a kubectl-style apply; returns (patch, new live object)."""
    patch = three_way_apply(original, modified, live, kind)
    return patch, strategic_merge_patch(live, patch, kind)


def deployment(containers, **spec):
    d = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": containers}}},
    }
    d["spec"].update(spec)
    return d


def server_defaults(obj):
    """What the API server would add: defaults the user never wrote."""
    live = copy.deepcopy(obj)
    spec = live["spec"]
    spec.setdefault("replicas", 1)
    spec.setdefault("strategy", {"type": "RollingUpdate",
                                 "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    pod = spec["template"]["spec"]
    pod.setdefault("restartPolicy", "Always")
    for c in pod["containers"]:
        c.setdefault("imagePullPolicy", "IfNotPresent")
        c.setdefault("terminationMessagePath", "/dev/termination-log")
    live["metadata"]["uid"] = "u-1"
    live["status"] = {"replicas": 1}
    return live


# -- deep_equal ---------------------------------------------------------------


def test_deep_equal_is_json_equality():
    assert deep_equal({"a": [1, {"b": 2.0}]}, {"a": [1, {"b": 2}]})
    assert not deep_equal({"a": True}, {"a": 1})
    assert not deep_equal([1, 2], [2, 1])
    assert not deep_equal({"a": None}, {})


# -- RFC 7386 -----------------------------------------------------------------


def test_json_merge_patch_rfc7386_examples():
    target = {"a": "b", "c": {"d": "e", "f": "g"}}
    patch = {"a": "z", "c": {"f": None}}
    assert json_merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}}
    assert target == {"a": "b", "c": {"d": "e", "f": "g"}}  # not mutated
    assert json_merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}  # lists replaced
    assert json_merge_patch({"a": "b"}, ["c"]) == ["c"]
    assert json_merge_patch({"a": "foo"}, None) is None
    assert json_merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert json_merge_patch([1, 2], {"a": "b", "c": None}) == {"a": "b"}
    assert json_merge_patch({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}


def test_create_json_merge_patch_round_trips():
    a = {"a": 1, "b": {"c": 2, "d": 3}, "l": [1]}
    b = {"a": 1, "b": {"c": 5}, "l": [1, 2], "n": "x"}
    patch = create_json_merge_patch(a, b)
    assert patch == {"b": {"c": 5, "d": None}, "l": [1, 2], "n": "x"}
    assert json_merge_patch(a, patch) == b
    assert create_json_merge_patch(a, a) == {}


# -- RFC 6902 -----------------------------------------------------------------


def test_json_patch_operations():
    doc = {"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1, 2, 3]}}
    out = json_patch(doc, [
        {"op": "add", "path": "/metadata/labels/b", "value": "2"},
        {"op": "replace", "path": "/metadata/labels/a", "value": "x"},
        {"op": "remove", "path": "/spec/list/0"},
        {"op": "add", "path": "/spec/list/-", "value": 4},
        {"op": "add", "path": "/spec/list/0", "value": 0},
        {"op": "copy", "from": "/metadata/labels", "path": "/spec/copied"},
        {"op": "move", "from": "/spec/copied/b", "path": "/spec/moved"},
        {"op": "test", "path": "/spec/moved", "value": "2"},
    ])
    assert out == {"metadata": {"labels": {"a": "x", "b": "2"}},
                   "spec": {"list": [0, 2, 3, 4], "copied": {"a": "x"}, "moved": "2"}}
    assert doc == {"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1, 2, 3]}}


def test_json_patch_escapes_and_root():
    doc = {"metadata": {"annotations": {}}}
    out = json_patch(doc, [{"op": "add", "path": "/metadata/annotations/example.com~1x~0y", "value": "v"}])
    assert out["metadata"]["annotations"] == {"example.com/x~y": "v"}
    assert json_patch(doc, [{"op": "replace", "path": "", "value": {"new": 1}}]) == {"new": 1}


@pytest.mark.parametrize("ops,fragment", [
    ([{"op": "remove", "path": "/metadata/labels/x"}], "Unable to remove nonexistent key: x"),
    ([{"op": "replace", "path": "/spec/x", "value": 1}], "replace operation does not apply: doc is missing key: /spec/x"),
    ([{"op": "add", "path": "/nope/deeper", "value": 1}], 'add operation does not apply: doc is missing path: "/nope/deeper"'),
    ([{"op": "test", "path": "/spec/replicas", "value": 2}], "testing value /spec/replicas failed: test failed"),
    ([{"op": "add", "path": "/spec/list/9", "value": 1}], "invalid index"),
    ([{"op": "bogus", "path": "/a"}], "Unexpected kind: bogus"),
    ([{"op": "add", "path": "/a"}], "missing value"),
    ([{"op": "move", "from": "/spec", "path": "/spec/list/x"}], "cannot move"),
    ({"op": "add"}, "list of operations"),
])
def test_json_patch_errors(ops, fragment):
    doc = {"metadata": {"labels": {}}, "spec": {"replicas": 1, "list": [1]}}
    with pytest.raises(JSONPatchError) as e:
        json_patch(doc, ops)
    assert fragment in str(e.value)


# -- strategic merge patch ------------------------------------------------------


def test_smp_merges_containers_by_name_and_env_by_name():
    live = deployment([{"name": "a", "image": "nginx:1", "env": [{"name": "X", "value": "1"}]},
                       {"name": "b", "image": "redis"}])
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "a", "image": "nginx:2", "env": [{"name": "Y", "value": "2"}]}]}}}}
    out = strategic_merge_patch(live, patch, "Deployment")
    cs = out["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in cs] == ["a", "b"]
    assert cs[0]["image"] == "nginx:2"
    # Without $setElementOrder, elements only in the patch go first (as in the kubectl
    # patch docs example, where the added container is listed before the old one).
    assert cs[0]["env"] == [{"name": "Y", "value": "2"}, {"name": "X", "value": "1"}]
    assert cs[1] == {"name": "b", "image": "redis"}
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"  # pure


def test_smp_pod_lists_by_merge_key():
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "c", "image": "i",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "volumeMounts": [{"name": "v", "mountPath": "/a"}]}],
        "volumes": [{"name": "v", "emptyDir": {}}],
        "tolerations": [{"key": "a", "operator": "Exists"}],
        "hostAliases": [{"ip": "1.2.3.4", "hostnames": ["a"]}],
    }}
    patch = {"spec": {
        "containers": [{"name": "c", "ports": [{"containerPort": 443}],
                        "volumeMounts": [{"name": "w", "mountPath": "/b"}]}],
        "volumes": [{"name": "w", "emptyDir": {}}],
        "tolerations": [{"key": "b", "operator": "Exists"}],
        "hostAliases": [{"ip": "5.6.7.8", "hostnames": ["b"]}],
    }}
    out = strategic_merge_patch(pod, patch, "Pod")["spec"]
    c = out["containers"][0]
    assert [p["containerPort"] for p in c["ports"]] == [443, 80]
    assert [m["mountPath"] for m in c["volumeMounts"]] == ["/b", "/a"]
    assert [v["name"] for v in out["volumes"]] == ["w", "v"]
    assert out["tolerations"] == [{"key": "b", "operator": "Exists"}]  # atomic: replaced
    assert [h["ip"] for h in out["hostAliases"]] == ["5.6.7.8", "1.2.3.4"]


def test_smp_service_ports_by_port_and_plain_lists_replaced():
    svc = {"kind": "Service", "metadata": {"name": "s"},
           "spec": {"ports": [{"port": 80, "targetPort": 8080}], "externalIPs": ["1.1.1.1"]}}
    out = strategic_merge_patch(svc, {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 443}],
                                               "externalIPs": ["2.2.2.2"]}}, "Service")
    assert out["spec"]["ports"] == [{"port": 80, "targetPort": 9090}, {"port": 443}]
    assert out["spec"]["externalIPs"] == ["2.2.2.2"]


def test_smp_envfrom_is_atomic_and_null_deletes():
    pod = {"kind": "Pod", "metadata": {"name": "p", "labels": {"a": "1", "b": "2"}}, "spec": {
        "containers": [{"name": "c", "envFrom": [{"configMapRef": {"name": "x"}}]}]}}
    out = strategic_merge_patch(pod, {"metadata": {"labels": {"a": None, "zz": None}}, "spec": {
        "containers": [{"name": "c", "envFrom": [{"secretRef": {"name": "y"}}]}]}}, "Pod")
    assert out["metadata"]["labels"] == {"b": "2"}  # unmatched null does not appear
    assert out["spec"]["containers"][0]["envFrom"] == [{"secretRef": {"name": "y"}}]


def test_smp_patch_delete_and_replace_directives():
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}],
        "securityContext": {"runAsUser": 1, "fsGroup": 2}}}
    out = strategic_merge_patch(pod, {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}, "Pod")
    assert out["spec"]["containers"] == [{"name": "b", "image": "y"}]
    out = strategic_merge_patch(pod, {"spec": {"containers": [{"name": "z", "image": "q"},
                                                              {"$patch": "replace"}]}}, "Pod")
    assert out["spec"]["containers"] == [{"name": "z", "image": "q"}]
    out = strategic_merge_patch(pod, {"spec": {"securityContext": {"runAsGroup": 3, "$patch": "replace"}}}, "Pod")
    assert out["spec"]["securityContext"] == {"runAsGroup": 3}
    out = strategic_merge_patch(pod, {"spec": {"securityContext": {"$patch": "delete"}}}, "Pod")
    assert out["spec"]["securityContext"] == {}
    with pytest.raises(MergeError):
        strategic_merge_patch(pod, {"spec": {"securityContext": {"$patch": "bogus"}}}, "Pod")


def test_smp_delete_from_primitive_list_and_finalizers_merge():
    obj = {"kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["a", "b"]}}
    out = strategic_merge_patch(obj, {"metadata": {"finalizers": ["c"]}}, "ConfigMap")
    assert out["metadata"]["finalizers"] == ["c", "a", "b"]
    out = strategic_merge_patch(obj, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, "ConfigMap")
    assert out["metadata"]["finalizers"] == ["b"]


def test_smp_new_container_goes_first_like_kubectl_patch_docs():
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "patch-demo-ctr", "image": "nginx"}]}}
    out = strategic_merge_patch(pod, {"spec": {"containers": [{"name": "patch-demo-ctr-2", "image": "redis"}]}}, "Pod")
    assert [c["name"] for c in out["spec"]["containers"]] == ["patch-demo-ctr-2", "patch-demo-ctr"]


def test_smp_set_element_order():
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "a"}, {"name": "b"}, {"name": "sidecar"}]}}
    patch = {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
                      "containers": [{"name": "a", "image": "new"}]}}
    out = strategic_merge_patch(pod, patch, "Pod")["spec"]["containers"]
    assert [c["name"] for c in out] == ["b", "a", "sidecar"]
    assert out[1]["image"] == "new"


def test_smp_retain_keys_clears_other_fields():
    d = deployment([{"name": "a"}], strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}})
    out = strategic_merge_patch(d, {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}, "Deployment")
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    with pytest.raises(MergeError):
        strategic_merge_patch(d, {"spec": {"strategy": {"$retainKeys": ["x"], "type": "Recreate"}}}, "Deployment")


def test_smp_new_keys_do_not_store_directives_or_nulls():
    out = strategic_merge_patch({"kind": "Pod", "metadata": {"name": "p"}},
                                {"spec": {"containers": [{"name": "a", "x": None}], "y": None}}, "Pod")
    assert out["spec"] == {"containers": [{"name": "a"}]}


def test_smp_unknown_kind_is_json_merge_like():
    cr = {"kind": "Widget", "spec": {"items": [{"name": "a"}], "m": {"x": 1}}}
    out = strategic_merge_patch(cr, {"spec": {"items": [{"name": "b"}], "m": {"y": 2}}}, "Widget")
    assert out["spec"] == {"items": [{"name": "b"}], "m": {"x": 1, "y": 2}}


def test_smp_owner_references_by_uid_and_conditions_by_type():
    obj = {"kind": "ReplicaSet", "metadata": {"name": "r", "ownerReferences": [{"uid": "1", "name": "a"}]},
           "status": {"conditions": [{"type": "A", "status": "True"}, {"type": "B", "status": "False"}]}}
    out = strategic_merge_patch(obj, {"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}]},
                                      "status": {"conditions": [{"type": "B", "status": "True"}]}}, "ReplicaSet")
    assert [o["uid"] for o in out["metadata"]["ownerReferences"]] == ["2", "1"]
    assert out["status"]["conditions"] == [{"type": "A", "status": "True"}, {"type": "B", "status": "True"}]


def test_smp_cronjob_pod_template_path():
    cj = {"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {
        "spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}}}}}}
    out = strategic_merge_patch(cj, {"spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": "b", "image": "z"}]}}}}}}, "CronJob")
    cs = out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert cs == [{"name": "a", "image": "x"}, {"name": "b", "image": "z"}]


def test_smp_missing_merge_key_is_an_error():
    pod = {"kind": "Pod", "spec": {"containers": [{"name": "a"}]}}
    with pytest.raises(MergeError) as e:
        strategic_merge_patch(pod, {"spec": {"containers": [{"image": "x"}]}}, "Pod")
    assert "does not contain declared merge key: name" in str(e.value)


# -- two-way ----------------------------------------------------------------------


def test_two_way_patch_round_trip():
    a = deployment([{"name": "a", "image": "x", "env": [{"name": "E", "value": "1"}]}])
    b = deployment([{"name": "a", "image": "y"}, {"name": "b", "image": "z"}])
    patch = two_way_merge_patch(a, b, "Deployment")
    assert strategic_merge_patch(a, patch, "Deployment") == b
    assert two_way_merge_patch(a, a, "Deployment") == {}


# -- three-way apply ----------------------------------------------------------------


def test_apply_same_config_is_unchanged_even_with_server_defaults():
    cfg = deployment([{"name": "web", "image": "nginx:1"}])
    live = server_defaults(cfg)
    assert three_way_apply(cfg, cfg, live, "Deployment") == {}


def test_apply_removing_env_var_removes_it_from_live():
    old = deployment([{"name": "web", "image": "nginx", "env": [{"name": "A", "value": "1"},
                                                                 {"name": "B", "value": "2"}]}])
    new = deployment([{"name": "web", "image": "nginx", "env": [{"name": "A", "value": "1"}]}])
    patch, live = apply(old, new, server_defaults(old), "Deployment")
    c = live["spec"]["template"]["spec"]["containers"][0]
    assert c["env"] == [{"name": "A", "value": "1"}]
    assert c["imagePullPolicy"] == "IfNotPresent"  # server default survives
    # kubectl's wire form: a delete directive and the element order
    pc = patch["spec"]["template"]["spec"]["containers"][0]
    assert pc["env"] == [{"name": "B", "$patch": "delete"}]
    assert pc["$setElementOrder/env"] == [{"name": "A"}]


def test_apply_keeps_server_defaults_and_other_writers_fields():
    cfg = deployment([{"name": "web", "image": "nginx:1"}])
    live = server_defaults(cfg)
    live["metadata"]["labels"] = {"added-by": "someone-else"}
    live["spec"]["replicas"] = 5                               # scaled by kubectl scale
    new = deployment([{"name": "web", "image": "nginx:2"}])
    patch, out = apply(cfg, new, live, "Deployment")
    assert out["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
    assert out["spec"]["replicas"] == 5
    assert out["metadata"]["labels"] == {"added-by": "someone-else"}
    assert out["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": "25%"}
    assert out["status"] == {"replicas": 1}
    assert "replicas" not in patch["spec"]


def test_apply_rolling_update_to_recreate_drops_rolling_update():
    old = deployment([{"name": "web", "image": "nginx"}],
                     strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    new = deployment([{"name": "web", "image": "nginx"}], strategy={"type": "Recreate"})
    patch, live = apply(old, new, server_defaults(old), "Deployment")
    assert live["spec"]["strategy"] == {"type": "Recreate"}
    assert patch["spec"]["strategy"] == {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"}


def test_apply_recreate_when_strategy_was_only_defaulted():
    # rollingUpdate came from server defaults, never from the manifest: $retainKeys clears it.
    old = deployment([{"name": "web", "image": "nginx"}])
    new = deployment([{"name": "web", "image": "nginx"}], strategy={"type": "Recreate"})
    _, live = apply(old, new, server_defaults(old), "Deployment")
    assert live["spec"]["strategy"] == {"type": "Recreate"}


def test_apply_empty_dir_to_host_path():
    def pod(volume):
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c", "image": "i"}], "volumes": [dict(name="data", **volume)]}}
    old, new = pod({"emptyDir": {}}), pod({"hostPath": {"path": "/tmp"}})
    live = copy.deepcopy(old)
    live["spec"]["volumes"].append({"name": "kube-api-access-abcde", "projected": {"sources": []}})
    _, out = apply(old, new, live, "Pod")
    assert out["spec"]["volumes"] == [{"name": "data", "hostPath": {"path": "/tmp"}},
                                      {"name": "kube-api-access-abcde", "projected": {"sources": []}}]


def test_apply_removing_container_and_adding_one():
    old = deployment([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])
    new = deployment([{"name": "c", "image": "z"}, {"name": "a", "image": "x"}])
    _, live = apply(old, new, server_defaults(old), "Deployment")
    names = [c["name"] for c in live["spec"]["template"]["spec"]["containers"]]
    assert names == ["c", "a"]  # manifest order via $setElementOrder


def test_apply_deletes_only_fields_named_in_original():
    old = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}}
    new = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    live = copy.deepcopy(old)
    live["data"]["c"] = "written-by-someone-else"
    patch, out = apply(old, new, live, "ConfigMap")
    assert patch == {"data": {"b": None}}
    assert out["data"] == {"a": "1", "c": "written-by-someone-else"}


def test_apply_without_original_never_deletes():
    new = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "2"}}
    live = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "uid": "x"},
            "data": {"a": "1", "b": "2"}}
    patch, out = apply(None, new, live, "ConfigMap")
    assert patch == {"data": {"a": "2"}}
    assert out["data"] == {"a": "2", "b": "2"}


def test_apply_atomic_list_replaced_when_different():
    old = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "c", "args": ["a", "b"]}], "tolerations": [{"key": "x", "operator": "Exists"}]}}
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["args"] = ["a"]
    new["spec"]["tolerations"] = [{"key": "y", "operator": "Exists"}]
    _, out = apply(old, new, copy.deepcopy(old), "Pod")
    assert out["spec"]["containers"][0]["args"] == ["a"]
    assert out["spec"]["tolerations"] == [{"key": "y", "operator": "Exists"}]


def test_apply_service_port_removed():
    old = {"kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}, {"port": 443}]}}
    new = {"kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}}
    live = copy.deepcopy(old)
    for p in live["spec"]["ports"]:
        p.update(protocol="TCP", targetPort=p["port"])
    live["spec"]["clusterIP"] = "10.96.0.10"
    _, out = apply(old, new, live, "Service")
    assert out["spec"] == {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "clusterIP": "10.96.0.10"}


def test_apply_annotation_update_and_label_removal():
    old = {"kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1", "b": "2"},
                                             "annotations": {"last": "old"}}}
    new = {"kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1"}, "annotations": {"last": "new"}}}
    patch, out = apply(old, new, copy.deepcopy(old), "ConfigMap")
    assert patch == {"metadata": {"labels": {"b": None}, "annotations": {"last": "new"}}}
    assert out["metadata"] == {"name": "c", "labels": {"a": "1"}, "annotations": {"last": "new"}}


def test_apply_crd_uses_replace_for_lists():
    old = {"kind": "Widget", "apiVersion": "x/v1", "metadata": {"name": "w"}, "spec": {"items": [{"name": "a"}]}}
    new = copy.deepcopy(old)
    new["spec"]["items"] = [{"name": "b"}]
    patch, out = apply(old, new, copy.deepcopy(old), "Widget")
    assert patch == {"spec": {"items": [{"name": "b"}]}}
    assert out["spec"]["items"] == [{"name": "b"}]


def test_apply_inputs_not_mutated():
    old = deployment([{"name": "a", "env": [{"name": "X", "value": "1"}]}])
    new = deployment([{"name": "a"}])
    live = server_defaults(old)
    snapshot = copy.deepcopy((old, new, live))
    apply(old, new, live, "Deployment")
    assert (old, new, live) == snapshot


def test_apply_strategy_type_only_with_defaulted_rolling_update_sends_retain_keys():
    # Faithful to strategicpatch.diffMaps (hasAdditionalNewField): the live object has a
    # defaulted rollingUpdate the manifest lacks, so the patch carries $retainKeys and
    # kubectl reports "configured"; applying it is harmless (the server re-defaults).
    cfg = deployment([{"name": "web", "image": "nginx"}], strategy={"type": "RollingUpdate"})
    live = server_defaults(cfg)
    live["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": "25%", "maxUnavailable": "25%"}
    patch = three_way_apply(cfg, cfg, live, "Deployment")
    assert patch == {"spec": {"strategy": {"$retainKeys": ["type"]}}}


def test_apply_patch_for_new_field_and_changed_image_is_minimal():
    old = deployment([{"name": "web", "image": "nginx:1"}])
    new = deployment([{"name": "web", "image": "nginx:2", "args": ["-v"]}])
    patch = three_way_apply(old, new, server_defaults(old), "Deployment")
    assert patch == {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "web"}],
        "containers": [{"name": "web", "image": "nginx:2", "args": ["-v"]}]}}}}
