"""Replaying cases from their recorded inputs: golden histories, forgeries, failures, the past states.

The golden histories (tests/data/histories/*.json, made by regenerate.py there)
are loaded into a fresh database exactly as recorded and replayed with the code
as it stands: they must stay consistent. A forged copy — recomputed so that its
hash chain verifies — still diverges at the exact event that was changed.
"""
from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from engine.audit import events as audit
from engine.errors import Invalid
from engine.store.models import Case, Task, User
from engine.replay.rerun import replay_case, state_at
from engine.definitions.specs import SourceFile
from engine.audit.verify import verify_all
from tests.api.support import deployed, start, unchanged
from tests.helpers import ready_task
from workflows import deploy_files

HISTORIES = Path(__file__).resolve().parents[2] / "data" / "histories"
GOLDEN = sorted(p.stem for p in HISTORIES.glob("*.json"))


def golden(name: str) -> dict[str, Any]:
    return json.loads((HISTORIES / f"{name}.json").read_text(encoding="utf-8"))


def load(store: Any, history: dict[str, Any]) -> int:
    """Deploy the history's process sources (by sha256) and insert the case exactly as recorded."""
    [(sha, definition)] = history["definitions"].items()
    with store.transaction() as session:
        sources = [SourceFile(s["name"], s["content"].encode("utf-8")) for s in definition["sources"]]
        row, _ = deploy_files(session, sources, "golden")
        assert row.sha256 == sha, "the sources no longer hash to the recorded version"
        return audit.import_history(session.connection(), history, row.id)


def replay(store: Any, service: Any, case_id: int) -> Any:
    with store.read() as session:
        return replay_case(service, session.connection(), case_id)


def rechained(history: dict[str, Any]) -> dict[str, Any]:
    """The history with every hash recomputed: a forgery by someone who knows the hashing rules."""
    previous = audit.GENESIS
    for event in history["events"]:
        event["prev_hash"] = previous
        event["hash"] = previous = audit.event_hash(previous, {**event, "case_id": history["case"]["id"]})
    history["case"]["last_event_hash"] = previous
    return history


@pytest.mark.parametrize("name", GOLDEN)
def test_a_golden_history_replays_consistent_and_verifies(store, service, name):
    history = golden(name)
    case_id = load(store, history)
    with unchanged(store):
        result = replay(store, service, case_id)
    assert result.as_dict() == {"case_id": case_id, "consistent": True, "events": len(history["events"]),
                                "divergence": None, "side_effects": result.side_effects}
    with store.read() as session:
        assert verify_all(session.connection()).ok


def test_the_golden_histories_cover_every_process():
    assert {"talent_nomination", "leadership_exam", "training_nomination", "annual_talent_review",
            "talent_assessment"} <= set(GOLDEN)
    assert "leadership_exam_v1" in GOLDEN  # an exam on the first diagram version: its helpers must stay


def test_a_forged_vote_verifies_but_replay_names_the_step_that_no_longer_follows(store, service):
    history = golden("talent_nomination")
    votes = [e for e in history["events"] if e["type"] == "task_completed"
             and e["data"]["element_id"] == "council_vote" and e["data"]["data"]["vote"] == "approve"]
    votes[0]["data"]["data"]["vote"] = "reject"  # 2 of 4 approve: not a majority of all members
    last_vote = max(e["seq"] for e in history["events"] if e["type"] == "task_completed"
                    and e["data"]["element_id"] == "council_vote")
    case_id = load(store, rechained(history))
    with store.read() as session:
        assert verify_all(session.connection()).ok  # the chain itself is consistent
    result = replay(store, service, case_id)
    assert not result.consistent
    divergence = result.divergence.as_dict()
    assert (divergence["seq"], divergence["type"]) == (last_vote + 1, "task_created")
    assert divergence["expected"]["type"] == "case_completed"
    assert divergence["expected"]["data"] == {"outcome": "rejected_by_council"}
    assert divergence["found"]["data"]["element_id"] == "recognition_decision"


def test_a_forged_decision_diverges_at_the_recorded_outcome(store, service):
    history = golden("talent_nomination")
    [decision] = [e for e in history["events"] if e["type"] == "task_completed"
                  and e["data"]["element_id"] == "recognition_decision"]
    decision["data"]["data"].update(decision="rejected", decision_reason="Chưa đủ minh chứng")
    [completed] = [e for e in history["events"] if e["type"] == "case_completed"]
    result = replay(store, service, load(store, rechained(history)))
    assert (result.divergence.seq, result.divergence.type) == (completed["seq"], "case_completed")
    assert result.divergence.expected["data"] == {"outcome": "not_recognised"}
    assert result.divergence.found["data"] == {"outcome": "recognised"}


@pytest.mark.parametrize("change, message", [
    (lambda e: e["data"].update(element_id="forged_task"), "data differs from the replay (element_id)"),
    (lambda e: e.update(actor="mallory"), "recorded actor 'mallory'"),
])
def test_a_forged_output_event_is_the_divergence(store, service, change, message):
    history = golden("leadership_exam")
    target = next(e for e in history["events"] if e["type"] == "task_created")
    change(target)
    result = replay(store, service, load(store, rechained(history)))
    assert (result.divergence.seq, result.divergence.type) == (target["seq"], "task_created")
    assert message in result.divergence.message


def test_an_event_no_step_appends_is_the_divergence(store, service):
    history = golden("training_nomination")
    grant = next(e for e in history["events"] if e["type"] == "role_granted")
    history["events"].append({**copy.deepcopy(grant), "seq": len(history["events"]) + 1,
                              "data": {"username": "mallory", "role": "mentor"}})
    history["case"]["event_seq"] += 1
    result = replay(store, service, load(store, rechained(history)))
    assert (result.divergence.seq, result.divergence.type) == (len(history["events"]), "role_granted")
    assert "appended nothing more" in result.divergence.message


def test_a_timer_recorded_as_fired_before_it_was_due_is_the_divergence(store, service):
    history = golden("leadership_exam")
    timer = next(e for e in history["events"] if e["type"] == "timer_fired")
    timer["data"]["fired_at"] = history["events"][0]["at"]
    result = replay(store, service, load(store, rechained(history)))
    assert (result.divergence.seq, result.divergence.type) == (timer["seq"], "timer_fired")
    assert "no timer" in result.divergence.message


def test_a_stored_state_edited_behind_the_logs_back_is_found(store, service):
    history = copy.deepcopy(golden("training_nomination"))
    history["case"]["data"]["class_code"] = "FORGED"
    result = replay(store, service, load(store, history))
    assert result.divergence.as_dict() == {
        "seq": None, "type": "stored_state", "message": "the stored case data differs from the replay",
        "expected": {"class_code": "AI-01"}, "found": {"class_code": "FORGED"}}


def test_a_failed_step_its_retry_and_the_cancel_replay_consistent(auth, store, service):
    assert deployed(auth, "script_fails.bpmn")["created"] is True
    case = start(auth, "head_khcn", "script_fails", {"title": "Hồ sơ"})
    task = ready_task(case, "enter_value")
    assert auth.as_("head_khcn").post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"value": 7}}) \
        .status_code == 422
    assert auth.as_("admin").post(f"/api/v1/cases/{case['id']}/retry").status_code == 422
    assert auth.as_("admin").post(f"/api/v1/cases/{case['id']}/cancel", json={"reason": "kịch bản lỗi"}) \
        .status_code == 200
    result = replay(store, service, case["id"])
    assert result.consistent, result.as_dict()
    with store.read() as session:
        types = [e.type for e in audit.history(session, case["id"])]
    assert types == ["case_started", "task_created", "case_failed", "case_retried", "case_failed",
                     "task_cancelled", "case_cancelled"]


def test_the_state_after_each_event_of_a_nomination(store, service):
    history = golden("talent_nomination")
    case_id = load(store, history)
    seq_of = {e["type"]: e["seq"] for e in reversed(history["events"])}  # first of each type

    def at(seq: int) -> dict[str, Any]:
        with store.read() as session:
            return state_at(service, session.connection(), case_id, seq)

    started = at(1)
    [verification] = started["tasks"]
    assert (verification["element_id"], verification["status"], verification["candidates"]) == \
        ("verify_dossier", "ready", ["role:hr_officer"])
    assert started["step_ends_at"] == 2 and "verify_dossier" in started["active_element_ids"]
    assert {"check_eligibility", "derive_facts"} <= set(started["completed_element_ids"])
    assert at(seq_of["task_claimed"])["tasks"][0]["candidates"] == ["user:hr"]
    assert at(seq_of["task_released"])["tasks"][0]["candidates"] == ["role:hr_officer"]

    voting = at(seq_of["role_granted"])
    ballots = [t for t in voting["tasks"] if t["element_id"] == "council_vote"]
    assert [t["candidates"] for t in ballots] == [[f"user:member{i}"] for i in range(1, 5)]
    assert voting["data"]["verification_result"] == "verified" and "council_result" not in voting["data"]
    assert "verify_dossier" in voting["completed_element_ids"] and "verify_dossier" not in voting["active_element_ids"]

    final = at(len(history["events"]))
    assert final["status"] == "recognised" and final["active_element_ids"] == []
    assert all(t["status"] in ("completed", "cancelled") for t in final["tasks"])
    assert final["data"] == history["case"]["data"]


@pytest.mark.parametrize("seq", [0, -1, 10_000])
def test_a_state_outside_the_history_is_refused(store, service, seq):
    case_id = load(store, golden("training_nomination"))
    with store.read() as session, pytest.raises(Invalid, match="has events 1..12"):
        state_at(service, session.connection(), case_id, seq)


# ------------------------------------------------------------------------------ property
TEXT = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạ 0123456789", min_size=1, max_size=30).filter(str.strip)
PEOPLE = [f"member{i}" for i in range(1, 8)]
FORMS = {
    "verify_dossier": st.one_of(
        st.builds(lambda council, note: {"verification_result": "verified", "council_members": council,
                                         "verification_note": note},
                  st.lists(st.sampled_from(PEOPLE), min_size=3, max_size=5, unique=True), st.just("") | TEXT),
        st.builds(lambda result, note: {"verification_result": result, "verification_note": note},
                  st.sampled_from(["needs_supplement", "rejected"]), TEXT)),
    "supplement_dossier": st.builds(lambda note, refs: {"supplement_note": note, "supplement_evidence": refs},
                                    TEXT, st.lists(TEXT, max_size=3)),
    "council_vote": st.builds(lambda vote, note: {"vote": vote, "vote_comment": note},
                              st.sampled_from(["approve", "reject"]), TEXT),
    "recognition_decision": st.one_of(
        st.builds(lambda no, days: {"decision": "recognised", "decision_no": f"{no}/QĐ-UBND",
                                    "decision_date": (date(2026, 3, 2) + timedelta(days=days)).isoformat()},
                  st.integers(1, 999), st.integers(0, 400)),
        st.builds(lambda reason: {"decision": "rejected", "decision_reason": reason}, TEXT)),
}
START = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
ROLE_HOLDER = {"hr_officer": "hr", "approver": "approver"}
DOSSIERS = st.sampled_from([  # eligible (twice as likely), eligible by another rule, ineligible
    {}, {}, {"international_papers": 2, "led_national_task": True},
    {"category": "excellent_graduate", "birth_date": "1995-03-02", "university_type": "domestic",
     "degree_classification": "xuat_sac", "prizes": [{"contest": "national_gifted", "rank": "second", "year": 2012}]}])


def ready_rows(store: Any, case_id: int) -> list[Any]:
    with store.read() as session:
        return session.execute(select(Task, User.username).outerjoin(User, User.id == Task.candidate_user_id)
                               .where(Task.case_id == case_id, Task.status == "ready")
                               .order_by(Task.created_at, Task.id)).all()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_valid_commands_on_a_nomination_always_replay_consistent(store, service, manual_clock, data):
    from tests.engine.audit.test_verify import actor
    from tests.workflows.test_talent_nomination import dossier

    manual_clock.set(START)  # every example from the same morning: the same dates, the same timers
    starter = actor(store, data.draw(st.sampled_from(["nominator", "head_khcn"]), label="starter"))
    case_id = service.start(starter, "talent_nomination", dossier(**data.draw(DOSSIERS, label="dossier")))
    for _ in range(data.draw(st.integers(0, 20), label="steps")):
        rows = ready_rows(store, case_id)
        if not rows:
            break
        command = data.draw(st.sampled_from(["complete"] * 6 + ["claim", "release", "time",
                                             "cancel"]), label="command")
        task, personal = data.draw(st.sampled_from(rows), label="task")
        who = actor(store, personal or ROLE_HOLDER[task.role])
        if command == "complete":
            service.complete(who, task.id, data.draw(FORMS[task.element_id], label=task.element_id))
        elif command == "claim":
            service.claim(who, task.id)
        elif command == "release":
            service.release(who, task.id)
        elif command == "time":
            manual_clock.advance(timedelta(days=data.draw(st.integers(1, 25), label="days")))
            service.fire_timers(case_id)
        else:
            service.cancel(starter, case_id, data.draw(TEXT, label="reason"))
            break
    result = replay(store, service, case_id)
    assert result.consistent, result.as_dict()
    with store.read() as session:
        event(f"ended {session.get(Case, case_id).status} after {result.events // 10 * 10}+ events")


def test_a_review_cancelled_with_its_open_assessments_replays_consistent_parent_and_children(auth, store, service):
    from tests.workflows.test_annual_talent_review import PLAIN, assessments, start_review, talent

    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15))
    review = start_review(auth)
    [lan] = assessments(auth, "head_gddt", review["id"])
    assert auth.as_("head_gddt").post(f"/api/v1/tasks/{lan['id']}/complete", json={"data": PLAIN}).status_code == 200
    cancelled = auth.as_("hr").post(f"/api/v1/cases/{review['id']}/cancel", json={"reason": "Làm lại"})
    assert cancelled.status_code == 200, cancelled.get_json()
    with store.read() as session:
        family = [review["id"], *session.scalars(select(Case.id).where(Case.parent_case_id == review["id"]))]
        statuses = sorted(session.get(Case, case_id).status for case_id in family)
    assert statuses == ["assessed", "cancelled", "cancelled"]
    for case_id in family:
        result = replay(store, service, case_id)
        assert result.consistent, result.as_dict()
