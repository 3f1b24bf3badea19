"""The timer executor: wakes cases whose timers are due, exactly once, in every server process.

Due work lives in the database (``case.next_timer_at``, indexed), never only in
memory, so any number of executors may run and any of them may die. Each run
*claims* a batch of due cases in a short transaction — PostgreSQL:
``SELECT … FOR UPDATE SKIP LOCKED`` so executors never wait on each other;
SQLite: the ``BEGIN IMMEDIATE`` write lock serializes claims — writing
``timer_claimed_by`` and a lock expiry (``timer_claimed_until``). It then fires
each claimed case through the runner's normal step transaction
(:meth:`CaseService.fire_timers`, which clears the claim). A claim whose
executor died expires and is taken over. Exactly-once does not rest on the
claims: firing locks the case row and re-checks the due time, so a timer that
fired is no longer due; the claims only keep executors from queueing on the
same rows.

A firing that fails because the database is unavailable is tried again once its
claim expires. Any other failure outside the engine (a stored source that cannot be
read, a hook that raises) would fail the same way every time: the executor records
it as an incident on the case instead (``Incidents.timer_failed``), once, so it is
seen on the case page and in ``/healthz`` rather than retried every minute unseen.

Wake-ups: after every run the executor schedules its next run at the exact
earliest due time of all running cases (plus a millisecond: a timer fires once
its due time has *passed*). A cheap look-ahead (``SELECT min(next_timer_at)``
every ``peek_seconds``) moves that wake-up earlier when another request or
process made a timer due sooner, and a full sweep every ``sweep_seconds`` is the
safety net. The first run happens at start, so timers that fell due while the
service was down fire at once.

Cycle starts (a timer start event such as a yearly review) are generic here:
:class:`CycleStart` names a process key, a function giving the cycle due on a
date (or None) and a function starting it; the ``scheduled_start`` row, unique
per (process key, cycle), makes each cycle start once however many executors run.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Sequence

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from engine.time import clock
from engine.store.database import DATABASE_UNAVAILABLE, Store
from engine.errors import CaseFailed, EngineError
from engine.store.models import Case, ScheduledStart, SchedulerRun

log = logging.getLogger(__name__)
CASE, RUN, STARTS = Case.__table__, SchedulerRun.__table__, ScheduledStart.__table__

#: A timer fires once its due time has passed: wake just after it.
_AFTER_DUE = timedelta(milliseconds=2)

_DUE = (select(CASE.c.id).where(CASE.c.status == "running", CASE.c.next_timer_at < bindparam("now"),
                                or_(CASE.c.timer_claimed_until.is_(None),
                                    CASE.c.timer_claimed_until < bindparam("now")))
        .order_by(CASE.c.next_timer_at).limit(bindparam("limit")))
#: Due times of unclaimed work, and expiries of claims (work an executor may have died holding).
_NEXT_DUE = select(func.min(CASE.c.next_timer_at)).where(CASE.c.status == "running",
                                                         CASE.c.timer_claimed_until.is_(None))
_NEXT_EXPIRY = select(func.min(CASE.c.timer_claimed_until)).where(CASE.c.status == "running",
                                                                  CASE.c.timer_claimed_until.is_not(None))
#: A top-level case of a process created since a cycle's start was claimed (that start's case).
_STARTED_SINCE = select(func.min(CASE.c.id)).where(CASE.c.process_key == bindparam("process_key"),
                                                   CASE.c.parent_case_id.is_(None), CASE.c.created_at >= bindparam("since"))
#: Claim rounds per run: a case that stays due after firing cannot keep a run busy forever.
_MAX_ROUNDS = 50
#: Failures of the database rather than of the case (it went away, a lock timed out): worth a retry.
_PASSING = DATABASE_UNAVAILABLE
#: Seconds between sweeps for child-case plans left unfinished (engine/cases/child_batches.py).
CHILD_SWEEP_SECONDS = 60.0
#: Least pause before waking again for work that is already due (e.g. rows locked by a command).
_RETRY_PAUSE = timedelta(milliseconds=200)


@dataclass(frozen=True)
class CycleStart:
    """A process started once per cycle (e.g. each year from a given day).

    ``cycle_on(day)`` is the cycle due on that local date, or None before it is
    due; ``start(service, day)`` starts the case and returns its id, or None
    when there is nothing to start (the domain decided so).
    """

    process_key: str
    cycle_on: Callable[[date], str | None]
    start: Callable[[Any, date], int | None]


def _logged(job_id: str, function: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            function()
        except Exception:  # noqa: BLE001 - logged; the next interval tries again
            log.exception("periodic job %s failed", job_id)
    return run


def executor_name() -> str:
    """host:pid:random — unique per executor, readable for operators."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class TimerExecutor:
    """Claims and fires due timers; :meth:`run_once` is one run, :meth:`start` runs it in the background."""

    def __init__(self, service: Any, store: Store, *, cycles: Sequence[CycleStart] = (),
                 sweep_seconds: float = 30.0, peek_seconds: float = 1.0, claim_seconds: float = 60.0,
                 batch: int = 50, name: str | None = None,
                 periodic: Sequence[tuple[str, float, Callable[[], Any]]] = (), workers: int | None = None) -> None:
        self.service, self.store, self.cycles = service, store, tuple(cycles)
        self.periodic = tuple(periodic)  # (job id, every seconds, function), e.g. audit checkpoints
        # Claimed cases fire in parallel where the database locks rows (each is its own step
        # transaction); SQLite has one write lock, so threads there would only queue.
        self.workers = workers if workers is not None else (1 if store.is_sqlite else 4)
        self.sweep_seconds, self.peek_seconds = sweep_seconds, peek_seconds
        #: How often unfinished child-case plans are looked for (a crash between batches is rare).
        self.child_sweep_seconds = CHILD_SWEEP_SECONDS
        self.claim_seconds, self.batch = claim_seconds, batch
        self.name = name or executor_name()
        self.last_run_at: datetime | None = None
        self.fired_total = 0
        self.wake_at: datetime | None = None
        self._run_lock = threading.Lock()
        self._wake_lock = threading.Lock()
        self._scheduler: BackgroundScheduler | None = None
        self._stopping = False
        self._registered = False

    # ----------------------------------------------------------------- one run
    def run_once(self) -> int:
        """Start due cycles, then claim and fire due cases until none is left; returns timers fired."""
        with self._run_lock:
            self._register()
            self._start_cycles()
            fired = 0
            for _ in range(_MAX_ROUNDS):
                claimed = self.claim()
                if self.workers > 1 and len(claimed) > 1:
                    with ThreadPoolExecutor(min(self.workers, len(claimed)), "timer-fire") as pool:
                        fired += sum(pool.map(self._fire, claimed))
                else:
                    fired += sum(self._fire(case_id) for case_id in claimed)
                if len(claimed) < self.batch:
                    break
            self._record(fired)
            return fired

    def claim(self) -> list[int]:
        """Claim up to ``batch`` due cases nobody holds (or whose claim expired), in one short transaction."""
        now = clock.now()
        query = _DUE if self.store.is_sqlite else _DUE.with_for_update(skip_locked=True)
        with self.store.command() as conn:
            ids = list(conn.execute(query, {"now": now, "limit": self.batch}).scalars())
            if ids:
                conn.execute(update(CASE).where(CASE.c.id.in_(ids)).values(
                    timer_claimed_by=self.name, timer_claimed_until=now + timedelta(seconds=self.claim_seconds)))
        return ids

    def _fire(self, case_id: int) -> int:
        try:
            return len(self.service.fire_timers(case_id))
        except EngineError as err:  # CaseFailed: an incident is recorded on the case; others: claim expires
            log.warning("timer of case %s not fired: %s", case_id, err.message)
        except _PASSING as err:  # the database, not the case: the claim expires and the timer is tried again
            log.warning("timer of case %s not fired, will retry: %s", case_id, type(err).__name__)
        except Exception as err:  # noqa: BLE001 - one bad case must not stop the executor
            log.exception("timer of case %s could not fire; recording an incident", case_id)
            self._incident(case_id, err)
        return 0

    def _incident(self, case_id: int, err: Exception) -> None:
        """A firing that failed outside the engine fails the same way next time: make it an incident.

        Retrying it unseen every claim expiry is what this replaces; the case (status ``error``,
        message, element) shows on its page and in ``/healthz`` for an admin to fix and retry.
        """
        try:
            self.service.incidents.timer_failed(case_id, err)
        except Exception:  # noqa: BLE001 - e.g. the database went away: the claim expires, tried again
            log.exception("incident of case %s not recorded", case_id)

    def next_due(self) -> datetime | None:
        """When there may next be work: the earliest unclaimed due time or claim expiry (all executors)."""
        with self.store.read() as session:
            times = [session.execute(_NEXT_DUE).scalar(), session.execute(_NEXT_EXPIRY).scalar()]
        found = [t for t in times if t is not None]
        return min(found) if found else None

    # ------------------------------------------------------------ planned child cases
    def sweep_child_starts(self) -> int:
        """Finish the child-case plans whose command died between batches (``ChildBatches.sweep``):
        exactly once however many executors sweep, since each batch locks the parent. Returns the
        children started."""
        batches = getattr(self.service, "child_batches", None)
        if batches is None:
            return 0
        try:
            return int(batches.sweep())
        except Exception:  # noqa: BLE001 - e.g. the database is down: the next sweep tries again
            log.exception("planned child cases not swept")
            return 0

    # ------------------------------------------------------------ cycle starts
    def _start_cycles(self) -> int:
        today = clock.now().astimezone(clock.CITY_ZONE).date()
        started = 0
        for cycle_start in self.cycles:
            cycle = cycle_start.cycle_on(today)
            if cycle is None or not self._claim_cycle(cycle_start.process_key, cycle):
                continue
            try:
                case_id = cycle_start.start(self.service, today)
            except CaseFailed as err:  # the case exists, with an incident for an admin: the cycle has started
                case_id = err.details.get("case_id")
                self._finish_cycle(cycle_start.process_key, cycle, case_id, f"started case {case_id}: {err.message}"[:255])
                started += bool(case_id)
                continue
            except Exception as err:  # noqa: BLE001 - recorded; retried once the claim expires
                if isinstance(err, EngineError):  # e.g. the process is not deployed here
                    log.warning("scheduled start of %s %s failed: %s", cycle_start.process_key, cycle, err.message)
                else:
                    log.exception("scheduled start of %s %s failed", cycle_start.process_key, cycle)
                self._finish_cycle(cycle_start.process_key, cycle, None, f"failed: {type(err).__name__}: {err}"[:255])
                continue
            outcome = f"started case {case_id}" if case_id else "nothing to start"
            self._finish_cycle(cycle_start.process_key, cycle, case_id, outcome)
            started += bool(case_id)
        return started

    def _claim_cycle(self, process_key: str, cycle: str) -> bool:
        """Take the cycle's row (unique key): only one executor ever starts a cycle.

        A row left ``starting`` by an executor that died, or ``failed``, is taken
        over once older than the claim expiry (a failing start is retried, not hammered) — unless
        the dead executor's start committed: a case of the process created since then is adopted.
        """
        now = clock.now()
        key = (STARTS.c.process_key == process_key) & (STARTS.c.cycle == cycle)
        try:
            with self.store.command() as conn:
                query = select(STARTS.c.outcome, STARTS.c.started_at).where(key)
                row = conn.execute(query if self.store.is_sqlite else query.with_for_update()).first()
                if row is None:
                    conn.execute(insert(STARTS).values(process_key=process_key, cycle=cycle, case_id=None,
                                                       started_at=now, outcome=f"starting:{self.name}"))
                    return True
                unfinished = row.outcome.startswith(("starting:", "failed"))
                if not (unfinished and row.started_at < now - timedelta(seconds=self.claim_seconds)):
                    return False
                if row.outcome.startswith("starting:"):
                    adopted = conn.execute(_STARTED_SINCE, {"process_key": process_key,
                                                            "since": row.started_at}).scalar()
                    if adopted is not None:
                        conn.execute(update(STARTS).where(key).values(
                            case_id=adopted, outcome=f"started case {adopted} (its starter died before noting it)"))
                        return False
                conn.execute(update(STARTS).where(key).values(started_at=now, outcome=f"starting:{self.name}"))
                return True
        except IntegrityError:  # another executor inserted the row first
            return False

    def _finish_cycle(self, process_key: str, cycle: str, case_id: int | None, outcome: str) -> None:
        with self.store.command() as conn:
            conn.execute(update(STARTS).where(STARTS.c.process_key == process_key, STARTS.c.cycle == cycle)
                         .values(case_id=case_id, outcome=outcome))

    # ------------------------------------------------------------ bookkeeping
    def _register(self) -> None:
        if self._registered:
            return
        with self.store.command() as conn:
            conn.execute(insert(RUN).values(name=self.name, started_at=clock.now(), last_run_at=None,
                                            fired_total=0))
        self._registered = True

    def _record(self, fired: int) -> None:
        self.last_run_at = clock.now()
        self.fired_total += fired
        with self.store.command() as conn:
            conn.execute(update(RUN).where(RUN.c.name == self.name)
                         .values(last_run_at=self.last_run_at, fired_total=self.fired_total))

    # ------------------------------------------------------------- background
    def start(self) -> "TimerExecutor":
        """Run in a background thread: first run now, then at each next due time, sweeping as a safety net."""
        if self._scheduler is not None:
            return self
        self._stopping = False
        scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1,
                                                                      "misfire_grace_time": None})
        scheduler.add_job(self._background_run, IntervalTrigger(seconds=self.sweep_seconds), id="sweep",
                          next_run_time=clock.Clock().now())
        scheduler.add_job(self._peek, IntervalTrigger(seconds=self.peek_seconds), id="peek")
        scheduler.add_job(self.sweep_child_starts, IntervalTrigger(seconds=self.child_sweep_seconds),
                          id="child_starts", next_run_time=clock.Clock().now())
        for job_id, seconds, function in self.periodic:
            scheduler.add_job(_logged(job_id, function), IntervalTrigger(seconds=seconds), id=job_id)
        self._scheduler = scheduler
        scheduler.start()
        return self

    def stop(self, wait: bool = True) -> None:
        """Stop after the run in progress, if any."""
        if self._scheduler is None:
            return
        with self._wake_lock:  # no wake-up is scheduled from now on: adding a job during shutdown deadlocks
            self._stopping = True
        self._scheduler.shutdown(wait=wait)
        self._scheduler = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def _background_run(self) -> None:
        try:
            self.run_once()
        except Exception:  # noqa: BLE001 - e.g. the database is down: the sweep tries again
            log.exception("timer executor run failed")
        self._wake_for(self._safe_next_due(), replace=True)

    def _peek(self) -> None:
        """Move the wake-up earlier when a timer became due sooner (made by a request or another process)."""
        self._wake_for(self._safe_next_due(), replace=False)

    def _safe_next_due(self) -> datetime | None:
        try:
            return self.next_due()
        except Exception:  # noqa: BLE001
            log.exception("timer executor could not read the next due time")
            return None

    def _wake_for(self, due: datetime | None, replace: bool) -> None:
        scheduler = self._scheduler
        if scheduler is None:
            return
        with self._wake_lock:
            if self._stopping:
                return
            if due is None:
                if replace:
                    self.wake_at = None
                return
            if not replace and self.wake_at is not None and self.wake_at <= due:
                return
            # The service clock may be a test clock: wait the same interval on the real one.
            delay = due - clock.now()
            delay = delay + _AFTER_DUE if delay > timedelta(0) else _RETRY_PAUSE
            at = clock.Clock().now() + delay
            self.wake_at = due
            scheduler.add_job(self._background_run, DateTrigger(run_date=at), id="wake", replace_existing=True)
