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

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from engine.audit import events as audit
from engine.cases.statements import CASE
from engine.errors import Invalid
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
    """Write the plan in the parent's step (nothing for an empty one), numbered after any earlier plan.

    A plan naming one (process, business key) twice, or a pair an earlier plan of this parent named,
    is refused (422 ``duplicate_planned_child``, the step rolls back): a business key names one case,
    and two rows for it would either start it twice or leave one row for ever without its child."""
    if not plan:
        return
    _refuse_duplicates(conn, parent_id, plan)
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
    _run_after_commit(parent_id)


def _refuse_duplicates(conn: Connection, parent_id: int, plan: Sequence[PlannedChild]) -> None:
    seen: set[tuple[str, str]] = {(process_key, key) for process_key, key in conn.execute(
        select(CHILD_START.c.process_key, CHILD_START.c.business_key).where(
            CHILD_START.c.parent_case_id == parent_id, CHILD_START.c.business_key.is_not(None)))}
    for child in plan:
        if child.business_key is None:
            continue
        pair = (child.process_key, child.business_key)
        if pair in seen:
            raise Invalid(f"case {parent_id} plans two {child.process_key} cases with business key "
                          f"'{child.business_key}'", {"business_key": [child.business_key]},
                          code="duplicate_planned_child")
        seen.add(pair)


def _run_after_commit(parent_id: int) -> None:
    """Tell the running command (if it runs plans) that this parent has children to start."""
    parents = _planned_in_command.get()
    if parents is not None and parent_id not in parents:
        parents.append(parent_id)


def retry_failed(conn: Connection, parent_id: int) -> int:
    """An admin's retry of the parent's incident: its children that could not start are to start
    again (after the retry commits, by its command). Returns how many."""
    again = conn.execute(update(CHILD_START).where(*_failed(parent_id)).values(error=None, failed_at=None)).rowcount
    _run_after_commit(parent_id)
    return int(again or 0)


def skip_failed(conn: Connection, parent_id: int, actor: Actor) -> list[Any]:
    """An admin drops the parent's children that could not start (a unit that no longer exists, data
    its process refuses for good): without this, the only way on was to cancel the whole parent,
    every started child with it. The rows stay, with their reason, marked skipped: never started,
    retried or waited for again. Returns them (seq, process, business key, reason), in order."""
    rows = conn.execute(select(CHILD_START.c.id, CHILD_START.c.seq, CHILD_START.c.process_key,
                               CHILD_START.c.business_key, CHILD_START.c.error)
                        .where(*_failed(parent_id)).order_by(CHILD_START.c.seq)).all()
    if rows:
        conn.execute(update(CHILD_START).where(CHILD_START.c.id.in_([row.id for row in rows]))
                     .values(skipped_at=clock.now(), skipped_by=actor.username))
    return rows


def _failed(parent_id: int) -> tuple[Any, ...]:
    """The parent's rows that could not start and were not skipped."""
    return (CHILD_START.c.parent_case_id == parent_id, CHILD_START.c.case_id.is_(None),
            CHILD_START.c.error.is_not(None), CHILD_START.c.skipped_at.is_(None))


def pending(conn: Connection, parent_id: int) -> bool:
    """Whether children planned by ``parent_id`` are still to start, or could not start (the parent
    must not hear "all finished" yet: a failed one is its incident, to retry or skip). Skipped ones
    are not waited for."""
    return conn.execute(select(CHILD_START.c.id).where(CHILD_START.c.parent_case_id == parent_id,
                                                       CHILD_START.c.case_id.is_(None),
                                                       CHILD_START.c.skipped_at.is_(None)).limit(1)).first() is not None


def summary(conn: Any, parent_id: int) -> dict[str, int] | None:
    """How the parent's plan of children stands (None: it planned none): planned, started, still to
    start, could not start (its incident), skipped by an admin. What a reader is shown beside the
    children's own statuses, so "being started" is never said of a child that never will be."""
    planned, started, failed, skipped = conn.execute(select(
        func.count(), func.count(CHILD_START.c.case_id),
        func.count(CHILD_START.c.error).filter(CHILD_START.c.case_id.is_(None), CHILD_START.c.skipped_at.is_(None)),
        func.count(CHILD_START.c.skipped_at)).where(CHILD_START.c.parent_case_id == parent_id)).one()
    if not planned:
        return None
    return {"planned": planned, "started": started, "to_start": planned - started - failed - skipped,
            "could_not_start": failed, "skipped": skipped}


def planned_or_started(conn: Any, parent_id: int) -> bool:
    """Whether ``parent_id`` has planned or started any child case (a process plans its children once)."""
    return (conn.execute(select(CHILD_START.c.id).where(CHILD_START.c.parent_case_id == parent_id).limit(1)).first()
            or conn.execute(select(CASE.c.id).where(CASE.c.parent_case_id == parent_id).limit(1)).first()) is not None
