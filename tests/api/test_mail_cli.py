"""E-mail from the command line (``talentflow users mail``, ``talentflow mail …``) and the timer
executor's mail jobs, as an operator meets them."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from api.cli import main
from api.web.mail import mail_sender
from engine.store.models import OutboxMessage, User
from tests.engine.mail.mailbox import outbox
from tests.helpers import start_training


@pytest.fixture
def cli(app, database_url, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


def mail_of(store, username):  # type: ignore[no-untyped-def]
    with store.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        return user.email, user.language, user.notify


def test_an_operator_sets_a_users_address_and_a_bad_one_changes_nothing(cli, store):
    result = cli("users", "mail", "expert1", "son@skhcn.haiphong.gov.vn", "--language", "en", "--notify", "digest")
    assert result.exit_code == 0, result.output
    assert "expert1: e-mail son@skhcn.haiphong.gov.vn, language en, digest" in result.output
    result = cli("users", "mail", "expert1", "son@@skhcn")
    assert result.exit_code == 2 and "not an e-mail address" in result.output
    assert mail_of(store, "expert1") == ("son@skhcn.haiphong.gov.vn", "en", "digest")
    assert cli("users", "mail", "expert1", "--none").exit_code == 0
    assert mail_of(store, "expert1")[0] is None


def test_mail_status_names_the_failed_and_retry_queues_them_again(cli, store, auth):
    cli("users", "mail", "expert1", "son@skhcn.example")
    start_training(auth)
    with store.transaction() as session:
        session.execute(update(OutboxMessage).values(status="failed", attempts=8, last_error="550 no such user"))
    result = cli("mail", "status")
    assert result.exit_code == 0 and "failed=1" in result.output and "550 no such user" in result.output
    assert "1 messages queued again" in cli("mail", "retry").output
    assert [row.status for row in outbox(store)] == ["queued"]


def test_mail_send_says_mail_is_off_without_a_host(cli, monkeypatch):
    monkeypatch.delenv("TALENTFLOW_SMTP_HOST", raising=False)
    result = cli("mail", "send")
    assert result.exit_code == 2 and "TALENTFLOW_SMTP_HOST is not set" in result.output


def test_a_timer_executor_sends_mail_and_the_digest_only_when_a_host_is_set(app, store):
    services = app.extensions["talentflow"]
    on = services.timer_executor(30, "secret", mail=mail_sender(store, {"SMTP_HOST": "127.0.0.1"}, "secret"))
    off = services.timer_executor(30, "secret", mail=mail_sender(store, {}, "secret"))
    assert [job for job, _, _ in on.periodic] == ["audit_checkpoint", "mail_send", "mail_digest"]
    assert [job for job, _, _ in off.periodic] == ["audit_checkpoint"]
