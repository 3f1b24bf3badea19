"""Messages and signals between looking for the case and sending it: what the sender is told.

``POST /messages`` looks for the case that waits in a read transaction and only then, in its write
transaction, locks the one chosen and asks it again (to start a case with a business key: locks
the key and asks its cases again). ``POST /signals`` sends each case listed in its own step. These
scenarios came from review r2 (F5, F6): a scan that held SQLite's write lock while it loaded every
case that could catch the message, and a broadcast that called a refused case an incident.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from sqlalchemy import event

from engine.cases import message_routing
from engine.errors import Invalid, NotFound
from engine.store.database import WRITE_OPTION
from tests.api.conformance import deploy_file, replays_consistent
from tests.api.support import API, error_of, get_case, history, start, unchanged
from tests.api.test_messages_api import MESSAGE_FILE, SIGNAL_FILE, START_FILE, correlate, waiting_for_result
from tests.api.test_messages_bounds import broadcast, waiting_for_budget
from tests.engine.time.timer_support import actor


class WriteTransactions:
    """The write transactions the store's engine begins (``BEGIN IMMEDIATE`` on SQLite): how many
    were begun, and how many are open right now."""

    def __init__(self) -> None:
        self.begun = 0
        self.open: set[int] = set()

    def began(self, conn: Any) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            self.begun += 1
            self.open.add(id(conn))

    def ended(self, conn: Any) -> None:
        self.open.discard(id(conn))


@pytest.fixture
def writes(store) -> Iterator[WriteTransactions]:  # type: ignore[no-untyped-def]
    seen = WriteTransactions()
    hooks = (("begin", seen.began), ("commit", seen.ended), ("rollback", seen.ended))
    for name, hook in hooks:
        event.listen(store.engine, name, hook)
    yield seen
    for name, hook in hooks:
        event.remove(store.engine, name, hook)


@pytest.fixture
def looked_at(service, writes, monkeypatch) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Each case whose state correlation loaded to ask whether it waits: (case id, write
    transactions open at that moment)."""
    seen: list[tuple[int, int]] = []
    real = service.messages._waits

    def waits(conn: Any, case: Any, kind: str, name: str) -> bool:
        seen.append((case.id, len(writes.open)))
        return real(conn, case, kind, name)

    monkeypatch.setattr(service.messages, "_waits", waits)
    return seen


def after_the_look(service: Any, monkeypatch: Any, meanwhile: Any) -> list[Any]:
    """Run ``meanwhile`` once, after correlation's first look and before its write transaction;
    returns what each look that did not refuse found."""
    found: list[Any] = []
    real = service.messages._receiver

    def receiver(name: str, business_key: str | None, case_id: int | None) -> int | None:
        found.append(real(name, business_key, case_id))
        if len(found) == 1:
            meanwhile()
        return found[-1]

    monkeypatch.setattr(service.messages, "_receiver", receiver)
    return found


# ------------------------------------------------------------------ F6: the look holds no write lock
def test_a_message_nobody_can_take_is_answered_no_receiver_without_ever_taking_the_write_lock(
        auth, store, service, writes, looked_at):
    deploy_file(auth, MESSAGE_FILE)
    registering = [start(auth, "hr", "message_from_outside") for _ in range(3)]  # could catch it, not yet
    admin = actor(store, "admin")
    writes.begun = 0
    with unchanged(store):
        with pytest.raises(NotFound) as refused:
            service.messages.correlate(admin, "exam_result", {"score": 1})
    assert refused.value.code == "no_receiver"
    assert looked_at == [(case["id"], 0) for case in registering]  # every one loaded, none under a write lock
    assert writes.begun == 0  # SQLite's other writers never waited on this sender


def test_a_correlated_message_loads_the_cases_unlocked_and_locks_only_the_one_it_delivers_to(
        auth, store, service, writes, looked_at):
    deploy_file(auth, MESSAGE_FILE)
    registering = [start(auth, "hr", "message_from_outside") for _ in range(3)]
    waiting = waiting_for_result(auth)
    admin = actor(store, "admin")
    writes.begun = 0
    assert service.messages.correlate(admin, "exam_result", {"score": 80}) == {"delivered_to": waiting["id"]}
    scanned = [(case["id"], 0) for case in registering] + [(waiting["id"], 0)]
    assert looked_at == scanned + [(waiting["id"], 1)]  # asked again once locked, alone
    assert writes.begun == 1 and not writes.open
    assert get_case(auth, "hr", waiting["id"])["status"] == "completed"
    replays_consistent(auth, waiting["id"])


# ------------------------------------------------------------------ F6: a case that moves on in between
def another_sender_reaches_it_after_the_look(auth: Any, store: Any, service: Any, monkeypatch: Any
                                             ) -> tuple[dict[str, Any], list[Any]]:
    """A case waiting for ``exam_result``, sent it by another sender between correlation's look and
    its write; the case, and what each look found (:func:`after_the_look`)."""
    deploy_file(auth, MESSAGE_FILE)
    waiting = waiting_for_result(auth)
    admin = actor(store, "admin")
    found = after_the_look(service, monkeypatch, lambda: service.messages.to_case(
        admin, waiting["id"], "message", "exam_result", {"score": 80}))
    return waiting, found


def test_a_message_whose_case_another_sender_reached_meanwhile_is_delivered_once(auth, store, service,
                                                                                 monkeypatch):
    waiting, found = another_sender_reaches_it_after_the_look(auth, store, service, monkeypatch)
    # once locked the case no longer waits: it looks again, and nothing waits or starts with exam_result
    error_of(correlate(auth, {"name": "exam_result", "payload": {"score": 10}}), 404, "no_receiver")
    assert found == [waiting["id"]]  # the second look answered 404 itself
    received = [e["data"] for e in history(auth, "auditor", waiting["id"]) if e["type"] == "message_received"]
    assert received == [{"message": "exam_result", "payload": {"score": 80}}]
    assert get_case(auth, "hr", waiting["id"])["data"]["passed"] is True
    replays_consistent(auth, waiting["id"])


def test_a_message_to_a_case_by_id_that_moved_on_meanwhile_answers_not_waiting(auth, store, service,
                                                                                monkeypatch):
    waiting, _ = another_sender_reaches_it_after_the_look(auth, store, service, monkeypatch)
    error_of(correlate(auth, {"name": "exam_result", "payload": {"score": 10}, "case_id": waiting["id"]}),
             409, "not_waiting")
    assert [e["type"] for e in history(auth, "auditor", waiting["id"])].count("message_received") == 1


def test_a_message_start_whose_business_key_began_waiting_meanwhile_is_delivered_to_that_case(
        auth, store, service, monkeypatch):
    deploy_file(auth, START_FILE)
    hr = actor(store, "hr")
    begun: list[int] = []
    found = after_the_look(service, monkeypatch, lambda: begun.append(
        service.start(hr, "message_start", {}, business_key="APP-1")))  # waits at its message start event
    response = correlate(auth, {"name": "application", "payload": {"name": "Bo"}, "business_key": "APP-1"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"delivered_to": begun[0]}  # not 409 duplicate_business_key, not a 2nd case
    assert found == [None, begun[0]]
    cases = auth.as_("admin").get(f"{API}/cases?business_key=APP-1").get_json()["items"]
    assert [c["id"] for c in cases] == begun
    assert get_case(auth, "admin", begun[0])["data"]["application"] == {"name": "Bo"}
    replays_consistent(auth, begun[0])


def test_a_message_whose_case_keeps_moving_on_is_refused_stale_after_a_bounded_number_of_looks(
        auth, store, service, writes, monkeypatch):
    deploy_file(auth, MESSAGE_FILE)
    waiting = waiting_for_result(auth)
    real, looks = service.messages._waits, []

    def waits(conn: Any, case: Any, kind: str, name: str) -> bool:
        locked = bool(writes.open)
        looks.append(locked)
        return not locked and real(conn, case, kind, name)  # waits when looked for, never once locked

    monkeypatch.setattr(service.messages, "_waits", waits)
    with unchanged(store):
        refused = error_of(correlate(auth, {"name": "exam_result", "payload": {"score": 1}}), 409, "stale_case")
    assert "send it again" in refused["message"]
    assert looks == [False, True] * message_routing.STALE_RETRIES
    assert get_case(auth, "hr", waiting["id"])["status"] == "running"


# ------------------------------------------------------------------ F5: a refused case is not an incident
def test_a_broadcast_case_whose_step_its_process_refuses_is_undelivered_with_the_code_and_still_waits(
        auth, service, monkeypatch):
    deploy_file(auth, SIGNAL_FILE)
    good, refusing = waiting_for_budget(auth, 2)
    policy = service.policy_for("signal_from_outside")
    real = policy.after_step

    def after_step(step: Any) -> Any:
        if step.case_id == refusing["id"] and step.finished:
            raise Invalid("the budget line is closed", code="budget_closed")
        return real(step)

    monkeypatch.setattr(policy, "after_step", after_step)
    response = broadcast(auth)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"delivered_to": [good["id"]], "failed": [],
                                   "undelivered": [{"case_id": refusing["id"], "code": "budget_closed"}]}
    after = get_case(auth, "admin", refusing["id"])
    assert after["status"] == "running" and not after.get("incident")
    assert "signal_received" not in [e["type"] for e in history(auth, "auditor", refusing["id"])]

    monkeypatch.setattr(policy, "after_step", real)  # the budget line reopens: the case still waits for it
    assert broadcast(auth).get_json() == {"delivered_to": [refusing["id"]], "failed": [], "undelivered": []}
    assert get_case(auth, "admin", refusing["id"])["status"] == "completed"
    replays_consistent(auth, good["id"])
    replays_consistent(auth, refusing["id"])
