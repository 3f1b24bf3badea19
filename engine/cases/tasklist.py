"""The task lists (``mine``, ``available``, ``all``) as a few index-ordered queries instead of one
sorted OR.

A worklist is ordered by (due first, soonest first; then the oldest; then the id). Asked as one
``WHERE role IN (...) OR unit_path LIKE ... OR EXISTS (case grant)`` with that ORDER BY, no index
can hand the rows over in order, so the database sorts every task the actor may see to show
fifty: the cost grows with the database. Here each way of being a candidate is a *branch* of its
own (one global role; one role in one unit subtree; roles granted on cases; claimed by me; offered
to me by name), and each branch is read in two *parts*: the tasks with a due date, in (due_at,
created_at, id) order, and those without, in (created_at, id) order. Each part is one range of
``ix_task_queue`` (status, role, claimed_by_id, due_at, created_at, id) or of the other task
indexes, read in order and stopped after the rows the page needs; a cursor (``after``) becomes a
row-value comparison that seeks straight into that range. The few rows of every branch are merged
here. A task reached by two branches (a global role and a case grant) is shown once.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, Sequence

from sqlalchemy import and_, exists, func, literal, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from engine.cases import paging
from engine.people.actors import Actor
from engine.store.models import RoleGrant, Task

_KINDS = (datetime, datetime, str)  # cursor: due_at (or null), created_at, id


class Branch(NamedTuple):
    """One way of being in a list: its condition, and the columns its index holds before ``due_at``
    that the condition pins to NULL. They lead the ORDER BY (a no-op: one value in the branch)
    because PostgreSQL does not count ``x IS NULL`` as fixing ``x``, and would sort every row of
    the branch rather than read the index in order."""
    cond: ColumnElement[bool]
    lead: tuple[Any, ...] = ()


def branches(session: Session, actor: Actor, scope: str, status: str, reader: bool) -> list[Branch]:
    """The ways a task of ``status`` is in ``actor``'s ``scope``; their union is the list."""
    if status != "ready":
        everyone = reader and scope == "all"
        return [Branch(Task.id.isnot(None) if everyone else Task.completed_by_id == actor.user_id)]
    if reader and scope == "all":
        return [Branch(Task.id.isnot(None))]  # ix_task_due_order
    mine = [Branch(Task.claimed_by_id == actor.user_id),  # ix_task_claimed_order
            Branch(and_(Task.claimed_by_id.is_(None), Task.candidate_user_id == actor.user_id),
                   (Task.claimed_by_id,))]  # ix_task_candidate_order
    free = and_(Task.claimed_by_id.is_(None), Task.candidate_user_id.is_(None))
    queue = (Task.claimed_by_id, Task.candidate_user_id)  # ix_task_queue
    available = [Branch(and_(free, Task.role == role), queue) for role in sorted(actor.global_roles)]
    available += [Branch(and_(free, Task.role == role, Task.unit_path.startswith(path, autoescape=True)), queue)
                  for role, path in sorted(actor.unit_roles)]
    # roles granted on one case (a council seat): the actor's few grants are read first and the branch
    # asks for their cases' tasks by case id (ix_task_case); none, no branch. As a subquery, a planner
    # without statistics (SQLite) would rather walk every ready task in order and test each.
    granted = sorted(set(session.scalars(select(RoleGrant.case_id).where(
        RoleGrant.user_id == actor.user_id, RoleGrant.case_id.isnot(None)))))
    if granted:
        available.append(Branch(and_(free, Task.case_id.in_(granted), exists().where(
            RoleGrant.case_id == Task.case_id, RoleGrant.user_id == actor.user_id, RoleGrant.role == Task.role))))
    if scope == "mine":
        return mine
    if scope == "available":
        return available
    return mine + available


def sort_key(row: Any) -> tuple[Any, ...]:
    """The list's order in Python, the same as the SQL one (due first, then oldest, then id)."""
    return (row.due_at is None, row.due_at or row.created_at, row.created_at, row.id)


def fetch(session: Session, base: Any, where: Sequence[ColumnElement[bool]], conds: list[Branch],
          *, after: str | None, offset: int, per_page: int) -> tuple[list[Any], str | None]:
    """One page of ``base`` (a select of task rows) over the union of ``conds`` and ``where``:
    the rows and the cursor of the next page (None on the last)."""
    cursor = paging.decode(after, _KINDS) if after is not None else None
    need = offset + per_page + 1
    seen: dict[str, Any] = {}
    for branch in conds:
        for part in _parts(cursor):
            query = base.where(*where, branch.cond, *part.where).order_by(*branch.lead, *part.order).limit(need)
            for row in session.execute(query):
                seen.setdefault(row.id, row)
    rows = sorted(seen.values(), key=sort_key)
    page = rows[offset:offset + per_page]
    more = len(rows) > offset + per_page
    nxt = paging.encode([page[-1].due_at, page[-1].created_at, page[-1].id]) if more and page else None
    return page, nxt


class _Part:
    __slots__ = ("where", "order")

    def __init__(self, where: list[ColumnElement[bool]], order: list[Any]) -> None:
        self.where, self.order = where, order


def _parts(cursor: list[Any] | None) -> list[_Part]:
    """The dated and the undated tasks, each in its index order, after ``cursor``."""
    dated_order = [Task.due_at, Task.created_at, Task.id]
    undated_order = [Task.due_at, Task.created_at, Task.id]  # due_at: all NULL, there for the index order
    dated = _Part([Task.due_at.isnot(None)], dated_order)
    undated = _Part([Task.due_at.is_(None)], undated_order)
    if cursor is None:
        return [dated, undated]
    due, created, task_id = cursor
    if due is None:  # past every dated task: only the undated after the cursor
        undated.where.append(tuple_(Task.created_at, Task.id) > tuple_(_bind(Task.created_at, created),
                                                                       _bind(Task.id, task_id)))
        return [undated]
    dated.where.append(tuple_(Task.due_at, Task.created_at, Task.id) > tuple_(
        _bind(Task.due_at, due), _bind(Task.created_at, created), _bind(Task.id, task_id)))
    return [dated, undated]


def _bind(column: Any, value: Any) -> Any:
    return literal(value, type_=column.type)


def count(session: Session, where: Sequence[ColumnElement[bool]], conds: list[Branch],
          exact: bool) -> tuple[int, bool]:
    """How many tasks the union of ``conds`` holds: exactly, or up to :data:`paging.TOTAL_CAP`
    (then ``(TOTAL_CAP, False)``). Ids are read per branch so a task of two branches counts once."""
    if len(conds) == 1:
        inner = select(Task.id).where(*where, conds[0].cond)
        if not exact:
            inner = inner.limit(paging.TOTAL_CAP + 1)
        n = session.scalar(select(func.count()).select_from(inner.subquery())) or 0
        return (n, True) if exact or n <= paging.TOTAL_CAP else (paging.TOTAL_CAP, False)
    ids: set[str] = set()
    for branch in conds:
        inner = select(Task.id).where(*where, branch.cond)
        ids.update(session.scalars(inner if exact else inner.limit(paging.TOTAL_CAP + 1)))
        if not exact and len(ids) > paging.TOTAL_CAP:
            return paging.TOTAL_CAP, False
    return len(ids), True


__all__ = ["Branch", "branches", "count", "fetch", "sort_key"]
