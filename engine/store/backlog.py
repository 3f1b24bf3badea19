"""Open work per unit, counted as it changes: the dashboard reads a few counter rows, not every open task.

A count of the ready tasks per unit of their case is what the dashboard shows. Counting them on each
view is one pass over all open work, so the page grew with the backlog (x3.3 from 10 000 to 100 000
open cases). Instead, every statement that makes a task row ready or takes it out of ``ready`` adds
its difference to ``unit_backlog`` in the same transaction, so the counter is exactly as committed as
the task rows it counts: a reader sees both as of one snapshot, never a stale figure.

The places that change a task's status each call :func:`add` once: the task projection of every
step (new ready tasks, tasks that left the workflow, the completed one), cancelling a case, and
importing a case's history. A case never changes unit, so a task's unit is fixed for its life.

:func:`add` writes nothing: it sums the differences on the transaction's connection (``conn.info``),
and :func:`watch` has them written just before the transaction commits, in (unit, slot) order. On PostgreSQL a counter row is locked from its upsert to the commit; written mid-step,
it deadlocked with the parent row: a child's last step held a counter row (its task projection) and
then wanted its parent's row (``child_finished``), while a batch of children held the parent's row
and wanted that counter row. Written last, every case row a transaction locks is locked before any
counter row, and counter rows are always locked in one order, so two transactions never wait on
each other in a circle for them. Differences gathered in a savepoint that is rolled back are
dropped with it (:func:`snapshot`, :func:`restore`), and a transaction that rolls back drops all of
its own: the connection, and its ``info``, go back to the pool for the next request.

It lives with the store, not with the cases that call it, because importing a case's history
(``engine.audit.events.import_history``) writes task rows too, and the audit package may not
import the cases package (the engine's packages import each other in one direction only).

:func:`recount` rewrites the counter from the task rows (``talentflow db recount-backlog``) and
:func:`mismatches` says where it differs, without writing.
"""
from __future__ import annotations

from datetime import datetime

from typing import Any

from sqlalchemy import bindparam, event, insert, text
from sqlalchemy.engine import Connection, Engine

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


#: Where a connection keeps its transaction's differences not written yet: {(unit id, slot): delta}.
PENDING = "talentflow_backlog_pending"
#: The pending differences as each open SQLAlchemy savepoint (``begin_nested``) found them, innermost last.
_SAVEPOINTS = "talentflow_backlog_savepoints"


def add(conn: Connection, unit_id: int | None, case_id: int, delta: int) -> None:
    """Count ``delta`` more (or fewer) ready tasks of case ``case_id`` in unit ``unit_id``, in ``conn``'s
    transaction: noted now, written at its commit (see the module's docstring for why). Differences
    that cancel out (a step that completes one task and opens the next) write nothing."""
    if not delta:
        return
    pending = conn.info.setdefault(PENDING, {})
    key = (unit_id or NO_UNIT, case_id % SLOTS)
    total = pending.get(key, 0) + int(delta)
    if total:
        pending[key] = total
    else:
        pending.pop(key, None)


def snapshot(conn: Connection) -> dict[tuple[int, int], int]:
    """The differences ``conn``'s transaction has noted so far, for :func:`restore` after a rollback
    to a savepoint taken now."""
    return dict(conn.info.get(PENDING) or {})


def restore(conn: Connection, taken: dict[tuple[int, int], int]) -> None:
    """Forget the differences noted since :func:`snapshot` returned ``taken``: what they counted was
    rolled back to a savepoint."""
    conn.info[PENDING] = dict(taken)


def forget(conn: Connection) -> None:
    """Drop every difference noted on ``conn`` (its transaction has ended)."""
    try:
        info = conn.info
    except Exception:  # noqa: BLE001 - a connection already invalidated: checkin clears its record
        return
    _clear(info)


def _clear(info: dict[Any, Any]) -> None:
    info.pop(PENDING, None)
    info.pop(_SAVEPOINTS, None)


def flush(conn: Connection) -> None:
    """Write the differences noted on ``conn``, in (unit id, slot) order, and forget them -- also when
    the write fails (the transaction then rolls back, and so do they)."""
    pending = conn.info.pop(PENDING, None)
    conn.info.pop(_SAVEPOINTS, None)
    if pending:
        conn.execute(_ADD, [{"unit_id": unit_id, "slot": slot, "delta": delta}
                            for (unit_id, slot), delta in sorted(pending.items())])


def watch(engine: Engine) -> None:
    """Write each transaction's noted differences on ``engine`` just before it commits, and drop them
    when it rolls back, whole or to a ``begin_nested`` savepoint. (The steps' own savepoint,
    ``engine.cases.failures.Savepoint``, bypasses SQLAlchemy and calls :func:`snapshot` and
    :func:`restore` itself.) Every way of committing -- ``Store.command``, ``Store.transaction``, an
    ORM session, ``Connection.commit`` -- goes through SQLAlchemy's ``commit`` event, which fires
    while the transaction is still open."""
    event.listen(engine, "commit", flush)
    event.listen(engine, "rollback", forget)

    @event.listens_for(engine, "savepoint")
    def _savepoint(conn: Connection, _name: str | None) -> None:
        conn.info.setdefault(_SAVEPOINTS, []).append(snapshot(conn))  # savepoints nest: a stack

    @event.listens_for(engine, "rollback_savepoint")
    def _rollback_savepoint(conn: Connection, _name: str, _context: Any) -> None:
        taken = conn.info.get(_SAVEPOINTS)
        if taken:
            restore(conn, taken.pop())

    @event.listens_for(engine, "release_savepoint")
    def _release_savepoint(conn: Connection, _name: str, _context: Any) -> None:
        taken = conn.info.get(_SAVEPOINTS)
        if taken:
            taken.pop()

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi: Any, record: Any) -> None:  # a connection back in the pool starts clean
        if record is not None:
            _clear(record.info)


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


#: The counter beside the task rows, in ONE statement: on PostgreSQL (READ COMMITTED) each statement
#: has its own snapshot, and a step committing between two reads showed as a mismatch that was not
#: there. A UNION ALL, not a FULL JOIN, which SQLite has only since 3.39.
_MISMATCHES = text(f"""SELECT unit_id, slot, sum(counted), sum(actual) FROM (
SELECT unit_id, slot, open_count AS counted, 0 AS actual FROM unit_backlog
UNION ALL
SELECT unit_id, slot, 0, open_count FROM ({FRESH}) fresh) both_sides
GROUP BY unit_id, slot HAVING sum(counted) <> sum(actual) ORDER BY unit_id, slot""")


def mismatches(conn: Connection) -> dict[tuple[int, int], tuple[int, int]]:
    """{(unit id, slot): (counted, actual)} wherever the counter differs from the task rows; {} when
    exact. Both sides are read as of one snapshot (:data:`_MISMATCHES`)."""
    return {(int(u), int(s)): (int(counted), int(actual)) for u, s, counted, actual in conn.execute(_MISMATCHES)}


def recount(conn: Connection) -> dict[tuple[int, int], tuple[int, int]]:
    """Rewrite the counter from the task rows in ``conn``'s transaction; returns what was wrong
    (:func:`mismatches` before the repair).

    On PostgreSQL the table is locked first (EXCLUSIVE: reads go on, counter writes wait): a step
    writes its differences just before it commits (:func:`watch`) and holds its lock until then, so
    once granted, the count below sees every such step's task rows, and a step that comes later
    (its task rows not committed yet) adds its difference after this transaction commits -- to the
    recounted rows. SQLite has one writer at a time anyway."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE unit_backlog IN EXCLUSIVE MODE"))
    wrong = mismatches(conn)
    if wrong:
        conn.execute(BACKLOG.delete())
        rows = [{"unit_id": u, "slot": s, "open_count": n} for (u, s), n in _slots(conn, text(FRESH)).items()]
        if rows:
            conn.execute(insert(BACKLOG), rows)
    return wrong
