"""The timer executor: claims due cases in the database, fires each once, never early, and starts cycles once."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from engine.store.models import Case, ScheduledStart, SchedulerRun
from engine.time.executor import CycleStart, TimerExecutor
from tests.engine.time.timer_support import actor, deploy_test_diagram, fired_count, start_waiting, statuses
from tests.waiting import DEADLINE_SECONDS, wait_for


def _cases_due_in(store, service, manual_clock, count: int, delta: timedelta) -> list[int]:  # type: ignore[no-untyped-def]
    deploy_test_diagram(store, "timer_soon.bpmn")
    hr = actor(store, "hr")
    return [start_waiting(service, hr, manual_clock.now() + delta) for _ in range(count)]


def test_due_timers_fire_once_at_their_time_and_not_before(store, service, manual_clock):
    cases = _cases_due_in(store, service, manual_clock, 3, timedelta(hours=2))
    executor = TimerExecutor(service, store, batch=2)

    manual_clock.advance(timedelta(hours=2))  # due now: a timer fires once its due time has passed
    assert executor.run_once() == 0
    manual_clock.advance(timedelta(milliseconds=1))
    assert executor.run_once() == 3  # two claim rounds of at most two cases
    assert executor.run_once() == 0
    assert fired_count(store, cases) == 3
    assert statuses(store, cases) == {"completed": 3}
    with store.read() as session:
        assert session.execute(select(Case.timer_claimed_by).where(Case.id.in_(cases))).scalars().all() == [None] * 3
        run = session.get(SchedulerRun, executor.name)
        assert (run.fired_total, run.last_run_at) == (3, manual_clock.now())


def test_a_live_claim_is_left_alone_and_an_expired_one_taken_over(store, service, manual_clock):
    cases = _cases_due_in(store, service, manual_clock, 2, timedelta(minutes=5))
    manual_clock.advance(timedelta(minutes=6))
    dead = TimerExecutor(service, store, name="host:1:dead", claim_seconds=60)
    assert sorted(dead.claim()) == sorted(cases)  # claims, then dies before firing

    survivor = TimerExecutor(service, store, name="host:2:alive")
    assert survivor.run_once() == 0  # the claims still hold
    assert survivor.next_due() == manual_clock.now() + timedelta(seconds=60)  # wakes when they expire
    manual_clock.advance(timedelta(seconds=61))
    assert survivor.run_once() == 2
    assert fired_count(store, cases) == 2


def test_firing_twice_from_two_executors_fires_once(store, service, manual_clock):
    cases = _cases_due_in(store, service, manual_clock, 1, timedelta(minutes=1))
    manual_clock.advance(timedelta(minutes=2))
    first, second = TimerExecutor(service, store), TimerExecutor(service, store)
    # the second executor's claim expired, but the first fired meanwhile: nothing is due any more
    assert first.claim() == cases
    with store.command() as conn:
        conn.execute(update(Case).where(Case.id == cases[0]).values(timer_claimed_until=manual_clock.now()))
    manual_clock.advance(timedelta(seconds=1))
    assert second.claim() == cases
    assert service.fire_timers(cases[0]) == ["wait_until"]
    assert second.run_once() == 0 and first.run_once() == 0
    assert fired_count(store, cases) == 1


def test_a_cycle_starts_once_however_many_executors_run(store, service, manual_clock):
    deploy_test_diagram(store, "timer_soon.bpmn")
    hr, started = actor(store, "hr"), []

    def start(svc, day: date) -> int:  # type: ignore[no-untyped-def]
        started.append(day)
        return start_waiting(svc, hr, manual_clock.now() + timedelta(days=1))

    monthly = CycleStart("timer_soon", lambda day: f"{day:%Y-%m}" if day.day >= 10 else None, start)
    executors = [TimerExecutor(service, store, cycles=[monthly]) for _ in range(3)]
    for executor in executors:  # 2 March 2026: not yet
        executor.run_once()
    manual_clock.advance(timedelta(days=8))  # 10 March
    for executor in executors:
        executor.run_once()
    manual_clock.advance(timedelta(days=25))  # 4 April: March is done, April not yet due
    for executor in executors:
        executor.run_once()
    assert started == [date(2026, 3, 10)]
    with store.read() as session:
        row = session.scalars(select(ScheduledStart)).one()
    assert (row.process_key, row.cycle, row.outcome) == ("timer_soon", "2026-03", f"started case {row.case_id}")


def test_a_failed_or_abandoned_cycle_start_is_retried(store, service, manual_clock):
    attempts = []

    def flaky(svc, day: date) -> int | None:  # type: ignore[no-untyped-def]
        attempts.append(day)
        if len(attempts) == 1:
            raise RuntimeError("database went away")
        return None

    daily = CycleStart("timer_soon", lambda day: day.isoformat(), flaky)
    executor = TimerExecutor(service, store, cycles=[daily], claim_seconds=60)
    executor.run_once()
    executor.run_once()  # not hammered: retried once the claim expires
    assert len(attempts) == 1
    manual_clock.advance(timedelta(seconds=61))
    executor.run_once()
    executor.run_once()
    assert len(attempts) == 2
    with store.read() as session:
        assert session.scalars(select(ScheduledStart.outcome)).one() == "nothing to start"


def test_the_background_executor_fires_at_start_what_fell_due_while_it_was_down(store, service, manual_clock):
    cases = _cases_due_in(store, service, manual_clock, 2, timedelta(hours=1))
    manual_clock.advance(timedelta(hours=3))  # the service was down when they fell due
    executor = TimerExecutor(service, store, sweep_seconds=30).start()
    try:
        wait_for(lambda: fired_count(store, cases) == 2)  # its first run, however busy the machine
    finally:
        executor.stop()
    assert not executor.running
    assert fired_count(store, cases) == 2
    assert executor.last_run_at == manual_clock.now()


def test_the_background_executor_wakes_at_the_next_due_time_not_at_the_sweep(store, service, manual_clock):
    cases = _cases_due_in(store, service, manual_clock, 1, timedelta(seconds=1))
    executor = TimerExecutor(service, store, sweep_seconds=3600).start()
    try:
        wait_for(lambda: executor.wake_at is not None)  # set just after the first run ends, however late
        assert executor.wake_at == manual_clock.now() + timedelta(seconds=1)  # the wake-up, an hour before the sweep
        manual_clock.advance(timedelta(seconds=2))  # the real second passes too, while we wait
        wait_for(lambda: fired_count(store, cases) == 1)
    finally:
        executor.stop()
    assert fired_count(store, cases) == 1


def test_the_executor_runs_its_periodic_jobs_and_a_failing_one_does_not_stop_it(store, service, manual_clock):
    import threading

    calls: list[str] = []
    twice = threading.Event()

    def failing() -> None:
        calls.append("failing")
        raise RuntimeError("the database is away")

    def counting() -> None:
        calls.append("counting")
        if calls.count("counting") >= 2:
            twice.set()

    executor = TimerExecutor(service, store, sweep_seconds=3600,
                             periodic=[("failing", 0.05, failing), ("counting", 0.05, counting)]).start()
    try:
        assert twice.wait(DEADLINE_SECONDS), calls
    finally:
        executor.stop()
    assert "failing" in calls


def test_the_audit_checkpoint_job_signs_the_chains_once_while_nothing_changes(store, service, manual_clock):
    from engine.audit import checkpoints as checkpoint

    job = checkpoint.periodic_checkpoint(store, "server-key")
    first = job()
    assert first is not None and first["key_id"] == checkpoint.key_id("server-key")
    manual_clock.advance(timedelta(hours=2))
    assert job() is None  # the log has not grown: no identical checkpoint
    _cases_due_in(store, service, manual_clock, 1, timedelta(hours=1))  # a case started: the log grew
    assert job()["id"] > first["id"]
