"""The human-task projection: who may do each new task, its due date, and the case roles.

The worklists read the ``task`` table only, so every step brings it in line with
the workflow's ready human tasks, in the step's own transaction.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Row

from engine.definitions import state
from engine.time import clock
from engine.errors import Invalid
from engine.store import backlog
from engine.store.models import RoleGrant, Task, Unit, User
from engine.policy import STARTER
from engine.cases.records import Loaded
from engine.people.actors import Actor
from engine.cases.statements import INSERT_TASKS
from engine.cases.views import READY_TASKS_OF_CASE, TaskLine

TASK, GRANT = Task.__table__, RoleGrant.__table__


def sync_tasks(conn: Connection, loaded: Loaded, ready: list, actor: Actor, script_engine: Any) -> None:
    """Bring the task projection in line with the workflow's ready human tasks."""
    case, chain = loaded.case, loaded.chain
    ready_ids = {str(task.id) for task in ready}
    still_ready = loaded.ready_before - {loaded.completing}
    # Rows are read only when some stay ready (their claims show in the answer).
    rows = {row.id: row for row in conn.execute(READY_TASKS_OF_CASE, {"case_id": case.id})} \
        if still_ready & ready_ids else {}
    gone = sorted(still_ready - ready_ids)
    if gone:
        conn.execute(update(TASK).where(TASK.c.id.in_(gone)).values(status="cancelled"))
        for row_id in gone:
            task = state.find_task(loaded.workflow, row_id)
            element_id = (task.task_spec.bpmn_id or task.task_spec.name) if task is not None else \
                conn.execute(select(TASK.c.element_id).where(TASK.c.id == row_id)).scalar()
            chain.add("task_cancelled", actor.username, task_id=row_id, data={"element_id": element_id})
    now, new_rows = clock.now(), []
    for task in ready:
        task_id = str(task.id)
        if task_id in still_ready:
            continue
        spec = task.task_spec
        info = loaded.definition.human_tasks.get(spec.name)
        element_id = spec.bpmn_id or spec.name
        role, unit_path, user_id, who = assign(conn, loaded, element_id, spec.lane, task.data)
        due = due_at(loaded, element_id, task, script_engine)
        new_rows.append({
            "id": task_id, "case_id": case.id, "process_key": case.process_key,
            "element_id": element_id, "name": spec.bpmn_name or spec.name,
            "subject": _clip(loaded.policy.task_subject(element_id, task.data)),
            "form_key": info.form_key if info else None, "lane": spec.lane,
            "role": role, "unit_path": unit_path, "candidate_user_id": user_id,
            "status": "ready", "claimed_by_id": None, "created_at": now, "due_at": due,
            "completed_by_id": None, "completed_at": None})
        chain.add("task_created", actor.username, task_id=task_id,
                  data={"element_id": element_id, "name": spec.bpmn_name or spec.name, "assigned_to": who})
    if new_rows:
        INSERT_TASKS.run_many(conn, new_rows)
    backlog.add(conn, case.unit_id, case.id, len(new_rows) - len(gone) - int(loaded.completing in loaded.ready_before))
    # What the answer shows, without reading the tasks again.
    case.ready_tasks = [TaskLine(row._mapping) for row_id, row in rows.items() if row_id in ready_ids] + [
        TaskLine(row, claimed_by_name=None, completed_by_name=None)
        for row in sorted(new_rows, key=lambda r: r["id"])]

def due_at(loaded: Loaded, element_id: str, task: Any, script_engine: Any) -> datetime | None:
    """The task's due date from its due-date expression (sandboxed, with the task's data)."""
    expression = loaded.definition.due_dates.get(element_id)
    if not expression:
        return None
    value = script_engine.evaluate(task, expression)
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise Invalid(f"due date of {element_id} is not a date-time: {value!r}", {element_id: ["bad due date"]})
    return value if value.tzinfo else value.replace(tzinfo=clock.CITY_ZONE)

def assign(conn: Connection, loaded: Loaded, element_id: str, lane: str | None,
            task_data: Mapping[str, Any]) -> tuple[str | None, str | None, int | None, str]:
    """(role, unit path, personal user id, description) of a new task."""
    case = loaded.case
    assignment = loaded.policy.assign(element_id, lane, task_data)
    if assignment is None:
        role = loaded.policy.lane_role(lane)
        if role == STARTER:
            return None, case.unit_path, case.created_by_id, f"user:{case.created_by}"
        return role, case.unit_path, None, f"role:{role}"
    if assignment.username:
        users = User.__table__
        user_id = conn.execute(select(users.c.id).where(users.c.username == assignment.username)).scalar()
        if user_id is None:
            raise Invalid(f"task {element_id} is for unknown user '{assignment.username}'",
                          {element_id: [f"unknown user '{assignment.username}'"]})
        return None, case.unit_path, user_id, f"user:{assignment.username}"
    unit_path = case.unit_path
    if assignment.unit:
        unit = case_unit(conn, assignment.unit, None)
        unit_path = unit.path if unit is not None else None
    return assignment.role, unit_path, None, f"role:{assignment.role}" + (
        f"@{assignment.unit}" if assignment.unit else "")

def sync_grants(conn: Connection, loaded: Loaded, actor: Actor) -> None:
    """Grant (and revoke) the case-scoped roles the process derives from its data."""
    wanted = loaded.policy.case_grants(loaded.case.data)
    managed = loaded.policy.managed_case_roles
    if not wanted and not managed:
        return
    users = User.__table__
    have = {(u, r): gid for u, r, gid in conn.execute(
        select(users.c.username, GRANT.c.role, GRANT.c.id).join(users, users.c.id == GRANT.c.user_id)
        .where(GRANT.c.case_id == loaded.case.id))}
    keep = {(g.username, g.role) for g in wanted}
    for (username, role), grant_id in list(have.items()):
        if role in managed and (username, role) not in keep:
            conn.execute(GRANT.delete().where(GRANT.c.id == grant_id))
            del have[(username, role)]
            loaded.chain.add("role_revoked", actor.username, data={"username": username, "role": role})
    for grant in wanted:
        if (grant.username, grant.role) in have:
            continue
        user_id = conn.execute(select(users.c.id).where(users.c.username == grant.username)).scalar()
        if user_id is None:
            raise Invalid(f"unknown user '{grant.username}' for case role '{grant.role}'",
                          {grant.role: [f"unknown user '{grant.username}'"]})
        conn.execute(insert(GRANT).values(user_id=user_id, role=grant.role, unit_id=None,
                                          case_id=loaded.case.id, granted_at=clock.now(),
                                          granted_by=actor.username))
        have[(grant.username, grant.role)] = 0
        loaded.chain.add("role_granted", actor.username, data={"username": grant.username, "role": grant.role})

def case_unit(conn: Connection, code: str | None, default_unit_id: int | None) -> Row | None:
    """The unit row for ``code`` (422 if unknown), or the ``default_unit_id`` unit when no code."""
    unit_table = Unit.__table__
    if code is None:
        if default_unit_id is None:
            return None
        return conn.execute(select(unit_table).where(unit_table.c.id == default_unit_id)).first()
    unit = conn.execute(select(unit_table).where(unit_table.c.code == code)).first()
    if unit is None:
        raise Invalid(f"unknown unit '{code}'", {"unit": [f"unknown unit '{code}'"]})
    return unit

def _clip(text: str | None, size: int = 255) -> str | None:
    return text if text is None or len(text) <= size else text[: size - 1] + "…"
