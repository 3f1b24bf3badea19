"""Commands that reach beyond one case: cancelling (with its child cases), BPMN messages, and
telling a parent case its children have ended.

A mixin of :class:`engine.cases.runner.CaseService`: the same one-transaction steps, locking the
rows involved in one order everywhere (open children before their parent) so that two
commands on a family of cases never deadlock.
"""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions import MessageEventDefinition
from sqlalchemy import update
from sqlalchemy.engine import Connection

from engine.audit import events as audit
from engine.time import clock
from engine.definitions import state
from engine.cases import statements as sql
from engine.errors import Conflict, EngineError, Forbidden, Invalid
from engine.cases.records import CaseRecord, Loaded, View
from engine.definitions.sandbox import check_data_keys
from engine.cases.statements import CASE, TASK
from engine.people.actors import Actor

MAX_REASON = 2000


class CaseLinks:
    """Cancel, deliver a message, start and hear from child cases (see :class:`engine.cases.runner.CaseService`)."""

    def _start_child(self, conn: Connection, actor: Actor, parent_id: int, process_key: str, data: Any,
                     business_key: str | None, ended: list[int]) -> int:
        case, _, _ = self._start_in(conn, actor, process_key, data, business_key, parent_case_id=parent_id,
                                    ended=ended)
        return case.id

    def cancel(self, actor: Actor, case_id: int, reason: str, view: View | None = None) -> Any:
        reason = (reason or "").strip()
        if not reason:
            raise Invalid("a reason is required", {"reason": ["required"]})
        if len(reason) > MAX_REASON:
            raise Invalid("reason too long", {"reason": [f"at most {MAX_REASON} characters"]})
        with self.store.command() as conn:
            self._lock_open_descendants(conn, case_id)
            case = self._lock(conn, case_id)
            self._visible_or_404(conn, actor, case)
            policy = self.policy_for(case.process_key)
            if not (case.created_by_id == actor.user_id or actor.is_any(*policy.cancellers)):
                raise Forbidden("only the starter or a process manager may cancel this case")
            if case.status not in ("running", "error"):
                raise Conflict(f"case {case_id} is already {case.status}", code="case_not_running")
            self._cancel_in(conn, actor, case, reason)
            return view(conn, case) if view else case_id

    def _lock_open_descendants(self, conn: Connection, case_id: int) -> None:
        """Lock a case's open child cases (deepest first) before the case itself is locked.

        A child that ends locks itself, then its parent (:meth:`_child_finished`);
        cancelling a parent cancels its children. Taking the locks in the same
        order — children before parent — keeps the two from deadlocking on PostgreSQL.
        """
        if self.store.is_sqlite:  # one write lock for the whole transaction: no order to keep
            return
        for child_id in conn.execute(sql.OPEN_CHILDREN, {"parent_id": case_id}).scalars().all():
            self._lock_open_descendants(conn, child_id)
            self.store.lock_row(conn, CASE, child_id)

    def _cancel_in(self, conn: Connection, actor: Actor, case: CaseRecord, reason: str) -> None:
        """Cancel a locked case, its running child cases with it; tell its parent if it has one."""
        loaded = self._load(conn, case)
        loaded.workflow.cancel()
        for row in conn.execute(sql.READY_ROWS, {"case_id": case.id}):
            loaded.chain.add("task_cancelled", actor.username, task_id=row.id,
                             data={"element_id": row.element_id})
        conn.execute(update(TASK).where(TASK.c.case_id == case.id, TASK.c.status == "ready")
                     .values(status="cancelled"))
        previous = case.status
        case.state = state.dump_workflow(loaded.definition.dialect, loaded.workflow)
        case.status, case.ended_at, case.incident, case.next_timer_at = "cancelled", clock.now(), None, None
        case.ready_tasks = []
        loaded.chain.add("case_cancelled", actor.username, data={"reason": reason},
                         from_status=previous, to_status="cancelled")
        self._write_case(conn, case, loaded.chain, actor, loaded.old_version)
        for child_id in conn.execute(sql.OPEN_CHILDREN, {"parent_id": case.id}).scalars().all():
            self._cancel_in(conn, actor, self._lock(conn, child_id), f"parent case {case.id} cancelled: {reason}")
        if case.parent_case_id is not None and previous != "cancelled":
            self._child_finished(conn, actor, case.parent_case_id)

    def deliver(self, actor: Actor, case_id: int, message: str, payload: dict[str, Any]) -> None:
        """Deliver a BPMN message to a case waiting for it (its own transaction)."""
        if not actor.is_any("admin", "system"):
            raise Forbidden("only the system or an admin may send a message to a case")
        with self.store.command() as conn:
            self._deliver_in(conn, actor, self._lock(conn, case_id), message, check_data_keys(payload, "payload"))

    def _deliver_in(self, conn: Connection, actor: Actor, case: CaseRecord, message: str,
                    payload: dict[str, Any]) -> Loaded:
        """Catch ``message`` in a locked case and step it; an engine failure becomes its incident."""
        if case.status != "running":
            raise Conflict(f"case {case.id} is {case.status}", code="case_not_running")
        loaded = self._load(conn, case)
        waiting = self._message_definition(loaded, message)
        loaded.chain.add("message_received", actor.username, data={"message": message, "payload": payload})
        try:
            self._catch(loaded, waiting, message, payload)
            self._advance(loaded)
        except EngineError:
            raise
        except Exception as err:  # noqa: BLE001
            self._mark_failed(conn, loaded, actor, err, {"type": "message", "message": message, "payload": payload})
            return loaded
        self._save(conn, loaded, actor)
        return loaded

    @staticmethod
    def _message_definition(loaded: Loaded, message: str) -> Any:
        """The definition of the message event the case waits on; 409 if it waits for no such message."""
        for task in list(loaded.workflow.event_manager.tasks.values()):
            definition = getattr(task.task_spec, "event_definition", None)
            if isinstance(definition, MessageEventDefinition) and definition.name == message:
                return definition
        raise Conflict(f"case {loaded.case.id} is not waiting for message '{message}'", code="not_waiting")

    @staticmethod
    def _catch(loaded: Loaded, definition: Any, message: str, payload: dict[str, Any]) -> None:
        # Camunda's message definition puts the payload in one variable; the others spread it into the data.
        body = {"payload": payload, "result_var": message} if hasattr(definition, "result_var") else payload
        loaded.workflow.catch(BpmnEvent(definition, payload=body))

    def _child_finished(self, conn: Connection, actor: Actor, parent_id: int) -> Loaded | None:
        """A child case ended: once none is left running or failed, its parent gets its message.

        The parent row is locked (after the child's: see :meth:`_lock_open_descendants`), so
        of two children ending at once, the second waits and then sees the first as ended:
        exactly one sends. Returns the parent's step when it was sent the message.
        """
        parent = self._lock(conn, parent_id)
        if parent.status != "running" or conn.execute(sql.ANY_OPEN_CHILD, {"parent_id": parent_id}).first():
            return None
        children = [dict(id=row.id, status=row.status, data=row.data)
                    for row in conn.execute(sql.CHILDREN, {"parent_id": parent_id})]
        answer = self.policy_for(parent.process_key).children_finished(children)
        if answer is None:
            return None
        return self._deliver_in(conn, actor, parent, answer[0], audit.jsonable(answer[1]))
