"""Messages and signals from outside: ``POST /cases/{id}/messages``, ``POST /cases/{id}/signals``,
``POST /messages`` (correlated by business key, or starting a case at a message start event) and
``POST /signals`` (to every case waiting for the signal).

Only an admin and the ``system`` account may send (``engine.cases.message_routing.may_send``); a
case the caller cannot see answers 404 as everywhere else. Each delivery is one step of the case
it reaches (``message_received`` / ``signal_received`` on its chain).
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.blueprint import Blueprint
from api.resources import services
from api.resources.cases import view_for
from api.schemas import CaseOut

blp = Blueprint("messages", __name__, description="Messages and signals sent to cases from outside")

_NAME = validate.Length(min=1, max=255)


class EventIn(Schema):
    """What a message or a signal carries; ``talentflow send-message``/``send-signal`` load their
    arguments through these schemas too, so both refuse the same input in the same words."""

    name = fields.String(required=True, validate=_NAME,
                         metadata={"description": "the message's or signal's name in the diagram"})
    payload = fields.Dict(keys=fields.String(), load_default=dict,
                          metadata={"description": "what the catch event hands the case (keys are data names)"})


class CorrelatedMessageIn(EventIn):
    business_key = fields.String(load_default=None, allow_none=True,
                                 validate=[_NAME, validate.Regexp(r"^[^\x00-\x1f]*$",
                                                                  error="control characters are not allowed")],
                                 metadata={"description": "deliver to the running case with this business key "
                                                          "(also the key of a case the message starts)"})
    case_id = fields.Integer(load_default=None, allow_none=True, strict=True,
                             validate=validate.Range(min=1, max=2**63 - 1),
                             metadata={"description": "deliver to this case only"})


class MessageOutcome(Schema):
    delivered_to = fields.Integer(metadata={"description": "the waiting case that caught the message"})
    started = fields.Integer(metadata={"description": "the case the message started (message start event)"})


class Undelivered(Schema):
    case_id = fields.Integer(metadata={"description": "a case that waited for the signal but was not sent it"})
    code = fields.String(metadata={"description": "why: ``stale_case`` (it kept changing under every retry) "
                                                  "or the code of the refusal (e.g. its process's rules "
                                                  "refused the step: no incident, the case still waits)"})


class SignalOutcome(Schema):
    delivered_to = fields.List(fields.Integer(), metadata={"description": "the cases that caught the signal"})
    failed = fields.List(fields.Integer(), metadata={"description": "cases whose step failed on it (an incident)"})
    undelivered = fields.List(fields.Nested(Undelivered), metadata={
        "description": "waiting cases the signal could not be delivered to, each with its code"})


@blp.post("/cases/<int(max=9223372036854775807):case_id>/messages")
@blp.arguments(EventIn)
@blp.response(200, CaseOut)
def send_message(body, case_id: int):  # type: ignore[no-untyped-def]
    """(admin, system) Deliver a BPMN message to a case waiting for it; answers the case.
    409 ``not_waiting`` when it waits for no message of that name; 422 ``internal_message`` for a
    message only the engine sends (e.g. a parent's from its children)."""
    actor = current_actor()
    return services().cases.messages.to_case(actor, case_id, "message", body["name"], body["payload"],
                                             view=view_for(actor))


@blp.post("/cases/<int(max=9223372036854775807):case_id>/signals")
@blp.arguments(EventIn)
@blp.response(200, CaseOut)
def send_signal(body, case_id: int):  # type: ignore[no-untyped-def]
    """(admin, system) Send a BPMN signal to one case waiting for it; answers the case.
    409 ``not_waiting`` when it waits for no signal of that name."""
    actor = current_actor()
    return services().cases.messages.to_case(actor, case_id, "signal", body["name"], body["payload"],
                                             view=view_for(actor))


@blp.post("/messages")
@blp.arguments(CorrelatedMessageIn)
@blp.response(200, MessageOutcome)
def correlate_message(body):  # type: ignore[no-untyped-def]
    """(admin, system) Deliver a message to the one running case waiting for it (with
    ``business_key`` or ``case_id`` when given); if none waits, start a case of the process whose
    message start event has that name, with the payload as its start data. 409 ``ambiguous`` when
    several cases wait (or several processes start with it), 404 ``no_receiver`` when nothing can
    take it, 409 ``duplicate_business_key`` when it would start a second case of a business key,
    409 ``too_many_candidates`` past 200 waiting cases, 409 ``stale_case`` when the case found
    waiting kept moving on before it could be sent the message (looked for again each time),
    422 ``internal_message`` for a message only the engine sends."""
    return services().cases.messages.correlate(current_actor(), body["name"], body["payload"],
                                                body["business_key"], body["case_id"])


@blp.post("/signals")
@blp.arguments(EventIn)
@blp.response(200, SignalOutcome)
def broadcast_signal(body):  # type: ignore[no-untyped-def]
    """(admin, system) Send a BPMN signal to every running case waiting for it, each case its own
    step; 409 ``too_many_candidates`` (nothing sent) past 200 waiting cases. A case whose step
    failed is in ``failed`` (its incident recorded); a case that changed meanwhile is retried; one
    still not reached, or whose step was refused (no incident, it still waits), is listed in
    ``undelivered`` with its code."""
    return services().cases.messages.broadcast(current_actor(), body["name"], body["payload"])
