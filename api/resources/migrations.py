"""(admin) Moving running cases to another version of their process: ``POST /migrations/dry-run`` and
``POST /migrations``.

Both take the same selection — a process key and the target version, and either case ids or a
filter (from-version, statuses, a unit's subtree) — and answer a report per case: which of its
waiting and ready tasks map to which element of the target version, which have none, what changed.
The dry run writes nothing; the migration moves each case that can move in its own transaction
and lists the refused ones with their reason (``engine.cases.migration``). Pass the ``version``
of each case the dry run showed as ``expected_versions`` to refuse a case that moved on since.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.auth import current_actor, require_roles
from api.blueprint import Blueprint
from api.resources import services
from engine.cases.migration import MOVABLE, CaseMigrations, selection_from

blp = Blueprint("migrations", __name__, description="Moving running cases to another process version (admin)")

_ID = validate.Range(min=1, max=2**63 - 1)
_VERSION = validate.Range(min=1, max=2**31 - 1)


class MigrationIn(Schema):
    process = fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"description": "the process key"})
    to_version = fields.Integer(required=True, strict=True, validate=_VERSION,
                                metadata={"description": "the version to move the cases to"})
    from_version = fields.Integer(load_default=None, allow_none=True, strict=True, validate=_VERSION,
                                  metadata={"description": "only cases on this version"})
    status = fields.List(fields.String(validate=validate.OneOf(MOVABLE)), load_default=None,
                         validate=validate.Length(min=1, max=len(MOVABLE)),
                         metadata={"description": "only cases in these statuses (default: running and error)"})
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "only cases of this unit and the units under it (a unit code)"})
    case_ids = fields.List(fields.Integer(strict=True, validate=_ID), load_default=None,
                           validate=validate.Length(max=1000),
                           metadata={"description": "exactly these cases (the filter is then not used)"})
    expected_versions = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,17}$")),
                                    values=fields.Integer(strict=True, validate=_VERSION), load_default=None,
                                    metadata={"description": "case id -> the case's version the dry run saw; a "
                                                             "case changed since is refused (stale_case)"})


class VersionOut(Schema):
    definition_id = fields.Integer()
    version = fields.Integer()
    sha256 = fields.String()


class TaskMoveOut(Schema):
    task_id = fields.String()
    element_id = fields.String(metadata={"description": "the element in the case's current version"})
    state = fields.String(metadata={"description": "READY, WAITING or STARTED"})
    to_element_id = fields.String(allow_none=True, metadata={"description": "its counterpart; null: none"})
    human = fields.Boolean(metadata={"description": "a task people do (one of the case's worklist tasks)"})


class CaseMigrationOut(Schema):
    case_id = fields.Integer()
    outcome = fields.String(metadata={"description": "can_migrate (dry run), migrated or refused"})
    business_key = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True, metadata={"description": "the case row's version (optimistic lock)"})
    from_version = fields.Integer(allow_none=True, metadata={"description": "the process version it was on"})
    code = fields.String(allow_none=True, metadata={"description": "why it was refused: no_counterpart, "
                                                                   "case_ended, same_version, stale_case, ..."})
    reason = fields.String(allow_none=True)
    mapped = fields.List(fields.Nested(TaskMoveOut))
    removed = fields.List(fields.Nested(TaskMoveOut))
    changed = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          metadata={"description": "element id -> the attributes its spec changed"})
    passed_without_counterpart = fields.List(fields.String(), metadata={
        "description": "elements the case has passed through that the new version lacks: their finished tasks "
                       "leave the stored state (the history keeps them)"})


class MigrationCounts(Schema):
    can_migrate = fields.Integer()
    migrated = fields.Integer()
    refused = fields.Integer()


class MigrationReport(Schema):
    process = fields.String()
    to = fields.Nested(VersionOut)
    dry_run = fields.Boolean()
    counts = fields.Nested(MigrationCounts)
    cases = fields.List(fields.Nested(CaseMigrationOut))


def migrations() -> CaseMigrations:
    return CaseMigrations(services().cases.steps)


@blp.post("/migrations/dry-run")
@blp.arguments(MigrationIn)
@blp.response(200, MigrationReport)
@require_roles("admin")
def dry_run(body):  # type: ignore[no-untyped-def]
    """Per selected case: which waiting and ready tasks map to the target version, which have no
    counterpart (the case would be refused), and which specs changed. Nothing is written."""
    return migrations().dry_run(current_actor(), selection_from(body))


@blp.post("/migrations")
@blp.arguments(MigrationIn)
@blp.response(200, MigrationReport)
@require_roles("admin")
def migrate(body):  # type: ignore[no-untyped-def]
    """Move every selected case that can move, each in its own transaction (a ``case_migrated``
    event); the refused ones are listed with the reason and left untouched."""
    return migrations().migrate(current_actor(), selection_from(body))
