"""A case whose stored state cannot be loaded becomes an incident an admin can cancel.

Data nested hundreds of levels deep once got into a case (the parser now refuses it): the state
was written, but SpiffWorkflow's serializer could never restore it (``RecursionError``), so after
a restart every command on the case failed the same way, with no incident and no way out. Here
the stored state is made unloadable by writing the row directly, and a fresh service (a restart:
nothing cached) meets it.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine.definitions.state import UnloadableState
from engine.errors import Conflict
from engine.store.database import Store
from engine.store.models import Case, Event, Task
from tests.conftest import proposal
from tests.engine.cases.test_runner import actor, ready, view
from workflows import build_service


def _too_deep(state: str, levels: int = 600) -> str:
    """The stored state with case data nested ``levels`` deep (built as text: no recursion here)."""
    dct = json.loads(state)
    dct["data"]["deep"] = "MARK"
    return json.dumps(dct).replace('"MARK"', "[" * levels + "]" * levels)


CORRUPTIONS = {
    "nested too deep": _too_deep,
    "not a workflow": lambda state: json.dumps({"tasks": {}, "last_task": None}),
    "cut short": lambda state: state[: len(state) // 2],
}


def _corrupt(store: Store, case_id: int, how: str) -> None:
    with store.transaction() as session:
        state = session.scalar(select(Case.state).where(Case.id == case_id))
        session.execute(update(Case).where(Case.id == case_id).values(state=CORRUPTIONS[how](state)))


def _started(store: Store) -> tuple[dict, str]:
    service = build_service(store)
    case = service.start(actor(store, "head_khcn"), "training_nomination", proposal(), view=view(service))
    return case, ready(case, "mentor_assessment")


@pytest.mark.parametrize("how", sorted(CORRUPTIONS))
def test_a_case_whose_state_cannot_be_loaded_becomes_an_incident_an_admin_can_cancel(store: Store, how: str):
    case, task_id = _started(store)
    _corrupt(store, case["id"], how)
    restarted = build_service(store)
    mentor, admin = actor(store, "expert1"), actor(store, "admin")

    with pytest.raises(UnloadableState) as failed:
        restarted.complete(mentor, task_id, {"recommendation": "support", "mentor_comment": "ok"})
    assert failed.value.status == 422 and failed.value.code == "case_state_unloadable"
    assert failed.value.details["case_id"] == case["id"]
    assert "cannot be loaded" in failed.value.message
    with store.read() as session:
        row = session.get(Case, case["id"])
        assert row.status == "error"
        assert "cannot be loaded" in row.incident["message"]
        assert isinstance(row.incident["element_id"], str)
        assert session.scalar(select(Task.status).where(Task.id == task_id)) == "ready"  # nothing stepped
        last = session.scalars(select(Event).where(Event.case_id == case["id"]).order_by(Event.seq.desc())).first()
        assert (last.type, last.from_status, last.to_status) == ("case_failed", "running", "error")

    # no loop: the next commands answer at once (a completion: the case is not running; a retry:
    # the same clear error, with no second incident written)
    with pytest.raises(Conflict):
        restarted.complete(mentor, task_id, {"recommendation": "support", "mentor_comment": "ok"})
    with pytest.raises(UnloadableState):
        restarted.retry(admin, case["id"])
    with store.read() as session:
        assert session.scalar(select(Case.version).where(Case.id == case["id"])) == row.version

    cancelled = restarted.cancel(admin, case["id"], "state cannot be loaded", view=view(restarted))
    assert cancelled["status"] == "cancelled"
    with store.read() as session:
        row = session.get(Case, case["id"])
        assert row.status == "cancelled" and row.incident is None
        assert session.scalar(select(Task.status).where(Task.id == task_id)) == "cancelled"


def test_the_incident_names_the_element_the_case_stopped_at(store: Store):
    case, task_id = _started(store)
    _corrupt(store, case["id"], "nested too deep")
    with pytest.raises(UnloadableState) as failed:
        build_service(store).complete(actor(store, "expert1"), task_id,
                                      {"recommendation": "support", "mentor_comment": "ok"})
    assert failed.value.details["element_id"]
    with store.read() as session:
        incident = session.get(Case, case["id"]).incident
    assert incident["element_id"] == failed.value.details["element_id"]
    assert incident["command"] == {"type": "run"}  # once fixed, an admin's retry runs the engine on


def test_a_running_case_that_cannot_be_loaded_can_be_cancelled_straight_away(store: Store):
    case, task_id = _started(store)
    _corrupt(store, case["id"], "nested too deep")
    restarted = build_service(store)
    cancelled = restarted.cancel(actor(store, "head_khcn"), case["id"], "withdrawn", view=view(restarted))
    assert cancelled["status"] == "cancelled"
    with store.read() as session:
        assert session.scalar(select(Task.status).where(Task.id == task_id)) == "cancelled"


def test_a_due_timer_on_a_case_that_cannot_be_loaded_makes_an_incident_not_a_retry_loop(store: Store,
                                                                                     manual_clock):
    case, _task_id = _started(store)
    with store.transaction() as session:
        session.execute(update(Case).where(Case.id == case["id"]).values(next_timer_at=manual_clock.now()))
    _corrupt(store, case["id"], "not a workflow")
    manual_clock.advance(timedelta(minutes=1))
    restarted = build_service(store)
    assert restarted.fire_due() == {}
    with store.read() as session:
        assert session.get(Case, case["id"]).status == "error"
    assert restarted.due_cases() == []  # a case in error is no longer due
