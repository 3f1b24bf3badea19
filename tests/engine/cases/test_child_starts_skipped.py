"""Planned children that can never start: an admin skips them, with a reason, and the parent goes on.

Before, the parent's incident (``child_starts``) had two ways out: a retry that failed again for ever
(a talent whose unit is gone fails every time), or cancelling the parent — for a yearly review, every
other talent's assessment with it. ``fan_out`` and its helpers are those of
tests/engine/cases/test_child_batches.py; the child whose start always fails is that of
tests/engine/cases/test_child_batches_with_bugs.py (key K-003).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.cases import child_plans
from engine.errors import Conflict, Forbidden, Invalid
from engine.store.models import ChildStart, Event
from tests.engine.cases.test_child_batches import (PLANNED, Planner, children, event_types, failed_rows,  # noqa: F401
                                                   planner, replays_and_verifies, unstarted)
from tests.engine.cases.test_child_batches_with_bugs import HearingWithABug, StartHookWithABug, incident_of
from tests.engine.time.timer_support import actor, deploy_test_diagram
from workflows import POLICIES

REASON = "Đơn vị của nhân tài đã giải thể"


@pytest.fixture
def stuck_parent(store, service, planner, monkeypatch):  # type: ignore[no-untyped-def]
    """A parent whose child K-003 can never start: its incident says so, and a retry fails again."""
    planner("instant_child")
    monkeypatch.setitem(POLICIES, "instant_child", StartHookWithABug())
    parent_id = service.start(actor(store, "hr"), "fan_out", {})
    service.retry(actor(store, "admin"), parent_id)  # the cause is not fixed: it fails the same way again
    status, incident = incident_of(store, parent_id)
    assert status == "error" and incident["command"] == {"type": "child_starts"}
    assert [key for key, _ in failed_rows(store, parent_id)] == ["K-003"]
    return parent_id


def skipped_rows(store: Any, parent_id: int) -> list[Any]:
    with store.read() as session:
        return session.execute(select(ChildStart.business_key, ChildStart.skipped_by, ChildStart.error)
                               .where(ChildStart.parent_case_id == parent_id, ChildStart.skipped_at.is_not(None))).all()


def plan_of(store: Any, parent_id: int) -> dict[str, int] | None:
    with store.read() as session:
        return child_plans.summary(session.connection(), parent_id)


def last_event(store: Any, case_id: int, type_: str) -> Any:
    with store.read() as session:
        return session.scalars(select(Event).where(Event.case_id == case_id, Event.type == type_)
                               .order_by(Event.seq.desc())).first()


def test_an_admin_skips_a_child_that_can_never_start_and_the_parent_hears_the_others(
        store, service, manual_clock, stuck_parent):
    service.skip_failed_children(actor(store, "admin"), stuck_parent, REASON)

    # every other child had ended already: told at once, the parent ends
    assert incident_of(store, stuck_parent)[0] == "completed"
    assert plan_of(store, stuck_parent) == {"planned": PLANNED, "started": PLANNED - 1, "to_start": 0,
                                            "could_not_start": 0, "skipped": 1}
    [(key, by, error)] = skipped_rows(store, stuck_parent)
    assert (key, by) == ("K-003", "admin") and error.startswith("AttributeError")  # the reason it failed stays
    event = last_event(store, stuck_parent, "child_starts_skipped")
    assert event.actor == "admin" and event.data["reason"] == REASON and event.data["count"] == 1
    assert [c["business_key"] for c in event.data["children"]] == ["K-003"]
    types = event_types(store, stuck_parent)
    skipped_at = types.index("child_starts_skipped")
    assert types[skipped_at - 1] == "case_retried" and types.index("message_received") > skipped_at
    assert len(children(store, stuck_parent)) == PLANNED - 1  # never started, not even by a sweep
    manual_clock.advance(timedelta(minutes=5))
    assert service.child_batches.sweep() == 0 and unstarted(store, stuck_parent) == 1
    replays_and_verifies(service, store, stuck_parent)


def test_a_skipped_child_is_never_waited_for_while_the_started_ones_still_run(store, service, planner, monkeypatch):
    """Children that stay open (leave requests): after the skip the parent runs on and waits for them only."""
    planner("leave_request")
    monkeypatch.setitem(POLICIES, "leave_request", StartHookWithABug())
    parent_id = service.start(actor(store, "hr"), "fan_out", {})
    assert incident_of(store, parent_id)[0] == "error"

    service.skip_failed_children(actor(store, "admin"), parent_id, REASON)

    status, incident = incident_of(store, parent_id)
    assert status == "running" and incident is None
    assert "message_received" not in event_types(store, parent_id)  # 119 children are still open
    assert plan_of(store, parent_id) == {"planned": PLANNED, "started": PLANNED - 1, "to_start": 0,
                                         "could_not_start": 0, "skipped": 1}
    with store.read() as session:
        assert not child_plans.pending(session.connection(), parent_id)
    replays_and_verifies(service, store, parent_id)


def test_skipping_is_refused_without_a_reason_to_a_non_admin_and_for_another_incident(
        store, service, stuck_parent):
    before = event_types(store, stuck_parent)
    with pytest.raises(Invalid):
        service.skip_failed_children(actor(store, "admin"), stuck_parent, "   ")
    with pytest.raises(Forbidden):
        service.skip_failed_children(actor(store, "hr"), stuck_parent, REASON)
    assert event_types(store, stuck_parent) == before and skipped_rows(store, stuck_parent) == []

    deploy_test_diagram(store, "script_fails.bpmn")
    other = service.start(actor(store, "admin"), "script_fails", {})
    with pytest.raises(Conflict) as refused:  # a running case has no incident to skip children of
        service.skip_failed_children(actor(store, "admin"), other, REASON)
    assert refused.value.code == "case_not_in_error"


def test_a_case_in_error_for_another_reason_has_no_children_to_skip(store, service, planner, monkeypatch):
    planner("instant_child")
    monkeypatch.setitem(POLICIES, "fan_out", HearingWithABug("instant_child"))
    parent_id = service.start(actor(store, "hr"), "fan_out", {})
    assert incident_of(store, parent_id)[1]["command"] == {"type": "children_finished"}
    before = event_types(store, parent_id)

    with pytest.raises(Conflict) as refused:
        service.skip_failed_children(actor(store, "admin"), parent_id, REASON)

    assert refused.value.code == "no_failed_children"
    assert event_types(store, parent_id) == before and incident_of(store, parent_id)[0] == "error"
