"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL in production.

Every command runs in one transaction that locks its case row
(:meth:`Store.lock_row`): ``SELECT ... FOR UPDATE`` on PostgreSQL. On SQLite a
write transaction starts with ``BEGIN IMMEDIATE``, taking SQLite's single
write lock before anything is read, so a racing command waits for the other to
commit instead of failing or working from a stale snapshot.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, select
from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine, Row, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "talentflow_write"


def _driver_operational_errors() -> tuple[type[Exception], ...]:
    import sqlite3

    found: list[type[Exception]] = [sqlite3.OperationalError]
    try:
        import psycopg
    except ImportError:  # an installation on SQLite alone
        return tuple(found)
    return (*found, psycopg.OperationalError)


#: What the DB-API drivers raise themselves when the database is away (refused, shutting down, cut
#: off). SQLAlchemy wraps these in its own OperationalError, but code that takes a raw connection
#: (``engine.raw_connection()``, the token check's fast path) sees them bare; whoever answers "the
#: database is unavailable" must recognise both.
DRIVER_OPERATIONAL_ERRORS: tuple[type[Exception], ...] = _driver_operational_errors()


def make_engine(url: str, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Take transaction control from pysqlite so reads are transactional too.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # Commands take the write lock up front (waiting up to the busy timeout) so two
            # racing commands queue instead of one failing with "database is locked".
            immediate = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Store:
    """Owns the engine and hands out sessions; one per service process."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._write_sessions = sessionmaker(self._write_engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: commit on success, roll back on any exception."""
        with self._write_sessions() as session:
            with session.begin():
                yield session

    @contextmanager
    def command(self) -> Iterator[Connection]:
        """A Core connection inside one write transaction (the runner's hot path, no ORM session)."""
        with self._write_engine.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    def lock_row(self, conn: Connection, table: Table, row_id: object) -> Row | None:
        """Lock one row (by ``id``) for the rest of the transaction and return it, or None."""
        if self.is_sqlite:  # the transaction already holds SQLite's write lock (BEGIN IMMEDIATE)
            return conn.execute(select(table).where(table.c.id == row_id)).first()
        return conn.execute(select(table).where(table.c.id == row_id).with_for_update()).first()

    def dispose(self) -> None:
        self.engine.dispose()
