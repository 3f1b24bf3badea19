"""Commands that reach beyond one case: cancelling (with its child cases), BPMN messages, and
telling a parent case its children have ended.

:class:`CaseLinks` is held by :class:`engine.cases.runner.CaseService` and works through the
same one-case steps (:class:`engine.cases.steps.CaseSteps`), locking the rows involved in one
order everywhere (open children before their parent) so that two commands on a family of cases
never deadlock.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Connection

from engine.audit import events as audit
from engine.cases import child_plans
from engine.cases import statements as sql
from engine.cases.records import CaseRecord, Loaded, View
from engine.cases.statements import CASE, TASK
from engine.cases.messages import event_for, refuse_internal, waiting_event
from engine.cases.steps import CaseSteps
from engine.definitions import state
from engine.definitions.sandbox import check_data_keys
from engine.errors import Conflict, EngineError, Forbidden, Invalid
from engine.people.actors import Actor
from engine.store import backlog
from engine.time import clock

MAX_REASON = 2000
#: The note a parent gets when its children's message finds it no longer waiting (audit.NOTES).
NOT_DELIVERED = "message_not_delivered"


@dataclass
class CaseLinks:
    """Cancel a case and its children, deliver a message, and let a parent hear from its children."""

    steps: CaseSteps

    def cancel(self, actor: Actor, case_id: int, reason: str, view: View | None = None) -> Any:
        """Cancel a running or failed case (its starter or a process manager), with a reason."""
        reason = (reason or "").strip()
        if not reason:
            raise Invalid("a reason is required", {"reason": ["required"]})
        if len(reason) > MAX_REASON:
            raise Invalid("reason too long", {"reason": [f"at most {MAX_REASON} characters"]})
        steps = self.steps
        with steps.store.command() as conn:
            self._lock_open_descendants(conn, case_id)
            case = steps.lock(conn, case_id)
            steps.visible_or_404(conn, actor, case)
            policy = steps.policy_for(case.process_key)
            if not (case.created_by_id == actor.user_id or actor.is_any(*policy.cancellers)):
                raise Forbidden("only the starter or a process manager may cancel this case")
            if case.status not in ("running", "error"):
                raise Conflict(f"case {case_id} is already {case.status}", code="case_not_running")
            self._cancel_in(conn, actor, case, reason)
            return view(conn, case) if view else case_id

    def _lock_open_descendants(self, conn: Connection, case_id: int) -> None:
        """Lock a case's open child cases (deepest first) before the case itself is locked.

        A child that ends locks itself, then its parent (:meth:`child_finished`);
        cancelling a parent cancels its children. Taking the locks in the same
        order — children before parent — keeps the two from deadlocking on PostgreSQL.
        """
        if self.steps.store.is_sqlite:  # one write lock for the whole transaction: no order to keep
            return
        for child_id in conn.execute(sql.OPEN_CHILDREN, {"parent_id": case_id}).scalars().all():
            self._lock_open_descendants(conn, child_id)
            self.steps.store.lock_row(conn, CASE, child_id)

    def _cancel_in(self, conn: Connection, actor: Actor, case: CaseRecord, reason: str) -> None:
        """Cancel a locked case, its running child cases with it; tell its parent if it has one.

        A case whose stored state cannot be loaded is cancelled all the same (its tasks and status;
        the state stays as stored): cancelling is how an admin ends such an incident."""
        loaded = self.steps.load(conn, case, tolerate_unloadable=True)
        if loaded.workflow is not None:
            loaded.workflow.cancel()
        for row in conn.execute(sql.READY_ROWS, {"case_id": case.id}):
            loaded.chain.add("task_cancelled", actor.username, task_id=row.id,
                             data={"element_id": row.element_id})
        cancelled = conn.execute(update(TASK).where(TASK.c.case_id == case.id, TASK.c.status == "ready")
                                 .values(status="cancelled"))
        backlog.add(conn, case.unit_id, case.id, -cancelled.rowcount)
        previous = case.status
        if loaded.workflow is not None:
            case.state = state.dump_workflow(loaded.definition.dialect, loaded.workflow)
        case.status, case.ended_at, case.incident, case.next_timer_at = "cancelled", clock.now(), None, None
        case.ready_tasks = []
        loaded.chain.add("case_cancelled", actor.username, data={"reason": reason},
                         from_status=previous, to_status="cancelled")
        self.steps.write_case(conn, case, loaded.chain, actor, loaded.old_version)
        for child_id in conn.execute(sql.OPEN_CHILDREN, {"parent_id": case.id}).scalars().all():
            self._cancel_in(conn, actor, self.steps.lock(conn, child_id),
                            f"parent case {case.id} cancelled: {reason}")
        if case.parent_case_id is not None and previous != "cancelled":
            self.child_finished(conn, actor, case.parent_case_id)

    def deliver(self, actor: Actor, case_id: int, message: str, payload: dict[str, Any]) -> None:
        """Deliver a BPMN message to a case waiting for it (its own transaction)."""
        if not actor.is_any("admin", "system"):
            raise Forbidden("only the system or an admin may send a message to a case")
        with self.steps.store.command() as conn:
            case = self.steps.lock(conn, case_id)
            refuse_internal(message, [(case.process_key, self.steps.policy_for(case.process_key))])
            self._deliver_in(conn, actor, case, message, check_data_keys(payload, "payload"))

    def _deliver_in(self, conn: Connection, actor: Actor, case: CaseRecord, message: str,
                    payload: dict[str, Any], kind: str = "message") -> Loaded:
        """Catch ``message`` (or, ``kind="signal"``, the signal of that name) in a locked case and step
        it: a ``message_received``/``signal_received`` event; an engine failure becomes its incident."""
        if case.status != "running":
            raise Conflict(f"case {case.id} is {case.status}", code="case_not_running")
        steps = self.steps
        loaded = steps.load(conn, case)
        waiting = event_definition(loaded, message, kind)
        loaded.chain.add(f"{kind}_received", actor.username, data={kind: message, "payload": payload})
        command = {"type": kind, kind: message, "payload": payload}
        try:
            loaded.workflow.catch(event_for(waiting, message, payload))
            steps.advance(loaded)
        except EngineError:
            raise
        except Exception as err:  # noqa: BLE001
            steps.mark_failed(conn, loaded, actor, err, command)
            return loaded
        steps.save_or_fail(conn, loaded, actor, command, lambda: steps.save(conn, loaded, actor))
        return loaded

    def child_finished(self, conn: Connection, actor: Actor, parent_id: int, asked_again: bool = False
                       ) -> Loaded | None:
        """A child case ended: once none is left running or failed, its parent gets its message.

        The parent row is locked (after the child's: see :meth:`_lock_open_descendants`), so
        of two children ending at once, the second waits and then sees the first as ended:
        exactly one sends; nor while children it planned are still to start (the batch that starts the
        last one asks again). Returns the parent's step when it was sent the message.
        ``asked_again``: no child just ended, the case is asked whether it missed them (an admin's
        retry, :meth:`engine.cases.incidents.Incidents.retry`, of any case): one without children
        has nothing to hear — unless it planned some and an admin skipped them all: it hears that none
        is left — and one that does not wait for their message heard it already and is left as it is,
        without a note.
        """
        parent = self.steps.lock(conn, parent_id)
        if parent.status != "running" or conn.execute(sql.ANY_OPEN_CHILD, {"parent_id": parent_id}).first():
            return None
        if child_plans.pending(conn, parent_id):  # children still to start: not all have finished
            return None
        children = [dict(id=row.id, status=row.status, data=row.data)
                    for row in conn.execute(sql.CHILDREN, {"parent_id": parent_id})]
        if asked_again and not children and not child_plans.planned_or_started(conn, parent_id):
            return None  # no child, nor any planned (all of them skipped: those it hears of, as none)
        answer = self.steps.policy_for(parent.process_key).children_finished(children)
        if answer is None:
            return None
        return self._tell_parent(conn, actor, parent, answer[0], audit.jsonable(answer[1]), asked_again)

    def _tell_parent(self, conn: Connection, actor: Actor, parent: CaseRecord, message: str,
                     payload: dict[str, Any], asked_again: bool = False) -> Loaded | None:
        """Deliver the children's message to their locked parent; a parent no longer waiting for it
        (moved on by a path the engine did not foresee) must not fail the child's step — the child
        has ended either way — so the miss is written on the parent's chain instead, as a
        ``message_not_delivered`` note with the payload, for whoever mends the parent (unless it was
        only ``asked_again``: then it had heard them)."""
        try:
            return self._deliver_in(conn, actor, parent, message, payload)
        except Conflict as err:
            if err.code != "not_waiting":
                raise
            if asked_again:
                return None
        chain = self.steps.chain_of(conn, parent)
        chain.add(NOT_DELIVERED, actor.username, data={"message": message, "payload": payload,
                                                        "reason": "not_waiting"})
        self.steps.write_case(conn, parent, chain, actor, parent.version)
        return None


def message_definition(loaded: Loaded, message: str) -> Any:
    """The definition of the message event the case waits on; 409 if it waits for no such message."""
    return event_definition(loaded, message, "message")


def event_definition(loaded: Loaded, name: str, kind: str = "message") -> Any:
    """The definition of the ``kind`` event named ``name`` the case waits on; 409 ``not_waiting``."""
    definition = waiting_event(loaded.workflow, kind, name)
    if definition is not None:
        return definition
    raise Conflict(f"case {loaded.case.id} is not waiting for {kind} '{name}'", code="not_waiting")


def catch(loaded: Loaded, definition: Any, message: str, payload: dict[str, Any]) -> None:
    """Hand the message (or signal) to the waiting event (the engine runs on when the caller advances)."""
    loaded.workflow.catch(event_for(definition, message, payload))
