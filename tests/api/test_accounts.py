"""Closing accounts: deactivation, password reset and change, revoking tokens — and that every server
refuses what was closed through another at its very next request (the ``auth_version`` check)."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from sqlalchemy import select

from api import create_app
from engine.audit.verify import verify_all
from engine.store.models import Event
from tests.api.support import error_of
from tests.conftest import PASSWORD
from tests.web.support import signed_in

API = "/api/v1"
NEW = "a-brand-new-password"


@pytest.fixture
def other_worker(app, database_url) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A second server process on the same database, with a token cache of its own (default settings:
    it remembers a token's user for a few seconds, and must still notice changes made elsewhere)."""
    second = create_app({"DATABASE_URL": database_url, "TESTING": True})
    assert second.extensions["talentflow"].actors is not app.extensions["talentflow"].actors
    yield second.test_client()
    second.extensions["talentflow"].store.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post(f"{API}/auth/token", json={"username": username, "password": password})


ACCOUNT_EVENTS = {"user_deactivated", "user_reactivated", "password_reset", "password_changed", "tokens_revoked"}


def global_events(store, username: str) -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def]
    """The account events about ``username`` on the global chain, after checking every chain."""
    with store.read() as session:
        rows = session.execute(select(Event.type, Event.actor, Event.data).where(Event.case_id.is_(None))
                               .order_by(Event.seq)).all()
        assert verify_all(session.connection()).ok
    return [(t, a, d) for t, a, d in rows if d.get("username") == username and t in ACCOUNT_EVENTS]


def test_a_role_revoked_through_one_worker_is_refused_by_the_other_at_its_next_request(auth, other_worker):
    hr = bearer(auth.token("hr"))
    assert other_worker.get(f"{API}/appointments", headers=hr).status_code == 200  # remembered there now
    assert auth.as_("admin").delete(f"{API}/users/hr/roles", json={"role": "hr_officer"}).status_code == 200
    error_of(other_worker.get(f"{API}/appointments", headers=hr), 403)
    assert auth.as_("admin").post(f"{API}/users/hr/roles", json={"role": "hr_officer"}).status_code == 200
    assert other_worker.get(f"{API}/appointments", headers=hr).status_code == 200  # and a grant at once too


def test_a_user_deactivated_through_one_worker_is_refused_by_the_other_and_cannot_sign_in(auth, client, other_worker,
                                                                                        store):
    hr = bearer(auth.token("hr"))
    assert other_worker.get(f"{API}/me", headers=hr).status_code == 200
    closed = auth.as_("admin").post(f"{API}/users/hr/deactivate")
    assert closed.status_code == 200 and closed.get_json()["active"] is False
    error_of(other_worker.get(f"{API}/me", headers=hr), 401, "invalid_token")
    error_of(client.get(f"{API}/me", headers=hr), 401, "invalid_token")
    error_of(sign_in(other_worker, "hr"), 401, "invalid_credentials")

    reopened = auth.as_("admin").post(f"{API}/users/hr/reactivate")
    assert reopened.status_code == 200 and reopened.get_json()["active"] is True
    error_of(other_worker.get(f"{API}/me", headers=hr), 401, "invalid_token")  # old tokens stay revoked
    fresh = sign_in(other_worker, "hr")
    assert fresh.status_code == 200
    assert client.get(f"{API}/me", headers=bearer(fresh.get_json()["token"])).status_code == 200
    assert [(t, a) for t, a, _ in global_events(store, "hr")] == [("user_deactivated", "admin"),
                                                                ("user_reactivated", "admin")]
    assert global_events(store, "hr")[0][2] == {"username": "hr", "tokens": 1}


def test_revoking_tokens_ends_bearer_tokens_and_page_sessions_everywhere(app, auth, other_worker, store):
    hr = bearer(auth.token("hr"))
    page = signed_in(app, "hr")
    assert other_worker.get(f"{API}/me", headers=hr).status_code == 200
    answer = auth.as_("admin").post(f"{API}/users/hr/revoke-tokens")
    assert answer.status_code == 200 and answer.get_json() == {"username": "hr", "revoked": 2}
    error_of(other_worker.get(f"{API}/me", headers=hr), 401, "invalid_token")
    assert page.client.get("/").status_code == 302  # back to the sign-in page
    assert sign_in(other_worker, "hr").status_code == 200  # the account itself stays open
    assert global_events(store, "hr") == [("tokens_revoked", "admin", {"username": "hr", "tokens": 2})]


def test_an_admin_resets_a_password_the_old_one_and_its_tokens_stop_working(auth, client, other_worker, store):
    hr = bearer(auth.token("hr"))
    assert other_worker.get(f"{API}/me", headers=hr).status_code == 200
    error_of(auth.as_("admin").post(f"{API}/users/hr/password", json={"password": "short"}), 422)
    assert auth.as_("admin").post(f"{API}/users/hr/password", json={"password": NEW}).status_code == 200
    error_of(other_worker.get(f"{API}/me", headers=hr), 401, "invalid_token")
    error_of(sign_in(client, "hr"), 401, "invalid_credentials")
    assert sign_in(client, "hr", NEW).status_code == 200
    assert global_events(store, "hr") == [("password_reset", "admin", {"username": "hr", "tokens": 1})]


def test_a_user_changes_their_own_password_with_the_old_one(auth, client, other_worker, store):
    first, second = auth.token("hr"), sign_in(client, "hr").get_json()["token"]
    error = error_of(client.post(f"{API}/me/password", headers=bearer(first),
                                 json={"old_password": "not-it-at-all", "new_password": NEW}), 422)
    assert "old_password" in error["details"]
    changed = client.post(f"{API}/me/password", headers=bearer(first),
                          json={"old_password": PASSWORD, "new_password": NEW})
    assert changed.status_code == 204
    assert other_worker.get(f"{API}/me", headers=bearer(first)).status_code == 200  # the token it was changed with
    error_of(other_worker.get(f"{API}/me", headers=bearer(second)), 401, "invalid_token")
    error_of(sign_in(client, "hr"), 401, "invalid_credentials")
    assert sign_in(client, "hr", NEW).status_code == 200
    assert global_events(store, "hr") == [("password_changed", "hr", {"username": "hr", "tokens": 1})]


def test_wrong_old_passwords_count_towards_the_sign_in_lock(auth, client):
    hr = auth.headers("hr")
    for _ in range(5):
        response = client.post(f"{API}/me/password", headers=hr, json={"old_password": "guess-guess", "new_password": NEW})
    error_of(response, 429, "too_many_attempts")
    assert response.headers["Retry-After"]
    error_of(sign_in(client, "hr"), 429, "too_many_attempts")


def test_only_an_admin_closes_accounts_and_not_their_own(auth, store):
    for path, body in (("deactivate", None), ("reactivate", None), ("revoke-tokens", None),
                       ("password", {"password": NEW})):
        error_of(auth.as_("hr").post(f"{API}/users/expert1/{path}", json=body), 403)
        error_of(auth.as_("admin").post(f"{API}/users/ghost/{path}", json=body), 404)
    error_of(auth.as_("admin").post(f"{API}/users/admin/deactivate"), 409, "own_account")
    assert auth.as_("admin").get(f"{API}/me").status_code == 200
    # closing a closed account again changes nothing and records nothing
    assert auth.as_("admin").post(f"{API}/users/expert1/deactivate").status_code == 200
    assert auth.as_("admin").post(f"{API}/users/expert1/deactivate").status_code == 200
    assert [t for t, _, _ in global_events(store, "expert1")] == ["user_deactivated"]
