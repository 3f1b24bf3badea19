"""The admin's retry of a case in error, and the incident of a timer that could not fire.

A script, gateway or rule that fails leaves nothing of its step but an incident on the last good
state: the element, the message and the command to re-run (written by
:meth:`engine.cases.steps.CaseSteps.mark_failed`). Once the cause outside the diagram is fixed,
:class:`Incidents` re-runs that command — a task completion, a message, or a plain run of the
engine — on the same pinned version, as one more step of the case. A timer whose firing
failed outside the engine is recorded here too (:meth:`Incidents.timer_failed`, called by the
timer executor; why: :mod:`engine.cases.timer_incidents`); its retry runs nothing: it puts the
case back to ``running`` with the timer still due, and the executor fires it through the one
firing path (running the engine here would fire it too, but without its event and notices).
Planned child cases that could not start (:mod:`engine.cases.child_batches`) are an incident of
their parent too, ``child_starts``: its retry runs nothing either, but marks them to start again,
which the retry's command does once committed (``starts_planned_children``); or, when they can never
start, an admin skips them with a reason (:meth:`Incidents.retry` with ``skip_failed_children``) and
the parent goes on without them. A parent whose step on
hearing its ended children refused (``children_finished``) is asked for their message again; so is
any parent a retry leaves running, whose children may all have ended while it was in error (a
parent in error hears nothing, and no child ends twice to tell it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.audit import events as audit
from engine.cases import child_plans
from engine.cases.case_links import MAX_REASON, CaseLinks, catch, event_definition
from engine.cases.child_batches import hear_or_incident
from engine.cases.records import CaseRecord, Loaded, View
from engine.cases.statements import TASK
from engine.cases.steps import CaseSteps, case_failed
from engine.cases.timer_incidents import record_timer_failure
from engine.errors import Conflict, EngineError, Forbidden, Invalid
from engine.people.actors import SYSTEM, Actor

#: How many skipped children the parent's event names (the rows keep them all).
SHOWN_SKIPPED = 20


@dataclass
class Incidents:
    """Retry the command a failed case recorded (held by :class:`engine.cases.runner.CaseService`)."""

    steps: CaseSteps
    links: CaseLinks

    def timer_failed(self, case_id: int, cause: Exception, actor: Actor = SYSTEM) -> bool:
        """A due timer of the case could not fire: record an incident, once (False: nothing to record)."""
        return record_timer_failure(self.steps, case_id, cause, actor)

    def retry(self, actor: Actor, case_id: int, view: View | None = None,
              skip_failed_children: str | None = None) -> Any:
        """Re-run the command that failed (admin only), on the last good state.

        ``skip_failed_children`` (a reason): for a parent whose planned children could not start
        (``child_starts``), drop them instead of starting them again — the way on when they never
        will (a unit that no longer exists), other than cancelling the parent and every started child.
        The rows stay, marked skipped; ``child_starts_skipped`` on the parent's chain names them and
        the reason; the parent then hears its children once the started ones have ended."""
        if not actor.is_any("admin"):
            raise Forbidden("only an admin may retry a failed case")
        if skip_failed_children is not None and not 0 < len(skip_failed_children.strip()) <= MAX_REASON:
            raise Invalid(f"a reason of 1 to {MAX_REASON} characters is required to skip child cases",
                          {"reason": [f"1 to {MAX_REASON} characters"]})
        steps = self.steps
        failure: Exception | None = None
        with steps.store.command() as conn:
            case = steps.lock(conn, case_id)
            if case.status != "error" or not case.incident:
                raise Conflict(f"case {case_id} is {case.status}, not in error", code="case_not_in_error")
            command = dict(case.incident.get("command") or {"type": "run"})
            if skip_failed_children is not None and command["type"] != "child_starts":
                raise Conflict(f"case {case_id}'s incident is not of child cases that could not start",
                               code="no_failed_children")
            # a substitute's failed completion, retried: every chain of the step still says for whom it was done
            with audit.step_on_behalf_of(command.get("on_behalf_of") if command["type"] == "complete" else None):
                loaded = steps.load(conn, case)
                loaded.chain.add("case_retried", actor.username, data={"incident": case.incident},
                                 from_status="error", to_status="running")
                case.status = "running"
                try:
                    if command["type"] in ("message", "signal"):  # a delivery from outside or a child's end
                        kind = command["type"]
                        definition = event_definition(loaded, command[kind], kind)
                        catch(loaded, definition, command[kind], command["payload"])
                        steps.advance(loaded)
                    elif command["type"] == "complete":
                        form_key = conn.execute(select(TASK.c.form_key).where(TASK.c.id == command["task_id"])).scalar()
                        command["data"] = steps.validate(conn, form_key, command["data"], case.id, command["task_id"])
                        steps.run_task(loaded, command["task_id"], command["data"])
                    elif command["type"] == "child_starts" and skip_failed_children is not None:
                        _skip(conn, loaded, actor, skip_failed_children.strip())
                    elif command["type"] == "child_starts":  # planned children that could not start
                        child_plans.retry_failed(conn, case_id)  # started again once this commits
                    elif command["type"] == "children_finished":  # asked again below, once running again
                        pass
                    elif command["type"] != "timers":  # a timer is left due, for the executor to fire
                        steps.advance(loaded)
                except EngineError:
                    raise
                except Exception as err:  # noqa: BLE001
                    failure = err
                    steps.mark_failed(conn, loaded, actor, err, command)
                else:
                    case.incident = None
                    if command["type"] == "complete":
                        on_behalf = Actor(user_id=command["user_id"], username=command["username"])
                        element_id = loaded.workflow.get_task_from_id(UUID(command["task_id"])).task_spec.bpmn_id
                        failure = steps.save_or_fail(conn, loaded, actor, command, lambda: steps.finish_task(
                            conn, loaded, command["task_id"], element_id, on_behalf, command["data"],
                            retried_by=actor.username))
                    elif command["type"] == "children_finished":
                        case, failure = self._hear_children(conn, actor, loaded)
                    else:
                        failure = steps.save_or_fail(conn, loaded, actor, command, lambda: steps.save(conn, loaded, actor))
                    if failure is None and command["type"] != "children_finished":
                        case, failure = self._children_ended_meanwhile(conn, actor, case)
                    if view and failure is None:
                        return view(conn, case)
        if failure is not None:
            raise case_failed(case_id, failure, loaded)
        return case_id

    def _children_ended_meanwhile(self, conn: Connection, actor: Actor, case: CaseRecord
                                  ) -> tuple[CaseRecord, Exception | None]:
        """A parent running again after its retry may have missed its children's end: they ended
        while it was in error, when a child's end tells it nothing (:meth:`CaseLinks.child_finished`),
        and none ends again. So it is asked once more, as the last child's end did; one that heard
        them before its incident no longer waits for their message and is left as it is. Its hook
        refusing or failing then undoes only the hearing: what the retry did stays (an admin's skip of
        children that could not start, say), and the parent becomes a ``children_finished`` incident,
        as when a batch meets it (:func:`engine.cases.child_batches.hear_or_incident`)."""
        if case.status != "running":
            return case, None
        heard, failure = hear_or_incident(self.steps, conn, actor, case.id, lambda: self.links.child_finished(
            conn, actor, case.id, asked_again=True))
        if failure is not None:
            return heard.case, failure  # the parent as marked failed, not read again
        return self._heard(heard, case)

    @staticmethod
    def _heard(heard: Loaded | None, case: CaseRecord) -> tuple[CaseRecord, Exception | None]:
        """The parent as it is after being told of its children, and its step's failure if it failed."""
        if heard is None:
            return case, None
        failed = heard.case.status == "error" and heard.case.incident
        return heard.case, (Exception(heard.case.incident["message"]) if failed else None)

    def _hear_children(self, conn: Connection, actor: Actor, loaded: Loaded) -> tuple[CaseRecord, Exception | None]:
        """The retry of a parent that could not hear its ended children (``children_finished``, written
        by :mod:`engine.cases.child_batches`): running again, it asks for their message once more, as
        their end did; a refusal now is the admin's answer (the incident stays). Returns the case as
        it is after, and the engine's failure if its step failed again."""
        steps = self.steps
        steps.write_case(conn, loaded.case, loaded.chain, actor, loaded.old_version)
        return self._heard(steps.child_ended(conn, actor, loaded.case.id), loaded.case)


def _skip(conn: Connection, loaded: Loaded, actor: Actor, reason: str) -> None:
    """Drop the parent's children that could not start, and say which and why on its chain."""
    rows = child_plans.skip_failed(conn, loaded.case.id, actor)
    loaded.chain.add("child_starts_skipped", actor.username, data={
        "count": len(rows), "reason": reason,
        "children": [{"seq": row.seq, "process": row.process_key, "business_key": row.business_key,
                      "message": row.error} for row in rows[:SHOWN_SKIPPED]]})
