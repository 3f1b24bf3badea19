"""The review's outcome table (``bpmn/talent_review_outcome.dmn``) row by row, and the facts it is fed.

The table is taken from the deployed pair (the review diagram and its DMN) and
evaluated by SpiffWorkflow in the sandbox, exactly as the business-rule task
of each assessment (``talent_assessment``) does. Each case names the rule it expects to fire first,
so every row is shown to be reachable; the boundaries (4/5 completed years on
the list, a rating of ``tot`` against ``hoan_thanh``, the edge of the 5-year
window) land on the right side. The count of completed years itself is
checked in ``test_completed_years.py``.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from engine.definitions.sandbox import make_script_engine
from engine.definitions.specs import SourceFile, parse_definition
from workflows import BPMN_DIR, annual_talent_review
from workflows.rules.review_rules import SCRIPT_HELPERS, rule_facts

YEAR = 2026
#: The moment the 2026 assessments close, as the review stores it: the end of 15 December in Hai Phong.
CLOSES_AT = annual_talent_review.assessments_close_at(YEAR).isoformat()
THRESHOLDS = {"remove_after_years": annual_talent_review.REMOVE_AFTER_YEARS,
              "warn_after_years": annual_talent_review.WARN_AFTER_YEARS}
#: A talent with every sign of development, serving, not disciplined, recognised this year.
THRIVING: dict[str, Any] = {"serving_in_city": True, "disciplined": False, "years_on_list": 0,
                            "years_counted_to": f"{YEAR}-12-15",
                            "good_rating_in_window": True, "appointed_in_window": True, "in_planning": True}
#: No sign of development at all.
STALLED = {"good_rating_in_window": False, "appointed_in_window": False, "in_planning": False}


@pytest.fixture(scope="module")
def table() -> Any:
    """The business-rule task of the deployed assessment, with the sandboxed script engine."""
    parsed = parse_definition([SourceFile(name, (BPMN_DIR / name).read_bytes())
                               for name in ("talent_assessment.bpmn", "talent_review_outcome.dmn")])
    rules = parsed.spec.task_specs["apply_outcome_rules"].dmnEngine
    return rules, make_script_engine(SCRIPT_HELPERS)


def decide(table: Any, **facts: Any) -> tuple[str, str, str]:
    """(first rule to fire, outcome, reason) for ``facts`` over a thriving talent."""
    rules, engine = table
    task = SimpleNamespace(data={**THRESHOLDS, **THRIVING, **facts}, workflow=SimpleNamespace(script_engine=engine))
    first = rules.decide(task)[0]
    result = rules.result(task)
    return first.id.removeprefix("Rule_"), result["rule_outcome"], result["rule_reason"]


CASES = [
    # (rule expected to fire first, outcome, facts)
    ("left_city", "remove", {"serving_in_city": False}),
    ("left_city", "remove", {"serving_in_city": False, "disciplined": True}),
    ("disciplined", "remove", {"disciplined": True}),
    ("disciplined", "remove", {"disciplined": True, "years_on_list": 9, **STALLED}),
    ("no_development", "remove", {"years_on_list": 5, **STALLED}),
    ("no_development", "remove", {"years_on_list": 12, **STALLED}),
    ("at_risk", "at_risk", {"years_on_list": 4, **STALLED}),
    ("keep", "keep", {"years_on_list": 3, **STALLED}),
    ("keep", "keep", {"years_on_list": 5, **STALLED, "good_rating_in_window": True}),
    ("keep", "keep", {"years_on_list": 5, **STALLED, "appointed_in_window": True}),
    ("keep", "keep", {"years_on_list": 5, **STALLED, "in_planning": True}),
    ("keep", "keep", {"years_on_list": 4, **STALLED, "good_rating_in_window": True}),
    ("keep", "keep", {"years_on_list": 4, **STALLED, "appointed_in_window": True}),
    ("keep", "keep", {"years_on_list": 4, **STALLED, "in_planning": True}),
    ("keep", "keep", {}),
]


@pytest.mark.parametrize(("rule", "outcome", "facts"), CASES)
def test_each_row_of_the_table(table: Any, rule: str, outcome: str, facts: dict[str, Any]) -> None:
    fired, got, reason = decide(table, **facts)
    assert (fired, got) == (rule, outcome)
    assert reason


def test_every_rule_of_the_table_is_exercised(table: Any) -> None:
    rules, _ = table
    assert {r.id.removeprefix("Rule_") for r in rules.decision_table.rules} == {rule for rule, _, _ in CASES}


def test_the_reason_of_a_removal_for_no_development_says_how_long_and_to_which_day(table: Any) -> None:
    assert decide(table, years_on_list=6, **STALLED)[2].startswith(
        "Trong danh sách đủ 6 năm (tính đến ngày 15/12/2026), không có triển vọng")
    assert decide(table, years_on_list=4, **STALLED)[2] == \
        "Trong danh sách đủ 4 năm (tính đến ngày 15/12/2026), chưa có dấu hiệu phát triển"
    assert decide(table, serving_in_city=False)[2] == "Không còn công tác tại thành phố"


def test_the_thresholds_are_the_case_data_not_the_table(table: Any) -> None:
    """A case started with other thresholds is judged by them (the values are configuration)."""
    assert decide(table, years_on_list=5, **STALLED, remove_after_years=6, warn_after_years=5)[1] == "at_risk"
    assert decide(table, years_on_list=3, **STALLED, remove_after_years=4, warn_after_years=3)[1] == "at_risk"


# ------------------------------------------------------------------ the facts the table is fed
def talent(recognised_on: str, *history: tuple[int, str, bool]) -> dict[str, Any]:
    """A register entry with review rows (year, rating, appointed or promoted)."""
    return {"recognised_on": recognised_on,
            "history": [{"year": y, "rating": r, "appointed_or_promoted": a} for y, r, a in history]}


def facts(entry: dict[str, Any], rating: str = "hoan_thanh", appointed: bool = False) -> dict[str, Any]:
    """The facts as the current assessment diagram asks for them: counted to the closing day."""
    return rule_facts(entry, year=YEAR, window_years=annual_talent_review.RATING_WINDOW_YEARS, rating=rating,
                      appointed_or_promoted=appointed, closes_at=CLOSES_AT)


def first_version_facts(entry: dict[str, Any]) -> dict[str, Any]:
    """The facts as the first assessment diagram asks for them (no closing moment): its cases keep them."""
    return rule_facts(entry, year=YEAR, window_years=annual_talent_review.RATING_WINDOW_YEARS, rating="hoan_thanh",
                      appointed_or_promoted=False)


@pytest.mark.parametrize(("recognised_on", "years"), [
    ("2021-12-15", 5), ("2021-12-16", 4), ("2021-12-20", 4), ("2022-12-20", 3), ("2020-09-01", 6),
    (f"{YEAR}-03-01", 0), (f"{YEAR}-12-15", 0)])
def test_years_on_the_list_are_the_years_completed_by_the_closing_day(recognised_on: str, years: int) -> None:
    assert facts(talent(recognised_on))["years_on_list"] == years
    assert facts(talent(recognised_on))["years_counted_to"] == f"{YEAR}-12-15"


def test_a_first_version_assessment_still_counts_calendar_years_to_the_end_of_the_review_year() -> None:
    assert first_version_facts(talent("2021-12-31"))["years_on_list"] == 5
    assert first_version_facts(talent("2021-12-20"))["years_on_list"] == 5  # 4 completed years by 15/12/2026
    assert first_version_facts(talent("2022-12-20"))["years_on_list"] == 4  # 3 completed years
    assert first_version_facts(talent("2022-01-01"))["years_on_list"] == 4
    assert first_version_facts(talent(f"{YEAR}-03-01"))["years_on_list"] == 0
    assert "years_counted_to" not in first_version_facts(talent("2021-12-20"))


@pytest.mark.parametrize(("rating", "good"), [("xuat_sac", True), ("tot", True), ("hoan_thanh", False),
                                              ("khong_hoan_thanh", False)])
def test_this_years_rating_counts_from_tot_up(rating: str, good: bool) -> None:
    assert facts(talent("2019-05-01"), rating=rating)["good_rating_in_window"] is good


def test_an_earlier_rating_counts_only_inside_the_five_year_window() -> None:
    assert facts(talent("2019-05-01", (YEAR - 4, "tot", False)))["good_rating_in_window"] is True
    assert facts(talent("2019-05-01", (YEAR - 5, "xuat_sac", False)))["good_rating_in_window"] is False
    assert facts(talent("2019-05-01", (YEAR - 1, "hoan_thanh", False)))["good_rating_in_window"] is False


def test_an_appointment_this_year_or_inside_the_window_counts() -> None:
    assert facts(talent("2019-05-01"), appointed=True)["appointed_in_window"] is True
    assert facts(talent("2019-05-01", (YEAR - 4, "hoan_thanh", True)))["appointed_in_window"] is True
    assert facts(talent("2019-05-01", (YEAR - 5, "hoan_thanh", True)))["appointed_in_window"] is False


@pytest.mark.parametrize(("rating", "outcome"), [("tot", "keep"), ("hoan_thanh", "remove")])
def test_a_rating_of_tot_this_year_saves_a_talent_of_five_years(table: Any, rating: str, outcome: str) -> None:
    derived = facts(talent("2021-02-01", (2022, "hoan_thanh", False), (2025, "hoan_thanh", False)), rating=rating)
    assert decide(table, **{**STALLED, **derived})[1] == outcome
