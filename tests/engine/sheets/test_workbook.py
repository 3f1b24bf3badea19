"""Tables written as workbooks people compute with: figures stay figures, days stay days."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

from openpyxl import load_workbook

from engine.sheets import Column, Sheet, Typed, workbook_bytes


def opened(*sheets: Sheet):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(workbook_bytes(list(sheets))))


def test_numbers_are_numbers_days_are_dates_and_the_header_is_frozen():
    sheet = Sheet("Điểm: vòng 1/2 [tổng]", (Column("Họ và tên"), Column("Điểm", "decimal"), Column("Ngày", "date"),
                                            Column("Tỷ lệ", "percent"), Column("Lúc", "datetime")),
                  [("Nguyễn Văn An", 80.5, date(2026, 3, 2), 0.25, datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)),
                   ("Trần Thị Bình", 70, "2026-03-03", Typed(3, "integer"), None)])
    ws = opened(sheet).worksheets[0]
    assert ws.title == "Điểm_ vòng 1_2 _tổng_"  # what Excel refuses in a sheet's name is replaced
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    assert (ws["B2"].value, ws["B2"].data_type, ws["B2"].number_format) == (80.5, "n", "0.00")
    assert (ws["C2"].value, ws["C2"].number_format) == (datetime(2026, 3, 2), "dd/mm/yyyy")
    assert ws["C3"].value == datetime(2026, 3, 3)  # an ISO day in a date column is a date cell too
    assert (ws["D2"].value, ws["D2"].number_format) == (0.25, "0.0%")
    assert (ws["D3"].value, ws["D3"].number_format) == (3, "0")  # a cell may say its own kind
    assert ws["E2"].value == datetime(2026, 3, 2, 9, 0)  # 02:00 UTC is 09:00 in Hai Phong
    assert ws["E3"].value is None
    assert ws.column_dimensions["A"].width >= len("Trần Thị Bình")


def test_several_sheets_keep_their_order_and_an_empty_export_still_opens():
    book = opened(Sheet("Một", (Column("A"),), [(1,)]), Sheet("Hai", (Column("B"),), []))
    assert book.sheetnames == ["Một", "Hai"]
    assert load_workbook(io.BytesIO(workbook_bytes([]))).sheetnames == ["Sheet"]


def test_text_that_starts_like_a_formula_stays_text_and_unchanged():
    values = ["=1+1", "+84 912 345 678", "-", "@SUM(A1)", "\tTab", "=HYPERLINK(\"http://evil.example\",\"x\")"]
    ws = opened(Sheet("Tên", (Column("=Header"),), [(v,) for v in values])).worksheets[0]
    assert (ws["A1"].value, ws["A1"].data_type) == ("=Header", "s")
    cells = [ws.cell(row=r, column=1) for r in range(2, len(values) + 2)]
    assert [(c.value, c.data_type, c.quotePrefix) for c in cells] == [(v, "s", True) for v in values]
