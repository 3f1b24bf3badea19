"""The audit trail: verify the chains, checkpoints, replay a case, a case as it was after event N.

Everything here reads; nothing here (or anywhere in the API) changes or deletes
an event. Replay answers are for readers (auditors, admins, a process's
readers): a divergence shows recorded data a participant may not see.
"""
from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from api.auth import current_actor, require_roles
from api.blueprint import Blueprint
from api.resources import services
from engine.audit import checkpoints as checkpoint
from engine.replay import rerun as replay
from engine.audit import verify
from engine.errors import Forbidden, NotFound
from engine.cases.worklist import case_roles

blp = Blueprint("audit", __name__, description="Audit trail: verification, checkpoints, replay, past states")
CASE_PATH = "/cases/<int(max=9223372036854775807):case_id>"


class VerifyQuery(Schema):
    checkpoint = fields.String(load_default="latest", validate=validate.OneOf(["latest", "none"]),
                               metadata={"description": "verify against the latest stored checkpoint, or none"})


class StateQuery(Schema):
    at = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1),
                        metadata={"description": "event seq; default: the last event"})


class BreakOut(Schema):
    case_id = fields.Integer(allow_none=True)
    seq = fields.Integer()
    problem = fields.String()
    message = fields.String()
    details = fields.Dict()


class VerifyOut(Schema):
    ok = fields.Boolean()
    chains = fields.Integer()
    events = fields.Integer()
    files = fields.Integer(metadata={"description": "stored files re-hashed"})
    first_break = fields.Nested(BreakOut, allow_none=True)
    breaks = fields.List(fields.Nested(BreakOut))
    checkpoint = fields.Dict(allow_none=True)


class CheckpointOut(Schema):
    format = fields.String()
    id = fields.Integer()
    created_at = fields.String()
    created_by = fields.String()
    heads = fields.Dict()
    digest = fields.String()
    signature = fields.String()
    key_id = fields.String()


class ReplayOut(Schema):
    case_id = fields.Integer()
    consistent = fields.Boolean()
    events = fields.Integer()
    divergence = fields.Dict(allow_none=True)
    side_effects = fields.List(fields.Integer())


class StateTask(Schema):
    task_id = fields.String()
    element_id = fields.String()
    name = fields.String()
    status = fields.String(metadata={"description": "ready, completed or cancelled"})
    claimed_by = fields.String(allow_none=True)
    completed_by = fields.String(allow_none=True)
    on_behalf_of = fields.String(allow_none=True, metadata={"description": "the absent user a substitute did it for"})
    created_seq = fields.Integer()
    completed_seq = fields.Integer(allow_none=True)
    candidates = fields.List(fields.String(), metadata={"description": "who could act: role:R[@unit] or user:U"})


class StateOut(Schema):
    case_id = fields.Integer()
    at = fields.Integer()
    step_ends_at = fields.Integer(metadata={"description": "last event of the step holding `at` (a step "
                                                           "commits at once)"})
    process = fields.String()
    process_version = fields.Integer()
    process_hash = fields.String()
    status = fields.String()
    data = fields.Dict()
    tasks = fields.List(fields.Nested(StateTask))
    active_element_ids = fields.List(fields.String())
    completed_element_ids = fields.List(fields.String())
    replay_divergence = fields.Dict(allow_none=True, metadata={"description": "readers only"})


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


@blp.get("/audit/verify")
@blp.arguments(VerifyQuery, location="query")
@blp.response(200, VerifyOut)
@require_roles("auditor", "admin")
def verify_audit(args):  # type: ignore[no-untyped-def]
    """(auditor, admin) Recompute every hash chain; the first break of each, exact (case, seq); and
    re-hash every file a ``file_attached`` event names (``file_changed``, ``file_missing``)."""
    svc = services()
    with svc.store.read() as session:
        conn = session.connection()
        check = svc.files.storage.check
        report = checkpoint.verify_against_latest(conn, _secret(), check) if args["checkpoint"] == "latest" \
            else verify.verify_all(conn, stored_file=check)
        return report.as_dict()


@blp.get("/audit/checkpoints/latest")
@blp.response(200, CheckpointOut)
@require_roles("auditor", "admin")
def latest_checkpoint():  # type: ignore[no-untyped-def]
    """(auditor, admin) The latest signed checkpoint, as a file to keep outside the database."""
    with services().store.read() as session:
        found = checkpoint.latest_checkpoint(session.connection())
    if found is None:
        raise NotFound("no checkpoint has been taken yet (talentflow checkpoint)")
    return found


@blp.post("/audit/checkpoints")
@blp.response(201, CheckpointOut)
@require_roles("admin")
def take_checkpoint():  # type: ignore[no-untyped-def]
    """(admin) Take and sign a checkpoint of every chain's head now."""
    with services().store.command() as conn:
        return checkpoint.write_checkpoint(conn, _secret(), current_actor().username)


def _readable(session, case_id: int):  # type: ignore[no-untyped-def]
    svc, actor = services(), current_actor()
    case = svc.reader.visible_case(session, actor, case_id)
    return case, svc.reader.is_reader(actor, case.process_key)


@blp.post(f"{CASE_PATH}/replay")
@blp.response(200, ReplayOut)
def replay_case(case_id: int):  # type: ignore[no-untyped-def]
    """(auditor, admin, the process's readers) Re-run the case from its recorded inputs and compare."""
    svc = services()
    with svc.store.read() as session:
        _, reader = _readable(session, case_id)
        if not reader:
            raise Forbidden("only auditors and the process's readers may replay a case")
        return replay.replay_case(svc.cases, session.connection(), case_id).as_dict()


@blp.get(f"{CASE_PATH}/state")
@blp.arguments(StateQuery, location="query")
@blp.response(200, StateOut)
def case_state(args, case_id: int):  # type: ignore[no-untyped-def]
    """The case as it was after event ``at``: data (as you may see it), tasks and who could act,
    and the active and completed element ids a diagram marks."""
    svc, actor = services(), current_actor()
    with svc.store.read() as session:
        case, reader = _readable(session, case_id)
        found = replay.state_at(svc.cases, session.connection(), case_id, args["at"])
        policy = svc.cases.policy_for(case.process_key)
        found["data"] = policy.visible_data(found["data"], actor, case_roles(session, actor, case_id))
        if not reader:
            found.pop("replay_divergence", None)
        return found
