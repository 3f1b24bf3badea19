"""Signing in to the pages: session cookie flags, CSRF, lock-out after failures, logout."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from api import create_app
from api.auth import lockout
from engine.store.models import User
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
    assert response.status_code == 400 and "biểu mẫu không có mã bảo mật" in response.get_data(as_text=True)
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


# --- the session lives on the server: a copied cookie dies with the session ------------------------

COOKIE = "talentflow_session"


def copied_cookie(page: Page) -> str:
    cookie = page.client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return cookie.value


def browser_with(app, cookie: str):  # type: ignore[no-untyped-def]
    """Another browser (an attacker's) that sends a copy of someone's session cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, cookie)
    return other


def session_id_in(app, cookie: str) -> str:  # type: ignore[no-untyped-def]
    return app.session_interface.get_signing_serializer(app).loads(cookie)["sid"]


def test_a_stolen_copy_of_the_cookie_is_refused_once_its_owner_signs_out(app):
    page = signed_in(app, "hr")
    stolen = copied_cookie(page)
    assert browser_with(app, stolen).get("/").status_code == 200  # the copy works while the session lives
    page.post("/logout", status=302)
    replayed = browser_with(app, stolen).get("/cases")
    assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/login")


def test_deactivating_a_user_ends_their_sessions_at_the_next_request(app, store):
    page = signed_in(app, "head_khcn")
    page.get("/")
    with store.transaction() as db:
        db.scalar(select(User).where(User.username == "head_khcn")).active = False
    response = page.client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_signing_in_starts_a_new_session_and_ends_the_one_before(app):
    page = signed_in(app, "hr")
    first = copied_cookie(page)
    page.get("/login", status=302)  # already signed in: the login page sends them on
    page.post("/login", {"username": "hr", "password": "correct-horse-1"}, status=302)
    second = copied_cookie(page)
    assert session_id_in(app, first) != session_id_in(app, second)
    assert browser_with(app, first).get("/").status_code == 302  # the session before is over
    assert browser_with(app, second).get("/").status_code == 200


def test_a_session_ends_on_the_server_after_the_token_lifetime(app, manual_clock):
    page = signed_in(app, "hr")
    manual_clock.advance(timedelta(hours=app.config["TOKEN_LIFETIME_HOURS"], seconds=1))
    assert page.client.get("/").status_code == 302


def test_a_session_id_is_no_api_token_and_an_api_token_no_session(app, client, auth):
    page = signed_in(app, "hr")
    sid = session_id_in(app, copied_cookie(page))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {sid}"}).status_code == 401
    forged = app.session_interface.get_signing_serializer(app).dumps({"sid": auth.token("hr")})
    assert browser_with(app, forged).get("/").status_code == 302


def test_the_language_chosen_before_signing_in_stays(app, client):
    page = Page(client)
    client.get("/lang/en?next=/login")
    page.login("hr")
    assert "My work" in page.get("/")


def test_sessions_long_expired_are_forgotten_at_a_later_sign_in(app, store, manual_clock):
    from sqlalchemy import func

    from engine.store.models import ApiToken

    signed_in(app, "hr")
    signed_in(app, "auditor")
    manual_clock.advance(timedelta(days=3))
    signed_in(app, "hr")
    with store.read() as db:
        assert db.scalar(select(func.count()).select_from(ApiToken)) == 1  # only the live one is kept


def test_inline_styles_need_the_responses_nonce_and_the_diagrams_and_charts_carry_it(app, auth):
    import re

    from tests.helpers import start_training

    case = start_training(auth)
    page = signed_in(app, "hr")
    nonces = []
    for path in (f"/cases/{case['id']}", "/dashboard"):
        response = page.client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "object-src 'none'" in policy
        nonce = re.search(r"style-src 'self' 'nonce-([^']+)'", policy).group(1)
        styles = re.findall(r"<style[^>]*>", response.get_data(as_text=True))
        assert styles and set(styles) == {f'<style nonce="{nonce}">'}  # every diagram and chart
        nonces.append(nonce)
    assert nonces[0] != nonces[1]  # a new nonce for every response
