"""Long lists and odd input on the pages: paging that stays short, capped rows, numbers that are no numbers."""
from __future__ import annotations

import io
import re

from werkzeug.datastructures import MultiDict

import forms
from api.web.pages import formfields, formpost, worklist
from api.web.pages.cases import pager
from tests.engine.files import samples
from tests.helpers import start_training
from tests.web.support import signed_in, text_of
from tests.workflows.exam_support import close_remarking, exam_with_marks, task_of


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


def test_a_forged_add_or_remove_button_is_a_400_in_vietnamese_and_adds_or_removes_nothing(app):
    """"²" passes ``str.isdigit`` but not ``int``, and ``int`` refuses 5,000 digits: these were 500s."""
    schema = forms.json_schema("exam_plan")
    typed = {"council-rows": "2", "council-0-username": "chair", "council-1-username": "member1"}
    page = signed_in(app, "hr")
    for button in ({"_add": "council:²"}, {"_add": "council:" + "9" * 5000}, {"_add": "council:٣"},
                   {"_add": "council:x"}, {"_remove": "council-²"}, {"_remove": "council-" + "9" * 5000},
                   {"_remove": "council-"}):
        response = page.post("/cases/new/leadership_exam", {**typed, **button}, status=400)
        said = text_of(response.get_data(as_text=True))
        assert "Nút vừa bấm không chỉ tới dòng nào của biểu mẫu." in said, button
        assert 'name="council-' not in response.get_data(as_text=True)  # no form drawn with rows changed
    # the buttons the page draws still work, and one click adds at most ten rows
    values, extra = formpost.rows_changed(schema, MultiDict({**typed, "_add": "council:10"}))
    assert extra == {"council": 10} and len(values["council"]) == 2
    assert formpost.rows_changed(schema, MultiDict({**typed, "_add": "council:9999"}))[1] == {"council": 10}
    values, extra = formpost.rows_changed(schema, MultiDict({**typed, "_remove": "council-1"}))
    assert [row["username"] for row in values["council"]] == ["chair"] and extra == {}
    values, _extra = formpost.rows_changed(schema, MultiDict({**typed, "_remove": "council-7"}))
    assert len(values["council"]) == 2  # a row not shown: nothing removed
    assert formpost.row_count(MultiDict({"council-rows": "²"}), "council") == 0
    assert formpost.row_count(MultiDict({"council-rows": "9" * 5000}), "council") == 0


def test_a_forged_row_button_on_a_sheet_with_a_file_keeps_no_file_and_records_nothing(app, auth, service,
                                                                                     manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70})
    close_remarking(auth, service, manual_clock)
    sheet = task_of(auth, "member1", case_id, "score_round2")
    history = auth.as_("hr").get(f"/api/v1/cases/{case_id}/history").get_json()
    member1 = signed_in(app, "member1")
    response = member1.post(f"/tasks/{sheet['id']}", {"scores-rows": "2", "scores-0-candidate_code": "TS01",
                                                      "scores-0-score": "91", "_add": "scores:²",
                                                      "plan_review": (io.BytesIO(samples.pdf()), "nhận xét.pdf")},
                            content_type="multipart/form-data", status=400)
    assert "Nút vừa bấm không chỉ tới dòng nào của biểu mẫu." in text_of(response.get_data(as_text=True))
    assert auth.as_("hr").get(f"/api/v1/cases/{case_id}/history").get_json() == history  # no file_attached
    assert task_of(auth, "member1", case_id, "score_round2")["status"] == "ready"
