"""Child cases a step planned, started after it in short batches: exactly once, resumed after a crash.

Why: a yearly review starts one assessment case per talent. Started inline, inside the review's own
step (``Step.start_case``), 2 000 of them make one transaction that holds SQLite's write lock for
seconds, and every other user's step waits that long. So a process may instead *plan* its children
(``ProcessPolicy.planned_children``): the step records the plan durably, one ``child_start`` row per
child, in its own transaction (with a ``child_starts_planned`` event on the parent); once it has
committed, :meth:`ChildBatches.run` starts them :attr:`ChildBatches.size` at a time, each batch its
own transaction, so the write lock (a FIFO queue on SQLite, ``engine/store/write_lock.py``) passes
to the other writers between batches.

The plan itself is recorded by :mod:`engine.cases.child_plans` (what the steps need of it).

Exactly once: a batch locks the parent row, reads the rows still without a child, starts each child
and writes its id on the row *in the same transaction* (``WHERE case_id IS NULL``, one row or the
batch rolls back); two runners of one plan (the command and the executor's sweep, or two sweeps)
queue on the parent row and the second finds the rows taken. A child of this parent already bearing
the row's process and business key, and held by no row yet (started inline), is adopted by one row
rather than started twice (a plan cannot name one key twice: ``child_plans.record`` refuses it). The
batch that starts the last child adds ``children_started`` to the parent's chain and lets the parent
hear its children if all of them ended at once; until then ``CaseLinks.child_finished`` tells the
parent nothing (``child_plans.pending``).

A child that cannot start (its process not deployed, its start data or unit refused, a bug in its
process's start hook) must not roll back its batch: every retry would fail the same way and the plan
would never finish, the parent waiting for ever with nobody told. Each child starts in a savepoint;
one that fails is rolled back alone and its row keeps the reason (``error``); the sweep leaves such
rows alone. Once the others have started, the parent becomes an incident (``child_starts_failed``
then ``case_failed``, command ``child_starts``): an admin's retry (:mod:`engine.cases.incidents`)
clears the reasons and starts those rows again. Only a failure of the database itself
(``DATABASE_UNAVAILABLE``) or a lost race fails the batch, for the sweep.

Who runs a plan: the command whose step recorded it, after its commit (``starts_planned_children``
wraps the service's commands, message and signal deliveries and case migrations; ``child_plans.planning``
collects the parents; the runner answers with the case as it is after its children started), so API users
see the same case as when children were started inline. If that process dies between batches, the
timer executor's sweep (:meth:`ChildBatches.sweep`, every minute) finishes the plan. A plan whose
parent is no longer running (cancelled) is left as it is: nobody starts its children any more.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, Callable, Sequence, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from engine.cases.child_plans import CHILD_START, planning
from engine.cases.failures import Savepoint
from engine.cases.records import CaseRecord, View
from engine.cases.statements import CASE
from engine.cases.steps import CaseSteps
from engine.errors import Conflict, EngineError
from engine.people.actors import SYSTEM, Actor, actor_for
from engine.store.database import DATABASE_UNAVAILABLE
from engine.store.models import User
from engine.time import clock

log = logging.getLogger(__name__)
USER = User.__table__
#: Children started per transaction: measured (bench/review_start.py) to keep another user's wait
#: well under a second with 2 000 children on SQLite, without making the whole start much longer.
BATCH_SIZE = 50
#: A plan the sweep takes over: older than this (its own command is most likely still running it).
SWEEP_AFTER = timedelta(seconds=60)
#: How much of a failed child's reason its row keeps, and how many failed children the parent's event names.
MAX_ERROR = 1000
SHOWN_FAILURES = 20

Command = TypeVar("Command", bound=Callable[..., Any])


def starts_planned_children(command: Command) -> Command:
    """A ``CaseService`` command that runs, once it has committed, the plans its steps recorded, and
    then answers with its case as it is after (a review's start shows its children, as it did when
    they were started inline). The answer is re-read only when the command's ``view`` (a keyword)
    was of a case that planned children; a command that raised leaves its plans to the sweep."""

    @wraps(command)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        view, seen = kwargs.get("view"), []
        if view is not None:
            def remember(conn: Connection, case: CaseRecord) -> Any:
                seen.append(case.id)
                return view(conn, case)
            kwargs["view"] = remember
        with planning() as parents:
            result = command(self, *args, **kwargs)
        if not parents:
            return result
        self.child_batches.run_planned(parents)
        return self.child_batches.answer(seen[-1], view) if seen and seen[-1] in parents else result

    return run  # type: ignore[return-value]


@dataclass
class ChildBatches:
    """Runs plans: after the command that recorded them, and from the executor's sweep."""

    steps: CaseSteps
    size: int = BATCH_SIZE

    def run_planned(self, parents: Sequence[int]) -> int:
        """Start every planned child of ``parents`` (and any plan those children record); returns how many.

        A batch that fails (the database gone, a lost race) is rolled back, logged and left to the
        sweep: the parent's step is committed already, so the command that planned it still answers
        with success (the case as it is). One child that cannot start fails alone (:meth:`batch`)."""
        started = 0
        for parent_id in parents:
            with planning() as more:
                try:
                    started += self.run(parent_id)
                except EngineError as err:
                    log.warning("children of case %s not all started, the sweep retries: %s", parent_id, err)
                except Exception:  # noqa: BLE001 - e.g. the database went away mid-plan
                    log.exception("children of case %s not all started, the sweep retries", parent_id)
            started += self.run_planned(more)
        return started

    def run(self, parent_id: int) -> int:
        """Start the planned children of one parent, batch after batch, until none is left."""
        started = 0
        while True:
            count, done = self.batch(parent_id)
            started += count
            if done:
                return started

    def batch(self, parent_id: int) -> tuple[int, bool]:
        """One transaction: lock the parent, start up to :attr:`size` children not started yet, write
        each child's id on its row. Returns (children started, whether the plan is finished).

        Each child starts in a savepoint: one that cannot start (:func:`_cannot_start`) rolls back
        alone, its row keeps the reason, and the others proceed; the batch that finishes the plan
        makes those the parent's incident (:meth:`_finish`)."""
        steps = self.steps
        with steps.store.command() as conn:
            parent = steps.lock(conn, parent_id)
            if parent is None or parent.status != "running":
                return 0, True
            rows = conn.execute(select(CHILD_START).where(*_to_start(parent_id))
                                .order_by(CHILD_START.c.seq).limit(self.size)).all()
            if not rows:
                return 0, True
            existing = self._children_by_key(conn, parent_id, [row.business_key for row in rows])
            actors: dict[tuple[str, int | None], Actor] = {}
            ended: list[int] = []
            now, started = clock.now(), 0
            for row in rows:
                key = (row.process_key, row.business_key)
                child_id = existing.pop(key, None) if row.business_key else None  # adopted once, by one row
                if child_id is None:
                    actor = actors.get((row.started_by, row.started_by_id)) or \
                        actors.setdefault((row.started_by, row.started_by_id), _actor(conn, row))
                    child_id = self._start_one(conn, actor, row, ended)
                    if child_id is None:
                        continue
                done = conn.execute(update(CHILD_START).where(CHILD_START.c.id == row.id, CHILD_START.c.case_id.is_(None))
                                    .values(case_id=child_id, started_at=now))
                if done.rowcount != 1:
                    raise Conflict(f"child {row.seq} of case {parent_id} was started by another runner",
                                   code="child_started_twice")
                started += 1
            finished = len(rows) < self.size or conn.execute(
                select(CHILD_START.c.id).where(*_to_start(parent_id)).limit(1)).first() is None
            failed = self._finish(conn, parent_id, rows[-1]) if finished else False
        if finished and not failed:
            steps.workflows.rekey(parent_id, parent.version, parent.version + 1)
        return started, finished

    def _start_one(self, conn: Connection, actor: Actor, row: Any, ended: list[int]) -> int | None:
        """Start one planned child in a savepoint; None (the row marked failed) if it cannot start."""
        savepoint, ended_before = Savepoint(conn), len(ended)
        try:
            child, _, _ = self.steps.start_in(conn, actor, row.process_key, row.data, row.business_key,
                                              parent_case_id=row.parent_case_id, ended=ended)
        except Exception as err:  # noqa: BLE001 - narrowed by _cannot_start
            if not _cannot_start(err):
                raise
            savepoint.rollback()
            del ended[ended_before:]
            log.warning("child %s of case %s cannot start: %s", row.seq, row.parent_case_id, err)
            conn.execute(update(CHILD_START).where(CHILD_START.c.id == row.id)
                         .values(error=_reason(err)[:MAX_ERROR], failed_at=clock.now()))
            return None
        savepoint.release()
        return child.id

    def _finish(self, conn: Connection, parent_id: int, last: Any) -> bool:
        """The plan is done: say so on the parent, and let it hear its children if all ended; or, when
        some could not start, make that the parent's incident (an admin's retry starts them again).
        Returns whether it did the latter."""
        steps = self.steps
        parent = steps.lock(conn, parent_id)
        count = conn.execute(select(func.count()).select_from(CHILD_START)
                             .where(CHILD_START.c.parent_case_id == parent_id)).scalar()
        failed = conn.execute(select(CHILD_START.c.seq, CHILD_START.c.process_key, CHILD_START.c.business_key,
                                     CHILD_START.c.error)
                              .where(CHILD_START.c.parent_case_id == parent_id, CHILD_START.c.error.is_not(None),
                                     CHILD_START.c.skipped_at.is_(None))  # an admin dropped those
                              .order_by(CHILD_START.c.seq)).all()
        actor = _actor(conn, last)
        if failed:
            loaded = steps.load(conn, parent)
            loaded.chain.add("child_starts_failed", actor.username, data={
                "count": len(failed), "planned": int(count or 0),
                "children": [{"seq": row.seq, "process": row.process_key, "business_key": row.business_key,
                              "message": row.error} for row in failed[:SHOWN_FAILURES]]})
            steps.mark_failed(conn, loaded, actor, ChildrenNotStarted(failed, int(count or 0)), {"type": "child_starts"})
            return True
        chain = steps.chain_of(conn, parent)
        chain.add("children_started", actor.username, data={"count": int(count or 0)})
        steps.write_case(conn, parent, chain, actor, parent.version)
        return not self.tell_parent(conn, actor, parent_id)

    def tell_parent(self, conn: Connection, actor: Actor, parent_id: int) -> bool:
        """Let the parent hear its children (nothing while any is still open); False when it could not.

        The parent's step after "children done" may refuse (its policy's check, a plan naming one key
        twice: an :class:`EngineError`) or fail outright (a bug in its hook, a child's data without a
        key it expects). A user's own command answers that error; here it would roll back the whole
        batch, which the sweep would retry every minute for ever, nobody told. So the
        attempt is undone alone (a savepoint) and the parent becomes an incident, command
        ``children_finished``: an admin's retry, once the cause is fixed, asks again
        (:mod:`engine.cases.incidents`)."""
        steps = self.steps
        # sends nothing while any child is still open
        _, failure = hear_or_incident(steps, conn, actor, parent_id, lambda: steps.child_ended(conn, actor, parent_id))
        return failure is None

    @staticmethod
    def _children_by_key(conn: Connection, parent_id: int, keys: list[str | None]) -> dict[tuple[str, str], int]:
        """Children of the parent already bearing these business keys that no row of the plan holds
        yet (started inline before the plan): adopted, never started twice."""
        wanted = [key for key in keys if key]
        if not wanted:
            return {}
        held = select(CHILD_START.c.case_id).where(CHILD_START.c.parent_case_id == parent_id,
                                                   CHILD_START.c.case_id.is_not(None))
        found = conn.execute(select(CASE.c.id, CASE.c.process_key, CASE.c.business_key).where(
            CASE.c.parent_case_id == parent_id, CASE.c.business_key.in_(wanted), CASE.c.id.not_in(held))
            .order_by(CASE.c.id))
        by_key: dict[tuple[str, str], int] = {}
        for case_id, process_key, key in found:
            by_key.setdefault((process_key, key), case_id)
        return by_key

    def sweep(self, older_than: timedelta = SWEEP_AFTER) -> int:
        """Finish the plans of running parents planned more than ``older_than`` ago (their command died
        between batches); returns children started. Safe to run in any number of executors at once."""
        with self.steps.store.read() as session:
            parents = list(session.execute(
                select(CHILD_START.c.parent_case_id).join(CASE, CASE.c.id == CHILD_START.c.parent_case_id)
                .where(CHILD_START.c.case_id.is_(None), CHILD_START.c.error.is_(None), CASE.c.status == "running",
                       CHILD_START.c.planned_at <= clock.now() - older_than)
                .group_by(CHILD_START.c.parent_case_id).order_by(CHILD_START.c.parent_case_id)).scalars())
        return self.run_planned(parents)

    def answer(self, case_id: int, view: View | None) -> Any:
        """The command's answer once the children it planned have started: the case as it is now."""
        if view is None:
            return case_id
        with self.steps.store.read() as session:
            conn = session.connection()
            row = conn.execute(select(CASE).where(CASE.c.id == case_id)).first()
            return view(conn, CaseRecord.from_row(row))


def _to_start(parent_id: int) -> tuple[Any, ...]:
    """The rows of a plan still to start: no child yet, and not failed (those wait for a retry)."""
    return (CHILD_START.c.parent_case_id == parent_id, CHILD_START.c.case_id.is_(None), CHILD_START.c.error.is_(None),
            CHILD_START.c.skipped_at.is_(None))


def _cannot_start(err: Exception) -> bool:
    """A failure of this one child (its process, its data, its unit, a bug in its start hook): it will
    fail the same way in every batch, so it fails alone and the parent's incident says why. Only the
    database's own failures and a lost race fail the whole batch, which the sweep runs again."""
    return not worth_retrying(err)


def hear_or_incident(steps: CaseSteps, conn: Connection, actor: Actor, parent_id: int,
                     ask: Callable[[], Any]) -> tuple[Any, Exception | None]:
    """Run ``ask`` (the parent hearing its ended children) in a savepoint: a refusal or a bug of the
    parent's hook undoes the hearing alone, whatever the transaction did before it stays (a batch's
    children, an admin's skip), and the parent becomes a ``children_finished`` incident an admin
    retries once the cause is fixed. Returns what ``ask`` returned and None, or the parent as marked
    failed (a ``Loaded``) and the failure.
    The database's own failures and a lost race go up (:func:`worth_retrying`)."""
    savepoint = Savepoint(conn)
    try:
        heard = ask()
    except Exception as err:  # noqa: BLE001 - a bug in the parent's hook fails as a refusal does
        if worth_retrying(err):
            raise
        savepoint.rollback()
        log.warning("case %s could not hear its children: %s", parent_id, err)
        loaded = steps.load(conn, steps.lock(conn, parent_id))
        steps.mark_failed(conn, loaded, actor, ChildrenNotHeard(parent_id, err), {"type": "children_finished"})
        return loaded, err
    savepoint.release()
    return heard, None


def worth_retrying(err: Exception) -> bool:
    """The database went away or a lock timed out (:data:`DATABASE_UNAVAILABLE`), or another command
    moved the case on (``stale_case``): the same batch may succeed next time."""
    return isinstance(err, DATABASE_UNAVAILABLE) or (isinstance(err, Conflict) and err.code == "stale_case")


def _reason(err: Exception) -> str:
    return err.message if isinstance(err, EngineError) else f"{type(err).__name__}: {err}"


class ChildrenNotStarted(Exception):
    """The parent's incident: planned children that could not start. How many only: the incident is
    shown to everyone who sees the parent, and which children and why (a talent of another unit, say)
    is for the process's readers, in the ``child_starts_failed`` event its policy may cut down."""

    def __init__(self, failed: Sequence[Any], planned: int) -> None:
        super().__init__(f"{len(failed)} of {planned} planned child cases could not start "
                         f"(which, and why: the child_starts_failed event)")


class ChildrenNotHeard(Exception):
    """The parent's incident: its children have all ended, but its step on hearing them refused or failed."""

    def __init__(self, parent_id: int, err: Exception) -> None:
        super().__init__(f"the child cases of case {parent_id} have ended, but it could not hear them: {_reason(err)}")


def _actor(conn: Connection, row: Any) -> Actor:
    """Who the planning step was done by, as their roles are now (the system for the scheduler)."""
    if row.started_by_id:
        found = conn.execute(select(USER).where(USER.c.id == row.started_by_id)).first()
        if found is not None:
            return actor_for(conn, found)  # type: ignore[arg-type]
    return SYSTEM if row.started_by == SYSTEM.username else Actor(user_id=0, username=row.started_by)
