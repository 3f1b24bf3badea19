"""The annual review of the talent list, through the HTTP API, as its people would run it.

hr (Sở Nội vụ) starts the 2026 review on 2 March 2026 (the test clock); each
talent's unit head assesses them (one ``talent_assessment`` case per talent,
started by the review); the outcome rules decide; hr consolidates with
reasoned overrides; the approver approves and the registry is updated.
Talents with a history are entered with the registry's own functions,
recognised years ago.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from tests.api.support import error_of, history, unchanged
from tests.conftest import Auth
from tests.helpers import complete, ready_task
from workflows import annual_talent_review
from workflows.programme import registry

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
    """The assessment tasks of the review ``case_id`` that ``user`` may take."""
    children = {c["id"] for c in auth.as_("hr").get(f"{API}/cases?parent={case_id}&per_page=200").get_json()["items"]}
    items = auth.as_(user).get(f"{API}/tasks?scope=available&process=talent_assessment").get_json()["items"]
    assert {t["element_id"] for t in items} <= {"assess_talent"}, items
    return [t for t in items if t["case_id"] in children]


def review(auth: Auth, case_id: int, user: str = "hr") -> dict[str, Any]:
    response = auth.as_(user).get(f"{API}/cases/{case_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def outcome_of(case: dict[str, Any], talent_id: int) -> dict[str, Any]:
    [line] = [line for line in case["data"]["review_outcomes"] if line["talent_id"] == talent_id]
    return line


def test_the_review_removes_warns_keeps_and_hr_overrides_with_a_reason(auth, store):
    stalled = ((2022, "hoan_thanh"), (2023, "hoan_thanh"), (2024, "hoan_thanh"), (2025, "hoan_thanh"))
    lan = talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1), stalled)        # 6 years, no development
    minh = talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15), stalled[1:])  # 4 years, the same
    tuan = talent(store, "Phạm Anh Tuấn", "SKHCN", date(2021, 11, 20), stalled)   # 5 years by 15/12, the same
    ha = talent(store, "Nguyễn Thu Hà", None, date(2025, 10, 20))                 # recognised last year, no unit

    case = start_review(auth)
    assert case["status"] == "running" and case["tasks"] == [] and case["children"] == {"running": 4}
    children = auth.as_("hr").get(f"{API}/cases?parent={case['id']}").get_json()["items"]
    assert sorted(c["business_key"] for c in children) == sorted(f"RS-2026-{t}" for t in (lan, minh, tuan, ha))
    tasks = [auth.as_("hr").get(f"{API}/cases/{c['id']}").get_json()["tasks"] for c in children]
    due = {datetime.fromisoformat(t["due_at"]) for [t] in tasks}
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
    # another unit's assessment is a case head_gddt may not know of: 404, not 403
    error_of(auth.as_("head_gddt").post(f"{API}/tasks/{qlkh[0]['id']}/complete", json={"data": PLAIN}), 404)

    complete(auth, "head_gddt", gddt[0]["id"], PLAIN)                                    # Lan
    complete(auth, "head_qlkh", qlkh[0]["id"], {**PLAIN, "recommendation": "at_risk"})   # Minh
    complete(auth, "head_khcn", khcn_own["id"], {**PLAIN, "comment": "Đang trình bổ nhiệm"})  # Tuấn
    assert review(auth, case["id"])["children"] == {"assessed": 3, "running": 1}
    assessed = complete(auth, "hr", unit_less["id"], {**PLAIN, "rating": "tot"})         # Hà: the last one
    assert assessed["status"] == "assessed" and assessed["parent_case_id"] == case["id"]
    case = review(auth, case["id"])
    assert case["children"] == {"assessed": 4}

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
    assert removed["removal_reason"].startswith(
        "Trong danh sách đủ 6 năm (tính đến ngày 15/12/2026), không có triển vọng phát triển")
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
    [late_assessment] = assessments(auth, "head_qlkh", case["id"])
    complete(auth, "head_gddt", assessments(auth, "head_gddt", case["id"])[0]["id"], PLAIN)

    manual_clock.set(datetime(2026, 12, 15, 16, 59, tzinfo=timezone.utc))  # 23:59 on 15 December
    assert service.fire_due() == {late_assessment["case_id"]: ["assessment_reminder"]}  # reminded on 8 December
    assert service.fire_due() == {}
    manual_clock.set(datetime(2026, 12, 16, 1, 0, tzinfo=timezone.utc))
    assert service.fire_due() == {late_assessment["case_id"]: ["assessment_deadline"]}

    auth = Auth(auth.client)  # nine months on: log in again
    case = review(auth, case["id"])
    assert case["children"] == {"assessed": 1, "unassessed": 1}
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
    complete(auth, "head_gddt", assessments(auth, "head_gddt", case["id"])[0]["id"], PLAIN)
    case = complete(auth, "hr", ready_task(review(auth, case["id"]), "consolidate_review")["id"], {"overrides": [
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
    subjects = [t["subject"] for t in assessments(auth, "head_qlkh", case["id"])]
    assert subjects == ["Lê Văn Minh (SKHCN-QLKH)"]
    # the assessment cases: a unit head lists only their own units' ones; hr lists every one
    listed = auth.as_("head_qlkh").get(f"{API}/cases?process=talent_assessment").get_json()["items"]
    assert [c["business_key"] for c in listed] == [f"RS-{YEAR}-{minh}"]
    assert auth.as_("hr").get(f"{API}/cases?parent={case['id']}").get_json()["total"] == 2
    assert len(review(auth, case["id"])["data"]["data_objects"]["review_register"]) == 2


def test_the_scheduler_starts_the_year_review_once_from_the_first_of_november(service, store, manual_clock):
    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    assert annual_talent_review.start_yearly_review(service, date(2026, 10, 31)) is None
    manual_clock.set(datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc))
    case_id = annual_talent_review.start_yearly_review(service)
    assert case_id is not None
    assert annual_talent_review.start_yearly_review(service) is None
    manual_clock.advance(timedelta(days=50))  # 21 December: the year's assessments have closed
    assert annual_talent_review.start_yearly_review(service) is None


def test_an_assessment_leaves_the_review_alone_until_the_last_one(auth, store):
    """Each assessment is a case of its own: completing one never loads or rewrites the review,
    so its cost does not grow with the list; the last one hands the review every result."""
    ids = [talent(store, f"Nhân tài {n}", "SGDDT", date(2022, 1, 10)) for n in range(3)]
    case = start_review(auth)
    before = review(auth, case["id"])["version"]
    tasks = assessments(auth, "head_gddt", case["id"])
    for task in tasks[:-1]:
        complete(auth, "head_gddt", task["id"], PLAIN)
    assert review(auth, case["id"])["version"] == before
    complete(auth, "head_gddt", tasks[-1]["id"], PLAIN)
    after = review(auth, case["id"])
    assert after["version"] == before + 1 and after["children"] == {"assessed": 3}
    assert [line["talent_id"] for line in after["data"]["review_outcomes"]] == ids
    [received] = [e for e in history(auth, "auditor", case["id"]) if e["type"] == "message_received"]
    assert received["data"]["message"] == "assessments_done"
    assert sorted(received["data"]["payload"]["results"]) == sorted(str(t) for t in ids)


def test_nobody_starts_an_assessment_by_hand(auth, store):
    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    for user in ("hr", "head_gddt", "admin"):
        error_of(auth.as_(user).post(f"{API}/cases", json={"process": "talent_assessment", "data": {}}), 403)


def test_cancelling_the_review_cancels_its_open_assessments(auth, store):
    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15))
    case = start_review(auth)
    complete(auth, "head_gddt", assessments(auth, "head_gddt", case["id"])[0]["id"], PLAIN)
    response = auth.as_("hr").post(f"{API}/cases/{case['id']}/cancel", json={"reason": "Làm lại theo chỉ đạo mới"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert review(auth, case["id"])["children"] == {"assessed": 1, "cancelled": 1}
    assert assessments(auth, "head_qlkh", case["id"]) == []
    [child] = auth.as_("hr").get(f"{API}/cases?parent={case['id']}&status=cancelled").get_json()["items"]
    [cancelled] = [e for e in history(auth, "auditor", child["id"]) if e["type"] == "case_cancelled"]
    assert cancelled["data"]["reason"] == f"parent case {case['id']} cancelled: Làm lại theo chỉ đạo mới"


def test_an_assessment_cancelled_alone_counts_as_not_assessed(auth, store):
    lan = talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    minh = talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15))
    case = start_review(auth)
    [minh_task] = assessments(auth, "head_qlkh", case["id"])
    complete(auth, "head_gddt", assessments(auth, "head_gddt", case["id"])[0]["id"], PLAIN)
    assert auth.as_("hr").post(f"{API}/cases/{minh_task['case_id']}/cancel",
                               json={"reason": "Đã nghỉ hưu"}).status_code == 200
    case = review(auth, case["id"])
    assert case["data"]["unassessed_talents"] == [minh] and outcome_of(case, lan)["assessed"] is True
    assert ready_task(case, "consolidate_review")


def test_a_message_goes_only_to_a_case_waiting_for_it(auth, store, service):
    from engine.errors import Conflict, Forbidden
    from engine.people.actors import SYSTEM, Actor
    import pytest

    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    case = start_review(auth)
    with unchanged(store):
        with pytest.raises(Conflict, match="not waiting for message 'no_such_message'"):
            service.deliver(SYSTEM, case["id"], "no_such_message", {})
        with pytest.raises(Forbidden):
            service.deliver(Actor(user_id=1, username="hr", global_roles=frozenset({"hr_officer"})), case["id"],
                            "assessments_done", {"results": {}})


def test_a_unit_head_is_reminded_five_working_days_before_the_assessments_close(auth, store, service, manual_clock):
    """15 December 2026 is a Tuesday: the reminder comes at 08:00 on Tuesday 8 December, city time."""
    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    case = start_review(auth)
    [task] = assessments(auth, "head_gddt", case["id"])
    manual_clock.set(datetime(2026, 12, 8, 0, 59, tzinfo=timezone.utc))  # 07:59 in Hai Phong
    assert service.fire_due() == {}
    manual_clock.set(datetime(2026, 12, 8, 1, 0, 1, tzinfo=timezone.utc))
    assert service.fire_due() == {task["case_id"]: ["assessment_reminder"]}
    auth = Auth(auth.client)  # months on: log in again
    inbox = auth.as_("head_gddt").get(f"{API}/me/notifications").get_json()["items"]
    assert [(n["kind"], n["task_id"]) for n in inbox] == [("reminder", task["id"])]
    assert auth.as_("head_qlkh").get(f"{API}/me/notifications").get_json()["total"] == 0  # another unit
    complete(auth, "head_gddt", task["id"], PLAIN)  # the reminder did not take the task away
    assert review(auth, case["id"])["children"] == {"assessed": 1}
