"""SQLite's writers wait in order: a FIFO lock for the threads of a process, a file lock across processes.

SQLite lets one transaction write at a time. Without help, a ``BEGIN IMMEDIATE`` that finds the
write lock taken goes into SQLite's busy handler, which *sleeps* with a growing back-off (up to
100 ms a nap) and retries; whoever tries at the right moment wins, not whoever came first. Under
load that is the multi-second tail of issue 17: one request sleeps through several commits of
others. So before ``BEGIN IMMEDIATE`` a writer takes, in this order,

1. :class:`TicketLock`, this process's lock for the database: threads (a gunicorn worker's request
   threads and its timer executor) are served strictly in the order they asked. A plain
   ``threading.Lock`` is not FIFO (a releasing thread may take it straight back), hence tickets
   under a ``Condition``;
2. an exclusive ``fcntl.flock`` on a file beside the database (``<database>-writelock``), which the
   kernel hands to one process at a time: gunicorn's workers are processes. Only one thread per
   process ever waits on it (the ticket lock is taken first), so at most one waiter per worker;
   Linux wakes them together when it is released and one wins. That is not strict FIFO across
   processes, but with a handful of workers each waits at most a few short transactions, and
   the waiting is a blocking call that returns the moment the lock is free, never a sleep.

Both are held until the transaction has committed or rolled back and its connection is back in
the pool, so the next writer's ``BEGIN IMMEDIATE`` finds SQLite free and never enters the busy
handler. SQLite's ``busy_timeout`` stays as the fallback for writers that do not take these locks
(another program, ``sqlite3`` in a shell).

The lock is taken around the :class:`~engine.store.database.Store`'s write context managers, not in
SQLAlchemy's ``begin``/``commit``/``rollback`` events: a ``finally`` releases it whatever ends the
transaction (an exception, a rollback, a connection invalidated after a lost connection, on which
no ``rollback`` event fires), and a writer queues *before* it checks a connection out of the pool,
so waiting threads hold no connection. The lock is re-entrant for the thread that holds it: a
write transaction opened inside another on the same thread (which would wait for itself) keeps
SQLite's own behaviour, the busy timeout, instead of hanging for ever.

One :class:`WriteLock` per database file and process (:func:`write_lock_for`). A forked child (a
server that opens the database before forking its workers: uWSGI, ``gunicorn --preload``) resets every
one in place, since its Stores keep theirs: an inherited file descriptor shares the parent's open file
description, and so its ``flock`` (parent and child would both "hold" it at once), and a ticket lock
copied while another thread held it could never be released in the child.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

#: Beside the database, like SQLite's own ``-wal`` and ``-shm``.
LOCK_FILE_SUFFIX = "-writelock"


class TicketLock:
    """A re-entrant lock whose waiters are served in the order they called :meth:`acquire`."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._next = 0  # the ticket the next caller draws
        self._serving = 0  # the ticket that may hold the lock now
        self._abandoned: set[int] = set()  # tickets whose thread stopped waiting (interrupted)
        self._owner: int | None = None
        self._depth = 0
        self._waiting = 0  # threads queued behind the holder

    def acquire(self) -> bool:
        """Take the lock; True if this call took it, False if this thread already held it."""
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return False
            ticket = self._next
            self._next += 1
            if self._serving != ticket:
                self._waiting += 1
                self._cond.notify_all()  # tell wait_for_queued
                try:
                    while self._serving != ticket:
                        self._cond.wait()
                except BaseException:  # interrupted while queued: give the turn up, never block the queue
                    self._abandoned.add(ticket)
                    self._advance()
                    raise
                finally:
                    self._waiting -= 1
            self._owner, self._depth = me, 1
            return True

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a write lock this thread does not hold")
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            self._serving += 1
            self._advance()

    def _advance(self) -> None:
        """Skip the turns of abandoned tickets and wake the queue (called holding ``_cond``)."""
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._cond.notify_all()

    @property
    def locked(self) -> bool:
        with self._cond:
            return self._owner is not None

    def wait_for_queued(self, count: int, timeout: float | None = None) -> bool:
        """Block until at least ``count`` threads wait in the queue (True), or ``timeout`` passes
        (False): lets a test line threads up in a known order without sleeping."""
        with self._cond:
            return self._cond.wait_for(lambda: self._waiting >= count, timeout)


class WriteLock:
    """This process's write lock for one SQLite database: the ticket lock, then the file lock."""

    def __init__(self, database: Path | None) -> None:
        self.threads = TicketLock()
        self.path = Path(f"{database}{LOCK_FILE_SUFFIX}") if database is not None else None
        self._fd: int | None = None
        self._unavailable = False  # the lock file could not be opened (see _file)

    def _file(self) -> int | None:
        """The lock file, created like the database (0o666 less the umask); opened read-only if this
        user may not write it (made by another user: ``flock`` needs no write access). None if it
        can be neither created nor opened (a directory this user may not write, the database files
        made for it): the writers then go without the file lock, to SQLite's busy timeout, as
        before it existed, rather than every write failing; said once in the log."""
        if self._fd is None and not self._unavailable:
            assert self.path is not None
            try:
                try:
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
                except PermissionError:
                    self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError as err:
                self._unavailable = True
                log.warning("no write lock file %s (%s): writers of this process wait in SQLite's busy "
                            "handler instead", self.path, err.strerror or err)
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the write lock for the body (re-entrant on one thread); released whatever happens."""
        if not self.threads.acquire():  # this thread holds it already: an inner transaction
            try:
                yield
            finally:
                self.threads.release()
            return
        try:
            fd = self._file() if self.path is not None else None
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # blocks until free; no polling, no sleep
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self.threads.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _after_fork_in_child(self) -> None:
        """A free lock of the child's own; closing the inherited descriptor leaves the parent's
        ``flock`` alone (it goes only with the parent's last descriptor)."""
        self.threads = TicketLock()
        self.close()
        self._unavailable = False


_locks: dict[str, WriteLock] = {}
_locks_guard = threading.Lock()


def write_lock_for(database: str) -> WriteLock:
    """The process-wide write lock of the SQLite database file at ``database``, shared by every
    :class:`~engine.store.database.Store` of this process on that file."""
    key = str(Path(database).resolve())
    with _locks_guard:
        found = _locks.get(key)
        if found is None:
            found = _locks[key] = WriteLock(Path(key))
        return found


def _reset_in_child() -> None:
    """After a fork: every lock free and without a file descriptor, the same objects (the Stores
    made before the fork hold them)."""
    global _locks_guard
    _locks_guard = threading.Lock()
    for lock in _locks.values():
        lock._after_fork_in_child()


os.register_at_fork(after_in_child=_reset_in_child)
