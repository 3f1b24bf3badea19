"""Sending the outbox over SMTP: claimed rows, retried with back-off, given up after a limit.

Every timer executor runs a :class:`MailSender` (a periodic job). A run *claims* a batch of due
rows in a short transaction — PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so senders never
wait on one another and never take the same row; SQLite: the ``BEGIN IMMEDIATE`` write lock
serializes the claims — writing its name and an expiry, as the timer executor claims cases. It
then sends each row through one SMTP connection and marks it ``sent``. A sender that dies holding
a claim leaves the row to be taken over when the claim expires: the row is sent again, with the
same Message-ID (:func:`engine.mail.messages.message_id`), which is the "at least once, never two
different messages" the outbox promises.

Each message's trouble is that message's alone: a 4xx answer (a greylisting "451 4.7.1" too)
waits ``backoff * 2**(attempts-1)`` (at most ``max_backoff``) and is tried again, as is any other
passing failure; a 5xx answer or a message the server cannot carry (a non-ASCII address and no
SMTPUTF8) is ``failed`` at once, as is the message after ``max_attempts`` tries — with the reason, for an admin
(``/api/v1/admin/mail``, ``/admin/mail``, ``/healthz``) — and the rest of the batch is sent. A
server that cannot be reached is nobody's fault: the batch waits (1, 2, 4 … minutes, at most
:data:`OUTAGE_MAX_WAIT`) without counting a try, the sender tries one connection per pause and
reports :attr:`MailSender.unreachable_since`, and only a message still unsent
:data:`GIVE_UP_AFTER` after it was written is failed. Every update is made only while this sender
still holds the row's claim. No host configured: nothing is sent and the rows wait, so turning
mail on later sends what queued meanwhile.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
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
#: How the reason of a message postponed because the server could not be reached begins (counted in /healthz).
UNREACHABLE = "cannot reach "
#: The longest pause between two tries to reach a server that does not answer, so mail flows again
#: at most this long after an outage ends.
OUTAGE_MAX_WAIT = timedelta(minutes=10)
#: A message still unsent this long after it was written, the server unreachable all along, is failed.
GIVE_UP_AFTER = timedelta(days=2)


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


class Unreachable(Exception):
    """The connection to the server failed: no message is at fault, so none is counted a try."""


class MailSender:
    """Claims due outbox rows and sends them; :meth:`run_once` is one run (a periodic job)."""

    def __init__(self, store: Store, settings: SmtpSettings, compose: Compose, secret: str, *, name: str,
                 batch: int = 20, claim_seconds: float = 300.0, max_attempts: int = 8,
                 backoff: timedelta = timedelta(minutes=1), max_backoff: timedelta = timedelta(hours=6),
                 outage_max_wait: timedelta = OUTAGE_MAX_WAIT, give_up_after: timedelta = GIVE_UP_AFTER) -> None:
        self.store, self.settings, self.compose, self.secret, self.name = store, settings, compose, secret, name
        self.batch, self.claim_seconds, self.max_attempts = batch, claim_seconds, max_attempts
        self.backoff, self.max_backoff = backoff, max_backoff
        self.outage_max_wait, self.give_up_after = outage_max_wait, give_up_after
        self.sent_total = 0
        #: When this sender last found the server unreachable after reaching it (None: it answers).
        self.unreachable_since: datetime | None = None
        self._outage_tries = 0
        self._next_connect_at: datetime | None = None

    def run_once(self) -> int:
        """Send every due row this sender can claim; how many were sent. While the server is
        unreachable only one connection is tried per pause, so a run never waits on many timeouts."""
        if not self.settings.enabled:
            return 0
        if self._next_connect_at is not None and clock.now() < self._next_connect_at:
            return 0
        sent = 0
        while rows := self.claim():
            try:
                sent += self._send_batch(rows)
            except Unreachable:
                break
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
        """Send ``rows`` over one connection; :class:`Unreachable` when the server cannot be reached
        (every row postponed, none counted a try)."""
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as err:  # SMTPException is an OSError; both said for the reader
            self._unreachable(rows, f"{UNREACHABLE}{self.settings.host}:{self.settings.port}: {_reason(err)}")
            raise Unreachable() from err
        self.unreachable_since, self._outage_tries, self._next_connect_at = None, 0, None
        sent = 0
        try:
            for index, row in enumerate(rows):
                if not self._renew(row.id):  # a slow batch outlived this claim: the row is another's now
                    continue
                try:
                    message = self.message(row)
                except Exception as err:  # noqa: BLE001 - a row that cannot be written never will be
                    log.exception("mail %s cannot be composed", row.id)
                    self._failed(row, f"cannot be composed: {type(err).__name__}: {err}", permanent=True)
                    continue
                try:
                    smtp.send_message(message)
                except Exception as err:  # noqa: BLE001 - one message's trouble must not hold up the others
                    if _connection_lost(err):
                        # The row in flight counts a try (a message that makes the server hang up must
                        # end as a failure); the rest had no try and go back to the queue at once.
                        self._failed(row, _reason(err))
                        self._release(rows[index + 1:])
                        break
                    self._failed(row, _reason(err), permanent=_permanent(err))
                    if not _still_usable(smtp):
                        self._release(rows[index + 1:])
                        break
                    continue
                sent += self._mark_sent(row.id)
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

    def _mine(self, row_id: int) -> Any:
        """The row still queued and still claimed by this sender: a sender whose claim lapsed (a slow
        server) must not undo the claim of the one that took the row over."""
        return (OUTBOX.c.id == row_id, OUTBOX.c.status == "queued", OUTBOX.c.claimed_by == self.name)

    def _renew(self, row_id: int) -> bool:
        """Hold the row for another claim period just before sending it, if it is still this sender's:
        a batch slowed by a bad server never sends a row another sender has taken over since, so a
        message goes twice only if one send outlasts a whole claim period."""
        with self.store.command() as conn:
            return bool(conn.execute(update(OUTBOX).where(*self._mine(row_id)).values(
                claimed_until=clock.now() + timedelta(seconds=self.claim_seconds))).rowcount)

    def _mark_sent(self, row_id: int) -> bool:
        """The server has the message: the row is done, if this sender still holds it (else its new
        holder sends it again, the same message: at least once); whether it was marked."""
        with self.store.command() as conn:
            return bool(conn.execute(update(OUTBOX).where(*self._mine(row_id)).values(
                status="sent", sent_at=clock.now(), claimed_by=None, claimed_until=None, last_error=None)).rowcount)

    def _failed(self, row: Row, reason: str, permanent: bool = False) -> None:
        """Count a failed try: wait and try again, or give up for good with the reason."""
        attempts = row.attempts + 1
        give_up = permanent or attempts >= self.max_attempts
        wait = min(self.backoff * (2 ** min(attempts - 1, 16)), self.max_backoff)
        log.warning("mail %s to %s not sent (try %s%s): %s", row.id, row.to_address, attempts,
                    ", giving up" if give_up else "", reason)
        with self.store.command() as conn:
            conn.execute(update(OUTBOX).where(*self._mine(row.id)).values(
                attempts=attempts, status="failed" if give_up else "queued", last_error=reason[:2000],
                next_attempt_at=clock.now() + wait, claimed_by=None, claimed_until=None))

    def _release(self, rows: list[Row]) -> None:
        """Give back rows that were not tried (the connection broke before them): due again now."""
        for row in rows:
            with self.store.command() as conn:
                conn.execute(update(OUTBOX).where(*self._mine(row.id)).values(claimed_by=None, claimed_until=None))

    def _unreachable(self, rows: list[Row], reason: str) -> None:
        """The server could not be reached: no row is at fault, so none is counted a try; they wait
        the outage's pause (1, 2, 4 … minutes, at most ``outage_max_wait``), and one still unsent
        ``give_up_after`` after it was written is failed: by then it is news to nobody."""
        now = clock.now()
        self.unreachable_since = self.unreachable_since or now
        self._outage_tries += 1
        wait = min(self.backoff * (2 ** min(self._outage_tries - 1, 16)), self.outage_max_wait)  # a long outage
        self._next_connect_at = now + wait
        since = f"{reason} (unreachable since {self.unreachable_since.isoformat(timespec='seconds')})"
        log.warning("mail server unreachable, %s messages postponed: %s", len(rows), reason)
        for row in rows:
            give_up = now - row.created_at >= self.give_up_after
            with self.store.command() as conn:
                conn.execute(update(OUTBOX).where(*self._mine(row.id)).values(
                    status="failed" if give_up else "queued", last_error=since[:2000],
                    next_attempt_at=now + wait, claimed_by=None, claimed_until=None))


def _connection_lost(err: BaseException) -> bool:
    """The connection itself failed (hung up, timed out, reset): no answer about this message."""
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(err, OSError) and not isinstance(err, smtplib.SMTPException)


def _permanent(err: BaseException) -> bool:
    """Whether trying ``err``'s message again is pointless: a 5xx answer (for a refused recipient,
    every recipient's answer 5xx; a greylisting 4xx is tried again), or a message this server
    cannot take at all (an address it cannot carry: no SMTPUTF8; a value smtplib refuses)."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in err.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(err, smtplib.SMTPResponseException):
        return err.smtp_code >= 500
    if isinstance(err, (smtplib.SMTPNotSupportedError, UnicodeError, ValueError, TypeError)):
        return True
    return False


def _still_usable(smtp: smtplib.SMTP) -> bool:
    """After a message's failure, whether the connection can take the next (RSET answered)."""
    try:
        return smtp.rset()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def _reason(err: BaseException) -> str:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{to}: {code} {_text(said)}" for to, (code, said) in err.recipients.items())
    if isinstance(err, smtplib.SMTPResponseException):
        detail = err.smtp_error.decode(errors="replace") if isinstance(err.smtp_error, bytes) else str(err.smtp_error)
        return f"{err.smtp_code} {detail}"
    return f"{type(err).__name__}: {err}"


def _text(said: bytes | str) -> str:
    return said.decode(errors="replace") if isinstance(said, bytes) else str(said)


__all__ = ["GIVE_UP_AFTER", "MailSender", "OUTAGE_MAX_WAIT", "SECURITY", "SmtpSettings", "UNREACHABLE"]
