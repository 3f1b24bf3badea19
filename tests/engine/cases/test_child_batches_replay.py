"""The history of a parent whose planned children failed later: replayed and shown step by step.

A parent's step plans its children and commits; the batches that start them run after it, each in
its own transaction, and record on the parent an incident of their own (``case_failed``, command
``child_starts`` or ``children_finished``, by the planner). Replay must read that incident as a
command of its own, not as the failure of whichever step the history recorded just before it: the
start of the review did not fail, and the admin's retry did not fail either when the batch after it
found the children still unable to start.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.audit.verify import verify_all
from engine.replay.rerun import replay_case, state_at
from engine.store.models import Event
from tests.engine.cases.test_child_batches import OneUndeployed, Planner, RefusesToEnd, children, planner  # noqa: F401
from tests.engine.time.timer_support import actor, deploy_test_diagram
from workflows import POLICIES


def history(store: Any, case_id: int) -> list[tuple[str, str]]:
    """The parent's events as (type, actor), in order."""
    with store.read() as session:
        return [tuple(row) for row in session.execute(
            select(Event.type, Event.actor).where(Event.case_id == case_id).order_by(Event.seq))]


def replayed(service: Any, store: Any, case_id: int) -> dict[str, Any]:
    with store.read() as session:
        return replay_case(service, session.connection(), case_id).as_dict()


def chain_verifies(store: Any) -> bool:
    with store.read() as session:
        return verify_all(session.connection()).ok


def at_step(service: Any, store: Any, case_id: int, seq: int) -> dict[str, Any]:
    """What the history page shows of the case after event ``seq``: its status and the diagram's marks."""
    with store.read() as session:
        shown = state_at(service, session.connection(), case_id, seq)
    return {k: shown[k] for k in ("status", "active_element_ids", "step_ends_at", "replay_divergence")}


def test_a_retry_made_before_the_missing_process_is_deployed_replays_with_the_batchs_incident_by_the_planner(
        store, service, manual_clock, planner, monkeypatch):
    planner("instant_child")
    monkeypatch.setitem(POLICIES, "fan_out", OneUndeployed("instant_child"))  # K-000 of a process not deployed
    parent_id = service.start(actor(store, "hr"), "fan_out", {})

    service.retry(actor(store, "admin"), parent_id)  # too early: leave_request is still missing

    # the retry committed as the admin's step; the batch after it failed again, as the planner's
    assert history(store, parent_id) == [
        ("case_started", "hr"), ("child_starts_planned", "hr"), ("child_starts_failed", "hr"), ("case_failed", "hr"),
        ("case_retried", "admin"), ("child_starts_failed", "hr"), ("case_failed", "hr")]
    assert chain_verifies(store)
    early = replayed(service, store, parent_id)
    assert early["consistent"] and early["divergence"] is None, early

    deploy_test_diagram(store, "plain_two_lanes.bpmn")  # the cause fixed
    service.retry(actor(store, "admin"), parent_id)

    assert history(store, parent_id)[-2:] == [("case_retried", "admin"), ("children_started", "hr")]
    kids = [case_id for case_id, _, _ in children(store, parent_id)]
    assert len(kids) == 60
    for case_id in [parent_id, kids[0], kids[-1]]:
        outcome = replayed(service, store, case_id)
        assert outcome["consistent"], outcome
    assert chain_verifies(store)


def test_the_planning_step_of_a_parent_whose_children_later_failed_shows_a_started_review_waiting(
        store, service, manual_clock, planner, monkeypatch):
    planner("instant_child")
    fine = service.start(actor(store, "hr"), "fan_out", {})  # a plan that started, for comparison
    monkeypatch.setitem(POLICIES, "fan_out", OneUndeployed("instant_child"))
    failed = service.start(actor(store, "hr"), "fan_out", {})
    incident = [seq for seq, (kind, _) in enumerate(history(store, failed), 1) if kind == "case_failed"]

    waiting = {"status": "running", "active_element_ids": ["children_done"], "step_ends_at": 1,
               "replay_divergence": None}
    assert at_step(service, store, fine, 1) == waiting
    assert at_step(service, store, failed, 1) == waiting  # the start itself ran, as it did
    assert incident == [4]
    assert at_step(service, store, failed, 4) == {**waiting, "status": "error", "step_ends_at": 4}


def test_a_parent_that_refused_to_hear_its_children_shows_its_start_as_a_start_and_its_refusal_apart(
        store, service, manual_clock, planner, monkeypatch):
    planner("instant_child")  # every child ends at once: the last batch tells the parent, which refuses
    policy = RefusesToEnd("instant_child")
    monkeypatch.setitem(POLICIES, "fan_out", policy)
    parent_id = service.start(actor(store, "hr"), "fan_out", {})
    events = history(store, parent_id)
    assert events[-2:] == [("children_started", "hr"), ("case_failed", "hr")]

    assert at_step(service, store, parent_id, 1) == {
        "status": "running", "active_element_ids": ["children_done"], "step_ends_at": 1, "replay_divergence": None}
    refused = at_step(service, store, parent_id, len(events))
    assert (refused["status"], refused["step_ends_at"], refused["replay_divergence"]) == ("error", len(events), None)

    policy.refusing = False  # the cause fixed
    service.retry(actor(store, "admin"), parent_id)
    outcome = replayed(service, store, parent_id)
    assert outcome["consistent"], outcome
    assert at_step(service, store, parent_id, len(events))["status"] == "error"  # the past stays as it was
