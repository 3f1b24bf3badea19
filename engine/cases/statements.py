"""The runner's statements, built once: building and hashing a statement costs more than running it.

SQLAlchemy Core on the case and task tables (see :mod:`engine.cases.runner`).
"""
from __future__ import annotations

from sqlalchemy import bindparam, insert, select, update

from engine.people.substitutes import STANDS_IN
from engine.store.models import Case, RoleGrant, Task
from engine.store.prepared import Prepared

CASE, TASK, GRANT = Case.__table__, Task.__table__, RoleGrant.__table__

#: Case columns a step writes back (with ``version``).
SAVED = ("state", "data", "status", "incident", "event_seq", "last_event_hash", "updated_by", "updated_at",
          "ended_at", "next_timer_at")
#: Of those, the ones most steps leave as they were: written only when they changed since the row was read
#: (:attr:`engine.cases.records.CaseRecord.as_read`). An UPDATE that names a column rewrites every index
#: holding it, changed or not: on SQLite, naming these four (five case indexes) cost a step's UPDATE and
#: commit 48 us of CPU instead of 17 (measured on a copy of a bench database).
SELDOM_CHANGED = ("status", "incident", "ended_at", "next_timer_at")

TASK_WITH_CASE = (select(*(c.label(f"t_{c.name}") for c in TASK.c), *CASE.c)
                   .join(CASE, CASE.c.id == TASK.c.case_id).where(TASK.c.id == bindparam("task_id")))
#: What a command on a task reads first, in one statement: the task, its case, and whether the actor
#: (``:user_id``, ``:today``, ``:now``: ``substitutes.active_params``) stands in for anyone now.
TASK_FOR_COMMAND = TASK_WITH_CASE.add_columns(STANDS_IN)
# PostgreSQL: lock the task row too, so a request that waited re-reads both rows as committed
# (with only the case locked, the task columns would be those of the statement's snapshot).
TASK_WITH_LOCKED_CASE = TASK_WITH_CASE.with_for_update(of=[CASE, TASK])
TASK_FOR_LOCKED_COMMAND = TASK_FOR_COMMAND.with_for_update(of=[CASE, TASK])
_SAVE_CASE: dict[tuple[str, ...], Prepared] = {}


def save_case(columns: tuple[str, ...]) -> Prepared:
    """The UPDATE of a case that writes ``columns`` (of :data:`SAVED`) and ``version``, if the version
    read is still the row's; one per set of columns, built once."""
    found = _SAVE_CASE.get(columns)
    if found is None:
        found = _SAVE_CASE.setdefault(columns, Prepared(
            update(CASE).where(CASE.c.id == bindparam("case_id"), CASE.c.version == bindparam("old_version"))
            .values(version=bindparam("new_version"), **{name: bindparam(name) for name in columns})))
    return found


#: A step's own writes (this one, the task completed, the new tasks, the events) are
#: :class:`Prepared`: compiled once, run on the cursor (see engine/store/prepared.py).
COMPLETE_TASK = Prepared(update(TASK).where(TASK.c.id == bindparam("task_id")).values(
    status="completed", completed_by_id=bindparam("user_id"), completed_at=bindparam("at"),
    claimed_by_id=bindparam("user_id")))
INSERT_TASKS = Prepared(insert(TASK))
READY_ROWS = select(TASK.c.id, TASK.c.element_id).where(TASK.c.case_id == bindparam("case_id"),
                                                         TASK.c.status == "ready")
DUE_CASES = (select(CASE.c.id).where(CASE.c.status == "running", CASE.c.next_timer_at < bindparam("now"))
              .order_by(CASE.c.next_timer_at).limit(bindparam("limit")))
INSERT_CASE = insert(CASE)
#: A timer executor's claim on a case ends with the step that fires it (engine/time/executor.py).
RELEASE_CLAIM = (update(CASE).where(CASE.c.id == bindparam("case_id"), CASE.c.timer_claimed_by.is_not(None))
                  .values(timer_claimed_by=None, timer_claimed_until=None))
CHILDREN = (select(CASE.c.id, CASE.c.status, CASE.c.data).where(CASE.c.parent_case_id == bindparam("parent_id"))
             .order_by(CASE.c.id))
OPEN_CHILDREN = (select(CASE.c.id).where(CASE.c.parent_case_id == bindparam("parent_id"),
                                          CASE.c.status.in_(("running", "error"))).order_by(CASE.c.id))
ANY_OPEN_CHILD = OPEN_CHILDREN.order_by(None).limit(1)
