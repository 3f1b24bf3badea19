"""``leadership_exam``: competitive selection for a leadership post (thi tuyển chức danh lãnh đạo).

The resolution wants at least 20 % of new leaders chosen this way. hr plans the
exam and names its council; the council's seats are granted to the case only,
so members see only their own council's work. After registration and
screening the council declares conflicts of interest while the written round
runs; hr replaces a conflicted member before anyone scores, and no mark or
score is accepted from a member who has not declared or who declared a
conflict. The written round has a 15-day re-marking window; round 2 is scored
blind. The approver's appointment goes into the appointments register.

Every task is due within a deadline that is a setting of the city's (declared
below), reminded 2 working days before; an exam keeps the values in force when
it started (``exam_rules``). Applicants a screening turns away are told through
hr's ``notify_rejected`` task, on a branch beside the exam so that the exam never
waits for it; being a legal duty, it outlives the exam's own end (the case takes
its end status once the notices are recorded, see docs/processes.md).

The council's current seats and declarations live in the BPMN data object
``council_record``: the declaration branch and the written-exam branch run in
parallel, and task data of one branch is not seen by the other, while a data
object is one value for the whole case (the case data shows it under
``data_objects``).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Mapping

from engine.errors import Invalid
from engine.policy import Assignment, CaseGrant, DocumentKind, FormHints, Issued, Panel, Step, Table
from engine.people.actors import Actor
from engine.people.directory import unknown_users
from engine.time import calendar, clock
from workflows import exam_checks, exam_labels, exam_pages, people, settings
from workflows.documents import decree30, exam_papers
#: The council's and the notices' data objects, read as the checks read them.
from workflows.exam_checks import NOTICES, RECORD, council_record, notice_record  # noqa: F401
from workflows.programme import registry
from workflows.rules import exam_scoring as scoring
from workflows.processes import register

PROCESS_KEY = "leadership_exam"

#: At least this many eligible candidates per post [law: 2424/BNV-CCVC].
MIN_ELIGIBLE = 2
#: How many times registration may be extended when too few are eligible.
MAX_EXTENSIONS = 1
#: Pass mark of each round [analogue].
PASS_MARK = 50
#: Round-2 score: mean of the members' scores to this many decimals.
SCORE_DECIMALS = 2
#: Term of office of an appointment.
TERM_YEARS = 5
#: Every task's reminder comes this many working days before its due date, at 08:00 (as the
#: review's): early enough to act, late enough not to be forgotten again. A deadline setting is
#: at least one working day longer; where the reminder would still fall before the task exists
#: (calendar-day deadlines across a long holiday), it comes when the task starts (:func:`reminder_at`).
REMINDER_WORKING_DAYS = 2
_SHORTEST = REMINDER_WORKING_DAYS + 1

# The deadlines, each a setting (workflows/settings.py) the city may change; a case keeps the values
# in force when it started (``exam_rules``). Working days unless the name says days.
#: Screening of applications is due within this many days [analogue].
SCREENING_DAYS = settings.declare(PROCESS_KEY, "screening_days", 15, "days hr has to screen the applications "
                                  "once registration closes [analogue]", minimum=_SHORTEST)
#: Rejected applicants are told within this many working days of the screening [analogue].
REJECTION_NOTICE_WORKING_DAYS = settings.declare(
    PROCESS_KEY, "rejection_notice_working_days", 5, "working days to tell each applicant not admitted, and how, "
    "after each screening [analogue]", minimum=_SHORTEST)
#: Too few eligible: extending or cancelling is a short decision, but every applicant waits on it.
DECIDE_SHORTFALL_WORKING_DAYS = settings.declare(
    PROCESS_KEY, "decide_shortfall_working_days", 5, "working days hr has to extend registration or cancel when "
    "too few are eligible [choice]", minimum=_SHORTEST)
#: A declaration is one short form, and it must be in before the secretary may enter marks and
#: before a conflicted member can be replaced: the shortest deadline of the exam.
DECLARE_CONFLICT_WORKING_DAYS = settings.declare(
    PROCESS_KEY, "declare_conflict_working_days", 3, "working days each council member has to declare relations "
    "with the candidates [choice]", minimum=_SHORTEST)
#: hr finds someone new to the council and has the seat approved: a working week.
REPLACE_MEMBERS_WORKING_DAYS = settings.declare(
    PROCESS_KEY, "replace_members_working_days", 5, "working days hr has to replace a member who declared a "
    "conflict [choice]", minimum=_SHORTEST)
#: Written papers are marked, checked and entered: two working weeks after the candidates are known.
RECORD_WRITTEN_MARKS_WORKING_DAYS = settings.declare(
    PROCESS_KEY, "record_written_marks_working_days", 10, "working days the secretary has to enter the written "
    "round's marks [choice]", minimum=_SHORTEST)
#: Re-marking window of the written round, in days [analogue]; the re-marks task is due when it closes.
#: Calendar days, at least a week. A week does not always hold 2 working days before its close: one
#: opened on Wednesday 3 February 2027 closes at the end of 10 February, and Tết (4 to 10 February)
#: leaves only the 3rd as a working day, so the reminder (08:00, 2 working days before: 2 February)
#: would fall before the window opens; it then comes as the window opens (:func:`reminder_at`).
REMARK_DAYS = settings.declare(PROCESS_KEY, "remark_days", 15, "days the re-marking window of the written round "
                               "stays open; re-marks are due when it closes [analogue]", minimum=7)
#: The presentations take a day; each member then has a working week to hand in a considered score.
SCORE_ROUND2_WORKING_DAYS = settings.declare(
    PROCESS_KEY, "score_round2_working_days", 5, "working days each council member has to score round 2 [choice]",
    minimum=_SHORTEST)
#: Choosing between tied candidates is the approver's alone, on the results in hand: a working week.
CHOOSE_WINNER_WORKING_DAYS = settings.declare(
    PROCESS_KEY, "choose_winner_working_days", 5, "working days the approver has to choose among candidates tied "
    "on total and round 2 [choice]", minimum=_SHORTEST)
#: The chair confirms results the council has already produced: a formality, so short.
CONFIRM_RESULTS_WORKING_DAYS = settings.declare(
    PROCESS_KEY, "confirm_results_working_days", 3, "working days the council chair has to confirm the results "
    "[choice]", minimum=_SHORTEST)
#: The appointment decision is due within this many working days [choice, as for recognition]; reminded
#: 2 working days before, escalated to hr 5 working days late.
DECISION_WORKING_DAYS = settings.declare(PROCESS_KEY, "decision_working_days", 10, "working days the approver "
                                         "has to decide the appointment; escalated to hr 5 later [choice]")

#: The rules of the exam that are not settings. A case records these with the settings in force
#: when it starts (:func:`rules_now`): a later change never alters a running exam.
EXAM_RULES: dict[str, Any] = {
    "min_eligible": MIN_ELIGIBLE, "max_extensions": MAX_EXTENSIONS, "pass_mark": PASS_MARK,
    "score_decimals": SCORE_DECIMALS, "term_years": TERM_YEARS, "reminder_working_days": REMINDER_WORKING_DAYS}


def rules_now() -> dict[str, Any]:
    """The rules a new exam runs under: the fixed ones and every deadline setting as it is now."""
    return {**EXAM_RULES, **settings.values(PROCESS_KEY)}


def reminder_at(deadline: str, working_days_before: int) -> str:
    """Script helper (diagram version 3 on): when to remind the doer of a task due at ``deadline``
    (ISO): 08:00 on the ``working_days_before``-th working day before it, but never before the task
    exists. A deadline close to the task's start, or a long holiday (Tết) between, puts that 08:00
    before now; a timer set in the past is never fired, so the reminder comes at once instead."""
    at = calendar.current().working_days_before(datetime.fromisoformat(str(deadline)), int(working_days_before))
    return max(at, clock.now().astimezone(timezone.utc)).isoformat()


#: What the diagram's scripts may call: the exam's rules and :func:`reminder_at`.
SCRIPT_HELPERS: dict[str, Any] = {**scoring.SCRIPT_HELPERS, "reminder_at": reminder_at}


MEMBER, CHAIR, SECRETARY = exam_labels.MEMBER, exam_labels.CHAIR, exam_labels.SECRETARY
SEAT_ROLES = {"chair": CHAIR, "secretary": SECRETARY}
LANE_ROLES: dict[str, str] = {
    "Sở Nội vụ": "hr_officer",
    "Thành viên hội đồng": MEMBER,
    "Thư ký hội đồng": SECRETARY,
    "Chủ tịch hội đồng": CHAIR,
    "Người có thẩm quyền": "approver",
}
#: Multi-instance tasks done by one named member: element id -> the data key of that member's sheet.
PERSONAL_SHEETS = {"declare_conflict": "declaration_sheet", "score_round2": "score_sheet"}
#: Data that would show one member's round-2 scores (or their review of the action plans, a file) to
#: another before everyone has scored.
ROUND2_KEYS = ("scores", "score_sheet", "score_sheets", "plan_review")
#: What anyone who once took part may still read: the announced post.
PUBLIC_KEYS = ("post", "unit", "level", "requirements")


class Policy(people.ExamPeople):
    start_form = "exam_plan"
    #: hr runs exams and the approver decides on them: both read every exam case.
    readers = frozenset({"auditor", "admin", "hr_officer", "approver"})
    #: The approver signs the decisions: they upload the signed copies (engine/files/signatures.py).
    sign_off_roles = frozenset({"approver"})
    cancellers = frozenset({"admin", "hr_officer"})
    managed_case_roles = frozenset({MEMBER, CHAIR, SECRETARY})

    lane_roles = LANE_ROLES
    role_labels, status_labels = exam_labels.ROLE_LABELS, exam_labels.STATUS_LABELS
    status_tones, event_labels, data_labels = exam_labels.STATUS_TONES, exam_labels.EVENT_LABELS, exam_labels.DATA_LABELS
    case_pages = frozenset({"council"})

    def may_start(self, actor: Actor, unit_path: str | None) -> bool:
        """The exam plan is hr's (Sở Nội vụ / Ban Tổ chức), for any unit."""
        return actor.has_role("hr_officer", unit_path)

    def prepare_start(self, db: Any, data: dict[str, Any], starter: Actor) -> dict[str, Any]:
        if data["level"] not in registry.LEVELS:
            raise Invalid("unknown post level", {"level": [f"one of {', '.join(registry.LEVELS)}"]})
        names = [seat["username"] for seat in data["council"]]  # the page offers people by name, the API usernames
        unknown = set(unknown_users(db, names))
        if unknown:  # refused on its own row, before any case role is granted
            raise Invalid(f"unknown users on the council: {', '.join(sorted(unknown))}", {"council": {
                i: {"username": [f"unknown user '{name}'"]} for i, name in enumerate(names) if name in unknown}})
        return {**data, "exam_rules": rules_now()}

    def case_unit(self, data: Mapping[str, Any], starter: Actor) -> str | None:
        return str(data["unit"])

    def case_grants(self, data: Mapping[str, Any]) -> list[CaseGrant]:
        record = council_record(data)
        seats = record["seats"] if record else data.get("council") or []
        grants = [CaseGrant(s["username"], MEMBER) for s in seats]
        return grants + [CaseGrant(s["username"], SEAT_ROLES[s["seat"]]) for s in seats if s["seat"] in SEAT_ROLES]

    def assign(self, element_id: str, lane: str | None, task_data: Mapping[str, Any]) -> Assignment | None:
        sheet = PERSONAL_SHEETS.get(element_id)
        return Assignment(username=task_data[sheet]["member"]) if sheet else None

    def task_subject(self, element_id: str, task_data: Mapping[str, Any]) -> str | None:
        """The post and unit, and which screening a notice task is for (two may be open at once)."""
        return exam_pages.task_subject(element_id, task_data)

    def script_helpers(self) -> Mapping[str, Any]:
        return SCRIPT_HELPERS

    def check_completion(self, element_id: str, data: Mapping[str, Any], case_data: Mapping[str, Any],
                         actor: Actor, case_roles: frozenset[str]) -> None:
        check = exam_checks.CHECKS.get(element_id)
        if check is not None:
            check(data, case_data, actor, case_data.get("exam_rules") or EXAM_RULES)

    def check_task(self, element_id: str, data: Mapping[str, Any], task_data: Mapping[str, Any],
                   case_data: Mapping[str, Any], actor: Actor, case_roles: frozenset[str]) -> None:
        """A notice task is checked against its own screening (``notice_screening``, written into the
        task by ``open_notices``): with two open at once, the case data cannot tell them apart."""
        if element_id == "notify_rejected":
            exam_checks.notices(data, task_data, case_data)
        else:
            self.check_completion(element_id, data, case_data, actor, case_roles)

    # ------------------------------------------------------------------ reading
    def visible_data(self, data: Mapping[str, Any], actor: Actor, case_roles: frozenset[str]) -> dict[str, Any]:
        """Round-2 scoring is blind: nobody but an auditor sees any member's scores until all have
        scored (the ranking, ``exam_results``, then shows every mean and total). Someone who no
        longer holds a seat (a member replaced after a conflict) sees only the published plan."""
        if not case_roles and not actor.is_any(*self.readers):
            return {k: data[k] for k in PUBLIC_KEYS if k in data}
        if "exam_results" in data or actor.is_any("auditor"):
            return dict(data)
        return {k: v for k, v in data.items() if k not in ROUND2_KEYS}

    def task_file_key(self, element_id: str | None) -> str:
        """A member's documents for a personal sheet count as that sheet: those of round 2 stay
        sealed like the scores (``score_sheet`` is a round-2 key) until every member has scored."""
        return PERSONAL_SHEETS.get(element_id or "", "files")

    # ------------------------------------------------------------------ pages
    def form_hints(self, form_key: str | None, data: Mapping[str, Any]) -> FormHints:
        """Sheets of one row per candidate and choices among the case's candidates."""
        return exam_pages.form_hints(form_key, data, council_record(data) or {})

    def case_panel(self, case: Mapping[str, Any], done: frozenset[str]) -> Panel | None:
        """The council's work so far, with a page of its own."""
        return exam_pages.council_panel(case, done, council_record(case.get("data") or {}) or {})

    # ------------------------------------------------------------------ papers
    def documents(self, case: Mapping[str, Any]) -> list[DocumentKind]:
        """The council's scoring minutes, its result report and the appointment decision, each once
        the exam has reached it (workflows/documents/exam_papers.py)."""
        return exam_papers.exam_documents(case)

    def document_context(self, kind: str, case: Mapping[str, Any], issued: Issued) -> dict[str, Any]:
        data = case.get("data") or {}
        record = council_record(data)
        seats = record["seats"] if record else data.get("council") or []
        if kind == exam_papers.MINUTES:
            return exam_papers.minutes_context(case, issued, seats)
        if kind == exam_papers.REPORT:
            return exam_papers.report_context(case, issued, seats)
        if kind == exam_papers.APPOINTMENT:
            return exam_papers.appointment_context(case, issued)
        raise LookupError(kind)

    # ------------------------------------------------------------------ spreadsheets
    def exports(self, case: Mapping[str, Any], visible_data: Mapping[str, Any]) -> Mapping[str, Table]:
        """The results (ranking, both rounds, totals) as a spreadsheet, sealed as the case data is."""
        return exam_pages.results_export(visible_data)

    # ------------------------------------------------------------------ registry
    def after_step(self, step: Step) -> None:
        """An appointment by exam enters the appointments register with the step that decided it; when
        its decision was generated, with that paper's number and date (else 422, nothing changes)."""
        if step.completed_element != "appointment_decision" or step.completed_data.get("appointment") != "appoint":
            return
        decree30.check_recorded_decision(
            step.db, step.case_id, exam_papers.APPOINTMENT, exam_papers.APPOINTMENT_WORDS,
            step.completed_data.get("decision_no"), step.completed_data.get("effective_date"), "effective_date",
            ("ngày hiệu lực", "effective date"))
        data = step.data
        winner = scoring.winner_of(data["exam_results"])
        if winner is None:
            raise Invalid("the exam has no winner to appoint", {"appointment": ["no winner"]})
        effective = step.completed_data["effective_date"]
        effective = effective if isinstance(effective, date) else date.fromisoformat(str(effective))
        appointment_id = registry.record_appointment(
            step.db, post=data["post"], level=data["level"], unit=data["unit"], person_name=winner["full_name"],
            appointed_on=effective, via_exam=True, recorded_by=step.actor.username,
            decision_no=step.completed_data["decision_no"], term_years=data["exam_rules"]["term_years"],
            source_case_id=step.case_id)
        step.events.add("appointment_recorded", step.actor.username, data={
            "appointment_id": appointment_id, "person_name": winner["full_name"], "candidate_code": winner["code"],
            "effective_date": effective.isoformat(), "decision_no": step.completed_data["decision_no"]})


register(PROCESS_KEY, Policy())
