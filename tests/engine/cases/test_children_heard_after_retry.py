"""A parent in error while its children end hears them when an admin's retry sets it running again.

A parent in error hears nothing when a child ends (its step would run on a state an incident holds),
and no child ends twice: before, the retry of an unrelated incident — here a timer that could not
fire because a directory outside did not answer — left such a parent running and waiting for ever.
``fan_out`` and its helpers are those of tests/engine/cases/test_child_batches.py.
"""
from __future__ import annotations

from typing import Any

import pytest

from engine.cases.timer_incidents import TimerNotFired
from engine.policy import PlannedChild, Step
from engine.store.models import Case
from tests.engine.cases.test_child_batches import (Planner, children, event_types, planner,  # noqa: F401
                                                   replays_and_verifies)
from tests.engine.time.timer_support import actor
from workflows import POLICIES


class ThreeChildren(Planner):
    """Plans three leave requests: each stays open until someone acts on it."""

    def planned_children(self, step: Step) -> list[PlannedChild]:
        return super().planned_children(step)[:3]


def an_incident_outside_the_engine(service: Any, store: Any, case_id: int) -> None:
    """The parent becomes an incident as the timer executor makes one (a failure outside the engine)."""
    with store.command() as conn:
        loaded = service.steps.load(conn, service.steps.lock(conn, case_id))
        cause = TimerNotFired("reminder", ConnectionError("the city directory did not answer"))
        service.steps.mark_failed(conn, loaded, actor(store, "hr"), cause, {"type": "timers"})


@pytest.fixture
def parent_in_error(store, service, manual_clock, planner, monkeypatch) -> int:  # type: ignore[no-untyped-def]
    """A parent waiting for three open children, in error for a reason of its own."""
    planner("leave_request")
    monkeypatch.setitem(POLICIES, "fan_out", ThreeChildren("leave_request"))
    parent_id = service.start(actor(store, "hr"), "fan_out", {})
    an_incident_outside_the_engine(service, store, parent_id)
    return parent_id


def status_of(store: Any, case_id: int) -> str:
    with store.read() as session:
        return session.get(Case, case_id).status


def test_a_parent_whose_children_all_ended_while_it_was_in_error_hears_them_when_its_retry_sets_it_running(
        store, service, parent_in_error):
    parent_id = parent_in_error
    for child_id, _, _ in children(store, parent_id):
        service.cancel(actor(store, "hr"), child_id, "the nomination was withdrawn")
    assert {status for _, _, status in children(store, parent_id)} == {"cancelled"}
    assert status_of(store, parent_id) == "error" and "message_received" not in event_types(store, parent_id)

    service.retry(actor(store, "admin"), parent_id)

    assert status_of(store, parent_id) == "completed"  # it heard them, once, and went on
    types = event_types(store, parent_id)
    assert types[types.index("case_retried"):] == ["case_retried", "message_received", "case_completed"]
    replays_and_verifies(service, store, parent_id)


def test_a_retried_parent_with_a_child_still_open_waits_for_it_and_is_told_when_it_ends(
        store, service, parent_in_error):
    parent_id = parent_in_error
    first, second, last = [child_id for child_id, _, _ in children(store, parent_id)]
    for child_id in (first, second):
        service.cancel(actor(store, "hr"), child_id, "the nomination was withdrawn")

    service.retry(actor(store, "admin"), parent_id)

    assert status_of(store, parent_id) == "running"  # one child still open: nothing to hear yet, no note
    types = event_types(store, parent_id)
    assert "message_received" not in types and "message_not_delivered" not in types
    service.cancel(actor(store, "hr"), last, "the nomination was withdrawn")
    assert status_of(store, parent_id) == "completed"
    assert event_types(store, parent_id).count("message_received") == 1
