"""``POST /auth/token`` under the sign-in lock-out: the same count as the pages' login, 429 when locked."""
from __future__ import annotations

from datetime import timedelta

from api.auth import lockout
from tests.api.support import error_of
from tests.conftest import PASSWORD
from tests.web.support import Page

API = "/api/v1"


def ask(client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/auth/token", json={"username": username, "password": password})


def test_five_wrong_passwords_lock_the_name_with_429_and_retry_after(client, manual_clock):
    for _ in range(lockout.MAX_FAILURES - 1):
        error_of(ask(client, "hr", "wrong-password"), 401, "invalid_credentials")
    locked = ask(client, "hr", "wrong-password")
    error = error_of(locked, 429, "too_many_attempts")
    assert int(locked.headers["Retry-After"]) == lockout.LOCK_MINUTES * 60
    assert error["details"]["locked_until"].startswith("2026-03-02T02:15")
    manual_clock.advance(timedelta(minutes=5))
    refused = ask(client, "hr", PASSWORD)  # even the right password, while locked
    error_of(refused, 429, "too_many_attempts")
    assert int(refused.headers["Retry-After"]) == 10 * 60
    manual_clock.advance(timedelta(minutes=10, seconds=1))
    assert ask(client, "hr", PASSWORD).status_code == 200


def test_an_unknown_name_is_answered_and_locked_exactly_like_a_real_one(client):
    for attempt in range(lockout.MAX_FAILURES + 1):
        real, ghost = ask(client, "hr", "wrong-password"), ask(client, "no_such_person", "wrong-password")
        assert real.status_code == ghost.status_code == (401 if attempt < lockout.MAX_FAILURES - 1 else 429)
        assert real.get_json() == ghost.get_json()
        assert real.headers.get("Retry-After") == ghost.headers.get("Retry-After")


def test_an_unknown_name_costs_a_password_check_too(client, monkeypatch):
    checked = []
    real_check = lockout.check_password
    monkeypatch.setattr(lockout, "check_password", lambda *args: checked.append(args) or real_check(*args))
    ask(client, "no_such_person", "a-guess")
    ask(client, "hr", "a-guess")
    assert len(checked) == 2  # the same work (and time) whether the name exists or not


def test_a_successful_login_resets_the_count(client):
    for _ in range(lockout.MAX_FAILURES - 1):
        error_of(ask(client, "hr", "wrong-password"), 401)
    assert ask(client, "hr", PASSWORD).status_code == 200
    for _ in range(lockout.MAX_FAILURES - 1):
        error_of(ask(client, "hr", "wrong-password"), 401)  # a fresh count: not locked yet
    assert ask(client, "hr", PASSWORD).status_code == 200


def test_the_pages_and_the_api_share_one_count(app, client):
    page = Page(app.test_client())
    for _ in range(3):
        page.post("/login", {"username": "hr", "password": "wrong"}, status=401)
    error_of(ask(client, "hr", "wrong-password"), 401)
    error_of(ask(client, "hr", "wrong-password"), 429, "too_many_attempts")  # the fifth failure in all
    page.post("/login", {"username": "hr", "password": PASSWORD}, status=401)  # locked on the pages too


def test_other_names_are_not_locked_by_one_locked_name(client):
    for _ in range(lockout.MAX_FAILURES):
        ask(client, "hr", "wrong-password")
    assert ask(client, "head_khcn", PASSWORD).status_code == 200
