"""When the engine fails inside a step: the incident on the last good state, and the admin's retry.

A mixin of :class:`engine.cases.runner.CaseService`. A script, gateway or rule that fails leaves nothing
of its step but an incident (the element, the message, the command to re-run); ``retry`` re-runs
that command on the same pinned version once the cause outside the diagram is fixed.
"""
from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.audit import events as audit
from engine.time import clock
from engine.errors import CaseFailed, Conflict, EngineError, Forbidden
from engine.cases.records import Loaded, View
from engine.cases.statements import TASK
from engine.people.actors import Actor


class Incidents:
    """Record an engine failure as an incident; retry it (see :class:`engine.cases.runner.CaseService`)."""

    def retry(self, actor: Actor, case_id: int, view: View | None = None) -> Any:
        """Re-run the command that failed (admin only), on the last good state."""
        if not actor.is_any("admin"):
            raise Forbidden("only an admin may retry a failed case")
        failure: Exception | None = None
        with self.store.command() as conn:
            case = self._lock(conn, case_id)
            if case.status != "error" or not case.incident:
                raise Conflict(f"case {case_id} is {case.status}, not in error", code="case_not_in_error")
            command = dict(case.incident.get("command") or {"type": "run"})
            loaded = self._load(conn, case)
            loaded.chain.add("case_retried", actor.username, data={"incident": case.incident},
                             from_status="error", to_status="running")
            case.status = "running"
            try:
                if command["type"] == "message":
                    definition = self._message_definition(loaded, command["message"])
                    self._catch(loaded, definition, command["message"], command["payload"])
                    self._advance(loaded)
                elif command["type"] == "complete":
                    form_key = conn.execute(select(TASK.c.form_key).where(TASK.c.id == command["task_id"])).scalar()
                    command["data"] = self._validate(form_key, command["data"])
                    self._run_task(loaded, command["task_id"], command["data"])
                else:
                    self._advance(loaded)
            except EngineError:
                raise
            except Exception as err:  # noqa: BLE001
                failure = err
                self._mark_failed(conn, loaded, actor, err, command)
            else:
                case.incident = None
                if command["type"] == "complete":
                    on_behalf = Actor(user_id=command["user_id"], username=command["username"])
                    element_id = loaded.workflow.get_task_from_id(UUID(command["task_id"])).task_spec.bpmn_id
                    self._finish_task(conn, loaded, command["task_id"], element_id, on_behalf,
                                      command["data"], retried_by=actor.username)
                else:
                    self._save(conn, loaded, actor)
                if view:
                    return view(conn, case)
        if failure is not None:
            raise self._case_failed(case_id, failure, loaded)
        return case_id


    def _mark_failed(self, conn: Connection, loaded: Loaded, actor: Actor, err: Exception,
                     command: dict[str, Any]) -> None:
        """Keep the last good state; record the incident and the command to retry."""
        case = loaded.case
        element_id, message = describe_failure(err)
        if not element_id and loaded.workflow.last_task is not None:  # e.g. a value that cannot be stored
            element_id = loaded.workflow.last_task.task_spec.bpmn_id or ""
        case.status = "error"
        case.incident = audit.jsonable({"element_id": element_id, "message": message, "command": command,
                                        "at": clock.now(), "actor": actor.username})
        loaded.chain.add("case_failed", actor.username,
                         data={"element_id": element_id, "message": message, "command": command["type"]},
                         from_status="running", to_status="error")
        self._write_case(conn, case, loaded.chain, actor, loaded.old_version)

    @staticmethod
    def _case_failed(case_id: int, err: Exception, loaded: Loaded | None = None) -> CaseFailed:
        element_id, message = describe_failure(err)
        if loaded is not None and loaded.case.incident:
            element_id = loaded.case.incident.get("element_id") or element_id
        return CaseFailed(f"case {case_id} failed at '{element_id}': {message}",
                          {"case_id": case_id, "element_id": element_id, "message": message})


def describe_failure(err: Exception) -> tuple[str, str]:
    """(element id, readable message) of an engine failure."""
    task = getattr(err, "task", None)
    spec = task.task_spec if task is not None else getattr(err, "task_spec", None)
    element_id = (getattr(spec, "bpmn_id", None) or getattr(spec, "name", "")) if spec is not None else ""
    inner = getattr(err, "error_type", None) or type(err).__name__
    message = str(err)  # SpiffWorkflow's exceptions already append their notes
    if inner and inner not in message:
        message = f"{inner}: {message}"
    return element_id, message
