"""One case re-run in memory, deriving the events each recorded command should have appended.

It mirrors what :class:`engine.cases.steps.CaseSteps` does in a step — run the
engine, snapshot the data, grant case roles, project human tasks, complete the
case — on the pinned spec, with no database: the events it expects are
compared with the recorded ones by :mod:`engine.replay`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Mapping
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

from engine.audit import events as audit
from engine.time import clock
from engine.definitions import state
from engine.time import timers
from engine.definitions.versions import LoadedDefinition
from engine.errors import Invalid
from engine.policy import STARTER, ProcessPolicy
from engine.cases import migration, migration_plan
from engine.cases.messages import event_for, waiting_event
from engine.cases.steps import has_ended, snapshot
from engine.definitions.sandbox import check_data_keys

#: The events the engine itself appends; any other type was recorded by a process module's hook.
ENGINE_EVENTS = frozenset({"case_started", "task_completed", "timer_fired", "task_claimed", "task_released",
                           "case_cancelled", "case_failed", "case_retried", "message_received", "signal_received", "task_created",
                           "task_cancelled", "role_granted", "role_revoked", "case_completed", "task_reassigned",
                           "case_migrated"})


class ReplayError(Exception):
    """A recorded input the replayed case cannot take (the first divergence)."""

    def __init__(self, message: str, expected: Any = None, found: Any = None) -> None:
        super().__init__(message)
        self.expected, self.found = expected, found


def _event(type_: str, actor: str | None, task: UUID | None = None, data: Any = None,
           from_status: str | None = None, to_status: str | None = None, compare_data: bool = True) -> dict[str, Any]:
    return {"type": type_, "actor": actor, "task": task, "data": data if compare_data else None,
            "from_status": from_status, "to_status": to_status}


#: Incidents the child batches (:mod:`engine.cases.child_batches`) record on a parent in transactions
#: of their own, after the step that planned its children committed: planned children that could not
#: start, or a parent whose step on hearing its ended children refused. Such a ``case_failed`` (its
#: data names the command) is a command of its own, never the failure of the step recorded before it.
#: (A retry of ``child_starts`` whose own save fails writes one in its step; read apart, it matches
#: all the same: that retry runs nothing, so replay expects nothing of it before the incident.)
BATCH_INCIDENTS = frozenset({"child_starts", "children_finished"})


def _is_batch_incident(event: Mapping[str, Any]) -> bool:
    """Whether ``event`` is a ``case_failed`` the child batches wrote, not a step's own failure."""
    return event["type"] == "case_failed" and (event["data"] or {}).get("command") in BATCH_INCIDENTS


def _step_fails(rest: list[dict[str, Any]]) -> bool:
    """Whether the step ``rest[0]`` records failed: its next engine event is the step's own
    ``case_failed`` (the engine appends nothing before it). A batch's incident that follows is
    not: the step committed, and its children failed later (:data:`BATCH_INCIDENTS`)."""
    following = next((e for e in rest[1:] if e["type"] in ENGINE_EVENTS), None)
    return following is not None and following["type"] == "case_failed" and not _is_batch_incident(following)


class CaseModel:
    """The replayed case: its workflow, status, data, case roles and human tasks."""

    def __init__(self, definition: LoadedDefinition, policy: ProcessPolicy, script_engine: Any,
                 validate_form: Callable[[str, Mapping[str, Any]], dict[str, Any]],
                 definition_of: Callable[[int], LoadedDefinition] | None = None) -> None:
        self.definition, self.policy, self.script_engine, self.validate_form = \
            definition, policy, script_engine, validate_form
        #: The process versions a ``case_migrated`` event names, by definition id.
        self.definition_of = definition_of
        self.workflow: Any = None
        self.status, self.created_by, self.data = "", "", {}
        self.grants: set[tuple[str, str]] = set()
        self.tasks: dict[str, dict[str, Any]] = {}  # recorded task id -> what replay knows of it
        self.spiff_of: dict[str, UUID] = {}
        self.recorded_of: dict[UUID, str] = {}
        self.ready_before: frozenset[UUID] = frozenset()
        self.completing: UUID | None = None

    # ----------------------------------------------------------------------------- commands
    @staticmethod
    def command_time(event: Mapping[str, Any]) -> datetime:
        if event["type"] == "timer_fired" and isinstance(event["data"].get("fired_at"), str):
            return datetime.fromisoformat(event["data"]["fired_at"])
        return event["at"]

    def apply(self, event: Mapping[str, Any], rest: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run the command ``event`` records; the events it should append (itself first)."""
        kind, actor, data = event["type"], event["actor"], event["data"] or {}
        fails = _step_fails(rest)
        if kind == "case_started":
            if self.workflow is not None:
                raise ReplayError("the case was started twice")
            return self._start(actor, data, fails)
        if self.workflow is None:
            raise ReplayError("the history does not begin with case_started", "case_started", kind)
        if kind == "task_completed":
            self._require("running")
            return self._complete(actor, event["task_id"], data.get("data"), actor, None)
        if kind == "timer_fired":
            self._require("running")
            return self._fire(actor)
        if kind in ("task_claimed", "task_released"):
            self._require("running")
            task = self._ready_task(event["task_id"])
            return [_event(kind, actor, task, {"element_id": self._element(task)})]
        if kind == "task_reassigned":  # hr gave the task to another candidate: who holds it, not the state
            self._require("running")
            task = self._ready_task(event["task_id"])
            if not isinstance(data.get("reason"), str) or not data["reason"].strip() or not data.get("to"):
                raise ReplayError("the task was reassigned without a reason or a person", "a reason", data)
            return [_event(kind, actor, task, {**data, "element_id": self._element(task)})]
        if kind in ("task_cancelled", "case_cancelled"):
            return self._cancel(rest)
        if kind == "case_failed":
            self._require("running")
            self.status = "error"
            return [_event(kind, actor, None, None, "running", "error", compare_data=False)]
        if kind == "case_retried":
            return self._retry(actor, data, fails)
        if kind == "case_migrated":
            return self._migrate(actor, data)
        if kind in ("message_received", "signal_received"):
            self._require("running")
            out = [_event(kind, actor, None, data)]
            if fails:
                self.status = "error"
                return out + [_event("case_failed", actor, None, None, "running", "error", compare_data=False)]
            sent = kind.split("_")[0]
            return out + self._deliver(actor, data.get(sent), data.get("payload") or {}, sent)
        raise ReplayError(f"'{kind}' is recorded where the replayed case appended nothing more", None, kind)

    def _require(self, status: str) -> None:
        if self.status != status:
            raise ReplayError(f"the replayed case is {self.status}, not {status}", status, self.status)

    def _start(self, actor: str, data: Mapping[str, Any], fails: bool) -> list[dict[str, Any]]:
        self.created_by = actor
        start = self._typed_start(data.get("data") or {})
        self.workflow = state.new_workflow(self.definition.spec, self.definition.subprocess_specs, self.script_engine)
        for task in self.workflow.get_tasks(state=TaskState.READY):
            task.data.update(start)
        self.status, self.data = "running", audit.jsonable(start)
        out = [_event("case_started", actor, None, data, None, "running")]
        if fails:
            self.status = "error"
            return out + [_event("case_failed", actor, None, None, "running", "error", compare_data=False)]
        self.workflow.do_engine_steps()
        return out + self._save(actor)

    def _typed_start(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The start data as the form typed it (dates as dates); keys the process added at the
        start (e.g. the nomination date) are not form fields and stay as recorded."""
        form = self.policy.start_form
        if not form:
            return dict(data)
        given = dict(data)
        for _ in range(2):
            try:
                return {**data, **self.validate_form(form, given)}
            except Invalid as err:
                unknown = {k for k, v in err.details.items() if v == ["Unknown field."]}
                if not unknown or set(err.details) - unknown:
                    raise ReplayError(f"the recorded start data fails form '{form}' now", None, err.details) from None
                given = {k: v for k, v in given.items() if k not in unknown}
        raise ReplayError(f"the recorded start data fails form '{form}' now")

    def _complete(self, actor: str, task_id: Any, submitted: Any, output_actor: str,
                  retried_by: str | None) -> list[dict[str, Any]]:
        uuid = self._ready_task(task_id)
        task = self.workflow.get_task_from_id(uuid)
        info = self.definition.human_tasks.get(task.task_spec.name)
        if not isinstance(submitted, dict):
            raise ReplayError("the completion records no data object")
        try:
            clean = self.validate_form(info.form_key, submitted) if info and info.form_key else dict(submitted)
            clean = check_data_keys(clean)
        except Invalid as err:
            raise ReplayError("the recorded data fails the task's form now", None, err.details) from None
        self.completing = uuid
        task.data.update(clean)
        task.run()
        self.workflow.do_engine_steps()
        payload: dict[str, Any] = {"element_id": self._element(uuid), "data": clean}
        if retried_by:
            payload["retried_by"] = retried_by
        return [_event("task_completed", actor, uuid, payload)] + self._save(output_actor)

    def _fire(self, actor: str) -> list[dict[str, Any]]:
        now = clock.now()
        # Timer instances, not elements, as the runner counts them: of two waiting copies of one
        # timer (two open instances of a task), the one that fired is recorded.
        due = [t for t in timers.waiting_timer_tasks(self.workflow) if t.due < now]
        if not due:
            raise ReplayError("no timer of the replayed case is due at the recorded time", None, now)
        self.workflow.refresh_timers()
        self.workflow.do_engine_steps()
        out = [_event("timer_fired", actor, None, {"element_id": t.element_id, "due_at": t.due, "fired_at": now})
               for t in timers.went_off(due, timers.waiting_timer_tasks(self.workflow))]
        return out + self._save(actor)

    def _cancel(self, rest: list[dict[str, Any]]) -> list[dict[str, Any]]:
        closing = next((e for e in rest if e["type"] in ENGINE_EVENTS and e["type"] != "task_cancelled"), None)
        if closing is None or closing["type"] != "case_cancelled":
            raise ReplayError("tasks were cancelled outside any step", "case_cancelled",
                              closing["type"] if closing else None)
        reason = (closing["data"] or {}).get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ReplayError("the case was cancelled without a reason", "a reason", reason)
        if self.status not in ("running", "error"):
            raise ReplayError(f"the replayed case is already {self.status}", "running", self.status)
        actor, previous = closing["actor"], self.status
        self.workflow.cancel()
        out = [_event("task_cancelled", actor, self.spiff_of[task_id], {"element_id": info["element_id"]})
               for task_id, info in self.tasks.items() if info["status"] == "ready"]
        self.status = "cancelled"
        return out + [_event("case_cancelled", actor, None, {"reason": reason}, previous, "cancelled")]

    def _retry(self, actor: str, data: Mapping[str, Any], fails: bool) -> list[dict[str, Any]]:
        self._require("error")
        command = dict((data.get("incident") or {}).get("command") or {"type": "run"})
        self.status = "running"
        out = [_event("case_retried", actor, None, None, "error", "running", compare_data=False)]
        if fails:
            self.status = "error"
            return out + [_event("case_failed", actor, None, None, "running", "error", compare_data=False)]
        if command.get("type") in ("message", "signal"):
            return out + self._deliver(actor, command.get(command["type"]), command.get("payload") or {},
                                       command["type"])
        if command.get("type") == "complete":
            return out + self._complete(command.get("username"), command.get("task_id"), command.get("data"),
                                        command.get("username"), actor)
        self.workflow.do_engine_steps()
        return out + self._save(actor)

    def _migrate(self, actor: str, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Move the replayed case to the version the event names, as the migration did
        (:mod:`engine.cases.migration`): the old version ran up to here, the new one runs on."""
        if self.status not in migration.MOVABLE:
            raise ReplayError(f"the replayed case is {self.status}; an ended case cannot move", "running", self.status)
        target_id = ((data.get("to") or {}).get("definition_id"))
        if self.definition_of is None or not isinstance(target_id, int):
            raise ReplayError("the migration names no process version replay can load", "a definition id", target_id)
        try:
            target = self.definition_of(target_id)
        except LookupError:
            raise ReplayError(f"process version {target_id} the case moved to is gone", target_id, None) from None
        plan = migration_plan.plan(self.workflow, self.definition, target)
        if not plan.possible:
            raise ReplayError(f"the replayed case cannot move: {plan.refusal()}", "a case that can move",
                              plan.refusal())
        recorded = migration.migrated_event(self.definition, target, plan)
        migration_plan.apply(plan, self.workflow, target)
        if self.status == "running":
            self.workflow.do_engine_steps()
        self.definition = target
        for move in plan.mapped:  # the rows of tasks that stay ready take the new element's id
            task_id = self.recorded_of.get(UUID(move.task_id))
            if task_id is not None and move.to_element_id:
                self.tasks[task_id]["element_id"] = move.to_element_id
        return [_event("case_migrated", actor, None, recorded)] + self._save(actor)

    def _deliver(self, actor: str, message: Any, payload: Mapping[str, Any], kind: str = "message"
                 ) -> list[dict[str, Any]]:
        """Catch a recorded message or signal (from outside, or a parent told its child cases
        ended) as the runner does."""
        definition = waiting_event(self.workflow, kind, message)  # as the runner finds it
        if definition is None:
            raise ReplayError(f"the replayed case is not waiting for {kind} '{message}'", message, None)
        self.workflow.catch(event_for(definition, message, dict(payload)))
        self.workflow.do_engine_steps()
        return self._save(actor)

    # ------------------------------------------------------------------------- step outputs
    def _save(self, actor: str) -> list[dict[str, Any]]:
        """The events the step's save appends (CaseSteps.save): case roles, tasks, completion."""
        ready = self.workflow.get_tasks(state=TaskState.READY, manual=True)
        self.data = audit.jsonable(snapshot(self.workflow, ready))
        previous, out = self.status, []
        ended = has_ended(self.workflow)
        if ended:
            self.status = self.policy.final_status(self.workflow.data or self.data)
        out += self._grant_roles(actor)
        out += self._project_tasks(ready, actor)
        if ended:
            out.append(_event("case_completed", actor, None, {"outcome": self.status}, previous, self.status))
        self.ready_before, self.completing = frozenset(t.id for t in ready), None
        return out

    def _grant_roles(self, actor: str) -> list[dict[str, Any]]:
        wanted, managed = self.policy.case_grants(self.data), self.policy.managed_case_roles
        keep = {(g.username, g.role) for g in wanted}
        out = []
        for username, role in sorted(self.grants):
            if role in managed and (username, role) not in keep:
                self.grants.discard((username, role))
                out.append(_event("role_revoked", actor, None, {"username": username, "role": role}))
        for grant in wanted:
            if (grant.username, grant.role) not in self.grants:
                self.grants.add((grant.username, grant.role))
                out.append(_event("role_granted", actor, None, {"username": grant.username, "role": grant.role}))
        return out

    def _project_tasks(self, ready: list[Any], actor: str) -> list[dict[str, Any]]:
        ready_ids = {task.id for task in ready}
        still_ready = self.ready_before - {self.completing}
        out = [_event("task_cancelled", actor, uuid, {"element_id": self._element(uuid)})
               for uuid in still_ready - ready_ids]
        for task in ready:
            if task.id in still_ready:
                continue
            spec = task.task_spec
            out.append(_event("task_created", actor, task.id, {
                "element_id": spec.bpmn_id or spec.name, "name": spec.bpmn_name or spec.name,
                "assigned_to": self._assigned_to(spec.bpmn_id or spec.name, spec.lane, task.data)}))
        return out

    def _assigned_to(self, element_id: str, lane: str | None, task_data: Mapping[str, Any]) -> str:
        """Who may do a new task, described as :func:`engine.cases.projection.assign` records it."""
        assignment = self.policy.assign(element_id, lane, task_data)
        if assignment is None:
            role = self.policy.lane_role(lane)
            return f"user:{self.created_by}" if role == STARTER else f"role:{role}"
        if assignment.username:
            return f"user:{assignment.username}"
        return f"role:{assignment.role}" + (f"@{assignment.unit}" if assignment.unit else "")

    # ------------------------------------------------------------------------------ lookups
    def _ready_task(self, task_id: Any) -> UUID:
        uuid = self.spiff_of.get(str(task_id))
        if uuid is None:
            raise ReplayError("the task was never created in the replayed case", None, task_id)
        task = state.find_task(self.workflow, uuid)
        if task is None or task.state != TaskState.READY or self.tasks[str(task_id)]["status"] != "ready":
            raise ReplayError("the task is not ready in the replayed case", "ready", self.tasks[str(task_id)]["status"])
        return uuid

    def _element(self, uuid: UUID) -> str:
        task = state.find_task(self.workflow, uuid)
        if task is None:  # gone from the tree (a join fired again): the element it was created for
            return str(self.tasks.get(self.recorded_of.get(uuid, ""), {}).get("element_id", ""))
        return task.task_spec.bpmn_id or task.task_spec.name
