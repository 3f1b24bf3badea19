"""Who may do a task, and the worklist and case-list queries built on that.

All answers come from the task projection and role grants with indexed
queries; no workflow is ever loaded to answer "what can I do".
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, exists, literal_column, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from engine.store.models import Case, RoleGrant, Task
from engine.people.actors import Actor


def holds_role(actor: Actor, role: Any, unit_path: Any, case_id: Any) -> ColumnElement[bool]:
    """Rows addressed to a role (columns ``role``, ``unit_path``, ``case_id``) that ``actor`` holds
    there: globally, for a unit subtree above ``unit_path``, or granted on that case."""
    conds: list[Any] = []
    if actor.global_roles:
        conds.append(role.in_(sorted(actor.global_roles)))
    for held, path in actor.unit_roles:
        conds.append(and_(role == held, unit_path.startswith(path, autoescape=True)))
    conds.append(exists().where(RoleGrant.case_id == case_id, RoleGrant.user_id == actor.user_id,
                                RoleGrant.role == role))
    return or_(*conds)


def role_clause(actor: Actor) -> ColumnElement[bool]:
    """Tasks ``actor`` is a candidate for by role: global, unit subtree, or granted on the case."""
    return and_(Task.candidate_user_id.is_(None), holds_role(actor, Task.role, Task.unit_path, Task.case_id))


def candidate_clause(actor: Actor) -> ColumnElement[bool]:
    return or_(Task.candidate_user_id == actor.user_id, role_clause(actor))


_CASE_ROLES = select(RoleGrant.role).where(RoleGrant.case_id == bindparam("case_id"),
                                          RoleGrant.user_id == bindparam("user_id"))


def case_roles(connection: Connection | Session, actor: Actor, case_id: int) -> frozenset[str]:
    """Roles ``actor`` holds on this case only (e.g. a council seat)."""
    return frozenset(connection.execute(_CASE_ROLES, {"case_id": case_id, "user_id": actor.user_id}).scalars())


def may_act(actor: Actor, task: Task, roles_on_case: frozenset[str]) -> bool:
    """Whether ``actor`` is a candidate for ``task`` (claims are checked separately)."""
    if task.candidate_user_id is not None:
        return task.candidate_user_id == actor.user_id
    if task.role is None:
        return False
    return actor.has_role(task.role, task.unit_path) or task.role in roles_on_case


def worklist_clause(actor: Actor, scope: str, reader: bool = False) -> ColumnElement[bool]:
    mine = or_(Task.claimed_by_id == actor.user_id,
               and_(Task.claimed_by_id.is_(None), Task.candidate_user_id == actor.user_id))
    available = and_(Task.claimed_by_id.is_(None), role_clause(actor))
    if scope == "mine":
        return mine
    if scope == "available":
        return available
    if reader:
        return Task.id.isnot(None)
    return or_(mine, available)


def participant_clause(actor: Actor) -> ColumnElement[bool]:
    """Cases ``actor`` started, holds a case role on, or has (had) a task in; and the parents of
    such cases (a unit head assessing one talent takes part in the review that asked for it).

    Each test is a *correlated* EXISTS on the case's own id (served by ``ix_task_case``,
    ``ix_role_grant_case`` and ``ix_case_parent_status``), not ``id IN (every case I touched)``: a
    list walks the cases newest first and stops after a page, so the cost is that of the rows it
    reads, not of every task the actor could ever have done (which grows with the database)."""
    touched = _touched(actor, Case.id)
    granted = _granted(actor, Case.id)
    child = aliased(Case)
    parents = _per_row(child.parent_case_id == Case.id, or_(_touched(actor, child.id), _granted(actor, child.id)))
    return or_(Case.created_by_id == actor.user_id, touched, granted, parents)


def _per_row(*where: Any) -> ColumnElement[bool]:
    """``EXISTS (SELECT 1 ... WHERE where OFFSET 0)``, tested for each row the outer query reads.

    The ``OFFSET 0`` is a fence: without it PostgreSQL turns a correlated EXISTS into a *hashed*
    subplan — it first reads every task the actor could ever touch into a hash table (the whole
    table for someone holding a role of every task), which is what grew with the database. With
    it, each case read is tested by an index lookup, and a page stops after its rows. SQLite
    tests a correlated EXISTS per row anyway."""
    return select(literal_column("1")).where(*where).offset(0).exists()


def _touched(actor: Actor, case_id: Any) -> ColumnElement[bool]:
    """Whether the case ``case_id`` has a task ``actor`` claimed, completed or is a candidate for."""
    return _per_row(Task.case_id == case_id, or_(
        Task.claimed_by_id == actor.user_id, Task.completed_by_id == actor.user_id, candidate_clause(actor)))


def _granted(actor: Actor, case_id: Any) -> ColumnElement[bool]:
    return _per_row(RoleGrant.case_id == case_id, RoleGrant.user_id == actor.user_id)


def is_participant(db: Session | Connection, actor: Actor, case: Any) -> bool:
    if case.created_by_id == actor.user_id:
        return True
    return db.execute(select(Case.id).where(Case.id == case.id, participant_clause(actor))).first() is not None


__all__ = ["candidate_clause", "case_roles", "holds_role", "is_participant", "may_act", "participant_clause",
           "role_clause", "worklist_clause"]
