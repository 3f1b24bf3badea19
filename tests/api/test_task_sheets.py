"""The written round's mark sheet: the secretary downloads the template, fills it in Excel and
uploads it; every bad row is named and nothing is recorded, or every mark is recorded in one step."""
from __future__ import annotations

import io
import random
import zipfile

from openpyxl import load_workbook

from engine.sheets.form_sheet import MAX_PART
from tests.api.support import error_of, events, task_row, unchanged
from tests.engine.files import samples
from tests.helpers import start_training
from tests.workflows.exam_support import (close_registration, declare_all, get_case, screen, start_exam, task_of)

API = "/api/v1"
MARKS = {"TS01": 80, "TS02": 70.5, "TS03": 45}


def exam_at_the_written_round(auth, service, manual_clock) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    screen(auth, case_id, *MARKS)
    declare_all(auth, case_id)
    return case_id, task_of(auth, "secretary", case_id, "record_written_marks")


def template(auth, task_id, user="secretary", lang="vi"):  # type: ignore[no-untyped-def]
    response = auth.as_(user).get(f"{API}/tasks/{task_id}/sheet.xlsx?lang={lang}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Disposition"].startswith("attachment")
    return load_workbook(io.BytesIO(response.data))


def as_bytes(book) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(auth, task_id, content, user="secretary", name="diem.xlsx", lang="vi"):  # type: ignore[no-untyped-def]
    return auth.as_(user).post(f"{API}/tasks/{task_id}/sheet?lang={lang}",
                               data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def fill(book, marks) -> None:  # type: ignore[no-untyped-def]
    """Type ``marks`` (code -> value) into the mark column, as the secretary would."""
    sheet = book.worksheets[0]
    for row in range(2, sheet.max_row + 1):
        code = sheet.cell(row=row, column=1).value
        if code in marks:
            sheet.cell(row=row, column=3).value = marks[code]


def test_the_template_has_a_locked_row_per_candidate_and_an_open_mark_column(app, auth, service, manual_clock):
    case_id, task = exam_at_the_written_round(auth, service, manual_clock)
    book = template(auth, task["id"])
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["Số báo danh", "Họ và tên", "Điểm"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        ["TS01", "Nguyễn Văn An", None], ["TS02", "Trần Thị Bình", None], ["TS03", "Chu Thị Châu", None]]
    assert sheet.protection.sheet
    assert sheet["A2"].protection.locked and sheet["B2"].protection.locked and not sheet["C2"].protection.locked
    assert sheet.freeze_panes == "A2"
    hidden = book["talentflow"]
    assert hidden.sheet_state == "veryHidden"
    assert {r[0]: r[1] for r in hidden.iter_rows(values_only=True)}["task"] == task["id"]
    english = template(auth, task["id"], lang="en").worksheets[0]
    assert [c.value for c in english[1]] == ["Candidate code", "Full name", "Mark"]
    # only whoever may do the task gets it; someone who may not know of the case gets 404
    error_of(auth.as_("member1").get(f"{API}/tasks/{task['id']}/sheet.xlsx"), 403)
    error_of(auth.as_("expert1").get(f"{API}/tasks/{task['id']}/sheet.xlsx"), 404)


def test_a_sheet_with_bad_rows_is_refused_naming_each_row_and_column_and_records_nothing(
        app, auth, store, service, manual_clock):
    case_id, task = exam_at_the_written_round(auth, service, manual_clock)
    book = template(auth, task["id"])
    fill(book, {"TS01": 120, "TS02": "abc"})
    book.worksheets[0].delete_rows(4)  # TS03's row deleted: a candidate missing
    with unchanged(store):
        error = error_of(upload(auth, task["id"], as_bytes(book)), 422, "invalid_sheet")
    found = {(r["row"], r["column"]) for r in error["details"]["rows"]}
    assert found == {(2, "Điểm"), (3, "Điểm"), (4, "Số báo danh")}, error["details"]
    by_row = {r["row"]: r for r in error["details"]["rows"]}
    assert "less than or equal to 100" in by_row[2]["messages"][0]
    assert "Not a valid number" in by_row[3]["messages"][0]
    assert "TS03" in by_row[4]["messages"][0]
    assert (by_row[4]["code"], by_row[4]["params"]) == ("missing_row", {"values": "TS03", "row": 4})
    assert "code" not in by_row[2]  # the form's own message: no code of the sheet's
    assert "2, 3, 4" in error["message"]
    assert task_row(store, task["id"]).status == "ready"
    assert "round1_marks" not in get_case(auth, "hr", case_id)["data"]

    # fixed, the same sheet records every mark in one step, exactly as typed
    fixed = template(auth, task["id"])
    fill(fixed, MARKS)
    response = upload(auth, task["id"], as_bytes(fixed))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["round1_marks"] == MARKS
    assert task_row(store, task["id"]).status == "completed"
    completed = [e for e in events(store, case_id, "task_completed") if e.task_id == task["id"]]
    assert len(completed) == 1
    assert completed[0].data["data"] == {"marks": [{"candidate_code": c, "mark": m} for c, m in MARKS.items()]}
    error_of(upload(auth, task["id"], as_bytes(fixed)), 409)  # the task is done: nothing more


def test_a_disguised_executable_another_tasks_sheet_and_no_template_are_refused(
        app, auth, store, service, manual_clock):
    case_id, task = exam_at_the_written_round(auth, service, manual_clock)
    other_id, other = exam_at_the_written_round(auth, service, manual_clock)
    with unchanged(store):
        error = error_of(upload(auth, task["id"], b"MZ\x90\x00" + b"\x00" * 200, name="diem.xlsx"), 422,
                         "unsupported_file_type")
        assert "Excel" in error["message"]
        error_of(upload(auth, task["id"], samples.ACCEPTED["pdf"]()), 422, "unsupported_file_type")
        foreign = template(auth, other["id"])
        fill(foreign, MARKS)
        error = error_of(upload(auth, task["id"], as_bytes(foreign)), 422, "wrong_sheet")
        assert "another task" in error["message"]
        error_of(upload(auth, task["id"], samples.ACCEPTED["xlsx"]()), 422, "wrong_sheet")
        error_of(auth.as_("secretary").post(f"{API}/tasks/{task['id']}/sheet", data={},
                                            content_type="multipart/form-data"), 422)
        error_of(upload(auth, task["id"], as_bytes(template(auth, task["id"])), user="member1"), 403)
    assert task_row(store, task["id"]).status == "ready"


def test_a_vietnamese_decimal_comma_reads_as_the_number(app, auth, service, manual_clock):
    case_id, task = exam_at_the_written_round(auth, service, manual_clock)
    book = template(auth, task["id"])
    fill(book, {"TS01": "80", "TS02": "70,5", "TS03": 45})
    response = upload(auth, task["id"], as_bytes(book))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["round1_marks"] == MARKS


def test_a_task_whose_form_is_no_list_of_rows_has_no_sheet(app, auth):
    case = start_training(auth)
    mentor = case["tasks"][0]
    error_of(auth.as_("expert1").get(f"{API}/tasks/{mentor['id']}/sheet.xlsx"), 404, "no_sheet")
    error_of(upload(auth, mentor["id"], samples.ACCEPTED["xlsx"](), user="expert1"), 404, "no_sheet")


def test_a_workbook_whose_sheet_unpacks_too_large_is_refused_before_it_is_read(app, auth, store, service,
                                                                                manual_clock):
    case_id, task = exam_at_the_written_round(auth, service, manual_clock)
    book = template(auth, task["id"])
    fill(book, MARKS)
    out = io.BytesIO()
    # the filled-in sheet's part replaced by 11 MB of digits: a zip only ~2.4 times smaller, which
    # the file check lets through, and no XML at all, which only a refusal before parsing answers 422
    noise = "".join(random.Random(13).choices("0123456789", k=MAX_PART + 1024 * 1024)).encode()
    with zipfile.ZipFile(io.BytesIO(as_bytes(book))) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, noise if info.filename == "xl/worksheets/sheet1.xml" else old.read(info))
    with unchanged(store):
        error = error_of(upload(auth, task["id"], out.getvalue()), 422, "sheet_too_large")
    assert "MB unpacked" in error["message"]
    assert task_row(store, task["id"]).status == "ready"
