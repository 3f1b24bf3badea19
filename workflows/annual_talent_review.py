"""``annual_talent_review``: the yearly review of the talent list (Resolution 17-NQ/TU III.9).

hr starts the review of a year (the scheduler does it from 1 November, once
per year however many processes run). The case takes a snapshot of the active
registry and starts one ``talent_assessment`` case per talent (its child
cases, :mod:`workflows.talent_assessment`): the head of each talent's unit
assesses that talent, and the outcome rules (``bpmn/talent_review_outcome.dmn``)
give keep / at risk / remove. When the last assessment ends, the review
receives every result (the ``assessments_done`` message) and hr consolidates,
overriding an outcome only with a reason; the approver approves the updated
list or sends it back to hr (who consolidates again: the case ends
``approved``, never half-reviewed). On approval each assessed talent gets the
year's review row and removals are applied with reason and date.

Why child cases: one case holding hundreds of parallel assessments rewrites
all of them at every step, so each assessment would cost more as the list
grows. As separate cases, an assessment loads and saves only itself; the
review is stepped once, when the last one ends.

One review per year: a second start for a year that has a review (running,
finished or failed; not cancelled) answers 409 ``review_exists``. A review
covers a year that has begun and whose assessment deadline has not passed
(422 otherwise).

Deadline: each assessment carries a boundary timer at the end of 15 December
(city time). An assessment not done by then ends ``unassessed``; the talent is
listed for hr (``unassessed_talents``), stays on the list, gets no review row
for the year, and is assessed again next year. Cancelling the review cancels
its open assessments.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import select, text

from engine.time import clock
from engine.errors import Conflict, Invalid
from engine.store.models import Case
from engine.cases import child_plans
from engine.policy import DocumentKind, Issued, Panel, PlannedChild, ProcessPolicy, Reminder, Step
from engine.people.actors import SYSTEM, Actor
from workflows.documents import talent_papers
from workflows.programme import registry
from workflows import review_labels, review_progress, talent_assessment
from workflows.people import ProgrammePeople
from workflows.processes import N_, register
from workflows.rules.review_rules import SCRIPT_HELPERS, override_problems

PROCESS_KEY = "annual_talent_review"

#: The scheduler starts the year's review on this day (month, day) [law: Decree 90/2020 timing].
REVIEW_STARTS_ON = (11, 1)
#: Assessments close at the end of this day (month, day), city time.
ASSESSMENTS_CLOSE_ON = (12, 15)
#: On the list this many years with no sign of development: removed [Resolution III.9; choice]. The years
#: are those completed from recognition to 15 December of the review year (review_rules.completed_years).
REMOVE_AFTER_YEARS = 5
#: ... this many years with the same signs: at risk [choice].
WARN_AFTER_YEARS = 4
#: Years (the review year included) in which a rating of "tot" or better, or an appointment, counts.
RATING_WINDOW_YEARS = 5
#: PostgreSQL advisory lock serializing review starts (one review per year).
_START_LOCK = 0x7A1E_0003

LANE_ROLES: dict[str, str] = {
    "Sở Nội vụ": "hr_officer",
    "Thủ trưởng đơn vị": "unit_head",
    "Người có thẩm quyền": "approver",
}
#: Keys that are bookkeeping of the case, not part of the review.
_INSTANCE_KEYS = frozenset({"review_count"})
#: Case data a unit head may read besides their own units' talents.
#: Events that list talents of every unit: a unit head reads only that they happened.
CITY_WIDE_EVENTS = frozenset({"talents_added_since_snapshot", "talent_list_updated"})
#: The engine's events on assessments that could not start name them across units, with why (and an
#: admin's reason for skipping them): how many, for those who are not the review's readers.
PLAN_EVENTS = frozenset({"child_starts_failed", "child_starts_skipped"})
_PUBLIC_KEYS = ("year", "assessments_close_at", "remove_after_years", "warn_after_years", "rating_window_years")


def assessments_close_at(year: int) -> datetime:
    """The moment assessments of ``year`` close: the end of 15 December in Hai Phong."""
    month, day = ASSESSMENTS_CLOSE_ON
    return datetime(year, month, day, tzinfo=clock.CITY_ZONE) + timedelta(days=1)


class Policy(ProgrammePeople):
    start_form = "review_start"
    #: hr runs the review and the approver decides on it: both read every review.
    readers = frozenset({"auditor", "admin", "hr_officer", "approver"})
    #: The approver signs the decisions: they upload the signed copies (engine/files/signatures.py).
    sign_off_roles = frozenset({"approver"})
    cancellers = frozenset({"admin", "hr_officer"})

    lane_roles = LANE_ROLES
    status_labels = {"approved": N_("Approved")}
    status_tones = {"approved": "ok"}
    data_labels = review_labels.DATA_LABELS
    data_refs, hidden_keys = review_labels.DATA_REFS, review_labels.HIDDEN_KEYS
    #: The assessments' closing moment reads as its last day (15/12), as on the assessments' own pages.
    deadline_keys = frozenset({"assessments_close_at"})
    event_labels = {"talent_list_updated": N_("Talent list updated"),
                    "assessments_started": N_("Assessments started, one case per talent"),
                    "talents_added_since_snapshot": N_("Talents added since the snapshot")}

    #: Sent by the last assessment to end (:meth:`children_finished`), never by an integration.
    internal_messages = frozenset({"assessments_done"})

    #: hr follows the assessments per unit (the readers see the counts) and reminds a late unit.
    progress_of = review_progress.ASSESSMENT_TASK
    case_pages = frozenset({review_progress.PAGE})

    def case_panel(self, case: Mapping[str, Any], done: frozenset[str]) -> Panel | None:
        return review_progress.progress_panel(case)

    def reminder(self, case: Mapping[str, Any], target: str, actor: Actor) -> Reminder:
        return review_progress.reminder(case, target, actor)

    def may_start(self, actor: Actor, unit_path: str | None) -> bool:
        """hr, or the scheduler (the system actor) on 1 November."""
        return actor.has_role("hr_officer") or actor.has_role("system")

    def prepare_start(self, db: Any, data: dict[str, Any], starter: Actor) -> dict[str, Any]:
        """Check the year, refuse a second review of it, and snapshot the active registry."""
        year = int(data["year"])
        now = clock.now()
        if year > now.astimezone(clock.CITY_ZONE).year:
            raise Invalid("a review covers a year that has begun", {"year": ["must not be in the future"]})
        closes = assessments_close_at(year)
        if now >= closes:
            raise Invalid(f"assessments for {year} closed on {closes.date() - timedelta(days=1)}",
                          {"year": [f"the assessment deadline of {year} has passed"]})
        if db.dialect.name == "postgresql":
            db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _START_LOCK})
        existing = review_case_of(db, year)
        if existing is not None:
            raise Conflict(f"the {year} review already exists (case {existing})", code="review_exists")
        if db.execute(select(registry.REVIEW.c.id).where(registry.REVIEW.c.year == year).limit(1)).first():
            raise Conflict(f"reviews of {year} are already recorded", code="review_exists")
        return {**data, "year": year, "talent_snapshot": _snapshot(db),
                "assessments_close_at": closes.isoformat(), "remove_after_years": REMOVE_AFTER_YEARS,
                "warn_after_years": WARN_AFTER_YEARS, "rating_window_years": RATING_WINDOW_YEARS}

    def task_subject(self, element_id: str, task_data: Mapping[str, Any]) -> str | None:
        """The year reviewed: a late consolidation may still be open when the next year's review starts."""
        return f"Năm {task_data['year']} / year {task_data['year']}" if task_data.get("year") else None

    def check_completion(self, element_id: str, data: Mapping[str, Any], case_data: Mapping[str, Any],
                         actor: Actor, case_roles: frozenset[str]) -> None:
        if element_id == "consolidate_review":
            problems = override_problems(case_data.get("review_outcomes") or [], data.get("overrides") or [])
            if problems:
                raise Invalid("some overrides cannot be applied", {"overrides": problems})

    def after_step(self, step: Step) -> None:
        data = step.data
        if _needs_assessments(step):  # started after the step, in batches (planned_children)
            step.events.add("assessments_started", step.actor.username,
                            data={"year": data["year"], "count": len(_register(data))})
        elif step.finished and step.status == "approved":
            record_approved_review(step)
        elif not step.finished and "review_outcomes" in data and step.completed_element != "consolidate_review":
            # The consolidation has just opened (all assessed, the deadline passed, or the list came back):
            # tell hr which talents were recognised after the snapshot and join the list unreviewed.
            step.events.add("talents_added_since_snapshot", step.actor.username,
                            data={"year": data["year"], "talents": newcomers(step.db, data)})

    def planned_children(self, step: Step) -> list[PlannedChild]:
        """One assessment per talent, started after the step in batches: 2 000 of them started inside
        the step held SQLite's write lock for seconds, and every other user waited."""
        return assessment_plan(step) if _needs_assessments(step) else []

    def children_finished(self, children: list[Mapping[str, Any]]) -> tuple[str, dict[str, Any]] | None:
        """Every assessment has ended: hand the review each talent's result (none if unassessed)."""
        results = {}
        for child in children:
            result = (child["data"] or {}).get("assessment_result")
            if child["status"] == "assessed" and result:
                results[str(child["data"]["talent_id"])] = result
        return "assessments_done", {"results": results}

    def documents(self, case: Mapping[str, Any]) -> list[DocumentKind]:
        """The reviewed talent list, for the approver's approval, once hr has consolidated it."""
        return talent_papers.review_documents(case)

    def document_context(self, kind: str, case: Mapping[str, Any], issued: Issued) -> dict[str, Any]:
        if kind != talent_papers.REVIEWED_LIST:
            raise LookupError(kind)
        return talent_papers.review_context(case, issued)

    def visible_data(self, data: Mapping[str, Any], actor: Actor, case_roles: frozenset[str]) -> dict[str, Any]:
        """Readers see the review; a unit head sees only the talents of their units."""
        if actor.is_any(*self.readers):
            return {k: v for k, v in data.items() if k not in _INSTANCE_KEYS}
        register = (data.get("data_objects") or {}).get("review_register") or {}
        outcomes = {line["talent_id"]: line for line in data.get("review_outcomes") or []}
        mine = [outcomes.get(t["talent_id"], t) for t in register.values()
                if t.get("unit_path") and actor.has_role("unit_head", t["unit_path"])]
        return {**{k: data[k] for k in _PUBLIC_KEYS if k in data}, "talents": mine}

    def visible_event(self, event: dict[str, Any], case_data: Mapping[str, Any], actor: Actor,
                      case_roles: frozenset[str]) -> dict[str, Any]:
        """Events listing talents across units are shown whole to readers only."""
        if actor.is_any(*self.readers):
            return event
        if event["type"] in CITY_WIDE_EVENTS:
            return {**event, "data": {"year": event["data"].get("year")}}
        if event["type"] in PLAN_EVENTS:
            return {**event, "data": {"count": event["data"].get("count")}}
        return super().visible_event(event, case_data, actor, case_roles)

    def script_helpers(self) -> Mapping[str, Any]:
        return SCRIPT_HELPERS


def _waiting_for_assessments(data: Mapping[str, Any]) -> bool:
    """The case has its list and waits for the assessments' results."""
    return bool(data.get("review_count")) and "review_outcomes" not in data


def _needs_assessments(step: Step) -> bool:
    """The case has its list, waits for the results, and has planned no assessment yet."""
    return _waiting_for_assessments(step.data) and not child_plans.planned_or_started(step.db, step.case_id)


def _register(data: Mapping[str, Any]) -> dict[str, Any]:
    return (data.get("data_objects") or {}).get("review_register") or {}


def assessment_plan(step: Step) -> list[PlannedChild]:
    """One ``talent_assessment`` case per talent of the snapshot, in talent order."""
    data = step.data
    register = _register(data)
    review = {**data, "case_id": step.case_id}
    return [PlannedChild(talent_assessment.PROCESS_KEY, talent_assessment.start_data(review, register[key]),
                         f"RS-{data['year']}-{register[key]['talent_id']}")
            for key in sorted(register, key=int)]


def _snapshot(db: Any) -> list[dict[str, Any]]:
    """The active registry with each talent's unit path (unit heads see their subtree's talents)."""
    paths = dict(db.execute(select(registry.UNIT.c.code, registry.UNIT.c.path)).all())
    return [{**talent, "unit_path": paths.get(talent["unit"])} for talent in registry.active_talents(db)]


def review_case_of(db: Any, year: int) -> int | None:
    """The case reviewing ``year`` (running, finished or failed; a cancelled one does not count)."""
    cases = Case.__table__
    for case_id, data in db.execute(select(cases.c.id, cases.c.data).where(
            cases.c.process_key == PROCESS_KEY, cases.c.status != "cancelled")):
        if (data or {}).get("year") == year:
            return int(case_id)
    return None


def newcomers(db: Any, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Active talents not in the case's snapshot: recognised while the review ran."""
    known = {int(k) for k in ((data.get("data_objects") or {}).get("review_register") or {})}
    return [{"talent_id": t["talent_id"], "full_name": t["full_name"], "unit": t["unit"],
             "recognised_on": t["recognised_on"]}
            for t in registry.active_talents(db) if t["talent_id"] not in known]


def record_approved_review(step: Step) -> None:
    """Write each assessed talent's review row; a removal carries its reason and the approval date."""
    data = step.data
    year, counts = int(data["year"]), {"keep": [], "at_risk": [], "remove": [], "unassessed": []}
    for line in data.get("review_outcomes") or []:
        if not line["assessed"]:
            counts["unassessed"].append(line["talent_id"])
            continue
        assessment = {key: line[key] for key in ("rating", "appointed_or_promoted", "in_planning", "trained_st",
                                                 "serving_in_city", "disciplined")}
        assessment["removal_reason"] = line["rule_reason"]
        registry.record_review(step.db, talent_id=line["talent_id"], year=year, assessment=assessment,
                               outcome=line["final_outcome"], rule_outcome=line["rule_outcome"],
                               override_reason=line.get("override_reason"), source_case_id=step.case_id)
        counts[line["final_outcome"]].append(line["talent_id"])
    added = [t["talent_id"] for t in newcomers(step.db, data)]
    step.events.add("talent_list_updated", step.actor.username, data={"year": year, **counts, "added": added})


def start_yearly_review(service: Any, today: date | None = None) -> int | None:
    """What the yearly scheduler calls each day: from 1 November, start the year's review once.

    Returns the new case id, or None before 1 November, after the deadline, or
    when the year already has its review.
    """
    today = today or clock.now().astimezone(clock.CITY_ZONE).date()
    if (today.month, today.day) < REVIEW_STARTS_ON:
        return None
    try:
        return int(service.start(SYSTEM, PROCESS_KEY, {"year": today.year}))
    except (Conflict, Invalid):
        return None


register(PROCESS_KEY, Policy())
