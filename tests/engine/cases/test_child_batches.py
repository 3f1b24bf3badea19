"""Child cases a step plans, started after it in batches: all of them, each once, even after a crash.

``fan_out`` (tests/data/fan_out.bpmn) waits for ``children_done``; its policy here plans 120
children instead of starting them inside its step. The batches are counted by wrapping
``ChildBatches.batch``; a crash between batches is an exception raised after the first one (the
parent's step and that batch are committed, the rest is not), and the executor's sweep is called
directly with the manual clock moved past its grace period.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.audit.verify import verify_all
from engine.cases import child_plans
from engine.errors import Invalid
from engine.replay.rerun import replay_case
from engine.policy import PlannedChild, ProcessPolicy, Step
from engine.store.models import Case, ChildStart, Event
from engine.time.executor import TimerExecutor
from tests.engine.time.timer_support import actor, deploy_test_diagram
from tests.helpers import in_threads
from workflows import POLICIES

PLANNED = 120


class Planner(ProcessPolicy):
    """Plans ``PLANNED`` children of ``child`` once, keyed K-000 … K-119."""

    def __init__(self, child: str) -> None:
        self.child = child

    def planned_children(self, step: Step) -> list[PlannedChild]:
        if step.finished or child_plans.planned_or_started(step.db, step.case_id):
            return []
        return [PlannedChild(self.child, {"n": n}, f"K-{n:03d}") for n in range(PLANNED)]

    def children_finished(self, children):  # type: ignore[no-untyped-def]
        return "children_done", {"ended": len(children)}


class Crash(BaseException):
    """The server process dying between two batches (nothing catches it on the way out)."""


@pytest.fixture
def planner(store, monkeypatch):  # type: ignore[no-untyped-def]
    def use(child: str) -> None:
        monkeypatch.setitem(POLICIES, "fan_out", Planner(child))
        deploy_test_diagram(store, "instant_child.bpmn" if child == "instant_child" else "plain_two_lanes.bpmn")
        deploy_test_diagram(store, "fan_out.bpmn")
    return use


def counted_batches(service: Any, monkeypatch: pytest.MonkeyPatch, crash_after: int | None = None) -> list[int]:
    """Children started by each batch that started any; ``crash_after`` batches, then the process 'dies'."""
    sizes: list[int] = []
    real = service.child_batches.batch

    def batch(parent_id: int) -> tuple[int, bool]:
        if crash_after is not None and len(sizes) == crash_after:
            raise Crash()
        count, done = real(parent_id)
        if count:
            sizes.append(count)
        return count, done

    monkeypatch.setattr(service.child_batches, "batch", batch)
    return sizes


def children(store: Any, parent_id: int) -> list[Any]:
    with store.read() as session:
        return session.execute(select(Case.id, Case.business_key, Case.status)
                               .where(Case.parent_case_id == parent_id).order_by(Case.id)).all()


def event_types(store: Any, case_id: int) -> list[str]:
    with store.read() as session:
        return list(session.scalars(select(Event.type).where(Event.case_id == case_id).order_by(Event.seq)))


def replays_and_verifies(service: Any, store: Any, case_id: int) -> None:
    """The case's history, incidents and retries included, replays as recorded, and every chain verifies."""
    with store.read() as session:
        replayed = replay_case(service, session.connection(), case_id)
        assert replayed.consistent, replayed.as_dict()
        assert verify_all(session.connection()).ok


def unstarted(store: Any, parent_id: int) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(ChildStart).where(
            ChildStart.parent_case_id == parent_id, ChildStart.case_id.is_(None)))


def test_120_planned_children_start_in_three_batches_each_exactly_once(store, service, manual_clock, planner,
                                                                       monkeypatch):
    planner("leave_request")
    sizes = counted_batches(service, monkeypatch)
    parent_id, answered = service.start(actor(store, "hr"), "fan_out", {},
                                        view=lambda conn, case: (case.id, case.version))

    started = children(store, parent_id)
    assert sizes == [50, 50, 20]
    assert sorted(key for _, key, _ in started) == [f"K-{n:03d}" for n in range(PLANNED)]  # each key once
    assert {status for _, _, status in started} == {"running"} and unstarted(store, parent_id) == 0
    with store.read() as session:
        rows = session.execute(select(ChildStart.case_id, ChildStart.business_key)).all()
        parent = session.get(Case, parent_id)
    assert sorted(rows) == sorted((case_id, key) for case_id, key, _ in started)
    # the answer is the parent as it is once its children have started, not as its step left it
    assert answered == parent.version
    types = event_types(store, parent_id)
    assert types.index("child_starts_planned") < types.index("children_started") and "message_received" not in types
    for child_id, _, _ in started[:1]:
        assert event_types(store, child_id)[0] == "case_started"  # each child's history begins as before


def test_a_crash_after_the_first_batch_leaves_the_parent_waiting_and_the_sweep_finishes_it(
        store, service, manual_clock, planner, monkeypatch):
    planner("instant_child")  # each child ends the moment it starts
    sizes = counted_batches(service, monkeypatch, crash_after=1)
    with pytest.raises(Crash):
        service.start(actor(store, "hr"), "fan_out", {})
    [parent_id] = [case_id for case_id, in _top_cases(store)]
    assert sizes == [50] and len(children(store, parent_id)) == 50 and unstarted(store, parent_id) == PLANNED - 50
    # all 50 children have ended, but 70 are still to start: the parent must not hear yet
    assert "message_received" not in event_types(store, parent_id)

    monkeypatch.setattr(service.child_batches, "batch", type(service.child_batches).batch.__get__(service.child_batches))
    executor = TimerExecutor(service, store)
    assert executor.sweep_child_starts() == 0  # the plan is fresh: its own command may still be running it
    manual_clock.advance(timedelta(seconds=61))
    assert executor.sweep_child_starts() == PLANNED - 50
    assert executor.sweep_child_starts() == 0

    started = children(store, parent_id)
    assert sorted(key for _, key, _ in started) == [f"K-{n:03d}" for n in range(PLANNED)]
    assert {status for _, _, status in started} == {"completed"}
    types = event_types(store, parent_id)
    assert types.count("message_received") == 1 and types.count("children_started") == 1
    with store.read() as session:
        assert session.get(Case, parent_id).status == "completed"


def test_two_sweeps_racing_on_one_plan_start_each_child_once(store, service, manual_clock, planner, monkeypatch):
    planner("leave_request")
    monkeypatch.setattr(service.child_batches, "run_planned", lambda parents: 0)  # died before any batch
    parent_id = service.start(actor(store, "hr"), "fan_out", {})
    assert children(store, parent_id) == [] and unstarted(store, parent_id) == PLANNED
    monkeypatch.undo()
    monkeypatch.setitem(POLICIES, "fan_out", Planner("leave_request"))

    results = in_threads({name: lambda: service.child_batches.sweep(older_than=timedelta(0))
                          for name in ("first", "second")})

    assert sum(results.values()) == PLANNED
    started = children(store, parent_id)
    assert len(started) == PLANNED and len({key for _, key, _ in started}) == PLANNED
    assert unstarted(store, parent_id) == 0 and event_types(store, parent_id).count("children_started") == 1


def test_a_cancelled_parent_starts_none_of_its_remaining_children(store, service, manual_clock, planner, monkeypatch):
    planner("leave_request")
    counted_batches(service, monkeypatch, crash_after=1)
    with pytest.raises(Crash):
        service.start(actor(store, "hr"), "fan_out", {})
    [parent_id] = [case_id for case_id, in _top_cases(store)]
    service.cancel(actor(store, "hr"), parent_id, "kế hoạch thay đổi")
    monkeypatch.undo()
    assert service.child_batches.sweep(older_than=timedelta(0)) == 0
    assert len(children(store, parent_id)) == 50 and unstarted(store, parent_id) == PLANNED - 50


class OneUndeployed(Planner):
    """Plans 60 ``instant_child`` children, but the first of them of ``leave_request``, not deployed yet."""

    def planned_children(self, step: Step) -> list[PlannedChild]:
        return [PlannedChild("leave_request" if n == 0 else child.process_key, child.data, child.business_key)
                for n, child in enumerate(super().planned_children(step)[:60])]


class OneKeyTwice(Planner):
    """Plans 60 children whose keys K-000 … K-054 wrap around: K-000 … K-004 twice, 55 rows apart."""

    def planned_children(self, step: Step) -> list[PlannedChild]:
        return [PlannedChild(child.process_key, child.data, f"K-{n % 55:03d}")
                for n, child in enumerate(super().planned_children(step)[:60])]


def failed_rows(store: Any, parent_id: int) -> list[Any]:
    with store.read() as session:
        return session.execute(select(ChildStart.business_key, ChildStart.error).where(
            ChildStart.parent_case_id == parent_id, ChildStart.error.is_not(None))).all()


def test_a_child_that_cannot_start_fails_alone_and_is_its_parents_incident_which_an_admin_retries(
        store, service, manual_clock, planner, monkeypatch):
    planner("instant_child")
    monkeypatch.setitem(POLICIES, "fan_out", OneUndeployed("instant_child"))
    parent_id = service.start(actor(store, "hr"), "fan_out", {})

    # the 59 others started (and ended) in the same batches; the one row keeps why it could not start
    assert len(children(store, parent_id)) == 59 and unstarted(store, parent_id) == 1
    [(key, error)] = failed_rows(store, parent_id)
    assert key == "K-000" and "leave_request" in error
    with store.read() as session:
        parent = session.get(Case, parent_id)
    assert parent.status == "error" and parent.incident["command"] == {"type": "child_starts"}
    assert "1 of 60 planned child cases could not start" in parent.incident["message"]
    types = event_types(store, parent_id)
    assert types[-2:] == ["child_starts_failed", "case_failed"]
    assert "children_started" not in types and "message_received" not in types  # not told "all finished"
    manual_clock.advance(timedelta(seconds=120))
    assert service.child_batches.sweep() == 0  # nothing retried behind the admin's back, nothing looping

    deploy_test_diagram(store, "plain_two_lanes.bpmn")  # the cause fixed
    service.retry(actor(store, "admin"), parent_id)

    assert unstarted(store, parent_id) == 0 and failed_rows(store, parent_id) == []
    started = children(store, parent_id)
    assert sorted(key for _, key, _ in started) == [f"K-{n:03d}" for n in range(60)]
    with store.read() as session:
        assert session.get(Case, parent_id).status == "running"  # its leave request is still open
    types = event_types(store, parent_id)
    assert types[-2:] == ["case_retried", "children_started"] and "message_received" not in types


class RefusesToEnd(Planner):
    """Plans 60 children; while ``refusing``, the parent's step on hearing them (its last) is refused."""

    refusing = True

    def planned_children(self, step: Step) -> list[PlannedChild]:
        return super().planned_children(step)[:60]

    def after_step(self, step: Step) -> None:
        if step.finished and self.refusing:
            raise Invalid("the review cannot close yet: its budget is not approved", code="budget_missing")


def test_a_parent_that_refuses_to_hear_its_children_is_an_incident_the_batch_commits_and_a_retry_finishes_it(
        store, service, manual_clock, planner, monkeypatch):
    planner("instant_child")  # each child ends the moment it starts: the last batch tells the parent
    policy = RefusesToEnd("instant_child")
    monkeypatch.setitem(POLICIES, "fan_out", policy)
    parent_id = service.start(actor(store, "hr"), "fan_out", {})

    # the batches committed: every child started once (and ended), none left for the sweep
    started = children(store, parent_id)
    assert sorted(key for _, key, _ in started) == [f"K-{n:03d}" for n in range(60)]
    assert {status for _, _, status in started} == {"completed"} and unstarted(store, parent_id) == 0
    with store.read() as session:
        parent = session.get(Case, parent_id)
        failed = session.scalars(select(Event.data).where(Event.case_id == parent_id,
                                                          Event.type == "case_failed")).one()
    assert parent.status == "error" and parent.incident["command"] == {"type": "children_finished"}
    assert "budget is not approved" in parent.incident["message"] and "budget is not approved" in failed["message"]
    types = event_types(store, parent_id)
    assert types[-2:] == ["children_started", "case_failed"] and "message_received" not in types  # the step undone
    manual_clock.advance(timedelta(seconds=120))
    assert service.child_batches.sweep() == 0 and event_types(store, parent_id) == types  # nothing loops

    policy.refusing = False  # the cause fixed
    service.retry(actor(store, "admin"), parent_id)

    with store.read() as session:
        assert session.get(Case, parent_id).status == "completed"
    types = event_types(store, parent_id)
    assert types[types.index("case_retried"):].count("message_received") == 1 and types[-1] == "case_completed"
    assert len(children(store, parent_id)) == 60
    replays_and_verifies(service, store, parent_id)


def test_a_retry_whose_parent_still_refuses_answers_the_refusal_and_keeps_the_incident(
        store, service, manual_clock, planner, monkeypatch):
    planner("instant_child")
    monkeypatch.setitem(POLICIES, "fan_out", RefusesToEnd("instant_child"))
    parent_id = service.start(actor(store, "hr"), "fan_out", {})
    before = event_types(store, parent_id)

    with pytest.raises(Invalid) as refused:
        service.retry(actor(store, "admin"), parent_id)

    assert refused.value.code == "budget_missing"
    with store.read() as session:
        parent = session.get(Case, parent_id)
    assert parent.status == "error" and parent.incident["command"] == {"type": "children_finished"}
    assert event_types(store, parent_id) == before


def test_a_plan_naming_one_business_key_twice_is_refused_in_its_step_and_nothing_is_written(
        store, service, manual_clock, planner, monkeypatch):
    planner("leave_request")
    monkeypatch.setitem(POLICIES, "fan_out", OneKeyTwice("leave_request"))
    with pytest.raises(Invalid) as refused:
        service.start(actor(store, "hr"), "fan_out", {})
    assert refused.value.code == "duplicate_planned_child" and "K-000" in refused.value.message
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
        assert session.scalar(select(func.count()).select_from(ChildStart)) == 0


def test_a_child_started_before_its_plan_ran_is_adopted_by_its_row_and_not_started_twice(
        store, service, manual_clock, planner, monkeypatch):
    planner("leave_request")
    monkeypatch.setattr(service.child_batches, "run_planned", lambda parents: 0)
    parent_id = service.start(actor(store, "hr"), "fan_out", {})
    monkeypatch.undo()
    monkeypatch.setitem(POLICIES, "fan_out", Planner("leave_request"))
    with store.command() as conn:  # K-007 started inline, as a step's ``start_case`` would
        service.steps.start_in(conn, actor(store, "hr"), "leave_request", {"n": 7}, "K-007", parent_case_id=parent_id)

    assert service.child_batches.sweep(older_than=timedelta(0)) == PLANNED
    started = children(store, parent_id)
    assert len(started) == PLANNED and len({key for _, key, _ in started}) == PLANNED  # adopted, not doubled
    assert unstarted(store, parent_id) == 0


def test_a_message_whose_step_plans_children_starts_them_in_the_same_request(store, service, manual_clock, planner,
                                                                            monkeypatch):
    planner("leave_request")
    monkeypatch.setitem(POLICIES, "message_start", Planner("leave_request"))
    deploy_test_diagram(store, "conformance/message_start.bpmn")

    outcome = service.messages.correlate(actor(store, "admin"), "application", {"name": "An"})

    parent_id = outcome["started"]
    assert unstarted(store, parent_id) == 0 and len(children(store, parent_id)) == PLANNED  # no sweep needed
    assert event_types(store, parent_id).count("children_started") == 1


def _top_cases(store: Any) -> list[Any]:
    with store.read() as session:
        return session.execute(select(Case.id).where(Case.parent_case_id.is_(None))).all()
