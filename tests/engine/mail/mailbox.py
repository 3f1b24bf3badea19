"""A real SMTP server on loopback (aiosmtpd) that keeps what it is sent, and the mail helpers the
e-mail tests share: a sender over it, users' addresses, the outbox read back."""
from __future__ import annotations

import email
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from api.web.mail import compose
from engine.mail import MailSender, SmtpSettings
from engine.store.models import OutboxMessage, User
from tests.waiting import free_port

SECRET = "test-installation-secret"
BASE_URL = "https://talentflow.haiphong.example"


class Mailbox:
    """An SMTP server on 127.0.0.1 that may be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    def ids_per_row(self) -> dict[int, set[str]]:
        """Outbox row id -> the Message-IDs the mailbox holds for it (ids are talentflow.ROW.TAG@…)."""
        found: dict[int, set[str]] = {}
        for message in self.messages:
            mid = str(message["Message-ID"])
            found.setdefault(int(mid.split(".")[1]), set()).add(mid)
        return found


def make_sender(store: Any, mailbox: Mailbox, **options: Any) -> MailSender:
    settings = SmtpSettings(host="127.0.0.1", port=mailbox.port, security="none", sender="talentflow@haiphong.example",
                            domain="haiphong.example", timeout=10)
    return MailSender(store, settings, lambda row: compose(row, BASE_URL), SECRET,
                      name=options.pop("name", "sender-under-test"), **options)


def set_mail(store: Any, username: str, notify: str = "immediate", language: str = "vi") -> str:
    address = f"{username}@haiphong.example"
    with store.transaction() as session:
        session.execute(update(User).where(User.username == username).values(email=address, notify=notify,
                                                                             language=language))
    return address


def outbox(store: Any) -> list[Any]:
    with store.read() as session:
        return list(session.execute(select(OutboxMessage.__table__).order_by(OutboxMessage.id)))


def later(manual_clock: Any, **delta: float) -> None:
    manual_clock.advance(timedelta(**delta))
