"""Reading timer due times out of a workflow.

SpiffWorkflow keeps a reached timer's due time in the waiting task's internal
data (``event_value``); the case row records the earliest one
(``next_timer_at``) so due cases are found with an indexed query, never by
loading workflows.

Duration timers in working days (``"P10WD"``) are taught to SpiffWorkflow in
:mod:`engine.time.spiff_patches`.
"""
from __future__ import annotations

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
