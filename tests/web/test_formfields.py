"""Forms from JSON Schema and back: rows, blank rows, numbers as typed in Vietnam, errors on the shown rows."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

import forms
from api.web.pages import formfields, formpost
from workflows import form_schema


def test_the_exam_plan_becomes_inputs_with_a_row_per_council_seat(app):
    with app.test_request_context():
        fields = formfields.build(forms.json_schema("exam_plan"), {"council": [{"seat": "chair"}, {"seat": "member"}]})
    kinds = {f.name: f.kind for f in fields}
    assert kinds == {"post": "text", "unit": "text", "level": "select", "requirements": "textarea",
                     "registration_days": "integer", "council": "rows", "first_appointment": "checkbox"}
    council = next(f for f in fields if f.name == "council")
    assert [[c.name for c in row] for row in council.rows] == [["council-0-username", "council-0-seat"],
                                                              ["council-1-username", "council-1-seat"]]
    assert council.rows[0][1].kind == "select" and council.rows[0][1].value == "chair"
    assert ("chair", "Chủ tịch hội đồng") in council.rows[0][1].options


def test_posted_rows_become_a_list_and_blank_rows_are_left_out():
    posted = MultiDict({"marks-rows": "3", "marks-0-candidate_code": "TS01", "marks-0-mark": "7,5",
                        "marks-1-candidate_code": "", "marks-1-mark": "",
                        "marks-2-candidate_code": "TS02", "marks-2-mark": "abc"})
    data, index = formpost.parse(forms.json_schema("exam_written_marks"), posted)
    assert data == {"marks": [{"candidate_code": "TS01", "mark": 7.5}, {"candidate_code": "TS02", "mark": "abc"}]}
    assert index == {"marks": [0, 2]}
    # the form's message about data row 1 belongs to the third row on the page
    assert formpost.shown_errors({"marks": {1: {"mark": ["Not a valid number."]}}}, index) == \
        {"marks": {2: {"mark": ["Not a valid number."]}}}


def test_checkboxes_dates_and_optional_texts():
    data, _ = formpost.parse(forms.json_schema("exam_appointment"), MultiDict(
        {"appointment": "appoint", "decision_no": "12/QĐ", "effective_date": "2026-05-15", "decline_reason": ""}))
    assert data == {"appointment": "appoint", "decision_no": "12/QĐ", "effective_date": "2026-05-15",
                    "decline_reason": ""}
    data, _ = formpost.parse(forms.json_schema("exam_chair_confirmation"), MultiDict({}))
    assert data == {"results_confirmed": False}  # an unticked box is a "no", which the form refuses


def test_a_task_without_a_form_takes_a_json_object():
    schema = form_schema(None)
    assert formpost.parse(schema, MultiDict({"_json": '{"note": "ok"}'})) == ({"note": "ok"}, {})
    for bad in ("[1, 2]", "{not json"):
        try:
            formpost.parse(schema, MultiDict({"_json": bad}))
        except formpost.BadJson:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_add_and_remove_row_buttons_reshow_the_form():
    schema = forms.json_schema("exam_screening")
    posted = MultiDict({"applicants-rows": "2", "applicants-0-code": "TS01", "applicants-1-code": "TS02",
                        "_remove": "applicants-0"})
    values, extra = formpost.rows_changed(schema, posted)
    assert [row["code"] for row in values["applicants"]] == ["TS02"] and extra == {}
    values, extra = formpost.rows_changed(schema, MultiDict({"applicants-rows": "1", "_add": "applicants"}))
    assert len(values["applicants"]) == 1 and extra == {"applicants": 1}
    assert formpost.rows_changed(schema, MultiDict({"applicants-rows": "1"})) is None
