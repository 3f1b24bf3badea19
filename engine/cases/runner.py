"""The case runner: every command on a case is one database transaction.

1. lock the case row; 2. restore the workflow on its pinned spec, with the
sandboxed script engine re-attached; 3. check the actor may do this;
4. apply the command and run the engine; 5. save the state with an UPDATE that
matches the old ``version`` (a lost race changes nothing and answers 409),
refresh the task projection, append the events; 6. commit. Any exception
before the commit rolls everything back. A failure inside the engine (a
script, a gateway, a rule) instead commits only an incident on the last good
state, with the command kept so an admin can retry it.

The hot path uses SQLAlchemy Core on one connection: a handful of prebuilt
statements per command (:mod:`engine.cases.statements`), no ORM session or
unit-of-work bookkeeping. Commands that reach beyond one case (cancel with its
children, messages, parents hearing from children) are in
:mod:`engine.cases.case_links`; incidents and the admin's retry in
:mod:`engine.cases.incidents`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update
from sqlalchemy.engine import Connection

from engine.audit import events as audit
from engine.time import clock
from engine.cases import notifications
from engine.cases import projection
from engine.definitions import state
from engine.time import timers
from engine.cases import statements as sql
from engine.cases.case_links import CaseLinks
from engine.store.database import Store
from engine.definitions.versions import SpecCache
from engine.errors import CaseFailed, Conflict, EngineError, Forbidden, Invalid, NotFound
from engine.policy import ProcessPolicy, Step
from engine.cases.incidents import Incidents
from engine.definitions.sandbox import check_data_keys, make_script_engine
from engine.cases.records import CaseRecord, Loaded, TaskRow, View
from engine.cases.statements import CASE, TASK
from engine.people.actors import SYSTEM, Actor
from engine.cases.workflow_cache import WorkflowCache
from engine.cases.worklist import case_roles, is_participant, may_act

FormValidator = Callable[[str, Mapping[str, Any]], dict[str, Any]]


@dataclass
class CaseService(CaseLinks, Incidents):
    store: Store
    policy_for: Callable[[str], ProcessPolicy]
    validate_form: FormValidator
    specs: SpecCache = field(default_factory=SpecCache)
    workflows: WorkflowCache = field(default_factory=WorkflowCache)
    _engines: dict[str, Any] = field(default_factory=dict)

    # ----------------------------------------------------------------- helpers
    def script_engine(self, process_key: str) -> Any:
        engine = self._engines.get(process_key)
        if engine is None:
            engine = make_script_engine(self.policy_for(process_key).script_helpers())
            self._engines[process_key] = engine
        return engine

    def _validate(self, form_key: str | None, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise Invalid("data must be a JSON object", {"data": ["must be a JSON object"]})
        clean = self.validate_form(form_key, data) if form_key else dict(data)
        return check_data_keys(clean)

    def _lock(self, conn: Connection, case_id: int) -> CaseRecord:
        row = self.store.lock_row(conn, CASE, case_id)
        if row is None:
            raise NotFound(f"case {case_id} not found")
        return CaseRecord.from_row(row)

    def _load(self, conn: Connection, case: CaseRecord) -> Loaded:
        definition = self.specs.get(conn, case.definition_id)
        workflow = self.workflows.take(case.id, case.version) or state.load_workflow(
            definition.dialect, case.state, definition.spec, definition.subprocess_specs,
            self.script_engine(case.process_key))
        chain = audit.Chain(case.id, case.event_seq, case.last_event_hash, definition.sha256)
        loaded = Loaded(case, definition, self.policy_for(case.process_key), workflow, chain, case.version)
        loaded.ready_before = frozenset(str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True))
        return loaded

    def _visible_or_404(self, conn: Connection, actor: Actor, case: CaseRecord) -> None:
        policy = self.policy_for(case.process_key)
        if actor.is_any(*policy.readers) or is_participant(conn, actor, case):
            return
        raise NotFound(f"case {case.id} not found")

    # ---------------------------------------------------------------- commands
    def start(self, actor: Actor, process_key: str, data: Any, business_key: str | None = None,
              view: View | None = None) -> Any:
        """Start a case of the latest version; returns ``view(conn, case)`` or the case id."""
        with self.store.command() as conn:
            case, loaded, failure = self._start_in(conn, actor, process_key, data, business_key)
            if failure is None:
                result = view(conn, case) if view else case.id
        if failure is not None:
            raise self._case_failed(case.id, failure, loaded)
        self.workflows.put(case.id, case.version, loaded.workflow)  # committed: reusable by the next command
        return result

    def _start_in(self, conn: Connection, actor: Actor, process_key: str, data: Any, business_key: str | None,
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
        clean = self._validate(policy.start_form, data)
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
        case.ready_tasks = []
        chain = audit.Chain(case_id, 0, audit.GENESIS, definition.sha256)
        loaded = Loaded(case, definition, policy, workflow, chain, old_version=1)
        started = {"process": process_key, "version": definition.version, "business_key": business_key,
                   "unit": unit.code if unit else None, "data": clean}
        if parent_case_id is not None:
            started["parent_case_id"] = parent_case_id
        chain.add("case_started", actor.username, to_status="running", data=started)
        try:
            self._advance(loaded)
        except EngineError:
            raise
        except Exception as err:  # noqa: BLE001 - any engine failure becomes an incident
            self._mark_failed(conn, loaded, actor, err, {"type": "run"})
            return case, loaded, err
        self._save(conn, loaded, actor, ended=ended)
        return case, loaded, None

    def complete(self, actor: Actor, task_id: str, data: Any, view: View | None = None) -> Any:
        """Complete a ready task with form-validated ``data`` and step the case."""
        failure: Exception | None = None
        with self.store.command() as conn:
            row, case = self._task_for_command(conn, actor, task_id)
            if case.status != "running":
                raise Conflict(f"case {case.id} is {case.status}", code="case_not_running")
            clean = self._validate(row.form_key, data)
            policy = self.policy_for(case.process_key)
            if type(policy).check_completion is not ProcessPolicy.check_completion:  # skip the roles query
                policy.check_completion(row.element_id, clean, case.data, actor, case_roles(conn, actor, case.id))
            loaded = self._load(conn, case)
            try:
                self._run_task(loaded, task_id, clean)
            except EngineError:
                raise
            except Exception as err:  # noqa: BLE001
                failure = err
                command = {"type": "complete", "task_id": task_id, "data": clean,
                           "user_id": actor.user_id, "username": actor.username}
                self._mark_failed(conn, loaded, actor, err, command)
            else:
                self._finish_task(conn, loaded, task_id, row.element_id, actor, clean)
                result = view(conn, case) if view else case.id
        if failure is not None:
            raise self._case_failed(case.id, failure, loaded)
        self.workflows.put(case.id, case.version, loaded.workflow)
        return result

    def fire_timers(self, case_id: int, actor: Actor = SYSTEM) -> list[str]:
        """Fire the case's timers that are due on the clock; returns the element ids that fired.

        A case with nothing due is left untouched, so calling this twice, or from
        two processes, fires each timer once.
        """
        failure: Exception | None = None
        fired: list[str] = []
        with self.store.command() as conn:
            case = self._lock(conn, case_id)
            conn.execute(sql.RELEASE_CLAIM, {"case_id": case_id})
            now = clock.now()
            if case.status != "running" or case.next_timer_at is None or case.next_timer_at >= now:
                return []
            loaded = self._load(conn, case)
            due = [(element, at) for element, at in timers.waiting_timers(loaded.workflow) if at < now]
            try:
                loaded.workflow.refresh_timers()
                self._advance(loaded)
            except EngineError:
                raise
            except Exception as err:  # noqa: BLE001
                failure = err
                self._mark_failed(conn, loaded, actor, err, {"type": "run"})
            else:
                still = {element for element, _ in timers.waiting_timers(loaded.workflow)}
                fired = [element for element, _ in due if element not in still]
                for element, at in due:
                    if element in fired:
                        loaded.chain.add("timer_fired", actor.username,
                                         data={"element_id": element, "due_at": at, "fired_at": now})
                notifications.timers_fired(conn, loaded, fired, actor)
                self._save(conn, loaded, actor)
        if failure is not None:
            raise self._case_failed(case_id, failure, loaded)
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
        with self.store.command() as conn:
            row, case = self._task_for_command(conn, actor, task_id)
            if case.status != "running":
                raise Conflict(f"case {case.id} is {case.status}", code="case_not_running")
            target = actor.user_id if claim else None
            if row.claimed_by_id == target:
                return
            conn.execute(update(TASK).where(TASK.c.id == task_id).values(claimed_by_id=target))
            chain = audit.Chain(case.id, case.event_seq, case.last_event_hash, self._hash(conn, case))
            chain.add("task_claimed" if claim else "task_released", actor.username, task_id=task_id,
                      data={"element_id": row.element_id})
            old_version = case.version
            self._write_case(conn, case, chain, actor, old_version)
        self.workflows.rekey(case.id, old_version, case.version)  # the workflow itself did not change

    def _task_for_command(self, conn: Connection, actor: Actor, task_id: str) -> tuple[TaskRow, CaseRecord]:
        """The task and its case, the case row locked, in one statement."""
        # SQLite: BEGIN IMMEDIATE already holds the write lock.
        query = sql.TASK_WITH_CASE if self.store.is_sqlite else sql.TASK_WITH_LOCKED_CASE
        found = conn.execute(query, {"task_id": task_id}).first()
        if found is None:
            raise NotFound(f"task {task_id} not found")
        case = CaseRecord.from_row(found)
        row = TaskRow(**{c.name: getattr(found, f"t_{c.name}") for c in TASK.c})
        if not (may_act(actor, row, frozenset()) or may_act(actor, row, case_roles(conn, actor, case.id))):
            try:
                self._visible_or_404(conn, actor, case)
            except NotFound:
                raise NotFound(f"task {task_id} not found") from None
            raise Forbidden("you are not a candidate for this task")
        if row.status != "ready":
            raise Conflict(f"task is already {row.status}", code="task_not_ready")
        if row.claimed_by_id not in (None, actor.user_id):
            raise Conflict("task is claimed by someone else", code="claimed_by_other")
        return row, case

    def _run_task(self, loaded: Loaded, task_id: str, data: dict[str, Any]) -> None:
        task = loaded.workflow.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY:
            raise Conflict("task is no longer ready", code="task_not_ready")
        loaded.completing = task_id
        task.data.update(data)
        task.run()
        self._advance(loaded)

    def _advance(self, loaded: Loaded) -> None:
        """Run the engine, then serialize what will be stored (either may fail the step)."""
        loaded.workflow.do_engine_steps()
        self._serialize(loaded, loaded.workflow.get_tasks(state=TaskState.READY, manual=True))

    def _finish_task(self, conn: Connection, loaded: Loaded, task_id: str, element_id: str, actor: Actor,
                     data: dict[str, Any], retried_by: str | None = None) -> None:
        now = clock.now()
        conn.execute(sql.COMPLETE_TASK, {"task_id": task_id, "user_id": actor.user_id or None, "at": now})
        payload: dict[str, Any] = {"element_id": element_id, "data": data}
        if retried_by:
            payload["retried_by"] = retried_by
        loaded.chain.add("task_completed", actor.username, task_id=task_id, data=payload)
        self._save(conn, loaded, actor, completed=(element_id, data))

    def _save(self, conn: Connection, loaded: Loaded, actor: Actor,
              completed: tuple[str, dict[str, Any]] | None = None, ended: list[int] | None = None) -> None:
        """Write the step; ``ended``: this case's parent is mid-step and hears of its end afterwards."""
        case, workflow = loaded.case, loaded.workflow
        if loaded.saved is None:
            self._serialize(loaded, workflow.get_tasks(state=TaskState.READY, manual=True))
        ready = loaded.ready
        case.state, case.data = loaded.saved  # type: ignore[misc]
        previous = case.status
        if workflow.completed:
            case.status, case.ended_at = loaded.policy.final_status(workflow.data), clock.now()
        case.next_timer_at = None if workflow.completed else timers.next_due(workflow)
        projection.sync_grants(conn, loaded, actor)
        projection.sync_tasks(conn, loaded, ready, actor, self.script_engine(loaded.case.process_key))
        children_ended: list[int] = []
        loaded.policy.after_step(Step(
            db=conn, case_id=case.id, status=case.status, data=case.data, actor=actor,
            completed_element=completed[0] if completed else None,
            completed_data=completed[1] if completed else {}, finished=workflow.completed, events=loaded.chain,
            start_case=lambda key, data, business_key=None: self._start_child(conn, actor, case.id, key, data,
                                                                              business_key, children_ended)))
        if workflow.completed:
            loaded.chain.add("case_completed", actor.username, data={"outcome": case.status},
                             from_status=previous, to_status=case.status)
        self._write_case(conn, case, loaded.chain, actor, loaded.old_version)
        heard = self._child_finished(conn, actor, case.id) if children_ended else None  # step written: hear them
        if heard is not None:  # answer with, and cache after the commit, the case as it is now
            vars(case).update(vars(heard.case))
            if heard.case.status != "error":  # (a failed delivery kept the state this step wrote)
                loaded.workflow = heard.workflow
        if workflow.completed and case.parent_case_id is not None:
            if ended is not None:
                ended.append(case.id)
            else:
                self._child_finished(conn, actor, case.parent_case_id)

    def _serialize(self, loaded: Loaded, ready: list) -> None:
        loaded.ready = ready
        loaded.saved = (state.dump_workflow(loaded.definition.dialect, loaded.workflow),
                        audit.jsonable(self._snapshot(loaded.workflow, ready)))

    def _write_case(self, conn: Connection, case: CaseRecord, chain: audit.Chain, actor: Actor,
                    old_version: int) -> None:
        """Append the events and save the case if nobody changed it since we read it."""
        case.event_seq, case.last_event_hash = chain.seq, chain.head
        case.updated_by, case.updated_at = actor.username, clock.now()
        case.version = old_version + 1
        values = {name: getattr(case, name) for name in sql.SAVED}
        result = conn.execute(sql.SAVE_CASE, {"case_id": case.id, "old_version": old_version,
                                           "new_version": case.version, **values})
        if result.rowcount != 1:
            raise Conflict(f"case {case.id} was changed by another request; reload and retry", code="stale_case")
        chain.write(conn)

    @staticmethod
    def _snapshot(workflow: BpmnWorkflow, ready: list) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if workflow.last_task is not None:
            data.update(workflow.last_task.data)
        for task in ready:
            data.update(task.data)
        data.update(workflow.data)
        return data

    def _hash(self, conn: Connection, case: CaseRecord) -> str:
        return self.specs.get(conn, case.definition_id).sha256

