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

from calendar import isleap
from datetime import date, datetime, timedelta
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


def completed_years(recognised_on: date, closing_on: date) -> int:
    """Whole years a talent recognised on ``recognised_on`` has been on the list by ``closing_on``.

    A year is completed at the end of its anniversary, the way the Civil Code
    (2015, Art. 147-148) counts a time limit in years: it starts the day after
    the recognition and ends with the corresponding day and month. Recognised on
    15/12/2021, the fifth year is completed on 15/12/2026; recognised on
    16/12/2021, it is not. Recognised on 29 February, a year is completed on 28
    February of a common year, as the Code ends a limit in months whose last
    month lacks the day on that month's last day [choice]. (The review counts
    to 15 December, so this decides nothing in a review; it keeps the count
    defined for every pair of dates.) A recognition after ``closing_on``
    counts 0, never a negative number of years.
    """
    years = closing_on.year - recognised_on.year
    if (closing_on.month, closing_on.day) < _anniversary(recognised_on, closing_on.year):
        years -= 1
    return max(years, 0)


def _anniversary(recognised_on: date, year: int) -> tuple[int, int]:
    """(month, day) on which a year on the list is completed in ``year`` (29/02 -> 28/02 in a common year)."""
    if (recognised_on.month, recognised_on.day) == (2, 29) and not isleap(year):
        return 2, 28
    return recognised_on.month, recognised_on.day


def closing_date(closes_at: str) -> date:
    """The last day of assessments (15 December), from the moment they close as the case stores it.

    The review stores the end of that day, i.e. midnight starting the next one
    in the city's zone (``2026-12-16T00:00:00+07:00``); the day counted to is
    the one that moment ends, read in the offset the moment carries.
    """
    return (datetime.fromisoformat(closes_at) - timedelta(microseconds=1)).date()


def written_date(iso_date: str) -> str:
    """A date as Vietnamese papers write it (``2026-12-15`` -> ``15/12/2026``), for the rules' reasons.

    A helper because the script sandbox has no ``strftime`` (it imports a module).
    """
    return date.fromisoformat(iso_date).strftime("%d/%m/%Y")


def rule_facts(entry: Mapping[str, Any], *, year: int, window_years: int, rating: str,
               appointed_or_promoted: bool, closes_at: str | None = None) -> dict[str, Any]:
    """The derived inputs of the outcome rules (DMN ``talent_review_outcome``) for one talent.

    ``years_on_list`` is the number of years completed from the recognition
    date to the review's closing day, 15 December (``closes_at``, the moment
    assessments close; :func:`completed_years`), and ``years_counted_to`` that
    day (ISO). Why the keyword is optional: assessments started on the first
    version of ``bpmn/talent_assessment.bpmn`` call this without it, and they
    keep the rule they started under: calendar years, ``year`` minus the year of
    recognition (a talent recognised on 20/12/2021 counts 5 in the 2026 review,
    five days short of five years on 15 December). Replaying their histories
    gives the same figures.

    The window is the review year and the ``window_years - 1`` years before it;
    a year without a recorded review gives no sign of development.
    """
    first_year = year - window_years + 1
    earlier = [row for row in entry["history"] if first_year <= row["year"] < year]
    facts: dict[str, Any] = {
        "good_rating_in_window": rating in GOOD_RATINGS or any(row["rating"] in GOOD_RATINGS for row in earlier),
        "appointed_in_window": bool(appointed_or_promoted) or any(row["appointed_or_promoted"] for row in earlier),
    }
    if closes_at is None:
        return {"years_on_list": year - int(str(entry["recognised_on"])[:4]), **facts}
    counted_to = closing_date(closes_at)
    recognised_on = date.fromisoformat(str(entry["recognised_on"])[:10])
    return {"years_on_list": completed_years(recognised_on, counted_to), "years_counted_to": counted_to.isoformat(),
            **facts}


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
    "written_date": written_date,
    "summarise_review_results": summarise_review_results,
    "apply_review_overrides": apply_review_overrides,
}
