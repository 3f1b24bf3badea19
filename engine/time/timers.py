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
from typing import Any, NamedTuple
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition,
                                                              TimeDateEventDefinition, TimerEventDefinition)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.exceptions import TaskNotFoundException


class WaitingTimer(NamedTuple):
    """One timer task instance the workflow waits on.

    The element id alone cannot say which timer fired: the same boundary timer waits once per
    open instance of its task (a task reached twice in a loop, the instances of a multi-instance
    activity), each with its own due time. The task id tells them apart and leads to the one
    task instance the timer is attached to (:func:`attached_task_ids`).
    """

    task_id: UUID
    element_id: str
    due: datetime


def _gateway_timer(task: Any) -> tuple[TimerEventDefinition, str] | None:
    """The timer an event-based gateway (or a multiple catch event) waits on, and its element id.

    SpiffWorkflow moves the definitions of the catch events after an event-based gateway into the
    gateway's own ``MultipleEventDefinition`` (``EventBasedGateway.connect``), so the gateway task
    is what waits, and a reader that looks only for a timer definition misses it: the case had no
    ``next_timer_at`` and was never woken. Every timer of it shares the gateway task's one
    ``event_value``, set by the first timer in the list when the gateway was reached, so that one
    is read. The element id is the catch event the timer was drawn on (the gateway's output at
    the same index), as the modeler knows it.
    """
    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(definition, MultipleEventDefinition):
        return None
    outputs = list(getattr(task.task_spec, "outputs", []))
    for index, inner in enumerate(definition.event_definitions):
        if isinstance(inner, TimerEventDefinition):
            spec = outputs[index] if index < len(outputs) else task.task_spec
            return inner, spec.bpmn_id or spec.name
    return None


def _element_and_definition(task: Any) -> tuple[str, Any]:
    gateway = _gateway_timer(task)
    if gateway is not None:
        return gateway[1], gateway[0]
    return task.task_spec.bpmn_id or task.task_spec.name, getattr(task.task_spec, "event_definition", None)


def _due(task: Any) -> datetime | None:
    definition = _element_and_definition(task)[1]
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


def waiting_timer_tasks(workflow: Any) -> list[WaitingTimer]:
    """Every timer task instance the workflow waits on, with its due time in UTC.

    In the workflow's own order, so whoever lists what fired lists it in the same order
    every time (the runner records it, replay derives it again).
    """
    found = []
    for task in list(workflow.event_manager.tasks.values()):
        due = _due(task)
        if due is not None:
            due = due.replace(tzinfo=timezone.utc) if due.tzinfo is None else due.astimezone(timezone.utc)
            found.append(WaitingTimer(task.id, _element_and_definition(task)[0], due))
    return found


def went_off(due: list[WaitingTimer], after: list[WaitingTimer]) -> list[WaitingTimer]:
    """Which of the ``due`` timer instances fired, given what waits ``after`` the firing step.

    One that no longer waits fired. So did one that still waits with a later due time: a cycle
    timer (``R3/PT1H``) re-arms on the same task instance, and was never reported before because
    its task was still there. By task instance, not element id: the same boundary timer waits
    once per open instance of its task, and one of them firing says nothing of the others. The
    runner and replay both call this, so they record the same ``timer_fired`` events.
    """
    still = {timer.task_id: timer.due for timer in after}
    return [timer for timer in due if timer.task_id not in still or still[timer.task_id] > timer.due]


def waiting_timers(workflow: Any) -> list[tuple[str, datetime]]:
    """(element id, due time in UTC) of every timer the workflow waits on (due times only)."""
    return [(timer.element_id, timer.due) for timer in waiting_timer_tasks(workflow)]


def attached_task_ids(workflow: Any, timer_task_id: UUID) -> list[str]:
    """The ids of the task instances a boundary timer instance watches; [] for any other timer.

    SpiffWorkflow 3 puts a task with boundary events under a ``BoundaryEventSplit`` whose
    children are the task itself and one instance of each of its boundary events, so the
    timer's sibling that is no boundary event is the very instance it is attached to, not
    another open instance of the same element. A multi-instance task is that sibling too:
    its instances are its children, so they are named with it (the caller keeps the ones
    that are human tasks). Ids are strings, as the task projection keys its rows.
    """
    try:  # a task gone from the tree (see engine.definitions.state.find_task) has no siblings
        timer = workflow.get_task_from_id(timer_task_id)
    except TaskNotFoundException:
        return []
    parent = timer.parent if timer is not None else None
    if parent is None or not isinstance(timer.task_spec, BoundaryEvent) or \
            not isinstance(parent.task_spec, BoundaryEventSplit):
        return []
    found = []
    for main in parent.children:
        if not isinstance(main.task_spec, BoundaryEvent):
            found += [str(main.id)] + [str(child.id) for child in main.children]
    return found


def next_due(workflow: Any) -> datetime | None:
    dues = [timer.due for timer in waiting_timer_tasks(workflow)]
    return min(dues) if dues else None
