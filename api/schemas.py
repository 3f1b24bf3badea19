"""Request and response schemas of the JSON API (they also make the OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

_name = validate.Length(min=1, max=100)


class JsonBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only. marshmallow's Boolean also reads "no", "0" or 1, so a form
    library's string would pass as a yes/no nobody typed; a body that means a yes/no says it."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable, lower_snake_case"})
    message = fields.String(required=True)
    details = fields.Dict(required=True, metadata={"description": "per field messages, or what the error concerns"})


class ErrorSchema(Schema):
    """The one error shape every answer of 400 or more has (``api.errors.error_response`` writes it);
    flask-smorest documents this schema for every error response instead of its own."""

    error = fields.Nested(ErrorBody, required=True)


class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class TokenResponse(Schema):
    token = fields.String()
    expires_at = fields.DateTime()


class GrantSchema(Schema):
    role = fields.String(required=True, validate=validate.Length(min=1, max=64))
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))


class MeResponse(Schema):
    username = fields.String()
    display_name = fields.String()
    active = fields.Boolean()
    unit = fields.String(allow_none=True)
    roles = fields.List(fields.Nested(GrantSchema))
    email = fields.String(allow_none=True, metadata={"description": "where e-mail goes (none: no e-mail)"})
    language = fields.String(metadata={"description": "the language e-mail is written in: vi or en"})
    notify = fields.String(metadata={"description": "immediate, digest (the morning digest only) or off"})


class CaseStart(Schema):
    process = fields.String(required=True, validate=_name)
    business_key = fields.String(load_default=None, allow_none=True,
                                 validate=[validate.Length(min=1, max=255), validate.Regexp(r"^[^\x00-\x1f]*$",
                                           error="control characters are not allowed")])
    data = fields.Dict(keys=fields.String(), load_default=dict)


class Reason(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TaskComplete(Schema):
    data = fields.Dict(keys=fields.String(), required=True)


BIGINT_MAX = 2**63 - 1


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**9))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class KeysetArgs(PageArgs):
    """Paging of the case and task lists (see docs/api.md, "Paging")."""
    after = fields.String(validate=[validate.Length(min=1, max=200), validate.Regexp(r"^[A-Za-z0-9_-]+$")],
                          metadata={"description": "the `next` of the previous page: the rows after it"})
    total = fields.String(validate=validate.OneOf(["exact"]),
                          metadata={"description": "`exact`: count every row (else `total` stops at 500)"})


class CaseQuery(KeysetArgs):
    process = fields.String(validate=_name)
    status = fields.String(validate=validate.Length(min=1, max=64))
    business_key = fields.String(validate=validate.Length(min=1, max=255))
    parent = fields.Integer(validate=validate.Range(min=1, max=BIGINT_MAX),
                            metadata={"description": "only the child cases of this case"})


class TaskQuery(KeysetArgs):
    scope = fields.String(load_default="mine", validate=validate.OneOf(["mine", "available", "all"]))
    case = fields.Integer(validate=validate.Range(min=1, max=BIGINT_MAX))
    process = fields.String(validate=_name)
    overdue = fields.Boolean(load_default=False)
    status = fields.String(load_default="ready", validate=validate.OneOf(["ready", "completed", "cancelled"]))


class TaskOut(Schema):
    id = fields.String()
    case_id = fields.Integer()
    process = fields.String()
    element_id = fields.String()
    name = fields.String()
    subject = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    status = fields.String()
    personal = fields.Boolean()
    claimed_by = fields.String(allow_none=True)
    completed_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    seconds_left = fields.Integer(allow_none=True)
    on_behalf_of = fields.String(metadata={"description": "listed to a substitute: the absent user it is theirs for"})
    on_behalf_of_name = fields.String()


class TaskDetail(TaskOut):
    can_act = fields.Boolean()
    form = fields.Dict()
    case = fields.Dict()


class CaseSummary(Schema):
    id = fields.Integer()
    process = fields.String()
    business_key = fields.String(allow_none=True)
    status = fields.String()
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
    parent_case_id = fields.Integer(allow_none=True)


class ProgressLine(Schema):
    """One unit's share of the tasks of a case's child cases (e.g. a yearly review's assessments)."""

    role = fields.String(allow_none=True, metadata={"description": "the role the tasks are for"})
    unit = fields.String(allow_none=True, metadata={"description": "the unit's code"})
    unit_name = fields.String(allow_none=True)
    unit_path = fields.String(allow_none=True)
    done = fields.Integer(metadata={"description": "completed"})
    open = fields.Integer(metadata={"description": "still to do"})
    overdue = fields.Integer(metadata={"description": "still to do and past their due time (among open)"})
    closed = fields.Integer(metadata={"description": "ended undone (e.g. the deadline passed)"})
    total = fields.Integer()
    due_at = fields.DateTime(allow_none=True, metadata={"description": "the earliest due time of the open ones"})


class ChildPlan(Schema):
    """How a parent's planned child cases stand (engine/cases/child_plans.py)."""

    planned = fields.Integer()
    started = fields.Integer()
    to_start = fields.Integer(metadata={"description": "being started in batches after the parent's step"})
    could_not_start = fields.Integer(metadata={"description": "the parent's incident: an admin retries or skips them"})
    skipped = fields.Integer(metadata={"description": "could not start, and an admin skipped them (with a reason)"})


class CaseOut(CaseSummary):
    process_version = fields.Integer()
    child_plan = fields.Nested(ChildPlan, allow_none=True, metadata={
        "description": "when the case planned child cases to start after its step; null otherwise"})
    progress = fields.List(fields.Nested(ProgressLine), allow_none=True, metadata={
        "description": "for the process's readers, when the process counts its child cases' tasks (a yearly "
                       "review's assessments): per role and unit; null otherwise"})
    children = fields.Dict(keys=fields.String(), values=fields.Integer(),
                           metadata={"description": "child cases by status (e.g. a review's assessments)"})
    unit = fields.String(allow_none=True)
    data = fields.Dict()
    incident = fields.Dict(allow_none=True)
    updated_by = fields.String()
    tasks = fields.List(fields.Nested(TaskOut))


class CasePage(Schema):
    items = fields.List(fields.Nested(CaseSummary))
    total = fields.Integer(metadata={"description": "rows in the list, counted up to 500 unless total=exact"})
    total_exact = fields.Boolean(metadata={"description": "present (false) only when there are more than `total`"})
    next = fields.String(metadata={"description": "cursor of the next page (pass it as `after`); "
                                                  "absent on the last page"})
    page = fields.Integer()
    per_page = fields.Integer()


class TaskPage(CasePage):
    items = fields.List(fields.Nested(TaskOut))


class DefinitionOut(Schema):
    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    dialect = fields.String()
    sha256 = fields.String()
    deployed_at = fields.DateTime()
    deployed_by = fields.String()
    files = fields.List(fields.String())


class ProcessOut(Schema):
    key = fields.String()
    name = fields.String()
    latest_version = fields.Integer()
    versions = fields.List(fields.Nested(DefinitionOut))


class DeployOut(DefinitionOut):
    created = fields.Boolean()
    calls = fields.List(fields.Dict(), metadata={"description": "each called process and where it comes from: "
                                                 "{process, from: bundle|deployed, version, definition_id}"})
    warnings = fields.List(fields.Dict(), metadata={"description": "accepted with a caveat, e.g. a form key with "
                                                    "neither a schema nor formData: its task takes free data"})


class EventOut(Schema):
    seq = fields.Integer()
    type = fields.String()
    actor = fields.String()
    at = fields.DateTime()
    task_id = fields.String(allow_none=True)
    data = fields.Dict()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    process_hash = fields.String()
    hash = fields.String()
    prev_hash = fields.String()
    on_behalf_of = fields.String(allow_none=True, metadata={"description": "the absent user a substitute acted for"})


class UserCreate(Schema):
    username = fields.String(required=True, validate=validate.Length(min=2, max=64))
    password = fields.String(required=True, validate=validate.Length(min=8, max=256))
    display_name = fields.String(load_default="", validate=validate.Length(max=255))
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    roles = fields.List(fields.Nested(GrantSchema), load_default=list)


class UnitCreate(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    parent = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))


class UnitOut(Schema):
    code = fields.String()
    name = fields.String()
    parent = fields.String(allow_none=True)


class TalentQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(["active", "removed"]))
    category = fields.String(validate=validate.Length(min=1, max=32))
    unit = fields.String(validate=validate.Length(min=1, max=64))


class AppointmentQuery(PageArgs):
    year = fields.Integer(validate=validate.Range(min=1900, max=2200))
    unit = fields.String(validate=validate.Length(min=1, max=64))
    via_exam = fields.Boolean()
    first_appointment = fields.Boolean(metadata={"description": "false: the re-appointments only"})


class AppointmentIn(Schema):
    post = fields.String(required=True, validate=validate.Length(min=2, max=200))
    level = fields.String(required=True, validate=validate.Length(min=1, max=32))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=64))
    person_name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    appointed_on = fields.Date(required=True)
    decision_no = fields.String(load_default="", validate=validate.Length(max=100))
    term_years = fields.Integer(load_default=5, validate=validate.Range(min=1, max=10))
    first_appointment = JsonBoolean(load_default=True, metadata={
        "description": "false: a re-appointment (bổ nhiệm lại), listed in the register but not counted in the "
                       "exam share"})


class YearArgs(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2200))


class FiguresIn(Schema):
    """City-wide figures of a year (the report measures these targets city-wide)."""

    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2200))
    figures = fields.Dict(keys=fields.String(), values=fields.Integer(validate=validate.Range(min=0, max=10**9)),
                          required=True)


# The registers and the report are answered as plain JSON (they are not dumped through a schema,
# so no value is converted on the way out); these schemas only document what they answer.
class TalentOut(Schema):
    id = fields.Integer()
    full_name = fields.String()
    birth_date = fields.Date(allow_none=True)
    unit = fields.String(allow_none=True)
    category = fields.String()
    field = fields.String()
    status = fields.String(metadata={"description": "active or removed"})
    recognised_on = fields.Date()
    decision_no = fields.String()
    allowance_from = fields.Date(allow_none=True, metadata={"description": "the allowance runs from this date"})
    allowance_percent = fields.Integer(metadata={"description": "the allowance, in % of salary"})
    source_case_id = fields.Integer(allow_none=True)
    removed_on = fields.Date(allow_none=True)
    removal_reason = fields.String(allow_none=True)


class TalentReviewOut(Schema):
    year = fields.Integer()
    rating = fields.String()
    outcome = fields.String()
    rule_outcome = fields.String()
    override_reason = fields.String(allow_none=True)
    appointed_or_promoted = fields.Boolean()
    in_planning = fields.Boolean()
    trained_st = fields.Boolean()
    serving_in_city = fields.Boolean()
    disciplined = fields.Boolean()
    source_case_id = fields.Integer(allow_none=True)


class TalentDetail(TalentOut):
    reviews = fields.List(fields.Nested(TalentReviewOut))


class TalentPage(CasePage):
    items = fields.List(fields.Nested(TalentOut))


class AppointmentOut(Schema):
    id = fields.Integer()
    post = fields.String()
    level = fields.String()
    unit = fields.String()
    person_name = fields.String()
    appointed_on = fields.Date()
    via_exam = fields.Boolean()
    first_appointment = fields.Boolean(metadata={"description": "false: a re-appointment, not in the exam share"})
    decision_no = fields.String()
    term_years = fields.Integer()
    source_case_id = fields.Integer(allow_none=True)
    recorded_by = fields.String()


class AppointmentPage(CasePage):
    items = fields.List(fields.Nested(AppointmentOut))


class TargetOut(Schema):
    key = fields.String()
    value = fields.Float(allow_none=True, metadata={"description": "measured; null when not yet measurable"})
    target = fields.Float()
    met = fields.Boolean(allow_none=True)
    source = fields.String(metadata={"description": "appointments, figures, registry, reviews, ..."})


class TargetsReport(Schema):
    year = fields.Integer()
    scope = fields.List(fields.String(), metadata={
        "description": "for a unit head only: the codes of their units; the report then holds the exam share of "
                       "those units and the units below them (``exam_share.total`` and ``units``), nothing else"})
    exam_share = fields.Dict(metadata={"description": "appointments by exam: city-wide and per unit"})
    registry = fields.Dict(metadata={"description": "what the talent registry and reviews measure"})
    figures = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "the figures hr entered for the year"})
    targets = fields.List(fields.Nested(TargetOut))


class PasswordReset(Schema):
    """(admin) a user's new password; their tokens and sessions are revoked with the old one."""

    password = fields.String(required=True, validate=validate.Length(min=8, max=256))


class PasswordChange(Schema):
    old_password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, validate=validate.Length(min=8, max=256))


class TokensRevoked(Schema):
    username = fields.String()
    revoked = fields.Integer(metadata={"description": "bearer tokens and page sessions revoked"})
