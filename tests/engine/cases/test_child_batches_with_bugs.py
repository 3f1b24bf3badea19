"""Planned child cases when a process's own hook has a bug: the plan still finishes, somebody is told.

A bug (an ``AttributeError``, a ``KeyError`` on data without the expected key) fails the same way in
every batch, so it must not roll the batch back for the sweep to retry every minute for ever: the
child fails alone, or the parent's hearing is undone alone, and the parent becomes an incident an
admin retries once the cause is fixed. Only the database's own failures are retried behind their
backs. ``fan_out`` and its helpers are those of tests/engine/cases/test_child_batches.py.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.policy import ProcessPolicy
from engine.store.models import Case
from tests.engine.cases.test_child_batches import (PLANNED, Planner, children, event_types, failed_rows,  # noqa: F401
                                                   planner, replays_and_verifies, unstarted)
from tests.engine.time.timer_support import actor
from workflows import POLICIES


class StartHookWithABug(ProcessPolicy):
    """The child process's start hook breaks on one talent's data, as a bug does."""

    def prepare_start(self, db, data, starter):  # type: ignore[no-untyped-def]
        if data.get("n") == 3:
            raise AttributeError("'NoneType' object has no attribute 'path'")
        return data


class HearingWithABug(Planner):
    """The parent's hook on hearing its children reads a key their data does not have."""

    broken = True

    def children_finished(self, children):  # type: ignore[no-untyped-def]
        if self.broken:
            return "children_done", {"first": children[0]["data"]["missing_key"]}
        return super().children_finished(children)


def incident_of(store: Any, case_id: int) -> tuple[str, Any]:
    with store.read() as session:
        case = session.get(Case, case_id)
        return case.status, case.incident


def test_a_child_whose_start_hook_has_a_bug_fails_alone_and_its_parent_is_an_incident_an_admin_retries(
        store, service, manual_clock, planner, monkeypatch):
    planner("instant_child")
    monkeypatch.setitem(POLICIES, "instant_child", StartHookWithABug())
    parent_id = service.start(actor(store, "hr"), "fan_out", {})

    # the 119 others started in the same batches; the one row keeps the bug's words
    assert len(children(store, parent_id)) == PLANNED - 1 and unstarted(store, parent_id) == 1
    [(key, error)] = failed_rows(store, parent_id)
    assert key == "K-003" and error.startswith("AttributeError: 'NoneType' object has no attribute 'path'")
    status, incident = incident_of(store, parent_id)
    assert status == "error" and incident["command"] == {"type": "child_starts"}
    assert f"1 of {PLANNED} planned child cases could not start" in incident["message"]
    before = event_types(store, parent_id)
    manual_clock.advance(timedelta(seconds=120))
    assert service.child_batches.sweep() == 0 and event_types(store, parent_id) == before  # nothing loops

    monkeypatch.delitem(POLICIES, "instant_child")  # the bug fixed
    service.retry(actor(store, "admin"), parent_id)

    assert unstarted(store, parent_id) == 0 and failed_rows(store, parent_id) == []
    assert sorted(key for _, key, _ in children(store, parent_id)) == [f"K-{n:03d}" for n in range(PLANNED)]
    assert incident_of(store, parent_id)[0] == "completed"  # every instant child ended: the parent heard them
    replays_and_verifies(service, store, parent_id)


def test_a_parent_whose_hook_has_a_bug_on_hearing_its_children_is_an_incident_and_the_batch_commits(
        store, service, manual_clock, planner, monkeypatch):
    planner("instant_child")
    policy = HearingWithABug("instant_child")
    monkeypatch.setitem(POLICIES, "fan_out", policy)
    parent_id = service.start(actor(store, "hr"), "fan_out", {})

    # every child started once and ended; the last batch committed, only the hearing was undone
    started = children(store, parent_id)
    assert len(started) == PLANNED and unstarted(store, parent_id) == 0
    assert {status for _, _, status in started} == {"completed"}
    status, incident = incident_of(store, parent_id)
    assert status == "error" and incident["command"] == {"type": "children_finished"}
    assert "KeyError: 'missing_key'" in incident["message"]
    types = event_types(store, parent_id)
    assert types[-2:] == ["children_started", "case_failed"] and "message_received" not in types
    manual_clock.advance(timedelta(seconds=120))
    assert service.child_batches.sweep() == 0 and event_types(store, parent_id) == types  # nothing loops

    policy.broken = False  # the bug fixed
    service.retry(actor(store, "admin"), parent_id)

    assert incident_of(store, parent_id)[0] == "completed"
    assert event_types(store, parent_id)[-1] == "case_completed" and len(children(store, parent_id)) == PLANNED
    replays_and_verifies(service, store, parent_id)
