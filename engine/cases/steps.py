"""What every command does inside its transaction: the steps of DESIGN.md's "One step of a case".

:class:`CaseSteps` locks and loads a case (its workflow restored on the pinned spec, the sandboxed
script engine re-attached), validates data, runs the engine, and saves the step: state and data,
the task projection, the process's ``after_step`` hook, the events, and an UPDATE that matches
the old ``version`` (a lost race changes nothing and answers 409). A failure inside the engine
is written instead as an incident on the last good state (:meth:`CaseSteps.mark_failed`), with
the command kept so an admin can retry it (:mod:`engine.cases.incidents`).

The commands themselves live in :class:`engine.cases.runner.CaseService`, which builds one
``CaseSteps`` and shares it with :class:`engine.cases.case_links.CaseLinks` and
:class:`engine.cases.incidents.Incidents`. A step may start child cases (the process asks for
them in ``after_step``) and, when its case ends, let the parent hear of it: the first is a
nested :meth:`CaseSteps.start_in`; the second is the ``child_ended`` callable the runner gives,
since hearing children (a message delivered to the parent) is the business of the case links.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.engine import Connection

from engine.audit import events as audit
from engine.cases import child_plans, delegation, projection
from engine.cases import statements as sql
from engine.cases.failures import Savepoint, case_failed, describe_failure  # noqa: F401 - imported from here
from engine.cases.records import CaseRecord, Loaded
from engine.cases.statements import CASE
from engine.cases.workflow_cache import WorkflowCache
from engine.cases.worklist import is_participant
from engine.definitions import state
from engine.definitions.sandbox import check_data_keys, make_script_engine
from engine.definitions.state import UnloadableState
from engine.definitions.versions import SpecCache
from engine.errors import Conflict, EngineError, Forbidden, Invalid, NotFound
from engine.people.actors import Actor
from engine.policy import ProcessPolicy, Step
from engine.store.database import Store
from engine.time import clock, timers

#: Validates start or task data against a form: the clean values, or :class:`Invalid`.
FormValidator = Callable[[str, Mapping[str, Any]], dict[str, Any]]
#: Told, in the same transaction, that a child of the parent case ``int`` has ended; returns
#: the parent's step when the parent was sent its message (see ``CaseLinks.child_finished``).
ChildEnded = Callable[[Connection, Actor, int], Loaded | None]
#: Turns the requests for files that validated data holds (a form's file fields) into references to
#: the files uploaded on case ``int`` for task ``str`` (both None for start data), inside the
#: command's transaction; :class:`Invalid` naming the fields whose file cannot be used. The engine
#: knows no forms, so the wiring gives it (``workflows.form_files.bind_files``).
FileBinder = Callable[[Connection, int | None, str | None, dict[str, Any]], dict[str, Any]]


#: Told a step's events just before they are written, in the step's transaction (the e-mail outbox,
#: ``engine.mail.OutboxStep``, turns new tasks, reminders and escalations into messages there).
EventsWritten = Callable[[Connection, CaseRecord, list[dict[str, Any]]], None]


def no_listener(conn: Connection, case: CaseRecord, events: list[dict[str, Any]]) -> None:
    """The listener of a service that sends no e-mail."""


def no_files(conn: Connection, case_id: int | None, task_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """The binder of a service whose forms ask for no files."""
    return data


@dataclass
class CaseSteps:
    """The one-case steps the commands are made of; the caches they share live here."""

    store: Store
    policy_for: Callable[[str], ProcessPolicy]
    validate_form: FormValidator
    specs: SpecCache
    workflows: WorkflowCache
    child_ended: ChildEnded
    bind_files: FileBinder = no_files
    events_written: EventsWritten = no_listener
    _engines: dict[str, Any] = field(default_factory=dict)

    # --------------------------------------------------------------- load and check
    def script_engine(self, process_key: str) -> Any:
        """The sandboxed script engine of a process, with its helpers (one per process key)."""
        engine = self._engines.get(process_key)
        if engine is None:
            engine = make_script_engine(self.policy_for(process_key).script_helpers())
            self._engines[process_key] = engine
        return engine

    def validate(self, conn: Connection, form_key: str | None, data: Any, case_id: int | None = None,
                 task_id: str | None = None) -> dict[str, Any]:
        """Form-validated data (any JSON object without a form), with no key the sandbox reserves,
        and the files it names bound to those uploaded on ``case_id`` for ``task_id``."""
        if not isinstance(data, dict):
            raise Invalid("data must be a JSON object", {"data": ["must be a JSON object"]})
        clean = self.validate_form(form_key, data) if form_key else dict(data)
        return self.bind_files(conn, case_id, task_id, check_data_keys(clean))

    def lock(self, conn: Connection, case_id: int) -> CaseRecord:
        row = self.store.lock_row(conn, CASE, case_id)
        if row is None:
            raise NotFound(f"case {case_id} not found")
        return CaseRecord.from_row(row)

    def load(self, conn: Connection, case: CaseRecord, tolerate_unloadable: bool = False) -> Loaded:
        """The case with its workflow: this process's cached copy if the row has not moved on.

        A stored state that cannot be restored raises :class:`UnloadableState` naming the case and
        the version read, for :meth:`record_unloadable` once this transaction has rolled back;
        ``tolerate_unloadable`` (cancel, which needs no workflow to end a case) gets a ``Loaded``
        whose ``workflow`` is None instead.
        """
        definition = self.specs.get(conn, case.definition_id)
        workflow = self.workflows.take(case.id, case.version)
        if workflow is None:
            try:
                workflow = state.load_workflow(definition.dialect, case.state, definition.spec,
                                               definition.subprocess_specs, self.script_engine(case.process_key))
            except UnloadableState as err:
                if not tolerate_unloadable:
                    err.case_id, err.version = case.id, case.version
                    raise
        chain = audit.Chain(case.id, case.event_seq, case.last_event_hash, definition.sha256)
        loaded = Loaded(case, definition, self.policy_for(case.process_key), workflow, chain, case.version)
        if workflow is not None:
            loaded.ready_before = frozenset(str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True))
        return loaded

    def record_unloadable(self, err: UnloadableState, actor: Actor) -> UnloadableState:
        """Make a running case whose state cannot be loaded an incident, in a transaction of its own.

        Called after the command that met it rolled back (its transaction held the row lock). The
        state is left as it is; the incident keeps the command ``run``, so once the cause is fixed
        an admin's retry runs the engine on, and cancel ends the case without loading it. Nothing
        is written when the row has moved on since it was read, or is not running: then the
        next command sees the case as it is. Returns the error, for the command to answer with.
        """
        if err.case_id is None or err.recorded:
            return err
        err.recorded = True
        with self.store.command() as conn:
            row = self.store.lock_row(conn, CASE, err.case_id)
            case = CaseRecord.from_row(row) if row is not None else None
            if case is not None and case.version == err.version and case.status == "running":
                case.status = "error"
                case.incident = audit.jsonable({"element_id": err.element_id, "message": err.message,
                                                "command": {"type": "run"}, "at": clock.now(),
                                                "actor": actor.username})
                chain = audit.Chain(case.id, case.event_seq, case.last_event_hash,
                                    self.definition_hash(conn, case))
                chain.add("case_failed", actor.username,
                          data={"element_id": err.element_id, "message": err.message, "command": "load"},
                          from_status="running", to_status="error")
                self.write_case(conn, case, chain, actor, case.version)
        reason = err.message
        err.message = f"case {err.case_id} cannot be loaded; it is in error for an admin to cancel: {reason}"
        err.args = (err.message,)
        err.details = {"case_id": err.case_id, "element_id": err.element_id, "message": reason}
        return err

    def visible_or_404(self, conn: Connection, actor: Actor, case: CaseRecord) -> None:
        """A case the actor may not see does not exist for them (a substitute sees it as
        :meth:`engine.cases.views` shows it: through someone they stand in for)."""
        policy = self.policy_for(case.process_key)
        if actor.is_any(*policy.readers) or is_participant(conn, actor, case) \
                or delegation.visible_through(conn, actor, case, policy):
            return
        raise NotFound(f"case {case.id} not found")

    def definition_hash(self, conn: Connection, case: CaseRecord) -> str:
        return self.specs.get(conn, case.definition_id).sha256

    def chain_of(self, conn: Connection, case: CaseRecord, on_behalf_of: str | None = None) -> audit.Chain:
        """The audit chain of a locked case, to append events that do not run its workflow (a claim, a
        note, a reminder), continuing from the case row's last event under its process's hash."""
        return audit.Chain(case.id, case.event_seq, case.last_event_hash, self.definition_hash(conn, case),
                           on_behalf_of=on_behalf_of)

    # ----------------------------------------------------------------- run the engine
    def start_in(self, conn: Connection, actor: Actor, process_key: str, data: Any, business_key: str | None,
                 parent_case_id: int | None = None, ended: list[int] | None = None,
                 ) -> tuple[CaseRecord, Loaded, Exception | None]:
        """Start a case inside ``conn``'s transaction; an engine failure is recorded, not raised.

        A child case (``parent_case_id``) is started by its parent's process, so its
        own ``may_start`` is not asked: processes meant only as children refuse everyone.
        Its parent is then in the middle of its own step: a child that ends at once notes
        itself in ``ended`` and the parent looks at its children once its step is written.
        """
        policy = self.policy_for(process_key)
        definition_id = self.specs.latest_id(conn, process_key)
        if definition_id is None:
            raise NotFound(f"unknown process '{process_key}'", {"process": ["not deployed"]})
        clean = self.validate(conn, policy.start_form, data)
        unit = projection.case_unit(conn, policy.case_unit(clean, actor), actor.unit_id)
        if parent_case_id is None and not policy.may_start(actor, unit.path if unit else None):
            raise Forbidden(f"you may not start a {process_key} case" + (f" for unit {unit.code}" if unit else ""))
        clean = policy.prepare_start(conn, clean, actor)
        definition = self.specs.get(conn, definition_id)
        workflow = state.new_workflow(definition.spec, definition.subprocess_specs, self.script_engine(process_key))
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(clean)
        now = clock.now()
        values = dict(definition_id=definition.id, process_key=process_key, business_key=business_key,
                      status="running", state=state.dump_workflow(definition.dialect, workflow),
                      data=audit.jsonable(clean), unit_id=unit.id if unit else None,
                      unit_path=unit.path if unit else None, version=1, next_timer_at=None, incident=None,
                      event_seq=0, last_event_hash=audit.GENESIS, created_by_id=actor.user_id or None,
                      created_by=actor.username, created_at=now, updated_by=actor.username,
                      updated_at=now, ended_at=None, parent_case_id=parent_case_id)
        case_id = conn.execute(sql.INSERT_CASE, values).inserted_primary_key[0]
        case = CaseRecord(id=case_id, **values)
        case.as_read = {name: values[name] for name in sql.SELDOM_CHANGED}
        case.ready_tasks = []
        chain = audit.Chain(case_id, 0, audit.GENESIS, definition.sha256)
        loaded = Loaded(case, definition, policy, workflow, chain, old_version=1)
        started = {"process": process_key, "version": definition.version, "business_key": business_key,
                   "unit": unit.code if unit else None, "data": clean}
        if parent_case_id is not None:
            started["parent_case_id"] = parent_case_id
        chain.add("case_started", actor.username, to_status="running", data=started)
        try:
            self.advance(loaded)
        except EngineError:
            raise
        except Exception as err:  # noqa: BLE001 - any engine failure becomes an incident
            self.mark_failed(conn, loaded, actor, err, {"type": "run"})
            return case, loaded, err
        failed = self.save_or_fail(conn, loaded, actor, {"type": "run"},
                                   lambda: self.save(conn, loaded, actor, ended=ended))
        return case, loaded, failed

    def run_task(self, loaded: Loaded, task_id: str, data: dict[str, Any]) -> None:
        """Complete a ready human task with ``data`` and run the engine on."""
        task = state.find_task(loaded.workflow, task_id)
        if task is None or task.state != TaskState.READY:
            raise Conflict("task is no longer ready", code="task_not_ready")
        loaded.completing = task_id
        task.data.update(data)
        task.run()
        self.advance(loaded)

    def advance(self, loaded: Loaded) -> None:
        """Run the engine, then serialize what will be stored (either may fail the step)."""
        loaded.workflow.do_engine_steps()
        self._serialize(loaded, loaded.workflow.get_tasks(state=TaskState.READY, manual=True))

    def _serialize(self, loaded: Loaded, ready: list) -> None:
        loaded.ready = ready
        loaded.saved = (state.dump_workflow(loaded.definition.dialect, loaded.workflow),
                        audit.jsonable(snapshot(loaded.workflow, ready)))

    # --------------------------------------------------------------------- write it
    def finish_task(self, conn: Connection, loaded: Loaded, task_id: str, element_id: str, actor: Actor,
                    data: dict[str, Any], retried_by: str | None = None) -> None:
        """Mark the task row completed by ``actor``, record it, and save the step."""
        now = clock.now()
        sql.COMPLETE_TASK.run(conn, {"task_id": task_id, "user_id": actor.user_id or None, "at": now})
        payload: dict[str, Any] = {"element_id": element_id, "data": data}
        if retried_by:
            payload["retried_by"] = retried_by
        loaded.chain.add("task_completed", actor.username, task_id=task_id, data=payload)
        self.save(conn, loaded, actor, completed=(element_id, data))

    def save(self, conn: Connection, loaded: Loaded, actor: Actor,
             completed: tuple[str, dict[str, Any]] | None = None, ended: list[int] | None = None) -> None:
        """Write the step; ``ended``: this case's parent is mid-step and hears of its end afterwards."""
        case, workflow = loaded.case, loaded.workflow
        if loaded.saved is None:
            self._serialize(loaded, workflow.get_tasks(state=TaskState.READY, manual=True))
        ready = loaded.ready
        case.state, case.data = loaded.saved  # type: ignore[misc]
        previous = case.status
        finished = has_ended(workflow)
        if finished:
            case.status, case.ended_at = loaded.policy.final_status(workflow.data or case.data), clock.now()
        case.next_timer_at = None if finished else timers.next_due(workflow)
        projection.sync_grants(conn, loaded, actor)
        projection.sync_tasks(conn, loaded, ready, actor, self.script_engine(loaded.case.process_key))
        children_ended: list[int] = []

        def start_child(key: str, data: Any, business_key: str | None = None) -> int:
            child, _, _ = self.start_in(conn, actor, key, data, business_key, parent_case_id=case.id,
                                        ended=children_ended)
            return child.id

        step = Step(db=conn, case_id=case.id, status=case.status, data=case.data, actor=actor,
                    completed_element=completed[0] if completed else None,
                    completed_data=completed[1] if completed else {}, finished=finished, events=loaded.chain,
                    start_case=start_child)
        loaded.policy.after_step(step)
        child_plans.record(conn, case.id, loaded.policy.planned_children(step), actor, loaded.chain)
        if finished:
            loaded.chain.add("case_completed", actor.username, data={"outcome": case.status},
                             from_status=previous, to_status=case.status)
        self.write_case(conn, case, loaded.chain, actor, loaded.old_version)
        heard = self.child_ended(conn, actor, case.id) if children_ended else None  # step written: hear them
        if heard is not None:  # answer with, and cache after the commit, the case as it is now
            vars(case).update(vars(heard.case))
            if heard.case.status != "error":  # (a failed delivery kept the state this step wrote)
                loaded.workflow = heard.workflow
        if finished and case.parent_case_id is not None:
            if ended is not None:
                ended.append(case.id)
            else:
                self.child_ended(conn, actor, case.parent_case_id)

    def write_case(self, conn: Connection, case: CaseRecord, chain: audit.Chain, actor: Actor,
                   old_version: int) -> None:
        """Append the events and save the case if nobody changed it since we read it."""
        case.event_seq, case.last_event_hash = chain.seq, chain.head
        case.updated_by, case.updated_at = actor.username, clock.now()
        case.version = old_version + 1
        read = case.as_read or {}
        columns = tuple(name for name in sql.SAVED
                        if name not in sql.SELDOM_CHANGED or name not in read or read[name] != getattr(case, name))
        values = {name: getattr(case, name) for name in columns}
        matched = sql.save_case(columns).run(conn, {"case_id": case.id, "old_version": old_version,
                                                    "new_version": case.version, **values})
        if matched != 1:
            raise Conflict(f"case {case.id} was changed by another request; reload and retry", code="stale_case")
        case.as_read = {name: getattr(case, name) for name in sql.SELDOM_CHANGED}  # what the row holds now
        if chain.pending:
            self.events_written(conn, case, chain.pending)
        chain.write(conn)

    def save_or_fail(self, conn: Connection, loaded: Loaded, actor: Actor, command: dict[str, Any],
                     write: Callable[[], None]) -> Exception | None:
        """Run ``write`` (the step's save) in a savepoint; what SpiffWorkflow raises in it becomes the
        case's incident (returned), never an answer of 500.

        Writing a step still asks the engine: due-date expressions are evaluated, task lookups and
        timers read the tree. A failure there rolls back to the savepoint, the case record and its
        chain go back to what they were before ``write``, and :meth:`mark_failed` records the
        incident on the last good state, with ``command`` to retry. Other errors go up unchanged
        (an :class:`EngineError` is an answer; a database error rolls the command back)."""
        case_before = dict(vars(loaded.case))
        chain_before = (loaded.chain.seq, loaded.chain.head, list(loaded.chain.pending))
        savepoint = Savepoint(conn)
        try:
            write()
        except SpiffWorkflowException as err:
            savepoint.rollback()
            vars(loaded.case).update(case_before)
            loaded.chain.seq, loaded.chain.head, loaded.chain.pending = chain_before
            self.mark_failed(conn, loaded, actor, err, command)
            return err
        savepoint.release()
        return None

    def mark_failed(self, conn: Connection, loaded: Loaded, actor: Actor, err: Exception,
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
        self.write_case(conn, case, loaded.chain, actor, loaded.old_version)


def has_ended(workflow: BpmnWorkflow) -> bool:
    """Whether no task of the workflow is left to run.

    SpiffWorkflow sets ``workflow.completed`` only when an end event is reached; a case whose
    last path simply stops (a flow without an end event, a cancelled transaction) has nothing
    left to do but keeps ``completed`` False, and would stay ``running`` forever.
    ``is_completed()`` looks at the task tree instead. When no end event ran, ``workflow.data``
    is empty: callers fall back on the case data (see :meth:`CaseSteps.save`)."""
    return workflow.is_completed()


def snapshot(workflow: BpmnWorkflow, ready: list) -> dict[str, Any]:
    """The case data a step stores: the last task's data, the ready tasks' and the workflow's."""
    data: dict[str, Any] = {}
    if workflow.last_task is not None:
        data.update(workflow.last_task.data)
    for task in ready:
        data.update(task.data)
    data.update(workflow.data)
    return data
