"""Sending the outbox over SMTP: claimed rows, retried with back-off, given up after a limit.

Every timer executor runs a :class:`MailSender` (a periodic job). A run *claims* a batch of due
rows in a short transaction — PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so senders never
wait on one another and never take the same row; SQLite: the ``BEGIN IMMEDIATE`` write lock
serializes the claims — writing its name and an expiry, as the timer executor claims cases. It
then sends each row through one SMTP connection and marks it ``sent``. A sender that dies holding
a claim leaves the row to be taken over when the claim expires: the row is sent again, with the
same Message-ID (:func:`engine.mail.messages.message_id`), which is the "at least once, never two
different messages" the outbox promises.

A try that fails for a passing reason (the server unreachable, a 4xx answer) waits
``backoff * 2**(attempts-1)`` (at most ``max_backoff``) and is tried again; after ``max_attempts``
tries, or at once on a permanent refusal (5xx), the row is ``failed`` with the reason, for an admin
(``/api/v1/admin/mail``, ``/admin/mail``, ``/healthz``). No host configured: nothing is sent and the
rows wait, so turning mail on later sends what queued meanwhile.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any, Callable, Mapping

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Row

from engine.mail.messages import address, message_id
from engine.store.database import Store
from engine.store.models import OutboxMessage
from engine.time import clock

log = logging.getLogger(__name__)
OUTBOX = OutboxMessage.__table__
SECURITY = ("none", "starttls", "tls")
#: Composes a row's subject and bodies (the caller's words, in the row's language).
Compose = Callable[[Row], EmailMessage]


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes: ``host`` (none: mail is off), ``port``, ``security`` (``none``, ``starttls``,
    ``tls``), an optional login, the From address and the domain of Message-IDs."""

    host: str | None = None
    port: int = 25
    security: str = "none"
    user: str | None = None
    password: str | None = None
    sender: str = "talentflow@localhost"
    domain: str = "localhost"
    timeout: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "SmtpSettings":
        security = str(config.get("SMTP_SECURITY") or "none").lower()
        if security not in SECURITY:
            raise ValueError(f"SMTP security must be one of {', '.join(SECURITY)}, got {security!r}")
        sender = str(config.get("MAIL_FROM") or "talentflow@localhost")
        domain = str(config.get("MAIL_DOMAIN") or sender.rpartition("@")[2] or "localhost")
        return cls(host=config.get("SMTP_HOST") or None, port=int(config.get("SMTP_PORT") or
                                                                   {"tls": 465, "starttls": 587}.get(security, 25)),
                   security=security, user=config.get("SMTP_USER") or None,
                   password=config.get("SMTP_PASSWORD") or None, sender=sender, domain=domain)


class Permanent(Exception):
    """The server refused the message for good (5xx): trying again would be refused again."""


class MailSender:
    """Claims due outbox rows and sends them; :meth:`run_once` is one run (a periodic job)."""

    def __init__(self, store: Store, settings: SmtpSettings, compose: Compose, secret: str, *, name: str,
                 batch: int = 20, claim_seconds: float = 300.0, max_attempts: int = 8,
                 backoff: timedelta = timedelta(minutes=1), max_backoff: timedelta = timedelta(hours=6)) -> None:
        self.store, self.settings, self.compose, self.secret, self.name = store, settings, compose, secret, name
        self.batch, self.claim_seconds, self.max_attempts = batch, claim_seconds, max_attempts
        self.backoff, self.max_backoff = backoff, max_backoff
        self.sent_total = 0

    def run_once(self) -> int:
        """Send every due row this sender can claim; how many were sent."""
        if not self.settings.enabled:
            return 0
        sent = 0
        while rows := self.claim():
            sent += self._send_batch(rows)
            if len(rows) < self.batch:
                break
        self.sent_total += sent
        return sent

    def claim(self) -> list[Row]:
        """Claim up to ``batch`` due rows nobody holds (or whose claim expired), in one short transaction."""
        now = clock.now()
        due = (select(OUTBOX).where(OUTBOX.c.status == "queued", OUTBOX.c.next_attempt_at <= now,
                                    or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now))
               .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id).limit(self.batch))
        with self.store.command() as conn:
            rows = conn.execute(due if self.store.is_sqlite else due.with_for_update(skip_locked=True)).all()
            if rows:
                conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_([r.id for r in rows])).values(
                    claimed_by=self.name, claimed_until=now + timedelta(seconds=self.claim_seconds)))
        return rows

    def message(self, row: Row) -> EmailMessage:
        """The e-mail of ``row``, the same every time it is made."""
        return address(self.compose(row), sender=self.settings.sender, to=row.to_address,
                       mid=message_id(row.id, self.secret, self.settings.domain), created_at=row.created_at,
                       language=row.language)

    def _send_batch(self, rows: list[Row]) -> int:
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as err:
            for row in rows:
                self._failed(row, f"cannot reach {self.settings.host}:{self.settings.port}: {_reason(err)}")
            return 0
        sent = 0
        try:
            for row in rows:
                try:
                    message = self.message(row)
                except Exception as err:  # noqa: BLE001 - a row that cannot be written never will be
                    log.exception("mail %s cannot be composed", row.id)
                    self._failed(row, f"cannot be composed: {type(err).__name__}: {err}", permanent=True)
                    continue
                try:
                    smtp.send_message(message)
                except smtplib.SMTPServerDisconnected as err:
                    self._failed(row, _reason(err))
                    break  # the others keep their claim and are taken again once it expires
                except smtplib.SMTPResponseException as err:
                    self._failed(row, _reason(err), permanent=err.smtp_code >= 500)
                    continue
                except smtplib.SMTPRecipientsRefused as err:
                    self._failed(row, _reason(err), permanent=True)
                    continue
                self._mark_sent(row.id)
                sent += 1
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
        return sent

    def _connect(self) -> smtplib.SMTP:
        settings, context = self.settings, ssl.create_default_context()
        if settings.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host or "", settings.port, timeout=settings.timeout,
                                                  context=context)
        else:
            smtp = smtplib.SMTP(settings.host or "", settings.port, timeout=settings.timeout)
            if settings.security == "starttls":
                smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        return smtp

    def _mark_sent(self, row_id: int) -> None:
        """The server has the message: the row is done (whoever holds its claim now)."""
        with self.store.command() as conn:
            conn.execute(update(OUTBOX).where(OUTBOX.c.id == row_id, OUTBOX.c.status == "queued").values(
                status="sent", sent_at=clock.now(), claimed_by=None, claimed_until=None, last_error=None))

    def _failed(self, row: Row, reason: str, permanent: bool = False) -> None:
        """Count a failed try: wait and try again, or give up for good with the reason."""
        attempts = row.attempts + 1
        give_up = permanent or attempts >= self.max_attempts
        wait = min(self.backoff * (2 ** (attempts - 1)), self.max_backoff)
        log.warning("mail %s to %s not sent (try %s%s): %s", row.id, row.to_address, attempts,
                    ", giving up" if give_up else "", reason)
        with self.store.command() as conn:
            conn.execute(update(OUTBOX).where(OUTBOX.c.id == row.id, OUTBOX.c.status == "queued").values(
                attempts=attempts, status="failed" if give_up else "queued", last_error=reason[:2000],
                next_attempt_at=clock.now() + wait, claimed_by=None, claimed_until=None))


def _reason(err: BaseException) -> str:
    if isinstance(err, smtplib.SMTPResponseException):
        detail = err.smtp_error.decode(errors="replace") if isinstance(err.smtp_error, bytes) else str(err.smtp_error)
        return f"{err.smtp_code} {detail}"
    return f"{type(err).__name__}: {err}"


__all__ = ["MailSender", "SECURITY", "SmtpSettings"]
