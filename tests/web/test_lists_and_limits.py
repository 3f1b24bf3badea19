"""Long lists and odd input on the pages: paging that stays short, capped rows, numbers that are no numbers."""
from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

import forms
from api.web.pages import formfields, formpost, worklist
from api.web.pages.cases import pager
from tests.helpers import start_training
from tests.web.support import signed_in, text_of


def test_a_page_number_beyond_any_integer_is_just_a_page_past_the_end(app, auth):
    start_training(auth)
    page = signed_in(app, "hr")
    for number in ("99999999999999999999", "-5", "abc", "1e9"):
        html = page.get(f"/cases?page={number}")
        assert "<table" in html


def test_thousands_of_cases_make_a_short_pager():
    assert pager(1, 1) == [1]
    assert pager(1, 4) == [1, 2, 3, 4]
    assert pager(200, 400) == [1, None, 198, 199, 200, 201, 202, None, 400]
    assert pager(400, 400) == [1, None, 398, 399, 400]


def test_the_worklist_says_when_it_shows_only_the_first_tasks(app, auth, monkeypatch):
    for _ in range(3):
        start_training(auth)
    monkeypatch.setattr(worklist, "PER_PAGE", 2)
    text = text_of(signed_in(app, "expert1").get("/"))
    assert "Đang hiển thị 2 trên tổng số 3" in text


def test_a_form_posting_thousands_of_rows_gets_the_row_cap(app):
    posted = MultiDict({"council-rows": "5000", **{f"council-{i}-username": f"u{i}" for i in range(300)}})
    data, _index = formpost.parse(forms.json_schema("exam_plan"), posted)
    assert len(data["council"]) == formfields.MAX_ROWS
    page = signed_in(app, "hr")
    response = page.post("/cases/new/leadership_exam", {"council-rows": "5000", "_add": "council"}, status=200)
    rows = re.findall(r'name="council-(\d+)-username"', response.get_data(as_text=True))
    assert len(rows) == formfields.MAX_ROWS


def test_not_a_number_infinity_and_hostile_json_are_answered_as_the_form_s_errors():
    schema = forms.json_schema("exam_written_marks")
    for typed in ("nan", "NaN", "inf", "-Infinity", "1e999", "7,5,5", "٧٫٥x"):
        data, _index = formpost.parse(schema, MultiDict({"marks-rows": "1", "marks-0-candidate_code": "TS01",
                                                         "marks-0-mark": typed}))
        assert data["marks"][0]["mark"] == typed, typed  # kept as typed: the form says "not a number"
    free = {"title": "free form"}  # a task without properties: the data as JSON
    for raw in ('{"x": NaN}', '{"x": "a\\u0000b"}', "[" * 100_000 + "]" * 100_000):
        try:
            formpost.parse(free, MultiDict({formfields.JSON_FIELD: raw}))
        except formpost.BadJson:
            continue
        raise AssertionError(f"accepted {raw[:20]}")


def test_a_mark_of_nan_on_the_sheet_is_refused_next_to_its_field(app, auth, service, manual_clock):
    from tests.workflows.exam_support import close_registration, declare_all, screen, start_exam, task_of

    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    screen(auth, case_id, "TS01", "TS02")
    declare_all(auth, case_id)
    sheet = task_of(auth, "secretary", case_id, "record_written_marks")
    page = signed_in(app, "secretary")
    response = page.post(f"/tasks/{sheet['id']}", {"marks-rows": "2", "marks-0-candidate_code": "TS01",
                                                  "marks-0-mark": "nan", "marks-1-candidate_code": "TS02",
                                                  "marks-1-mark": "inf"}, status=422)
    html = response.get_data(as_text=True)
    assert 'id="f-marks-0-mark-err"' in html and 'id="f-marks-1-mark-err"' in html and 'value="nan"' in html
