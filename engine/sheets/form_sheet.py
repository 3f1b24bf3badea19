"""A task form that is a list of rows, as a spreadsheet to fill in and read back.

A secretary with forty candidates' marks on paper types them faster into Excel than into a web
form, and often has them there already. Any task whose form is one list of rows of plain
fields (a mark sheet, a score sheet) can therefore be offered as a sheet: the template is drawn
from the form's own JSON Schema and the process's form hints (:class:`engine.policy.FormHints`:
the rows pre-filled, the columns people may not change, a note per row such as the candidate's
name), so no process describes its sheet twice.

The template has one row per pre-filled row; the columns people may not change are greyed and
locked (the sheet is protected without a password: a guard against slips, not a control — the
server checks them again). A very hidden sheet records which task, case and form the template
is for and which field each column holds, so a sheet for another task is refused and the
columns are read by position whatever language their headers were written in.

Reading gives the form's data and, for every bad row, the spreadsheet row number and the column
header at fault (:class:`RowProblem`); the caller validates with the form and the process and
changes nothing unless every row is valid.
"""
from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

from openpyxl import Workbook, load_workbook
from openpyxl.styles import PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from engine.errors import Invalid
from engine.policy import FormHints
from engine.sheets.workbook import FORMATS, fit_widths, save, sheet_title, write_header

META = "talentflow"
FIXED_FILL = PatternFill("solid", fgColor="E7E7E7")
#: Blank rows offered when the process pre-fills none; and the most rows a sheet may hold.
BLANK_ROWS, MAX_ROWS = 100, 5000
_KINDS = {"string": "text", "integer": "integer", "number": "decimal", "boolean": "boolean"}
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")


class WrongSheet(Invalid):
    """The workbook is not this task's template (422 ``wrong_sheet``)."""

    code = "wrong_sheet"


@dataclass(frozen=True)
class FormField:
    """One column of the sheet: a field of the list's rows."""

    key: str
    title: str
    title_en: str
    kind: str  # text, integer, decimal, boolean, date
    required: bool = False
    fixed: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def header(self, language: str) -> str:
        return (self.title_en if language == "en" and self.title_en else self.title) or self.key


@dataclass(frozen=True)
class SheetForm:
    """A form offered as a sheet: its list field, the rows' fields, the pre-filled rows and notes."""

    list_key: str
    title: str
    title_en: str
    fields: tuple[FormField, ...]
    rows: tuple[Mapping[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    note_header: str = ""

    def header_of(self, key: str, language: str) -> str:
        found = next((f for f in self.fields if f.key == key), None)
        return found.header(language) if found else key


@dataclass
class RowProblem:
    """What is wrong with one row (``row``: its number in the spreadsheet; None: the sheet as a whole)."""

    row: int | None
    column: str | None
    field: str | None
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "field": self.field, "messages": self.messages}


def _field(key: str, node: Mapping[str, Any], required: bool, fixed: bool) -> FormField | None:
    kind = "date" if node.get("format") == "date" else _KINDS.get(str(node.get("type")))
    if kind is None:
        return None
    return FormField(key, str(node.get("title") or ""), str(node.get("x-title-en") or ""), kind, required, fixed,
                     node.get("minimum"), node.get("maximum"), tuple(str(v) for v in node.get("enum") or ()))


def sheet_form(schema: Mapping[str, Any], hints: FormHints) -> SheetForm | None:
    """The form as a sheet, or None when it is not one list of rows of plain fields (and nothing
    else the form requires)."""
    properties = schema.get("properties") or {}
    lists = [k for k, v in properties.items() if v.get("type") == "array" and (v.get("items") or {}).get("type")
             == "object"]
    if len(lists) != 1 or set(schema.get("required") or ()) - set(lists):
        return None
    key = lists[0]
    items = properties[key]["items"]
    required, fixed = set(items.get("required") or ()), set(hints.fixed.get(key) or ())
    fields = [_field(k, v, k in required, k in fixed) for k, v in (items.get("properties") or {}).items()]
    if not fields or any(f is None for f in fields):
        return None
    rows = tuple(r for r in hints.values.get(key) or () if isinstance(r, Mapping))
    return SheetForm(key, str(schema.get("title") or ""), str(schema.get("x-title-en") or ""),
                     tuple(f for f in fields if f is not None), rows, tuple(hints.notes.get(key) or ()),
                     hints.note_headers.get(key, ""))


def _layout(form: SheetForm) -> list[FormField | None]:
    """The columns in order: the fixed fields, the note column (None) when there are notes, the rest."""
    fixed = [f for f in form.fields if f.fixed]
    rest = [f for f in form.fields if not f.fixed]
    return fixed + ([None] if form.notes else []) + rest


# ------------------------------------------------------------------------------ the template
def template(form: SheetForm, identity: Mapping[str, str], language: str, note_header: str) -> bytes:
    """The .xlsx template of ``form`` for the task ``identity`` names (task, case, form), headers
    in ``language``; ``note_header`` heads the notes column (already in that language)."""
    book = Workbook()
    ws = book.active
    ws.title = sheet_title((form.title_en if language == "en" and form.title_en else form.title) or "Sheet")
    columns = _layout(form)
    headers = [c.header(language) if c else note_header for c in columns]
    write_header(ws, headers)
    widths = [len(h) for h in headers]
    count = len(form.rows) if form.rows else BLANK_ROWS
    for index in range(count):
        r = index + 2
        row = form.rows[index] if form.rows else {}
        for c, column in enumerate(columns, start=1):
            if column is None:
                value: Any = form.notes[index] if index < len(form.notes) else ""
                locked = True
            else:
                value, locked = row.get(column.key), column.fixed and bool(form.rows)
            cell = ws.cell(row=r, column=c, value=value)
            kind = column.kind if column else "text"
            cell.number_format = FORMATS.get(kind, "General")
            cell.protection = Protection(locked=locked)
            if locked:
                cell.fill = FIXED_FILL
            widths[c - 1] = max(widths[c - 1], len(str(value or "")))
    for c, column in enumerate(columns, start=1):
        if column is not None and not (column.fixed and form.rows):
            _validation(ws, column, c, count, language)
    fit_widths(ws, widths)
    ws.protection.sheet = True
    meta = book.create_sheet(META)
    for key, value in [*identity.items(), ("columns", ",".join(c.key if c else "" for c in columns))]:
        meta.append([key, value])
    meta.sheet_state = "veryHidden"
    return save(book)


def _validation(ws: Any, column: FormField, index: int, count: int, language: str) -> None:
    """Excel's own check of a column (a range, a choice), so a slip shows while typing."""
    letter = ws.cell(row=1, column=index).column_letter
    if column.kind in ("integer", "decimal") and column.minimum is not None and column.maximum is not None:
        rule = DataValidation(type="whole" if column.kind == "integer" else "decimal", operator="between",
                              formula1=str(column.minimum), formula2=str(column.maximum), allow_blank=True)
        rule.error = (f"{column.minimum:g} – {column.maximum:g}")
    elif column.choices and len(",".join(column.choices)) < 250:
        rule = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
    else:
        return
    rule.showErrorMessage = True
    rule.errorTitle = column.header(language)
    ws.add_data_validation(rule)
    rule.add(f"{letter}2:{letter}{count + 1}")


# ------------------------------------------------------------------------------ reading back
def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _value(column: FormField, value: Any) -> Any:
    """A cell's value as the form's JSON would carry it; anything odd is left for the form to refuse."""
    if isinstance(value, str):
        value = value.strip()
        if column.kind in ("integer", "decimal") and _DECIMAL_COMMA.match(value):
            return value.replace(",", ".")  # 85,5 as written in Vietnam
        return value
    if isinstance(value, datetime):
        return value.date().isoformat() if column.kind == "date" else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and column.kind == "text" and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if column.kind == "text":
            return str(value)
        if column.kind == "integer" and isinstance(value, float) and value.is_integer():
            return int(value)
    return value


def _open(path: Path) -> Any:
    """The workbook at ``path``, opened as a stream: openpyxl judges a path by its extension, and
    kept uploads have none (their kind was read from the content)."""
    try:
        with open(path, "rb") as stream, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's remarks on a workbook's oddities: its reading decides
            return load_workbook(stream, data_only=True)
    except Exception:  # noqa: BLE001  (openpyxl raises many kinds on a damaged workbook)
        raise Invalid("the workbook cannot be read / không đọc được tệp Excel",
                      {"file": ["không đọc được tệp Excel / the workbook cannot be read"]}) from None


def read(path: Path, form: SheetForm, identity: Mapping[str, str], language: str) \
        -> tuple[dict[str, Any], list[int], list[RowProblem]]:
    """The form data a filled-in template holds, the spreadsheet row of each list item, and the
    problems found before any validation (rows changed where they were locked, missing, extra)."""
    book = _open(path)
    if META not in book.sheetnames:
        raise WrongSheet("this workbook is not a talentflow template: download the task's template",
                         {"file": ["không phải mẫu Excel của nhiệm vụ này / not this task's template"]})
    meta = {str(r[0]): "" if r[1] is None else str(r[1]) for r in book[META].iter_rows(max_col=2, values_only=True)
            if r and r[0] is not None}
    wrong = [k for k, v in identity.items() if meta.get(k) != str(v)]
    if wrong:
        raise WrongSheet(f"this sheet is the template of another task (task {meta.get('task', '?')}, case "
                         f"{meta.get('case', '?')}), not of this one",
                         {"file": ["mẫu Excel của một nhiệm vụ khác / the template of another task"]})
    by_key = {f.key: f for f in form.fields}
    keys = meta.get("columns", "").split(",")
    ws = next(s for s in book.worksheets if s.title != META)
    if ws.max_row > MAX_ROWS + 1:
        raise Invalid(f"the sheet has more than {MAX_ROWS} rows", {"file": [f"at most {MAX_ROWS} rows"]})
    items: list[dict[str, Any]] = []
    numbers: list[int] = []
    for r, cells in enumerate(ws.iter_rows(min_row=2, max_col=max(len(keys), 1), values_only=True), start=2):
        if all(_blank(v) for k, v in zip(keys, cells) if k in by_key):
            continue
        items.append({k: _value(by_key[k], v) for k, v in zip(keys, cells) if k in by_key and not _blank(v)})
        numbers.append(r)
    return {form.list_key: items}, numbers, _locked_rows(form, items, numbers, language)


def _locked_rows(form: SheetForm, items: list[dict[str, Any]], numbers: list[int],
                 language: str) -> list[RowProblem]:
    """Every pre-filled row once, its locked cells as the template had them; no other row."""
    fixed = [f for f in form.fields if f.fixed]
    if not form.rows or not fixed:
        return []
    first = fixed[0]

    def named(values: tuple[Any, ...]) -> str:
        return " · ".join("" if v is None else str(v) for v in values)

    expected = [tuple(row.get(f.key) for f in fixed) for row in form.rows]
    problems, seen = [], set()
    for item, number in zip(items, numbers):
        given = tuple(item.get(f.key) for f in fixed)
        if given not in expected:
            problems.append(RowProblem(number, first.header(language), first.key, [
                f"không có trong mẫu (ô khóa đã bị sửa) / not a row of the template (a locked cell was "
                f"changed): {named(given)}"]))
        elif given in seen:
            problems.append(RowProblem(number, first.header(language), first.key,
                                       [f"trùng dòng / the row appears twice: {named(given)}"]))
        seen.add(given)
    for index, values in enumerate(expected):
        if values not in seen:
            problems.append(RowProblem(index + 2, first.header(language), first.key, [
                f"thiếu dòng của {named(values)} (dòng {index + 2} của mẫu) / the row of {named(values)} "
                f"is missing (row {index + 2} of the template)"]))
    return problems


def problems_of(details: Mapping[str, Any], form: SheetForm, numbers: list[int], language: str) -> list[RowProblem]:
    """A form's or a process's field messages (``details`` of :class:`Invalid`) named by row and column."""
    problems = []
    for key, messages in details.items():
        if key == form.list_key and isinstance(messages, Mapping):
            for index, fields in messages.items():
                number = numbers[int(index)] if str(index).isdigit() and int(index) < len(numbers) else None
                if isinstance(fields, Mapping):
                    for name, said in fields.items():
                        problems.append(RowProblem(number, form.header_of(str(name), language), str(name),
                                                   _texts(said)))
                else:
                    problems.append(RowProblem(number, None, None, _texts(fields)))
        else:
            problems.append(RowProblem(None, None, str(key), _texts(messages)))
    return problems


def _texts(said: Any) -> list[str]:
    if isinstance(said, str):
        return [said]
    if isinstance(said, Mapping):
        return [f"{k}: {t}" for k, v in said.items() for t in _texts(v)]
    if isinstance(said, (list, tuple)):
        return [t for s in said for t in _texts(s)]
    return [str(said)]
