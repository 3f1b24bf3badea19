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
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

from openpyxl import Workbook, load_workbook
from openpyxl.styles import PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from engine.errors import EngineError, Invalid
from engine.policy import FormHints
from engine.sheets.workbook import FORMATS, fit_widths, put, save, sheet_title, write_header

META = "talentflow"
FIXED_FILL = PatternFill("solid", fgColor="E7E7E7")
#: Blank rows offered when the process pre-fills none; and the most rows a sheet may hold.
BLANK_ROWS, MAX_ROWS = 100, 5000
#: The largest part of an uploaded workbook (unpacked); the template's record sheet's rows read.
MAX_PART, MAX_META_ROWS = 10 * 1024 * 1024, 100
#: The rows of a sheet looked at: blank (formatted) rows after the last of MAX_ROWS are tolerated
#: up to here; a sheet declaring more is refused, and one that declares no size is read no further.
SCAN_ROWS = 4 * MAX_ROWS
_KINDS = {"string": "text", "integer": "integer", "number": "decimal", "boolean": "boolean"}
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")


class WrongSheet(Invalid):
    """The workbook is not this task's template (422 ``wrong_sheet``)."""

    code = "wrong_sheet"


class SheetTooLarge(Invalid):
    """A workbook with more than :data:`MAX_ROWS` rows, or a part too large to read (422 ``sheet_too_large``)."""

    code = "sheet_too_large"


#: The problems this module finds itself, in English (``RowProblem.messages``); a page words them
#: from ``RowProblem.code`` and ``params`` in the reader's language.
PHRASES = {
    "not_in_template": "not a row of the template (a locked cell was changed): {values}",
    "duplicate_row": "the row appears twice: {values}",
    "missing_row": "the row of {values} is missing (row {row} of the template)",
}


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
    """What is wrong with one row (``row``: its number in the spreadsheet; None: the sheet as a whole).

    ``messages`` are the form's or the process's own, or for a problem of the sheet itself (a
    changed locked cell, a row twice, a missing row) its English phrase; then ``code`` (a key of
    :data:`PHRASES`) and ``params`` let a page say it in the reader's language."""

    row: int | None
    column: str | None
    field: str | None
    messages: list[str] = field(default_factory=list)
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        said = {"row": self.row, "column": self.column, "field": self.field, "messages": self.messages}
        return {**said, "code": self.code, "params": self.params} if self.code else said


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
            cell = put(ws, r, c, value)
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
    for r, (key, value) in enumerate([*identity.items(), ("columns", ",".join(c.key if c else ""
                                                                                for c in columns))], start=1):
        put(meta, r, 1, key)
        put(meta, r, 2, value)
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


def _check_parts(path: Path) -> None:
    """Refuse, before anything parses it, a workbook with a part larger than :data:`MAX_PART` unpacked.

    :func:`engine.files.detect` already refused a zip that inflates far beyond its size, but a
    2 MB workbook may still hold a 28 MB worksheet (a ratio of 13), which openpyxl would take
    seconds and hundreds of megabytes to read. A filled-in template of :data:`MAX_ROWS` rows is
    well under a megabyte. ``file_size`` is what the zip declares, and also the most Python's
    ``zipfile`` will inflate from that member (it stops there and fails the CRC check)."""
    try:
        with zipfile.ZipFile(path) as package:
            largest = max((m.file_size for m in package.infolist()), default=0)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise _unreadable() from None
    if largest > MAX_PART:
        raise SheetTooLarge(f"a part of the workbook is {largest // (1024 * 1024)} MB unpacked, more than the "
                            f"{MAX_PART // (1024 * 1024)} MB a sheet of at most {MAX_ROWS} rows needs",
                            {"file": [f"the workbook is too large: at most {MAX_ROWS} rows"]})


def _unreadable() -> Invalid:
    return Invalid("the workbook cannot be read", {"file": ["the workbook cannot be read"]}, code="unreadable_sheet")


def read(path: Path, form: SheetForm, identity: Mapping[str, str], language: str) \
        -> tuple[dict[str, Any], list[int], list[RowProblem]]:
    """The form data a filled-in template holds, the spreadsheet row of each list item, and the
    problems found before any validation (rows changed where they were locked, missing, extra).

    The workbook is streamed (openpyxl's read-only mode: one row at a time, nothing of the sheet
    kept but the values asked for), after :func:`_check_parts`; a row with data beyond
    :data:`MAX_ROWS` stops the reading at once. The file is opened as a stream: openpyxl judges
    a path by its extension, and kept uploads have none (their kind was read from the content)."""
    _check_parts(path)
    try:
        with open(path, "rb") as stream, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's remarks on a workbook's oddities: its reading decides
            book = load_workbook(stream, read_only=True, data_only=True)
            try:
                return _read_book(book, form, identity, language)
            finally:
                book.close()
    except EngineError:
        raise
    except Exception:  # noqa: BLE001  (openpyxl and its XML parser raise many kinds on a damaged workbook)
        raise _unreadable() from None


def _read_book(book: Any, form: SheetForm, identity: Mapping[str, str], language: str) \
        -> tuple[dict[str, Any], list[int], list[RowProblem]]:
    # read-only worksheets: no protection or merged-cell information (neither is needed: the
    # locked cells are checked against the template's rows, a merged range reads as its first
    # cell's value and blanks), but the names and states of all sheets, the very hidden one too
    if META not in book.sheetnames:
        raise WrongSheet("this workbook is not a talentflow template: download the task's template",
                         {"file": ["not this task's template"]})
    meta = {str(r[0]): "" if r[1] is None else str(r[1])
            for r in book[META].iter_rows(max_row=MAX_META_ROWS, max_col=2, values_only=True)
            if r and r[0] is not None}
    wrong = [k for k, v in identity.items() if meta.get(k) != str(v)]
    if wrong:
        raise WrongSheet(f"this sheet is the template of another task (task {meta.get('task', '?')}, case "
                         f"{meta.get('case', '?')}), not of this one",
                         {"file": ["the template of another task"]})
    by_key = {f.key: f for f in form.fields}
    keys = meta.get("columns", "").split(",")
    ws = next((s for s in book.worksheets if s.title != META), None)
    if ws is None:
        raise WrongSheet("the workbook holds no sheet to fill in besides the template's record: download the "
                         "task's template", {"file": ["no sheet to fill in"]})
    too_many = SheetTooLarge(f"the sheet has more than {MAX_ROWS} rows", {"file": [f"at most {MAX_ROWS} rows"]})
    if (ws.max_row or 0) > SCAN_ROWS:  # the size the sheet declares (Excel always writes it)
        raise too_many
    items: list[dict[str, Any]] = []
    numbers: list[int] = []
    # an explicit last row: openpyxl stops parsing there, and never pads its way to a far row number
    rows = ws.iter_rows(min_row=2, max_row=SCAN_ROWS, max_col=max(len(keys), 1), values_only=True)
    for r, cells in enumerate(rows, start=2):
        if all(_blank(v) for k, v in zip(keys, cells) if k in by_key):
            continue
        if r > MAX_ROWS + 1:
            raise too_many
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

    def problem(number: int, code: str, **params: Any) -> RowProblem:
        return RowProblem(number, first.header(language), first.key, [PHRASES[code].format(**params)], code,
                          params)

    expected = [tuple(row.get(f.key) for f in fixed) for row in form.rows]
    problems, seen = [], set()
    for item, number in zip(items, numbers):
        given = tuple(item.get(f.key) for f in fixed)
        if given not in expected:
            problems.append(problem(number, "not_in_template", values=named(given)))
        elif given in seen:
            problems.append(problem(number, "duplicate_row", values=named(given)))
        seen.add(given)
    for index, values in enumerate(expected):
        if values not in seen:
            problems.append(problem(index + 2, "missing_row", values=named(values), row=index + 2))
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
