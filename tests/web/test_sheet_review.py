"""A sheet on the task page: errors named by row, fixed cells as text, a review before it is sent."""
from __future__ import annotations

import re

from api.web.pages import sheetreview
from tests.web.sheet_exam import candidates, exam_at_written_marks
from tests.web.sheets import draft_of
from tests.web.support import signed_in, text_of, unlabelled_controls
from tests.workflows.exam_support import get_case, task_of

API = "/api/v1"


def marks_posted(marks: list[str]) -> dict[str, str]:
    """The mark sheet as the page posts it: the fixed codes in hidden inputs, the marks typed."""
    posted = {"marks-rows": str(len(marks))}
    for i, ((code, _name), mark) in enumerate(zip(candidates(len(marks)), marks)):
        posted |= {f"marks-{i}-candidate_code": code, f"marks-{i}-mark": mark}
    return posted


def history_length(auth, case_id: int) -> int:
    return len(auth.as_("auditor").get(f"{API}/cases/{case_id}/history").get_json())


def test_a_refused_mark_sheet_names_each_faulty_row_and_opens_on_the_first(app, auth, service, manual_clock):
    case_id = exam_at_written_marks(auth, service, manual_clock, 8)
    task = task_of(auth, "secretary", case_id, "record_written_marks")
    page = signed_in(app, "secretary")
    html = page.get(f"/tasks/{task['id']}")
    assert 'name="marks-0-candidate_code" value="TS01"' in html and 'type="hidden" name="marks-0-candidate_code"' in html
    assert '<span class="fixed-cell" id="f-marks-0-candidate_code">TS01</span>' in html  # text, not an input
    marks = ["80"] * 8
    marks[2], marks[6] = "105", "abc"
    html = page.post(f"/tasks/{task['id']}", marks_posted(marks), status=422).get_data(as_text=True)
    summary = html[html.index('id="form-errors"'):html.index("</div>", html.index('id="form-errors"'))]
    assert 'role="alert"' in html[html.index('<div class="error-summary"'):html.index('id="form-errors"')]
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert links == [("f-marks-2-mark", "Dòng 3 (Lê Minh Châu) — Điểm: Phải lớn hơn hoặc bằng 0 và nhỏ hơn hoặc "
                                        "bằng 100."),
                     ("f-marks-6-mark", "Dòng 7 (Đặng Thị Bình) — Điểm: Không phải là số hợp lệ.")], links
    first = re.search(r'<input [^>]*id="f-marks-2-mark"[^>]*>', html).group(0)
    assert "autofocus" in first and 'aria-invalid="true"' in first and 'aria-describedby="f-marks-2-mark-err' in first
    assert "autofocus" not in re.search(r'<input [^>]*id="f-marks-6-mark"[^>]*>', html).group(0)
    assert 'value="abc"' in html and unlabelled_controls(html) == []
    assert get_case(auth, "hr", case_id)["data"].get("round1_marks") is None


def test_the_error_summary_speaks_english_on_an_english_page(app, auth, service, manual_clock):
    case_id = exam_at_written_marks(auth, service, manual_clock, 3)
    task = task_of(auth, "secretary", case_id, "record_written_marks")
    page = signed_in(app, "secretary")
    page.get("/lang/en?next=/", follow_redirects=True)
    page.get(f"/tasks/{task['id']}")
    html = page.post(f"/tasks/{task['id']}", marks_posted(["70", "-1", "60"]), status=422).get_data(as_text=True)
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', html[html.index('id="form-errors"'):]) [0] == \
        ("f-marks-1-mark", "Row 2 (Trần Thị Bình) — Mark: Must be greater than or equal to 0 and less than or "
                           "equal to 100.")


def test_a_valid_sheet_is_shown_back_and_nothing_is_recorded_until_it_is_sent(app, auth, service, manual_clock):
    case_id = exam_at_written_marks(auth, service, manual_clock, 5)
    task = task_of(auth, "secretary", case_id, "record_written_marks")
    page = signed_in(app, "secretary")
    page.get(f"/tasks/{task['id']}")
    events = history_length(auth, case_id)
    html = page.post(f"/tasks/{task['id']}", marks_posted(["80", "7,5", "62", "50", "49"]), status=200) \
        .get_data(as_text=True)
    text = text_of(html)
    assert "Kiểm tra lại trước khi gửi" in text and "Điểm thi viết: 5 dòng" in text
    assert "Trần Thị Bình" in text and "7,5" in text  # each row with its name, the mark as Vietnamese writes it
    assert re.search(r'<button type="submit" name="_confirm" value="1" class="primary">Gửi</button>', html)
    assert 'name="_edit"' in html and "Sửa lại" in text and unlabelled_controls(html) == []
    assert history_length(auth, case_id) == events  # nothing written: no event, the task still open
    assert task_of(auth, "secretary", case_id, "record_written_marks")["status"] == "ready"
    draft = draft_of(html)

    again = page.post(f"/tasks/{task['id']}", {"_draft": draft, "_edit": "1"}, status=200).get_data(as_text=True)
    assert 'name="marks-1-mark"' in again and 'value="7,5"' in again  # "Sửa lại": everything typed is kept
    assert history_length(auth, case_id) == events

    page.post(f"/tasks/{task['id']}", {"_draft": draft, "_confirm": "1"}, status=302)
    assert get_case(auth, "hr", case_id)["data"]["round1_marks"] == {"TS01": 80, "TS02": 7.5, "TS03": 62,
                                                                     "TS04": 50, "TS05": 49}


def test_a_changed_or_borrowed_draft_is_refused_and_nothing_is_recorded(app, auth, service, manual_clock):
    case_id = exam_at_written_marks(auth, service, manual_clock, 3)
    task = task_of(auth, "secretary", case_id, "record_written_marks")
    page = signed_in(app, "secretary")
    page.get(f"/tasks/{task['id']}")
    draft = draft_of(page.post(f"/tasks/{task['id']}", marks_posted(["80", "70", "60"]), status=200)
                     .get_data(as_text=True))
    payload, _dot, signature = draft.rpartition(".")
    changed = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    html = page.post(f"/tasks/{task['id']}", {"_draft": changed, "_confirm": "1"}, status=400).get_data(as_text=True)
    assert "chưa có gì được ghi nhận" in text_of(html)
    chair = signed_in(app, "chair")  # the secretary's draft is hers: nobody else sends it
    chair.get(f"/cases/{case_id}")
    chair.post(f"/tasks/{task['id']}", {"_draft": draft, "_confirm": "1"}, status=400)
    assert get_case(auth, "hr", case_id)["data"].get("round1_marks") is None
    assert task_of(auth, "secretary", case_id, "record_written_marks")["status"] == "ready"


def test_a_confirm_is_checked_again_when_it_is_sent(app, auth, service, manual_clock):
    """Even a properly signed draft goes through the completion's own checks: a mark out of range is
    refused beside its row, and nothing is recorded."""
    case_id = exam_at_written_marks(auth, service, manual_clock, 2)
    task = task_of(auth, "secretary", case_id, "record_written_marks")
    page = signed_in(app, "secretary")
    page.get(f"/tasks/{task['id']}")
    with app.test_request_context():
        forged = sheetreview.sign(task["id"], "secretary", {"marks": [{"candidate_code": "TS01", "mark": 105},
                                                                      {"candidate_code": "TS02", "mark": 60}]})
    html = page.post(f"/tasks/{task['id']}", {"_draft": forged, "_confirm": "1"}, status=422).get_data(as_text=True)
    assert "Dòng 1 (Nguyễn Văn An) — Điểm:" in html and 'value="105"' in html
    assert get_case(auth, "hr", case_id)["data"].get("round1_marks") is None


def test_the_json_api_still_completes_a_sheet_in_one_call(app, auth, service, manual_clock):
    case_id = exam_at_written_marks(auth, service, manual_clock, 2)
    task = task_of(auth, "secretary", case_id, "record_written_marks")
    response = auth.as_("secretary").post(f"{API}/tasks/{task['id']}/complete", json={"data": {"marks": [
        {"candidate_code": "TS01", "mark": 70}, {"candidate_code": "TS02", "mark": 55}]}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["round1_marks"] == {"TS01": 70, "TS02": 55}
