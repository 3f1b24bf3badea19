"""In a browser: hr finds a talent from the header's search box without typing diacritics, opens
the talent page, and reads a reminder on the notifications page; screenshots at desktop and phone width."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.api.test_notifications import deploy_reminders
from tests.web.browser import Person
from workflows.programme import registry

pytestmark = pytest.mark.slow


def test_hr_finds_nguyen_without_diacritics_and_reads_a_reminder(app, auth, store, service, manual_clock,
                                                                  live_server, browser):
    with store.command() as conn:
        talent = registry.add_talent(conn, full_name="Nguyễn Thị Ánh", category="excellent_graduate",
                                     recognised_on=date(2025, 6, 1), unit="SKHCN", field="Vật liệu mới")
        registry.add_talent(conn, full_name="Trần Văn Bình", category="expert", recognised_on=date(2025, 6, 1),
                            unit="SGDDT")
    hr = Person(browser, live_server, "hr").sign_in()
    page = hr.page
    page.get_by_role("searchbox", name="Tìm theo họ tên, số hồ sơ hoặc mã hồ sơ").fill("nguyen thi")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/search\?q=nguyen\+thi$"))
    assert page.get_by_role("link", name="Nguyễn Thị Ánh").is_visible()
    assert page.get_by_role("link", name="Trần Văn Bình").count() == 0
    assert hr.unlabelled() == []
    hr.shot("search-desktop")
    page.get_by_role("link", name="Nguyễn Thị Ánh").click()
    page.wait_for_url(re.compile(rf".*/talents/{talent}$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Nguyễn Thị Ánh"
    assert "Vật liệu mới" in page.inner_text("main")
    hr.shot("talent-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    hr.shot("talent-phone")
    hr.open("/search?q=Nguy%E1%BB%85n")
    assert page.get_by_role("link", name="Nguyễn Thị Ánh").is_visible()
    hr.shot("search-phone")
    hr.close()

    deploy_reminders(auth)
    auth.as_("hr").post("/api/v1/cases", json={"process": "reminders", "data": {}})
    manual_clock.advance(timedelta(hours=2, seconds=1))
    service.fire_due()
    reviewer = Person(browser, live_server, "reviewer").sign_in()
    page = reviewer.page
    assert page.locator(".notes-link .count").inner_text() == "1"
    page.locator(".notes-link").click()
    page.wait_for_url(re.compile(r".*/notifications$"))
    reviewer.shot("notifications-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    reviewer.shot("notifications-phone")
    page.get_by_role("button", name=re.compile("^Đánh dấu đã đọc")).first.click()
    page.wait_for_url(re.compile(r".*/notifications$"))
    assert page.locator(".notes-link .count").count() == 0
    assert reviewer.refused == []
    reviewer.close()
