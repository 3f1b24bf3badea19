"""PostgreSQL connections are not pinged at every checkout: a request that meets a dead connection
fails with the database's error and writes nothing, and the whole pool is renewed so the next
request works, even when every pooled connection died together (a server restart).

On PostgreSQL only (``TALENTFLOW_TEST_DATABASE_URL``): a SQLite connection cannot die under the pool.
"""
from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from engine.store.database import Store
from tests.conftest import BACKENDS, _postgres_database

POSTGRESQL = [backend for backend in BACKENDS if backend == "postgresql"]


@pytest.fixture
def pg_store() -> Iterator[Store]:
    for url in _postgres_database():
        store = Store(url)
        try:
            yield store
        finally:
            store.dispose()


def _kill(url: str, pids: list[int]) -> None:
    """End these server processes from outside, as a restart or a fail-over would."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for pid in pids:
                assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        admin.dispose()


def _written(store: Store) -> list[str]:
    with store.read() as session:
        return list(session.connection().exec_driver_sql("SELECT who FROM step ORDER BY n").scalars())


if POSTGRESQL:
    def test_a_write_on_a_dead_connection_fails_whole_and_the_next_request_gets_a_fresh_pool(pg_store):
        store = pg_store
        with store.command() as conn:
            conn.exec_driver_sql("CREATE TABLE step (n SERIAL PRIMARY KEY, who TEXT NOT NULL)")
        # two pooled connections, both killed together
        first, second = store.engine.connect(), store.engine.connect()
        pids = [c.exec_driver_sql("SELECT pg_backend_pid()").scalar() for c in (first, second)]
        first.close()
        second.close()
        _kill(store.url, [int(pid) for pid in pids])

        with pytest.raises(OperationalError):  # the request on a dead connection: the 503 path
            with store.command() as conn:
                conn.exec_driver_sql("INSERT INTO step (who) VALUES ('lost')")
        with store.command() as conn:  # the pool was renewed: not the other dead connection
            conn.exec_driver_sql("INSERT INTO step (who) VALUES ('after')")
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        assert pid not in pids
        assert _written(store) == ["after"]  # nothing of the failed request, nothing half-written

    def test_a_read_on_a_dead_connection_fails_once_and_the_next_read_works(pg_store):
        store = pg_store
        with store.command() as conn:
            conn.exec_driver_sql("CREATE TABLE step (n SERIAL PRIMARY KEY, who TEXT NOT NULL)")
            conn.exec_driver_sql("INSERT INTO step (who) VALUES ('kept')")
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        _kill(store.url, [int(pid)])
        with pytest.raises(OperationalError):
            _written(store)
        assert _written(store) == ["kept"]
