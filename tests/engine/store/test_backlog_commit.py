"""When the open-task counter is written (engine/store/backlog.py): once, sorted, just before the commit.

The differences a transaction notes are written after everything else it does, in (unit, slot)
order; a transaction that rolls back -- whole, to a step's savepoint, to a ``begin_nested`` -- or whose
commit fails leaves nothing behind, on the database or on its pooled connection for the next one.
The units here (``GHOST``) exist nowhere, so each test removes the counter rows it wrote.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from sqlalchemy import event, select, text

from engine.cases.failures import Savepoint
from engine.store import backlog
from engine.store.models import UnitBacklog

GHOST = 900_001
BACKLOG = UnitBacklog.__table__


@pytest.fixture
def ghost_rows(store: Any) -> Iterator[None]:
    yield
    with store.command() as conn:
        conn.execute(BACKLOG.delete().where(BACKLOG.c.unit_id >= GHOST))


def counted(store: Any) -> dict[tuple[int, int], int]:
    with store.read() as session:
        rows = session.execute(select(BACKLOG.c.unit_id, BACKLOG.c.slot, BACKLOG.c.open_count)
                               .where(BACKLOG.c.unit_id >= GHOST))
        return {(u, s): n for u, s, n in rows if n}


def statements(store: Any) -> list[tuple[str, Any]]:
    """Every statement sent from now on (a listener the caller removes with :func:`stop`)."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, statement: Any, multiparams: Any, params: Any, _options: Any) -> None:
        seen.append((str(statement), list(multiparams) if multiparams else [params]))
    event.listen(store.engine, "before_execute", record)
    seen.append(("", record))  # the listener itself, for stop()
    return seen


def stop(store: Any, seen: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    event.remove(store.engine, "before_execute", seen[0][1])
    return seen[1:]


def test_the_counter_is_written_after_every_other_statement_and_in_unit_then_slot_order(store, ghost_rows):
    seen = statements(store)
    with store.command() as conn:
        backlog.add(conn, GHOST + 1, 3, 2)
        backlog.add(conn, GHOST, 5, 1)
        backlog.add(conn, GHOST + 1, 1, 1)
        backlog.add(conn, GHOST, 7, 4)
        backlog.add(conn, GHOST, 7, -4)  # cancels out: nothing written for that slot
        assert counted(store) == {}  # noted, not written
        conn.execute(text("SELECT 1"))  # the command's last statement of its own
    sent = stop(store, seen)
    counter = [i for i, (sql, _) in enumerate(sent) if sql.startswith("INSERT INTO unit_backlog")]
    assert counter and counter[0] > max(i for i, (sql, _) in enumerate(sent) if sql == "SELECT 1")
    written = [(p["unit_id"], p["slot"], p["delta"]) for i in counter
               for p in sent[i][1]]
    assert written == [(GHOST, 5, 1), (GHOST + 1, 1, 1), (GHOST + 1, 3, 2)]
    assert counted(store) == {(GHOST, 5): 1, (GHOST + 1, 1): 1, (GHOST + 1, 3): 2}


class Refused(Exception):
    """A command's own error, raised after it noted a difference."""


def test_a_rolled_back_command_leaves_no_difference_for_the_next_one_on_its_connection(store, ghost_rows):
    with pytest.raises(Refused):
        with store.command() as conn:
            backlog.add(conn, GHOST, 1, 5)
            raise Refused()
    with store.command() as conn:
        assert backlog.snapshot(conn) == {}
        backlog.add(conn, GHOST, 2, 1)
    assert counted(store) == {(GHOST, 2): 1}


def test_a_commit_whose_counter_write_fails_rolls_back_and_forgets_its_differences(store, ghost_rows, monkeypatch):
    monkeypatch.setattr(backlog, "_ADD", text("INSERT INTO no_such_counter (unit_id) VALUES (:unit_id)"))
    with pytest.raises(Exception, match="no_such_counter"):
        with store.command() as conn:
            conn.execute(BACKLOG.insert().values(unit_id=GHOST, slot=9, open_count=7))
            backlog.add(conn, GHOST, 1, 5)
    monkeypatch.undo()
    assert counted(store) == {}  # the row written before the failed commit went with it
    with store.command() as conn:
        assert backlog.snapshot(conn) == {}
        backlog.add(conn, GHOST, 2, 1)
    assert counted(store) == {(GHOST, 2): 1}


def test_differences_noted_in_a_rolled_back_savepoint_go_back_with_it_and_others_stay(store, ghost_rows):
    with store.command() as conn:
        backlog.add(conn, GHOST, 1, 1)
        step = Savepoint(conn)  # a step that fails: engine/cases/steps.py save_or_fail
        backlog.add(conn, GHOST, 1, 10)
        backlog.add(conn, GHOST, 2, 1)
        child = Savepoint(conn)
        backlog.add(conn, GHOST, 3, 1)
        child.release()
        step.rollback()
        kept = Savepoint(conn)
        backlog.add(conn, GHOST, 4, 1)
        kept.release()
        nested = conn.begin_nested()  # SQLAlchemy's own savepoints, through its events
        backlog.add(conn, GHOST, 5, 1)
        inner = conn.begin_nested()
        backlog.add(conn, GHOST, 6, 1)
        inner.rollback()
        nested.commit()
        gone = conn.begin_nested()
        backlog.add(conn, GHOST, 7, 1)
        gone.rollback()
    assert counted(store) == {(GHOST, 1): 1, (GHOST, 4): 1, (GHOST, 5): 1}
