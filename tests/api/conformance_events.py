"""Messages and signals sent to raw SpiffWorkflow's run of a conformance file.

The service delivers a message to a waiting case (``CaseService.deliver``, as the system would on
a child's end or an outside event); the library's own run is sent the same message the way its
documentation says: ``workflow.catch(BpmnEvent(MessageEventDefinition(name), payload))``, then
engine steps (the definition class of the parser family, since the library compares classes). The two are compared afterwards like any conformance run.
"""
from __future__ import annotations

from typing import Any, Mapping

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.people.actors import SYSTEM


def deliver_raw(workflow: BpmnWorkflow, message: str, payload: Mapping[str, Any],
                definition: type = MessageEventDefinition) -> None:
    """Send ``message`` with ``payload`` to the library's workflow and run what it wakes."""
    workflow.catch(BpmnEvent(definition(message), payload=dict(payload)))
    workflow.do_engine_steps()


def deliver(service: Any, case_id: int, message: str, payload: Mapping[str, Any]) -> None:
    """Send ``message`` to the case as the system does."""
    service.deliver(SYSTEM, case_id, message, dict(payload))


def complete_raw(workflow: BpmnWorkflow, element_id: str, data: Mapping[str, Any] | None = None) -> None:
    """Complete the library's ready human task of ``element_id`` with ``data``."""
    task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                if t.task_spec.bpmn_id == element_id)
    task.data.update(data or {})
    task.run()
    workflow.do_engine_steps()
