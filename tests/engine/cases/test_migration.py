"""Moving single nomination cases to version 2 (tests/data/talent_nomination_v2.bpmn): what is refused
and left untouched, the council's sub-process carried across, and replay, state_at and verify
across the ``case_migrated`` event."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from engine.audit import events as audit
from engine.audit.verify import verify_all
from engine.errors import Forbidden, Invalid, NotFound
from engine.replay.rerun import replay_case, state_at
from engine.store.models import Case, Event
from tests.api.support import unchanged
from tests.engine.cases.migration_cases import (actor, ask_supplement, case_row, deploy_v2, forget_cached, migrations,
                                                nominate, ready_elements, ready_task, selection)

COUNCIL = ["member1", "member2", "member3"]


def outcome(report: dict, case_id: int) -> tuple[str, str | None]:
    [line] = [c for c in report["cases"] if c["case_id"] == case_id]
    return line["outcome"], line["code"]


def test_a_dry_run_writes_nothing(store, service):
    nominate(service, store, 2)
    deploy_v2(store)
    with unchanged(store):
        report = migrations(service).dry_run(actor(store, "admin"), selection(2))
    assert report["counts"]["can_migrate"] == 2
    with store.read() as session:
        assert session.scalars(select(Event).where(Event.type == "case_migrated")).all() == []


def test_a_case_waiting_in_a_removed_task_is_refused_and_left_untouched(store, service):
    [case_id] = nominate(service, store, 1)
    ask_supplement(service, store, case_id)
    deploy_v2(store)
    with unchanged(store):
        report = migrations(service).migrate(actor(store, "admin"), selection(2, case_ids=[case_id]))
    assert outcome(report, case_id) == ("refused", "no_counterpart")
    assert case_row(store, case_id).definition_id != report["to"]["definition_id"]


def test_moving_a_case_to_the_version_it_is_on_is_refused(store, service):
    [case_id] = nominate(service, store, 1)
    deploy_v2(store)
    admin = actor(store, "admin")
    with unchanged(store):
        report = migrations(service).migrate(admin, selection(1, case_ids=[case_id]))
        assert outcome(report, case_id) == ("refused", "same_version")
        with pytest.raises(Invalid) as err:
            migrations(service).migrate(admin, selection(1, from_version=1))
        assert err.value.code == "same_version"


def test_an_ended_case_is_refused(store, service):
    [case_id] = nominate(service, store, 1)
    service.complete(actor(store, "hr"), ready_task(store, case_id, "verify_dossier"),
                     {"verification_result": "rejected", "verification_note": "Không đạt"})
    assert case_row(store, case_id).status == "rejected"
    deploy_v2(store)
    with unchanged(store):
        report = migrations(service).migrate(actor(store, "admin"), selection(2, case_ids=[case_id]))
    assert outcome(report, case_id) == ("refused", "case_ended")


def test_only_an_admin_may_move_cases_and_bad_selections_change_nothing(store, service):
    nominate(service, store, 1)
    deploy_v2(store)
    with unchanged(store):
        for username in ("hr", "auditor", "nominator"):
            with pytest.raises(Forbidden):
                migrations(service).migrate(actor(store, username), selection(2))
            with pytest.raises(Forbidden):
                migrations(service).dry_run(actor(store, username), selection(2))
        admin = actor(store, "admin")
        with pytest.raises(NotFound):
            migrations(service).migrate(admin, selection(3))
        with pytest.raises(NotFound):
            migrations(service).migrate(admin, selection(2, case_ids=[999999]))
        with pytest.raises(Invalid):
            migrations(service).migrate(admin, selection(2, statuses=("completed",)))
        with pytest.raises(Invalid):
            migrations(service).migrate(admin, selection(2, unit="NO-SUCH-UNIT"))


def test_a_case_changed_since_the_dry_run_is_refused_and_the_others_move(store, service):
    first, second = nominate(service, store, 2)
    deploy_v2(store)
    admin = actor(store, "admin")
    seen = {c["case_id"]: c["version"] for c in migrations(service).dry_run(admin, selection(2))["cases"]}
    service.claim(actor(store, "hr"), ready_task(store, first, "verify_dossier"))  # a step in between
    report = migrations(service).migrate(admin, selection(2, expected_versions=seen))
    assert outcome(report, first) == ("refused", "stale_case")
    assert outcome(report, second) == ("migrated", None)
    assert case_row(store, first).definition_id != case_row(store, second).definition_id


def test_a_case_in_the_council_sub_process_moves_and_is_recognised_on_version_2(store, service):
    [case_id] = nominate(service, store, 1)
    service.complete(actor(store, "hr"), ready_task(store, case_id, "verify_dossier"),
                     {"verification_result": "verified", "council_members": COUNCIL})
    assert ready_elements(store, case_id) == ["council_vote"] * 3
    deploy_v2(store)
    report = migrations(service).migrate(actor(store, "admin"), selection(2, from_version=1))
    assert outcome(report, case_id) == ("migrated", None)
    forget_cached(service, [case_id])
    with store.read() as session:
        ready = session.execute(select(Event.type).where(Event.case_id == case_id, Event.seq > 0)
                                .order_by(Event.seq.desc()).limit(1)).scalar()
    assert ready == "case_migrated"  # the ballots stay the same tasks: nothing cancelled or created
    for member in COUNCIL:
        with store.read() as session:
            from engine.store.models import Task, User

            task_id = session.scalar(select(Task.id).join(User, User.id == Task.candidate_user_id).where(
                Task.case_id == case_id, Task.status == "ready", User.username == member))
        service.complete(actor(store, member), task_id, {"vote": "approve", "vote_comment": "đồng ý"})
    service.complete(actor(store, "approver"), ready_task(store, case_id, "recognition_decision"),
                     {"decision": "recognised", "decision_no": "1/QĐ", "decision_date": "2026-04-15"})
    assert case_row(store, case_id).status == "recognised"
    with store.read() as session:
        assert replay_case(service, session.connection(), case_id).consistent
        assert verify_all(session.connection()).ok


def test_replay_and_state_at_run_the_old_version_up_to_the_migration_and_the_new_one_after(store, service):
    [case_id] = nominate(service, store, 1)
    deploy_v2(store)
    migrations(service).migrate(actor(store, "admin"), selection(2))
    forget_cached(service, [case_id])
    hr = actor(store, "hr")
    service.complete(hr, ready_task(store, case_id, "verify_dossier"),
                     {"verification_result": "rejected", "verification_note": "Không đạt"})
    service.complete(hr, ready_task(store, case_id, "confirm_verification"), {})
    with store.read() as session:
        conn = session.connection()
        events = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)).all()
        moved = next(e.seq for e in events if e.type == "case_migrated")
        before, at, last = (state_at(service, conn, case_id, seq) for seq in (moved - 1, moved, events[-1].seq))
        assert (before["process_version"], at["process_version"], last["process_version"]) == (1, 2, 2)
        assert before["process_hash"] == events[0].process_hash != at["process_hash"]
        assert [t["element_id"] for t in before["tasks"] if t["status"] == "ready"] == ["verify_dossier"]
        assert [t["element_id"] for t in at["tasks"] if t["status"] == "ready"] == ["verify_dossier"]
        assert "confirm_verification" in last["completed_element_ids"] and last["status"] == "rejected"
        assert all(s["replay_divergence"] is None for s in (before, at, last))
        assert replay_case(service, conn, case_id).consistent
        assert verify_all(conn).ok


def _rechain(store, case_id: int, change) -> None:  # type: ignore[no-untyped-def]
    """Change the case's events with ``change(event_dict)`` and recompute every hash (a forger who
    knows the scheme), the case row's head too: only the rules about the content can catch it."""
    with store.transaction() as session:
        rows = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)).all()
        head = audit.GENESIS
        for row in rows:
            body = {k: getattr(row, k) for k in (*audit.HASHED, audit.ON_BEHALF_OF)}
            change(body)
            row.process_hash, row.type, row.prev_hash = body["process_hash"], body["type"], head
            row.hash = head = audit.event_hash(head, body)
        session.flush()
        session.execute(update(Case).where(Case.id == case_id).values(last_event_hash=head))


def test_verify_accepts_the_version_changing_at_case_migrated_and_nowhere_else(store, service):
    [case_id] = nominate(service, store, 1)
    deploy_v2(store)
    migrations(service).migrate(actor(store, "admin"), selection(2))
    with store.read() as session:
        assert verify_all(session.connection()).ok
    _rechain(store, case_id, lambda e: e.update(type="comment_added") if e["type"] == "case_migrated" else None)
    with store.read() as session:
        report = verify_all(session.connection())
    assert [(b.case_id, b.problem) for b in report.breaks] == [(case_id, "process_changed")]


def test_the_filter_takes_a_units_subtree_the_statuses_and_leaves_the_other_versions_out(store, service):
    ids = nominate(service, store, 2)
    deploy_v2(store)
    admin = actor(store, "admin")
    assert migrations(service).dry_run(admin, selection(2, unit="SGDDT"))["cases"] == []
    assert {c["case_id"] for c in migrations(service).dry_run(admin, selection(2, unit="HP"))["cases"]} == set(ids)
    assert migrations(service).dry_run(admin, selection(2, statuses=("error",)))["cases"] == []
    migrations(service).migrate(admin, selection(2, case_ids=[ids[0]]))
    assert [c["case_id"] for c in migrations(service).dry_run(admin, selection(2))["cases"]] == [ids[1]]
