"""E-mail settings and the outbox: a user's own address, language and choice; an admin's view of
users' addresses and of messages that could not be sent.

The settings are ``engine.people.accounts.set_mail_settings`` (every problem named in one 422,
nothing changed; the change an event on the global chain). The outbox is read and failed messages
are queued again here (``engine.mail``); ``/healthz`` counts the failed and the stuck.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.auth import current_actor, require_roles
from api.blueprint import Blueprint
from api.resources import services
from api.schemas import MeResponse
from engine.mail import mail_counts, retry_failed
from engine.mail.outbox import listing
from engine.people import accounts, directory

blp = Blueprint("mail", __name__, description="E-mail: users' settings and the outbox")


class MailSettings(Schema):
    """Any of: the address ("" or null: none, so nothing is sent), the language, the choice."""

    email = fields.String(allow_none=True, validate=validate.Length(max=254))
    language = fields.String(validate=validate.OneOf(accounts.MAIL_LANGUAGES))
    notify = fields.String(validate=validate.OneOf(accounts.NOTIFY_CHOICES),
                           metadata={"description": "immediate, digest (the morning digest only) or off; "
                                                    "escalations are sent whatever this says"})


class OutboxQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(("queued", "sent", "failed")))


class OutboxLine(Schema):
    id = fields.Integer()
    kind = fields.String()
    username = fields.String(allow_none=True)
    to = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    task_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime()


class OutboxCounts(Schema):
    queued = fields.Integer()
    sent = fields.Integer()
    failed = fields.Integer()
    stuck = fields.Integer(metadata={"description": "queued for more than an hour"})


class OutboxPage(Schema):
    counts = fields.Nested(OutboxCounts)
    items = fields.List(fields.Nested(OutboxLine))


class Retried(Schema):
    retried = fields.Integer()


def _set(username: str, body: dict) -> dict:
    with services().store.transaction() as session:
        user = directory.get_user(session, username)
        email = body.get("email", ...)
        accounts.set_mail_settings(session, user, current_actor().username,
                                   email=email if isinstance(email, str) else None,
                                   clear_email=email is None or email == "",
                                   language=body.get("language"), notify=body.get("notify"))
        return directory.describe_user(session, user)


@blp.put("/me/mail")
@blp.arguments(MailSettings)
@blp.response(200, MeResponse)
def own_mail(body):  # type: ignore[no-untyped-def]
    """Your own e-mail address, language and notification choice."""
    return _set(current_actor().username, body)


@blp.put("/users/<name:username>/mail")
@blp.arguments(MailSettings)
@blp.response(200, MeResponse)
@require_roles("admin")
def user_mail(body, username: str):  # type: ignore[no-untyped-def]
    """(admin) A user's e-mail address, language and notification choice."""
    return _set(username, body)


@blp.get("/admin/mail")
@blp.arguments(OutboxQuery, location="query")
@blp.response(200, OutboxPage)
@require_roles("admin")
def outbox(query):  # type: ignore[no-untyped-def]
    """(admin) The outbox: counts, and the newest 100 messages (of one status)."""
    with services().store.read() as session:
        return {"counts": mail_counts(session), "items": listing(session, query["status"])}


@blp.post("/admin/mail/<int:message_id>/retry")
@blp.response(200, Retried)
@require_roles("admin")
def retry(message_id: int):  # type: ignore[no-untyped-def]
    """(admin) Queue a failed message again, from its first try."""
    with services().store.command() as conn:
        return {"retried": retry_failed(conn, message_id)}
