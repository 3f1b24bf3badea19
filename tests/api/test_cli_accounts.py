"""``talentflow users deactivate | reactivate | reset-password | revoke-tokens``: what an operator closes
from the command line is refused by a running server at its next request, and is on the record."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from api.cli import main
from engine.store.models import ApiToken, User
from tests.api.support import error_of
from tests.api.test_accounts import NEW, bearer, global_events, sign_in

API = "/api/v1"


@pytest.fixture
def cli(app, database_url, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


def test_deactivate_and_reactivate_from_the_command_line(cli, auth, client, store):
    hr = bearer(auth.token("hr"))
    assert client.get(f"{API}/me", headers=hr).status_code == 200  # remembered by the server's cache
    result = cli("users", "deactivate", "hr")
    assert result.exit_code == 0 and "user hr deactivated" in result.output
    error_of(client.get(f"{API}/me", headers=hr), 401, "invalid_token")
    error_of(sign_in(client, "hr"), 401, "invalid_credentials")
    assert "already deactivated" in cli("users", "deactivate", "hr").output
    result = cli("users", "reactivate", "hr")
    assert result.exit_code == 0 and "user hr reactivated" in result.output
    assert sign_in(client, "hr").status_code == 200
    assert [(t, a) for t, a, _ in global_events(store, "hr")] == [("user_deactivated", "cli"), ("user_reactivated", "cli")]


def test_reset_password_and_revoke_tokens_from_the_command_line(cli, auth, client, store):
    hr = bearer(auth.token("hr"))
    assert client.get(f"{API}/me", headers=hr).status_code == 200
    result = cli("users", "revoke-tokens", "hr")
    assert result.exit_code == 0 and "1 tokens and sessions of hr revoked" in result.output
    error_of(client.get(f"{API}/me", headers=hr), 401, "invalid_token")
    result = cli("users", "reset-password", "hr", "--password", NEW)
    assert result.exit_code == 0 and "password of hr reset" in result.output
    error_of(sign_in(client, "hr"), 401, "invalid_credentials")
    assert sign_in(client, "hr", NEW).status_code == 200
    assert [(t, a) for t, a, _ in global_events(store, "hr")] == [("tokens_revoked", "cli"), ("password_reset", "cli")]


@pytest.mark.parametrize("args, message", [
    (["deactivate", "ghost"], "unknown user 'ghost'"),
    (["reactivate", "ghost"], "unknown user 'ghost'"),
    (["revoke-tokens", "ghost"], "unknown user 'ghost'"),
    (["reset-password", "ghost", "--password", NEW], "unknown user 'ghost'"),
    (["reset-password", "hr", "--password", "short"], "at least 8 characters"),
])
def test_bad_input_is_refused_readably_and_changes_nothing(cli, store, args, message):
    def state():  # type: ignore[no-untyped-def]
        with store.read() as session:
            return (session.execute(select(User.username, User.active, User.password_hash, User.auth_version)
                                    .order_by(User.id)).all(),
                    session.execute(select(ApiToken.id, ApiToken.revoked).order_by(ApiToken.id)).all())

    before = state()
    result = cli("users", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert state() == before and global_events(store, "hr") == []
