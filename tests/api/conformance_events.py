"""Messages and signals sent to raw SpiffWorkflow's run of a conformance file.

The service is sent a message or a signal through the HTTP API (``POST /cases/{id}/messages`` and
``/signals``, as an integration does, or ``POST /messages`` correlated by business key); the library's own run is sent the same message the way its
documentation says: ``workflow.catch(BpmnEvent(MessageEventDefinition(name), payload))``, then
engine steps (the definition class of the parser family, since the library compares classes). The two are compared afterwards like any conformance run.
"""
from __future__ import annotations

from typing import Any, Mapping

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

API = "/api/v1"


def deliver_raw(workflow: BpmnWorkflow, message: str, payload: Mapping[str, Any],
                definition: type = MessageEventDefinition) -> None:
    """Send ``message`` with ``payload`` to the library's workflow and run what it wakes."""
    workflow.catch(BpmnEvent(definition(message), payload=dict(payload)))
    workflow.do_engine_steps()


def send(auth: Any, case_id: int, message: str, payload: Mapping[str, Any], kind: str = "messages",
         user: str = "admin") -> Any:
    """``POST /cases/{id}/messages`` (or ``signals``) as ``user``; the raw response."""
    return auth.as_(user).post(f"{API}/cases/{case_id}/{kind}", json={"name": message, "payload": dict(payload)})


def deliver(auth: Any, case_id: int, message: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Send ``message`` to the case over HTTP, as an integration does; the case it answers."""
    response = send(auth, case_id, message, payload)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def signal(auth: Any, case_id: int, name: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Send signal ``name`` to the case over HTTP; the case it answers."""
    response = send(auth, case_id, name, payload, kind="signals")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def complete_raw(workflow: BpmnWorkflow, element_id: str, data: Mapping[str, Any] | None = None) -> None:
    """Complete the library's ready human task of ``element_id`` with ``data``."""
    task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                if t.task_spec.bpmn_id == element_id)
    task.data.update(data or {})
    task.run()
    workflow.do_engine_steps()
