"""The pages work with the keyboard alone: sign in and complete a task with Tab, Space and Enter."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from tests.helpers import ready_task, start_training

pytestmark = pytest.mark.slow


def tab_to(page, predicate_js: str, limit: int = 60) -> dict:  # type: ignore[no-untyped-def]
    """Press Tab until the focused element matches ``predicate_js`` (a JS expression on ``el``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate(f"() => {{ const el = document.activeElement; return ({predicate_js}) ? "
                              "{tag: el.tagName, name: el.name || '', text: el.innerText || ''} : null; }")
        if found:
            return found
    raise AssertionError(f"no element matching {predicate_js} within {limit} Tab presses")


def test_sign_in_and_complete_a_task_with_the_keyboard(app, auth, live_server, browser):
    case = start_training(auth)
    task = ready_task(case, "mentor_assessment")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server + "/login")

    page.keyboard.press("Tab")  # the first stop is the skip link, visible when focused
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0
    tab_to(page, "el.id === 'username'")
    page.keyboard.type("expert1")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/")

    # the skip link takes the keyboard past the header and the navigation
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    tab_to(page, f"el.getAttribute('href') === '/tasks/{task['id']}'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/tasks/{task['id']}$"))

    tab_to(page, "el.type === 'radio'")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.press("Space")  # the first choice: "support"
    assert page.evaluate("() => document.querySelector('input[name=recommendation]:checked').value") == "support"
    tab_to(page, "el.name === 'mentor_comment'")
    page.keyboard.type("Đủ năng lực, đề nghị cử đi học")
    tab_to(page, "el.name === '_complete'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/cases/{case['id']}$"))
    assert "Xong" in page.inner_text(".flash")
    context.close()
