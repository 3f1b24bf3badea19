"""In a browser: hr watches the yearly review's progress by unit after 15 December and reminds the
late unit with one click; that unit's head finds the reminder in the header's count and on
/notifications, naming the unit and the count; the other units' heads got none. A unit head's
dashboard shows their own units only. Screenshots at desktop and phone width."""
from __future__ import annotations

import re

import pytest

from tests.web.browser import Person
from tests.workflows.test_review_progress import three_units_review

pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}


def progress_row(page, unit: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The figures of one unit's row of the progress table (assessed, open, overdue, ended, total)."""
    row = page.locator(".progress-table tbody tr").filter(has=page.locator(f"th:text-matches('^{unit} ·')"))
    return [cell.strip() for cell in row.locator("td.num").all_inner_texts()]


def test_hr_reminds_the_late_unit_and_only_its_head_is_told(app, auth, store, manual_clock, live_server, browser):
    case = three_units_review(auth, store, manual_clock)  # SGDDT all assessed, SKHCN-QLKH half, SKHCN none

    hr = Person(browser, live_server, "hr").sign_in()
    page = hr.open(f"/cases/{case['id']}")
    page.get_by_role("link", name="Tiến độ theo đơn vị và nhắc việc").click()
    page.wait_for_url(re.compile(rf".*/cases/{case['id']}/progress$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Tiến độ đánh giá theo đơn vị: 2026"
    assert "Hạn đánh giá: 15/12/2026" in page.inner_text("main")
    assert "3/7 đã đánh giá" in page.inner_text("main")
    assert progress_row(page, "SGDDT") == ["2", "0", "0", "0", "2"]
    assert progress_row(page, "SKHCN-QLKH") == ["1", "1", "1", "0", "2"]
    assert progress_row(page, "SKHCN") == ["0", "3", "3", "0", "3"]
    assert page.get_by_role("button", name=re.compile("^Nhắc đơn vị SGDDT")).count() == 0  # nothing open there
    hr.shot("review-progress-desktop")
    page.set_viewport_size(PHONE)
    hr.shot("review-progress-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Nhắc đơn vị SKHCN: 3 hồ sơ chưa đánh giá").click()
    page.wait_for_url(re.compile(rf".*/cases/{case['id']}/progress$"))
    assert page.get_by_text("Đã gửi nhắc việc tới thủ trưởng đơn vị SKHCN.").is_visible()
    page.get_by_role("button", name="Nhắc đơn vị SKHCN: 3 hồ sơ chưa đánh giá").click()  # clicked again
    page.wait_for_url(re.compile(rf".*/cases/{case['id']}/progress$"))
    assert page.get_by_text("Đơn vị này vừa được nhắc cách đây không lâu; không gửi nhắc lần thứ hai.").is_visible()
    assert hr.refused == []
    hr.close()

    head = Person(browser, live_server, "head_khcn").sign_in()
    page = head.page
    assert page.locator(".notes-link .count").inner_text() == "1"
    page.locator(".notes-link").click()
    page.wait_for_url(re.compile(r".*/notifications$"))
    said = page.inner_text("main")
    assert "Sở Nội vụ nhắc SKHCN · Sở KH&CN: còn 3 hồ sơ đánh giá nhân tài năm 2026 đã quá hạn (hạn 15/12/2026)." in said
    head.open(f"/cases/{case['id']}/progress")
    assert page.get_by_role("heading", level=1).inner_text() != "Tiến độ đánh giá theo đơn vị: 2026"  # not theirs
    head.open("/dashboard")
    assert "Chỉ các đơn vị của bạn: SKHCN và các đơn vị trực thuộc." in page.inner_text("main")
    assert "SGDDT" not in page.inner_text("main")
    head.shot("dashboard-unit-head-desktop")
    assert head.unlabelled() == [] and head.refused == []
    head.close()

    for other in ("head_gddt", "head_qlkh"):
        person = Person(browser, live_server, other).sign_in()
        assert person.page.locator(".notes-link .count").count() == 0, other
        person.open("/notifications")
        assert "Không có thông báo nào." in person.page.inner_text("main"), other
        person.close()
