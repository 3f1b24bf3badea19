"""Reading timer due times out of a workflow.

SpiffWorkflow keeps a reached timer's due time in the waiting task's internal
data (``event_value``); the case row records the earliest one
(``next_timer_at``) so due cases are found with an indexed query, never by
loading workflows.

Working days in a duration timer: besides ISO 8601 durations (``"P10D"``:
calendar days), a ``timeDuration`` may say ``"P10WD"`` — ten working days of
the business calendar, ending at the end of the tenth working day like
``working_days(10)`` (which is the form for ``timeDate`` timers and task due
dates). :func:`install` teaches SpiffWorkflow's duration parser that form.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition,
                                                              TimeDateEventDefinition, TimerEventDefinition)


def _due(task: Any) -> datetime | None:
    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(definition, TimerEventDefinition):
        return None
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        return datetime.fromisoformat(value["next"]) if value.get("cycles") else None
    if isinstance(definition, TimeDateEventDefinition):
        due = TimerEventDefinition.parse_time_or_duration(value)
        return due if isinstance(due, datetime) else None
    return TimerEventDefinition.get_datetime(value)


def waiting_timers(workflow: Any) -> list[tuple[str, datetime]]:
    """(element id, due time in UTC) of every timer the workflow waits on."""
    found = []
    for task in list(workflow.event_manager.tasks.values()):
        due = _due(task)
        if due is not None:
            due = due.replace(tzinfo=timezone.utc) if due.tzinfo is None else due.astimezone(timezone.utc)
            found.append((task.task_spec.bpmn_id or task.task_spec.name, due))
    return found


def next_due(workflow: Any) -> datetime | None:
    dues = [due for _, due in waiting_timers(workflow)]
    return min(dues) if dues else None


_WORKING_DAYS = re.compile(r"^\s*P(\d{1,4})WD\s*$", re.IGNORECASE)
_iso_duration = TimerEventDefinition.parse_iso_duration


def parse_duration(expression: str) -> dict[str, Any]:
    """SpiffWorkflow's ISO duration parser, plus ``PnWD``: n working days from now (as seconds)."""
    match = _WORKING_DAYS.match(expression) if isinstance(expression, str) else None
    if match is None:
        return _iso_duration(expression)
    from engine import calendar, clock

    now = clock.now()
    return {"seconds": (calendar.current().add_working_days(now, int(match.group(1))) - now).total_seconds()}


def install() -> None:
    """Make duration timers understand ``"PnWD"`` (idempotent)."""
    TimerEventDefinition.parse_iso_duration = staticmethod(parse_duration)  # type: ignore[method-assign]
