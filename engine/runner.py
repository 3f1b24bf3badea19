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
statements per command, no ORM session or unit-of-work bookkeeping.
"""
from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from engine import audit, clock, notifications, projection, state, timers
from engine.db import Store
from engine.definitions import SpecCache
from engine.errors import CaseFailed, Conflict, EngineError, Forbidden, Invalid, NotFound
from engine.models import Case, RoleGrant, Task
from engine.policy import ProcessPolicy, Step
from engine.sandbox import RESERVED_NAMES, make_script_engine
from engine.records import CaseRecord, Loaded, TaskRow
from engine.security import SYSTEM, Actor
from engine.workflow_cache import WorkflowCache
from engine.worklist import case_roles, is_participant, may_act

FormValidator = Callable[[str, Mapping[str, Any]], dict[str, Any]]
#: Called inside the command's transaction, after the step, to build the answer.
View = Callable[[Connection, "CaseRecord"], Any]
MAX_REASON = 2000
CASE, TASK, GRANT = Case.__table__, Task.__table__, RoleGrant.__table__


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


_SAVED = ("state", "data", "status", "incident", "event_seq", "last_event_hash", "updated_by", "updated_at",
          "ended_at", "next_timer_at")

# Hot statements are built once: building and hashing a statement costs more than running it.
_TASK_WITH_CASE = (select(*(c.label(f"t_{c.name}") for c in TASK.c), *CASE.c)
                   .join(CASE, CASE.c.id == TASK.c.case_id).where(TASK.c.id == bindparam("task_id")))
# PostgreSQL: lock the task row too, so a request that waited re-reads both rows as committed
# (with only the case locked, the task columns would be those of the statement's snapshot).
_TASK_WITH_LOCKED_CASE = _TASK_WITH_CASE.with_for_update(of=[CASE, TASK])
_SAVE_CASE = (update(CASE).where(CASE.c.id == bindparam("case_id"), CASE.c.version == bindparam("old_version"))
              .values(version=bindparam("new_version"), **{name: bindparam(name) for name in _SAVED}))
_COMPLETE_TASK = update(TASK).where(TASK.c.id == bindparam("task_id")).values(
    status="completed", completed_by_id=bindparam("user_id"), completed_at=bindparam("at"),
    claimed_by_id=bindparam("user_id"))
_READY_ROWS = select(TASK.c.id, TASK.c.element_id).where(TASK.c.case_id == bindparam("case_id"),
                                                         TASK.c.status == "ready")
_INSERT_TASKS = insert(TASK)
_DUE_CASES = (select(CASE.c.id).where(CASE.c.status == "running", CASE.c.next_timer_at < bindparam("now"))
              .order_by(CASE.c.next_timer_at).limit(bindparam("limit")))
_INSERT_CASE = insert(CASE)
#: A timer executor's claim on a case ends with the step that fires it (engine/scheduler.py).
_RELEASE_CLAIM = (update(CASE).where(CASE.c.id == bindparam("case_id"), CASE.c.timer_claimed_by.is_not(None))
                  .values(timer_claimed_by=None, timer_claimed_until=None))
_CHILDREN = (select(CASE.c.id, CASE.c.status, CASE.c.data).where(CASE.c.parent_case_id == bindparam("parent_id"))
             .order_by(CASE.c.id))
_OPEN_CHILDREN = (select(CASE.c.id).where(CASE.c.parent_case_id == bindparam("parent_id"),
                                          CASE.c.status.in_(("running", "error"))).order_by(CASE.c.id))
_ANY_OPEN_CHILD = _OPEN_CHILDREN.order_by(None).limit(1)


@dataclass
class CaseService:
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
        case_id = conn.execute(_INSERT_CASE, values).inserted_primary_key[0]
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

    def _start_child(self, conn: Connection, actor: Actor, parent_id: int, process_key: str, data: Any,
                     business_key: str | None, ended: list[int]) -> int:
        case, _, _ = self._start_in(conn, actor, process_key, data, business_key, parent_case_id=parent_id,
                                    ended=ended)
        return case.id

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
            conn.execute(_RELEASE_CLAIM, {"case_id": case_id})
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
            return list(session.execute(_DUE_CASES, {"now": clock.now(), "limit": limit}).scalars())

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
        for child_id in conn.execute(_OPEN_CHILDREN, {"parent_id": case_id}).scalars().all():
            self._lock_open_descendants(conn, child_id)
            self.store.lock_row(conn, CASE, child_id)

    def _cancel_in(self, conn: Connection, actor: Actor, case: CaseRecord, reason: str) -> None:
        """Cancel a locked case, its running child cases with it; tell its parent if it has one."""
        loaded = self._load(conn, case)
        loaded.workflow.cancel()
        for row in conn.execute(_READY_ROWS, {"case_id": case.id}):
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
        for child_id in conn.execute(_OPEN_CHILDREN, {"parent_id": case.id}).scalars().all():
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
        if parent.status != "running" or conn.execute(_ANY_OPEN_CHILD, {"parent_id": parent_id}).first():
            return None
        children = [dict(id=row.id, status=row.status, data=row.data)
                    for row in conn.execute(_CHILDREN, {"parent_id": parent_id})]
        answer = self.policy_for(parent.process_key).children_finished(children)
        if answer is None:
            return None
        return self._deliver_in(conn, actor, parent, answer[0], audit.jsonable(answer[1]))

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

    # ------------------------------------------------------------ internals
    def _task_for_command(self, conn: Connection, actor: Actor, task_id: str) -> tuple[TaskRow, CaseRecord]:
        """The task and its case, the case row locked, in one statement."""
        # SQLite: BEGIN IMMEDIATE already holds the write lock.
        query = _TASK_WITH_CASE if self.store.is_sqlite else _TASK_WITH_LOCKED_CASE
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
        conn.execute(_COMPLETE_TASK, {"task_id": task_id, "user_id": actor.user_id or None, "at": now})
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
        values = {name: getattr(case, name) for name in _SAVED}
        result = conn.execute(_SAVE_CASE, {"case_id": case.id, "old_version": old_version,
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

    def _hash(self, conn: Connection, case: CaseRecord) -> str:
        return self.specs.get(conn, case.definition_id).sha256


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
