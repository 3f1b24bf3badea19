"""Issue 16's acceptance for moving running cases: 100 nominations on version 1, version 2 deployed
(it adds ``confirm_verification`` and drops the supplement loop).

The dry run reports every case rightly and writes nothing; migrating them all moves the cases
waiting in ``verify_dossier`` and refuses, untouched, those waiting in the removed
``supplement_dossier``; every moved case then runs through the added step to its end, replays
consistent, and the audit chains verify.
"""
from __future__ import annotations

from sqlalchemy import select

from engine.audit.verify import verify_all
from engine.replay.rerun import replay_case
from engine.store.models import Event, ProcessDefinition
from tests.api.support import unchanged
from tests.engine.cases.migration_cases import (PROCESS, actor, ask_supplement, case_row, deploy_v2, forget_cached,
                                                migrations, nominate, ready_elements, ready_task, selection)

CASES = 100
#: Every seventh case asks for a supplement first: it waits where version 2 has nothing.
SUPPLEMENT = set(range(0, CASES, 7))
#: Some others went through the supplement loop and wait in verification again: they move, the loop
#: they passed through leaves their stored state.
SUPPLIED = set(range(3, CASES, 10)) - SUPPLEMENT


def test_a_hundred_nominations_move_to_version_2_except_those_waiting_in_the_removed_task(store, service):
    ids = nominate(service, store, CASES)
    waiting_in_supplement = {ids[n] for n in SUPPLEMENT}
    for case_id in sorted(waiting_in_supplement | {ids[n] for n in SUPPLIED}):
        ask_supplement(service, store, case_id)
    nominator = actor(store, "nominator")
    for n in sorted(SUPPLIED):
        service.complete(nominator, ready_task(store, ids[n], "supplement_dossier"), {"supplement_note": "Đã gửi"})
    to_move = [case_id for case_id in ids if case_id not in waiting_in_supplement]
    before = {case_id: case_row(store, case_id) for case_id in ids}
    assert deploy_v2(store) == 2
    with store.read() as session:
        v1, v2 = (session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == PROCESS,
                                                                 ProcessDefinition.version == v)) for v in (1, 2))
    admin = actor(store, "admin")

    with unchanged(store):
        dry = migrations(service).dry_run(admin, selection(2, from_version=1))
    assert dry["dry_run"] is True and dry["to"] == {"definition_id": v2.id, "version": 2, "sha256": v2.sha256}
    assert dry["counts"] == {"can_migrate": len(to_move), "migrated": 0, "refused": len(waiting_in_supplement)}
    by_case = {c["case_id"]: c for c in dry["cases"]}
    assert set(by_case) == set(ids)
    for case_id in to_move:
        line = by_case[case_id]
        assert line["outcome"] == "can_migrate" and line["from_version"] == 1 and line["removed"] == []
        assert {(m["element_id"], m["to_element_id"]) for m in line["mapped"] if m["human"]} == \
            {("verify_dossier", "verify_dossier")}
        assert {"verify_dossier", "Gateway_verification"} <= set(line["changed"])
        passed = ["supplement_dossier"] if case_id in {ids[n] for n in SUPPLIED} else []
        assert [e for e in line["passed_without_counterpart"] if e == "supplement_dossier"] == passed
    for case_id in waiting_in_supplement:
        line = by_case[case_id]
        assert (line["outcome"], line["code"]) == ("refused", "no_counterpart")
        assert {m["element_id"] for m in line["removed"]} == {"supplement_dossier", "supplement_deadline"}
        assert "supplement_dossier" in line["reason"]

    report = migrations(service).migrate(admin, selection(2, from_version=1))
    assert report["counts"] == {"can_migrate": 0, "migrated": len(to_move), "refused": len(waiting_in_supplement)}
    assert {c["case_id"] for c in report["cases"] if c["outcome"] == "refused"} == waiting_in_supplement

    for case_id in waiting_in_supplement:  # refused: exactly as it was
        after = case_row(store, case_id)
        old = before[case_id]
        assert (after.definition_id, after.version, after.state, after.event_seq, after.next_timer_at) == \
            (v1.id, old.version, old.state, old.event_seq, old.next_timer_at)
        assert ready_elements(store, case_id) == ["supplement_dossier"]
    with store.read() as session:
        migrated_events = session.scalars(select(Event).where(Event.type == "case_migrated")).all()
    assert sorted(e.case_id for e in migrated_events) == sorted(to_move)
    for event in migrated_events:
        assert event.actor == "admin" and event.process_hash == v2.sha256
        assert event.data["from"] == {"definition_id": v1.id, "version": 1, "sha256": v1.sha256}
        assert event.data["to"] == {"definition_id": v2.id, "version": 2, "sha256": v2.sha256}
        assert {"from": "verify_dossier", "to": "verify_dossier"} in event.data["mapping"]
    for case_id in to_move:
        after = case_row(store, case_id)
        assert after.definition_id == v2.id and after.version == before[case_id].version + 1
        assert after.next_timer_at == before[case_id].next_timer_at  # the reminders keep their due time
        assert ready_elements(store, case_id) == ["verify_dossier"]

    forget_cached(service, ids)  # the stored states restore on version 2, not only the cached workflows
    hr = actor(store, "hr")
    for case_id in to_move:  # on through the added step, to the end
        service.complete(hr, ready_task(store, case_id, "verify_dossier"),
                         {"verification_result": "rejected", "verification_note": "Không đạt"})
        assert ready_elements(store, case_id) == ["confirm_verification"]
        service.complete(hr, ready_task(store, case_id, "confirm_verification"), {})
        assert case_row(store, case_id).status == "rejected"

    with store.read() as session:
        conn = session.connection()
        for case_id in ids:
            result = replay_case(service, conn, case_id)
            assert result.consistent, (case_id, result.as_dict())
        report = verify_all(conn)
        assert report.ok, report.as_dict()["first_break"]
