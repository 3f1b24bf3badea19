"""Reassignment: hr, or a unit head within their units, gives a claimed task to another candidate.

The 2026 review waits for two SKHCN assessments: Tuấn's (unit SKHCN: head_khcn) and Minh's (unit
SKHCN-QLKH: head_qlkh, and head_khcn above it). Each reassignment is a ``task_reassigned`` event
with its reason; every refusal changes nothing.
"""
from __future__ import annotations

from datetime import date

from tests.api.support import error_of, history, unchanged
from tests.helpers import complete
from tests.workflows.test_annual_talent_review import PLAIN, assessments, start_review, talent

API = "/api/v1"
REASON = "Đồng chí Trưởng phòng nắm rõ hồ sơ hơn"


def minhs_assessment(auth, store) -> dict:  # type: ignore[no-untyped-def]
    talent(store, "Phạm Anh Tuấn", "SKHCN", date(2023, 11, 20))
    talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2024, 6, 15))
    review = start_review(auth)
    [minh] = assessments(auth, "head_qlkh", review["id"])
    return minh


def reassign(auth, by: str, task_id: str, **body):  # type: ignore[no-untyped-def]
    return auth.as_(by).post(f"{API}/tasks/{task_id}/reassign", json=body)


def test_hr_gives_a_claimed_assessment_to_another_candidate_with_a_reason(auth, store):
    minh = minhs_assessment(auth, store)
    assert auth.as_("head_khcn").post(f"{API}/tasks/{minh['id']}/claim").status_code == 200
    moved = reassign(auth, "hr", minh["id"], to="head_qlkh", reason=REASON)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["claimed_by"] == "head_qlkh"
    error_of(auth.as_("head_khcn").post(f"{API}/tasks/{minh['id']}/complete", json={"data": PLAIN}),
             409, "claimed_by_other")
    done = complete(auth, "head_qlkh", minh["id"], PLAIN)
    [event] = [e for e in history(auth, "auditor", done["id"]) if e["type"] == "task_reassigned"]
    assert (event["actor"], event["data"]["from"], event["data"]["to"], event["data"]["reason"]) == \
        ("hr", "head_khcn", "head_qlkh", REASON)
    assert auth.as_("auditor").post(f"{API}/cases/{done['id']}/replay").get_json()["consistent"] is True


def test_a_unit_head_reassigns_within_their_units_only(auth, store):
    minh = minhs_assessment(auth, store)
    assert auth.as_("head_qlkh").post(f"{API}/tasks/{minh['id']}/claim").status_code == 200
    with unchanged(store):  # another department's head may not know of the case at all
        error_of(reassign(auth, "head_gddt", minh["id"], to="head_khcn", reason=REASON), 404)
    with unchanged(store):  # the approver reads every assessment but gives none away
        error_of(reassign(auth, "approver", minh["id"], to="head_khcn", reason=REASON), 403, "may_not_reassign")
    moved = reassign(auth, "head_khcn", minh["id"], to="head_khcn", reason="Tôi trực tiếp đánh giá")
    assert moved.status_code == 200 and moved.get_json()["claimed_by"] == "head_khcn"
    assert complete(auth, "head_khcn", minh["id"], PLAIN)["status"] == "assessed"


def test_a_reassignment_without_a_reason_or_to_someone_not_a_candidate_changes_nothing(auth, store):
    minh = minhs_assessment(auth, store)
    with unchanged(store):
        error_of(reassign(auth, "hr", minh["id"], to="head_gddt", reason=REASON), 422, "not_a_candidate")
        error_of(reassign(auth, "hr", minh["id"], to="nobody-such", reason=REASON), 422, "not_a_candidate")
        error_of(reassign(auth, "hr", minh["id"], to="head_qlkh", reason="   "), 422, "reason_required")
        error_of(reassign(auth, "hr", minh["id"], to="head_qlkh"), 422)
