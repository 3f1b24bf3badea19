"""The timer executor under real concurrency: executors racing in threads, and stopping cleanly.

(tests/engine/time/test_executor.py runs executors one after the other; these release
them together with a barrier, which on PostgreSQL exercises the row locks and the
unique key of ``scheduled_start``.)
"""
from __future__ import annotations

import threading
from datetime import date, timedelta

from sqlalchemy import select

from engine.store.models import ScheduledStart
from engine.time.executor import CycleStart, TimerExecutor
from tests.engine.time.timer_support import actor, deploy_test_diagram, fired_per_case, start_waiting
from tests.helpers import in_threads
from tests.waiting import wait_for

EXECUTORS = 3


def test_a_cycle_starts_once_when_executors_run_at_the_same_instant(store, service, manual_clock):
    deploy_test_diagram(store, "timer_soon.bpmn")
    hr, started, lock = actor(store, "hr"), [], threading.Lock()

    def start(svc, day: date) -> int:  # type: ignore[no-untyped-def]
        with lock:
            started.append(day)
        return start_waiting(svc, hr, manual_clock.now() + timedelta(days=1))

    monthly = CycleStart("timer_soon", lambda day: f"{day:%Y-%m}", start)
    executors = [TimerExecutor(service, store, cycles=[monthly]) for _ in range(EXECUTORS)]
    for _ in range(3):
        in_threads({executor.name: executor.run_once for executor in executors})
    assert started == [manual_clock.now().date()]
    with store.read() as session:
        [row] = session.scalars(select(ScheduledStart)).all()
    assert row.outcome == f"started case {row.case_id}"


def test_timers_due_together_fire_once_with_executors_racing(store, service, manual_clock):
    deploy_test_diagram(store, "timer_soon.bpmn")
    hr = actor(store, "hr")
    cases = [start_waiting(service, hr, manual_clock.now() + timedelta(minutes=5)) for _ in range(12)]
    manual_clock.advance(timedelta(minutes=6))
    executors = [TimerExecutor(service, store, batch=4) for _ in range(EXECUTORS)]
    in_threads({executor.name: executor.run_once for executor in executors})
    assert fired_per_case(store) == {case_id: 1 for case_id in cases}
    assert sum(executor.fired_total for executor in executors) == len(cases)


def _executor_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t is not threading.current_thread() and t.is_alive()}


def test_a_stopped_executor_leaves_no_thread_behind(store, service, manual_clock):
    before = _executor_threads()
    for _ in range(2):  # started again after a stop, it stops cleanly again
        executor = TimerExecutor(service, store, sweep_seconds=3600, peek_seconds=0.05).start()
        wait_for(lambda: executor.last_run_at is not None)  # the background thread's first run, however late
        assert executor.last_run_at is not None
        executor.stop()
        assert not executor.running
    assert _executor_threads() - before == set()


def test_an_executor_dying_after_the_start_committed_does_not_start_the_cycle_again(store, service, manual_clock):
    """The case of the cycle committed, then its executor died before noting it: the executor that
    takes the abandoned row over finds that case instead of starting a second one."""
    deploy_test_diagram(store, "timer_soon.bpmn")
    hr, started = actor(store, "hr"), []

    def start(svc, day: date) -> int:  # type: ignore[no-untyped-def]
        started.append(day)
        return start_waiting(svc, hr, manual_clock.now() + timedelta(days=1))

    monthly = CycleStart("timer_soon", lambda day: f"{day:%Y-%m}", start)
    dying = TimerExecutor(service, store, cycles=[monthly], name="host:1:dying", claim_seconds=60)

    def killed(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt("the process was killed")

    dying._finish_cycle = killed  # type: ignore[method-assign]
    try:
        dying.run_once()
    except KeyboardInterrupt:
        pass
    assert len(started) == 1
    manual_clock.advance(timedelta(seconds=61))
    TimerExecutor(service, store, cycles=[monthly], name="host:2:alive").run_once()
    assert len(started) == 1
    with store.read() as session:
        [row] = session.scalars(select(ScheduledStart)).all()
    assert row.case_id is not None and row.outcome.startswith(f"started case {row.case_id}")


def test_a_cycle_start_whose_case_failed_is_not_started_again(store, service, manual_clock):
    """A start that created its case but failed in it (an incident for an admin to retry) has
    started the cycle: retrying the start would pile up a new failed case every minute."""
    from engine.errors import CaseFailed

    deploy_test_diagram(store, "timer_soon.bpmn")
    hr, attempts = actor(store, "hr"), []

    def start(svc, day: date) -> int:  # type: ignore[no-untyped-def]
        case_id = start_waiting(svc, hr, manual_clock.now() + timedelta(days=1))
        attempts.append(case_id)
        raise CaseFailed(f"case {case_id} failed at 'x': boom", {"case_id": case_id, "element_id": "x",
                                                                  "message": "boom"})

    monthly = CycleStart("timer_soon", lambda day: f"{day:%Y-%m}", start)
    executor = TimerExecutor(service, store, cycles=[monthly], claim_seconds=60)
    executor.run_once()
    manual_clock.advance(timedelta(seconds=61))
    executor.run_once()
    assert len(attempts) == 1
    with store.read() as session:
        [row] = session.scalars(select(ScheduledStart)).all()
    assert row.case_id == attempts[0] and row.outcome.startswith(f"started case {attempts[0]}")
