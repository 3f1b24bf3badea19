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
    assert "Dòng 2, cột “Điểm”: Phải lớn hơn hoặc bằng 0 và nhỏ hơn hoặc bằng 100." in said
    assert "Dòng 3, cột “Điểm”: Không phải là số hợp lệ." in said and "Dòng 4" not in said
    assert "Not a valid number" not in said and "less than or equal" not in said
    assert task_row(store, task["id"]).status == "ready"
    disguised = page.post(f"/tasks/{task['id']}/sheet", {"file": (io.BytesIO(b"MZ" + b"\0" * 64), "diem.xlsx")},
                          content_type="multipart/form-data", status=422)
    said = text_of(disguised.get_data(as_text=True))
    assert "Tệp Excel không được chấp nhận" in said and "Tệp không phải là tệp Excel (.xlsx)" in said
    assert "only an Excel workbook" not in said and "the content is" not in said
    good = filled(page, task["id"], MARKS)
    response = page.post(f"/tasks/{task['id']}/sheet", {"file": (io.BytesIO(good), "diem.xlsx")},
                         content_type="multipart/form-data", status=302)
    assert response.headers["Location"].endswith(f"/cases/{case_id}")
    assert get_case(auth, "hr", case_id)["data"]["round1_marks"] == MARKS


def reshaped(content: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    book = load_workbook(io.BytesIO(content))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_every_refusal_of_a_sheet_reads_in_vietnamese_on_a_vietnamese_page(app, auth, store, service,
                                                                           manual_clock):
    case_id, task = marks_task(auth, service, manual_clock)
    other_id, other = marks_task(auth, service, manual_clock)
    page = signed_in(app, "secretary")
    page.get(f"/tasks/{task['id']}")

    def refused(content: bytes, status: int = 422) -> str:
        response = page.post(f"/tasks/{task['id']}/sheet", {"file": (io.BytesIO(content), "diem.xlsx")},
                             content_type="multipart/form-data", status=status)
        return text_of(response.get_data(as_text=True))

    def without_ts03(book) -> None:  # type: ignore[no-untyped-def]
        book.worksheets[0]["A3"] = "TS99"  # a locked cell changed
        book.worksheets[0].delete_rows(4)  # TS03's row deleted

    said = refused(reshaped(filled(page, task["id"], MARKS), without_ts03))
    assert "Dòng 3, cột “Số báo danh”: không có trong mẫu (ô khóa đã bị sửa): TS99" in said
    assert "thiếu dòng của TS03 (dòng 4 của mẫu)" in said and "missing" not in said
    said = refused(filled(page, other["id"], MARKS))
    assert "Tệp Excel này không phải mẫu của nhiệm vụ này" in said and "another task" not in said
    said = refused(b"PK\x03\x04" + b"\0" * 64)
    assert "Tệp không phải là tệp Excel (.xlsx)" in said and "zip" not in said
    assert task_row(store, task["id"]).status == "ready"
    good = filled(page, task["id"], MARKS)
    page.post(f"/tasks/{task['id']}/sheet", {"file": (io.BytesIO(good), "diem.xlsx")},
              content_type="multipart/form-data", status=302)
    said = refused(good, status=409)  # sent again from another tab: the task is done
    assert "Nhiệm vụ không còn mở" in said and "task_not_ready" not in said


def test_a_sheet_over_the_file_limit_is_refused_saying_the_limit(app, auth, store, service, manual_clock):
    case_id, task = marks_task(auth, service, manual_clock)
    app.config["MAX_FILE_BYTES"] = 4096
    app.extensions["talentflow"].sheets.storage.max_bytes = 4096
    page = signed_in(app, "secretary")
    page.get(f"/tasks/{task['id']}")
    # over the file store's limit: the task page again, saying the limit
    response = page.post(f"/tasks/{task['id']}/sheet", {"file": (io.BytesIO(b"PK" + b"x" * 8000), "diem.xlsx")},
                         content_type="multipart/form-data", status=413)
    assert "Tệp lớn hơn giới hạn 0.00390625 MB" in text_of(response.get_data(as_text=True))
    # over the request's limit: the error page, saying the file's limit, not a long form's
    response = page.post(f"/tasks/{task['id']}/sheet", {"file": (io.BytesIO(b"PK" + b"x" * 200_000), "diem.xlsx")},
                         content_type="multipart/form-data", status=413)
    said = text_of(response.get_data(as_text=True))
    assert "Tệp lớn hơn giới hạn" in said and "Biểu mẫu lớn hơn" not in said
    assert task_row(store, task["id"]).status == "ready"


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
