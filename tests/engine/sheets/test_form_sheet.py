"""A list form as a sheet: drawn from its JSON Schema and hints, read back with every problem placed."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

import forms
from engine.policy import FormHints
from engine.sheets import WrongSheet, sheet_form
from engine.sheets.form_sheet import problems_of, read, template

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
