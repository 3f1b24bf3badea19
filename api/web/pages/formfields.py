"""Forms on the page from the forms' JSON Schema, and the posted fields back to data.

The schema (``workflows.form_schema``) is the one the API publishes, so the
page, the API and the validation agree. This module only turns it into
inputs and back; the form's own rules answer in the ``Invalid`` error, whose
messages (field -> messages, row index -> field -> messages for lists) are
put next to the inputs they are about.

Lists of rows (a council, one mark per candidate) post as ``list-<row>-<key>``
with a row count (see :mod:`api.web.pages.formpost`, which reads them back).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from api.web.formats import day_typed, parse_day

RADIO_MAX = 3  # up to this many choices: radio buttons, else a select
MAX_ROWS = 200
JSON_FIELD = "_json"


@dataclass
class Input:
    """One input: its HTML name and id, the kind of control and what it shows."""

    name: str
    key: str
    node: dict[str, Any]
    kind: str  # text, textarea, number, integer, date, checkbox, select, radio, lines, picks, json, file
    value: Any = ""
    required: bool = False
    errors: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)
    readonly: bool = False
    autofocus: bool = False  # the first faulty input after a refused submit (focus without JavaScript)

    @property
    def id(self) -> str:
        return "f-" + self.name

    @property
    def text(self) -> str:
        """What a read-only cell shows as text: a choice by its words (a person by name), else the value."""
        return dict(self.options).get(str(self.value), str(self.value)) if self.options else str(self.value)


@dataclass
class RowList:
    """A list of objects: one row of inputs per item."""

    name: str
    node: dict[str, Any]
    columns: list[tuple[str, dict[str, Any], bool]]  # key, node, required
    rows: list[list[Input]]
    required: bool = False
    errors: list[str] = field(default_factory=list)
    fixed_rows: bool = False  # one row per candidate: no adding or removing
    notes: list[str] = field(default_factory=list)  # what each fixed row is about (a candidate's name)
    kind: str = "rows"

    @property
    def id(self) -> str:
        return "list-" + self.name

    def row_name(self, index: int) -> str:
        """Who or what row ``index`` is about, for a message naming the row: its note (a candidate's
        name), else the first name or code typed in it."""
        if index < len(self.notes) and self.notes[index]:
            return self.notes[index]
        cells = self.rows[index]
        named = [c for c in cells if c.key.endswith("name")] + [c for c in cells if c.kind in ("text", "select")]
        return next((c.text for c in named if str(c.value).strip()), "")


@dataclass
class Problem:
    """One line of the error summary above a refused form: where (the cell's id) and what is wrong."""

    href: str
    row: int | None  # 1-based row of a list, None for a field of the form or a whole list
    who: str  # what the row is about (a candidate's name), may be empty
    label: str
    message: str


def problems(fields: list[Any], errors: Mapping[str, Any] | None = None) -> list[Problem]:
    """Every message of a built form, in the order the form reads, each with the id of its input;
    the first faulty input is marked ``autofocus``, so the page opens on it without JavaScript.
    A message of ``errors`` about no field on the page (a rule about the whole form) comes first,
    without a link."""
    from api.web.i18n import title_of

    names = {f.name for f in fields}
    out = [] if JSON_FIELD in names else [Problem("", None, "", "", m) for key, value in (errors or {}).items()
                                          if key not in names for m in _messages(value)]
    first: list[Input] = []
    for f in fields:
        if isinstance(f, RowList):
            out += [Problem("#" + f.id, None, "", title_of(f.node, f.name), m) for m in f.errors]
            for i, row in enumerate(f.rows):
                for cell in row:
                    out += [Problem("#" + cell.id, i + 1, f.row_name(i), title_of(cell.node, cell.key), m)
                            for m in cell.errors]
                    first += [cell] if cell.errors and not cell.readonly else []
        else:
            out += [Problem("#" + f.id, None, "", title_of(f.node, f.name), m) for m in f.errors]
            first += [f] if f.errors else []
    if first:
        first[0].autofocus = True
    return out


def kind_of(node: Mapping[str, Any]) -> str:
    if "x-file" in node:  # a file uploaded with the form (forms.File): a file input
        return "file"
    kind = node.get("type")
    if "enum" in node:
        return "radio" if len(node["enum"]) <= RADIO_MAX else "select"
    if kind == "boolean":
        return "checkbox"
    if kind == "integer":
        return "integer"
    if kind == "number":
        return "number"
    if kind == "string" and node.get("format") == "date":
        return "date"
    if kind == "string":
        return "textarea" if (node.get("maxLength") or 0) > 400 else "text"
    if kind == "array" and (node.get("items") or {}).get("type") in ("string", "integer", "number"):
        return "lines"
    return "json"


def _shown(kind: str, value: Any) -> Any:
    if kind == "file":  # a file kept from an earlier try: {"file_id", "name"}, or nothing yet
        return value if isinstance(value, dict) and "name" in value else None
    if value is None:
        return "" if kind != "checkbox" else False
    if kind == "checkbox":
        return value is True or value in ("1", "true", "on")
    if kind == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if kind == "picks":  # the codes ticked: a list as stored, or lines as posted back
        return [str(v) for v in value] if isinstance(value, list) else str(value).split()
    if kind == "json":
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)
    if kind == "date":  # stored ISO, typed and shown dd/mm/yyyy
        return day_typed(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _date_errors(kind: str, shown: Any, errors: list[str]) -> list[str]:
    """A date the reader typed that is no day (31/02/2026, 15-12): the schema's own words would be
    about ISO dates, so the page says, in the reader's language, how to write one."""
    if kind != "date" or not errors or not shown or parse_day(str(shown)) is not None:
        return errors
    from flask_babel import gettext

    return [gettext("“%(value)s” is not a date: write it as dd/mm/yyyy, e.g. 15/12/2026.", value=shown)]


def _messages(errors: Any) -> list[str]:
    if isinstance(errors, list):
        return [m for m in errors if isinstance(m, str)]
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, dict):  # errors about a whole list row set, e.g. {"_schema": [...]}
        return [m for v in errors.values() for m in _messages(v) if isinstance(v, (list, str))]
    return []


def _picked_options(choices: list[tuple[str, str]] | None, picked: list[str]) -> list[tuple[str, str]]:
    """The choices of a list ticked by name, and any code already picked that is not among them (an
    account since closed) shown as it is, so that resubmitting never drops it silently."""
    offered = list(choices or [])
    known = {code for code, _text in offered}
    return offered + [(code, code) for code in picked if code not in known]


def _options(node: Mapping[str, Any], choices: list[tuple[str, str]] | None) -> list[tuple[str, str]]:
    if choices is not None:
        return choices
    from api.web.i18n import enum_label

    return [(str(v), enum_label(node, v)) for v in node.get("enum", [])]


def build(schema: Mapping[str, Any], values: Mapping[str, Any] | None = None,
          errors: Mapping[str, Any] | None = None, *, choices: Mapping[str, list[tuple[str, str]]] | None = None,
          fixed: Mapping[str, list[str]] | None = None, extra_rows: Mapping[str, int] | None = None,
          notes: Mapping[str, list[str]] | None = None) -> list[Any]:
    """The inputs of ``schema`` showing ``values`` (data-shaped) and ``errors`` (``Invalid.details``).

    ``choices``: ``"list.key"`` or ``"key"`` -> options that replace a text input by a select
    (e.g. candidate codes); ``fixed``: list -> keys shown read-only with one row per given item."""
    values, errors, choices, fixed = values or {}, errors or {}, choices or {}, fixed or {}
    props = schema.get("properties")
    if props is None:  # a task without a form: any JSON object
        return [Input(JSON_FIELD, JSON_FIELD, dict(schema), "json", _shown("json", values or {}),
                      errors=_messages(errors.get("data")) + [m for k, v in errors.items() if k != "data"
                                                              for m in _messages(v)])]
    required = set(schema.get("required") or [])
    out: list[Any] = []
    for key, node in props.items():
        items = node.get("items") or {}
        if node.get("type") == "array" and items.get("type") == "object":
            rows = _rows(key, node, values.get(key), errors.get(key), key in required, choices, fixed.get(key),
                         (extra_rows or {}).get(key, 0))
            rows.notes = list((notes or {}).get(key, []))
            out.append(rows)
            continue
        kind = kind_of(node)
        option_list = choices.get(key)
        if option_list is not None and kind in ("text", "select", "radio"):
            kind = "select"
        if option_list is not None and kind == "lines":  # several of a list (council members): ticked by name
            kind = "picks"
        shown = _shown(kind, values.get(key, node.get("default")))
        out.append(Input(key, key, node, kind, shown, key in required,
                         _date_errors(kind, shown, _messages(errors.get(key))),
                         _options(node, option_list) if kind in ("select", "radio") else
                         _picked_options(option_list, shown) if kind == "picks" else []))
    return out


def _rows(key: str, node: dict[str, Any], value: Any, errors: Any, required: bool,
          choices: Mapping[str, list[tuple[str, str]]], fixed_keys: list[str] | None, extra: int) -> RowList:
    items = node["items"]
    row_required = set(items.get("required") or [])
    columns = [(k, n, k in row_required) for k, n in items.get("properties", {}).items()]
    given = value if isinstance(value, list) else []
    count = min(MAX_ROWS, max(len(given) + extra, 0 if given or not required else 1))
    row_errors = errors if isinstance(errors, dict) else {}
    rows = []
    for i in range(count):
        item = given[i] if i < len(given) and isinstance(given[i], dict) else {}
        problems = row_errors.get(i) or row_errors.get(str(i)) or {}
        row = []
        for col, col_node, col_required in columns:
            kind = kind_of(col_node)
            option_list = choices.get(f"{key}.{col}")
            if option_list is not None and kind in ("text", "select", "radio"):
                kind = "select"
            elif kind == "radio":
                kind = "select"  # inside a table row a select is clearer than a radio group
            shown = _shown(kind, item.get(col, col_node.get("default")))
            row.append(Input(f"{key}-{i}-{col}", col, col_node, kind, shown, col_required,
                             _date_errors(kind, shown, _messages(problems.get(col) if isinstance(problems, dict) else None)),
                             _options(col_node, option_list) if kind in ("select", "radio") else [],
                             readonly=bool(fixed_keys and col in fixed_keys)))
        rows.append(row)
    list_errors = _messages(errors) if isinstance(errors, list) else \
        [m for k, v in row_errors.items() if not isinstance(k, int) and not str(k).isdigit() for m in _messages(v)]
    return RowList(key, node, columns, rows, required, list_errors, fixed_rows=bool(fixed_keys))
