"""A step's prepared writes (engine/store/prepared.py) store exactly what SQLAlchemy would have stored,
count matched rows as it does, and fail as it does: wrapped, and the transaction rolled back."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError, StatementError

from engine.store.models import Case, Event
from engine.store.prepared import Prepared

EVENT, CASE = Event.__table__, Case.__table__
AT = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=7)))


def _event(case_id: int, seq: int, data: dict, on_behalf_of: str | None = None) -> dict:
    return {"case_id": case_id, "seq": seq, "type": "task_completed", "actor": "hr", "at": AT,
            "process_hash": "p" * 64, "task_id": None, "data": data, "from_status": None, "to_status": None,
            "prev_hash": "0" * 64, "hash": f"{seq:064d}", "on_behalf_of": on_behalf_of}


def _new_case(conn, store) -> int:  # type: ignore[no-untyped-def]
    definition_id = conn.execute(text("SELECT id FROM process_definition ORDER BY id LIMIT 1")).scalar()
    return conn.execute(insert(CASE).values(
        definition_id=definition_id, process_key="p", business_key=None, status="running", state="{}",
        data={}, unit_id=None, unit_path=None, version=1, next_timer_at=None, incident=None, event_seq=0,
        last_event_hash="0" * 64, created_by_id=None, created_by="hr", created_at=AT, updated_by="hr",
        updated_at=AT, ended_at=None)).inserted_primary_key[0]


def _raw_rows(conn, case_id: int) -> list[tuple]:  # type: ignore[no-untyped-def]
    """The rows as the database holds them, without SQLAlchemy's result processing."""
    columns = ", ".join(c for c in EVENT.c.keys() if c != "id")
    return [tuple(row) for row in conn.exec_driver_sql(
        f"SELECT {columns} FROM event WHERE case_id = {int(case_id)} ORDER BY seq")]


def test_a_prepared_insert_stores_the_same_values_as_sqlalchemy(store) -> None:  # type: ignore[no-untyped-def]
    prepared = Prepared(insert(EVENT))
    data = [{"element_id": "review", "data": {"score": 72, "nested": [1, "hai", None]}}, {}]
    with store.command() as conn:
        ours, theirs = _new_case(conn, store), _new_case(conn, store)
        prepared.run_many(conn, [_event(ours, 1, data[0], "head_khcn"), _event(ours, 2, data[1])])
        conn.execute(insert(EVENT), [_event(theirs, 1, data[0], "head_khcn"), _event(theirs, 2, data[1])])
        prepared.run_many(conn, [_event(ours, 3, {"one": "row"})])
        conn.execute(insert(EVENT), [_event(theirs, 3, {"one": "row"})])
        mine = [row[1:] for row in _raw_rows(conn, ours)]
        assert mine == [row[1:] for row in _raw_rows(conn, theirs)]
        assert len(mine) == 3
        read = conn.execute(select(EVENT).where(EVENT.c.case_id == ours).order_by(EVENT.c.seq)).all()
        assert [r.data for r in read] == [*data, {"one": "row"}]
        assert read[0].at == AT and read[0].on_behalf_of == "head_khcn" and read[1].on_behalf_of is None


def test_a_prepared_update_counts_the_rows_it_matched_and_stores_json_null_as_sqlalchemy(store) -> None:  # type: ignore[no-untyped-def]
    statement = (update(CASE).where(CASE.c.id == bindparam("case_id"), CASE.c.version == bindparam("old"))
                 .values(version=bindparam("new"), incident=bindparam("incident"), status="error"))
    prepared = Prepared(statement)
    with store.command() as conn:
        ours, theirs = _new_case(conn, store), _new_case(conn, store)
        assert prepared.run(conn, {"case_id": ours, "old": 1, "new": 2, "incident": None}) == 1
        assert prepared.run(conn, {"case_id": ours, "old": 1, "new": 3, "incident": None}) == 0  # stale
        conn.execute(statement, {"case_id": theirs, "old": 1, "new": 2, "incident": None})
        rows = conn.exec_driver_sql(f"SELECT status, version, incident FROM \"case\" WHERE id IN ({ours}, {theirs}) "
                                    "ORDER BY id").all()
        assert rows[0] == rows[1] and tuple(rows[0])[:2] == ("error", 2)


def test_a_failing_prepared_write_raises_sqlalchemys_error_and_writes_nothing(store) -> None:  # type: ignore[no-untyped-def]
    with store.command() as conn:
        case_id = _new_case(conn, store)
    with pytest.raises(IntegrityError):
        with store.command() as conn:
            conn.execute(text("UPDATE \"case\" SET event_seq = 9 WHERE id = :id"), {"id": case_id})
            Prepared(insert(EVENT)).run_many(conn, [_event(case_id, 1, {}), _event(case_id, 1, {})])  # same seq
    with store.command() as conn:
        assert conn.execute(select(CASE.c.event_seq).where(CASE.c.id == case_id)).scalar() == 0
        assert _raw_rows(conn, case_id) == []


def _refused(store, run) -> type[BaseException]:  # type: ignore[no-untyped-def]
    """What ``run(conn)`` raises inside a command (whose transaction then rolls back)."""
    with pytest.raises(Exception) as raised:
        with store.command() as conn:
            run(conn)
    return type(raised.value)


def test_a_value_no_column_accepts_raises_what_sqlalchemy_raises_for_it(store) -> None:  # type: ignore[no-untyped-def]
    """Callers sort errors by type (a child case that cannot start, a migration's database error), so
    the prepared path raises what ``Connection.execute`` would: a naive datetime refused by the column's
    type is SQLAlchemy's ``StatementError``; a number the driver cannot hold is the driver's own error,
    let through as SQLAlchemy lets it through. Nothing is written either way."""
    with store.command() as conn:
        case_id = _new_case(conn, store)
    naive = dict(_event(case_id, 1, {}), at=datetime(2026, 3, 2, 9, 30))
    huge = _event(case_id, 2**64, {})
    for row in (naive, huge):
        theirs = _refused(store, lambda conn: conn.execute(insert(EVENT), [row]))
        ours = _refused(store, lambda conn: Prepared(insert(EVENT)).run_many(conn, [row]))
        assert ours is theirs
    assert issubclass(_refused(store, lambda conn: Prepared(insert(EVENT)).run(conn, naive)), StatementError)
    with store.command() as conn:
        assert _raw_rows(conn, case_id) == []
