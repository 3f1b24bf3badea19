"""Which message (or signal) a case can catch now, asked the way SpiffWorkflow itself would catch it.

Delivering a message or signal (``CaseLinks._deliver_in``, from outside through
:mod:`engine.cases.message_routing`, or a parent hearing its children) and replaying a delivery
(``engine.replay``) both need the waiting event definition of that name, to hand the library an
event it will catch; they share this lookup and :func:`event_for` so that the runner and replay
never disagree on what a case waits for or what it is handed.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions import MessageEventDefinition, SignalEventDefinition

from engine.errors import Invalid

#: The kinds of event a case can be sent from outside, by the event type recorded for each.
KINDS = {"message": MessageEventDefinition, "signal": SignalEventDefinition}


def waiting_definitions(workflow: Any) -> Iterator[Any]:
    """Every event definition that could catch an event sent to ``workflow`` now.

    Besides a waiting catch event's own definition, SpiffWorkflow catches with two kinds the
    definition of a waiting task does not show: an event-based gateway waits with a
    ``MultipleEventDefinition`` holding its catch events' definitions
    (``EventBasedGateway.connect``), and an event sub-process started by a message waits as no
    task at all, only as a start event of a spec in ``spec.start.trigger_specs`` (SpiffWorkflow's
    ``EventManager.update_collaboration`` starts it when the event arrives). Looking only at the
    tasks' own definitions answered 409 "not waiting" to a message either would catch.
    """
    for task in list(workflow.event_manager.tasks.values()):
        definition = getattr(task.task_spec, "event_definition", None)
        yield definition
        yield from getattr(definition, "event_definitions", None) or ()
    for name in getattr(workflow.spec.start, "trigger_specs", ()):
        for start_event in getattr(workflow.subprocess_specs.get(name), "bpmn_start_events", ()):
            yield start_event.event_definition


def waiting_message(workflow: Any, name: str) -> Any | None:
    """The message definition named ``name`` that ``workflow`` would catch now, else None."""
    return waiting_event(workflow, "message", name)


def waiting_event(workflow: Any, kind: str, name: str) -> Any | None:
    """The definition of a ``kind`` ("message" or "signal") event named ``name`` that ``workflow``
    would catch now, else None (a signal is caught the way a message is, by its waiting definition,
    since the library compares definition classes of its parser family)."""
    for definition in waiting_definitions(workflow):
        if isinstance(definition, KINDS[kind]) and definition.name == name:
            return definition
    return None


def refuse_internal(name: str, owners: Iterable[tuple[str, Any]]) -> None:
    """422 ``internal_message`` when a process of ``owners`` (``(key, policy)`` pairs) keeps message
    ``name`` for the engine alone (``ProcessPolicy.internal_messages``): sent from outside, it would
    move the case past a wait whose real sender (its last child ending) then has nobody to tell."""
    keys = sorted({key for key, policy in owners if name in policy.internal_messages})
    if keys:
        raise Invalid(f"message '{name}' is internal to process {', '.join(keys)}: only the engine sends it",
                      {"name": [f"'{name}' is sent by the engine only"]}, code="internal_message")


def event_for(definition: Any, name: str, payload: dict[str, Any]) -> BpmnEvent:
    """The event the runner and replay both hand the library for a delivery of ``name``.

    Camunda's message definition puts the payload in one variable (named after the message); the
    others spread it into the data or into the catch event's variable themselves."""
    body = {"payload": payload, "result_var": name} if hasattr(definition, "result_var") else payload
    return BpmnEvent(definition, payload=body)
