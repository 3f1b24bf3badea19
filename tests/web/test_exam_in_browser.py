"""The leadership exam in a real browser, as its people would do it.

hr plans the exam and screens the applicants; the council declares; the
secretary enters the written marks; three members score round 2 at their own
browsers (blind until all have); the chair confirms the ranking; the approver
appoints; an auditor steps through the history and replays it. Time passes
between the steps by the test's clock, as the deadlines would. Every page is
checked for unlabelled fields, and a screenshot of each is kept in
tests/artifacts/ for a reviewer.
"""
from __future__ import annotations

import re

import pytest

from tests.web.browser import Person
from tests.workflows.exam_support import close_registration, close_remarking, declare, score

pytestmark = pytest.mark.slow

APPLICANTS = [("TS01", "Nguyễn Văn An", "internal"), ("TS02", "Trần Thị Bình", "external"),
              ("TS03", "Chu Thị Châu", "nominated")]
MARKS = {"TS01": "80", "TS02": "62", "TS03": "48"}  # TS03 stays out of round 2
ROUND2 = {"TS01": 75, "TS02": 85}


def open_task(person: Person, name: str) -> None:
    """From the worklist, the person opens their task called ``name``."""
    page = person.open("/")
    page.get_by_role("link", name=name).first.click()
    page.wait_for_url(re.compile(r".*/tasks/[0-9a-f-]{36}$"))
    assert person.unlabelled() == [], person.unlabelled()


def submit(person: Person) -> None:
    with person.page.expect_navigation():
        person.page.get_by_role("button", name="Gửi và hoàn thành công việc").click()


def send_reviewed(person: Person) -> None:
    """A sheet comes back read-only for a last check; "Gửi" completes the task."""
    submit(person)
    assert "Kiểm tra lại trước khi gửi" in person.page.inner_text("main")
    with person.page.expect_navigation():
        person.page.get_by_role("button", name="Gửi", exact=True).click()


def test_hr_to_auditor_through_the_pages(app, auth, service, manual_clock, live_server, browser):
    hr = Person(browser, live_server, "hr")
    hr.open("/login")
    assert hr.unlabelled() == []
    hr.shot("00-login")
    hr.sign_in()
    hr.shot("01-worklist-empty")

    # hr plans the exam: the plan form from its schema, the council as five rows
    page = hr.open("/cases/new")
    with page.expect_navigation():
        page.get_by_role("link", name="Thi tuyển chức danh lãnh đạo, quản lý").click()
    assert hr.unlabelled() == []
    page.fill("[name=business_key]", "TT-2026-01")
    page.fill("[name=post]", "Giám đốc Sở Khoa học và Công nghệ")
    page.select_option("[name=unit]", "SKHCN")
    page.select_option("[name=level]", "giam_doc_so")
    page.fill("[name=requirements]", "Tiến sĩ; trong quy hoạch chức danh Giám đốc Sở")
    for i, name in enumerate(["chair", "secretary", "member1", "member2", "member3"]):
        page.select_option(f"[name=council-{i}-username]", name)  # people by name, their usernames posted
    assert page.is_checked("[name=first_appointment]")
    hr.shot("02-start-exam-plan")
    page.get_by_role("button", name="Khởi tạo hồ sơ").click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    assert "Đang xử lý" in page.inner_text("main") and "TT-2026-01" in page.inner_text("h1")

    # registration closes; hr screens three applicants (two rows added without JavaScript)
    close_registration(auth, service, manual_clock)
    hr.sign_in()  # a month later: a session lasts TOKEN_LIFETIME_HOURS, then the server refuses it
    open_task(hr, "Sơ tuyển hồ sơ dự tuyển")
    page = hr.page
    for _ in range(2):
        with page.expect_navigation():
            page.get_by_role("button", name="+ Thêm dòng").click()
        assert page.url.endswith("#list-applicants")  # the page opens at the list, not at its top
    for i, (code, name, kind) in enumerate(APPLICANTS):
        page.fill(f"[name=applicants-{i}-code]", code)
        page.fill(f"[name=applicants-{i}-full_name]", name)
        page.select_option(f"[name=applicants-{i}-applicant_type]", kind)
        page.check(f"[name=applicants-{i}-eligible]")
    page.uncheck("[name=applicants-2-eligible]")  # not eligible, and no reason given yet
    submit(hr)
    assert "nêu lý do" in page.inner_text("#list-applicants")  # the form's message, next to the row
    hr.shot("03-screening-with-error")
    page.check("[name=applicants-2-eligible]")
    send_reviewed(hr)
    page.wait_for_url(re.compile(rf".*/cases/{case_id}$"))

    # the secretary declares no conflict, then enters the written marks on a sheet of one row per candidate
    secretary = Person(browser, live_server, "secretary").sign_in()
    open_task(secretary, "Kê khai quan hệ với người dự tuyển")
    secretary.shot("04-conflict-declaration")
    submit(secretary)
    for member in ("chair", "member1", "member2", "member3"):
        declare(auth, member, case_id)
    open_task(secretary, "Nhập điểm vòng 1 (thi viết)")
    page = secretary.page
    for i, code in enumerate(MARKS):
        assert page.input_value(f"[name=marks-{i}-candidate_code]") == code
        page.fill(f"[name=marks-{i}-mark]", MARKS[code])
    secretary.shot("05-secretary-mark-sheet")
    send_reviewed(secretary)
    assert "Chu Thị Châu" in secretary.open(f"/cases/{case_id}/council").inner_text("main")
    close_remarking(auth, service, manual_clock)

    # three members score at their own browsers; each sees only their sheet and how many have scored
    for n, member in enumerate(("member1", "member2", "member3")):
        person = Person(browser, live_server, member).sign_in()
        open_task(person, "Chấm điểm đề án")
        page = person.page
        assert f"{n}/5 thành viên đã nộp phiếu chấm" in page.inner_text("main")
        assert [page.input_value(f"[name=scores-{i}-candidate_code]") for i in range(2)] == list(ROUND2)
        for i, code in enumerate(ROUND2):
            page.fill(f"[name=scores-{i}-score]", str(ROUND2[code]))
        if n == 1:
            person.shot("06-member-scoring-sheet")
        send_reviewed(person)
        assert "Bạn đã nộp phiếu chấm vòng 2" in page.inner_text("main")
        assert "Xếp hạng" not in page.inner_text("main")  # no ranking (nor anyone's scores) before all have scored
        person.close()
    for member in ("chair", "secretary"):
        score(auth, member, case_id, ROUND2)

    # the chair sees the ranking and confirms it
    chair = Person(browser, live_server, "chair").sign_in()
    open_task(chair, "Xác nhận kết quả thi tuyển")
    results = chair.page.inner_text("table.results")
    assert "TS01 · Nguyễn Văn An" in results and "155" in results and "trúng tuyển" in results
    assert "chờ chủ tịch hội đồng xác nhận" in chair.page.inner_text("main")
    chair.page.check("[name=results_confirmed]")
    chair.shot("07-chair-confirms-results")
    submit(chair)
    assert "đã xác nhận ngày" in chair.open(f"/cases/{case_id}/council").inner_text("main")

    # the approver appoints the winner
    approver = Person(browser, live_server, "approver").sign_in()
    open_task(approver, "Quyết định bổ nhiệm")
    page = approver.page
    page.get_by_label("Bổ nhiệm người trúng tuyển").check()
    page.fill("[name=decision_no]", "123/QĐ-UBND")
    page.fill("[name=effective_date]", "2026-05-15")
    submit(approver)
    page.wait_for_url(re.compile(rf".*/cases/{case_id}$"))
    main = page.inner_text("main")
    assert "Đã bổ nhiệm" in main and "Ghi nhận bổ nhiệm" in main  # status and the timeline
    assert page.locator("svg.bpmn-diagram .completed").count() > 3
    # the diagram's own <style> applied under the CSP (its nonce): a completed task is not drawn in black
    fill = page.evaluate("() => getComputedStyle(document.querySelector('svg.bpmn-diagram .completed .shape')).fill")
    assert fill == "rgb(230, 238, 232)", fill
    approver.shot("08-case-appointed")

    # an auditor steps through the history and replays the case
    auditor = Person(browser, live_server, "auditor").sign_in()
    page = auditor.open(f"/cases/{case_id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Kiểm tra: lịch sử từng bước và chạy lại").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Chạy lại hồ sơ này").click()
    assert "Nhất quán" in page.inner_text("#verdict")
    auditor.shot("09-audit-replay")
    page.focus("#step")
    before = page.url
    page.keyboard.press("Home")  # the slider to the first step; keys only move it (no reload per key)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert page.url == before and page.inner_text("#step-out").startswith("1 /")
    page.keyboard.press("Enter")  # Enter opens the step: the page shows the state after it
    page.wait_for_url(re.compile(r".*step=1#h-step$"))
    assert page.evaluate("() => scrollY") > 0  # the page opens at the step, not at its top
    assert "Khởi tạo hồ sơ" in page.inner_text(".current-event")
    assert page.locator("svg.bpmn-diagram").count() == 1
    auditor.shot("10-audit-step-1")
    page = auditor.open("/audit/verify")
    with page.expect_navigation():
        page.get_by_role("button", name="Kiểm tra tất cả các chuỗi").click()
    assert "Toàn vẹn" in page.inner_text("#verdict")

    # the dashboard counts the appointment by exam for the unit
    hr.sign_in()
    page = hr.open("/dashboard?year=2026")
    row = page.locator("tr", has_text="SKHCN").first.inner_text()
    assert "100 %" in row
    hr.shot("11-dashboard")
    page = hr.open("/talents")
    hr.shot("12-talents")
    hr.open(f"/cases/{case_id}")
    hr.shot("13-case-page")
    assert "TT-2026-01" in hr.open("/cases").inner_text("table")
    hr.shot("14-cases")
    hr.page.goto(live_server + "/lang/en?next=/cases/new/leadership_exam")
    assert "Post" in hr.page.inner_text("main") and "Exam council" in hr.page.inner_text("main")
    hr.shot("15-start-exam-plan-english")
    for person in (hr, secretary, chair, approver, auditor):
        assert person.refused == [], person.refused  # no style or script refused by the CSP on any page
        person.close()
