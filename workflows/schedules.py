"""The programme's timer start events: processes the service starts by itself, once per cycle.

The engine's timer executor (:mod:`engine.time.executor`) runs these cycles in
every server process and the ``scheduled_start`` table makes each one start
once. Only the domain knows when a cycle is due and how to start it.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from engine.time.executor import CycleStart
from workflows import annual_talent_review


def review_cycle(day: date) -> str | None:
    """The year whose review is due on ``day``: from 1 November of each year."""
    return str(day.year) if (day.month, day.day) >= annual_talent_review.REVIEW_STARTS_ON else None


def start_review(service: Any, day: date) -> int | None:
    return annual_talent_review.start_yearly_review(service, day)


#: "annual_talent_review starts on 1 November of each year".
CYCLES: list[CycleStart] = [
    CycleStart(process_key=annual_talent_review.PROCESS_KEY, cycle_on=review_cycle, start=start_review),
]
