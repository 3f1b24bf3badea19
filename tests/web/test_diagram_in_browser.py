"""Diagrams in a browser: every deployed process's diagram opens with no word under 10 px, fitted to the
column where it can be; a wide one scrolls in a region the keyboard focuses, zooms with + - 0 and pans
with the arrow keys; axe-core finds nothing serious on the way. Screenshots at desktop and phone width."""
from __future__ import annotations

import pytest

from tests.web.browser import Person
from tests.workflows.exam_support import start_exam

pytestmark = pytest.mark.slow

#: the smallest rendered font size of the diagram's words, in CSS pixels, as the browser draws them
SMALLEST_TEXT_JS = """() => {
  const svg = document.querySelector('#diagram-view svg');
  const scale = svg.getScreenCTM().a;
  return Math.min(...[...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')) * scale));
}"""
VIEW_JS = """() => { const v = document.querySelector('#diagram-view'), s = v.querySelector('svg');
  return {width: s.getBoundingClientRect().width, room: v.clientWidth, left: v.scrollLeft, top: v.scrollTop,
          zoom: parseFloat(v.dataset.zoom), shown: v.parentElement.querySelector('output').textContent}; }"""


def test_every_deployed_diagram_opens_with_words_of_at_least_ten_pixels(app, auth, live_server, browser):
    keys = [p["key"] for p in auth.as_("hr").get("/api/v1/processes").get_json()]
    assert len(keys) >= 5
    person = Person(browser, live_server, "hr").sign_in()
    for key in keys:
        page = person.open(f"/processes/{key}/diagram")
        page.wait_for_function("() => document.querySelector('#diagram-view').dataset.zoom")
        smallest = page.evaluate(SMALLEST_TEXT_JS)
        assert smallest >= 10, (key, smallest)
        view = page.evaluate(VIEW_JS)
        assert view["width"] <= view["room"] + 1 or view["zoom"] < 1, (key, view)  # fitted, or as small as readable
    person.close()


def test_a_wide_diagram_zooms_and_pans_by_keyboard(app, auth, live_server, browser):
    case = start_exam(auth)
    hr = Person(browser, live_server, "hr").sign_in()
    page = hr.open(f"/cases/{case['id']}")
    page.wait_for_function("() => document.querySelector('#diagram-view').dataset.zoom")
    first = page.evaluate(VIEW_JS)
    assert page.evaluate(SMALLEST_TEXT_JS) >= 10
    assert first["width"] > first["room"] and first["shown"] == "91 %"  # too wide to fit readable: it scrolls
    page.locator("#diagram-view").scroll_into_view_if_needed()
    hr.shot("diagram-desktop")

    page.focus("#diagram-view")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    panned = page.evaluate(VIEW_JS)
    assert panned["left"] == first["left"] + 120  # two steps to the right
    page.keyboard.press("+")
    bigger = page.evaluate(VIEW_JS)
    assert bigger["zoom"] > first["zoom"] and bigger["width"] > first["width"] and bigger["shown"] == "114 %"
    page.keyboard.press("-")
    page.keyboard.press("-")
    assert page.evaluate(VIEW_JS)["zoom"] < first["zoom"]
    page.keyboard.press("0")  # fit: the whole width in the column, for an overview
    fitted = page.evaluate(VIEW_JS)
    assert abs(fitted["width"] - fitted["room"]) <= 2 and fitted["left"] == 0
    page.get_by_role("button", name="Phóng to").click()
    assert page.evaluate(VIEW_JS)["zoom"] > fitted["zoom"]
    hr.check()  # axe-core on the page as it is now, zoomed

    page.set_viewport_size({"width": 390, "height": 844})
    page = hr.open(f"/cases/{case['id']}")
    page.wait_for_function("() => document.querySelector('#diagram-view').dataset.zoom")
    assert page.evaluate(SMALLEST_TEXT_JS) >= 10
    page.locator("#diagram-view").scroll_into_view_if_needed()
    hr.shot("diagram-phone")
    assert hr.refused == []
    hr.close()
