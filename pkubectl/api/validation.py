"""Server-side validation: the 422 Invalid errors the API server returns, word for word.

Where it sits: the store calls ``validate(obj, old)`` after ``defaults.apply_defaults``
and before writing; a non-empty list becomes a StatusError (reason Invalid) whose causes
are ``FieldError``\\ s. ``format_invalid`` renders them the way kubectl prints them.

The rules and texts come from ``pkg/apis/*/validation/validation.go``, the apimachinery
``util/validation`` helpers and the registry strategies (immutable selectors, clusterIP,
nodePort range). A cause is ``<field.path>: <Type>[: <value>][: <detail>]`` where the value
is printed like Go's ``%q`` / ``%v`` / ``%#v`` (see ``go_value``), because kubectl users
grep for those exact strings.

Validation runs on a defaulted object, so "Required value" for a defaulted field only
shows up when a caller skipped defaulting.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: keep typing, dataclasses and fractions off the import path
    from fractions import Fraction
    from typing import Callable, Iterable

from pkubectl.api.cron import schedule_error as cron_schedule_error
from pkubectl.api.formats import (
    PERCENT_FMT, go_quote, inclusive_range_error, is_config_map_key, is_dns1123_label, is_dns1123_subdomain,
    is_env_var_name, is_label_value, is_qualified_name, is_valid_port_name, is_valid_port_num, matches,
    name_is_dns1035_label, name_is_dns_label, name_is_dns_subdomain, regex_error,
)

# --- errors ----------------------------------------------------------------------------

REQUIRED = "Required value"
INVALID = "Invalid value"
NOT_SUPPORTED = "Unsupported value"
DUPLICATE = "Duplicate value"
FORBIDDEN = "Forbidden"
TOO_LONG = "Too long"
TOO_MANY = "Too many"
NOT_FOUND = "Not found"

# metav1.CauseType values, for Status.details.causes[].reason.
REASONS = {
    REQUIRED: "FieldValueRequired",
    INVALID: "FieldValueInvalid",
    NOT_SUPPORTED: "FieldValueNotSupported",
    DUPLICATE: "FieldValueDuplicate",
    FORBIDDEN: "FieldValueForbidden",
    TOO_LONG: "FieldValueTooLong",
    TOO_MANY: "FieldValueTooMany",
    NOT_FOUND: "FieldValueNotFound",
}
# Types whose message never shows the value (field.Error.ErrorBody).
VALUELESS = {REQUIRED, FORBIDDEN, TOO_LONG}


class GoValue(str):
    """A value already rendered the way Go's ``%#v`` prints it (structs, typed nils)."""


def go_map(mapping: dict | None) -> GoValue:
    """``%#v`` of a ``map[string]string``: sorted keys, ``(nil)`` when absent."""
    if mapping is None:
        return GoValue("map[string]string(nil)")
    items = ", ".join(f"{go_quote(str(k))}:{go_quote(str(v))}" for k, v in sorted(mapping.items()))
    return GoValue("map[string]string{" + items + "}")


def go_strings(values: list | None) -> GoValue:
    if values is None:
        return GoValue("[]string(nil)")
    return GoValue("[]string{" + ", ".join(go_quote(str(v)) for v in values) + "}")


def go_selector(selector: dict | None) -> GoValue:
    """``%#v`` of a ``metav1.LabelSelector`` as the server prints it in causes."""
    if selector is None:
        return GoValue("null")
    exprs = selector.get("matchExpressions")
    if exprs is None:
        rendered = "[]v1.LabelSelectorRequirement(nil)"
    else:
        rendered = "[]v1.LabelSelectorRequirement{" + ", ".join(
            "v1.LabelSelectorRequirement{Key:%s, Operator:%s, Values:%s}" % (
                go_quote(str(e.get("key", ""))), go_quote(str(e.get("operator", ""))), go_strings(e.get("values")))
            for e in exprs
        ) + "}"
    return GoValue(f"v1.LabelSelector{{MatchLabels:{go_map(selector.get('matchLabels'))}, MatchExpressions:{rendered}}}")


def go_value(value) -> str:
    """Render a bad value like ``field.Error.ErrorBody`` does."""
    if isinstance(value, GoValue):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, dict):
        return str(go_map(value))
    if isinstance(value, list):
        return str(go_strings(value))
    return str(value)


class FieldError:
    """One cause of an Invalid error; ``str()`` is the exact Kubernetes cause text.

    ``type`` is the human error type ("Required value", "Invalid value", ...), ``value``
    the bad value (rendered like Go, see ``go_value``) and ``detail`` the explanation.
    """

    __slots__ = ("path", "type", "value", "detail")

    def __init__(self, path: str, type: str, value: object = None, detail: str = "") -> None:
        self.path, self.type, self.value, self.detail = path, type, value, detail

    def __eq__(self, other) -> bool:
        return isinstance(other, FieldError) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"FieldError({self.path!r}, {self.type!r}, {self.value!r}, {self.detail!r})"

    @property
    def reason(self) -> str:
        return REASONS.get(self.type, "FieldValueInvalid")

    def body(self) -> str:
        """The message without the field path (Status ``causes[].message``)."""
        text = self.type if self.type in VALUELESS else f"{self.type}: {go_value(self.value)}"
        return f"{text}: {self.detail}" if self.detail else text

    def __str__(self) -> str:
        return f"{self.path}: {self.body()}"


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, REQUIRED, "", detail)


def invalid(path: str, value, detail: str) -> FieldError:
    return FieldError(path, INVALID, value, detail)


def not_supported(path: str, value, supported: Iterable[str]) -> FieldError:
    listed = ", ".join(go_quote(s) for s in supported)
    return FieldError(path, NOT_SUPPORTED, value, f"supported values: {listed}" if listed else "")


def required_one_of(value, path: str, supported: Iterable[str]) -> list[FieldError]:
    """A required field with a fixed set of values: Required when empty, else Unsupported."""
    if not value:
        return [required(path)]
    return [] if value in supported else [not_supported(path, value, supported)]


def required_valid(value, path: str, check: Callable) -> list[FieldError]:
    """A required field: Required when empty (or 0), else one Invalid per problem check finds."""
    if not value:
        return [required(path)]
    return [invalid(path, value, problem) for problem in check(value)]


def duplicate(path: str, value) -> FieldError:
    return FieldError(path, DUPLICATE, value)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(path, FORBIDDEN, "", detail)


def not_found(path: str, value) -> FieldError:
    return FieldError(path, NOT_FOUND, value)


def _unique(errors: list[FieldError]) -> list[str]:
    """Cause texts with duplicates dropped, as ToAggregate and kubectl both do."""
    seen: list[str] = []
    for error in errors:
        text = str(error)
        if text not in seen:
            seen.append(text)
    return seen


def format_invalid(kind: str, group: str, name: str, errors: list[FieldError]) -> str:
    """kubectl's printed Invalid error (no trailing newline).

    One cause: ``The Deployment "x" is invalid: <cause>``; several: the first line
    ``The Deployment "x" is invalid: `` (trailing space kept) then ``* <cause>`` lines.
    ``group`` is accepted for symmetry with ``status_message``; kubectl shows the bare kind.
    """
    causes = _unique(errors)
    head = f"The {kind} {go_quote(name)} is invalid: "
    if len(causes) == 1:
        return head + causes[0]
    return "\n".join([head] + [f"* {cause}" for cause in causes])


def status_message(kind: str, group: str, name: str, errors: list[FieldError]) -> str:
    """The Status ``message`` the server sends: ``Deployment.apps "x" is invalid: [c1, c2]``."""
    causes = _unique(errors)
    qualified = f"{kind}.{group}" if group else kind
    joined = causes[0] if len(causes) == 1 else "[" + ", ".join(causes) + "]"
    return f"{qualified} {go_quote(name)} is invalid: {joined}"


# --- quantities ------------------------------------------------------------------------

QUANTITY_FMT = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
# suffix -> (base, exponent)
_SUFFIXES = {
    "": (10, 0), "n": (10, -9), "u": (10, -6), "m": (10, -3), "k": (10, 3), "M": (10, 6), "G": (10, 9),
    "T": (10, 12), "P": (10, 15), "E": (10, 18),
    "Ki": (2, 10), "Mi": (2, 20), "Gi": (2, 30), "Ti": (2, 40), "Pi": (2, 50), "Ei": (2, 60),
}


def _shared_quantity():
    try:
        from pkubectl.api import quantity  # the shared implementation, when present
    except ImportError:
        return None
    return quantity


def parse_quantity(text) -> Fraction:
    """Parse a resource quantity ("500m", "1Gi", "1e3") to an exact Fraction.

    Delegates to ``pkubectl.api.quantity`` when it exists. Raises ValueError (with
    Kubernetes' message) for text that is not a quantity.
    """
    shared = _shared_quantity()
    if shared is not None:
        return shared.parse_quantity(text).value
    from fractions import Fraction

    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return Fraction(text)
    match = re.match(QUANTITY_FMT, str(text).strip())
    if not match or match.group(1).count(".") > 1 or match.group(1) in (".", "+.", "-."):
        raise ValueError(QUANTITY_ERROR)
    number, suffix = Fraction(match.group(1)), match.group(2)
    if suffix in _SUFFIXES:
        base, exponent = _SUFFIXES[suffix]
        return number * Fraction(base) ** exponent
    exp = re.fullmatch(r"[eE]([-+]?[0-9]+)", suffix)
    if not exp:
        raise ValueError(QUANTITY_ERROR)
    return number * Fraction(10) ** int(exp.group(1))


def quantity_text(raw) -> str:
    """``Quantity.String()``: the canonical form ("0.5" -> "500m") used in messages."""
    shared = _shared_quantity()
    if shared is not None:
        try:
            return shared.format_quantity(raw)
        except ValueError:
            pass
    return str(raw)


# --- path helpers ----------------------------------------------------------------------


def child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def key(path: str, k: str) -> str:
    return f"{path}[{k}]"


def _as_list(value) -> list:
    return value if isinstance(value, list) else []


def _as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def nonnegative(value, path: str) -> list[FieldError]:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


# --- metadata --------------------------------------------------------------------------

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def validate_labels(labels, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for k, v in sorted(_as_dict(labels).items()):
        errs += [invalid(path, k, msg) for msg in is_qualified_name(k)]
        errs += [invalid(path, v, msg) for msg in is_label_value(str(v) if v is not None else "")]
    return errs


def validate_annotations(annotations, path: str) -> list[FieldError]:
    annotations = _as_dict(annotations)
    errs = [invalid(path, k, msg) for k in sorted(annotations) for msg in is_qualified_name(k.lower())]
    size = sum(len(k) + len(str(v or "")) for k, v in annotations.items())
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(FieldError(path, TOO_LONG, "", f"must have at most {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"))
    return errs


def validate_object_meta(meta: dict, namespaced: bool, name_fn: Callable[..., list[str]],
                         path: str = "metadata") -> list[FieldError]:
    """apimachinery ValidateObjectMeta (names are generated before this runs on a server)."""
    errs: list[FieldError] = []
    generate_name = meta.get("generateName") or ""
    if generate_name:
        errs += [invalid(child(path, "generateName"), generate_name, msg) for msg in name_fn(generate_name, True)]
    name = meta.get("name") or ""
    if not name:
        if not generate_name:
            errs.append(required(child(path, "name"), "name or generateName is required"))
    else:
        errs += [invalid(child(path, "name"), name, msg) for msg in name_fn(name, False)]
    if namespaced:
        namespace = meta.get("namespace") or ""
        errs += required_valid(namespace, child(path, "namespace"), name_is_dns_label)
    errs += nonnegative(meta.get("generation"), child(path, "generation"))
    errs += validate_labels(meta.get("labels"), child(path, "labels"))
    errs += validate_annotations(meta.get("annotations"), child(path, "annotations"))
    return errs


def validate_object_meta_update(new: dict, old: dict, path: str = "metadata") -> list[FieldError]:
    errs = []
    for field_name in ("name", "namespace", "uid"):
        if old.get(field_name) and new.get(field_name, old.get(field_name)) != old.get(field_name):
            errs.append(invalid(child(path, field_name), new.get(field_name) or "", "field is immutable"))
    return errs


# --- label selectors -------------------------------------------------------------------

SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_label_selector(selector, path: str) -> list[FieldError]:
    if selector is None:
        return []
    selector = _as_dict(selector)
    errs: list[FieldError] = []
    for i, expr in enumerate(_as_list(selector.get("matchExpressions"))):
        expr_path = index(child(path, "matchExpressions"), i)
        operator, values = expr.get("operator", ""), expr.get("values")
        if operator in ("In", "NotIn"):
            if not values:
                errs.append(required(child(expr_path, "values"), "must be specified when `operator` is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                errs.append(forbidden(child(expr_path, "values"),
                                      "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            errs.append(invalid(child(expr_path, "operator"), operator, "not a valid selector operator"))
        errs += [invalid(child(expr_path, "key"), expr.get("key", ""), msg) for msg in is_qualified_name(expr.get("key", ""))]
        for j, value in enumerate(_as_list(values)):
            errs += [invalid(index(child(expr_path, "values"), j), value, msg) for msg in is_label_value(str(value))]
    errs += validate_labels(selector.get("matchLabels"), child(path, "matchLabels"))
    return errs


def selector_matches(selector, labels) -> bool | None:
    """Whether a LabelSelector matches labels; None when the selector is nil (matches nothing)."""
    if selector is None:
        return None
    labels = _as_dict(labels)
    for k, v in _as_dict(_as_dict(selector).get("matchLabels")).items():
        if labels.get(k) != v:
            return False
    for expr in _as_list(_as_dict(selector).get("matchExpressions")):
        k, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = k in labels
        if op == "In" and not (present and labels[k] in values):
            return False
        if op == "NotIn" and present and labels[k] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _selector_is_empty(selector) -> bool:
    selector = _as_dict(selector)
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


# --- containers ------------------------------------------------------------------------

PORT_PROTOCOLS = ("SCTP", "TCP", "UDP")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
HTTP_SCHEMES = ("HTTP", "HTTPS")
STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")
STANDARD_RESOURCES = STANDARD_CONTAINER_RESOURCES + (
    "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
    "persistentvolumeclaims", "storage", "requests.cpu", "requests.memory", "requests.storage",
    "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
    "services.nodeports", "services.loadbalancers",
)


def validate_port_num_or_name(port, path: str) -> list[FieldError]:
    if isinstance(port, int) and not isinstance(port, bool):
        return [invalid(path, port, msg) for msg in is_valid_port_num(port)]
    if isinstance(port, str):
        return [invalid(path, port, msg) for msg in is_valid_port_name(port)]
    return [invalid(path, port, "must be an integer or a string")]


def _validate_container_ports(ports, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(_as_list(ports)):
        port_path = index(path, i)
        name = port.get("name") or ""
        if name:
            msgs = is_valid_port_name(name)
            if msgs:
                errs += [invalid(child(port_path, "name"), name, msg) for msg in msgs]
            elif name in names:
                errs.append(duplicate(child(port_path, "name"), name))
            else:
                names.add(name)
        container_port = port.get("containerPort") or 0
        errs += required_valid(container_port, child(port_path, "containerPort"), is_valid_port_num)
        host_port = port.get("hostPort") or 0
        if host_port:
            errs += [invalid(child(port_path, "hostPort"), host_port, msg) for msg in is_valid_port_num(host_port)]
        errs += required_one_of(port.get("protocol"), child(port_path, "protocol"), PORT_PROTOCOLS)
    return errs


def _validate_key_selector(selector: dict, path: str) -> list[FieldError]:
    errs = [invalid(child(path, "name"), selector.get("name", ""), msg)
            for msg in name_is_dns_subdomain(selector.get("name", ""))]
    k = selector.get("key") or ""
    errs += required_valid(k, child(path, "key"), is_config_map_key)
    return errs


def _validate_env(env, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, var in enumerate(_as_list(env)):
        var_path = index(path, i)
        name = var.get("name") or ""
        errs += required_valid(name, child(var_path, "name"), is_env_var_name)
        source = var.get("valueFrom")
        if source is None:
            continue
        source, from_path = _as_dict(source), child(var_path, "valueFrom")
        count = 0
        for source_key in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"):
            if source.get(source_key) is not None:
                count += 1
                if source_key in ("configMapKeyRef", "secretKeyRef"):
                    errs += _validate_key_selector(_as_dict(source[source_key]), child(from_path, source_key))
                elif source_key == "fieldRef" and not source[source_key].get("fieldPath"):
                    errs.append(required(child(child(from_path, source_key), "fieldPath")))
        if count == 0:
            errs.append(invalid(from_path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, "
                                               "`configMapKeyRef` or `secretKeyRef`"))
        elif var.get("value"):
            errs.append(invalid(from_path, "", "may not be specified when `value` is not empty"))
        elif count > 1:
            errs.append(invalid(from_path, "", "may not have more than one field specified at a time"))
    return errs


def _validate_env_from(env_from, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, source in enumerate(_as_list(env_from)):
        source_path = index(path, i)
        prefix = source.get("prefix") or ""
        if prefix:
            errs += [invalid(child(source_path, "prefix"), prefix, msg) for msg in is_env_var_name(prefix)]
        refs = [k for k in ("configMapRef", "secretRef") if source.get(k) is not None]
        for ref in refs:
            ref_name = _as_dict(source[ref]).get("name") or ""
            errs += required_valid(ref_name, child(child(source_path, ref), "name"),
                                   lambda n: name_is_dns_subdomain(n, True))
        if not refs:
            errs.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif len(refs) > 1:
            errs.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errs


def _validate_volume_mounts(mounts, volumes: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    mount_paths: set[str] = set()
    for i, mount in enumerate(_as_list(mounts)):
        mount_path_str = index(path, i)
        name = mount.get("name") or ""
        if not name:
            errs.append(required(child(mount_path_str, "name")))
        if name not in volumes:
            errs.append(not_found(child(mount_path_str, "name"), name))
        target = mount.get("mountPath") or ""
        if not target:
            errs.append(required(child(mount_path_str, "mountPath")))
        if target in mount_paths:
            errs.append(invalid(child(mount_path_str, "mountPath"), target, "must be unique"))
        mount_paths.add(target)
    return errs


def _resource_name_errors(name: str, path: str) -> list[FieldError]:
    errs = [invalid(path, name, msg) for msg in is_qualified_name(name)]
    if errs:
        return errs
    if "/" not in name:
        if name not in STANDARD_RESOURCES and not name.startswith("hugepages-"):
            errs.append(invalid(path, name, "must be a standard resource type or fully qualified"))
        if name not in STANDARD_CONTAINER_RESOURCES and not name.startswith("hugepages-"):
            errs.append(invalid(path, name, "must be a standard resource for containers"))
    return errs


def _quantity_errors(raw, path: str) -> tuple[Fraction | None, list[FieldError]]:
    try:
        amount = parse_quantity(raw)
    except ValueError as problem:
        return None, [invalid(path, str(raw), str(problem) or QUANTITY_ERROR)]
    if amount < 0:
        return amount, [invalid(path, quantity_text(raw), "must be greater than or equal to 0")]
    return amount, []


def _validate_resources(resources, path: str) -> list[FieldError]:
    resources = _as_dict(resources)
    limits, requests = _as_dict(resources.get("limits")), _as_dict(resources.get("requests"))
    errs: list[FieldError] = []
    limit_amounts = {}
    for name in sorted(limits):
        item_path = key(child(path, "limits"), name)
        errs += _resource_name_errors(name, item_path)
        limit_amounts[name], quantity_errs = _quantity_errors(limits[name], item_path)
        errs += quantity_errs
    for name in sorted(requests):
        item_path = key(child(path, "requests"), name)
        errs += _resource_name_errors(name, item_path)
        amount, quantity_errs = _quantity_errors(requests[name], item_path)
        errs += quantity_errs
        limit = limit_amounts.get(name)
        if amount is not None and limit is not None and amount > limit:
            errs.append(invalid(child(path, "requests"), quantity_text(requests[name]),
                                f"must be less than or equal to {name} limit of {quantity_text(limits[name])}"))
    return errs


PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")


def _validate_handler(handler: dict, path: str, kinds: tuple[str, ...]) -> list[FieldError]:
    errs: list[FieldError] = []
    count = 0
    for kind in kinds:
        action = handler.get(kind)
        if action is None:
            continue
        if count:
            errs.append(forbidden(child(path, kind), "may not specify more than 1 handler type"))
            continue
        count += 1
        action, action_path = _as_dict(action), child(path, kind)
        if kind == "exec" and not action.get("command"):
            errs.append(required(child(action_path, "command")))
        elif kind == "httpGet":
            if not action.get("path"):
                errs.append(required(child(action_path, "path")))
            errs += validate_port_num_or_name(action.get("port"), child(action_path, "port"))
            scheme = action.get("scheme") or ""
            if scheme not in HTTP_SCHEMES:
                errs.append(not_supported(child(action_path, "scheme"), scheme, HTTP_SCHEMES))
        elif kind in ("tcpSocket", "grpc"):
            errs += validate_port_num_or_name(action.get("port"), child(action_path, "port"))
    if count == 0:
        errs.append(required(path, "must specify a handler type"))
    return errs


def _validate_probe(probe, path: str, must_succeed_once: bool) -> list[FieldError]:
    if probe is None:
        return []
    probe = _as_dict(probe)
    errs = _validate_handler(probe, path, PROBE_HANDLERS)
    for name in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        errs += nonnegative(probe.get(name), child(path, name))
    grace = probe.get("terminationGracePeriodSeconds")
    if grace is not None and grace <= 0:
        errs.append(invalid(child(path, "terminationGracePeriodSeconds"), grace, "must be greater than 0"))
    if must_succeed_once and probe.get("successThreshold", 1) != 1:
        errs.append(invalid(child(path, "successThreshold"), probe.get("successThreshold"), "must be 1"))
    return errs


def _validate_container_common(container: dict, volumes: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    name = container.get("name") or ""
    errs += required_valid(name, child(path, "name"), is_dns1123_label)
    if not container.get("image"):
        errs.append(required(child(path, "image")))
    errs += required_one_of(container.get("terminationMessagePolicy"), child(path, "terminationMessagePolicy"),
                            TERMINATION_MESSAGE_POLICIES)
    errs += _validate_container_ports(container.get("ports"), child(path, "ports"))
    errs += _validate_env(container.get("env"), child(path, "env"))
    errs += _validate_env_from(container.get("envFrom"), child(path, "envFrom"))
    errs += _validate_volume_mounts(container.get("volumeMounts"), volumes, child(path, "volumeMounts"))
    errs += required_one_of(container.get("imagePullPolicy"), child(path, "imagePullPolicy"), PULL_POLICIES)
    errs += _validate_resources(container.get("resources"), child(path, "resources"))
    return errs


def _validate_lifecycle(container: dict, path: str) -> list[FieldError]:
    lifecycle = container.get("lifecycle")
    errs: list[FieldError] = []
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            if lifecycle.get(hook) is not None:
                errs += _validate_handler(_as_dict(lifecycle[hook]), child(child(path, "lifecycle"), hook),
                                          LIFECYCLE_HANDLERS)
    return errs


def _validate_containers(containers, volumes: dict, path: str) -> list[FieldError]:
    containers = _as_list(containers)
    if not containers:
        return [required(path)]
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, container in enumerate(containers):
        container, c_path = _as_dict(container), index(path, i)
        errs += _validate_container_common(container, volumes, c_path)
        name = container.get("name") or ""
        if name in names:
            errs.append(duplicate(child(c_path, "name"), name))
        else:
            names.add(name)
        errs += _validate_lifecycle(container, c_path)
        errs += _validate_probe(container.get("livenessProbe"), child(c_path, "livenessProbe"), True)
        errs += _validate_probe(container.get("readinessProbe"), child(c_path, "readinessProbe"), False)
        errs += _validate_probe(container.get("startupProbe"), child(c_path, "startupProbe"), True)
        if container.get("restartPolicy") is not None:
            errs.append(forbidden(child(c_path, "restartPolicy"), "may not be set for non-init containers"))
    return errs


def _validate_init_containers(init_containers, containers, volumes: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    names = {_as_dict(c).get("name") for c in _as_list(containers)}
    for i, container in enumerate(_as_list(init_containers)):
        container, c_path = _as_dict(container), index(path, i)
        errs += _validate_container_common(container, volumes, c_path)
        restart = container.get("restartPolicy")
        if restart is not None and restart != "Always":
            errs.append(not_supported(child(c_path, "restartPolicy"), restart, ("Always",)))
        name = container.get("name") or ""
        if name in names:
            errs.append(duplicate(child(c_path, "name"), name))
        elif name:
            names.add(name)
        if restart == "Always":
            errs += _validate_lifecycle(container, c_path)
            errs += _validate_probe(container.get("livenessProbe"), child(c_path, "livenessProbe"), True)
            errs += _validate_probe(container.get("readinessProbe"), child(c_path, "readinessProbe"), False)
            errs += _validate_probe(container.get("startupProbe"), child(c_path, "startupProbe"), True)
        else:
            for hook in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if container.get(hook) is not None:
                    errs.append(forbidden(child(c_path, hook),
                                          "may not be set for init containers without restartPolicy=Always"))
    return errs


# --- volumes ---------------------------------------------------------------------------

# (JSON key, name used in the "more than 1" error path): the Go code spells a few oddly.
VOLUME_SOURCES = (
    ("emptyDir", "emptyDir"), ("hostPath", "hostPath"), ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"), ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"), ("nfs", "nfs"), ("iscsi", "iscsi"), ("glusterfs", "glusterfs"),
    ("flocker", "flocker"), ("persistentVolumeClaim", "persistentVolumeClaim"), ("rbd", "rbd"),
    ("cinder", "cinder"), ("cephfs", "cephFS"), ("quobyte", "quobyte"), ("downwardAPI", "downwarAPI"),
    ("fc", "fc"), ("flexVolume", "flexVolume"), ("configMap", "configMap"), ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"), ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"), ("azureDisk", "azureDisk"), ("storageos", "storageos"),
    ("projected", "projected"), ("scaleIO", "scaleIO"), ("csi", "csi"), ("ephemeral", "ephemeral"),
    ("image", "image"),
)
# Required string fields per volume source.
VOLUME_REQUIRED = {
    "hostPath": ("path",), "secret": ("secretName",), "configMap": ("name",),
    "persistentVolumeClaim": ("claimName",), "nfs": ("server", "path"), "gitRepo": ("repository",),
}
FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"


def _validate_volume_source(volume: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    count = 0
    for source_key, error_name in VOLUME_SOURCES:
        source = volume.get(source_key)
        if source is None:
            continue
        if count:
            errs.append(forbidden(child(path, error_name), "may not specify more than 1 volume type"))
            continue
        count += 1
        source, source_path = _as_dict(source), child(path, source_key)
        for field_name in VOLUME_REQUIRED.get(source_key, ()):
            if not source.get(field_name):
                errs.append(required(child(source_path, field_name)))
        mode = source.get("defaultMode")
        if mode is not None and not 0 <= mode <= 0o777:
            errs.append(invalid(child(source_path, "defaultMode"), mode, FILE_MODE_ERROR))
        for i, item in enumerate(_as_list(source.get("items"))):
            item_path = index(child(source_path, "items"), i)
            if source_key in ("secret", "configMap") and not item.get("key"):
                errs.append(required(child(item_path, "key")))
            if not item.get("path"):
                errs.append(required(child(item_path, "path")))
    if count == 0:
        errs.append(required(path, "must specify a volume type"))
    return errs


def _validate_volumes(volumes, path: str) -> tuple[dict, list[FieldError]]:
    """Returns the usable volumes by name (for volumeMounts) and the errors."""
    errs: list[FieldError] = []
    usable: dict[str, dict] = {}
    seen: set[str] = set()
    for i, volume in enumerate(_as_list(volumes)):
        volume, v_path = _as_dict(volume), index(path, i)
        name = volume.get("name") or ""
        volume_errs = _validate_volume_source(volume, v_path)
        volume_errs += required_valid(name, child(v_path, "name"), is_dns1123_label)
        if name in seen:
            volume_errs.append(duplicate(child(v_path, "name"), name))
        if volume_errs:
            errs += volume_errs
        else:
            seen.add(name)
            usable[name] = volume
    return usable, errs


# --- pod specs -------------------------------------------------------------------------

TOLERATION_OPERATORS = ("Equal", "Exists")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _validate_tolerations(tolerations, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, toleration in enumerate(_as_list(tolerations)):
        t_path, t = index(path, i), _as_dict(toleration)
        t_key, operator, value = t.get("key") or "", t.get("operator") or "", t.get("value") or ""
        if t_key:
            errs += [invalid(child(t_path, "key"), t_key, msg) for msg in is_qualified_name(t_key)]
        if not t_key and operator != "Exists":
            errs.append(invalid(child(t_path, "operator"), operator,
                                'operator must be Exists when `key` is empty, which means "match all values and all keys"'))
        if t.get("tolerationSeconds") is not None and t.get("effect") != "NoExecute":
            errs.append(invalid(child(t_path, "effect"), t.get("effect") or "",
                                "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if operator in ("Equal", ""):
            msgs = is_label_value(value)
            if msgs:
                errs.append(invalid(child(t_path, "operator"), value, ";".join(msgs)))
        elif operator == "Exists":
            if value:
                errs.append(invalid(child(t_path, "operator"), value, "value must be empty when `operator` is 'Exists'"))
        else:
            errs.append(not_supported(child(t_path, "operator"), operator, TOLERATION_OPERATORS))
        effect = t.get("effect") or ""
        if effect and effect not in TAINT_EFFECTS:
            errs.append(not_supported(child(t_path, "effect"), effect, TAINT_EFFECTS))
    return errs


def validate_pod_spec(spec, path: str, is_pod: bool = False) -> list[FieldError]:
    """ValidatePodSpec, in the server's order; ``is_pod`` adds the Pod-only image check."""
    spec = _as_dict(spec)
    errs: list[FieldError] = []
    if spec.get("terminationGracePeriodSeconds") is None:
        errs.append(required(child(path, "terminationGracePeriodSeconds")))
    volumes, volume_errs = _validate_volumes(spec.get("volumes"), child(path, "volumes"))
    errs += volume_errs
    errs += _validate_containers(spec.get("containers"), volumes, child(path, "containers"))
    errs += _validate_init_containers(spec.get("initContainers"), spec.get("containers"), volumes,
                                      child(path, "initContainers"))
    errs += required_one_of(spec.get("restartPolicy"), child(path, "restartPolicy"), RESTART_POLICIES)
    errs += required_one_of(spec.get("dnsPolicy"), child(path, "dnsPolicy"), DNS_POLICIES)
    errs += validate_labels(spec.get("nodeSelector"), child(path, "nodeSelector"))
    for field_name in ("serviceAccountName", "nodeName", "priorityClassName"):
        value = spec.get(field_name) or ""
        if value:
            errs += [invalid(child(path, field_name), value, msg) for msg in name_is_dns_subdomain(value)]
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and not 1 <= deadline <= 2147483647:
        errs.append(invalid(child(path, "activeDeadlineSeconds"), deadline, inclusive_range_error(1, 2147483647)))
    for field_name in ("hostname", "subdomain"):
        value = spec.get(field_name) or ""
        if value:
            errs += [invalid(child(path, field_name), value, msg) for msg in is_dns1123_label(value)]
    errs += _validate_tolerations(spec.get("tolerations"), child(path, "tolerations"))
    preemption = spec.get("preemptionPolicy")
    if preemption is not None and preemption not in ("PreemptLowerPriority", "Never"):
        errs.append(not_supported(child(path, "preemptionPolicy"), preemption, ("PreemptLowerPriority", "Never")))
    if is_pod:
        for key_name in ("containers", "initContainers"):
            for i, container in enumerate(_as_list(spec.get(key_name))):
                image = _as_dict(container).get("image") or ""
                if image != image.strip():
                    errs.append(invalid(child(index(child(path, key_name), i), "image"), image,
                                        "must not have leading or trailing whitespace"))
    return errs


def validate_pod_template(template, path: str) -> list[FieldError]:
    """ValidatePodTemplateSpec: template labels/annotations plus the pod spec."""
    template = _as_dict(template)
    meta = _as_dict(template.get("metadata"))
    errs = validate_labels(meta.get("labels"), child(path, "labels"))
    errs += validate_annotations(meta.get("annotations"), child(path, "annotations"))
    errs += validate_pod_spec(template.get("spec"), child(path, "spec"))
    if _as_dict(template.get("spec")).get("ephemeralContainers"):
        errs.append(forbidden(child(child(path, "spec"), "ephemeralContainers"),
                              "ephemeral containers not allowed in pod template"))
    return errs


def _template_labels(spec: dict):
    return _as_dict(_as_dict(spec.get("template")).get("metadata")).get("labels")


def _template_restart_policy(spec: dict) -> str:
    return _as_dict(_as_dict(spec.get("template")).get("spec")).get("restartPolicy") or ""


# --- kinds -----------------------------------------------------------------------------


def _validate_pod(obj: dict) -> list[FieldError]:
    return validate_pod_spec(obj.get("spec"), "spec", is_pod=True)


def _selector_and_template(spec: dict, workload: str, *, template_spec: bool = True) -> list[FieldError]:
    """The selector rules shared by Deployment, ReplicaSet and StatefulSet."""
    errs: list[FieldError] = []
    selector = spec.get("selector")
    if selector is None:
        errs.append(required("spec.selector"))
    else:
        errs += validate_label_selector(selector, "spec.selector")
        if _selector_is_empty(selector):
            errs.append(invalid("spec.selector", go_selector(_as_dict(selector)), f"empty selector is invalid for {workload}"))
    # A nil selector matches nothing; an empty one matches everything (and is refused above).
    if selector is None or not _selector_is_empty(selector):
        if not selector_matches(selector, _template_labels(spec)):
            errs.append(invalid("spec.template.metadata.labels", go_map(_template_labels(spec)),
                                "`selector` does not match template `labels`"))
    if template_spec:
        errs += validate_pod_template(spec.get("template"), "spec.template")
    return errs


def _restart_always(spec: dict, kind: str) -> list[FieldError]:
    errs = []
    restart = _template_restart_policy(spec)
    if restart != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", restart, ("Always",)))
    if _as_dict(_as_dict(spec.get("template")).get("spec")).get("activeDeadlineSeconds") is not None:
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds", f"activeDeadlineSeconds in {kind} is not Supported"))
    return errs


def go_intstr(value) -> GoValue:
    """``intstr.IntOrString`` prints through its String() method: bare, never quoted."""
    return GoValue("null" if value is None else str(value))


def _percent_value(value) -> int:
    if isinstance(value, str) and matches(PERCENT_FMT, value):
        return int(value[:-1])
    return value if isinstance(value, int) else 0


def _int_or_percent(value, path: str) -> list[FieldError]:
    if isinstance(value, str):
        if not matches(PERCENT_FMT, value):
            return [invalid(path, go_intstr(value), regex_error("a valid percent string must be a numeric string followed by "
                                                     "an ending '%'", PERCENT_FMT, "1%", "93%"))]
        return []
    return nonnegative(value, path)


def _not_over_100(value, path: str) -> list[FieldError]:
    if isinstance(value, str) and matches(PERCENT_FMT, value) and int(value[:-1]) > 100:
        return [invalid(path, go_intstr(value), "must not be greater than 100%")]
    return []


def _go_pointer(type_name: str, value) -> str:
    """A struct pointer inside ``%#v``: Go prints nil or an address we cannot know."""
    return f"(*{type_name})(nil)" if value is None else f"(*{type_name})(0xc000000000)"


def _validate_deployment(obj: dict) -> list[FieldError]:
    spec = _as_dict(obj.get("spec"))
    errs = nonnegative(spec.get("replicas"), "spec.replicas")
    errs += _selector_and_template(spec, "deployment")
    errs += _restart_always(spec, "ReplicaSet")
    strategy = _as_dict(spec.get("strategy"))
    strategy_type = strategy.get("type") or ""
    if strategy_type == "Recreate":
        if strategy.get("rollingUpdate") is not None:
            errs.append(forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
    elif strategy_type == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if rolling is None:
            errs.append(required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil"))
        else:
            unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
            errs += _int_or_percent(unavailable, "spec.strategy.rollingUpdate.maxUnavailable")
            errs += _int_or_percent(surge, "spec.strategy.rollingUpdate.maxSurge")
            if _percent_value(unavailable) == 0 and _percent_value(surge) == 0:
                errs.append(invalid("spec.strategy.rollingUpdate.maxUnavailable", go_intstr(unavailable),
                                    "may not be 0 when `maxSurge` is 0"))
            errs += _not_over_100(unavailable, "spec.strategy.rollingUpdate.maxUnavailable")
    else:
        errs.append(not_supported("spec.strategy", GoValue(
            f"apps.DeploymentStrategy{{Type:{go_quote(strategy_type)}, "
            f"RollingUpdate:{_go_pointer('apps.RollingUpdateDeployment', strategy.get('rollingUpdate'))}}}"),
                                  ("Recreate", "RollingUpdate")))
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        errs += nonnegative(deadline, "spec.progressDeadlineSeconds")
        if deadline <= (spec.get("minReadySeconds") or 0):
            errs.append(invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
    return errs


def _validate_replica_set(obj: dict) -> list[FieldError]:
    spec = _as_dict(obj.get("spec"))
    errs = nonnegative(spec.get("replicas"), "spec.replicas")
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += _selector_and_template(spec, "deployment")  # sic: the server says "deployment" here too
    errs += _restart_always(spec, "ReplicaSet")
    return errs


def _validate_daemon_set(obj: dict) -> list[FieldError]:
    spec = _as_dict(obj.get("spec"))
    selector = spec.get("selector")
    errs = validate_label_selector(selector, "spec.selector")
    if not selector_matches(selector, _template_labels(spec)):
        errs.append(invalid("spec.template.metadata.labels", go_map(_template_labels(spec)),
                            "`selector` does not match template `labels`"))
    if selector is not None and _selector_is_empty(selector):
        errs.append(invalid("spec.selector", go_selector(_as_dict(selector)), "empty selector is invalid for daemonset"))
    errs += validate_pod_template(spec.get("template"), "spec.template")
    errs += _restart_always(spec, "DaemonSet")
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    strategy = _as_dict(spec.get("updateStrategy"))
    if strategy.get("type") == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if rolling is None:
            errs.append(required("spec.updateStrategy.rollingUpdate"))
        else:
            unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
            base = "spec.updateStrategy.rollingUpdate"
            errs += _int_or_percent(unavailable, f"{base}.maxUnavailable") + _int_or_percent(surge, f"{base}.maxSurge")
            errs += _not_over_100(unavailable, f"{base}.maxUnavailable") + _not_over_100(surge, f"{base}.maxSurge")
            has_unavailable, has_surge = _percent_value(unavailable) != 0, _percent_value(surge) != 0
            if has_unavailable and has_surge:
                errs.append(invalid(f"{base}.maxSurge", go_intstr(surge), "may not be set when maxUnavailable is non-zero"))
            elif not has_unavailable and not has_surge:
                errs.append(required(f"{base}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    elif strategy.get("type") != "OnDelete":
        errs.append(not_supported("spec.updateStrategy", GoValue(
            f"apps.DaemonSetUpdateStrategy{{Type:{go_quote(strategy.get('type') or '')}, "
            f"RollingUpdate:{_go_pointer('apps.RollingUpdateDaemonSet', strategy.get('rollingUpdate'))}}}"),
            ("RollingUpdate", "OnDelete")))
    errs += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    return errs


def _validate_stateful_set(obj: dict) -> list[FieldError]:
    spec = _as_dict(obj.get("spec"))
    errs: list[FieldError] = []
    policy = spec.get("podManagementPolicy") or ""
    if not policy:
        errs.append(required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        errs.append(invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
    strategy = _as_dict(spec.get("updateStrategy"))
    strategy_type = strategy.get("type") or ""
    if not strategy_type:
        errs.append(required("spec.updateStrategy"))
    elif strategy_type == "OnDelete":
        if strategy.get("rollingUpdate") is not None:
            errs.append(invalid("spec.updateStrategy.rollingUpdate", GoValue("&apps.RollingUpdateStatefulSetStrategy{}"),
                                "only allowed for updateStrategy 'RollingUpdate'"))
    elif strategy_type == "RollingUpdate":
        errs += nonnegative(_as_dict(strategy.get("rollingUpdate")).get("partition"),
                            "spec.updateStrategy.rollingUpdate.partition")
    else:
        errs.append(invalid("spec.updateStrategy", GoValue(
            f"apps.StatefulSetUpdateStrategy{{Type:{go_quote(strategy_type)}, "
            f"RollingUpdate:{_go_pointer('apps.RollingUpdateStatefulSetStrategy', strategy.get('rollingUpdate'))}}}"),
                            "must be 'RollingUpdate' or 'OnDelete'"))
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if isinstance(retention, dict):
        for when in ("whenDeleted", "whenScaled"):
            value = retention.get(when) or ""
            if value not in ("Retain", "Delete"):
                errs.append(not_supported(f"spec.persistentVolumeClaimRetentionPolicy.{when}", value, ("Retain", "Delete")))
    errs += nonnegative(spec.get("replicas"), "spec.replicas")
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    # The StatefulSet template only gets its labels/annotations checked by the server.
    errs += _selector_and_template(spec, "statefulset", template_spec=False)
    meta = _as_dict(_as_dict(spec.get("template")).get("metadata"))
    errs += validate_labels(meta.get("labels"), "spec.template.labels")
    errs += validate_annotations(meta.get("annotations"), "spec.template.annotations")
    restart = _template_restart_policy(spec)
    if restart != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", restart, ("Always",)))
    if _as_dict(_as_dict(spec.get("template")).get("spec")).get("activeDeadlineSeconds") is not None:
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in StatefulSet is not Supported"))
    return errs


JOB_LABELS = ("controller-uid", "job-name", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name")


def _validate_job_spec(spec: dict, path: str) -> list[FieldError]:
    """validateJobSpec: the part shared by Jobs and CronJob job templates."""
    errs: list[FieldError] = []
    for field_name in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                       "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"):
        errs += nonnegative(spec.get(field_name), child(path, field_name))
    mode = spec.get("completionMode")
    if mode is not None:
        if mode not in ("NonIndexed", "Indexed"):
            errs.append(not_supported(child(path, "completionMode"), mode, ("NonIndexed", "Indexed")))
        if mode == "Indexed" and spec.get("completions") is None:
            errs.append(required(child(path, "completions"), "when completion mode is Indexed"))
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None and replacement not in ("Failed", "TerminatingOrFailed"):
        errs.append(not_supported(child(path, "podReplacementPolicy"), replacement, ("Failed", "TerminatingOrFailed")))
    errs += validate_pod_template(spec.get("template"), child(path, "template"))
    restart = _template_restart_policy(spec)
    restart_path = child(path, "template.spec.restartPolicy")
    if restart in ("Always", ""):
        errs.append(required(restart_path, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        errs.append(not_supported(restart_path, restart, ("OnFailure", "Never")))
    elif spec.get("podFailurePolicy") is not None and restart != "Never":
        errs.append(invalid(restart_path, restart, 'only "Never" is supported when podFailurePolicy is specified'))
    return errs


def _validate_job(obj: dict) -> list[FieldError]:
    spec, meta = _as_dict(obj.get("spec")), _as_dict(obj.get("metadata"))
    errs: list[FieldError] = []
    if not spec.get("manualSelector") and spec.get("selector") is not None:
        if not meta.get("uid"):
            errs.append(required("metadata.uid"))
        labels = _as_dict(_template_labels(spec))
        expected = {"controller-uid": meta.get("uid", ""), "job-name": meta.get("name", ""),
                    "batch.kubernetes.io/controller-uid": meta.get("uid", ""),
                    "batch.kubernetes.io/job-name": meta.get("name", "")}
        for label in JOB_LABELS:
            if label not in labels:
                errs.append(required(f"spec.template.metadata.labels[{label}]", f"must be '{expected[label]}'"))
            elif labels[label] != expected[label]:
                errs.append(invalid(f"spec.template.metadata.labels[{label}]", go_map(labels),
                                    f"must be '{expected[label]}'"))
        if not selector_matches(spec.get("selector"), expected):
            errs.append(invalid("spec.selector", go_selector(spec.get("selector")), "`selector` not auto-generated"))
    errs += _validate_job_spec(spec, "spec")
    if spec.get("selector") is None:
        errs.append(required("spec.selector"))
    else:
        errs += validate_label_selector(spec.get("selector"), "spec.selector")
        if not selector_matches(spec.get("selector"), _template_labels(spec)):
            errs.append(invalid("spec.template.metadata.labels", go_map(_template_labels(spec)),
                                "`selector` does not match template `labels`"))
    return errs


CRON_MAX_NAME = 52
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")


def _validate_cron_job(obj: dict) -> list[FieldError]:
    spec = _as_dict(obj.get("spec"))
    errs: list[FieldError] = []
    schedule = spec.get("schedule") or ""
    if not schedule:
        errs.append(required("spec.schedule"))
    else:
        problem = cron_schedule_error(schedule)
        if problem:
            errs.append(invalid("spec.schedule", schedule, problem))
        if "TZ" in schedule:
            errs.append(invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    errs += nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds")
    errs += required_one_of(spec.get("concurrencyPolicy"), "spec.concurrencyPolicy", CONCURRENCY_POLICIES)
    job_spec = _as_dict(_as_dict(spec.get("jobTemplate")).get("spec"))
    errs += _validate_job_spec(job_spec, "spec.jobTemplate.spec")
    if job_spec.get("selector") is not None:
        errs.append(invalid("spec.jobTemplate.spec.selector", go_selector(job_spec["selector"]),
                            "`selector` will be auto-generated"))
    if job_spec.get("manualSelector"):
        errs.append(not_supported("spec.jobTemplate.spec.manualSelector", True, ("nil", "false")))
    errs += nonnegative(spec.get("successfulJobsHistoryLimit"), "spec.successfulJobsHistoryLimit")
    errs += nonnegative(spec.get("failedJobsHistoryLimit"), "spec.failedJobsHistoryLimit")
    name = _as_dict(obj.get("metadata")).get("name") or ""
    if len(name) > CRON_MAX_NAME:
        errs.append(invalid("metadata.name", name, f"must be no more than {CRON_MAX_NAME} characters"))
    return errs


# --- Services --------------------------------------------------------------------------

NODE_PORT_RANGE = (30000, 32767)  # the API server's --service-node-port-range; callers may change it
SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
SESSION_AFFINITIES = ("ClientIP", "None")
TRAFFIC_POLICIES = ("Cluster", "Local")
MAX_CLIENT_IP_TIMEOUT = 86400


def _is_headless(spec: dict) -> bool:
    return spec.get("clusterIP") == "None" or (spec.get("clusterIPs") or [None])[0] == "None"


def _valid_ip(text: str) -> bool:
    import ipaddress  # only Services with explicit IPs pay for it

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _go_service_port(protocol: str, port) -> GoValue:
    return GoValue(
        f'core.ServicePort{{Name:"", Protocol:{go_quote(protocol)}, AppProtocol:(*string)(nil), Port:{port}, '
        'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'
    )


def _validate_service_port(port: dict, require_name: bool, names: set, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    name = port.get("name") or ""
    if require_name and not name:
        errs.append(required(child(path, "name")))
    elif name:
        errs += [invalid(child(path, "name"), name, msg) for msg in is_dns1123_label(name)]
        if name in names:
            errs.append(duplicate(child(path, "name"), name))
        else:
            names.add(name)
    errs += [invalid(child(path, "port"), port.get("port", 0), msg) for msg in is_valid_port_num(port.get("port", 0))]
    errs += required_one_of(port.get("protocol"), child(path, "protocol"), PORT_PROTOCOLS)
    errs += validate_port_num_or_name(port.get("targetPort", 0), child(path, "targetPort"))
    return errs


def _validate_service(obj: dict) -> list[FieldError]:
    spec = _as_dict(obj.get("spec"))
    service_type = spec.get("type") or ""
    ports = _as_list(spec.get("ports"))
    errs: list[FieldError] = []
    if not ports and not _is_headless(spec) and service_type != "ExternalName":
        errs.append(required("spec.ports"))
    if service_type in ("LoadBalancer", "NodePort") and _is_headless(spec):
        errs.append(invalid("spec.clusterIPs[0]", "None", f"may not be set to 'None' for {service_type} services"))
    if service_type == "ExternalName":
        cname = (spec.get("externalName") or "").rstrip(".")
        errs += required_valid(cname, "spec.externalName", is_dns1123_subdomain)
    names: set[str] = set()
    for i, port in enumerate(ports):
        errs += _validate_service_port(_as_dict(port), len(ports) > 1, names, index("spec.ports", i))
    if spec.get("selector") is not None:
        errs += validate_labels(spec.get("selector"), "spec.selector")
    affinity = spec.get("sessionAffinity") or ""
    errs += required_one_of(affinity, "spec.sessionAffinity", SESSION_AFFINITIES)
    if affinity == "ClientIP":
        timeout = _as_dict(_as_dict(spec.get("sessionAffinityConfig")).get("clientIP")).get("timeoutSeconds")
        if timeout is None:
            errs.append(required("spec.sessionAffinityConfig", "when session affinity type is ClientIP"))
        elif not 0 < timeout <= MAX_CLIENT_IP_TIMEOUT:
            errs.append(invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout,
                                f"must be greater than 0 and less than {MAX_CLIENT_IP_TIMEOUT}"))
    elif affinity == "None" and spec.get("sessionAffinityConfig") is not None:
        errs.append(forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"))
    for i, ip in enumerate(_as_list(spec.get("clusterIPs"))):
        if not (i == 0 and ip == "None") and not _valid_ip(str(ip)):
            errs.append(invalid(index("spec.clusterIPs", i), ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
    if not service_type:
        errs.append(required("spec.type"))
    elif service_type not in SERVICE_TYPES:
        errs.append(not_supported("spec.type", service_type, SERVICE_TYPES))
    if service_type == "ClusterIP":
        for i, port in enumerate(ports):
            if _as_dict(port).get("nodePort"):
                errs.append(forbidden(index("spec.ports", i) + ".nodePort", "may not be used when `type` is 'ClusterIP'"))
    seen_node_ports, seen_ports = set(), set()
    for i, port in enumerate(ports):
        port = _as_dict(port)
        if port.get("nodePort"):
            node_key = (port.get("protocol"), port["nodePort"])
            if node_key in seen_node_ports:
                errs.append(duplicate(index("spec.ports", i) + ".nodePort", port["nodePort"]))
            seen_node_ports.add(node_key)
    for i, port in enumerate(ports):
        port = _as_dict(port)
        port_key = (port.get("protocol") or "", port.get("port", 0))
        if port_key in seen_ports:
            errs.append(duplicate(index("spec.ports", i), _go_service_port(*port_key)))
        seen_ports.add(port_key)
    if spec.get("allocateLoadBalancerNodePorts") is not None and service_type != "LoadBalancer":
        errs.append(forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
    external = service_type in ("LoadBalancer", "NodePort") or (service_type == "ClusterIP" and spec.get("externalIPs"))
    etp = spec.get("externalTrafficPolicy") or ""
    if not external:
        if etp:
            errs.append(invalid("spec.externalTrafficPolicy", etp, "may only be set for externally-accessible services"))
    elif not etp:
        errs.append(required("spec.externalTrafficPolicy"))
    elif etp not in TRAFFIC_POLICIES:
        errs.append(not_supported("spec.externalTrafficPolicy", etp, TRAFFIC_POLICIES))
    itp = spec.get("internalTrafficPolicy")
    if itp is None and service_type in ("ClusterIP", "NodePort", "LoadBalancer"):
        errs.append(required("spec.internalTrafficPolicy"))
    elif itp is not None and itp not in TRAFFIC_POLICIES:
        errs.append(not_supported("spec.internalTrafficPolicy", itp, TRAFFIC_POLICIES))
    low, high = NODE_PORT_RANGE
    for i, port in enumerate(ports):
        node_port = _as_dict(port).get("nodePort")
        if node_port and service_type in ("NodePort", "LoadBalancer") and not low <= node_port <= high:
            errs.append(invalid(index("spec.ports", i) + ".nodePort", node_port,
                                f"provided port is not in the valid range. The range of valid ports is {low}-{high}"))
    return errs


def _validate_service_update(new: dict, old: dict) -> list[FieldError]:
    new_spec, old_spec = _as_dict(new.get("spec")), _as_dict(old.get("spec"))
    if "ExternalName" in (new_spec.get("type"), old_spec.get("type")):
        return []
    if _is_headless(new_spec) and _is_headless(old_spec):
        return []
    old_ips = old_spec.get("clusterIPs") or ([old_spec["clusterIP"]] if old_spec.get("clusterIP") else [])
    new_ips = new_spec.get("clusterIPs") or ([new_spec["clusterIP"]] if new_spec.get("clusterIP") else [])
    if not new_ips:
        return []  # the store copies the allocated IPs forward (patchAllocatedValues)
    errs = []
    for i, ip in enumerate(old_ips[: len(new_ips)]):
        if ip != new_ips[i]:
            errs.append(invalid(index("spec.clusterIPs", i), go_strings(new_ips), "may not change once set"))
    return errs


# --- other core kinds ------------------------------------------------------------------

MAX_SECRET_SIZE = 1024 * 1024
SECRET_REQUIRED_KEYS = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
}


def _validate_config_map(obj: dict) -> list[FieldError]:
    data, binary = _as_dict(obj.get("data")), _as_dict(obj.get("binaryData"))
    errs: list[FieldError] = []
    for k in sorted(data):
        errs += [invalid(key("data", k), k, msg) for msg in is_config_map_key(k)]
        if k in binary:
            errs.append(invalid(key("data", k), k, "duplicate of key present in binaryData"))
    for k in sorted(binary):
        errs += [invalid(key("binaryData", k), k, msg) for msg in is_config_map_key(k)]
    size = sum(len(str(v or "")) for v in data.values()) + sum(len(str(v or "")) * 3 // 4 for v in binary.values())
    if size > MAX_SECRET_SIZE:
        errs.append(FieldError("", TOO_LONG, "", f"must have at most {MAX_SECRET_SIZE} bytes"))
    return errs


def _validate_secret(obj: dict) -> list[FieldError]:
    data = dict(_as_dict(obj.get("data")))
    data.update({k: v for k, v in _as_dict(obj.get("stringData")).items()})
    errs: list[FieldError] = []
    for k in sorted(data):
        errs += [invalid(key("data", k), k, msg) for msg in is_config_map_key(k)]
    secret_type = obj.get("type") or "Opaque"
    if secret_type == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs += [required("data[username]"), required("data[password]")]
    elif secret_type == "kubernetes.io/service-account-token":
        annotations = _as_dict(_as_dict(obj.get("metadata")).get("annotations"))
        if not annotations.get("kubernetes.io/service-account.name"):
            errs.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    for required_key in SECRET_REQUIRED_KEYS.get(secret_type, ()):
        if required_key not in data:
            errs.append(required(key("data", required_key)))
    return errs


def secret_decode_error(obj: dict) -> str | None:
    """The 400 BadRequest text for Secret data that is not base64, or None.

    This is a decode error on the server, not a 422: ``Secret in version "v1" cannot be
    handled as a Secret: illegal base64 data at input byte N`` (Go's StdEncoding offset).
    """
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    for k in sorted(_as_dict(obj.get("data"))):
        value = obj["data"][k]
        if not isinstance(value, str):
            return f'Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal ' \
                   f'{type(value).__name__} into Go struct field Secret.data of type []uint8'
        offset = _base64_error_offset(value, alphabet)
        if offset is not None:
            return f'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte {offset}'
    return None


def _base64_error_offset(text: str, alphabet: set) -> int | None:
    """Where Go's padded StdEncoding.Decode reports CorruptInputError, or None if valid."""
    si, n = 0, len(text)
    while True:
        j = 0
        while j < 4:
            if si == n:
                return None if j == 0 else si - j
            ch = text[si]
            si += 1
            if ch in alphabet:
                j += 1
                continue
            if ch in "\r\n":
                continue
            if ch != "=" or j < 2:
                return si - 1
            if j == 2:  # "xx=" needs a second '='
                while si < n and text[si] in "\r\n":
                    si += 1
                if si == n:
                    return n
                if text[si] != "=":
                    return si - 1
                si += 1
            while si < n and text[si] in "\r\n":
                si += 1
            return si if si < n else None


def _validate_namespace(obj: dict) -> list[FieldError]:
    return []


def _validate_node(obj: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, taint in enumerate(_as_list(_as_dict(obj.get("spec")).get("taints"))):
        t_path, taint = index("metadata.taints", i), _as_dict(taint)
        errs += [invalid(child(t_path, "key"), taint.get("key", ""), msg) for msg in is_qualified_name(taint.get("key", ""))]
        errs += required_one_of(taint.get("effect"), child(t_path, "effect"), TAINT_EFFECTS)
    return errs


def _validate_hpa(obj: dict) -> list[FieldError]:
    spec = _as_dict(obj.get("spec"))
    errs: list[FieldError] = []
    min_replicas, max_replicas = spec.get("minReplicas"), spec.get("maxReplicas") or 0
    if min_replicas is not None and min_replicas < 1:
        errs.append(invalid("spec.minReplicas", min_replicas, "must be greater than or equal to 1"))
    if max_replicas < 1:
        errs.append(invalid("spec.maxReplicas", max_replicas, "must be greater than 0"))
    if min_replicas is not None and max_replicas < min_replicas:
        errs.append(invalid("spec.maxReplicas", max_replicas, "must be greater than or equal to `minReplicas`"))
    target = _as_dict(spec.get("scaleTargetRef"))
    for field_name in ("kind", "name"):
        if not target.get(field_name):
            errs.append(required(f"spec.scaleTargetRef.{field_name}"))
    return errs


ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")


def _validate_endpoint_slice(obj: dict) -> list[FieldError]:
    address_type = obj.get("addressType") or ""
    if not address_type:
        return [required("addressType")]
    if address_type not in ADDRESS_TYPES:
        return [not_supported("addressType", address_type, ADDRESS_TYPES)]
    return []


def _nothing(obj: dict) -> list[FieldError]:
    return []


class KindRules:
    """How one kind is validated: name format, scope, spec validator, update validator."""

    __slots__ = ("name_fn", "namespaced", "validate", "validate_update")

    def __init__(self, name_fn: Callable[..., list[str]], namespaced: bool,
                 validate: Callable[[dict], list[FieldError]],
                 validate_update: Callable[[dict, dict], list[FieldError]] | None = None) -> None:
        self.name_fn, self.namespaced = name_fn, namespaced
        self.validate, self.validate_update = validate, validate_update


def _immutable_selector(new: dict, old: dict) -> list[FieldError]:
    """The apps/v1 and batch/v1 strategies refuse any change to spec.selector."""
    new_sel, old_sel = _as_dict(new.get("spec")).get("selector"), _as_dict(old.get("spec")).get("selector")
    if _normalise_selector(new_sel) != _normalise_selector(old_sel):
        return [invalid("spec.selector", go_selector(new_sel), "field is immutable")]
    return []


def _normalise_selector(selector):
    selector = _as_dict(selector)
    return (selector.get("matchLabels") or {}, selector.get("matchExpressions") or [])


STS_MUTABLE = ("replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
               "minReadySeconds")


def _stateful_set_update(new: dict, old: dict) -> list[FieldError]:
    def frozen(obj):
        return {k: v for k, v in _as_dict(obj.get("spec")).items() if k not in STS_MUTABLE}

    if frozen(new) != frozen(old):
        return [forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                                  "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                                  "'minReadySeconds' are forbidden")]
    return []


def _job_update(new: dict, old: dict) -> list[FieldError]:
    errs = _immutable_selector(new, old)
    new_spec, old_spec = _as_dict(new.get("spec")), _as_dict(old.get("spec"))
    if new_spec.get("completionMode") != "Indexed" and new_spec.get("completions") != old_spec.get("completions"):
        errs.append(invalid("spec.completions", new_spec.get("completions"), "field is immutable"))
    mutable = ("nodeSelector", "tolerations", "schedulingGates", "affinity")
    new_t, old_t = _as_dict(new_spec.get("template")), _as_dict(old_spec.get("template"))

    def pod_part(template):
        meta = {k: v for k, v in _as_dict(template.get("metadata")).items() if k not in ("labels", "annotations")}
        spec = {k: v for k, v in _as_dict(template.get("spec")).items() if k not in mutable}
        return meta, spec

    if pod_part(new_t) != pod_part(old_t):
        errs.append(invalid("spec.template", GoValue("core.PodTemplateSpec{...}"), "field is immutable"))
    return errs


POD_UPDATABLE = (
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def _pod_update(new: dict, old: dict) -> list[FieldError]:
    """Pod specs are immutable except images, deadlines, added tolerations and binding."""
    def frozen(spec):
        spec = dict(_as_dict(spec))
        for key_name in ("containers", "initContainers"):
            spec[key_name] = [{k: v for k, v in _as_dict(c).items() if k != "image"} for c in _as_list(spec.get(key_name))]
        for key_name in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds", "schedulingGates"):
            spec.pop(key_name, None)
        return spec

    new_spec, old_spec = _as_dict(new.get("spec")), _as_dict(old.get("spec"))
    if not old_spec.get("nodeName"):  # binding: the scheduler sets nodeName once
        new_spec = {k: v for k, v in new_spec.items() if k != "nodeName"}
        old_spec = {k: v for k, v in old_spec.items() if k != "nodeName"}
    old_tolerations = _as_list(old_spec.get("tolerations"))
    if any(t not in _as_list(new_spec.get("tolerations")) for t in old_tolerations) or frozen(new_spec) != frozen(old_spec):
        return [forbidden("spec", f"pod updates may not change fields other than {POD_UPDATABLE}")]
    return []


RULES: dict[str, KindRules] = {
    "Namespace": KindRules(name_is_dns_label, False, _validate_namespace),
    "Pod": KindRules(name_is_dns_subdomain, True, _validate_pod, _pod_update),
    "Service": KindRules(name_is_dns1035_label, True, _validate_service, _validate_service_update),
    "ConfigMap": KindRules(name_is_dns_subdomain, True, _validate_config_map),
    "Secret": KindRules(name_is_dns_subdomain, True, _validate_secret),
    "Node": KindRules(name_is_dns_subdomain, False, _validate_node),
    "Event": KindRules(name_is_dns_subdomain, True, _nothing),
    "Endpoints": KindRules(name_is_dns_subdomain, True, _nothing),
    "ServiceAccount": KindRules(name_is_dns_subdomain, True, _nothing),
    "Deployment": KindRules(name_is_dns_subdomain, True, _validate_deployment, _immutable_selector),
    "ReplicaSet": KindRules(name_is_dns_subdomain, True, _validate_replica_set, _immutable_selector),
    "DaemonSet": KindRules(name_is_dns_subdomain, True, _validate_daemon_set, _immutable_selector),
    # Since 1.31 the server wants StatefulSet names to be DNS labels (they become pod hostnames).
    "StatefulSet": KindRules(name_is_dns_label, True, _validate_stateful_set, _stateful_set_update),
    "Job": KindRules(name_is_dns_subdomain, True, _validate_job, _job_update),
    "CronJob": KindRules(name_is_dns_subdomain, True, _validate_cron_job),
    "HorizontalPodAutoscaler": KindRules(name_is_dns_subdomain, True, _validate_hpa),
    "EndpointSlice": KindRules(name_is_dns_subdomain, True, _validate_endpoint_slice),
    "Lease": KindRules(name_is_dns_subdomain, True, _nothing),
}


def validate(obj: dict, old: dict | None = None) -> list[FieldError]:
    """Validate a defaulted object as the API server does; ``old`` is set for updates.

    Returns the causes in the server's order (empty list = valid). Unknown kinds only get
    their metadata checked, as DNS subdomain names.
    """
    rules = RULES.get(obj.get("kind", ""), KindRules(name_is_dns_subdomain, True, _nothing))
    meta = _as_dict(obj.get("metadata"))
    errs: list[FieldError] = []
    if old is not None:
        errs += validate_object_meta_update(meta, _as_dict(old.get("metadata")))
    errs += validate_object_meta(meta, rules.namespaced, rules.name_fn)
    errs += rules.validate(obj)
    if old is not None and rules.validate_update is not None:
        errs += rules.validate_update(obj, old)
    return errs
