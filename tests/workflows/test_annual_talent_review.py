"""The annual review of the talent list, through the HTTP API, as its people would run it.

hr (Sở Nội vụ) starts the 2026 review on 2 March 2026 (the test clock); each
talent's unit head assesses them; the outcome rules decide; hr consolidates
with reasoned overrides; the approver approves and the registry is updated.
Talents with a history are entered with the registry's own functions,
recognised years ago.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from tests.api.support import error_of, history, unchanged
from tests.conftest import Auth
from tests.helpers import complete, ready_task
from workflows import annual_talent_review, registry

API = "/api/v1"
YEAR = 2026
#: An unremarkable year: rated "hoàn thành", no appointment, not in planning, serving, not disciplined.
PLAIN = {"rating": "hoan_thanh", "appointed_or_promoted": False, "in_planning": False, "trained_st": False,
         "serving_in_city": True, "disciplined": False, "recommendation": "keep", "comment": ""}


def talent(store: Any, name: str, unit: str | None, recognised: date,
           history_rows: tuple[tuple[int, str], ...] = ()) -> int:
    """Enter a talent recognised on ``recognised`` with review rows (year, rating) of earlier years."""
    with store.command() as db:
        talent_id = registry.add_talent(db, full_name=name, category="cbccvc", recognised_on=recognised, unit=unit)
        for year, rating in history_rows:
            registry.record_review(db, talent_id=talent_id, year=year, assessment={"rating": rating},
                                   outcome="keep", rule_outcome="keep", override_reason=None, source_case_id=None)
    return talent_id


def start_review(auth: Auth, user: str = "hr", year: int = YEAR, status: int = 201) -> dict[str, Any]:
    response = auth.as_(user).post(f"{API}/cases", json={"process": "annual_talent_review", "data": {"year": year}})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def assessments(auth: Auth, user: str, case_id: int) -> list[dict[str, Any]]:
    """The assessment tasks ``user`` may take in the case."""
    items = auth.as_(user).get(f"{API}/tasks?scope=available&case={case_id}").get_json()["items"]
    assert {t["element_id"] for t in items} <= {"assess_talent"}, items
    return items


def outcome_of(case: dict[str, Any], talent_id: int) -> dict[str, Any]:
    [line] = [line for line in case["data"]["review_outcomes"] if line["talent_id"] == talent_id]
    return line


def test_the_review_removes_warns_keeps_and_hr_overrides_with_a_reason(auth, store):
    stalled = ((2022, "hoan_thanh"), (2023, "hoan_thanh"), (2024, "hoan_thanh"), (2025, "hoan_thanh"))
    lan = talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1), stalled)        # 6 years, no development
    minh = talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15), stalled[1:])  # 4 years, the same
    tuan = talent(store, "Phạm Anh Tuấn", "SKHCN", date(2021, 11, 20), stalled)   # exactly 5 years, the same
    ha = talent(store, "Nguyễn Thu Hà", None, date(2025, 10, 20))                 # recognised last year, no unit

    case = start_review(auth)
    assert case["status"] == "running" and len(case["tasks"]) == 4
    due = {datetime.fromisoformat(t["due_at"]) for t in case["tasks"]}
    assert due == {datetime(2026, 12, 15, 17, 0, tzinfo=timezone.utc)}  # the end of 15 December in Hai Phong
    newcomer = talent(store, "Đỗ Minh Khang", "SKHCN", date(2026, 3, 1))  # recognised while the review runs

    # Each unit head sees the assessments of their own units' talents, and only those.
    gddt, qlkh, khcn = (assessments(auth, user, case["id"]) for user in ("head_gddt", "head_qlkh", "head_khcn"))
    assert (len(gddt), len(qlkh), len(khcn)) == (1, 1, 2)  # head_khcn: SKHCN and SKHCN-QLKH below it
    [khcn_own] = [t for t in khcn if t["id"] != qlkh[0]["id"]]
    # a unit head with several talents tells the assessments apart by their subject
    assert sorted(t["subject"] for t in khcn) == sorted([khcn_own["subject"], qlkh[0]["subject"]])
    assert qlkh[0]["subject"].endswith("(SKHCN-QLKH)") and khcn_own["subject"].endswith("(SKHCN)")
    [unit_less] = assessments(auth, "hr", case["id"])  # a talent with no unit: hr assesses
    error_of(auth.as_("head_gddt").post(f"{API}/tasks/{qlkh[0]['id']}/complete", json={"data": PLAIN}), 403)

    complete(auth, "head_gddt", gddt[0]["id"], PLAIN)                                    # Lan
    complete(auth, "head_qlkh", qlkh[0]["id"], {**PLAIN, "recommendation": "at_risk"})   # Minh
    complete(auth, "head_khcn", khcn_own["id"], {**PLAIN, "comment": "Đang trình bổ nhiệm"})  # Tuấn
    case = complete(auth, "hr", unit_less["id"], {**PLAIN, "rating": "tot"})             # Hà

    consolidation = ready_task(case, "consolidate_review")
    assert case["data"]["unassessed_talents"] == []
    assert [(outcome_of(case, t)["rule_outcome"], outcome_of(case, t)["years_on_list"])
            for t in (lan, minh, tuan, ha)] == [("remove", 6), ("at_risk", 4), ("remove", 5), ("keep", 1)]
    [added] = [e for e in history(auth, "hr", case["id"]) if e["type"] == "talents_added_since_snapshot"]
    assert [t["talent_id"] for t in added["data"]["talents"]] == [newcomer]

    # An override needs a reason, and must change the rules' outcome; a refused one changes nothing.
    error = error_of(auth.as_("hr").post(f"{API}/tasks/{consolidation['id']}/complete", json={"data": {
        "overrides": [{"talent_id": tuan, "outcome": "keep"}]}}), 422)
    assert "reason" in str(error["details"])
    with unchanged(store):
        error = error_of(auth.as_("hr").post(f"{API}/tasks/{consolidation['id']}/complete", json={"data": {
            "overrides": [{"talent_id": lan, "outcome": "remove", "reason": "Đồng ý"}]}}), 422)
    assert "already give" in str(error["details"]["overrides"])
    reason = "Ban Thường vụ đã giới thiệu quy hoạch Phó Giám đốc Sở, chờ quyết định bổ nhiệm"
    case = complete(auth, "hr", consolidation["id"], {"overrides": [{"talent_id": tuan, "outcome": "keep",
                                                                     "reason": reason}]})
    assert outcome_of(case, tuan)["final_outcome"] == "keep"

    case = complete(auth, "approver", ready_task(case, "approve_review_list")["id"], {"decision": "approve"})
    assert case["status"] == "approved"

    removed = auth.as_("hr").get(f"{API}/talents/{lan}").get_json()
    assert removed["status"] == "removed" and removed["removed_on"] == "2026-03-02"
    assert removed["removal_reason"].startswith("Trong danh sách 6 năm, không có triển vọng phát triển")
    assert removed["reviews"][-1] == {
        "year": YEAR, "rating": "hoan_thanh", "outcome": "remove", "rule_outcome": "remove", "override_reason": None,
        "appointed_or_promoted": False, "in_planning": False, "trained_st": False, "serving_in_city": True,
        "disciplined": False, "source_case_id": case["id"]}
    rows = {t: auth.as_("hr").get(f"{API}/talents/{t}").get_json() for t in (minh, tuan, ha, newcomer)}
    assert all(row["status"] == "active" for row in rows.values())
    assert [(rows[t]["reviews"][-1]["rule_outcome"], rows[t]["reviews"][-1]["outcome"],
             rows[t]["reviews"][-1]["override_reason"]) for t in (minh, tuan, ha)] == [
        ("at_risk", "at_risk", None), ("remove", "keep", reason), ("keep", "keep", None)]
    assert rows[newcomer]["reviews"] == []
    [updated] = [e for e in history(auth, "hr", case["id"]) if e["type"] == "talent_list_updated"]
    assert updated["data"] == {"year": YEAR, "keep": [tuan, ha], "at_risk": [minh], "remove": [lan],
                               "unassessed": [], "added": [newcomer]}
    seen_by_head = {e["type"]: e["data"] for e in history(auth, "head_gddt", case["id"])}
    assert seen_by_head["talent_list_updated"] == {"year": YEAR}
    assert seen_by_head["talents_added_since_snapshot"] == {"year": YEAR}


def test_one_review_per_year_started_by_hr_for_a_year_that_has_begun(auth):
    error_of(auth.as_("head_khcn").post(f"{API}/cases", json={"process": "annual_talent_review",
                                                              "data": {"year": YEAR}}), 403)
    error = error_of(auth.as_("hr").post(f"{API}/cases", json={"process": "annual_talent_review",
                                                               "data": {"year": YEAR + 1}}), 422)
    assert "year" in error["details"]
    first = start_review(auth)
    error_of(auth.as_("hr").post(f"{API}/cases", json={"process": "annual_talent_review",
                                                       "data": {"year": YEAR}}), 409, "review_exists")
    assert auth.as_("hr").post(f"{API}/cases/{first['id']}/cancel", json={"reason": "Nhập sai"}).status_code == 200
    assert start_review(auth)["status"] == "running"  # a cancelled review does not count


def test_at_the_deadline_unassessed_talents_are_listed_for_hr_and_stay_unreviewed(auth, store, service,
                                                                                  manual_clock):
    done = talent(store, "Vũ Hoàng Nam", "SGDDT", date(2023, 1, 10))
    late = talent(store, "Bùi Thanh Tâm", "SKHCN-QLKH", date(2021, 5, 5), ((2024, "tot"),))
    case = start_review(auth)
    complete(auth, "head_gddt", assessments(auth, "head_gddt", case["id"])[0]["id"], PLAIN)

    manual_clock.set(datetime(2026, 12, 15, 16, 59, tzinfo=timezone.utc))  # 23:59 on 15 December
    assert service.fire_due() == {}
    manual_clock.set(datetime(2026, 12, 16, 1, 0, tzinfo=timezone.utc))
    assert service.fire_due() == {case["id"]: ["assessment_deadline"]}

    auth = Auth(auth.client)  # nine months on: log in again
    case = auth.as_("hr").get(f"{API}/cases/{case['id']}").get_json()
    assert case["data"]["unassessed_talents"] == [late] and assessments(auth, "head_qlkh", case["id"]) == []
    assert outcome_of(case, late)["assessed"] is False and outcome_of(case, done)["rule_outcome"] == "keep"
    error = error_of(auth.as_("hr").post(f"{API}/tasks/{ready_task(case, 'consolidate_review')['id']}/complete",
                                         json={"data": {"overrides": [{"talent_id": late, "outcome": "remove",
                                                                       "reason": "Đã chuyển công tác"}]}}), 422)
    assert "not assessed" in str(error["details"])
    case = complete(auth, "hr", ready_task(case, "consolidate_review")["id"], {})
    case = complete(auth, "approver", ready_task(case, "approve_review_list")["id"], {"decision": "approve"})
    assert case["status"] == "approved"
    assert [r["year"] for r in auth.as_("hr").get(f"{API}/talents/{late}").get_json()["reviews"]] == [2024]
    assert auth.as_("hr").get(f"{API}/talents/{late}").get_json()["status"] == "active"
    assert [r["year"] for r in auth.as_("hr").get(f"{API}/talents/{done}").get_json()["reviews"]] == [YEAR]


def test_the_approver_sends_the_list_back_and_hr_consolidates_again(auth, store):
    lan = talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    case = start_review(auth)
    case = complete(auth, "head_gddt", assessments(auth, "head_gddt", case["id"])[0]["id"], PLAIN)
    case = complete(auth, "hr", ready_task(case, "consolidate_review")["id"], {"overrides": [
        {"talent_id": lan, "outcome": "keep", "reason": "Đang được xem xét bổ nhiệm"}]})
    approval = ready_task(case, "approve_review_list")
    error_of(auth.as_("approver").post(f"{API}/tasks/{approval['id']}/complete",
                                       json={"data": {"decision": "return"}}), 422)
    case = complete(auth, "approver", approval["id"], {"decision": "return",
                                                       "approval_comment": "Chưa có quyết định bổ nhiệm"})
    case = complete(auth, "hr", ready_task(case, "consolidate_review")["id"], {})
    assert outcome_of(case, lan)["final_outcome"] == "remove"  # the rules' outcome stands again
    case = complete(auth, "approver", ready_task(case, "approve_review_list")["id"], {"decision": "approve"})
    assert case["status"] == "approved"
    assert auth.as_("hr").get(f"{API}/talents/{lan}").get_json()["status"] == "removed"


def test_a_unit_head_reads_only_their_units_talents(auth, store):
    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    minh = talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15))
    case = start_review(auth)
    seen = auth.as_("head_qlkh").get(f"{API}/cases/{case['id']}").get_json()["data"]
    assert [t["talent_id"] for t in seen["talents"]] == [minh] and seen["year"] == YEAR
    assert "data_objects" not in seen and "talent_snapshot" not in seen
    subjects = [t["subject"] for t in auth.as_("head_qlkh").get(f"{API}/cases/{case['id']}").get_json()["tasks"]]
    assert "Trần Thị Lan (SGDDT)" not in subjects and "Lê Văn Minh (SKHCN-QLKH)" in subjects
    assert "Trần Thị Lan (SGDDT)" in [t["subject"] for t in
                                      auth.as_("hr").get(f"{API}/cases/{case['id']}").get_json()["tasks"]]
    assert len(auth.as_("hr").get(f"{API}/cases/{case['id']}").get_json()["data"]["data_objects"]
               ["review_register"]) == 2


def test_the_scheduler_starts_the_year_review_once_from_the_first_of_november(service, store, manual_clock):
    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    assert annual_talent_review.start_yearly_review(service, date(2026, 10, 31)) is None
    manual_clock.set(datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc))
    case_id = annual_talent_review.start_yearly_review(service)
    assert case_id is not None
    assert annual_talent_review.start_yearly_review(service) is None
    manual_clock.advance(timedelta(days=50))  # 21 December: the year's assessments have closed
    assert annual_talent_review.start_yearly_review(service) is None
