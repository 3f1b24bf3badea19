"""SQLite's writers queue in order behind one lock per process and a file lock across processes,
always let go of it, and readers never touch it; PostgreSQL goes on without it.

No test here measures time: the order of events is recorded (in a list, or in the database itself)
and threads and processes are lined up with events, the lock's own queue and the kernel's lock table.
"""
from __future__ import annotations

import fcntl
import multiprocessing
import os
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy.exc import IntegrityError

from engine.store import database
from engine.store.database import Store
from engine.store.write_lock import LOCK_FILE_SUFFIX, TicketLock
from tests.conftest import BACKENDS, _postgres_database
from tests.waiting import DEADLINE_SECONDS, wait_for


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'locks.db'}")
    with store.command() as conn:
        conn.exec_driver_sql("CREATE TABLE step (n INTEGER PRIMARY KEY AUTOINCREMENT, who TEXT UNIQUE)")
    try:
        yield store
    finally:
        store.dispose()


def written(store: Store) -> list[str]:
    with store.read() as session:
        return list(session.connection().exec_driver_sql("SELECT who FROM step ORDER BY n").scalars())


def file_lock_is_free(store: Store) -> bool:
    """Whether another open file description could take the file lock now (flock, non-blocking)."""
    assert store.write_lock is not None and store.write_lock.path is not None
    fd = os.open(store.write_lock.path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing drops a lock this check took
    return True


def in_thread(target: Any) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_three_writers_queued_in_a_known_order_commit_in_that_order(sqlite_store):
    store = sqlite_store
    assert store.write_lock is not None
    queue = store.write_lock.threads
    threads = []

    def writer(name: str) -> Any:
        def run() -> None:
            with store.command() as conn:
                conn.exec_driver_sql("INSERT INTO step (who) VALUES (?)", (name,))
        return run

    with store.command() as conn:  # the holder: everyone else lines up behind it
        conn.exec_driver_sql("INSERT INTO step (who) VALUES ('holder')")
        for position, name in enumerate(("first", "second", "third"), start=1):
            threads.append(in_thread(writer(name)))
            assert queue.wait_for_queued(position, DEADLINE_SECONDS)  # in the queue before the next starts
    for thread in threads:
        thread.join(DEADLINE_SECONDS)
        assert not thread.is_alive()

    assert written(store) == ["holder", "first", "second", "third"]
    assert not queue.locked and file_lock_is_free(store)


def test_a_ticket_lock_serves_waiters_in_arrival_order_and_skips_one_that_gave_up():
    lock, served = TicketLock(), []
    giving_up = threading.Event()
    real_wait = lock._cond.wait

    def wait(timeout: float | None = None) -> bool:  # the quitter is interrupted when next woken
        woken = real_wait(timeout)
        if threading.current_thread().name == "quitter" and giving_up.is_set():
            raise KeyboardInterrupt
        return woken

    lock._cond.wait = wait  # type: ignore[method-assign]
    assert lock.acquire()
    waiters = []
    for position, name in enumerate(("a", "quitter", "b", "c"), start=1):
        def run(name: str = name) -> None:
            try:
                lock.acquire()
            except KeyboardInterrupt:
                served.append(f"{name} gave up")
                return
            served.append(name)
            lock.release()
        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        waiters.append(thread)
        assert lock.wait_for_queued(position, DEADLINE_SECONDS)
    giving_up.set()
    lock.release()
    for thread in waiters:
        thread.join(DEADLINE_SECONDS)
        assert not thread.is_alive()
    assert [name for name in served if name != "quitter gave up"] == ["a", "b", "c"]
    assert "quitter gave up" in served and not lock.locked


def test_an_exception_inside_a_transaction_rolls_it_back_and_releases_the_lock(sqlite_store):
    store = sqlite_store
    with pytest.raises(RuntimeError):
        with store.transaction() as session:
            session.connection().exec_driver_sql("INSERT INTO step (who) VALUES ('half')")
            raise RuntimeError("the step failed")
    assert not store.write_lock.threads.locked and file_lock_is_free(store)
    assert written(store) == []

    def another_writer() -> None:  # would queue for ever behind a lock never let go
        with store.command() as conn:
            conn.exec_driver_sql("INSERT INTO step (who) VALUES ('after')")
    writer = in_thread(another_writer)
    writer.join(DEADLINE_SECONDS)
    assert not writer.is_alive()
    assert written(store) == ["after"]


def test_a_database_error_rollback_and_an_invalidated_connection_release_the_lock(sqlite_store):
    store = sqlite_store
    with store.command() as conn:
        conn.exec_driver_sql("INSERT INTO step (who) VALUES ('once')")
    with pytest.raises(IntegrityError):  # the database refuses: rolled back
        with store.command() as conn:
            conn.exec_driver_sql("INSERT INTO step (who) VALUES ('twice')")
            conn.exec_driver_sql("INSERT INTO step (who) VALUES ('once')")
    assert not store.write_lock.threads.locked and file_lock_is_free(store)

    with pytest.raises(RuntimeError):  # the connection is lost mid-transaction
        with store.command() as conn:
            conn.exec_driver_sql("INSERT INTO step (who) VALUES ('lost')")
            conn.invalidate()
            raise RuntimeError("connection lost")
    assert not store.write_lock.threads.locked and file_lock_is_free(store)

    with store.transaction() as session:  # an explicit rollback of an ORM session's work
        session.connection().exec_driver_sql("INSERT INTO step (who) VALUES ('undone')")
        session.rollback()
    assert not store.write_lock.threads.locked and file_lock_is_free(store)
    assert written(store) == ["once"]


def test_a_write_transaction_inside_another_on_the_same_thread_does_not_wait_for_itself(sqlite_store):
    store = sqlite_store
    with store.command() as conn:
        conn.exec_driver_sql("INSERT INTO step (who) VALUES ('outer')")
        with store.write_lock.held():  # re-entered: counted, not queued
            assert store.write_lock.threads.locked
    assert not store.write_lock.threads.locked and file_lock_is_free(store)


def test_a_read_takes_no_write_lock_and_goes_on_while_a_writer_holds_it(sqlite_store):
    store = sqlite_store
    seen: list[list[str]] = []
    with store.command() as conn:
        conn.exec_driver_sql("INSERT INTO step (who) VALUES ('uncommitted')")
        reader = in_thread(lambda: seen.append(written(store)))
        reader.join(DEADLINE_SECONDS)
        assert not reader.is_alive() and seen == [[]]  # it read the last committed state, not waiting
        assert not store.write_lock.threads.wait_for_queued(1, 0)  # and never queued
        assert not file_lock_is_free(store)  # while the writer does hold the file lock
    assert written(store) == ["uncommitted"]


def _first(url: str, inside: Any, go: Any) -> None:
    store = Store(url)
    with store.command() as conn:
        conn.exec_driver_sql("INSERT INTO step (who) VALUES ('first process')")
        inside.set()
        go.wait(DEADLINE_SECONDS)
    store.dispose()


def _second(url: str, saw: Any) -> None:
    database.SQLITE_BUSY_TIMEOUT_MS = 0  # reaching SQLite's lock while it is taken would fail at once
    store = Store(url)
    with store.command() as conn:
        saw.put(list(conn.exec_driver_sql("SELECT who FROM step ORDER BY n").scalars()))
        conn.exec_driver_sql("INSERT INTO step (who) VALUES ('second process')")
    store.dispose()


def _waiting_on_a_file_lock(pid: int) -> bool:
    """The kernel's lock table lists a process blocked on a flock as ``-> FLOCK ... <pid> ...``."""
    lines = Path("/proc/locks").read_text().splitlines()
    return any("->" in line and "FLOCK" in line and str(pid) in line.split() for line in lines)


def test_two_processes_take_turns_on_the_file_lock_the_second_starting_after_the_first_commits(sqlite_store):
    url = sqlite_store.url
    assert Path(str(sqlite_store.write_lock.path)).name == f"locks.db{LOCK_FILE_SUFFIX}"
    context = multiprocessing.get_context("fork")
    inside, go, saw = context.Event(), context.Event(), context.Queue()
    first = context.Process(target=_first, args=(url, inside, go), daemon=True)
    second = context.Process(target=_second, args=(url, saw), daemon=True)
    first.start()
    try:
        assert inside.wait(DEADLINE_SECONDS)  # the first process is inside its write transaction
        second.start()
        assert wait_for(lambda: _waiting_on_a_file_lock(second.pid))  # the second queues on the file lock
        go.set()
        first.join(DEADLINE_SECONDS)
        second.join(DEADLINE_SECONDS)
    finally:
        go.set()
        for process in (first, second):
            if process.is_alive():
                process.kill()
    assert first.exitcode == 0 and second.exitcode == 0
    # The second's transaction began after the first committed: it saw the first's row. With a busy
    # timeout of 0 it would have failed had it reached SQLite's own lock while the first held it.
    assert saw.get(timeout=DEADLINE_SECONDS) == ["first process"]
    assert written(sqlite_store) == ["first process", "second process"]


@pytest.fixture(params=BACKENDS)
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'one.db'}"
    else:
        yield from _postgres_database()


def test_only_sqlite_on_a_file_queues_its_writers_postgresql_has_no_such_lock_and_no_ping(any_url):
    store = Store(any_url)
    try:
        with store.command() as conn:
            conn.exec_driver_sql("CREATE TABLE step (n INTEGER PRIMARY KEY, who TEXT)")
            conn.exec_driver_sql("INSERT INTO step (n, who) VALUES (1, 'one')")
        assert written(store) == ["one"]
        if store.is_sqlite:
            assert store.write_lock is not None and Path(str(store.write_lock.path)).exists()
            memory = Store("sqlite:///:memory:")
            assert memory.write_lock is None  # no other connection shares it: nothing to queue for
            memory.dispose()
        else:
            assert store.write_lock is None
            assert store.engine.pool._pre_ping is False
            assert store.engine.pool._recycle == database.POOL_RECYCLE_SECONDS
    finally:
        store.dispose()
