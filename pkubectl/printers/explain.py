"""`kubectl explain` output: kubectl's plaintext template (explain/v2) over our schema.

Follows the template's rules: a field path walks properties, stepping through lists
(`items`) and maps (`additionalProperties`) on the way; a field's description is its own
followed by its type's; types are shown as kubectl guesses them (`[]Container`,
`map[string]string`, `Object`, a definition's last name when it is an object or has no
type, e.g. `IntOrString`); text is wrapped by sprig's `wrap` (which breaks only at
spaces and counts a newline as an ordinary character) and indented by `indent` (every
line, empty ones too).
"""
from __future__ import annotations

from pkubectl.api import openapi


class FieldNotFound(Exception):
    """The field path names a field the schema does not have."""


def wrap(text: str, width: int) -> str:
    """sprig's `wrap` (goutils.Wrap): break at the last space within `width`; a word
    longer than `width` runs on to the next space."""
    if not text:
        return ""
    out, offset, n = [], 0, len(text)
    while n - offset > width:
        if text[offset] == " ":
            offset += 1
            continue
        space = text.rfind(" ", offset, offset + width + 1)
        if space >= offset:
            out.append(text[offset:space] + "\n")
            offset = space + 1
            continue
        space = text.find(" ", offset + width)
        if space == -1:
            out.append(text[offset:])
            offset = n
        else:
            out.append(text[offset:space] + "\n")
            offset = space + 1
    out.append(text[offset:])
    return "".join(out)


def indent(text: str, amount: int) -> str:
    pad = " " * amount
    return pad + text.replace("\n", "\n" + pad)


def type_guess(schema: dict) -> str:
    if "items" in schema:
        return "[]" + type_guess(schema["items"])
    if "additionalProperties" in schema:
        return "map[string]" + type_guess(schema["additionalProperties"])
    if "$ref" in schema:
        target = openapi.resolve(schema)
        if target.get("type") in (None, "object"):
            return schema["$ref"].rsplit(".", 1)[-1] or "Object"
        return target["type"]
    kind = schema.get("type")
    return "Object" if kind in (None, "object") else kind


def description(schema: dict) -> str:
    """The field's own description, then its referenced type's, then its items' or values'."""
    text = schema["description"] + "\n" if schema.get("description") else ""
    target = openapi.resolve(schema)
    if target is not schema:  # definitions themselves hold no $ref, so this ends
        text += description(target)
    for key in ("items", "additionalProperties"):
        if key in schema:
            text += description(schema[key])
    return text


def _fields_schema(schema: dict) -> dict:
    """The schema whose properties are listed for `schema` (through refs, lists, maps)."""
    seen = set()
    while True:
        if schema.get("$ref"):
            if schema["$ref"] in seen:
                return {}
            seen.add(schema["$ref"])
            schema = openapi.resolve(schema)
        elif "properties" not in schema and "items" in schema:
            schema = schema["items"]
        elif "properties" not in schema and "additionalProperties" in schema:
            schema = schema["additionalProperties"]
        else:
            return schema


def field_list(schema: dict, level: int, recursive: bool, max_depth: int = 0,
               history: frozenset = frozenset()) -> str:
    """The FIELDS section: every property (sorted) with its type and description, or with
    `recursive` its fields' fields by indentation instead of descriptions, `max_depth`
    levels deep (0: no limit)."""
    ref = schema.get("$ref")
    if ref and ref in history:
        return ""  # a cycle: the template stops here
    history = history | {ref} if ref else history
    resolved = openapi.resolve(schema) if ref else schema
    out = []
    for name in sorted(resolved.get("properties") or {}):
        field = resolved["properties"][name]
        pad = level * 2
        line = indent(name, pad) + "\t<" + type_guess(field) + ">"
        if name in (resolved.get("required") or ()):
            line += " -required-"
        out.append(line + "\n")
        if not recursive:
            out.append(indent(wrap(field.get("description") or "<no description>", 78 - pad), pad + 2) + "\n\n")
        elif not max_depth or level < max_depth:
            out.append(field_list(field, level + 1, recursive, max_depth, history))
    for key in ("items", "additionalProperties"):
        if key in resolved:
            out.append(field_list(resolved[key], level, recursive, max_depth, history))
    return "".join(out)


def explain(kind, path: list[str], recursive: bool = False, max_depth: int = 0) -> str:
    """The whole `kubectl explain` text for a registry Kind and a field path."""
    found = openapi.definition_for(kind)
    if found is None:
        raise FieldNotFound(path[-1] if path else kind.kind)
    _, schema = found
    head = ("GROUP:      %s\n" % kind.group if kind.group else "") + \
        "KIND:       %s\nVERSION:    %s\n\n" % (kind.kind, kind.version)
    for i, name in enumerate(path):
        container = _fields_schema(schema)
        field = (container.get("properties") or {}).get(name)
        if field is None:
            raise FieldNotFound(path[-1])
        if i == len(path) - 1:
            head += "FIELD: %s <%s>\n\n\n" % (name, type_guess(field))
        schema = field
    body = "DESCRIPTION:\n" + indent(wrap(description(schema) or "<empty>", 76), 4) + "\n"
    fields = field_list(schema, 1, recursive, max_depth)
    if fields:
        body += "FIELDS:\n" + fields
    return head + body + "\n"
