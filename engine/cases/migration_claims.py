"""Claims a migration takes back: the claimant of a task is no longer among its candidates.

A task that stays ready across a migration takes the lane, role and assignment of its element in
the new version (:meth:`engine.cases.migration.CaseMigrations._refresh_mapped`). Whoever had
claimed it under the old rule may not be a candidate under the new one; left in place, the claim
would keep the task from the people the new version gives it to, while its holder could no longer
complete it. So the claim is released as a release by hand is (``runner._set_claim``): the row's
``claimed_by_id`` cleared and a ``task_released`` event naming the task and its element, by the
admin who moved the case. Replay reads that event as it reads any release, so it agrees.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from engine.cases.delegation import holder
from engine.cases.records import Loaded
from engine.cases.statements import TASK
from engine.people.actors import Actor
from engine.store.models import RoleGrant, Unit, User

USER, GRANT, UNIT = User.__table__, RoleGrant.__table__, Unit.__table__


def claimant(conn: Connection, user_id: int) -> Actor | None:
    """The user holding a claim, with their global and unit roles (as ``actors.actor_for`` reads them)."""
    user = conn.execute(select(USER).where(USER.c.id == user_id)).first()
    if user is None:
        return None
    rows = conn.execute(select(GRANT.c.role, UNIT.c.path).outerjoin(UNIT, UNIT.c.id == GRANT.c.unit_id)
                        .where(GRANT.c.user_id == user_id, GRANT.c.case_id.is_(None))).all()
    unit_path = conn.execute(select(UNIT.c.path).where(UNIT.c.id == user.unit_id)).scalar() if user.unit_id else None
    return Actor(user_id=user.id, username=user.username, unit_id=user.unit_id, unit_path=unit_path,
                 global_roles=frozenset(role for role, path in rows if path is None),
                 unit_roles=tuple(sorted((role, path) for role, path in rows if path is not None)),
                 display_name=user.display_name or "")


def release_lost(conn: Connection, loaded: Loaded, actor: Actor, task_ids: Iterable[str]) -> list[str]:
    """Release the claims on ``task_ids`` (ready tasks the move kept) whose claimant is no longer a
    candidate; each gets a ``task_released`` event on ``loaded.chain``. Returns the released ids."""
    released = []
    for task_id in task_ids:
        row = conn.execute(select(TASK).where(TASK.c.id == task_id, TASK.c.status == "ready")).first()
        if row is None or row.claimed_by_id is None:
            continue
        who = claimant(conn, row.claimed_by_id)
        if who is not None and holder(conn, who, row, loaded.case.id):
            continue
        conn.execute(update(TASK).where(TASK.c.id == task_id).values(claimed_by_id=None))
        loaded.chain.add("task_released", actor.username, task_id=task_id, data={"element_id": row.element_id})
        released.append(task_id)
    return released
