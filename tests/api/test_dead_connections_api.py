"""PostgreSQL ended every connection of the service (a restart, a fail-over, an operator's
``pg_terminate_backend``): the first request after it answers 503 in the JSON error shape or
succeeds, never a 500; nothing is half-written; the next request works, and so does the timer
executor's next run.

On PostgreSQL only (a SQLite connection cannot be ended from outside): the suite's server when
``TALENTFLOW_TEST_DATABASE_URL`` names one, else a cluster of this module's own (tests/own_postgres.py),
so the scenario runs in every run of the suite.
"""
from __future__ import annotations

import os
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine, func, select, text

from engine.store.database import DATABASE_UNAVAILABLE
from engine.store.migrate import upgrade
from engine.time.executor import CASE
from tests.conftest import _postgres_database, proposal
from tests.own_postgres import OwnPostgres


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """This module's database, PostgreSQL whichever run this is (it replaces the suite's per-backend one)."""
    if os.environ.get("TALENTFLOW_TEST_DATABASE_URL"):
        for url in _postgres_database():
            upgrade(url)
            yield url
        return
    server = OwnPostgres()
    try:
        server.start()
        upgrade(server.url)
        yield server.url
    finally:
        server.close()


def end_every_connection_of(url: str) -> int:
    """From a connection of its own, end every other server process on the service's database."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all())
    finally:
        admin.dispose()


def cases(store: Any) -> int:
    with store.read() as session:
        return session.execute(select(func.count()).select_from(CASE)).scalar_one()


def warm(auth: Any, store: Any) -> dict[str, str]:
    """Several pooled connections, all idle in the pool: what a busy server has between requests."""
    headers = auth.headers("head_khcn")
    held = [store.engine.connect() for _ in range(3)]
    for conn in held:
        conn.exec_driver_sql("SELECT 1")
        conn.close()
    assert auth.client.get("/api/v1/cases", headers=headers).status_code == 200
    return headers


def test_the_first_command_after_postgresql_ended_the_connections_is_a_503_or_done_never_half(app, auth, store):
    assert not store.is_sqlite
    headers = warm(auth, store)
    before = cases(store)
    assert end_every_connection_of(store.url) >= 1
    answer = auth.client.post("/api/v1/cases", headers=headers,
                              json={"process": "training_nomination", "data": proposal()})
    assert answer.status_code in (201, 503), answer.get_data(as_text=True)[:500]
    if answer.status_code == 503:
        assert answer.get_json()["error"]["code"] == "database_unavailable"
    assert cases(store) == before + (1 if answer.status_code == 201 else 0)
    again = auth.client.post("/api/v1/cases", headers=headers,
                             json={"process": "training_nomination", "data": proposal()})
    assert again.status_code == 201, again.get_data(as_text=True)[:500]
    assert auth.client.get("/api/v1/cases", headers=headers).status_code == 200


def test_the_timer_executor_survives_postgresql_ending_its_connections(app, auth, store):
    assert not store.is_sqlite
    executor = app.extensions["talentflow"].timer_executor(sweep_seconds=30.0, secret="s")
    executor.run_once()
    warm(auth, store)
    assert end_every_connection_of(store.url) >= 1
    try:
        executor.run_once()
    except DATABASE_UNAVAILABLE:  # the background run logs it and tries again at the next sweep
        pass
    executor.run_once()  # the next run works
    executor.next_due()
