"""The checker itself: a page with a serious fault fails the test naming the page, the rule and the
element, whether the person follows a link to it or leaves it at once; without axe-core nothing runs."""
from __future__ import annotations

import pytest

from tests.web.browser import Person

pytestmark = pytest.mark.slow

FAULTY = ("<!doctype html><html><head><title>x</title></head><body><main><h1>Trang lỗi</h1>"
          "<form><input type=text name=unlabelled></form><a href='/'>về trang chủ</a></main></body></html>")


def serve_faulty(person: Person) -> None:
    """A page of the site's origin without a language and with an unlabelled field (two serious faults)."""
    person.context.route("**/faulty-page", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                        body=FAULTY))


def test_a_faulty_page_reached_by_a_link_is_named_with_its_rule_and_element(app, live_server, browser):
    person = Person(browser, live_server, "hr")
    serve_faulty(person)
    page = person.open("/login")
    page.evaluate("() => { const a = document.createElement('a'); a.href = '/faulty-page'; a.textContent = 'lỗi';"
                  " document.querySelector('main').append(a); }")
    page.get_by_role("link", name="lỗi").click()
    page.wait_for_url("**/faulty-page")
    with pytest.raises(AssertionError) as failed:
        person.check()
    report = str(failed.value)
    assert "- /faulty-page\n" in report
    assert "html-has-lang (serious)" in report and "label (critical)" in report
    assert 'input: <input type="text" name="unlabelled">' in report and "on 1 page(s)" in report
    assert "- /login" not in report  # the sign-in page itself is clean
    person.context.discard()


def test_a_page_left_at_once_is_still_checked(app, live_server, browser):
    person = Person(browser, live_server, "hr")
    serve_faulty(person)
    person.page.goto(live_server + "/faulty-page")
    person.page.goto(live_server + "/login")  # gone before (or just after) its check: then it is loaded again
    with pytest.raises(AssertionError) as failed:
        person.check()
    assert "- /faulty-page" in str(failed.value) and "label (critical)" in str(failed.value)
    person.context.discard()


def test_without_axe_core_the_browser_tests_fail_and_say_how_to_install_it(app, live_server, browser, monkeypatch):
    monkeypatch.setenv("TALENTFLOW_AXE_JS", "/nonexistent/axe.min.js")
    with pytest.raises(pytest.fail.Exception) as failed:
        Person(browser, live_server, "hr")
    assert "sh .ci/axe" in str(failed.value) and "TALENTFLOW_AXE_JS" in str(failed.value)
