"""Pure functions the ``talent_nomination`` diagram calls from its scripts.

They turn the dossier into the simple facts the eligibility table
(``bpmn/talent_eligibility.dmn``) compares, and count the council's votes, so
no DMN cell or gateway has to walk a list. None of them reads the database or
the clock: the nomination date is in the case data (set once at the start), so
a replay computes the same facts. Every threshold is a constant here or a cell
in the DMN table, never a literal inside the logic.
"""
from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any, Callable, Iterable, Mapping

from forms.nomination import PRIZE_RANKS, RATINGS

#: Worst prize that still counts, per contest [law: Decree 140/2017 Art. 2]: provincial gifted contest
#: third or better, national encouragement or better, international merit or better; science contests and
#: university olympiads third or better.
PRIZE_LIMITS: dict[str, str] = {
    "provincial_gifted": "third",
    "national_gifted": "encouragement",
    "international_gifted": "merit",
    "national_science": "third",
    "international_science": "third",
    "university_olympiad": "third",
}
#: ``cbccvc``: ratings of this many years before the nomination year count [law: Decree 179 Art. 4.1].
RATING_YEARS = 3
#: Returned when a year of those has no rating in the dossier.
MISSING_RATING = "missing"
#: Recognised only by more than this share of ALL council members [law: councils decide by majority].
COUNCIL_MAJORITY = Fraction(1, 2)
APPROVE = "approve"

_PRIZE_ORDER = list(PRIZE_RANKS)  # best first
_RATING_ORDER = list(RATINGS)  # best first


def as_date(value: date | str) -> date:
    """Dates arrive as ``date`` in a running case and as ISO text from stored JSON."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def age_on(birth_date: date | str, on: date | str) -> int:
    """Age in completed years on ``on`` (a birthday counts from its own day)."""
    born, day = as_date(birth_date), as_date(on)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def has_qualifying_prize(prizes: Iterable[Mapping[str, Any]] | None) -> bool:
    """Whether one prize reaches its contest's limit in :data:`PRIZE_LIMITS`."""
    for prize in prizes or ():
        limit = PRIZE_LIMITS.get(str(prize.get("contest")))
        rank = prize.get("rank")
        if limit is not None and rank in _PRIZE_ORDER and _PRIZE_ORDER.index(rank) <= _PRIZE_ORDER.index(limit):
            return True
    return False


def lowest_rating_in_recent_years(ratings: Iterable[Mapping[str, Any]] | None, nominated_on: date | str,
                         years: int = RATING_YEARS) -> str:
    """The worst rating of the ``years`` years before the nomination year, or :data:`MISSING_RATING`."""
    by_year = {int(r["year"]): str(r["rating"]) for r in ratings or ()}
    first = as_date(nominated_on).year - years
    wanted = [by_year.get(year) for year in range(first, first + years)]
    if any(rating not in _RATING_ORDER for rating in wanted):
        return MISSING_RATING
    return max(wanted, key=_RATING_ORDER.index)  # type: ignore[arg-type]


def open_ballots(members: Iterable[str]) -> dict[str, dict[str, Any]]:
    """One empty ballot per council member, keyed by username (the multi-instance collection)."""
    return {str(m): {"member": str(m), "vote": None, "comment": ""} for m in members}


def cast_ballot(ballot: Mapping[str, Any], vote: str, comment: str) -> dict[str, Any]:
    """The member's ballot with their vote: what the council sub-process hands back."""
    return {"member": ballot["member"], "vote": vote, "comment": comment}


def council_tally(ballots: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Approvals against ALL members: an absent or blank vote counts against recognition."""
    members = len(ballots)
    approvals = sum(1 for b in ballots.values() if b.get("vote") == APPROVE)
    return {"members": members, "approvals": approvals,
            "recognised": members > 0 and Fraction(approvals, members) > COUNCIL_MAJORITY}


def script_helpers() -> dict[str, Callable[..., Any]]:
    """What the diagram may call (names must not clash with data keys)."""
    return {"age_on": age_on, "has_qualifying_prize": has_qualifying_prize,
            "lowest_rating_in_recent_years": lowest_rating_in_recent_years, "open_ballots": open_ballots,
            "cast_ballot": cast_ballot, "council_tally": council_tally}
