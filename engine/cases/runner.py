"""The case runner: every command on a case is one database transaction.

1. lock the case row; 2. restore the workflow on its pinned spec, with the
sandboxed script engine re-attached; 3. check the actor may do this;
4. apply the command and run the engine; 5. save the state with an UPDATE that
matches the old ``version`` (a lost race changes nothing and answers 409),
refresh the task projection, append the events; 6. commit. Any exception
before the commit rolls everything back. A failure inside the engine (a
script, a gateway, a rule) instead commits only an incident on the last good
state, with the command kept so an admin can retry it. A case whose stored
state cannot be loaded at all becomes an incident too, written after the
command rolled back (:func:`unloadable_is_an_incident`); cancel needs no
workflow, so an admin can always end it.

:class:`CaseService` is the one object callers hold. The commands on one case
(start, complete, fire timers, claim, release) are here; the steps inside their
transactions are :class:`engine.cases.steps.CaseSteps`; the commands that reach
other cases (cancel with children, messages, parents hearing from children) are
:class:`engine.cases.case_links.CaseLinks`; the admin's retry of an incident is
:class:`engine.cases.incidents.Incidents`. The service builds all three around one
store and one set of caches, and answers for them.

The hot path uses SQLAlchemy Core on one connection: a handful of prebuilt
statements per command (:mod:`engine.cases.statements`), no ORM session or
unit-of-work bookkeeping.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Callable, TypeVar

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from engine.audit import events as audit
from engine.cases import delegation, notifications
from engine.cases import statements as sql
from engine.cases.case_links import CaseLinks
from engine.cases.child_batches import ChildBatches, starts_planned_children
from engine.cases.incidents import Incidents
from engine.cases.message_routing import MessageRouter
from engine.cases.records import CaseRecord, Loaded, TaskRow, View
from engine.cases.reminders import Reminders
from engine.cases.statements import TASK
from engine.cases.steps import CaseSteps, EventsWritten, FileBinder, FormValidator, case_failed, no_files, no_listener
from engine.cases.workflow_cache import WorkflowCache
from engine.cases.worklist import case_roles
from engine.definitions import state
from engine.definitions.state import UnloadableState
from engine.definitions.versions import SpecCache
from engine.errors import CaseFailed, Conflict, EngineError, Forbidden, Invalid, NotFound
from engine.people.actors import SYSTEM, Actor, actor_for
from engine.people.substitutes import active_params
from engine.policy import ProcessPolicy
from engine.store.database import Store
from engine.store.models import User
from engine.time import clock, timers

Command = TypeVar("Command", bound=Callable[..., Any])
USER = User.__table__


def unloadable_is_an_incident(command: Command) -> Command:
    """A command that met a case whose stored state cannot be loaded records that as the case's
    incident, in a transaction of its own after the command's rolled back, and answers the error
    (422 ``case_state_unloadable``): the case is then in error, for an admin to cancel, instead
    of failing the same way on every request."""

    @wraps(command)
    def run(self: "CaseService", *args: Any, **kwargs: Any) -> Any:
        try:
            return command(self, *args, **kwargs)
        except UnloadableState as err:
            actor = kwargs.get("actor") or next((a for a in args if isinstance(a, Actor)), SYSTEM)
            raise self.steps.record_unloadable(err, actor)

    return run  # type: ignore[return-value]


@dataclass
class CaseService:
    """Every command on cases, each one transaction; built once per process around one store."""

    store: Store
    policy_for: Callable[[str], ProcessPolicy]
    validate_form: FormValidator
    specs: SpecCache = field(default_factory=SpecCache)
    workflows: WorkflowCache = field(default_factory=WorkflowCache)
    #: The files a form names, bound to those uploaded for the task (see ``CaseSteps.validate``).
    bind_files: FileBinder = no_files
    #: Told each step's events in its transaction (the e-mail outbox; see ``CaseSteps.write_case``).
    events_written: EventsWritten = no_listener
    steps: CaseSteps = field(init=False, repr=False)
    links: CaseLinks = field(init=False, repr=False)
    incidents: Incidents = field(init=False, repr=False)
    #: Reminders people send by hand (:mod:`engine.cases.reminders`).
    reminders: Reminders = field(init=False, repr=False)
    #: Messages and signals from outside (:mod:`engine.cases.message_routing`).
    messages: MessageRouter = field(init=False, repr=False)
    #: Child cases a step planned, started after it in batches (:mod:`engine.cases.child_batches`).
    child_batches: ChildBatches = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # The steps exist before the links that use them, so a step reaches the links' parent
        # check through this service's ``_child_finished``, looked up when a child ends.
        def child_ended(conn: Connection, actor: Actor, parent_id: int) -> Loaded | None:
            return self._child_finished(conn, actor, parent_id)

        self.steps = CaseSteps(self.store, self.policy_for, self.validate_form, self.specs, self.workflows,
                               child_ended, self.bind_files, self.events_written)
        self.links = CaseLinks(self.steps)
        self.incidents = Incidents(self.steps, self.links)
        self.reminders = Reminders(self.steps)
        self.child_batches = ChildBatches(self.steps)
        self.messages = MessageRouter(self.steps, self.links, self.child_batches)

    def script_engine(self, process_key: str) -> Any:
        """The sandboxed script engine of a process (replay runs its cases on the same one)."""
        return self.steps.script_engine(process_key)

    # ---------------------------------------------------------------- commands
    @starts_planned_children
    @unloadable_is_an_incident
    def start(self, actor: Actor, process_key: str, data: Any, business_key: str | None = None,
              view: View | None = None) -> Any:
        """Start a case of the latest version; returns ``view(conn, case)`` or the case id."""
        with self.store.command() as conn:
            case, loaded, failure = self.steps.start_in(conn, actor, process_key, data, business_key)
            if failure is None:
                result = view(conn, case) if view else case.id
        if failure is not None:
            raise case_failed(case.id, failure, loaded)
        self.workflows.put(case.id, case.version, loaded.workflow)  # committed: reusable by the next command
        return result

    @starts_planned_children
    @unloadable_is_an_incident
    def complete(self, actor: Actor, task_id: str, data: Any, view: View | None = None) -> Any:
        """Complete a ready task with form-validated ``data`` and step the case."""
        steps = self.steps
        failure: Exception | None = None
        with self.store.command() as conn:
            row, case, absent = self._task_for_command(conn, actor, task_id)
            # every chain the step opens, in this case or another, says for whom it was done
            with audit.step_on_behalf_of(absent.username if absent else None):
                if case.status != "running":
                    raise Conflict(f"case {case.id} is {case.status}", code="case_not_running")
                clean = steps.validate(conn, row.form_key, data, case.id, task_id)
                policy = self.policy_for(case.process_key)
                command = {"type": "complete", "task_id": task_id, "data": clean,  # what a retry re-runs
                           "user_id": actor.user_id, "username": actor.username,
                           **({"on_behalf_of": absent.username} if absent else {})}
                loaded = steps.load(conn, case)
                if _has_task_rule(policy):
                    _check_task(conn, policy, row.element_id, case, loaded.workflow, task_id, clean, absent or actor)
                try:
                    steps.run_task(loaded, task_id, clean)
                except EngineError:
                    raise
                except Exception as err:  # noqa: BLE001
                    failure = err
                    steps.mark_failed(conn, loaded, actor, err, command)
                else:
                    failure = steps.save_or_fail(conn, loaded, actor, command, lambda: steps.finish_task(
                        conn, loaded, task_id, row.element_id, actor, clean))
                    if failure is None:
                        result = view(conn, case) if view else case.id
        if failure is not None:
            raise case_failed(case.id, failure, loaded)
        self.workflows.put(case.id, case.version, loaded.workflow)
        return result

    def check(self, actor: Actor, task_id: str, data: Any) -> dict[str, Any]:
        """Everything :meth:`complete` checks before it runs the task — the actor, the form, the
        files named, the process's own completion check — and nothing written: a page shows a sheet
        back for review before the irreversible completion, which checks it all again. Returns the
        form-validated data."""
        with self.store.read() as session:
            conn = session.connection()
            row, case, absent = self._task_for_command(conn, actor, task_id)
            if case.status != "running":
                raise Conflict(f"case {case.id} is {case.status}", code="case_not_running")
            clean = self.steps.validate(conn, row.form_key, data, case.id, task_id)
            policy = self.policy_for(case.process_key)
            if _has_task_rule(policy):  # loaded only for a rule to read
                loaded = self.steps.load(conn, case)
                _check_task(conn, policy, row.element_id, case, loaded.workflow, task_id, clean, absent or actor)
                self.workflows.put(case.id, case.version, loaded.workflow)  # unchanged: still this version's
            session.rollback()
        return clean

    @starts_planned_children
    @unloadable_is_an_incident
    def fire_timers(self, case_id: int, actor: Actor = SYSTEM) -> list[str]:
        """Fire the case's timers that are due on the clock; returns the element ids that fired
        (an element once per instance of it that fired).

        A case with nothing due is left untouched, so calling this twice, or from
        two processes, fires each timer once.
        """
        steps = self.steps
        failure: Exception | None = None
        fired: list[str] = []
        with self.store.command() as conn:
            case = steps.lock(conn, case_id)
            conn.execute(sql.RELEASE_CLAIM, {"case_id": case_id})
            now = clock.now()
            if case.status != "running" or case.next_timer_at is None or case.next_timer_at >= now:
                return []
            loaded = steps.load(conn, case)
            due = [timer for timer in timers.waiting_timer_tasks(loaded.workflow) if timer.due < now]
            try:
                loaded.workflow.refresh_timers()
                steps.advance(loaded)
            except EngineError:
                raise
            except Exception as err:  # noqa: BLE001
                failure = err
                steps.mark_failed(conn, loaded, actor, err, {"type": "run"})
            else:
                went_off = timers.went_off(due, timers.waiting_timer_tasks(loaded.workflow))
                for timer in went_off:
                    loaded.chain.add("timer_fired", actor.username,
                                     data={"element_id": timer.element_id, "due_at": timer.due, "fired_at": now})
                notifications.timers_fired(conn, loaded, went_off, actor)
                failure = steps.save_or_fail(conn, loaded, actor, {"type": "run"}, lambda: steps.save(conn, loaded, actor))
                fired = [timer.element_id for timer in went_off] if failure is None else []
        if failure is not None:
            raise case_failed(case_id, failure, loaded)
        self.workflows.put(case_id, case.version, loaded.workflow)
        return fired

    def due_cases(self, limit: int = 100) -> list[int]:
        """Running cases with a timer due now, earliest first."""
        with self.store.read() as session:
            return list(session.execute(sql.DUE_CASES, {"now": clock.now(), "limit": limit}).scalars())

    def fire_due(self, limit: int = 100) -> dict[int, list[str]]:
        """Fire every due timer (tests and the timer executor); {case id: fired element ids}."""
        fired = {}
        for case_id in self.due_cases(limit):
            try:
                elements = self.fire_timers(case_id)
            except CaseFailed:
                continue  # recorded as an incident on the case
            if elements:
                fired[case_id] = elements
        return fired

    def claim(self, actor: Actor, task_id: str) -> None:
        self._set_claim(actor, task_id, claim=True)

    def release(self, actor: Actor, task_id: str) -> None:
        self._set_claim(actor, task_id, claim=False)

    def _set_claim(self, actor: Actor, task_id: str, claim: bool) -> None:
        steps = self.steps
        with self.store.command() as conn:
            row, case, absent = self._task_for_command(conn, actor, task_id)
            if case.status != "running":
                raise Conflict(f"case {case.id} is {case.status}", code="case_not_running")
            # A substitute claims for the absent person: when the substitution ends the claim is
            # theirs, and the substitute, who no longer stands in, loses it at once.
            target = (absent or actor).user_id if claim else None
            if row.claimed_by_id == target:
                return
            conn.execute(update(TASK).where(TASK.c.id == task_id).values(claimed_by_id=target))
            chain = steps.chain_of(conn, case, on_behalf_of=absent.username if absent else None)
            chain.add("task_claimed" if claim else "task_released", actor.username, task_id=task_id,
                      data={"element_id": row.element_id})
            old_version = case.version
            steps.write_case(conn, case, chain, actor, old_version)
        self.workflows.rekey(case.id, old_version, case.version)  # the workflow itself did not change

    def reassign(self, actor: Actor, task_id: str, to_username: str, reason: str) -> None:
        """Give an open task (claimed or not) to another of its candidates, with a reason: a
        ``task_reassigned`` event. Only the process's reassigners (``ProcessPolicy.may_reassign``:
        hr, a unit head for the tasks of their units); refused, changing nothing, without a reason,
        to someone the task's own rule does not admit, or to whoever holds it already."""
        reason = (reason or "").strip()
        if not reason:
            raise Invalid("a reason is required", {"reason": ["required"]}, code="reason_required")
        with self.store.command() as conn:
            found = conn.execute(sql.TASK_WITH_CASE if self.store.is_sqlite else sql.TASK_WITH_LOCKED_CASE,
                                 {"task_id": task_id}).first()
            if found is None:
                raise NotFound(f"task {task_id} not found")
            case = CaseRecord.from_row(found)
            row = TaskRow.from_prefixed(found)
            if not self.policy_for(case.process_key).may_reassign(actor, row.unit_path):
                self._visible_task_or_404(conn, actor, case, task_id)
                raise Forbidden("you may not reassign this task", code="may_not_reassign")
            if case.status != "running" or row.status != "ready":
                raise Conflict(f"task is already {row.status}", code="task_not_ready")
            target = conn.execute(select(USER).where(USER.c.username == to_username, USER.c.active.is_(True))).first()
            if target is None or not delegation.holder(conn, actor_for(conn, target), row, case.id):
                raise Invalid("not a candidate for this task", {"to": ["not a candidate for this task"]},
                              code="not_a_candidate")
            if row.claimed_by_id == target.id:
                raise Conflict("the task is already theirs", code="already_assigned")
            before = conn.execute(select(USER.c.username).where(USER.c.id == row.claimed_by_id)).scalar() \
                if row.claimed_by_id else None
            conn.execute(update(TASK).where(TASK.c.id == task_id).values(claimed_by_id=target.id))
            chain = self.steps.chain_of(conn, case)
            chain.add("task_reassigned", actor.username, task_id=task_id, data={
                "element_id": row.element_id, "from": before, "to": target.username, "reason": reason})
            old_version = case.version
            self.steps.write_case(conn, case, chain, actor, old_version)
        self.workflows.rekey(case.id, old_version, case.version)

    def _visible_task_or_404(self, conn: Connection, actor: Actor, case: CaseRecord, task_id: str) -> None:
        try:
            self.steps.visible_or_404(conn, actor, case)
        except NotFound:
            raise NotFound(f"task {task_id} not found") from None

    def _task_for_command(self, conn: Connection, actor: Actor, task_id: str
                          ) -> tuple[TaskRow, CaseRecord, Actor | None]:
        """The task and its case, the case row locked, in one statement; and the absent user the
        actor does it for as their substitute (None: their own task)."""
        # SQLite: BEGIN IMMEDIATE already holds the write lock.
        query = sql.TASK_FOR_COMMAND if self.store.is_sqlite else sql.TASK_FOR_LOCKED_COMMAND
        found = conn.execute(query, {"task_id": task_id, **active_params(actor.user_id)}).first()
        if found is None:
            raise NotFound(f"task {task_id} not found")
        case = CaseRecord.from_row(found)
        row = TaskRow.from_prefixed(found)
        doer = delegation.acts_for(conn, actor, row, case.id, self.policy_for(case.process_key),
                                   absentees=None if found.stands_in else [])
        if doer is None:
            self._visible_task_or_404(conn, actor, case, task_id)
            raise Forbidden("you are not a candidate for this task")
        absent = doer if doer.user_id != actor.user_id else None
        if row.status != "ready":
            raise Conflict(f"task is already {row.status}", code="task_not_ready")
        if row.claimed_by_id not in (None, actor.user_id, absent.user_id if absent else None):
            raise Conflict("task is claimed by someone else", code="claimed_by_other")
        return row, case, absent

    # ------------------------------------------------------- across cases
    @unloadable_is_an_incident
    def cancel(self, actor: Actor, case_id: int, reason: str, view: View | None = None) -> Any:
        """Cancel a case and its open child cases (:meth:`CaseLinks.cancel`)."""
        return self.links.cancel(actor, case_id, reason, view)

    @starts_planned_children
    @unloadable_is_an_incident
    def deliver(self, actor: Actor, case_id: int, message: str, payload: dict[str, Any]) -> None:
        """Deliver a BPMN message to a case waiting for it (:meth:`CaseLinks.deliver`)."""
        self.links.deliver(actor, case_id, message, payload)

    @starts_planned_children
    @unloadable_is_an_incident
    def retry(self, actor: Actor, case_id: int, view: View | None = None) -> Any:
        """Re-run the command a case in error failed on (:meth:`Incidents.retry`)."""
        return self.incidents.retry(actor, case_id, view)

    @starts_planned_children
    @unloadable_is_an_incident
    def skip_failed_children(self, actor: Actor, case_id: int, reason: str, view: View | None = None) -> Any:
        """Drop a parent's planned children that could not start, and let it go on (:meth:`Incidents.retry`)."""
        return self.incidents.retry(actor, case_id, view, skip_failed_children=reason)

    def _child_finished(self, conn: Connection, actor: Actor, parent_id: int) -> Loaded | None:
        """A child case's step ended it: its parent may hear of it (:meth:`CaseLinks.child_finished`).

        The one door every step takes when its case ends with a parent, in the child's
        transaction, the child's row locked and written.
        """
        return self.links.child_finished(conn, actor, parent_id)


def _has_task_rule(policy: ProcessPolicy) -> bool:
    """Whether the process checks a completion beyond its form (else the roles query is skipped)."""
    return type(policy).check_completion is not ProcessPolicy.check_completion or \
        type(policy).check_task is not ProcessPolicy.check_task


def _check_task(conn: Connection, policy: ProcessPolicy, element_id: str, case: Any, workflow: Any, task_id: str,
                clean: dict[str, Any], owner: Actor) -> None:
    """The process's own rule for completing ``task_id`` with ``clean``, as :meth:`CaseService.complete`
    and :meth:`CaseService.check` both apply it; ``owner`` is who the task is done as (a substitute is
    checked as the one they stand in for)."""
    ready = state.find_task(workflow, task_id)
    policy.check_task(element_id, clean, dict(ready.data) if ready is not None else {}, case.data,
                      owner, case_roles(conn, owner, case.id))
