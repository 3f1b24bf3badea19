"""The SQLite write lock where production meets it sideways: a server that opens the database before
forking its workers (uWSGI, ``gunicorn --preload``), a database named by a ``file:`` URI, an in-memory
one. SQLite only: PostgreSQL takes no such lock (tests/engine/store/test_write_lock.py).
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from engine.store import database
from engine.store.database import Store
from engine.store.write_lock import LOCK_FILE_SUFFIX
from tests.engine.store.test_write_lock import (_waiting_on_a_file_lock, file_lock_is_free,  # noqa: F401
                                                sqlite_store, written)
from tests.waiting import DEADLINE_SECONDS, wait_for


def _child_writes(store: Store, go: Any, saw: Any) -> None:
    """A forked worker using the store its parent opened (its pool dropped, as SQLAlchemy asks)."""
    database.SQLITE_BUSY_TIMEOUT_MS = 0  # reaching SQLite's lock while it is taken would fail at once
    store.engine.dispose(close=False)
    assert go.wait(DEADLINE_SECONDS)
    with store.command() as conn:
        saw.put(list(conn.exec_driver_sql("SELECT who FROM step ORDER BY n").scalars()))
        conn.exec_driver_sql("INSERT INTO step (who) VALUES ('child')")


def test_a_worker_forked_after_the_store_was_opened_waits_for_its_parents_write(sqlite_store):
    store = sqlite_store  # it has written once: its lock file is open in the process that forks
    context = multiprocessing.get_context("fork")
    go, saw = context.Event(), context.Queue()
    # forked between transactions, as a server forks its workers (SQLite itself cannot be forked
    # inside a transaction)
    child = context.Process(target=_child_writes, args=(store, go, saw), daemon=True)
    child.start()
    try:
        with store.command() as conn:  # the parent writes; the worker starts a write of its own
            conn.exec_driver_sql("INSERT INTO step (who) VALUES ('parent')")
            go.set()
            assert wait_for(lambda: _waiting_on_a_file_lock(child.pid) or not child.is_alive())
            # it queues on the file lock; sharing its parent's open lock file it would go straight
            # on to SQLite's lock and fail there ("database is locked")
            assert child.is_alive(), f"the child did not wait: exit code {child.exitcode}"
    except BaseException:
        child.kill()
        raise
    child.join(DEADLINE_SECONDS)
    assert child.exitcode == 0
    assert saw.get(timeout=DEADLINE_SECONDS) == ["parent"]
    assert written(store) == ["parent", "child"]


def _child_takes_the_lock_its_parent_held(store: Store, result: Any) -> None:
    with store.write_lock.held():
        result.put("took it")


def test_a_fork_while_another_thread_holds_the_lock_leaves_the_child_free_to_take_it(sqlite_store):
    store = sqlite_store
    context = multiprocessing.get_context("fork")
    result = context.Queue()
    holding, done = threading.Event(), threading.Event()

    def holder() -> None:
        with store.write_lock.held():
            holding.set()
            done.wait(DEADLINE_SECONDS)

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    try:
        assert holding.wait(DEADLINE_SECONDS)
        child = context.Process(target=_child_takes_the_lock_its_parent_held, args=(store, result), daemon=True)
        child.start()
        assert wait_for(lambda: _waiting_on_a_file_lock(child.pid) or not child.is_alive())
    finally:
        done.set()
        thread.join(DEADLINE_SECONDS)
    child.join(DEADLINE_SECONDS)
    if child.is_alive():  # stuck for ever behind a thread that does not exist in it
        child.kill()
    assert child.exitcode == 0 and result.get(timeout=DEADLINE_SECONDS) == "took it"
    assert file_lock_is_free(store)


def test_a_database_named_by_a_file_uri_is_locked_beside_it_whatever_the_working_directory(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    target = tmp_path / "data" / "uri.db"
    for url in (f"sqlite:///file:{target}?uri=true", f"sqlite:///file://{target}?mode=rwc&uri=true"):
        store = Store(url)
        try:
            with store.command() as conn:
                conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS step (n INTEGER PRIMARY KEY, who TEXT)")
            assert store.write_lock is not None
            assert store.write_lock.path == target.parent / f"uri.db{LOCK_FILE_SUFFIX}"
            assert store.write_lock is Store(f"sqlite:///{target}").write_lock  # one queue per file
        finally:
            store.dispose()
    assert target.exists()
    assert list(elsewhere.iterdir()) == []  # no "file:" directory made where the server happened to start


def test_an_in_memory_database_named_by_a_uri_takes_no_file_lock(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for url in ("sqlite:///file::memory:?uri=true",
                "sqlite://"):
        store = Store(url)
        try:
            with store.command() as conn:
                conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS step (n INTEGER PRIMARY KEY, who TEXT)")
            assert store.write_lock is None
        finally:
            store.dispose()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_inside_a_write_or_at_its_commit_rolls_back_and_lets_the_lock_go(sqlite_store, monkeypatch,
                                                                                      interruption):
    store = sqlite_store
    with pytest.raises(interruption):
        with store.command() as conn:
            conn.exec_driver_sql("INSERT INTO step (who) VALUES ('interrupted')")
            raise interruption()
    assert not store.write_lock.threads.locked and file_lock_is_free(store)

    def commit_interrupted(*args: Any, **kwargs: Any) -> None:
        raise interruption()
    with monkeypatch.context() as patch:
        patch.setattr(store.engine.dialect, "do_commit", commit_interrupted)
        with pytest.raises(interruption):
            with store.command() as conn:
                conn.exec_driver_sql("INSERT INTO step (who) VALUES ('at commit')")
    assert not store.write_lock.threads.locked and file_lock_is_free(store)
    with store.command() as conn:  # the next writer is not stuck behind it
        conn.exec_driver_sql("INSERT INTO step (who) VALUES ('next')")
    assert written(store) == ["next"]


def test_a_lock_file_that_cannot_be_made_leaves_writes_to_sqlites_busy_timeout(sqlite_store, monkeypatch, caplog):
    """E.g. a directory this user may not write, the database and its -wal/-shm made for it by an
    administrator: SQLite can write, only the lock file cannot be created."""
    from engine.store import write_lock as module

    store = sqlite_store
    store.write_lock.close()
    store.write_lock.path.unlink()
    real_open = os.open

    def refused(path: Any, flags: int, *args: Any) -> int:
        if str(path) == str(store.write_lock.path):
            raise PermissionError(13, "Permission denied", str(path)) if flags & os.O_CREAT \
                else FileNotFoundError(2, "No such file or directory", str(path))
        return real_open(path, flags, *args)
    monkeypatch.setattr(module.os, "open", refused)
    for who in ("one", "two"):
        with store.command() as conn:
            conn.exec_driver_sql("INSERT INTO step (who) VALUES (?)", (who,))
    assert written(store) == ["one", "two"]
    assert not store.write_lock.threads.locked
    assert sum("lock file" in record.getMessage() for record in caplog.records) == 1  # said once, not per write


def test_two_databases_in_one_process_have_two_queues_a_writer_of_one_never_waits_for_the_other(tmp_path):
    one, other = Store(f"sqlite:///{tmp_path / 'one.db'}"), Store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        assert one.write_lock is not other.write_lock and one.write_lock.path != other.write_lock.path
        done: list[str] = []

        def write_other() -> None:
            with other.command() as conn:
                conn.exec_driver_sql("CREATE TABLE step (who TEXT)")
            done.append("other")
        with one.command() as conn:  # one's lock held while the other database is written
            conn.exec_driver_sql("CREATE TABLE step (who TEXT)")
            thread = threading.Thread(target=write_other, daemon=True)
            thread.start()
            thread.join(DEADLINE_SECONDS)
            assert done == ["other"]
    finally:
        one.dispose()
        other.dispose()
