"""A step's plan of child cases to start after it: recorded in the step, read by whoever starts them.

Why a plan: a step that starts hundreds of child cases inline (``Step.start_case``) holds SQLite's
write lock for seconds. A process returns them from ``ProcessPolicy.planned_children`` instead; the
step writes one ``child_start`` row per child here, in its own transaction, with a
``child_starts_planned`` event on the parent, and :mod:`engine.cases.child_batches` starts them once
it has committed. This module is what the one-case steps need of plans (recording them, and the
parent's check that none is still to start before it hears its children), kept apart from the
batches, which run those steps.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator, Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from engine.audit import events as audit
from engine.cases.statements import CASE
from engine.people.actors import Actor
from engine.policy import PlannedChild
from engine.store.models import ChildStart
from engine.time import clock

CHILD_START = ChildStart.__table__
#: The parents whose plans the steps of the running command recorded (None: outside a command
#: that runs plans; the executor's sweep starts those).
_planned_in_command: ContextVar[list[int] | None] = ContextVar("planned_in_command", default=None)


@contextmanager
def planning() -> Iterator[list[int]]:
    """Collect the parents whose plans the steps inside record (to run them once committed)."""
    parents: list[int] = []
    token = _planned_in_command.set(parents)
    try:
        yield parents
    finally:
        _planned_in_command.reset(token)


def record(conn: Connection, parent_id: int, plan: Sequence[PlannedChild], actor: Actor, chain: audit.Chain) -> None:
    """Write the plan in the parent's step (nothing for an empty one), numbered after any earlier plan."""
    if not plan:
        return
    first = (conn.execute(select(func.max(CHILD_START.c.seq)).where(CHILD_START.c.parent_case_id == parent_id))
             .scalar() or 0) + 1
    now = clock.now()
    conn.execute(insert(CHILD_START), [
        dict(parent_case_id=parent_id, seq=first + n, process_key=child.process_key,
             business_key=child.business_key, data=audit.jsonable(dict(child.data)), started_by=actor.username,
             started_by_id=actor.user_id or None, planned_at=now, case_id=None, started_at=None)
        for n, child in enumerate(plan)])
    chain.add("child_starts_planned", actor.username,
              data={"count": len(plan), "processes": sorted({child.process_key for child in plan})})
    parents = _planned_in_command.get()
    if parents is not None and parent_id not in parents:
        parents.append(parent_id)


def pending(conn: Connection, parent_id: int) -> bool:
    """Whether children planned by ``parent_id`` are still to start (the parent must not hear yet)."""
    return conn.execute(select(CHILD_START.c.id).where(CHILD_START.c.parent_case_id == parent_id,
                                                       CHILD_START.c.case_id.is_(None)).limit(1)).first() is not None


def planned_or_started(conn: Any, parent_id: int) -> bool:
    """Whether ``parent_id`` has planned or started any child case (a process plans its children once)."""
    return (conn.execute(select(CHILD_START.c.id).where(CHILD_START.c.parent_case_id == parent_id).limit(1)).first()
            or conn.execute(select(CASE.c.id).where(CASE.c.parent_case_id == parent_id).limit(1)).first()) is not None
