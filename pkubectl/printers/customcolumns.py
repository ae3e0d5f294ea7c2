"""`kubectl -o custom-columns=` / `custom-columns-file=` (kubectl get/customcolumn.go).

Column paths are "relaxed" JSONPath (`metadata.name`, `.metadata.name`,
`{metadata.name}` and `{.metadata.name}` all mean `{.metadata.name}`) and are
evaluated with missing keys allowed. A cell is `<none>` when nothing
matched, otherwise every match printed with Go's fmt.Sprint (maps as
`map[a:5]`) joined by ","; ESC and CR are made visible like kubectl's
EscapeTerminal. Rows are laid out by the caller with tabwriter.format_table.

Public API:
    Column(header, path)                      path is the full `{...}` template
    parse_spec(spec) -> list[Column]          "NAME:.metadata.name,IMG:.spec..."
    parse_file(text) -> list[Column]          header line + path line
    relaxed_jsonpath(expr) -> str
    render(columns, objects, no_headers=False) -> list[list[str]]
    CustomColumnsError(msg)
"""

from __future__ import annotations

from collections import namedtuple

from . import jsonpath

__all__ = ["Column", "CustomColumnsError", "parse_spec", "parse_file",
           "relaxed_jsonpath", "render"]


class CustomColumnsError(Exception):
    """str(err) is kubectl's message (without the `error: ` prefix)."""


# collections.namedtuple, not typing.NamedTuple: `get` must not pay for importing typing.
Column = namedtuple("Column", "header path")


def relaxed_jsonpath(expr: str) -> str:
    """RelaxedJSONPathExpression: normalise a column path to `{.a.b}`.

    Same as Go's `^\\{\\.?([^{}]+)\\}$|^\\.?([^{}]+)$`, written out by hand
    (that regex takes ~40 ms to compile on CPython 3.11).
    """
    if not expr:
        return expr
    body = expr[1:-1] if len(expr) >= 2 and expr[0] == "{" and expr[-1] == "}" else expr
    if not body or "{" in body or "}" in body:
        raise CustomColumnsError(
            "unexpected path string, expected a 'name1.name2' or '.name1.name2' "
            "or '{name1.name2}' or '{.name1.name2}'")
    if body[0] == "." and len(body) > 1:
        body = body[1:]
    return "{.%s}" % body


def parse_spec(spec: str) -> list[Column]:
    """Columns from `HDR:path,HDR2:path2` (NewCustomColumnsPrinterFromSpec)."""
    if not spec:
        raise CustomColumnsError("custom-columns format specified but no custom columns given")
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep:
            raise CustomColumnsError(
                f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append(Column(header, relaxed_jsonpath(path)))
    return columns


def parse_file(text: str) -> list[Column]:
    """Columns from a template file: a header line and a path line, whitespace separated."""
    lines = text.splitlines()
    if not lines:
        raise CustomColumnsError(
            "invalid template, missing header line. Expected format is one line of space "
            "separated headers, one line of space separated column specs.")
    if len(lines) < 2:
        raise CustomColumnsError(
            "invalid template, missing spec line. Expected format is one line of space "
            "separated headers, one line of space separated column specs.")
    headers, specs = lines[0].split(), lines[1].split()
    if len(headers) != len(specs):
        raise CustomColumnsError(
            f"number of headers ({len(headers)}) and field specifications ({len(specs)}) don't match")
    return [Column(h, relaxed_jsonpath(s)) for h, s in zip(headers, specs)]


_TERMINAL_ESCAPES = str.maketrans({"\x1b": "^[", "\r": "\\r"})


def _cell(template: jsonpath.Template, obj) -> str:
    results = template.find_results(obj, allow_missing=True)
    values = [jsonpath.go_sprint(v).translate(_TERMINAL_ESCAPES)
              for group in results for v in group]
    if not results or not results[0]:
        values.insert(0, "<none>")
    return ",".join(values)


def render(columns: list[Column], objects, no_headers: bool = False) -> list[list[str]]:
    """Rows (header first unless no_headers) for the given objects.

    Errors from a column path (parse or evaluation) raise jsonpath.JSONPathError.
    """
    templates = [jsonpath.compile(c.path) for c in columns]
    rows = [] if no_headers else [[c.header for c in columns]]
    for obj in objects:
        rows.append([_cell(t, obj) for t in templates])
    return rows
