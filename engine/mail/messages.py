"""One outbox row as one e-mail: plain text and HTML alternatives, and a Message-ID of its own.

The Message-ID is derived from the row's id and the installation's secret (an HMAC, so ids are
not guessable across installations and never collide between them), under the installation's
mail domain. A sender that dies after the SMTP server took a message but before the row was
marked sent leaves the row to the next sender, which sends the very same Message-ID: mail
clients and archives show one message, never two different ones. ``Date`` is the row's creation
and the MIME boundary is derived from the id, for the same reason: a resend is the same bytes. The words themselves come from the caller (the pages' catalogues).
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime


def message_id(row_id: int, secret: str, domain: str) -> str:
    """``<talentflow.ROWID.HMAC@DOMAIN>``: the same for every send of the row."""
    tag = hmac.new(secret.encode(), f"outbox:{row_id}".encode(), hashlib.sha256).hexdigest()[:20]
    return f"<talentflow.{row_id}.{tag}@{domain}>"


def build_message(subject: str, text: str, html: str) -> EmailMessage:
    """A multipart/alternative message (text first, HTML preferred by clients that can)."""
    message = EmailMessage()
    message["Subject"] = subject
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def address(message: EmailMessage, *, sender: str, to: str, mid: str, created_at: datetime,
            language: str) -> EmailMessage:
    """Put the envelope headers on a composed message (replacing any it had)."""
    for name, value in (("From", sender), ("To", to), ("Message-ID", mid),
                        ("Date", format_datetime(created_at)), ("Content-Language", language),
                        ("Auto-Submitted", "auto-generated")):
        del message[name]
        message[name] = value
    if message.is_multipart():  # a boundary of its own (not random), so a resend is the same bytes
        message.set_boundary("==talentflow-" + hashlib.sha256(mid.encode()).hexdigest()[:24])
    return message


__all__ = ["address", "build_message", "message_id"]
