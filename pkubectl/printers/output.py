"""`-o` formats: one place that turns objects into text, for every command.

`Printer.from_flag("wide")`, then `printer.print(objects, kinds)`. Tables come from the
registry's columns and `columns.CELLS`; the rest from yamlout, jsonpath, gotemplate and
customcolumns. Formats that are not tables never print "No resources found".
"""
from __future__ import annotations

import json
import sys
import time

FORMATS = ("custom-columns", "custom-columns-file", "go-template", "go-template-file", "json", "jsonpath",
           "jsonpath-as-json", "jsonpath-file", "kyaml", "name", "template", "templatefile", "wide", "yaml")


class PrinterError(Exception):
    pass


def to_list(objs: list[dict]) -> dict:
    return {"apiVersion": "v1", "items": objs, "kind": "List", "metadata": {"resourceVersion": ""}}


def strip_managed(obj: dict) -> dict:
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = dict(obj)
        obj["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return obj


def _read_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise PrinterError(f"error reading template {path}, {e.strerror}") from None


class Printer:
    """Chosen from `-o`; `table` is the default (None)."""

    def __init__(self, fmt: str | None, arg: str = "", allow_missing: bool = True, template: str | None = None):
        self.fmt, self.arg, self.allow_missing = fmt, arg, allow_missing
        self._compiled = None
        if fmt in ("go-template", "template") and not arg and template:
            self.arg = template
        if fmt in ("go-template-file", "templatefile", "jsonpath-file", "custom-columns-file"):
            if not self.arg and template:
                self.arg = template
            self.arg = _read_file(self.arg)
        if fmt in ("jsonpath", "jsonpath-file", "jsonpath-as-json"):
            from pkubectl.printers import jsonpath
            try:
                self._compiled = jsonpath.compile(self.arg)
            except jsonpath.JSONPathError as e:
                raise PrinterError(f"error parsing jsonpath {self.arg}, {e}") from None
        elif fmt in ("go-template", "template", "go-template-file", "templatefile"):
            from pkubectl.printers import gotemplate
            try:
                self._compiled = gotemplate.compile(self.arg)
            except gotemplate.TemplateError as e:
                raise PrinterError(f"error parsing template {self.arg}, {e}") from None
        elif fmt in ("custom-columns", "custom-columns-file"):
            from pkubectl.printers import customcolumns
            try:
                self._compiled = (customcolumns.parse_spec(self.arg) if fmt == "custom-columns"
                                  else customcolumns.parse_file(self.arg))
            except customcolumns.CustomColumnsError as e:
                raise PrinterError(str(e)) from None

    @classmethod
    def from_flag(cls, output: str | None, allow_missing: bool = True, template: str | None = None) -> "Printer":
        if output is None or output == "":
            if template:
                return cls("go-template", template, allow_missing)
            return cls(None)
        fmt, _, arg = output.partition("=")
        if fmt not in FORMATS:
            raise PrinterError(
                f'unable to match a printer suitable for the output format "{output}", allowed formats are: '
                + ",".join(FORMATS))
        if fmt in ("jsonpath", "jsonpath-file", "jsonpath-as-json", "custom-columns", "custom-columns-file",
                   "go-template-file", "templatefile") and not arg and not template:
            if fmt.startswith("jsonpath"):
                raise PrinterError("template format specified but no template given")
            if fmt.startswith("custom-columns"):
                raise PrinterError("custom-columns format specified but no custom columns given")
            raise PrinterError("template format specified but no template given")
        return cls(fmt, arg, allow_missing, template)

    @property
    def is_table(self) -> bool:
        return self.fmt in (None, "wide")

    @property
    def is_structured(self) -> bool:
        return self.fmt in ("json", "yaml", "kyaml")

    # -- whole-result printers -------------------------------------------------
    def render(self, objs: list[dict], as_list: bool) -> str:
        """Text for objects in one of the non-table formats. `as_list`: several
        objects, or a query that could return several (kubectl prints a List)."""
        objs = [strip_managed(o) for o in objs]
        data = to_list(objs) if as_list else (objs[0] if objs else to_list([]))
        fmt = self.fmt
        if fmt == "json":
            return json.dumps(data, indent=4, ensure_ascii=False, sort_keys=True) + "\n"
        if fmt in ("yaml", "kyaml"):
            from pkubectl.printers import yamlout
            return yamlout.dump(data)
        if fmt == "name":
            return "".join(name_of(o) + "\n" for o in objs)
        if fmt in ("jsonpath", "jsonpath-file"):
            from pkubectl.printers import jsonpath
            try:
                return self._compiled.execute(data, allow_missing=self.allow_missing)
            except jsonpath.JSONPathError as e:
                raise PrinterError(f'error executing jsonpath "{self.arg}": Error executing template: {e}. '
                                   f"Printing more information for debugging the template:\n"
                                   f"\ttemplate was:\n\t\t{self.arg}\n\tobject given to jsonpath engine was:\n"
                                   f"\t\t{json.dumps(data)}\n") from None
        if fmt == "jsonpath-as-json":
            from pkubectl.printers import jsonpath
            try:
                return self._compiled.execute_as_json(data) + "\n"
            except jsonpath.JSONPathError as e:
                raise PrinterError(f'error executing jsonpath "{self.arg}": {e}') from None
        if fmt in ("go-template", "template", "go-template-file", "templatefile"):
            from pkubectl.printers import gotemplate
            try:
                return self._compiled.execute(data, allow_missing=self.allow_missing)
            except gotemplate.TemplateError as e:
                raise PrinterError(f"error executing template {json.dumps(self.arg)}: {e}") from None
        if fmt in ("custom-columns", "custom-columns-file"):
            from pkubectl.printers import customcolumns
            from pkubectl.printers.tabwriter import format_table
            rows = customcolumns.render(self._compiled, objs)
            return format_table(rows).rstrip("\n") + "\n" if rows else ""
        raise PrinterError(f"unsupported output format {fmt}")

    def print(self, objs: list[dict], as_list: bool) -> None:
        sys.stdout.write(self.render(objs, as_list))


def name_of(obj: dict) -> str:
    from pkubectl.api import registry
    try:
        k = registry.for_object(obj)
        prefix = k.lower_kind
    except registry.NoKindMatch:
        prefix = (obj.get("kind") or "").lower()
    return f"{prefix}/{(obj.get('metadata') or {}).get('name', '')}"


# -- tables ----------------------------------------------------------------------
class TableOptions:
    def __init__(self, wide=False, no_headers=False, show_labels=False, label_columns=(), all_namespaces=False,
                 show_kind=False, sort_by=None):
        self.wide, self.no_headers, self.show_labels = wide, no_headers, show_labels
        self.label_columns = [c for c in label_columns if c]
        self.all_namespaces, self.show_kind = all_namespaces, show_kind
        self.sort_by = sort_by


def table_rows(kind, objs: list[dict], opts: TableOptions, now: float | None = None,
               header: bool = True) -> list[list[str]]:
    from pkubectl.printers.columns import CELLS

    now = now or time.time()
    cols = [c for c in kind.columns if c.priority == 0 or opts.wide]
    if not cols:
        from pkubectl.api.registry import NAME_AGE
        cols = list(NAME_AGE)
    rows: list[list[str]] = []
    if header and not opts.no_headers:
        h = [c.header for c in cols]
        if opts.all_namespaces and kind.namespaced:
            h.insert(0, "NAMESPACE")
        h += [c.rsplit("/", 1)[-1].upper() for c in opts.label_columns]
        if opts.show_labels:
            h.append("LABELS")
        rows.append(h)
    for o in objs:
        cells = [CELLS[c.cell](o, now) for c in cols]
        if opts.show_kind and cols and cols[0].cell == "name":
            cells[0] = f"{kind.lower_kind}/{cells[0]}"
        if opts.all_namespaces and kind.namespaced:
            cells.insert(0, (o.get("metadata") or {}).get("namespace", ""))
        labels = (o.get("metadata") or {}).get("labels") or {}
        cells += [labels.get(c, "") for c in opts.label_columns]
        if opts.show_labels:
            cells.append(",".join(f"{k}={labels[k]}" for k in sorted(labels)) or "<none>")
        rows.append(cells)
    return rows
