"""In a browser: a unit head on leave names their substitute, who finds the assessments marked "thay cho …",
and hr gives one to another candidate from the task page; screenshots in tests/artifacts/."""
from __future__ import annotations

import re

from tests.web.browser import Person
from tests.web.test_substitute_pages import named_head, waiting_assessments


def test_a_unit_head_names_a_substitute_and_hr_gives_a_task_away_in_the_browser(app, auth, store, live_server,
                                                                                 browser):
    named_head(store)
    tasks = waiting_assessments(auth, store)
    head = Person(browser, live_server, "head_khcn").sign_in()
    page = head.page
    page.get_by_role("link", name="Ủy quyền").click()
    page.wait_for_url(re.compile(r".*/substitutes$"))
    page.locator("#substitute").select_option("expert1")
    page.get_by_label("Từ ngày").fill("02/03/2026")
    page.get_by_label("Đến hết ngày").fill("06/03/2026")
    page.get_by_label("Lý do (ví dụ: nghỉ phép năm)").fill("Nghỉ phép năm")
    page.get_by_role("button", name="Ủy quyền", exact=True).click()
    page.wait_for_url(re.compile(r".*/substitutes$"))
    assert "Đã ủy quyền." in page.inner_text("main")
    assert page.locator("table.substitutes tr.active").count() == 1
    assert head.unlabelled() == [] and head.refused == []
    head.shot("substitutes-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    head.shot("substitutes-phone")
    head.close()

    substitute = Person(browser, live_server, "expert1").sign_in()
    page = substitute.page
    assert page.locator(".on-behalf", has_text="thay cho Nguyễn Văn An").count() == len(tasks)
    substitute.shot("worklist-substitute")
    page.get_by_role("link", name=tasks[0]["name"]).first.click()
    page.wait_for_url(re.compile(r".*/tasks/.+$"))
    assert "thay cho Nguyễn Văn An" in page.inner_text("main")
    assert substitute.unlabelled() == [] and substitute.refused == []
    substitute.close()

    [minh] = [t for t in tasks if "SKHCN-QLKH" in t["subject"]]  # head_qlkh and head_khcn may assess him
    hr = Person(browser, live_server, "hr").sign_in()
    page = hr.open(f"/tasks/{minh['id']}")
    page.get_by_text("Giao lại công việc cho người khác").click()
    page.get_by_label("Giao cho").select_option("head_qlkh")
    page.get_by_label("Lý do (ghi vào lịch sử hồ sơ)").fill("Trưởng phòng nắm hồ sơ")
    hr.shot("task-reassign")
    page.get_by_role("button", name="Giao lại", exact=True).click()
    page.wait_for_url(re.compile(r".*/tasks/.+$"))
    assert "Đã giao lại công việc" in page.inner_text("main")
    assert hr.unlabelled() == [] and hr.refused == []
    hr.close()
