"""A unit head assesses thirty talents through the grid, in a real browser.

hr has started the 2026 review with thirty talents in the units of ``head_khcn`` (SKHCN and its
division). The head opens the grid from the worklist, sees 0/30 and the last day, 15/12/2026; saves a
row without its rating and is told why on that row, with what was typed kept; then fills and saves
each row in turn (each save one assessment completed) while the count climbs to 30/30, after which
the review has every result (``assessments_done``) and waits for hr's consolidation. Screenshots of
the grid at desktop and phone width are kept in tests/artifacts/.
"""
from __future__ import annotations

import re

import pytest

from tests.web.browser import Person
from tests.web.grid_support import review_with_talents

pytestmark = pytest.mark.slow
TIMEOUT = 30_000


def save_first_row(person: Person, rating: str | None = "hoan_thanh", comment: str = "") -> None:
    """Fill the first row still open and press its "Lưu" (the page reloads at the next row)."""
    page = person.page
    row = page.locator("table.task-grid tbody tr").first
    if rating:
        row.locator("select[name=rating]").select_option(rating)
    row.locator("input[name=serving_in_city]").check()
    row.locator("select[name=recommendation]").select_option("keep")
    if comment:
        row.locator("textarea[name=comment], input[name=comment]").fill(comment)
    with page.expect_navigation(timeout=TIMEOUT):
        row.get_by_role("button", name=re.compile("^Lưu")).click()


def test_a_unit_head_completes_thirty_assessments_from_one_grid(app, auth, store, live_server, browser):
    review = review_with_talents(store, auth, ours=30, theirs=0)
    head = Person(browser, live_server, "head_khcn").sign_in()
    page = head.page
    with page.expect_navigation(timeout=TIMEOUT):
        page.get_by_role("link", name="Đánh giá nhân tài của đơn vị").click()
    assert page.locator(".grid-progress").inner_text() == "0/30 đã đánh giá"
    assert "15/12/2026" in page.locator(".grid-deadline").inner_text()
    assert page.locator("table.task-grid tbody tr").count() == 30
    assert head.unlabelled() == [], head.unlabelled()
    head.shot("grid-desktop")

    # a row without its rating: refused on that row, what was typed kept, nothing recorded
    first = page.locator("table.task-grid tbody th").first.inner_text()
    save_first_row(head, rating=None, comment="Cần bổ sung minh chứng")
    refused = page.locator("tr.refused")
    assert refused.count() == 1 and refused.locator("th").inner_text() == first
    assert "Thiếu dữ liệu của trường bắt buộc." in refused.inner_text()
    assert refused.locator("[name=comment]").input_value() == "Cần bổ sung minh chứng"
    assert page.locator(".grid-progress").inner_text() == "0/30 đã đánh giá"

    for done in range(1, 31):
        save_first_row(head)
        assert page.locator(".grid-progress").inner_text() == f"{done}/30 đã đánh giá"
        assert page.locator("table.task-grid tbody tr").count() == 30 - done
    assert "Không còn việc nào ở đây." in page.locator("main").inner_text()
    assert head.refused == []

    # the last assessment ended: the review heard "assessments_done" with thirty results; hr consolidates
    case = auth.as_("hr").get(f"/api/v1/cases/{review['case']['id']}").get_json()
    assert case["status"] == "running" and len(case["data"]["review_outcomes"]) == 30
    assert all(line["assessed"] for line in case["data"]["review_outcomes"])
    assert [t["element_id"] for t in case["tasks"]] == ["consolidate_review"]
    history = auth.as_("auditor").get(f"/api/v1/cases/{review['case']['id']}/history").get_json()
    assert [e["data"]["message"] for e in history if e["type"] == "message_received"] == ["assessments_done"]
    head.close()


def test_the_grid_on_a_phone(app, auth, store, live_server, browser):
    review_with_talents(store, auth, ours=6, theirs=0)
    head = Person(browser, live_server, "head_khcn").sign_in()
    head.page.set_viewport_size({"width": 390, "height": 844})
    page = head.open("/tasks/grid/talent_assessment/assess_talent")
    assert page.locator(".grid-progress").inner_text() == "0/6 đã đánh giá"
    label = page.locator("table.task-grid tbody tr").first.locator("label").first
    assert label.is_visible()  # each input says what it is, on a card per talent
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    head.shot("grid-phone")
    head.close()
