"""``talentflow users mail …`` and ``talentflow mail …``: users' e-mail settings and the outbox.

The same calls as the admin API and pages (``engine.people.accounts.set_mail_settings``,
``engine.mail``): a bad address or choice is one readable line and exit status 2, and changes nothing.
"""
from __future__ import annotations

import click

from api.cli import _fail, _services, config, main
from api.cli.accounts import users


@users.command("mail")
@click.argument("name")
@click.argument("address", required=False)
@click.option("--none", "clear", is_flag=True, help="remove the address: NAME gets no e-mail")
@click.option("--language", type=click.Choice(["vi", "en"]), default=None, help="the language of NAME's e-mail")
@click.option("--notify", type=click.Choice(["immediate", "digest", "off"]), default=None,
              help="every e-mail, only the morning digest, or none (escalations are always sent)")
def users_mail(name: str, address: str | None, clear: bool, language: str | None, notify: str | None) -> None:
    """Set user NAME's e-mail ADDRESS, language and notification choice."""
    from engine.errors import EngineError
    from engine.people import accounts, directory

    store = _services().store
    try:
        with store.transaction() as session:
            user = directory.get_user(session, name)
            accounts.set_mail_settings(session, user, "cli", email=address, clear_email=clear, language=language,
                                       notify=notify)
            said = f"{name}: e-mail {user.email or '(none)'}, language {user.language}, {user.notify}"
    except EngineError as err:
        _fail(f"{err.message} {err.details or ''}".strip())
    finally:
        store.dispose()
    click.echo(said)


@main.group("mail")
def mail_group() -> None:
    """The e-mail outbox."""


@mail_group.command("status")
def mail_status() -> None:
    """Messages waiting, sent, failed and stuck; the failed ones with why."""
    from engine.mail import mail_counts
    from engine.mail.outbox import listing

    store = _services().store
    try:
        with store.read() as session:
            counts, failed = mail_counts(session), listing(session, "failed")
    finally:
        store.dispose()
    click.echo(" ".join(f"{key}={value}" for key, value in counts.items()))
    for line in failed:
        click.echo(f"failed #{line['id']} {line['kind']} to {line['to']} after {line['attempts']} tries: "
                   f"{line['last_error']}")


@mail_group.command("retry")
@click.argument("message_id", type=int, required=False)
def mail_retry(message_id: int | None) -> None:
    """Queue failed messages again (MESSAGE_ID, or every failed one)."""
    from engine.errors import EngineError
    from engine.mail import retry_failed

    store = _services().store
    try:
        with store.command() as conn:
            count = retry_failed(conn, message_id)
    except EngineError as err:
        _fail(err.message)
    finally:
        store.dispose()
    click.echo(f"{count} messages queued again")


@mail_group.command("send")
def mail_send() -> None:
    """Send what is due in the outbox now, with the server's SMTP settings (a test of them)."""
    from api.web.mail import mail_sender

    settings = config.from_env()
    if not settings.get("SMTP_HOST"):
        _fail("TALENTFLOW_SMTP_HOST is not set: mail is off")
    store = _services().store
    try:
        sender = mail_sender(store, settings, config.server_key())
        sent = sender.run_once()
    finally:
        store.dispose()
    click.echo(f"{sent} messages sent")
