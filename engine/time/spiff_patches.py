"""Every change talentflow makes to SpiffWorkflow, in one place.

SpiffWorkflow 3.2 reads the wall clock and parses durations inside its timer
module, where no configuration reaches. Two patches, both idempotent and
applied by :func:`install` at start-up (the app factory, the CLI, replay):

- its timer module reads ``datetime.now`` from the service clock, so tests move
  time and replay sees the recorded times;
- besides ISO 8601 durations (``"P10D"``: calendar days), a ``timeDuration``
  may say ``"P10WD"``: ten working days of the business calendar, ending at the
  end of the tenth working day like ``working_days(10)`` (which is the form for
  ``timeDate`` timers and task due dates).

Keeping them here, above the clock and the calendar, is also what keeps those
two modules free of each other's imports.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.time import calendar, clock

_WORKING_DAYS = re.compile(r"^\s*P(\d{1,4})WD\s*$", re.IGNORECASE)
_iso_duration = TimerEventDefinition.parse_iso_duration


class _SpiffDatetime(datetime):
    """Stands in for ``datetime`` inside SpiffWorkflow's timer module."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        value = clock.now()
        return value.astimezone(tz) if tz is not None else value.replace(tzinfo=None)


def parse_duration(expression: str) -> dict[str, Any]:
    """SpiffWorkflow's ISO duration parser, plus ``PnWD``: n working days from now (as seconds)."""
    match = _WORKING_DAYS.match(expression) if isinstance(expression, str) else None
    if match is None:
        return _iso_duration(expression)
    now = clock.now()
    return {"seconds": (calendar.current().add_working_days(now, int(match.group(1))) - now).total_seconds()}


def install() -> None:
    """Make SpiffWorkflow's timers read the service clock and understand ``"PnWD"`` (idempotent)."""
    timer.datetime = _SpiffDatetime
    TimerEventDefinition.parse_iso_duration = staticmethod(parse_duration)  # type: ignore[method-assign]
