"""The open-task counter under concurrent commands (PostgreSQL's row locks; SQLite has one writer).

A child's last step and its parent's next batch of children once deadlocked on PostgreSQL (the
step held a counter row and wanted the parent's row, the batch the reverse); and ``recount-backlog
--check`` read the counter and the tasks in two snapshots. On SQLite the rival command cannot run
until this one commits (one write lock), so there the interleavings are not waited for: the
same commands run one after the other, and the outcome is asserted the same way.
"""
from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest
from sqlalchemy import event, select

from engine.store import backlog
from engine.store.models import Task
from tests.engine.cases.test_child_batches import Crash, Planner, _top_cases, children, counted_batches, planner  # noqa: F401
from tests.engine.store.test_backlog import exact
from tests.engine.time.timer_support import actor
from tests.helpers import start_training
from workflows import POLICIES

DEADLINE = 30  # seconds; generous, only reached when something is wrong


def ready_task(store: Any, case_id: int) -> int:
    with store.read() as session:
        return session.execute(select(Task.id).where(Task.case_id == case_id, Task.status == "ready")).scalar()


def test_a_child_ending_while_its_parent_starts_the_next_batch_finishes_both(store, service, manual_clock,
                                                                              planner, monkeypatch):
    planner("leave_request")
    counted_batches(service, monkeypatch, crash_after=1)  # the first batch of children only
    hr = actor(store, "hr")
    with pytest.raises(Crash):
        service.start(hr, "fan_out", {})
    monkeypatch.undo()
    monkeypatch.setitem(POLICIES, "fan_out", Planner("leave_request"))
    parent_id = max(cid for cid, in _top_cases(store))
    worker = dataclasses.replace(hr, global_roles=hr.global_roles | {"Employee", "Manager"})
    child_id = children(store, parent_id)[0][0]
    service.complete(worker, ready_task(store, child_id), {})  # fill_request -> approve_request
    last_task = ready_task(store, child_id)

    noted, batch_holds_parent = threading.Event(), threading.Event()
    real_add, real_start_in = backlog.add, service.steps.start_in

    def add(conn: Any, unit_id: Any, case_id: int, delta: int) -> None:
        real_add(conn, unit_id, case_id, delta)
        if threading.current_thread().name == "child" and delta < 0 and not store.is_sqlite:
            noted.set()  # the child's task left the counter; the old code held its row from here
            assert batch_holds_parent.wait(DEADLINE)

    def start_in(*args: Any, **kwargs: Any) -> Any:
        batch_holds_parent.set()
        return real_start_in(*args, **kwargs)
    monkeypatch.setattr(backlog, "add", add)
    monkeypatch.setattr(service.steps, "start_in", start_in)
    errors: dict[str, BaseException] = {}

    def last_step() -> None:
        try:
            service.complete(worker, last_task, {"approved": True})
        except BaseException as err:  # noqa: BLE001 - reported below
            errors["child"] = err

    def next_batch() -> None:
        try:
            if not store.is_sqlite:
                assert noted.wait(DEADLINE)
            service.child_batches.batch(parent_id)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors["batch"] = err
    threads = [threading.Thread(target=last_step, name="child"), threading.Thread(target=next_batch, name="batch")]
    for thread in threads:
        thread.start()
        if store.is_sqlite:
            thread.join(DEADLINE)
    for thread in threads:
        thread.join(DEADLINE)
    assert errors == {}
    assert batch_holds_parent.is_set() and [s for _, _, s in children(store, parent_id)].count("completed") == 1
    monkeypatch.undo()
    exact(store)


def test_the_check_sees_the_counter_and_the_tasks_as_of_one_moment_while_a_case_starts(auth, store):
    with store.read() as session:
        conn = session.connection()
        started: list[Any] = []

        def a_case_starts(*_args: Any) -> None:  # right after the check's first statement
            if not started:
                started.append(1)
                thread = threading.Thread(target=lambda: started.append(start_training(auth)))
                thread.start()
                thread.join(DEADLINE)
        event.listen(conn, "after_cursor_execute", a_case_starts)
        try:
            wrong = backlog.mismatches(conn)
        finally:
            event.remove(conn, "after_cursor_execute", a_case_starts)
    assert len(started) == 2 and started[1]["id"]
    assert wrong == {}
    exact(store)
