"""Substitutes and reassignment over the JSON API: ``/substitutes`` and ``POST /tasks/{id}/reassign``.

A substitute (ủy quyền) is set by the user themselves, hr, or the head of the user's unit, for city
days ``starts_on``..``ends_on`` inclusive; during them the substitute sees and does the absent user's
tasks (``engine.people.substitutes``, ``engine.cases.delegation``). Who may set one and which roles
pass only to another holder are the programme's rules (``workflows.substitute_rules``).
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.blueprint import Blueprint
from api.resources import services
from api.schemas import TaskOut
from engine.people import directory, substitutes
from workflows import substitute_rules

blp = Blueprint("substitutes", __name__, description="Substitutes while someone is away, and reassignment")

_USERNAME = validate.Length(min=1, max=64)


class SubstituteIn(Schema):
    absent = fields.String(validate=_USERNAME, metadata={"description": "who is away (default: you)"})
    substitute = fields.String(required=True, validate=_USERNAME)
    starts_on = fields.Date(required=True, metadata={"description": "first city day, inclusive"})
    ends_on = fields.Date(required=True, metadata={"description": "last city day, inclusive"})
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class SubstituteOut(Schema):
    id = fields.Integer()
    absent = fields.String()
    absent_name = fields.String()
    substitute = fields.String()
    substitute_name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    reason = fields.String()
    set_by = fields.String()
    set_at = fields.DateTime()
    ended_by = fields.String(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    active = fields.Boolean(metadata={"description": "holds now, on the city's clock"})


class SubstituteQuery(Schema):
    user = fields.String(validate=_USERNAME, metadata={"description": "only this user's (as absent or substitute)"})
    current = fields.Boolean(load_default=False, metadata={"description": "only those not over yet"})


class SubstituteList(Schema):
    items = fields.List(fields.Nested(SubstituteOut))


class Reassign(Schema):
    to = fields.String(required=True, validate=_USERNAME, metadata={"description": "another candidate of the task"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


def _one(session: Any, row_id: int) -> dict[str, Any]:
    return next(s for s in substitutes.listing(session) if s["id"] == row_id)


@blp.get("/substitutes")
@blp.arguments(SubstituteQuery, location="query")
@blp.response(200, SubstituteList)
def list_substitutes(args):  # type: ignore[no-untyped-def]
    """hr and admins see every substitution (``?user=`` narrows); anyone else their own."""
    actor = current_actor()
    with services().store.read() as session:
        if actor.is_any(*substitute_rules().managers):
            user = directory.get_user(session, args["user"]) if args.get("user") else None
        else:
            user = directory.get_user(session, actor.username)
        return {"items": substitutes.listing(session, user=user, current=args["current"])}


@blp.post("/substitutes")
@blp.arguments(SubstituteIn)
@blp.response(201, SubstituteOut)
def set_substitute(body):  # type: ignore[no-untyped-def]
    """Set a substitute for a range of days: an event on the global audit chain."""
    actor = current_actor()
    with services().store.transaction() as session:
        absent = directory.get_user(session, body.get("absent") or actor.username)
        substitute = directory.get_user(session, body["substitute"])
        row = substitutes.set_substitute(session, actor, absent, substitute, body["starts_on"], body["ends_on"],
                                         substitute_rules(), body["reason"])
        return _one(session, row.id)


@blp.post("/substitutes/<int(max=9223372036854775807):substitute_id>/end")
@blp.response(200, SubstituteOut)
def end_substitute(substitute_id: int):  # type: ignore[no-untyped-def]
    """End a substitution now (the record stays)."""
    with services().store.transaction() as session:
        row = substitutes.end_substitute(session, current_actor(), substitute_id, substitute_rules())
        return _one(session, row.id)


@blp.post("/tasks/<taskid:task_id>/reassign")
@blp.arguments(Reassign)
@blp.response(200, TaskOut)
def reassign(body, task_id: str):  # type: ignore[no-untyped-def]
    """Give the task to another of its candidates, with a reason (hr; a unit head within their units)."""
    svc, actor = services(), current_actor()
    svc.cases.reassign(actor, task_id, body["to"], body["reason"])
    with svc.store.read() as session:
        task, _ = svc.reader.task_view(session, actor, task_id)
    return task
