"""Verifying the audit chains after someone with database access tampered with them.

Each test plays the attacker: it edits the ``event`` table directly (as the
product never can) and checks that verification names the exact case and
sequence number, and what kind of change it was.
"""
from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from engine.audit import events as audit
from engine.store.models import Case, Event, User
from engine.people.actors import actor_for
from engine.audit.verify import verify_all
from tests.conftest import proposal

EVENT, CASE = Event.__table__, Case.__table__


def actor(store: Any, username: str) -> Any:
    with store.read() as session:
        return actor_for(session, session.scalar(select(User).where(User.username == username)))


def training_case(service: Any, store: Any, steps: int) -> int:
    """A training nomination taken ``steps`` tasks along (4: trained and finished)."""
    head, mentor, hr = actor(store, "head_khcn"), actor(store, "expert1"), actor(store, "hr")
    case_id = service.start(head, "training_nomination", proposal())
    plan = [(mentor, "mentor_assessment", {"recommendation": "support", "mentor_comment": "tốt"}),
            (head, "unit_head_approval", {"decision": "approve"}),
            (hr, "hr_enrolment", {"class_code": "A1", "class_start": "2026-05-04"}),
            (head, "report_attendance", {"completed": True})]
    for who, element, data in plan[:steps]:
        with store.read() as session:
            task_id = session.execute(select(Event.task_id).where(
                Event.case_id == case_id, Event.type == "task_created",
                Event.data["element_id"].as_string() == element)).scalar()
        service.complete(who, task_id, data)
    return case_id


@pytest.fixture
def cases(service, store, manual_clock):  # type: ignore[no-untyped-def]
    """Three cases: finished, half-way, just started."""
    return [training_case(service, store, 4), training_case(service, store, 2), training_case(service, store, 0)]


def events_of(store: Any, case_id: int) -> list[Any]:
    with store.read() as session:
        return session.execute(select(EVENT).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq)).all()


def verify(store: Any, heads: Any = None, batch: int = 2000) -> Any:
    with store.read() as session:
        return verify_all(session.connection(), heads, batch=batch)


def tamper(store: Any, *statements: Any) -> None:
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


def set_event(of_case: int, at_seq: int, **values: Any) -> Any:
    return update(EVENT).where(EVENT.c.case_id == of_case, EVENT.c.seq == at_seq).values(**values)


def breaks(report: Any) -> list[tuple[int | None, int, str]]:
    return [(b.case_id, b.seq, b.problem) for b in report.breaks]


def test_an_untouched_log_verifies_in_small_batches_too(store, cases):
    whole, batched = verify(store), verify(store, batch=3)
    assert whole.ok and batched.ok and whole.first is None
    assert whole.chains == batched.chains == 4  # the deployments' global chain and three cases
    assert whole.events == batched.events == sum(len(events_of(store, c)) for c in cases) + len(events_of(store, None))


CHANGES = {
    "type": lambda e: {"type": "task_released"},
    "actor": lambda e: {"actor": "mallory"},
    "at": lambda e: {"at": e.at - timedelta(days=2)},
    "process_hash": lambda e: {"process_hash": "f" * 64},
    "task_id": lambda e: {"task_id": "00000000-0000-4000-8000-000000000000"},
    "data": lambda e: {"data": {**e.data, "element_id": "forged"}},
    "from_status": lambda e: {"from_status": "error"},
    "to_status": lambda e: {"to_status": "cancelled"},
}


@pytest.mark.parametrize("column", sorted(CHANGES))
def test_changing_any_hashed_column_of_a_random_event_is_pinned_to_that_event(store, cases, column):
    target = cases[0]
    event = random.Random(column).choice(events_of(store, target)[1:])
    tamper(store, set_event(target, event.seq, **CHANGES[column](event)))
    report = verify(store)
    assert not report.ok
    assert breaks(report) == [(target, event.seq, "changed")]
    if column in ("process_hash", "at"):
        assert report.first.details["field"] == column


def test_a_rewritten_hash_or_prev_hash_is_named_as_such(store, cases):
    target = cases[1]
    tamper(store, set_event(target, 3, hash="0" * 64), set_event(cases[0], 5, prev_hash="1" * 64))
    assert breaks(verify(store)) == [(cases[0], 5, "prev_hash_altered"), (target, 3, "hash_altered")]


def test_a_renumbered_event_is_found_where_it_belongs(store, cases):
    target, last = cases[0], len(events_of(store, cases[0]))
    tamper(store, set_event(target, 4, seq=last + 10), set_event(cases[1], 2, seq=0))
    report = verify(store)
    assert breaks(report) == [(target, 4, "seq_altered"), (cases[1], 2, "seq_altered")]
    assert report.first.details == {"stored_seq": last + 10}


def test_moving_an_event_to_another_chain_breaks_the_chain_it_left(store, cases):
    target = cases[0]
    tamper(store, set_event(target, 6, case_id=None))
    found = breaks(verify(store))
    assert (target, 6, "removed") in found and found[0][0] is None  # and the global chain gained a stranger


def test_a_deleted_event_is_reported_missing(store, cases):
    target = cases[0]
    tamper(store, delete(EVENT).where(EVENT.c.case_id == target, EVENT.c.seq == 7))
    report = verify(store)
    assert breaks(report) == [(target, 7, "removed")]
    assert "event 7 is missing" in report.first.message


def forged(case_id: int, seq: int, prev_hash: str, at: Any, process_hash: str) -> dict[str, Any]:
    """An event as someone who knows the hashing rules would forge it: well formed and linked."""
    event = {"case_id": case_id, "seq": seq, "type": "task_completed", "actor": "mallory", "at": at,
             "process_hash": process_hash, "task_id": None, "data": {"note": "approved by me"},
             "from_status": None, "to_status": None, "prev_hash": prev_hash}
    event["hash"] = audit.event_hash(prev_hash, event)
    return event


def test_an_event_forged_at_the_end_shows_against_the_head_the_case_records(store, cases):
    target = cases[2]
    last = events_of(store, target)[-1]
    tamper(store, insert(EVENT).values(**forged(target, last.seq + 1, last.hash, last.at, last.process_hash)))
    assert breaks(verify(store)) == [(target, last.seq + 1, "inserted")]


def test_an_event_slipped_into_the_middle_is_named(store, cases):
    target = cases[0]
    events = events_of(store, target)
    # make room at seq 5 (renumbering from the end: seq is unique per case), then slip the forgery in
    tamper(store, *[set_event(target, e.seq, seq=e.seq + 1) for e in reversed(events[4:])],
           insert(EVENT).values(**forged(target, 5, events[3].hash, events[3].at, events[3].process_hash)))
    report = verify(store)
    assert breaks(report) == [(target, 5, "inserted")]


def test_two_swapped_events_are_reported_as_reordered(store, cases):
    target = cases[0]
    tamper(store, set_event(target, 3, seq=-1), set_event(target, 8, seq=3), set_event(target, -1, seq=8))
    report = verify(store)
    assert breaks(report) == [(target, 3, "reordered")]
    assert report.first.details == {"swapped_with": 8}


def test_a_cut_off_tail_shows_against_the_case_row(store, cases):
    target = cases[0]
    count = len(events_of(store, target))
    tamper(store, delete(EVENT).where(EVENT.c.case_id == target, EVENT.c.seq > count - 3))
    assert breaks(verify(store)) == [(target, count - 2, "truncated")]


def test_a_tail_cut_off_with_the_case_row_rewound_shows_only_against_a_checkpoint(store, cases):
    from engine.audit.checkpoints import chain_heads

    target = cases[0]
    with store.read() as session:
        heads = chain_heads(session.connection())
    events = events_of(store, target)
    tamper(store, delete(EVENT).where(EVENT.c.case_id == target, EVENT.c.seq > len(events) - 3),
           update(CASE).where(CASE.c.id == target).values(event_seq=len(events) - 3,
                                                          last_event_hash=events[-4].hash))
    assert verify(store).ok  # the chain is consistent in itself: only an outside record can tell
    report = verify(store, heads)
    assert breaks(report) == [(target, len(events) - 2, "truncated")]
    assert report.first.details == {"checkpoint_seq": len(events)}


def test_a_case_whose_events_are_all_gone_is_truncated_at_its_first(store, cases):
    target = cases[2]
    tamper(store, delete(EVENT).where(EVENT.c.case_id == target))
    assert breaks(verify(store)) == [(target, 1, "truncated")]


def test_an_event_given_the_seq_of_a_genuine_one_is_found_whichever_the_database_returns_first(store, cases):
    """The global chain's NULL case admits two events with one seq: the one that does not link is reported."""
    from engine.audit.verify import _COLUMNS, check_chain

    EVENT = Event.__table__
    with store.read() as session:
        genuine = session.execute(select(*_COLUMNS).where(EVENT.c.case_id.is_(None)).order_by(EVENT.c.seq)).all()
        stranger = session.execute(select(*_COLUMNS).where(EVENT.c.case_id == cases[0], EVENT.c.seq == 2)).one()
    assert len(genuine) >= 2
    for order in (list(genuine) + [stranger], [stranger] + list(genuine)):
        problem = check_chain(None, sorted(order, key=lambda e: e.seq))
        assert (problem.seq, problem.problem) == (2, "inserted"), problem
