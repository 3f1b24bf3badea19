"""Excel on the pages: download links where the lists are, and the mark sheet filled in Excel and
uploaded on the task page — refused with every bad row listed in the reader's language, or recorded."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.api.support import task_row
from tests.web.support import signed_in, text_of
from tests.workflows.exam_support import (close_registration, close_remarking, declare_all, exam_with_marks,
                                          get_case, score, screen, start_exam, task_of)

MARKS = {"TS01": 80, "TS02": 70, "TS03": 40}


def marks_task(auth, service, manual_clock):  # type: ignore[no-untyped-def]
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    screen(auth, case_id, *MARKS)
    declare_all(auth, case_id)
    return case_id, task_of(auth, "secretary", case_id, "record_written_marks")


def filled(page, task_id, marks) -> bytes:  # type: ignore[no-untyped-def]
    response = page.client.get(f"/tasks/{task_id}/sheet.xlsx")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=3).value = marks.get(sheet.cell(row=row, column=1).value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_secretary_uploads_the_mark_sheet_on_the_task_page(app, auth, store, service, manual_clock):
    case_id, task = marks_task(auth, service, manual_clock)
    page = signed_in(app, "secretary")
    html = page.get(f"/tasks/{task['id']}")
    assert "Tải mẫu Excel" in html and f'action="/tasks/{task["id"]}/sheet"' in html
    bad = filled(page, task["id"], {"TS01": 120, "TS02": "abc", "TS03": 40})
    response = page.post(f"/tasks/{task['id']}/sheet", {"file": (io.BytesIO(bad), "diem.xlsx")},
                         content_type="multipart/form-data", status=422)
    said = text_of(response.get_data(as_text=True))
    assert "Tệp Excel không được chấp nhận; chưa ghi nhận gì" in said
    assert "Dòng 2, cột “Điểm”" in said and "Dòng 3, cột “Điểm”" in said and "Dòng 4" not in said
    assert task_row(store, task["id"]).status == "ready"
    disguised = page.post(f"/tasks/{task['id']}/sheet", {"file": (io.BytesIO(b"MZ" + b"\0" * 64), "diem.xlsx")},
                          content_type="multipart/form-data", status=422)
    said = text_of(disguised.get_data(as_text=True))
    assert "Tệp Excel không được chấp nhận" in said and "only an Excel workbook (.xlsx)" in said
    good = filled(page, task["id"], MARKS)
    response = page.post(f"/tasks/{task['id']}/sheet", {"file": (io.BytesIO(good), "diem.xlsx")},
                         content_type="multipart/form-data", status=302)
    assert response.headers["Location"].endswith(f"/cases/{case_id}")
    assert get_case(auth, "hr", case_id)["data"]["round1_marks"] == MARKS


def test_an_upload_without_the_forms_token_is_refused(app, auth, store, service, manual_clock):
    case_id, task = marks_task(auth, service, manual_clock)
    page = signed_in(app, "secretary")
    good = filled(page, task["id"], MARKS)
    response = page.client.post(f"/tasks/{task['id']}/sheet", data={"file": (io.BytesIO(good), "diem.xlsx")},
                                content_type="multipart/form-data")
    assert response.status_code == 400
    assert task_row(store, task["id"]).status == "ready"


def test_errors_and_headers_follow_the_readers_language(app, auth, service, manual_clock):
    case_id, task = marks_task(auth, service, manual_clock)
    page = signed_in(app, "secretary")
    page.get("/lang/en", follow_redirects=True)
    sheet = load_workbook(io.BytesIO(page.client.get(f"/tasks/{task['id']}/sheet.xlsx").data)).worksheets[0]
    assert [c.value for c in sheet[1]] == ["Candidate code", "Full name", "Mark"]
    bad = filled(page, task["id"], {"TS01": 80, "TS02": 70})
    response = page.post(f"/tasks/{task['id']}/sheet", {"file": (io.BytesIO(bad), "marks.xlsx")},
                         content_type="multipart/form-data", status=422)
    assert "Row 4, column “Mark”" in text_of(response.get_data(as_text=True))


def test_the_lists_link_their_excel_downloads(app, auth, service, manual_clock):
    hr = signed_in(app, "hr")
    assert 'href="/talents.xlsx' in hr.get("/talents")
    dashboard = hr.get("/dashboard?year=2026")
    assert 'href="/dashboard/targets.xlsx?year=2026"' in dashboard
    assert 'href="/appointments.xlsx?year=2026"' in dashboard
    report = load_workbook(io.BytesIO(hr.client.get("/dashboard/targets.xlsx?year=2026").data))
    assert report.worksheets[0]["A1"].value == "Chỉ tiêu"
    case_id = exam_with_marks(auth, service, manual_clock, MARKS)
    assert "Tải về tệp Excel" not in signed_in(app, "hr").get(f"/cases/{case_id}")  # no results yet
    close_remarking(auth, service, manual_clock)
    for member in ("chair", "secretary", "member1", "member2", "member3"):
        score(auth, member, case_id, {"TS01": 70, "TS02": 90})
    hr = signed_in(app, "hr")  # weeks have passed on the exam's clock: a new session
    html = hr.get(f"/cases/{case_id}")
    assert f'href="/cases/{case_id}/exports/results.xlsx"' in html and "Tải về tệp Excel: Kết quả" in text_of(html)
    results = load_workbook(io.BytesIO(hr.client.get(f"/cases/{case_id}/exports/results.xlsx").data)).worksheets[0]
    assert results["B1"].value == "Số báo danh"
    signed_in(app, "expert1").get(f"/cases/{case_id}/exports/results.xlsx", status=404)
