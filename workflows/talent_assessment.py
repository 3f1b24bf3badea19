"""``talent_assessment``: one talent's assessment in the annual review (a child case).

The annual review (:mod:`workflows.annual_talent_review`) starts one of these
per talent of its snapshot. Each is a small case of its own, so completing one
assessment costs the same whether the list holds ten talents or a thousand:
nothing of the other talents is loaded or rewritten. The head of the talent's
unit assesses; the outcome rules (``bpmn/talent_review_outcome.dmn``) apply,
fed the years the talent has completed on the list by 15 December
(:func:`workflows.rules.review_rules.completed_years`; an assessment on the
first diagram version keeps the calendar years it started with); the case
ends ``assessed``, or ``unassessed`` when 15 December passes first.
The review hears from the last one to end (see
:meth:`workflows.annual_talent_review.Policy.children_finished`).

Nobody starts an assessment by hand: ``may_start`` refuses everyone, and only
a review case starts them (as its children).

A unit head has many of them at once (thirty talents in a department), all due on
15 December: the task is offered as one grid (:meth:`Policy.task_grid`), a row per
talent with what the assessor needs to know of them (name, unit, category, years
on the list) and the form's inputs, each row completing its own case.
"""
from __future__ import annotations

from typing import Any, Mapping

from datetime import date

from engine.errors import NotFound
from engine.policy import Assignment, GridRow, GridSpec, ProcessPolicy, Words
from engine.people.actors import Actor
from workflows.processes import N_, register
from workflows.programme import registry
from workflows.rules.review_rules import ASSESSMENT_FIELDS, SCRIPT_HELPERS, closing_date, completed_years
from workflows import review_labels
from workflows.people import ProgrammePeople

PROCESS_KEY = "talent_assessment"
LANE_ROLES: dict[str, str] = {"Thủ trưởng đơn vị": "unit_head"}
ASSESS = "assess_talent"
#: The registry's categories -> their words (the assessor reads the category, not its code).
CATEGORY_WORDS: dict[str, str] = {
    "excellent_graduate": N_("Excellent graduate"), "young_scientist": N_("Young scientist"),
    "cbccvc": N_("Cadre, civil servant, public employee"), "expert": N_("Expert")}
#: The assessment as a grid: every field of the form, a row per talent.
GRID = GridSpec(title=N_("Assessments of the talents of your units"), fields=ASSESSMENT_FIELDS,
                subject=N_("Talent"), progress=N_("%(done)s/%(total)s assessed"),
                facts=(N_("Talent category"), N_("Years on the list")))


def start_data(review: Mapping[str, Any], talent: Mapping[str, Any]) -> dict[str, Any]:
    """What one assessment starts with: the talent's register entry and the review's thresholds."""
    return {"year": review["year"], "review_case_id": review["case_id"], "talent_id": talent["talent_id"],
            "talent_name": talent["full_name"], "talent_unit": talent["unit"], "talent": dict(talent),
            "assessments_close_at": review["assessments_close_at"],
            **{key: review[key] for key in ("remove_after_years", "warn_after_years", "rating_window_years")}}


class Policy(ProgrammePeople):
    #: hr runs the review and the approver decides on it: both read every assessment.
    readers = frozenset({"auditor", "admin", "hr_officer", "approver"})
    #: The approver signs the decisions: they upload the signed copies (engine/files/signatures.py).
    sign_off_roles = frozenset({"approver"})
    cancellers = frozenset({"admin", "hr_officer"})
    lane_roles = LANE_ROLES

    def may_start(self, actor: Actor, unit_path: str | None) -> bool:
        """Only the annual review starts assessments (as its children)."""
        return False

    deadline_keys = frozenset({"assessments_close_at"})
    data_labels = {**review_labels.DATA_LABELS, "talent_category": N_("Talent category"),
                   **{f"talent_category={code}": words for code, words in CATEGORY_WORDS.items()}}
    data_refs, hidden_keys = review_labels.DATA_REFS, review_labels.HIDDEN_KEYS
    status_labels = {"assessed": N_("Assessed")}

    def prepare_start(self, db: Any, data: dict[str, Any], starter: Actor) -> dict[str, Any]:
        """Add the talent's category from the registry: the review's register does not carry it, and the
        assessor weighs a young scientist's year differently from a serving cadre's."""
        if "talent_category" in data or not data.get("talent_id"):
            return data
        try:
            category = registry.talent_view(db, int(data["talent_id"]))["category"]
        except NotFound:
            return data
        return {**data, "talent_category": category}

    def case_unit(self, data: Mapping[str, Any], starter: Actor) -> str | None:
        """The talent's unit: its head, and the heads above it, see the case."""
        return data.get("talent_unit") or None

    def assign(self, element_id: str, lane: str | None, task_data: Mapping[str, Any]) -> Assignment | None:
        """The head of the talent's unit assesses (hr for a talent with no unit)."""
        if element_id != ASSESS:
            return None
        unit = task_data.get("talent_unit")
        return Assignment(role="unit_head", unit=str(unit)) if unit else Assignment(role="hr_officer")

    def task_subject(self, element_id: str, task_data: Mapping[str, Any]) -> str | None:
        """A unit head with several talents tells their assessments apart by name and unit."""
        if element_id != ASSESS or not task_data.get("talent_name"):
            return None
        unit = task_data.get("talent_unit")
        return f"{task_data['talent_name']} ({unit})" if unit else str(task_data["talent_name"])

    def task_grid(self, element_id: str) -> GridSpec | None:
        """A unit head assesses all the talents of their units on one page (thirty, forty at once)."""
        return GRID if element_id == ASSESS else None

    def grid_row(self, element_id: str, data: Mapping[str, Any]) -> GridRow:
        """The talent's name, unit, category and the years completed on the list by 15 December."""
        category = data.get("talent_category")
        return GridRow(name=str(data.get("talent_name") or ""), unit=data.get("talent_unit") or None,
                       facts=(Words(CATEGORY_WORDS[category]) if category in CATEGORY_WORDS else category,
                              years_on_list(data)))

    def script_helpers(self) -> Mapping[str, Any]:
        return SCRIPT_HELPERS


def years_on_list(data: Mapping[str, Any]) -> int | None:
    """The years the talent completes on the list by the review's closing day (as the rules count them)."""
    recognised = (data.get("talent") or {}).get("recognised_on")
    closes = data.get("assessments_close_at")
    if not recognised or not closes:
        return None
    try:
        return completed_years(date.fromisoformat(str(recognised)), closing_date(str(closes)))
    except ValueError:
        return None


register(PROCESS_KEY, Policy())
