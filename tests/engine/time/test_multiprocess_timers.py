"""Three timer executors in separate OS processes share 200 timers due in the same second.

Real processes on the real clock (``talentflow scheduler``), against the test
database (SQLite: the write lock serializes claims; PostgreSQL: ``FOR UPDATE
SKIP LOCKED``): every timer fires exactly once — one ``timer_fired`` event per
case, every case completed — and none is lost.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.time import clock
from engine.store.models import SchedulerRun
from tests.waiting import DEADLINE_SECONDS
from tests.engine.time.timer_support import actor, deploy_test_diagram, fired_per_case, start_waiting, statuses

ROOT = Path(__file__).resolve().parents[3]
CASES = 200
EXECUTORS = 3


def start_executors(database_url: str, count: int, logs: Path) -> list[subprocess.Popen]:
    env = {**os.environ, "TALENTFLOW_DATABASE_URL": database_url, "TALENTFLOW_SCHEDULER_SWEEP_SECONDS": "2"}
    processes = []
    for n in range(count):
        with open(logs / f"executor-{n}.log", "w") as log:  # a file, not a pipe nobody reads until the end
            processes.append(subprocess.Popen([sys.executable, "-m", "api.cli", "scheduler"], cwd=ROOT, env=env,
                                              stdout=log, stderr=subprocess.STDOUT))
    return processes


def executors_up(store) -> int:  # type: ignore[no-untyped-def]
    with store.read() as session:
        return len(session.scalars(select(SchedulerRun.name).where(SchedulerRun.last_run_at.is_not(None))).all())


def stop(processes: list[subprocess.Popen], logs: Path) -> list[str]:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return [(logs / f"executor-{n}.log").read_text() for n in range(len(processes))]


@pytest.mark.slow
def test_200_timers_due_in_the_same_second_fire_exactly_once_across_3_processes(database_url, store, service,
                                                                               tmp_path):
    deploy_test_diagram(store, "timer_soon.bpmn")
    hr = actor(store, "hr")
    processes = start_executors(database_url, EXECUTORS, tmp_path)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while executors_up(store) < EXECUTORS and time.monotonic() < deadline:  # each has run once
            assert all(p.poll() is None for p in processes), stop(processes, tmp_path)
            time.sleep(0.1)
        due = clock.Clock().now() + timedelta(seconds=4)  # the real clock: the executors run on it
        cases = [start_waiting(service, hr, due) for _ in range(CASES)]
        deadline = time.monotonic() + DEADLINE_SECONDS
        while sum(fired_per_case(store).values()) < CASES and time.monotonic() < deadline:
            assert all(p.poll() is None for p in processes), stop(processes, tmp_path)
            time.sleep(0.25)
        time.sleep(1.0)  # a duplicate firing would show up now
    finally:
        outputs = stop(processes, tmp_path)

    fired = fired_per_case(store)
    assert sorted(fired) == sorted(cases), outputs
    assert set(fired.values()) == {1}
    assert statuses(store, cases) == {"completed": CASES}
    with store.read() as session:
        runs = session.scalars(select(SchedulerRun)).all()
    assert len(runs) == EXECUTORS and sum(run.fired_total for run in runs) == CASES
    assert all("stopped after firing" in output for output in outputs), outputs
