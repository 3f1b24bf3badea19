"""Signing in to the pages: session cookie flags, CSRF, lock-out after failures, logout."""
from __future__ import annotations

from datetime import timedelta

import pytest

from api import create_app
from api.web import lockout
from tests.web.support import Page, signed_in, text_of, unlabelled_controls


def test_a_page_asks_for_sign_in_and_returns_to_it_after(client):
    response = client.get("/cases?process=leadership_exam")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    page = Page(client)
    html = page.get(response.headers["Location"])
    assert unlabelled_controls(html) == []
    response = page.post("/login", {"username": "hr", "password": "correct-horse-1",
                                    "next": "/cases?process=leadership_exam"})
    assert response.status_code == 302 and response.headers["Location"] == "/cases?process=leadership_exam"
    assert "Hồ sơ" in page.get("/cases")  # Vietnamese by default


def test_the_session_cookie_is_httponly_and_lax_and_secure_outside_testing(app, client, monkeypatch,
                                                                          database_url):
    page = Page(client)
    page.get("/login")
    response = page.post("/login", {"username": "hr", "password": "correct-horse-1"}, status=302)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # testing: plain http
    monkeypatch.setenv("TALENTFLOW_SECRET_KEY", "s" * 64)
    production = create_app({"DATABASE_URL": database_url})
    try:
        assert production.config["SESSION_COOKIE_SECURE"] is True
        assert production.config["SECRET_KEY"] == "s" * 64
    finally:
        production.extensions["talentflow"].store.dispose()


def test_pages_may_not_be_framed_or_cached(app):
    response = signed_in(app, "hr").client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]  # no inline script anywhere


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(app, client):
    page = signed_in(app, "hr")
    response = page.client.post("/logout", data={})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert page.get("/").count("Đăng xuất") == 1  # still signed in
    response = client.post("/login", data={"username": "hr", "password": "correct-horse-1"})
    assert response.status_code == 400


def test_five_failures_lock_the_name_for_fifteen_minutes_even_with_the_right_password(app, client, manual_clock):
    page = Page(client)
    for attempt in range(1, lockout.MAX_FAILURES):
        html = page.post("/login", {"username": "hr", "password": "wrong"}, status=401).get_data(as_text=True)
        assert f"{lockout.MAX_FAILURES - attempt}" in text_of(html)
    html = page.post("/login", {"username": "hr", "password": "wrong"}, status=401).get_data(as_text=True)
    assert "khóa" in text_of(html)  # locked
    page.post("/login", {"username": "hr", "password": "correct-horse-1"}, status=401)
    manual_clock.advance(timedelta(minutes=lockout.LOCK_MINUTES, seconds=1))
    page.post("/login", {"username": "hr", "password": "correct-horse-1"}, status=302)


def test_unknown_names_are_counted_like_real_ones(app, client):
    page = Page(client)
    wrong_user = page.post("/login", {"username": "no_such_person", "password": "x"}, status=401)
    wrong_password = page.post("/login", {"username": "hr", "password": "x"}, status=401)
    assert text_of(wrong_user.get_data(as_text=True)) == text_of(wrong_password.get_data(as_text=True)).replace(
        'value="hr"', 'value="no_such_person"')


def test_a_success_resets_the_count(app, client):
    page = Page(client)
    for _ in range(lockout.MAX_FAILURES - 1):
        page.post("/login", {"username": "hr", "password": "wrong"}, status=401)
    page.post("/login", {"username": "hr", "password": "correct-horse-1"}, status=302)
    page.post("/logout", status=302)
    html = page.post("/login", {"username": "hr", "password": "wrong"}, status=401).get_data(as_text=True)
    assert str(lockout.MAX_FAILURES - 1) in text_of(html)


def test_logout_ends_the_session(app):
    page = signed_in(app, "hr")
    page.get("/")
    assert page.post("/logout", status=302).headers["Location"] == "/login"
    assert page.client.get("/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_next_never_leaves_the_site(app, client, target):
    page = Page(client)
    response = page.post("/login", {"username": "hr", "password": "correct-horse-1", "next": target}, status=302)
    assert response.headers["Location"] == "/"


def test_english_on_request_and_dates_as_dd_mm_yyyy(app):
    page = signed_in(app, "hr")
    assert "Việc của tôi" in page.get("/")
    page.client.get("/lang/en?next=/")
    html = page.get("/")
    assert "My work" in html and "Việc của tôi" not in html
