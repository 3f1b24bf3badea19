"""The case runner: every command on a case is one database transaction.

1. lock the case row; 2. restore the workflow on its pinned spec, with the
sandboxed script engine re-attached; 3. check the actor may do this;
4. apply the command and run the engine; 5. save state (version-checked),
refresh the task projection, append events; 6. commit. Any exception before
the commit rolls everything back. A failure inside the engine (a script, a
gateway, a rule) instead commits only an incident on the last good state.
"""
from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import audit, clock, state
from engine.db import Store
from engine.definitions import LoadedDefinition, SpecCache
from engine.directory import get_unit
from engine.errors import CaseFailed, Conflict, EngineError, Forbidden, Invalid, NotFound
from engine.models import Case, RoleGrant, Task, Unit, User
from engine.policy import STARTER, ProcessPolicy
from engine.sandbox import RESERVED_NAMES, make_script_engine
from engine.security import Actor
from engine.worklist import case_roles, is_participant, may_act

FormValidator = Callable[[str, Mapping[str, Any]], dict[str, Any]]
#: Called inside the command's transaction, after the step, to build the answer.
View = Callable[[Session, Case], Any]
MAX_REASON = 2000


def check_data_keys(data: Any, field_name: str = "data") -> dict[str, Any]:
    """Free-form data lands in the script namespace: keys must be plain, public identifiers."""
    if not isinstance(data, dict):
        raise Invalid("data must be a JSON object", {field_name: ["must be a JSON object"]})
    bad = {}
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or keyword.iskeyword(key):
            bad[str(key)] = ["not a valid identifier"]
        elif key.startswith("_"):
            bad[key] = ["must not start with '_'"]
        elif key in RESERVED_NAMES:
            bad[key] = ["is a reserved name in the script sandbox"]
    if bad:
        raise Invalid("invalid data keys", {field_name: bad})
    return dict(data)


@dataclass
class Loaded:
    """One case in the middle of a command."""

    case: Case
    definition: LoadedDefinition
    policy: ProcessPolicy
    workflow: BpmnWorkflow


@dataclass
class CaseService:
    store: Store
    policy_for: Callable[[str], ProcessPolicy]
    validate_form: FormValidator
    specs: SpecCache = field(default_factory=SpecCache)
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

    def _lock(self, session: Session, case_id: int) -> Case:
        case = self.store.lock_row(session, Case, case_id)
        if case is None:
            raise NotFound(f"case {case_id} not found")
        return case  # type: ignore[return-value]

    def _load(self, session: Session, case: Case) -> Loaded:
        definition = self.specs.get(session, case.definition_id)
        workflow = state.load_workflow(definition.dialect, case.state, definition.spec,
                                       definition.subprocess_specs, self.script_engine(case.process_key))
        return Loaded(case, definition, self.policy_for(case.process_key), workflow)

    def _visible_or_404(self, session: Session, actor: Actor, case: Case) -> None:
        policy = self.policy_for(case.process_key)
        if actor.is_any(*policy.readers) or is_participant(session, actor, case):
            return
        raise NotFound(f"case {case.id} not found")

    # ---------------------------------------------------------------- commands
    def start(self, actor: Actor, process_key: str, data: Any, business_key: str | None = None,
              view: View | None = None) -> Any:
        """Start a case of the latest version; returns ``view(session, case)`` or the case id."""
        policy = self.policy_for(process_key)
        failure: Exception | None = None
        result: Any = None
        with self.store.transaction() as session, session.no_autoflush:
            definition_id = self.specs.latest_id(session, process_key)
            if definition_id is None:
                raise NotFound(f"unknown process '{process_key}'", {"process": ["not deployed"]})
            clean = self._validate(policy.start_form, data)
            definition = self.specs.get(session, definition_id)
            unit_code = policy.case_unit(clean, actor)
            unit = get_unit(session, unit_code) if unit_code else (
                session.get(Unit, actor.unit_id) if actor.unit_id else None)
            workflow = state.new_workflow(definition.spec, definition.subprocess_specs,
                                          self.script_engine(process_key))
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data.update(clean)
            now = clock.now()
            case = Case(definition_id=definition.id, process_key=process_key, business_key=business_key,
                        status="running", state=state.dump_workflow(definition.dialect, workflow), data=clean,
                        unit_id=unit.id if unit else None, unit_path=unit.path if unit else None,
                        created_by_id=actor.user_id or None, created_by=actor.username, created_at=now,
                        updated_by=actor.username, updated_at=now)
            session.add(case)
            session.flush()
            loaded = Loaded(case, definition, policy, workflow)
            audit.record(session, case, "case_started", actor.username, process_hash=definition.sha256,
                         data={"process": process_key, "version": definition.version,
                               "business_key": business_key, "unit": unit.code if unit else None,
                               "data": clean}, to_status="running")
            try:
                workflow.do_engine_steps()
            except EngineError:
                raise
            except Exception as err:  # noqa: BLE001 - any engine failure becomes an incident
                failure = err
                self._mark_failed(session, loaded, actor, err, {"type": "run"})
            else:
                self._save(session, loaded, actor)
                result = view(session, case) if view else case.id
            case_id = case.id
        if failure is not None:
            raise self._case_failed(case_id, failure)
        return result

    def complete(self, actor: Actor, task_id: str, data: Any, view: View | None = None) -> Any:
        """Complete a ready task with form-validated ``data`` and step the case."""
        failure: Exception | None = None
        result: Any = None
        with self.store.transaction() as session, session.no_autoflush:
            row, case = self._task_for_command(session, actor, task_id)
            if case.status != "running":
                raise Conflict(f"case {case.id} is {case.status}", code="case_not_running")
            clean = self._validate(row.form_key, data)
            loaded = self._load(session, case)
            try:
                self._run_task(loaded, task_id, clean)
            except EngineError:
                raise
            except Exception as err:  # noqa: BLE001
                failure = err
                command = {"type": "complete", "task_id": task_id, "data": clean,
                           "user_id": actor.user_id, "username": actor.username}
                self._mark_failed(session, loaded, actor, err, command)
            else:
                self._finish_task(session, loaded, row, actor, clean)
                result = view(session, case) if view else case.id
            case_id = case.id
        if failure is not None:
            raise self._case_failed(case_id, failure)
        return result

    def claim(self, actor: Actor, task_id: str) -> Task:
        with self.store.transaction() as session:
            row, case = self._task_for_command(session, actor, task_id)
            if row.claimed_by_id == actor.user_id:
                return row
            row.claimed_by_id = actor.user_id
            audit.record(session, case, "task_claimed", actor.username, task_id=row.id,
                         process_hash=self._hash(session, case), data={"element_id": row.element_id})
            self._touch(case, actor)
            return row

    def release(self, actor: Actor, task_id: str) -> Task:
        with self.store.transaction() as session:
            row, case = self._task_for_command(session, actor, task_id, for_release=True)
            if row.claimed_by_id is None:
                return row
            row.claimed_by_id = None
            audit.record(session, case, "task_released", actor.username, task_id=row.id,
                         process_hash=self._hash(session, case), data={"element_id": row.element_id})
            self._touch(case, actor)
            return row

    def cancel(self, actor: Actor, case_id: int, reason: str) -> None:
        reason = (reason or "").strip()
        if not reason:
            raise Invalid("a reason is required", {"reason": ["required"]})
        if len(reason) > MAX_REASON:
            raise Invalid("reason too long", {"reason": [f"at most {MAX_REASON} characters"]})
        with self.store.transaction() as session:
            case = self._lock(session, case_id)
            self._visible_or_404(session, actor, case)
            policy = self.policy_for(case.process_key)
            if not (case.created_by_id == actor.user_id or actor.is_any(*policy.cancellers)):
                raise Forbidden("only the starter or a process manager may cancel this case")
            if case.status not in ("running", "error"):
                raise Conflict(f"case {case_id} is already {case.status}", code="case_not_running")
            loaded = self._load(session, case)
            loaded.workflow.cancel()
            for row in self._ready_rows(session, case.id):
                row.status = "cancelled"
                audit.record(session, case, "task_cancelled", actor.username, task_id=row.id,
                             process_hash=loaded.definition.sha256, data={"element_id": row.element_id})
            previous = case.status
            case.state = state.dump_workflow(loaded.definition.dialect, loaded.workflow)
            case.status, case.ended_at, case.incident = "cancelled", clock.now(), None
            audit.record(session, case, "case_cancelled", actor.username, process_hash=loaded.definition.sha256,
                         data={"reason": reason}, from_status=previous, to_status="cancelled")
            self._touch(case, actor)

    def retry(self, actor: Actor, case_id: int) -> int:
        """Re-run the command that failed (admin only), on the last good state."""
        if not actor.is_any("admin"):
            raise Forbidden("only an admin may retry a failed case")
        failure: Exception | None = None
        with self.store.transaction() as session:
            case = self._lock(session, case_id)
            if case.status != "error" or not case.incident:
                raise Conflict(f"case {case_id} is {case.status}, not in error", code="case_not_in_error")
            command = dict(case.incident.get("command") or {"type": "run"})
            loaded = self._load(session, case)
            audit.record(session, case, "case_retried", actor.username, process_hash=loaded.definition.sha256,
                         data={"incident": case.incident}, from_status="error", to_status="running")
            try:
                if command["type"] == "complete":
                    self._run_task(loaded, command["task_id"], command["data"])
                else:
                    loaded.workflow.do_engine_steps()
            except EngineError:
                raise
            except Exception as err:  # noqa: BLE001
                failure = err
                self._mark_failed(session, loaded, actor, err, command)
            else:
                case.status, case.incident = "running", None
                if command["type"] == "complete":
                    row = session.get(Task, command["task_id"])
                    on_behalf = Actor(user_id=command["user_id"], username=command["username"])
                    self._finish_task(session, loaded, row, on_behalf, command["data"], retried_by=actor.username)
                else:
                    self._save(session, loaded, actor)
        if failure is not None:
            raise self._case_failed(case_id, failure)
        return case_id

    # ------------------------------------------------------------ internals
    def _task_for_command(self, session: Session, actor: Actor, task_id: str,
                          for_release: bool = False) -> tuple[Task, Case]:
        found = session.scalar(select(Task.case_id).where(Task.id == task_id))
        if found is None:
            raise NotFound(f"task {task_id} not found")
        case = self._lock(session, found)
        row = session.get(Task, task_id, populate_existing=True)
        assert row is not None
        if not (may_act(actor, row, frozenset()) or may_act(actor, row, case_roles(session, actor, case.id))):
            self._visible_or_404(session, actor, case)
            raise Forbidden("you are not a candidate for this task")
        if row.status != "ready":
            raise Conflict(f"task is already {row.status}", code="task_not_ready")
        if for_release:
            if row.claimed_by_id not in (None, actor.user_id):
                raise Conflict("task is claimed by someone else", code="claimed_by_other")
        elif row.claimed_by_id not in (None, actor.user_id):
            raise Conflict("task is claimed by someone else", code="claimed_by_other")
        return row, case

    def _run_task(self, loaded: Loaded, task_id: str, data: dict[str, Any]) -> None:
        from uuid import UUID

        task = loaded.workflow.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY:
            raise Conflict("task is no longer ready", code="task_not_ready")
        task.data.update(data)
        task.run()
        loaded.workflow.do_engine_steps()

    def _finish_task(self, session: Session, loaded: Loaded, row: Task, actor: Actor,
                     data: dict[str, Any], retried_by: str | None = None) -> None:
        now = clock.now()
        row.status, row.completed_by_id, row.completed_at = "completed", actor.user_id, now
        row.claimed_by_id = row.claimed_by_id or actor.user_id
        payload: dict[str, Any] = {"element_id": row.element_id, "data": data}
        if retried_by:
            payload["retried_by"] = retried_by
        audit.record(session, loaded.case, "task_completed", actor.username, task_id=row.id,
                     process_hash=loaded.definition.sha256, data=payload)
        self._save(session, loaded, actor)

    def _save(self, session: Session, loaded: Loaded, actor: Actor) -> None:
        case, workflow = loaded.case, loaded.workflow
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        case.state = state.dump_workflow(loaded.definition.dialect, workflow)
        case.data = audit.jsonable(self._snapshot(workflow, ready))
        previous = case.status
        if workflow.completed:
            case.status, case.ended_at = loaded.policy.final_status(workflow.data), clock.now()
        else:
            case.status = "running"
        self._sync_grants(session, loaded, actor)
        self._sync_tasks(session, loaded, ready, actor)
        if workflow.completed:
            audit.record(session, case, "case_completed", actor.username, process_hash=loaded.definition.sha256,
                         data={"outcome": case.status}, from_status=previous, to_status=case.status)
        self._touch(case, actor)
        try:
            session.flush()
        except StaleDataError:
            raise Conflict(f"case {case.id} was changed by another request; reload and retry",
                           code="stale_case") from None

    @staticmethod
    def _snapshot(workflow: BpmnWorkflow, ready: list) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if workflow.last_task is not None:
            data.update(workflow.last_task.data)
        for task in ready:
            data.update(task.data)
        data.update(workflow.data)
        return data

    def _ready_rows(self, session: Session, case_id: int) -> list[Task]:
        return list(session.scalars(select(Task).where(Task.case_id == case_id, Task.status == "ready")))

    def _sync_tasks(self, session: Session, loaded: Loaded, ready: list, actor: Actor) -> None:
        case = loaded.case
        # Rows changed in this transaction but not flushed yet still read "ready" in the database.
        rows = {row.id: row for row in self._ready_rows(session, case.id) if row.status == "ready"}
        ready_ids = {str(task.id) for task in ready}
        for row_id, row in rows.items():
            if row_id not in ready_ids:
                row.status = "cancelled"
                audit.record(session, case, "task_cancelled", actor.username, task_id=row_id,
                             process_hash=loaded.definition.sha256, data={"element_id": row.element_id})
        now = clock.now()
        for task in ready:
            task_id = str(task.id)
            if task_id in rows:
                continue
            spec = task.task_spec
            info = loaded.definition.human_tasks.get(spec.name)
            role = loaded.policy.lane_role(spec.lane)
            row = Task(id=task_id, case_id=case.id, process_key=case.process_key,
                       element_id=spec.bpmn_id or spec.name, name=spec.bpmn_name or spec.name,
                       form_key=info.form_key if info else None, lane=spec.lane,
                       role=None if role == STARTER else role, unit_path=case.unit_path,
                       candidate_user_id=case.created_by_id if role == STARTER else None,
                       status="ready", created_at=now)
            session.add(row)
            audit.record(session, case, "task_created", actor.username, task_id=task_id,
                         process_hash=loaded.definition.sha256,
                         data={"element_id": row.element_id, "name": row.name,
                               "role": row.role or STARTER})

    def _sync_grants(self, session: Session, loaded: Loaded, actor: Actor) -> None:
        wanted = loaded.policy.case_grants(loaded.case.data)
        if not wanted:
            return
        have = {(u, r) for u, r in session.execute(
            select(User.username, RoleGrant.role).join(User, User.id == RoleGrant.user_id)
            .where(RoleGrant.case_id == loaded.case.id))}
        for grant in wanted:
            if (grant.username, grant.role) in have:
                continue
            user = session.scalar(select(User).where(User.username == grant.username))
            if user is None:
                raise Invalid(f"unknown user '{grant.username}' for case role '{grant.role}'",
                              {grant.role: [f"unknown user '{grant.username}'"]})
            session.add(RoleGrant(user_id=user.id, role=grant.role, case_id=loaded.case.id,
                                  granted_at=clock.now(), granted_by=actor.username))
            have.add((grant.username, grant.role))
            audit.record(session, loaded.case, "role_granted", actor.username,
                         process_hash=loaded.definition.sha256,
                         data={"username": grant.username, "role": grant.role})

    def _mark_failed(self, session: Session, loaded: Loaded, actor: Actor, err: Exception,
                     command: dict[str, Any]) -> None:
        """Keep the last good state; record the incident and the command to retry."""
        case = loaded.case
        element_id, message = describe_failure(err)
        previous = case.status
        case.status = "error"
        case.incident = audit.jsonable({"element_id": element_id, "message": message, "command": command,
                                        "at": clock.now(), "actor": actor.username})
        audit.record(session, case, "case_failed", actor.username, process_hash=loaded.definition.sha256,
                     data={"element_id": element_id, "message": message, "command": command["type"]},
                     from_status=previous, to_status="error")
        self._touch(case, actor)

    def _case_failed(self, case_id: int, err: Exception) -> CaseFailed:
        element_id, message = describe_failure(err)
        return CaseFailed(f"case {case_id} failed at '{element_id}': {message}",
                          {"case_id": case_id, "element_id": element_id, "message": message})

    def _hash(self, session: Session, case: Case) -> str:
        return self.specs.get(session, case.definition_id).sha256

    @staticmethod
    def _touch(case: Case, actor: Actor) -> None:
        case.updated_by, case.updated_at = actor.username, clock.now()


def describe_failure(err: Exception) -> tuple[str, str]:
    """(element id, readable message) of an engine failure."""
    task = getattr(err, "task", None)
    spec = task.task_spec if task is not None else getattr(err, "task_spec", None)
    element_id = (getattr(spec, "bpmn_id", None) or getattr(spec, "name", "")) if spec is not None else ""
    inner = getattr(err, "error_type", None) or type(err).__name__
    message = str(err)
    notes = getattr(err, "notes", None) or []
    if notes:
        message += " (" + "; ".join(notes) + ")"
    if inner and inner not in message:
        message = f"{inner}: {message}"
    return element_id, message
