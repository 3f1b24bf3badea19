"""Sheets at real volume in a browser: a secretary's 40 written marks, hr screening 40 applicants.

The secretary mistypes two marks among forty; the page comes back naming both rows, with the
keyboard on the first; she corrects them from the list's links, checks the sheet read back and
sends it. hr screens forty applicants on one sheet, adding rows ten at a time without JavaScript.
Screenshots in tests/artifacts/ for a reviewer.
"""
from __future__ import annotations

import re

import pytest

from tests.web.browser import Person
from tests.web.sheet_exam import candidates, exam_at_written_marks
from tests.workflows.exam_support import close_registration, get_case, start_exam, task_of

pytestmark = pytest.mark.slow

TIMEOUT = 30_000
PHONE = {"width": 390, "height": 844}


def focused_id(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def submit(person: Person, name: str = "Gửi và hoàn thành công việc") -> None:
    with person.page.expect_navigation(timeout=TIMEOUT):
        person.page.get_by_role("button", name=name, exact=True).click()


def test_a_secretary_enters_forty_marks_corrects_two_from_the_error_list_reviews_and_sends(
        app, auth, service, manual_clock, live_server, browser):
    case_id = exam_at_written_marks(auth, service, manual_clock, 40)
    task = task_of(auth, "secretary", case_id, "record_written_marks")
    secretary = Person(browser, live_server, "secretary").sign_in()
    page = secretary.open(f"/tasks/{task['id']}")
    assert secretary.unlabelled() == []
    assert page.locator("td.fixed .fixed-cell").count() == 40  # the codes are text, not inputs

    page.focus("#f-marks-0-mark")  # the read-only codes and names take no Tab stop
    page.keyboard.press("Tab")
    assert focused_id(page) == "f-marks-1-mark"

    marks = {i: str(50 + i) for i in range(40)}
    marks[6], marks[22] = "105", "abc"
    for i, mark in marks.items():
        page.fill(f"#f-marks-{i}-mark", mark)
    submit(secretary)

    summary = page.locator("#form-errors")
    assert summary.get_attribute("role") == "alert"
    lines = summary.locator("li a").all_inner_texts()
    names = dict(candidates(40))
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"Dòng 7 ({names['TS07']}) — Điểm:")
    assert lines[1].startswith(f"Dòng 23 ({names['TS23']}) — Điểm:")
    assert focused_id(page) == "f-marks-6-mark"  # the keyboard is on the first faulty cell
    assert page.get_attribute("#f-marks-6-mark", "aria-invalid") == "true"
    assert page.input_value("#f-marks-22-mark") == "abc" and page.input_value("#f-marks-39-mark") == "89"
    secretary.shot("marks-errors-desktop")

    for link, cell, corrected in ((0, "f-marks-6-mark", "56"), (1, "f-marks-22-mark", "72")):
        summary.locator("li a").nth(link).click()
        page.wait_for_url(re.compile(rf".*#{cell}$"), timeout=TIMEOUT)
        assert focused_id(page) == cell  # the link lands in the cell
        page.keyboard.press("Control+A")
        page.keyboard.type(corrected)
    submit(secretary)

    review = page.locator(".sheet-review")
    assert "Kiểm tra lại trước khi gửi" in review.inner_text()
    assert "Điểm thi viết: 40 dòng" in review.inner_text()
    assert review.locator("tbody tr").count() == 40
    assert get_case(auth, "hr", case_id)["data"].get("round1_marks") is None  # nothing written before "Gửi"
    secretary.shot("marks-review-desktop")

    submit(secretary, "Sửa lại")  # back to the sheet: everything typed is still there
    assert page.input_value("#f-marks-6-mark") == "56" and page.input_value("#f-marks-22-mark") == "72"
    page.set_viewport_size(PHONE)
    secretary.shot("marks-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    submit(secretary)
    submit(secretary, "Gửi")
    page.wait_for_url(re.compile(rf".*/cases/{case_id}$"), timeout=TIMEOUT)
    recorded = get_case(auth, "hr", case_id)["data"]["round1_marks"]
    assert len(recorded) == 40 and recorded["TS07"] == 56 and recorded["TS23"] == 72 and recorded["TS40"] == 89
    assert secretary.refused == []
    secretary.close()


def test_hr_screens_forty_applicants_on_one_sheet(app, auth, service, manual_clock, live_server, browser):
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    task = task_of(auth, "hr", case_id, "screen_applications")
    hr = Person(browser, live_server, "hr").sign_in()
    page = hr.open(f"/tasks/{task['id']}")
    for _ in range(4):  # forty more rows, ten at a time, without JavaScript
        with page.expect_navigation(timeout=TIMEOUT):
            page.get_by_role("button", name="+ Thêm 10 dòng").click()
    assert page.url.endswith("#list-applicants")
    assert page.locator("#list-applicants tbody tr").count() == 41
    people = candidates(40)
    for i, (code, name) in enumerate(people):
        page.fill(f"#f-applicants-{i}-code", code)
        page.fill(f"#f-applicants-{i}-full_name", name)
        page.select_option(f"#f-applicants-{i}-applicant_type", ["internal", "external", "nominated"][i % 3])
        if i not in (4, 30):
            page.check(f"#f-applicants-{i}-eligible")
    page.fill("#f-applicants-30-reason", "Chưa trong quy hoạch chức danh")
    assert hr.unlabelled() == []
    hr.shot("screening-desktop")
    submit(hr)  # row 5 is not eligible and gives no reason

    lines = page.locator("#form-errors li a").all_inner_texts()
    assert len(lines) == 1 and lines[0].startswith(f"Dòng 5 ({people[4][1]}) — Lý do:"), lines
    assert focused_id(page) == "f-applicants-4-reason"
    assert page.locator("#list-applicants tbody tr").count() == 41  # every row kept, the blank one too
    assert page.input_value("#f-applicants-39-full_name") == people[39][1]
    page.fill("#f-applicants-4-reason", "Thiếu văn bản đồng ý của cấp ủy")
    submit(hr)

    review = page.locator(".sheet-review").inner_text()
    assert "Người đăng ký: 40 dòng" in review and "Đủ điều kiện “có”: 38" in review
    assert "Đủ điều kiện “không”: 2" in review
    submit(hr, "Gửi")
    page.wait_for_url(re.compile(rf".*/cases/{case_id}$"), timeout=TIMEOUT)
    data = get_case(auth, "hr", case_id)["data"]
    assert len(data["candidates"]) == 38 and {r["code"] for r in data["rejected"]} == {"TS05", "TS31"}
    assert hr.refused == []
    hr.close()
