"""Worklist and task pages with a training nomination: claim, a form from its schema, errors next to fields."""
from __future__ import annotations

import re
from datetime import timedelta

from tests.helpers import ready_task, start_training
from tests.workflows.exam_support import close_registration, start_exam
from tests.web.support import signed_in, text_of, unlabelled_controls


def test_the_worklist_shows_tasks_i_may_claim_with_due_date_and_time_left(app, auth):
    case = start_training(auth)
    task = ready_task(case, "mentor_assessment")
    page = signed_in(app, "expert1")
    html = page.get("/")
    assert "Việc tôi có thể nhận" in html and f"/tasks/{task['id']}" in html and f"#{case['id']}" in html
    assert unlabelled_controls(html) == []
    response = page.post(f"/tasks/{task['id']}/claim", status=302)
    assert response.headers["Location"] == f"/tasks/{task['id']}"
    html = page.get("/")
    mine = html.split('id="h-mine"')[1].split('id="h-available"')[0]
    assert f"/tasks/{task['id']}" in mine  # now under "my tasks"
    assert "Bạn đã nhận công việc này" in page.get(f"/tasks/{task['id']}")
    page.post(f"/tasks/{task['id']}/release", status=302)
    html = page.get("/")
    assert f"/tasks/{task['id']}" in html.split('id="h-available"')[1]  # back in the shared list
    assert "Không nhận được công việc" in signed_in(app, "head_gddt").post(
        f"/tasks/{task['id']}/claim", follow_redirects=True).get_data(as_text=True)  # not theirs to claim


def test_overdue_tasks_are_highlighted_and_filtered(app, auth, service, manual_clock):
    start_exam(auth)
    close_registration(auth, service, manual_clock)  # hr screens within 15 days
    page = signed_in(app, "hr")
    html = page.get("/?process=leadership_exam")
    assert "Sơ tuyển hồ sơ dự tuyển" in html and "còn 15 ngày" in html and 'class="overdue"' not in html
    assert "Sơ tuyển" not in page.get("/?overdue=1")
    manual_clock.advance(timedelta(days=16))
    page = signed_in(app, "hr")  # the session of 16 days ago has expired on the server
    html = page.get("/?overdue=1")
    assert 'class="overdue"' in html and "quá hạn 9 giờ" in text_of(html)  # due 23:59 on the 15th day


def test_a_task_form_from_its_schema_shows_server_messages_next_to_the_fields(app, auth):
    case = start_training(auth)
    task = ready_task(case, "mentor_assessment")
    page = signed_in(app, "expert1")
    html = page.get(f"/tasks/{task['id']}")
    assert unlabelled_controls(html) == []
    assert 'type="radio"' in html and "Ủng hộ" in html  # an enum with its Vietnamese labels
    response = page.post(f"/tasks/{task['id']}", {"mentor_comment": "x" * 5000}, status=422)
    html = response.get_data(as_text=True)
    errors = re.findall(r'<ul class="field-errors" id="f-(\w+)-err">', html)
    assert "recommendation" in errors and "mentor_comment" in errors
    assert 'aria-invalid="true"' in html
    radios = re.findall(r'<input type="radio"[^>]*>', html)
    assert radios and all('aria-describedby="f-recommendation-err' in r and 'aria-invalid="true"' in r
                          for r in radios)  # a screen reader reads the message with each choice
    response = page.post(f"/tasks/{task['id']}", {"recommendation": "support", "mentor_comment": "Rất phù hợp"},
                         status=302)
    assert response.headers["Location"] == f"/cases/{case['id']}"
    html = page.get(f"/cases/{case['id']}")
    assert "Hoàn thành công việc" in text_of(html) and "expert1" in html  # the timeline: who did what


def test_a_task_of_someone_else_is_read_only_and_an_unknown_one_is_not_found(app, auth):
    case = start_training(auth)
    task = ready_task(case, "mentor_assessment")
    html = signed_in(app, "auditor").get(f"/tasks/{task['id']}")
    assert 'action="/tasks/' + task["id"] + '"' not in html and "không được xử lý" in html
    signed_in(app, "head_gddt").get(f"/tasks/{task['id']}", status=404)
    signed_in(app, "expert1").get("/tasks/00000000-0000-0000-0000-000000000000", status=404)


def test_the_case_list_filters_by_process_and_status(app, auth):
    training = start_training(auth)
    page = signed_in(app, "hr")
    assert f"/cases/{training['id']}" in page.get("/cases?status=running")
    assert f"/cases/{training['id']}" not in page.get("/cases?status=completed")
    assert f"/cases/{training['id']}" not in page.get("/cases?process=leadership_exam")


def test_starting_a_case_from_the_process_list(app, auth):
    page = signed_in(app, "head_khcn")
    html = page.get("/cases/new")
    assert "/cases/new/training_nomination" in html
    html = page.get("/cases/new/training_nomination")
    assert unlabelled_controls(html) == []
    response = page.post("/cases/new/training_nomination", {"talent_name": "T", "unit": "SKHCN"}, status=422)
    assert "field-errors" in response.get_data(as_text=True)
    response = page.post("/cases/new/training_nomination", {
        "business_key": "DT-WEB-1", "talent_name": "Trần Thu Hà", "unit": "SKHCN", "course": "Lớp AI",
        "field_of_study": "science_technology", "mentor": "expert1"}, status=302)
    case_url = response.headers["Location"]
    html = page.get(case_url)
    assert "DT-WEB-1" in html and "Đang xử lý" in html and "<svg" in html
