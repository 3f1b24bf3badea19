"""The posted form back to data, and the form's messages back onto the rows shown.

Rows post as ``list-<row>-<key>`` with ``list-rows`` (the number shown); a file input posts its
upload, kept before the form is read, as ``<name>-file_id``; a date is typed dd/mm/yyyy (or ISO) and
read here into the ISO day the schema expects, so the form's rules see one shape of date;
"add a row" and "remove" are submit buttons (``_add``, ``_remove``), so the
forms work without JavaScript. Rows left blank are not data; the form's
messages name data rows, so they are mapped back to the rows on the page.
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from api.blueprint import strict_loads  # as the API reads JSON: no NaN, no NUL, no runaway nesting
from api.web.formats import parse_day
from api.web.messages import field_errors
from api.web.pages.formfields import JSON_FIELD, MAX_ROWS, kind_of


#: A number as people type one: digits, and at most one decimal sign (7,5 as written in Vietnam, or
#: 7.5). Anything else — "1.000", "1,000" (a thousand in one language, one in the other), "7_5"
#: (which Python would read as 75) — is refused, not guessed.
_TYPED_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def _number(raw: str, integer: bool) -> Any:
    text = raw.strip().replace(" ", "")
    if not _TYPED_NUMBER.match(text) or re.match(r"^[+-]?\d{1,3}[.,]\d{3}$", text) and not integer:
        return raw  # the form answers "not a valid number" and the page shows what was typed
    text = text.replace(",", ".")
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        return raw  # the form answers "not a valid number" and the page shows what was typed
    if isinstance(value, float) and not math.isfinite(value):
        return raw  # "nan", "inf", 1e999: no mark, and nothing JSON could store
    return value


def _value(kind: str, form: MultiDict, name: str) -> tuple[Any, bool]:
    """(value, given): ``given`` is False for an empty input, which is left out of the data."""
    if kind == "checkbox":
        return form.get(name) in ("1", "on", "true"), form.get(name) in ("1", "on", "true")
    if kind == "file":  # the upload itself was kept first (api.web.pages.taskfiles): its id is posted
        kept = form.get(f"{name}-file_id", "").strip()
        return ({"file_id": int(kept)}, True) if kept.isdigit() and len(kept) < 19 else (None, False)
    raw = form.get(name, "")
    if kind in ("text", "textarea", "select", "radio"):
        return raw, raw.strip() != ""
    if kind == "lines":  # a textarea, one item per line, or boxes ticked (several values of one name)
        lines = [line.strip() for posted in form.getlist(name) for line in posted.splitlines() if line.strip()]
        return lines, bool(lines)
    if not raw.strip():
        return None, False
    if kind in ("integer", "number"):
        return _number(raw, kind == "integer"), True
    if kind == "json":
        try:
            return strict_loads(raw), True
        except ValueError:
            return raw, True
    day = parse_day(raw)  # a date: typed dd/mm/yyyy (or ISO), kept as ISO for the form schema
    return (day.isoformat() if day else raw.strip()), True  # not a day: the page says so beside it


def file_inputs(schema: Mapping[str, Any], form: MultiDict) -> list[str]:
    """The names of the form's file inputs as posted (a file column once per shown row)."""
    names = []
    for key, node in (schema.get("properties") or {}).items():
        items = node.get("items") or {}
        if node.get("type") == "array" and items.get("type") == "object":
            columns = [col for col, col_node in (items.get("properties") or {}).items() if kind_of(col_node) == "file"]
            names += [f"{key}-{i}-{col}" for i in range(row_count(form, key)) for col in columns]
        elif kind_of(node) == "file":
            names.append(key)
    return names


def _small_number(text: str) -> int | None:
    """``text`` as a row count or index, or None. Only plain ASCII digits, and few of them: ``str.isdigit``
    also takes "²" (which ``int`` refuses) and ``int`` takes "٣" or 5,000 digits (refused past 4,300) —
    values no page of ours posts, which must never become a 500."""
    return int(text) if text.isascii() and text.isdecimal() and len(text) <= _MAX_DIGITS else None


def row_count(form: MultiDict, key: str) -> int:
    return min(MAX_ROWS, _small_number(form.get(f"{key}-rows", "0")) or 0)


def parse(schema: Mapping[str, Any], form: MultiDict) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The data the form posted, and for each list the shown row behind each data row (errors
    of data row i belong to shown row ``index[key][i]``; blank rows are left out)."""
    props = schema.get("properties")
    if props is None:
        raw = form.get(JSON_FIELD, "").strip() or "{}"
        try:
            data = strict_loads(raw)
        except ValueError as err:
            raise BadJson(str(err)) from None
        if not isinstance(data, dict):
            raise BadJson("not an object")
        return data, {}
    data: dict[str, Any] = {}
    index: dict[str, list[int]] = {}
    for key, node in props.items():
        items = node.get("items") or {}
        if node.get("type") == "array" and items.get("type") == "object":
            rows, shown = [], []
            for i in range(row_count(form, key)):
                row, any_given = {}, False
                for col, col_node in (items.get("properties") or {}).items():
                    kind = kind_of(col_node)
                    value, given = _value(kind, form, f"{key}-{i}-{col}")
                    any_given = any_given or (given and kind != "checkbox")
                    if given or kind == "checkbox":
                        row[col] = value
                if any_given:
                    rows.append(row)
                    shown.append(i)
            if rows or f"{key}-rows" in form:
                data[key] = rows
                index[key] = shown
            continue
        kind = kind_of(node)
        value, given = _value(kind, form, key)
        if given or kind == "checkbox":
            data[key] = value
        elif kind in ("text", "textarea") and key in form and "default" in node:
            data[key] = value  # an optional text left empty
    return data, index


def shown_errors(details: Mapping[str, Any], index: Mapping[str, list[int]]) -> dict[str, Any]:
    """``Invalid.details`` with data row numbers turned into shown row numbers, and each message in the
    reader's language (:mod:`api.web.messages`): the form and the rules say them in English."""
    out: dict[str, Any] = {}
    for key, value in details.items():
        if key in index and isinstance(value, dict):
            mapped: dict[Any, Any] = {}
            for row, problems in value.items():
                if isinstance(row, int) or str(row).isdigit():
                    i = int(row)
                    mapped[index[key][i] if i < len(index[key]) else i] = problems
                else:
                    mapped[row] = problems
            out[key] = mapped
        else:
            out[key] = value
    return field_errors(out)


def resubmitted(schema: Mapping[str, Any], form: MultiDict) -> dict[str, Any]:
    """What the page shows again after a failed submit or "add a row": every shown row, blank ones too."""
    props = schema.get("properties")
    if props is None:
        return {}
    values: dict[str, Any] = {}
    for key, node in props.items():
        items = node.get("items") or {}
        if node.get("type") == "array" and items.get("type") == "object":
            rows = []
            for i in range(row_count(form, key)):
                row = {}
                for col, col_node in (items.get("properties") or {}).items():
                    kind = kind_of(col_node)
                    row[col] = _value(kind, form, f"{key}-{i}-{col}")[0] if kind != "lines" else \
                        form.get(f"{key}-{i}-{col}", "")
                rows.append(row)
            values[key] = rows
        else:
            kind = kind_of(node)
            values[key] = "\n".join(form.getlist(key)) if kind == "lines" else form.get(key, "") if kind == "json" \
                else _value(kind, form, key)[0]
    return values


def pressed(schema: Mapping[str, Any], form: MultiDict) -> tuple[str, str, int] | None:
    """The row button pressed: ("add", list, rows to add), ("remove", list, shown row) or ("keep", "", 0),
    None for a real submit. A button naming no list of the form changes nothing; one whose count or row
    is unreadable (no page of ours sends "council:²", a number of 5,000 digits, "council-x") is a 400
    in the reader's language — asked before an upload is kept, so such a post records nothing."""
    add, remove = form.get("_add"), form.get("_remove")
    if not add and not remove:
        return None
    lists = {key for key, node in (schema.get("properties") or {}).items()
             if node.get("type") == "array" and (node.get("items") or {}).get("type") == "object"}
    key, colon, many = (add or "").partition(":")  # "applicants:10": ten blank rows at once (a screening of 40)
    if key in lists:
        count = _small_number(many) if colon else 1
        if count is None:
            raise _unreadable_button()
        return "add", key, min(max(count, 1), ADD_AT_ONCE)
    key, _dash, index = (remove or "").rpartition("-")
    if key in lists:
        row = _small_number(index)
        if row is None:
            raise _unreadable_button()
        return "remove", key, row
    return "keep", "", 0  # a list the form does not have: the form shown again as typed


def rows_changed(schema: dict[str, Any], form: MultiDict) -> tuple[dict[str, Any], dict[str, int]] | None:
    """"Add a row" / "remove row i": the values to show again and the blank rows to add, or None for a
    real submit."""
    button = pressed(schema, form)
    if button is None:
        return None
    what, key, number = button
    values = resubmitted(schema, form)
    if what == "add":
        return values, {key: number}
    if what == "remove" and number < len(values[key]):
        del values[key][number]
    return values, {}


def _unreadable_button() -> BadRequest:
    """A row button's value no page of ours sends (a forged or mangled post): said in the reader's
    language as a 400 page, and nothing added, removed or recorded."""
    return BadRequest(_("The button pressed names no row of the form. Go back, reload the page and try again."))


#: The most blank rows one "add rows" button adds.
ADD_AT_ONCE = 10
#: The most digits of a row count or index read (MAX_ROWS has three).
_MAX_DIGITS = 4


class BadJson(ValueError):
    """The free-form data was not a JSON object."""
