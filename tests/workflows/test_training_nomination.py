"""The demo process end to end through the HTTP API, as its people would drive it."""
from __future__ import annotations

from tests.helpers import complete, ready_task, start_training


def test_proposal_goes_through_mentor_unit_head_hr_and_proposer(auth):
    case = start_training(auth)
    assert case["status"] == "running" and case["unit"] == "SKHCN"
    mentor_task = ready_task(case, "mentor_assessment")
    assert mentor_task["role"] == "mentor"

    case = complete(auth, "expert1", mentor_task["id"], {"recommendation": "support", "mentor_comment": "Tốt"})
    approval = ready_task(case, "unit_head_approval")
    case = complete(auth, "head_khcn", approval["id"], {"decision": "approve"})
    enrol = ready_task(case, "hr_enrolment")
    case = complete(auth, "hr", enrol["id"], {"class_code": "AI-01", "class_start": "2026-04-01"})
    report = ready_task(case, "report_attendance")
    assert report["personal"] is True
    case = complete(auth, "head_khcn", report["id"], {"completed": True, "certificate_ref": "CC-9"})

    assert case["status"] == "trained"
    assert case["ended_at"] is not None and case["tasks"] == []
    assert case["data"]["class_start"] == "2026-04-01"
    history = auth.as_("head_khcn").get(f"/api/v1/cases/{case['id']}/history").get_json()
    types = [e["type"] for e in history]
    assert types[0] == "case_started" and types[-1] == "case_completed"
    assert types.count("task_completed") == 4 and "role_granted" in types
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1))


def test_unit_head_rejection_ends_the_case_rejected(auth):
    case = start_training(auth)
    case = complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"],
                    {"recommendation": "not_support", "mentor_comment": "Chưa phù hợp"})
    refusal = auth.as_("head_khcn").post(f"/api/v1/tasks/{ready_task(case, 'unit_head_approval')['id']}/complete",
                                         json={"data": {"decision": "reject", "decision_reason": "  "}})
    assert refusal.status_code == 422 and "decision_reason" in refusal.get_json()["error"]["details"]
    case = complete(auth, "head_khcn", ready_task(case, "unit_head_approval")["id"],
                    {"decision": "reject", "decision_reason": "Chưa đủ điều kiện"})
    assert case["status"] == "rejected"
    assert auth.as_("head_khcn").get("/api/v1/cases?status=rejected").get_json()["total"] == 1
