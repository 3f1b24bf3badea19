"""Pure helpers of the annual talent review (``annual_talent_review``).

Scripts in ``bpmn/annual_talent_review.bpmn`` call these (they are the
process's script helpers) and the tests call them directly. They never read
the database or the clock: everything comes in as arguments (the registry
snapshot the case started with, this year's assessment, the thresholds the
case started with), so a replayed case computes the same outcomes.

The register (one entry per talent) lives in the review's data object
``review_register``; each talent's assessment is a child case
(``talent_assessment``) that starts with its own entry only.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from workflows.programme.registry import OUTCOMES

#: Ratings that count as "rated good or better" (Decree 90/2020: hoàn thành tốt / xuất sắc nhiệm vụ).
GOOD_RATINGS = frozenset({"xuat_sac", "tot"})
#: What a talent's assessment records (the form's fields), in the order the review rows show them.
ASSESSMENT_FIELDS = ("rating", "appointed_or_promoted", "in_planning", "trained_st", "serving_in_city",
                     "disciplined", "recommendation", "comment")


def build_review_register(snapshot: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The snapshot keyed by talent id (text: the key of a JSON object), history kept compact."""
    register = {}
    for talent in snapshot:
        register[str(talent["talent_id"])] = {
            "talent_id": talent["talent_id"], "full_name": talent["full_name"], "unit": talent["unit"],
            "unit_path": talent.get("unit_path"), "recognised_on": talent["recognised_on"],
            "history": [{"year": row["year"], "rating": row["rating"],
                         "appointed_or_promoted": bool(row["appointed_or_promoted"])}
                        for row in talent.get("history", [])]}
    return register


def rule_facts(entry: Mapping[str, Any], *, year: int, window_years: int, rating: str,
               appointed_or_promoted: bool) -> dict[str, Any]:
    """The derived inputs of the outcome rules (DMN ``talent_review_outcome``) for one talent.

    ``years_on_list`` is counted at the end of the review year: a talent
    recognised at any date of year Y has been on the list ``year - Y`` full years
    by 31 December. The window is the review year and the ``window_years - 1``
    years before it; a year without a recorded review gives no sign of
    development.
    """
    first_year = year - window_years + 1
    earlier = [row for row in entry["history"] if first_year <= row["year"] < year]
    return {
        "years_on_list": year - int(str(entry["recognised_on"])[:4]),
        "good_rating_in_window": rating in GOOD_RATINGS or any(row["rating"] in GOOD_RATINGS for row in earlier),
        "appointed_in_window": bool(appointed_or_promoted) or any(row["appointed_or_promoted"] for row in earlier),
    }


def summarise_review_results(register: Mapping[str, Mapping[str, Any]],
                             results: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One line per talent of the snapshot, in talent order: the assessment and the rule's outcome.

    A talent whose assessment was not done by the deadline is listed with
    ``assessed`` false and no outcome: hr sees it in the consolidation, and the
    talent stays on the list unreviewed this year (no review row is written).
    """
    lines = []
    for key in sorted(register, key=int):
        talent = register[key]
        result = results.get(key) or {"assessed": False}
        line = {"talent_id": talent["talent_id"], "full_name": talent["full_name"], "unit": talent["unit"],
                "unit_path": talent.get("unit_path"), "recognised_on": talent["recognised_on"],
                "assessed": bool(result.get("assessed")), "rule_outcome": None, "rule_reason": None}
        if line["assessed"]:
            line.update({k: v for k, v in result.items() if k != "assessed"})
        lines.append(line)
    return lines


def apply_review_overrides(outcomes: Iterable[Mapping[str, Any]],
                           overrides: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each line's final outcome: hr's override with its reason, else the rule's outcome.

    Recomputed from the rule outcome every time, so a consolidation redone after
    the approver sent the list back starts from the rules again.
    """
    by_talent = {int(o["talent_id"]): o for o in overrides}
    lines = []
    for outcome in outcomes:
        line = dict(outcome)
        override = by_talent.get(int(line["talent_id"]))
        line["final_outcome"] = override["outcome"] if override else line["rule_outcome"]
        line["override_reason"] = override["reason"] if override else None
        lines.append(line)
    return lines


def override_problems(outcomes: Iterable[Mapping[str, Any]], overrides: Iterable[Mapping[str, Any]]) -> list[str]:
    """Why hr's overrides cannot be applied (empty: they can).

    Only an assessed talent has an outcome to override; one override per talent;
    an override must change the outcome (the reason explains the change).
    """
    lines = {int(o["talent_id"]): o for o in outcomes}
    problems, seen = [], set()
    for override in overrides:
        talent_id = int(override["talent_id"])
        line = lines.get(talent_id)
        if talent_id in seen:
            problems.append(f"talent {talent_id}: overridden twice")
        elif line is None:
            problems.append(f"talent {talent_id}: not in this review")
        elif not line["assessed"]:
            problems.append(f"talent {talent_id}: not assessed, there is no outcome to override")
        elif override["outcome"] == line["rule_outcome"]:
            problems.append(f"talent {talent_id}: the rules already give '{override['outcome']}'")
        elif override["outcome"] not in OUTCOMES:
            problems.append(f"talent {talent_id}: unknown outcome '{override['outcome']}'")
        seen.add(talent_id)
    return problems


#: The helpers scripts may call (names must not collide with data keys).
SCRIPT_HELPERS = {
    "build_review_register": build_review_register,
    "rule_facts": rule_facts,
    "summarise_review_results": summarise_review_results,
    "apply_review_overrides": apply_review_overrides,
}
