"""Nominating and recognising a talent, through the HTTP API, as its people would do it.

The Nominating organisation files the dossier, hr (Sở Nội vụ) verifies it and
names a council, each council member votes on their own ballot, the approver
decides; one test per way a nomination can end.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.time.calendar import BusinessCalendar
from forms import nomination as dossier_form
from tests.api.support import error_of
from tests.conftest import Auth
from tests.helpers import complete, ready_task
from workflows.programme import registry
from workflows import talent_nomination

API = "/api/v1"
COUNCIL = ["member1", "member2", "member3", "member4"]


def dossier(**overrides: Any) -> dict[str, Any]:
    """A young scientist of SKHCN: doctorate, 34 on the nomination day (2 March 2026), 6 international papers."""
    data: dict[str, Any] = {
        "nominee_name": "Trần Thị Minh Anh", "birth_date": "1991-03-03", "workplace": "Viện Nghiên cứu biển",
        "unit": "SKHCN", "contact": "0912 345 678, minhanh@example.vn", "category": "young_scientist",
        "priority_field": "science_technology",
        "achievements": [{"title": "Mô hình dự báo xâm nhập mặn", "year": 2024,
                          "evidence_refs": ["DOI 10.1000/xyz123", "QĐ 45/QĐ-BKHCN"]}],
        "nominator_statement": "Đề nghị công nhận; chúng tôi chịu trách nhiệm về hồ sơ.",
        "has_doctorate": True, "international_papers": 6}
    data.update(overrides)
    return data


def nominate(auth: Any, user: str = "nominator", status: int = 201, **overrides: Any) -> dict[str, Any]:
    response = auth.as_(user).post(f"{API}/cases", json={"process": "talent_nomination", "data": dossier(**overrides)})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def verify(auth: Any, case: dict[str, Any], **data: Any) -> dict[str, Any]:
    return complete(auth, "hr", ready_task(case, "verify_dossier")["id"], data)


def my_ballot(auth: Any, member: str, case_id: int) -> dict[str, Any]:
    """The member's own ballot, from their worklist: each member gets exactly one."""
    items = auth.as_(member).get(f"{API}/tasks?scope=mine&case={case_id}").get_json()["items"]
    assert [t["element_id"] for t in items] == ["council_vote"], items
    assert items[0]["personal"] is True and items[0]["form_key"] == "talent_council_vote"
    return items[0]


def council_votes(auth: Any, case: dict[str, Any], votes: dict[str, str]) -> dict[str, Any]:
    for member, vote in votes.items():
        case = complete(auth, member, my_ballot(auth, member, case["id"])["id"],
                        {"vote": vote, "vote_comment": f"{member}: {vote}"})
    return case


def history_of(auth: Any, case_id: int) -> list[dict[str, Any]]:
    return auth.as_("auditor").get(f"{API}/cases/{case_id}/history").get_json()


def registered_talents(auth: Any, reader: str = "hr") -> list[dict[str, Any]]:
    """The talent registry as hr (or a unit head, for their units) reads it."""
    response = auth.as_(reader).get(f"{API}/talents")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


# ------------------------------------------------------------------------------------------ paths
def test_a_young_scientist_is_recognised_and_enters_the_talent_registry(auth):
    case = nominate(auth)
    assert (case["status"], case["unit"]) == ("running", "SKHCN")
    assert case["data"]["eligible"] is True and case["data"]["age_at_nomination"] == 34
    assert case["data"]["nominated_on"] == "2026-03-02" and case["data"]["nominated_by"] == "nominator"
    assert case["data"]["allowance_percent"] == 150  # the rate in force today, kept for the decision
    assert ready_task(case, "verify_dossier")["role"] == "hr_officer"

    case = verify(auth, case, verification_result="verified", council_members=COUNCIL)
    assert sorted(t["element_id"] for t in case["tasks"]) == ["council_vote"] * 4
    member_view = auth.as_("member1").get(f"{API}/cases/{case['id']}").get_json()
    assert member_view["data"]["nominee_name"] == "Trần Thị Minh Anh" and "council_votes" not in member_view["data"]

    case = council_votes(auth, case, {"member1": "approve", "member2": "approve", "member3": "reject",
                                      "member4": "approve"})
    assert case["data"]["council_result"] == {"members": 4, "approvals": 3, "recognised": True}
    assert case["data"]["council_votes"]["member3"] == {"member": "member3", "vote": "reject",
                                                        "comment": "member3: reject"}
    decision = ready_task(case, "recognition_decision")
    assert decision["role"] == "approver"
    case = complete(auth, "approver", decision["id"], {"decision": "recognised", "decision_no": "512/QĐ-UBND",
                                                       "decision_date": "2026-04-15"})

    assert case["status"] == "recognised" and case["tasks"] == []
    [talent] = registered_talents(auth)
    assert {k: talent[k] for k in ("full_name", "category", "field", "unit", "status", "decision_no",
                                   "source_case_id")} == {
        "full_name": "Trần Thị Minh Anh", "category": "young_scientist", "field": "science_technology",
        "unit": "SKHCN", "status": "active", "decision_no": "512/QĐ-UBND", "source_case_id": case["id"]}
    assert talent["recognised_on"] == talent["allowance_from"] == "2026-04-15"
    assert talent["allowance_percent"] == 150
    assert talent["birth_date"] == "1991-03-03"
    assert registered_talents(auth, reader="head_khcn") == [talent]
    assert registered_talents(auth, reader="head_gddt") == []
    events = history_of(auth, case["id"])
    assert [e["data"]["username"] for e in events if e["type"] == "role_granted"] == COUNCIL
    [registered] = [e for e in events if e["type"] == "talent_registered"]
    assert registered["data"]["talent_id"] == talent["id"] and registered["data"]["allowance_from"] == "2026-04-15"
    assert registered["data"]["allowance_percent"] == 150


def test_an_ineligible_nominee_is_screened_out_and_the_nominator_told_why(auth):
    case = nominate(auth, category="excellent_graduate", birth_date="1995-03-02", university_type="domestic",
                    degree_classification="xuat_sac",
                    prizes=[{"contest": "national_gifted", "rank": "second", "year": 2012}])

    assert case["status"] == "rejected_ineligible" and case["tasks"] == []
    seen = auth.as_("nominator").get(f"{API}/cases/{case['id']}").get_json()["data"]
    assert seen["eligible"] is False and seen["age_at_nomination"] == 31
    assert seen["eligibility_reason"].startswith("Quá 30 tuổi tại thời điểm tiến cử")
    [informed] = [e for e in history_of(auth, case["id"]) if e["type"] == "nominator_informed"]
    assert informed["data"] == {"nominator": "nominator", "outcome": "rejected_ineligible",
                                "reason": seen["eligibility_reason"]}
    assert registered_talents(auth) == []


def test_a_supplement_goes_back_to_hr_and_an_unanswered_one_withdraws_the_case(auth, client, service, manual_clock):
    case = nominate(auth, user="head_khcn")
    case = verify(auth, case, verification_result="needs_supplement", verification_note="Thiếu bản sao bằng tiến sĩ")
    first_request_due = BusinessCalendar().add_working_days(manual_clock.now(), 10)
    supplement = ready_task(case, "supplement_dossier")
    assert supplement["personal"] is True  # the unit head who nominated answers for the dossier
    manual_clock.advance(timedelta(days=3))
    auth = Auth(client)  # days later: people log in again
    case = complete(auth, "head_khcn", supplement["id"], {"supplement_note": "Gửi bản sao bằng tiến sĩ",
                                                          "supplement_evidence": ["BS-2026-01"]})
    assert [t["element_id"] for t in case["tasks"]] == ["verify_dossier"]

    case = verify(auth, case, verification_result="needs_supplement", verification_note="Bản sao chưa chứng thực")
    due = BusinessCalendar().add_working_days(manual_clock.now(), 10)
    assert due > first_request_due  # the deadline runs from the new request
    manual_clock.set(first_request_due + timedelta(seconds=1))
    assert service.fire_due() == {}
    manual_clock.set(due + timedelta(seconds=1))
    assert service.fire_due() == {case["id"]: ["supplement_deadline"]}

    auth = Auth(client)
    case = auth.as_("head_khcn").get(f"{API}/cases/{case['id']}").get_json()
    assert case["status"] == "withdrawn" and case["tasks"] == []
    [informed] = [e for e in history_of(auth, case["id"]) if e["type"] == "nominator_informed"]
    assert informed["data"]["reason"] == talent_nomination.WITHDRAWN_REASON


def test_half_of_the_council_is_not_a_majority_of_all_members(auth):
    case = verify(auth, nominate(auth), verification_result="verified", council_members=COUNCIL)
    others_ballot = my_ballot(auth, "member2", case["id"])
    error_of(auth.as_("member1").post(f"{API}/tasks/{others_ballot['id']}/complete",
                                      json={"data": {"vote": "approve", "vote_comment": "x"}}), 403)

    case = council_votes(auth, case, {"member1": "approve", "member2": "reject", "member3": "approve",
                                      "member4": "reject"})

    assert case["status"] == "rejected_by_council" and case["tasks"] == []
    assert case["data"]["council_result"] == {"members": 4, "approvals": 2, "recognised": False}
    [informed] = [e for e in history_of(auth, case["id"]) if e["type"] == "nominator_informed"]
    assert informed["data"]["reason"].startswith("Hội đồng thẩm định: 2/4 thành viên đồng ý")
    assert registered_talents(auth) == []


# ----------------------------------------------------------------------------- the other ends and rules
def test_hr_rejects_a_dossier_with_a_reason(auth):
    case = verify(auth, nominate(auth), verification_result="rejected", verification_note="Minh chứng không xác thực")
    assert case["status"] == "rejected"


def test_the_approver_may_decline_recognition_with_a_reason(auth):
    case = verify(auth, nominate(auth), verification_result="verified", council_members=COUNCIL[:3])
    case = council_votes(auth, case, {"member1": "approve", "member2": "approve", "member3": "approve"})
    decision = ready_task(case, "recognition_decision")["id"]
    error_of(auth.as_("approver").post(f"{API}/tasks/{decision}/complete", json={"data": {"decision": "rejected"}}),
             422, "validation_error")
    case = complete(auth, "approver", decision, {"decision": "rejected", "decision_reason": "Chưa phù hợp quy hoạch"})
    assert case["status"] == "not_recognised" and registered_talents(auth) == []


def test_self_nomination_is_open_to_some_categories_only(auth):
    refused = error_of(auth.as_("nobody").post(f"{API}/cases", json={"process": "talent_nomination", "data": dossier(
        self_nominated=True, nominee_name="nobody", unit=None, category="cbccvc", annual_ratings=[]
    )}), 422, "validation_error")
    assert "category" in refused["details"]
    # a self-nomination is for oneself: not a way around who may nominate others
    someone_else = error_of(auth.as_("approver").post(f"{API}/cases", json={"process": "talent_nomination", "data":
                            dossier(self_nominated=True, unit="SKHCN")}), 422, "validation_error")
    assert "nominee_name" in someone_else["details"]
    case = nominate(auth, user="nobody", self_nominated=True, nominee_name="nobody", unit=None, category="expert",
                    years_experience=6)
    assert case["status"] == "running" and case["data"]["eligible"] is True
    assert case["data"]["nominated_by"] == "nobody"


def test_only_a_nominator_or_the_units_head_may_nominate_someone_else(auth):
    for user, unit in (("nobody", "SKHCN"), ("head_gddt", "SKHCN"), ("auditor", "SKHCN")):
        error_of(auth.as_(user).post(f"{API}/cases", json={"process": "talent_nomination",
                                                          "data": dossier(unit=unit)}), 403)
    assert nominate(auth, user="head_qlkh", unit="SKHCN-QLKH")["status"] == "running"


def test_hr_names_a_council_of_existing_users_other_than_the_nominator(auth):
    case = nominate(auth)
    task = ready_task(case, "verify_dossier")["id"]
    for members, field in ((["member1", "member2"], "council_members"),
                           (["member1", "member2", "nominator"], "council_members"),
                           (["member1", "member2", "ghost"], "council_member"),
                           (["member1", "member1", "member2"], "council_members"),
                           ([], "council_members")):
        error = error_of(auth.as_("hr").post(f"{API}/tasks/{task}/complete", json={"data": {
            "verification_result": "verified", "council_members": members}}), 422)
        assert field in error["details"], error
    after = auth.as_("hr").get(f"{API}/cases/{case['id']}").get_json()
    assert [t["element_id"] for t in after["tasks"]] == ["verify_dossier"] and after["version"] == case["version"]
    assert not [e for e in history_of(auth, case["id"]) if e["type"] == "role_granted"]


def test_the_dossier_speaks_the_registrys_codes():
    assert list(dossier_form.CATEGORIES) == list(registry.TALENT_CATEGORIES)
    assert list(dossier_form.RATINGS) == list(registry.RATINGS)
    assert talent_nomination.SELF_NOMINATION_CATEGORIES < set(registry.TALENT_CATEGORIES)


def test_tasks_carry_their_legal_due_dates_in_working_days(auth, manual_clock):
    case = nominate(auth)
    verification = ready_task(case, "verify_dossier")
    # DOMAIN.md: verification is due within 15 working days (camunda:dueDate in the diagram)
    expected = BusinessCalendar().add_working_days(manual_clock.now(), 15)
    assert verification["due_at"] == expected.isoformat()
    assert verification["overdue"] is False and verification["seconds_left"] > 0
    manual_clock.set(expected + timedelta(seconds=1))
    overdue = auth.as_("hr").get("/api/v1/tasks?scope=available&overdue=true").get_json()["items"]
    assert [t["id"] for t in overdue] == [verification["id"]]
    assert overdue[0]["overdue"] is True
