"""Open work per unit, counted as it changes: the dashboard reads a few counter rows, not every open task.

A count of the ready tasks per unit of their case is what the dashboard shows. Counting them on each
view is one pass over all open work, so the page grew with the backlog (x3.3 from 10 000 to 100 000
open cases). Instead, every statement that makes a task row ready or takes it out of ``ready`` adds
its difference to ``unit_backlog`` in the same transaction, so the counter is exactly as committed as
the task rows it counts: a reader sees both as of one snapshot, never a stale figure.

The places that change a task's status each call :func:`add` once: the task projection of every
step (new ready tasks, tasks that left the workflow, the completed one), cancelling a case, and
importing a case's history. A case never changes unit, so a task's unit is fixed for its life.

Each unit's count is kept in ``SLOTS`` rows, the slot chosen by the case id, and summed on read:
on PostgreSQL a counter row is locked from the step's upsert to its commit, and steps in one busy
unit would otherwise queue on a single row. Cases without a unit count under unit id 0 (``NO_UNIT``;
unit ids start at 1). Overdue work depends on the time of the question, so it is not counted
here but read by :func:`open_and_overdue` with a range scan of the ready tasks in due order
(``ix_task_due_order``): overdue tasks are normally a small part of the backlog.

It lives with the store, not with the cases that call it, because importing a case's history
(``engine.audit.events.import_history``) writes task rows too, and the audit package may not
import the cases package (the engine's packages import each other in one direction only).

:func:`recount` rewrites the counter from the task rows (``talentflow db recount-backlog``) and
:func:`mismatches` says where it differs, without writing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.engine import Connection

from engine.store.models import Task, UnitBacklog

SLOTS = 16
NO_UNIT = 0
BACKLOG = UnitBacklog.__table__

#: One statement on both dialects (SQLite >= 3.24 and PostgreSQL): create the slot or add to it.
_ADD = text("INSERT INTO unit_backlog (unit_id, slot, open_count) VALUES (:unit_id, :slot, :delta) "
            "ON CONFLICT (unit_id, slot) DO UPDATE SET open_count = unit_backlog.open_count + excluded.open_count")

#: What the task rows say the counter should hold (the migration that created the table fills it so).
FRESH = f"""SELECT coalesce(c.unit_id, {NO_UNIT}) AS unit_id, c.id % {SLOTS} AS slot, count(*) AS open_count
FROM task t JOIN "case" c ON c.id = t.case_id WHERE t.status = 'ready' GROUP BY 1, 2"""

#: Open per unit from the counter and overdue per unit from the due-order index, in ONE statement: on
#: PostgreSQL each statement has its own snapshot, and two would let a commit fall between the figures.
#: On SQLite the case's unit is read from ``ix_case_id_unit`` (id, unit_id), not from the case row, whose
#: workflow state (kilobytes, in overflow pages) it would otherwise walk past for each overdue task.
_OPEN_AND_OVERDUE = f"""SELECT unit_id, sum(open_count) AS open_count, 0 AS overdue FROM unit_backlog GROUP BY unit_id
UNION ALL
SELECT coalesce(c.unit_id, {NO_UNIT}), 0, count(*) FROM task t JOIN "case" c{{hint}} ON c.id = t.case_id
WHERE t.status = 'ready' AND t.due_at < :now GROUP BY c.unit_id"""


def add(conn: Connection, unit_id: int | None, case_id: int, delta: int) -> None:
    """Count ``delta`` more (or fewer) ready tasks of case ``case_id`` in unit ``unit_id``, in ``conn``'s
    transaction. Nothing is written when nothing changed (a step that completes one task and opens
    the next), so most steps pay no statement for the counter."""
    if delta:
        conn.execute(_ADD, {"unit_id": unit_id or NO_UNIT, "slot": case_id % SLOTS, "delta": int(delta)})


def open_and_overdue(conn: Connection, now: datetime) -> dict[int | None, tuple[int, int]]:
    """{unit id (None: cases without a unit): (ready tasks, ready tasks due before ``now``)} for every
    unit with open work; exact as of one snapshot."""
    hint = " INDEXED BY ix_case_id_unit" if conn.dialect.name == "sqlite" else ""
    query = text(_OPEN_AND_OVERDUE.format(hint=hint)).bindparams(
        bindparam("now", now, type_=Task.due_at.type))
    figures: dict[int | None, tuple[int, int]] = {}
    for unit_id, open_, late in conn.execute(query):
        key = None if unit_id == NO_UNIT else int(unit_id)
        had = figures.get(key, (0, 0))
        figures[key] = (had[0] + int(open_ or 0), had[1] + int(late or 0))
    return {unit: counts for unit, counts in figures.items() if counts[0] or counts[1]}


def _slots(conn: Connection, query: object) -> dict[tuple[int, int], int]:
    return {(int(u), int(s)): int(n) for u, s, n in conn.execute(query) if n}  # type: ignore[call-overload]


def mismatches(conn: Connection) -> dict[tuple[int, int], tuple[int, int]]:
    """{(unit id, slot): (counted, actual)} wherever the counter differs from the task rows; {} when exact."""
    counted = _slots(conn, select(BACKLOG.c.unit_id, BACKLOG.c.slot, BACKLOG.c.open_count))
    actual = _slots(conn, text(FRESH))
    return {key: (counted.get(key, 0), actual.get(key, 0)) for key in sorted(counted.keys() | actual.keys())
            if counted.get(key, 0) != actual.get(key, 0)}


def recount(conn: Connection) -> dict[tuple[int, int], tuple[int, int]]:
    """Rewrite the counter from the task rows in ``conn``'s transaction; returns what was wrong
    (:func:`mismatches` before the repair).

    On PostgreSQL the table is locked first (EXCLUSIVE: reads go on, counter writes wait): a step that
    has already written its difference holds the lock until it commits, so once granted, the count
    below sees every such step's task rows, and a step that comes later adds its difference after
    this transaction commits -- to the recounted rows. SQLite has one writer at a time anyway."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE unit_backlog IN EXCLUSIVE MODE"))
    wrong = mismatches(conn)
    if wrong:
        conn.execute(BACKLOG.delete())
        rows = [{"unit_id": u, "slot": s, "open_count": n} for (u, s), n in _slots(conn, text(FRESH)).items()]
        if rows:
            conn.execute(insert(BACKLOG), rows)
    return wrong
