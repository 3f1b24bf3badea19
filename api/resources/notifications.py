"""The caller's reminders and escalations: ``GET /me/notifications``, mark one read."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.blueprint import Blueprint
from api.resources import services
from engine.cases import notifications

blp = Blueprint("notifications", __name__, description="Reminders and escalations")


class NotificationQuery(Schema):
    unread = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**9))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=notifications.MAX_PER_PAGE))


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "reminder or escalation"})
    message = fields.String()
    case_id = fields.Integer()
    task_id = fields.String(allow_none=True)
    to_role = fields.String(allow_none=True, metadata={"description": "set when sent to a role, not to you"})
    personal = fields.Boolean()
    data = fields.Dict()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read = fields.Boolean()


class NotificationPage(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


@blp.get("/me/notifications")
@blp.arguments(NotificationQuery, location="query")
@blp.response(200, NotificationPage)
def my_notifications(args):  # type: ignore[no-untyped-def]
    """Yours and those to roles you hold where they apply, newest first (``?unread=true`` for unread only)."""
    with services().store.read() as session:
        return notifications.list_for(session, current_actor(), **args)


@blp.post("/me/notifications/<int(max=9223372036854775807):notification_id>/read")  # 64-bit ids: beyond, 404
@blp.response(200, NotificationOut)
def mark_read(notification_id: int):  # type: ignore[no-untyped-def]
    """Mark a notification read (one sent to a role is then read for every holder of the role)."""
    with services().store.transaction() as session:
        return notifications.mark_read(session, current_actor(), notification_id)
