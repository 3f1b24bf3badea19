"""The count of completed years on the list (``workflows.rules.review_rules.completed_years``).

A pure function of the recognition date and the closing day: a year is
completed at the end of its anniversary, a talent recognised on 29 February
completes a year on 28 February of a common year, and the count never runs
ahead of the difference of calendar years it replaced.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows import annual_talent_review
from workflows.rules.review_rules import closing_date, completed_years, written_date

CLOSING = date(2026, 12, 15)
DATES = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@pytest.mark.parametrize(("recognised", "years"), [
    (date(2021, 12, 15), 5),   # exactly five years before the closing day
    (date(2021, 12, 16), 4),   # 4 years and 364 days
    (date(2021, 12, 20), 4),   # the first example: calendar years said 5
    (date(2022, 12, 20), 3),   # the second example: calendar years said 4
    (date(2022, 12, 15), 4),
    (date(2026, 12, 15), 0),   # recognised on the closing day itself
    (date(2026, 12, 16), 0),   # recognised after it: none, never a negative count
])
def test_years_are_completed_at_the_end_of_the_anniversary(recognised: date, years: int) -> None:
    assert completed_years(recognised, CLOSING) == years


@pytest.mark.parametrize(("closing", "years"), [
    (date(2021, 2, 27), 0), (date(2021, 2, 28), 1), (date(2021, 3, 1), 1),  # a common year: 28 February
    (date(2024, 2, 28), 3), (date(2024, 2, 29), 4),                         # a leap year: 29 February itself
    (date(2025, 2, 28), 5), (date(2026, 12, 15), 6),
])
def test_a_talent_recognised_on_29_february_completes_a_year_on_28_february_of_a_common_year(
        closing: date, years: int) -> None:
    assert completed_years(date(2020, 2, 29), closing) == years


def test_the_closing_day_is_15_december_read_from_the_moment_assessments_close() -> None:
    closes_at = annual_talent_review.assessments_close_at(2026).isoformat()
    assert closes_at == "2026-12-16T00:00:00+07:00"  # the end of 15 December in Hai Phong
    assert closing_date(closes_at) == date(2026, 12, 15)
    assert written_date("2026-12-15") == "15/12/2026"


@settings(deadline=None)  # a busy machine must not fail a property
@given(recognised=DATES, closing=DATES)
def test_the_count_never_exceeds_the_difference_of_calendar_years(recognised: date, closing: date) -> None:
    count = completed_years(recognised, closing)
    assert 0 <= count <= max(closing.year - recognised.year, 0)
    if recognised <= closing:  # at most one year short of the calendar difference
        assert count >= closing.year - recognised.year - 1


@settings(deadline=None)  # a busy machine must not fail a property
@given(recognised=DATES, closing=DATES, days=st.integers(min_value=0, max_value=800))
def test_the_count_grows_with_the_closing_day_and_shrinks_with_a_later_recognition(
        recognised: date, closing: date, days: int) -> None:
    later = timedelta(days=days)
    assert completed_years(recognised, closing) <= completed_years(recognised, closing + later)
    assert completed_years(recognised + later, closing) <= completed_years(recognised, closing)


@settings(deadline=None)  # a busy machine must not fail a property
@given(recognised=DATES, years=st.integers(min_value=1, max_value=40))
def test_on_the_eve_of_an_anniversary_the_year_is_not_yet_completed(recognised: date, years: int) -> None:
    """On the anniversary (28 February for 29 February in a common year) the count reaches ``years``."""
    try:
        anniversary = recognised.replace(year=recognised.year + years)
    except ValueError:  # 29 February in a common year
        anniversary = date(recognised.year + years, 2, 28)
    assert completed_years(recognised, anniversary) == years
    assert completed_years(recognised, anniversary - timedelta(days=1)) == years - 1
