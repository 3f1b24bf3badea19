"""A case's progress per unit and reminders sent by hand: ``GET /cases/{id}/progress``,
``POST /cases/{id}/reminders``.

Both are the engine's, for any process whose policy counts its child cases' tasks
(``ProcessPolicy.progress_of``) and says who may remind whom (``ProcessPolicy.reminder``): this
module names no process. The pages use the same calls (``api/web/pages/panels.py``).
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.blueprint import Blueprint
from api.resources import services
from api.schemas import ProgressLine
from engine.errors import Forbidden, NotFound
from workflows import policy_for

blp = Blueprint("reminders", __name__, description="A case's progress per unit; reminders sent by hand")


class ProgressOut(Schema):
    case_id = fields.Integer()
    process = fields.String()
    status = fields.String()
    progress = fields.List(fields.Nested(ProgressLine))


class ReminderIn(Schema):
    target = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "what to remind of, as the process names it (a yearly review: a unit's code)"})


class ReminderOut(Schema):
    case_id = fields.Integer()
    seq = fields.Integer(metadata={"description": "the reminder_requested event on the case's chain"})
    at = fields.DateTime()
    unit = fields.String()
    role = fields.String(metadata={"description": "the holders of this role in the unit are notified"})
    message = fields.String()
    data = fields.Dict()


@blp.get("/cases/<int(max=9223372036854775807):case_id>/progress")
@blp.response(200, ProgressOut)
def case_progress(case_id: int):  # type: ignore[no-untyped-def]
    """Per unit: the child cases' tasks done, open, overdue (of the open), closed undone and in all,
    with the earliest due time of the open ones — for the process's readers (a yearly review: hr,
    the approver, auditors, admins)."""
    svc, actor = services(), current_actor()
    with svc.store.read() as session:
        case = svc.reader.case_view(session, actor, svc.reader.visible_case(session, actor, case_id))
    if not policy_for(case["process"]).progress_of:
        raise NotFound(f"case {case_id} counts no progress")
    if case["progress"] is None:
        raise Forbidden("the progress per unit is for the process's managers", code="progress_forbidden")
    return {"case_id": case_id, "process": case["process"], "status": case["status"], "progress": case["progress"]}


@blp.post("/cases/<int(max=9223372036854775807):case_id>/reminders")
@blp.arguments(ReminderIn)
@blp.response(201, ReminderOut)
def send_reminder(body, case_id: int):  # type: ignore[no-untyped-def]
    """Remind the people of ``target`` (a notification to them, an event on the case's chain). 403 for
    whoever the process does not let remind, 422 for a target with nothing open, 409
    ``already_reminded`` within the process's interval (an hour by default: a double click sends one)."""
    return services().cases.reminders.remind(current_actor(), case_id, body["target"])
