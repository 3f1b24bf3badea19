"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL in production.

Every command runs in one transaction that locks its case row
(:meth:`Store.lock_row`): ``SELECT ... FOR UPDATE`` on PostgreSQL. On SQLite a
write transaction starts with ``BEGIN IMMEDIATE``, taking SQLite's single
write lock before anything is read, so a racing command waits for the other to
commit instead of failing or working from a stale snapshot. Before that, a writer
queues for this process's FIFO write lock and a file lock shared by every process
on the database (engine/store/write_lock.py), so writers wait in order instead of
sleeping in SQLite's busy handler; the busy timeout stays for other programs.
Read-only transactions (:meth:`Store.read`) take neither.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a commit appends to the WAL
without waiting for the disk, which is synced at each checkpoint. A committed
transaction survives a crash of the process (the WAL is in the operating system's
hands); a power loss or an operating-system crash can lose the last transactions
committed before it, but never corrupts the database, and what remains is a
consistent state at some earlier commit (hash chains included). ``FULL`` would sync
the WAL at every commit, at the price of a disk flush per step. ``cache_size``,
``temp_store=MEMORY`` and ``mmap_size`` stay at SQLite's defaults: measured on lists
at 30 000 open cases and on a step through the API, none made a difference that
stood out of the run-to-run noise (issue 17's notes).

PostgreSQL's connections are not pinged at every checkout (a round trip per
request): they are recycled after :data:`POOL_RECYCLE_SECONDS`, and a connection
found dead by a statement makes SQLAlchemy invalidate the whole pool (its
``is_disconnect`` check), so that request fails with the driver's error (answered
503 "database_unavailable", its transaction rolled back, nothing half-written) and
the next one gets a fresh connection.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

from sqlalchemy import create_engine, event, select
from sqlalchemy import Table
from sqlalchemy.engine import URL, Connection, Engine, Row, make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from engine.store import backlog
from engine.store.write_lock import WriteLock, write_lock_for

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: A pooled PostgreSQL connection older than this is replaced at checkout: shorter than the idle
#: timeouts of firewalls and poolers, so an idle pool is not mostly dead connections.
POOL_RECYCLE_SECONDS = 1800
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

#: Failures of the database rather than of the work (it went away, a lock or the pool timed out, a
#: deadlock was broken): the same work may well succeed when tried again. Everything else a piece of
#: background work raises (a bug in a hook included) will fail the same way next time, so the
#: executor and the child-case batches make it an incident instead of retrying it for ever.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, DisconnectionError,
                                                      PoolTimeout, *DRIVER_OPERATIONAL_ERRORS)


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite database URL, or None for an in-memory one. With ``?uri=true`` the
    database is a ``file:`` URI (``file:/srv/db.sqlite``, ``file:///srv/db.sqlite?mode=rwc``), whose
    path is the file: taken as it stands, it would be a relative path under the working directory."""
    name = url.database
    if name and name.startswith("file:") and str(url.query.get("uri", "")).lower() in ("true", "1", "yes", "on"):
        if str(url.query.get("mode", "")).lower() == "memory":
            return None
        name = unquote(urlsplit(name).path)
    if not name or name == ":memory:":
        return None
    return Path(name)


def make_engine(url: str, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        file = sqlite_file(parsed)
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
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
            # Sent on the DB-API connection (each request opens a transaction, and a full
            # ``exec_driver_sql`` cost several times SQLite's own work); an error still goes
            # through SQLAlchemy's handler, raised wrapped as it always was.
            statement = "BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN"
            try:
                conn.connection.dbapi_connection.execute(statement)
            except Exception as err:  # noqa: BLE001 - re-raised wrapped by SQLAlchemy
                conn._handle_dbapi_exception(err, statement, (), None, None)

        backlog.watch(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_recycle=POOL_RECYCLE_SECONDS, pool_size=10, max_overflow=20)
    backlog.watch(engine)  # the open-task counter is written as each transaction commits
    return engine


class Store:
    """Owns the engine and hands out sessions; one per service process."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._write_sessions = sessionmaker(self._write_engine, expire_on_commit=False)
        file = sqlite_file(self.engine.url) if self.is_sqlite else None
        #: SQLite on a file: the writers' queue (None on PostgreSQL, and for an in-memory SQLite
        #: database, which no other connection shares).
        self.write_lock: WriteLock | None = write_lock_for(str(file)) if file is not None else None

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the write lock around a whole write transaction, from before the connection is
        checked out until it is back in the pool (see engine/store/write_lock.py for why here)."""
        if self.write_lock is None:
            yield
            return
        with self.write_lock.held():
            yield

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: commit on success, roll back on any exception."""
        with self._writing(), self._write_sessions() as session:
            with session.begin():
                yield session

    @contextmanager
    def command(self) -> Iterator[Connection]:
        """A Core connection inside one write transaction (the runner's hot path, no ORM session)."""
        with self._writing(), self._write_engine.begin() as connection:
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
