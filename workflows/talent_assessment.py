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
"""
from __future__ import annotations

from typing import Any, Mapping

from engine.policy import Assignment
from engine.people.actors import Actor
from workflows.people import ProgrammePeople
from workflows.processes import register
from workflows.rules.review_rules import SCRIPT_HELPERS

PROCESS_KEY = "talent_assessment"
LANE_ROLES: dict[str, str] = {"Thủ trưởng đơn vị": "unit_head"}


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

    def case_unit(self, data: Mapping[str, Any], starter: Actor) -> str | None:
        """The talent's unit: its head, and the heads above it, see the case."""
        return data.get("talent_unit") or None

    def assign(self, element_id: str, lane: str | None, task_data: Mapping[str, Any]) -> Assignment | None:
        """The head of the talent's unit assesses (hr for a talent with no unit)."""
        if element_id != "assess_talent":
            return None
        unit = task_data.get("talent_unit")
        return Assignment(role="unit_head", unit=str(unit)) if unit else Assignment(role="hr_officer")

    def task_subject(self, element_id: str, task_data: Mapping[str, Any]) -> str | None:
        """A unit head with several talents tells their assessments apart by name and unit."""
        if element_id != "assess_talent" or not task_data.get("talent_name"):
            return None
        unit = task_data.get("talent_unit")
        return f"{task_data['talent_name']} ({unit})" if unit else str(task_data["talent_name"])

    def script_helpers(self) -> Mapping[str, Any]:
        return SCRIPT_HELPERS


register(PROCESS_KEY, Policy())
