"""Errors on the pages are pages, in the page's language; the JSON API keeps its error shape."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.store.models import Case

from tests.api.support import error_of
from tests.web.support import Page, signed_in, text_of

NOT_FOUND_VI = "Không có trang này, hoặc bạn không có quyền xem trang này."


@pytest.mark.parametrize("path", ["/tasks/not-a-uuid", "/cases/999999", "/nonexistent",
                                  "/cases/99999999999999999999999", "/cases/999999/council", "/assets/nothing.js"])
def test_an_unknown_page_is_an_html_404_in_the_page_language(app, path):
    page = signed_in(app, "hr")
    response = page.client.get(path)
    assert response.status_code == 404 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="vi">' in html and NOT_FOUND_VI in text_of(html)
    assert "Content-Security-Policy" in response.headers  # the pages' headers too
    page.client.get("/lang/en")
    english = page.client.get(path)
    assert english.status_code == 404 and "There is no such page" in english.get_data(as_text=True)


def test_a_case_one_may_not_know_of_reads_exactly_like_one_that_does_not_exist(app, auth):
    from tests.helpers import start_training

    case = start_training(auth)  # a case of SKHCN
    page = signed_in(app, "head_gddt")
    hidden, missing = page.client.get(f"/cases/{case['id']}"), page.client.get("/cases/999999")
    assert hidden.status_code == missing.status_code == 404
    assert text_of(hidden.get_data(as_text=True)) == text_of(missing.get_data(as_text=True))


def test_the_api_keeps_its_json_errors_for_unknown_paths(client, auth):
    error_of(auth.as_("hr").get("/api/v1/nonexistent"), 404, "not_found")
    error_of(client.get("/api/v1/nonexistent"), 401)  # no token: the API asks for one, in JSON
    error_of(auth.as_("hr").delete("/api/v1/me"), 405, "method_not_allowed")


def test_a_page_opened_the_wrong_way_is_an_html_405(app, client):
    response = signed_in(app, "hr").client.get("/logout")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert "Không thể mở địa chỉ này theo cách đó" in text_of(response.get_data(as_text=True))


def test_a_page_for_other_roles_is_an_html_403(app):
    response = signed_in(app, "nominator").client.get("/dashboard")  # a unit head has their units' dashboard
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "<h1>Không được phép</h1>" in response.get_data(as_text=True)


def test_an_unexpected_failure_is_an_html_500_that_shows_no_internals(app, monkeypatch):
    from api.web.pages import worklist

    def broken(db):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    page = signed_in(app, "hr")
    monkeypatch.setattr(worklist, "process_names", broken)
    response = page.client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "secret internals" not in html and "Traceback" not in html
    assert "Đã xảy ra lỗi ngoài dự kiến" in text_of(html)


def test_a_nul_character_in_a_form_is_refused_before_it_reaches_the_database(app, client, store):
    page = Page(client)
    response = page.post("/login", {"username": "hr\x00", "password": "x"})
    assert response.status_code == 400 and "NUL" in text_of(response.get_data(as_text=True))
    signed = signed_in(app, "head_khcn")
    response = signed.post("/cases/new/training_nomination", {
        "talent_name": "Trần\x00Hà", "unit": "SKHCN", "course": "Lớp AI", "field_of_study": "science_technology",
        "mentor": "expert1"})
    assert response.status_code == 400
    with store.read() as db:
        assert db.scalar(select(func.count()).select_from(Case)) == 0  # nothing started


def test_a_form_larger_than_the_server_accepts_is_an_html_413_and_starts_nothing(app, store):
    page = signed_in(app, "head_khcn")
    page.get("/cases/new/training_nomination")
    response = page.post("/cases/new/training_nomination", {"talent_name": "x" * (2 * 1024 * 1024), "unit": "SKHCN"})
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "Biểu mẫu lớn hơn mức máy chủ chấp nhận" in text_of(response.get_data(as_text=True))
    with store.read() as db:
        assert db.scalar(select(func.count()).select_from(Case)) == 0


def test_a_refused_start_form_lists_each_faulty_field_at_the_top_linked_and_focuses_the_first(app, store):
    page = signed_in(app, "head_khcn")
    page.get("/cases/new/training_nomination")
    response = page.post("/cases/new/training_nomination", {"talent_name": "", "unit": "SKHCN", "course": "",
                                                            "field_of_study": "science_technology", "mentor": "expert1"},
                         status=422)
    html = response.get_data(as_text=True)
    summary = html[html.index('class="error-summary"'):html.index("</div>", html.index('class="error-summary"'))]
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert {target for target, _ in links} >= {"f-talent_name", "f-course"}, summary
    assert all(":" in said for _, said in links)  # "<label>: <what is wrong>", in the page's language
    first = re.search(r"<(input|select|textarea)[^>]*autofocus", html)
    assert first is not None and 'id="f-talent_name"' in first.group(0)
    with store.read() as db:
        assert db.scalar(select(func.count()).select_from(Case)) == 0
