"""The savepoint a step writes in (engine/cases/failures.py): undone alone, nested, inside one transaction."""
from __future__ import annotations

from engine.cases.failures import Savepoint


def _numbers(conn) -> list[int]:  # type: ignore[no-untyped-def]
    return [n for (n,) in conn.exec_driver_sql("SELECT n FROM savepoint_probe ORDER BY n")]


def test_a_rolled_back_savepoint_undoes_only_what_was_written_inside_it(store):  # type: ignore[no-untyped-def]
    with store.command() as conn:
        conn.exec_driver_sql("CREATE TEMPORARY TABLE savepoint_probe (n integer)")
        conn.exec_driver_sql("INSERT INTO savepoint_probe VALUES (1)")
        outer = Savepoint(conn)
        conn.exec_driver_sql("INSERT INTO savepoint_probe VALUES (2)")
        inner = Savepoint(conn)  # a child case started inside its parent's write
        conn.exec_driver_sql("INSERT INTO savepoint_probe VALUES (3)")
        inner.rollback()
        assert _numbers(conn) == [1, 2]
        conn.exec_driver_sql("INSERT INTO savepoint_probe VALUES (4)")
        outer.release()
        assert _numbers(conn) == [1, 2, 4]
        again = Savepoint(conn)
        conn.exec_driver_sql("INSERT INTO savepoint_probe VALUES (5)")
        again.rollback()
        assert _numbers(conn) == [1, 2, 4]  # and the transaction goes on after a rollback
        conn.exec_driver_sql("DROP TABLE savepoint_probe")


def test_two_savepoints_have_names_of_their_own(store):  # type: ignore[no-untyped-def]
    with store.command() as conn:
        first, second = Savepoint(conn), Savepoint(conn)
        assert first.name != second.name
        second.release()
        first.release()
