"""Cases: starting, listing and reading as each person may, cancelling, the history."""
from __future__ import annotations

import pytest

from engine.store.models import Case, Task
from tests.api.support import (API, MENTOR_OK, case_row, count, deployed, error_of, events, get_case, history,
                               start, training_at_unit_head, unchanged, worklist_ids)
from tests.conftest import proposal
from tests.helpers import complete, ready_task, start_training


def listing(auth, user, query=""):  # type: ignore[no-untyped-def]
    response = auth.as_(user).get(f"{API}/cases{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# ------------------------------------------------------------------ starting
def test_start_answers_201_with_the_case_and_its_first_task(auth, store):
    response = auth.as_("head_khcn").post(f"{API}/cases", json={
        "process": "training_nomination", "business_key": "NT-2026-001",
        "data": proposal(unit="SKHCN-QLKH", reason="Nòng cốt")})
    assert response.status_code == 201
    case = response.get_json()
    assert case["status"] == "running" and case["process"] == "training_nomination"
    assert (case["process_version"], case["business_key"], case["unit"]) == (1, "NT-2026-001", "SKHCN-QLKH")
    assert case["created_by"] == case["updated_by"] == "head_khcn" and case["ended_at"] is None
    assert case["incident"] is None
    assert case["data"] == {**proposal(unit="SKHCN-QLKH"), "reason": "Nòng cốt"}
    [task] = case["tasks"]
    assert (task["element_id"], task["role"], task["status"], task["claimed_by"]) == (
        "mentor_assessment", "mentor", "ready", None)
    assert [e.type for e in events(store, case["id"])] == ["case_started", "role_granted", "task_created"]


def test_start_data_is_validated_by_the_start_form_and_nothing_is_stored(auth, store):
    with unchanged(store):
        response = auth.as_("head_khcn").post(f"{API}/cases", json={
            "process": "training_nomination", "data": {"unit": "SKHCN", "field_of_study": "astrology"}})
        details = error_of(response, 422, "validation_error")["details"]
        assert set(details) == {"talent_name", "course", "field_of_study", "mentor"}
        assert details["field_of_study"] == [
            "Must be one of: science_technology, management, economics, law, other."]

        # a mentor who is no user, and a unit that does not exist, refuse the start as well
        response = auth.as_("head_khcn").post(f"{API}/cases", json={
            "process": "training_nomination", "data": proposal(mentor="ghost")})
        assert error_of(response, 422, "validation_error")["details"] == {"mentor": ["unknown user 'ghost'"]}
        response = auth.as_("head_khcn").post(f"{API}/cases", json={
            "process": "training_nomination", "data": proposal(unit="NOPE")})
        assert response.status_code in (404, 422)
        assert "unit" in error_of(response, response.status_code)["details"]


# ------------------------------------------------------------------ listing
@pytest.fixture
def several(auth):  # type: ignore[no-untyped-def]
    """Four training cases by head_khcn (one rejected) and one document review by head_qlkh."""
    deployed(auth, "document_review.bpmn")
    first = start_training(auth, talent_name="Trần Thị An")
    second = start(auth, "head_khcn", "training_nomination", proposal(talent_name="Lê Văn Bình"),
                   business_key="NT-2026-002")
    third, approval = training_at_unit_head(auth, unit="SKHCN", talent_name="Phạm Hữu Cường")
    rejected = complete(auth, "head_khcn", approval["id"], {"decision": "reject", "decision_reason": "Chưa đủ điều kiện"})
    fourth = start_training(auth, talent_name="Đỗ Minh Dũng")
    review = start(auth, "head_qlkh", "document_review", {"title": "Quy chế"}, business_key="NT-2026-002")
    return {"first": first, "second": second, "rejected": rejected, "fourth": fourth, "review": review}


def test_list_is_newest_first_and_filters_by_process_status_and_business_key(auth, several):
    everything = listing(auth, "admin")
    assert everything["total"] == 5
    ids = [c["id"] for c in everything["items"]]
    assert ids == sorted(ids, reverse=True)

    training = listing(auth, "admin", "?process=training_nomination")
    assert training["total"] == 4 and {c["process"] for c in training["items"]} == {"training_nomination"}
    assert [c["id"] for c in listing(auth, "admin", "?status=rejected")["items"]] == [several["rejected"]["id"]]
    assert listing(auth, "admin", "?status=running")["total"] == 4
    keyed = listing(auth, "admin", "?business_key=NT-2026-002")
    assert {c["id"] for c in keyed["items"]} == {several["second"]["id"], several["review"]["id"]}
    both = listing(auth, "admin", "?business_key=NT-2026-002&process=document_review")
    assert [c["id"] for c in both["items"]] == [several["review"]["id"]]
    assert listing(auth, "admin", "?process=no_such_process") == {"items": [], "total": 0, "page": 1, "per_page": 50}
    summary = keyed["items"][0]
    assert set(summary) == {"id", "process", "business_key", "status", "created_by", "created_at",
                            "updated_at", "ended_at", "version", "parent_case_id"}


def test_list_pages(auth, several):
    pages = [listing(auth, "admin", f"?per_page=2&page={n}") for n in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [5, 5, 5, 5]
    assert [(p["page"], p["per_page"]) for p in pages] == [(1, 2), (2, 2), (3, 2), (4, 2)]
    assert [len(p["items"]) for p in pages] == [2, 2, 1, 0]
    seen = [c["id"] for p in pages for c in p["items"]]
    assert len(set(seen)) == 5 and seen == sorted(seen, reverse=True)
    assert listing(auth, "admin", "?process=training_nomination&per_page=3&page=2")["items"][0]["id"] == \
        several["first"]["id"]


def test_each_person_lists_only_the_cases_they_take_part_in(auth, several):
    ids = lambda user: {c["id"] for c in listing(auth, user)["items"]}  # noqa: E731
    training_ids = {several[k]["id"] for k in ("first", "second", "rejected", "fourth")}
    assert ids("head_khcn") == training_ids                    # started them
    assert ids("expert1") == training_ids                      # mentor of each (a case role)
    assert ids("head_qlkh") == {several["review"]["id"]}       # started the review only
    assert ids("head_gddt") == set() and ids("nobody") == set() and ids("expert2") == set()
    assert listing(auth, "nobody")["total"] == 0
    assert ids("auditor") == training_ids | {several["review"]["id"]}


def test_a_person_not_involved_gets_404_for_the_case_and_its_history(auth, store):
    case = start_training(auth, unit="SKHCN")
    with unchanged(store):
        for user in ("head_gddt", "head_qlkh", "expert2", "nobody", "reviewer"):
            error_of(auth.as_(user).get(f"{API}/cases/{case['id']}"), 404, "not_found")
            error_of(auth.as_(user).get(f"{API}/cases/{case['id']}/history"), 404, "not_found")
            error_of(auth.as_(user).post(f"{API}/cases/{case['id']}/cancel", json={"reason": "x"}),
                     404, "not_found")
    # the same 404 as a case that does not exist
    error = error_of(auth.as_("nobody").get(f"{API}/cases/{case['id']}"), 404)
    assert error["message"] == f"case {case['id']} not found"


def test_a_unit_head_above_sees_the_case_once_it_has_a_task_for_them(auth):
    case = start_training(auth, "head_qlkh", unit="SKHCN-QLKH")
    error_of(auth.as_("head_khcn").get(f"{API}/cases/{case['id']}"), 404)
    complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"], MENTOR_OK)
    assert get_case(auth, "head_khcn", case["id"])["status"] == "running"
    assert case["id"] in {c["id"] for c in listing(auth, "head_khcn")["items"]}


# ------------------------------------------------------------------ cancelling
def test_cancel_needs_a_reason(auth, store):
    case = start_training(auth)
    url = f"{API}/cases/{case['id']}/cancel"
    with unchanged(store):
        assert set(error_of(auth.as_("head_khcn").post(url, json={}), 422, "validation_error")["details"]) == {"reason"}
        for reason in ("", "   \n\t "):
            error = error_of(auth.as_("head_khcn").post(url, json={"reason": reason}), 422, "validation_error")
            assert "reason" in error["details"]
        error = error_of(auth.as_("head_khcn").post(url, json={"reason": "x" * 2001}), 422)
        assert "reason" in error["details"]


def test_cancel_by_the_starter_cancels_the_ready_tasks(auth, store):
    case, approval = training_at_unit_head(auth)
    response = auth.as_("head_khcn").post(f"{API}/cases/{case['id']}/cancel", json={"reason": "Trùng hồ sơ"})
    assert response.status_code == 200
    cancelled = response.get_json()
    assert cancelled["status"] == "cancelled" and cancelled["tasks"] == [] and cancelled["ended_at"] is not None

    assert count(store, Task, Task.case_id == case["id"], Task.status == "ready") == 0
    assert count(store, Task, Task.id == approval["id"], Task.status == "cancelled") == 1
    assert approval["id"] not in worklist_ids(auth, "head_qlkh", "available")
    error_of(auth.as_("head_qlkh").post(f"{API}/tasks/{approval['id']}/complete",
                                        json={"data": {"decision": "approve"}}), 409)
    last = history(auth, "head_khcn", case["id"])[-2:]
    assert [(e["type"], e["task_id"]) for e in last] == [("task_cancelled", approval["id"]), ("case_cancelled", None)]
    assert last[1]["data"] == {"reason": "Trùng hồ sơ"}
    assert (last[1]["from_status"], last[1]["to_status"]) == ("running", "cancelled")
    assert listing(auth, "head_khcn", "?status=cancelled")["total"] == 1


@pytest.mark.parametrize("user", ["admin"])
def test_admin_may_cancel_any_case(auth, user):
    case = start_training(auth)
    response = auth.as_(user).post(f"{API}/cases/{case['id']}/cancel", json={"reason": "Sai quy trình"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert response.get_json()["updated_by"] == user


def test_hr_officer_may_cancel_a_training_case_they_take_part_in(auth):
    case, approval = training_at_unit_head(auth)
    case = complete(auth, "head_khcn", approval["id"], {"decision": "approve"})
    assert ready_task(case, "hr_enrolment")
    response = auth.as_("hr").post(f"{API}/cases/{case['id']}/cancel", json={"reason": "Hết chỉ tiêu"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"


# BUG (found here; fixed in 7010897, this test keeps it fixed): workflows/training_nomination.py
# made hr_officer a canceller ("roles that may cancel any case of the process", engine/policy.py),
# but engine/runner.py:CaseService.cancel checks visibility (_visible_or_404) before
# policy.cancellers, and hr_officer was neither a reader nor a participant before the hr_enrolment
# task existed: the cancel answered 404.
def test_hr_officer_may_cancel_a_training_case_at_any_step(auth):
    case = start_training(auth)
    response = auth.as_("hr").post(f"{API}/cases/{case['id']}/cancel", json={"reason": "Hết chỉ tiêu"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "cancelled"


def test_cancel_by_a_participant_who_is_not_the_starter_is_403(auth, store):
    case, approval = training_at_unit_head(auth)
    with unchanged(store):
        for user in ("head_qlkh", "expert1", "auditor"):  # a candidate, the mentor, a reader
            error_of(auth.as_(user).post(f"{API}/cases/{case['id']}/cancel", json={"reason": "không"}),
                     403, "forbidden")
    assert case_row(store, case["id"]).status == "running"


def test_second_cancel_is_409(auth, store):
    case = start_training(auth)
    assert auth.as_("head_khcn").post(f"{API}/cases/{case['id']}/cancel", json={"reason": "một"}).status_code == 200
    with unchanged(store):
        for user in ("head_khcn", "admin"):
            error_of(auth.as_(user).post(f"{API}/cases/{case['id']}/cancel", json={"reason": "hai"}),
                     409, "case_not_running")


def test_a_finished_case_cannot_be_cancelled(auth, store):
    case, approval = training_at_unit_head(auth)
    case = complete(auth, "head_khcn", approval["id"], {"decision": "reject", "decision_reason": "Hồ sơ chưa đủ"})
    assert case["status"] == "rejected"
    with unchanged(store):
        error_of(auth.as_("head_khcn").post(f"{API}/cases/{case['id']}/cancel", json={"reason": "muộn"}),
                 409, "case_not_running")


# ------------------------------------------------------------------ history
def test_history_lists_every_event_in_order(auth, store):
    case, approval = training_at_unit_head(auth)
    auth.as_("head_qlkh").post(f"{API}/tasks/{approval['id']}/claim")
    complete(auth, "head_qlkh", approval["id"], {"decision": "reject", "decision_reason": "Chưa đủ"})

    for user in ("head_khcn", "expert1", "auditor", "admin"):
        assert len(history(auth, user, case["id"])) == count_events(store, case["id"])
    log = history(auth, "head_khcn", case["id"])
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
    assert log[0]["type"] == "case_started" and log[0]["prev_hash"] == "0" * 64
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(log, log[1:]))
    assert log[-1]["type"] == "case_completed" and log[-1]["to_status"] == "rejected"
    completed = [e for e in log if e["type"] == "task_completed"]
    assert [(e["actor"], e["data"]["element_id"]) for e in completed] == [
        ("expert1", "mentor_assessment"), ("head_qlkh", "unit_head_approval")]
    assert completed[1]["data"]["data"] == {"decision": "reject", "decision_reason": "Chưa đủ"}
    assert [e["actor"] for e in log if e["type"] == "task_claimed"] == ["head_qlkh"]
    assert log == sorted(log, key=lambda e: e["at"])


def count_events(store, case_id):  # type: ignore[no-untyped-def]
    return len(events(store, case_id))


def test_case_counts_are_untouched_by_reads(auth, store):
    case = start_training(auth)
    with unchanged(store):
        get_case(auth, "head_khcn", case["id"])
        history(auth, "expert1", case["id"])
        listing(auth, "auditor", "?status=running")
    assert count(store, Case) == 1


@pytest.mark.parametrize("user, data, status", [
    ("auditor", proposal(), 403),                    # auditors change nothing
    ("member1", proposal(unit="SGDDT", mentor="member1"), 403),  # no role at all
    ("head_gddt", proposal(unit="SKHCN"), 403),     # a unit head proposes only for their own units
    ("head_khcn", proposal(mentor="head_khcn"), 422),  # the proposer cannot mentor their own proposal
])
def test_who_may_start_a_training_proposal(auth, store, user, data, status):
    before = count(store, Case)
    response = auth.as_(user).post(f"{API}/cases", json={"process": "training_nomination", "data": data})
    error_of(response, status)
    assert count(store, Case) == before


def test_hr_and_unit_heads_below_their_unit_may_start(auth):
    assert auth.as_("hr").post(f"{API}/cases", json={"process": "training_nomination",
                                                     "data": proposal(unit="SGDDT")}).status_code == 201
    assert auth.as_("head_khcn").post(f"{API}/cases", json={"process": "training_nomination",
                                                            "data": proposal(unit="SKHCN-QLKH")}).status_code == 201
