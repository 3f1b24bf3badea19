"""Matching a replayed case with the record: events one by one, the stored state, a past state.

Functions over a :class:`engine.replay.model.CaseModel`: whether a recorded event
is the one replay expected (tasks matched by the replay's own task, never by the
recorded random ids), what the matched event did to the replayed tasks, how the
stored case compares at the end, and what the case looked like at that point.
"""
from __future__ import annotations

from typing import Any, Mapping

from SpiffWorkflow.util.task import TaskState

from engine.audit import events as audit
from engine.replay.model import CaseModel

_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def same_task(model: CaseModel, expected: Mapping[str, Any], recorded: Mapping[str, Any]) -> bool:
    """Whether ``recorded`` is about what ``expected`` is about (for events that come in no order)."""
    if expected["task"] is None:
        return audit.jsonable(expected["data"]) == recorded["data"]
    return model.spiff_of.get(str(recorded["task_id"])) == expected["task"]


def compare(model: CaseModel, expected: Mapping[str, Any], recorded: Mapping[str, Any]) -> str | None:
    """Why ``recorded`` is not the event replay expected, or None."""
    if expected["type"] != recorded["type"]:
        return f"replay expected '{expected['type']}' here, the history has '{recorded['type']}'"
    if expected["actor"] is not None and expected["actor"] != recorded["actor"]:
        return f"recorded actor '{recorded['actor']}', replay expected '{expected['actor']}'"
    if recorded["process_hash"] != model.definition.sha256:
        return "the event names another process version than the case's"
    if expected["task"] is not None:
        bound = model.spiff_of.get(str(recorded["task_id"]))
        if expected["type"] == "task_created" and bound is None and recorded["task_id"] not in model.tasks:
            pass
        elif bound != expected["task"]:
            return "the event is about another task than the one replay reached"
    if expected["data"] is not None and audit.jsonable(expected["data"]) != recorded["data"]:
        keys = sorted({*expected["data"], *(recorded["data"] or {})} if isinstance(recorded["data"], dict) else [])
        differ = [k for k in keys if audit.jsonable(expected["data"]).get(k) != (recorded["data"] or {}).get(k)]
        return f"the event's data differs from the replay ({', '.join(differ) or 'data'})"
    if (expected["from_status"], expected["to_status"]) != (recorded["from_status"], recorded["to_status"]):
        return "the status change differs from the replay"
    return None


def shown(model: CaseModel, expected: Mapping[str, Any]) -> dict[str, Any]:
    task = expected["task"]
    return {"type": expected["type"], "actor": expected["actor"], "data": expected["data"],
            "task_id": model.recorded_of.get(task, None if task is None else "(a new task)"),
            "from_status": expected["from_status"], "to_status": expected["to_status"]}


def bind(model: CaseModel, expected: Mapping[str, Any], recorded: Mapping[str, Any]) -> None:
    """Record what the matched event did to the replayed tasks."""
    kind, task_id = recorded["type"], str(recorded["task_id"])
    if kind == "task_created":
        model.spiff_of[task_id], model.recorded_of[expected["task"]] = expected["task"], task_id
        model.tasks[task_id] = {"task_id": task_id, **recorded["data"], "status": "ready", "claimed_by": None,
                                "completed_by": None, "created_seq": recorded["seq"]}
    elif kind == "task_completed":
        model.tasks[task_id].update(status="completed", completed_by=recorded["actor"],
                                    claimed_by=recorded["actor"], completed_seq=recorded["seq"],
                                    on_behalf_of=recorded.get("on_behalf_of"))
    elif kind == "task_reassigned":
        model.tasks[task_id]["claimed_by"] = recorded["data"]["to"]
    elif kind == "task_cancelled":
        model.tasks[task_id]["status"] = "cancelled"
    elif kind in ("task_claimed", "task_released"):
        # a substitute claims for the one they stand in for: the claim is that person's (runner._set_claim)
        model.tasks[task_id]["claimed_by"] = (recorded.get("on_behalf_of") or recorded["actor"]) \
            if kind == "task_claimed" else None


def compare_stored(model: CaseModel, case: Any, tasks: list[Any], events: int) -> tuple[str, Any, Any] | None:
    """The stored case and task rows against the replay: (what, expected, found) of the first difference."""
    if case.event_seq != events:
        return "event count", events, case.event_seq
    if case.status != model.status:
        return "case status", model.status, case.status
    if audit.jsonable(case.data or {}) != model.data:
        stored = audit.jsonable(case.data or {})
        keys = sorted(k for k in {*stored, *model.data} if stored.get(k) != model.data.get(k))
        return "case data", {k: model.data.get(k) for k in keys}, {k: stored.get(k) for k in keys}
    rows = {row.id: row for row in tasks}
    for task_id in sorted({*rows, *model.tasks}):
        row, mine = rows.get(task_id), model.tasks.get(task_id)
        found = {k: getattr(row, k) for k in ("element_id", "status", "claimed_by", "completed_by")} if row else None
        expected = {k: mine.get(k) for k in ("element_id", "status", "claimed_by", "completed_by")} if mine else None
        if found != expected:
            return f"task {task_id}", expected, found
    return None


def snapshot(model: CaseModel) -> dict[str, Any]:
    """The replayed case as it stands: what state_at answers."""
    active, completed = set(), set()
    for task in model.workflow.get_tasks() if model.workflow is not None else []:
        element = getattr(task.task_spec, "bpmn_id", None)
        if not element:
            continue
        if task.state == TaskState.COMPLETED:
            completed.add(element)
        elif task.state & _ACTIVE:
            active.add(element)
    tasks = []
    for info in sorted(model.tasks.values(), key=lambda t: t["created_seq"]):
        shown = {k: info.get(k) for k in ("task_id", "element_id", "name", "status", "claimed_by",
                                           "completed_by", "on_behalf_of", "created_seq", "completed_seq")}
        shown["candidates"] = ([f"user:{info['claimed_by']}"] if info["claimed_by"] else [info["assigned_to"]]) \
            if info["status"] == "ready" else []
        tasks.append(shown)
    return {"status": model.status, "data": model.data, "tasks": tasks,
            "active_element_ids": sorted(active), "completed_element_ids": sorted(completed - active)}
