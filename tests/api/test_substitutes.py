"""Substitutes while someone is away, through the HTTP API, as the people of the programme use them.

head_khcn (unit head of SKHCN) is on leave from Monday 2 to Friday 6 March 2026 while the 2026 review
waits for their assessments; expert1, of the same department, stands in. The test clock starts on
2 March 2026 at 09:00 in Hai Phong.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from engine.people.directory import get_user, grant_role, revoke_role
from tests.api.support import error_of, history, unchanged
from tests.api.test_script_errors import complete_failing, failing  # noqa: F401  (the fixture)
from tests.conftest import Auth
from tests.helpers import complete, ready_task
from tests.workflows.exam_support import close_remarking, exam_with_marks, submit, task_of, today
from tests.workflows.test_annual_talent_review import PLAIN, assessments, start_review, talent

API = "/api/v1"
#: 00:00 on Saturday 7 March in Hai Phong: the first moment after the substitution's last day.
AFTER_THE_RANGE = datetime(2026, 3, 6, 17, 0, tzinfo=timezone.utc)


def set_substitute(auth: Auth, by: str, status: int = 201, **body: Any) -> dict[str, Any]:
    response = auth.as_(by).post(f"{API}/substitutes", json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def refused(auth: Auth, by: str, status: int, code: str, **body: str) -> dict[str, Any]:
    """A substitution ``by`` asks for (head_khcn away, expert1 standing in, 2–6 March unless said) is refused."""
    wanted = {"absent": "head_khcn", "substitute": "expert1", "starts_on": "2026-03-02", "ends_on": "2026-03-06",
              **body}
    return error_of(auth.as_(by).post(f"{API}/substitutes", json=wanted), status, code)


def on_leave(auth: Auth, by: str = "head_khcn", absent: str = "head_khcn", substitute: str = "expert1") -> dict:
    return set_substitute(auth, by, absent=absent, substitute=substitute, starts_on="2026-03-02",
                          ends_on="2026-03-06", reason="Nghỉ phép năm")


def review_waiting_for_head_khcn(auth: Auth, store: Any) -> tuple[int, list[dict[str, Any]]]:
    talent(store, "Phạm Anh Tuấn", "SKHCN", date(2023, 11, 20))
    talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2024, 6, 15))
    review = start_review(auth)
    tasks = assessments(auth, "head_khcn", review["id"])
    assert len(tasks) == 2
    return review["id"], tasks


def test_a_substitute_assesses_for_an_absent_unit_head_during_the_range_and_not_a_minute_after(
        auth, store, manual_clock):
    _, tasks = review_waiting_for_head_khcn(auth, store)
    assert auth.as_("expert1").get(f"{API}/tasks?scope=available").get_json()["items"] == []
    leave = on_leave(auth)
    assert (leave["absent"], leave["substitute"], leave["active"]) == ("head_khcn", "expert1", True)

    listed = auth.as_("expert1").get(f"{API}/tasks?scope=available").get_json()["items"]
    assert sorted(t["id"] for t in listed) == sorted(t["id"] for t in tasks)
    assert {(t["on_behalf_of"], t["on_behalf_of_name"]) for t in listed} == {("head_khcn", "head_khcn")}
    first, second = tasks
    shown = auth.as_("expert1").get(f"{API}/tasks/{first['id']}").get_json()
    assert shown["can_act"] is True and shown["on_behalf_of"] == "head_khcn"
    done = complete(auth, "expert1", first["id"], {**PLAIN, "comment": "Thay thủ trưởng đơn vị"})
    assert done["status"] == "assessed"

    events = history(auth, "auditor", done["id"])
    [completed] = [e for e in events if e["type"] == "task_completed"]
    assert (completed["actor"], completed["on_behalf_of"]) == ("expert1", "head_khcn")
    assert all(e["on_behalf_of"] == "head_khcn" for e in events if e["seq"] >= completed["seq"])
    assert auth.as_("auditor").post(f"{API}/cases/{done['id']}/replay").get_json()["consistent"] is True
    step = auth.as_("auditor").get(f"{API}/cases/{done['id']}/state?at={completed['seq']}").get_json()
    [task] = step["tasks"]
    assert (task["completed_by"], task["on_behalf_of"]) == ("expert1", "head_khcn")
    verified = auth.as_("auditor").get(f"{API}/audit/verify").get_json()
    assert verified["ok"] is True, verified["first_break"]

    manual_clock.set(AFTER_THE_RANGE - timedelta(minutes=1))  # 23:59 on Friday in Hai Phong: still on leave
    auth = Auth(auth.client)  # days later: everyone signs in again
    assert [t["id"] for t in auth.as_("expert1").get(f"{API}/tasks?scope=available").get_json()["items"]] == \
        [second["id"]]
    manual_clock.set(AFTER_THE_RANGE)
    assert auth.as_("expert1").get(f"{API}/tasks?scope=available").get_json()["items"] == []
    with unchanged(store):
        error_of(auth.as_("expert1").post(f"{API}/tasks/{second['id']}/complete", json={"data": PLAIN}), 404)
        error_of(auth.as_("expert1").get(f"{API}/tasks/{second['id']}"), 404)
    assert complete(auth, "head_khcn", second["id"], PLAIN)["status"] == "assessed"  # back at work


def test_a_substitution_is_set_by_the_user_hr_or_their_unit_head_and_refused_to_anyone_else(auth, store):
    with unchanged(store):
        refused(auth, "head_gddt", 403, "may_not_set_substitute")  # another department's head
        refused(auth, "expert2", 403, "may_not_set_substitute", absent="expert1", substitute="expert2")
        refused(auth, "hr", 422, "invalid_substitute", starts_on="2026-03-06", ends_on="2026-03-02")
        refused(auth, "hr", 422, "invalid_substitute", substitute="head_khcn")
        refused(auth, "hr", 422, "invalid_substitute", starts_on="2026-02-02", ends_on="2026-02-06")  # past days
    by_hr = on_leave(auth, by="hr")
    with unchanged(store):
        refused(auth, "head_khcn", 409, "substitute_overlaps", substitute="expert2", starts_on="2026-03-05",
                ends_on="2026-03-09")
    ended = auth.as_("head_khcn").post(f"{API}/substitutes/{by_hr['id']}/end").get_json()
    assert (ended["ended_by"], ended["active"]) == ("head_khcn", False)
    by_the_head_above = on_leave(auth, by="head_khcn", absent="head_qlkh", substitute="expert2")
    assert by_the_head_above["set_by"] == "head_khcn"
    mine = auth.as_("expert2").get(f"{API}/substitutes").get_json()["items"]
    assert [(s["absent"], s["substitute"]) for s in mine] == [("head_qlkh", "expert2")]
    assert len(auth.as_("hr").get(f"{API}/substitutes").get_json()["items"]) == 2
    kinds = [e["type"] for e in auth.as_("auditor").get(f"{API}/audit/verify").get_json()["breaks"]]
    assert kinds == []


def test_the_approvers_decisions_pass_only_to_another_approver(auth, store):
    with unchanged(store):
        error = refused(auth, "approver", 403, "substitute_lacks_role", absent="approver")
    assert error["details"] == {"roles": ["approver"]}


def test_a_council_members_scoring_task_is_never_done_by_their_substitute(auth, service, manual_clock, store):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70})
    close_remarking(auth, service, manual_clock)
    sheet = task_of(auth, "member1", case_id, "score_round2")
    set_substitute(auth, "hr", absent="member1", substitute="member4", starts_on=today(), ends_on=today())
    assert auth.as_("member4").get(f"{API}/tasks?scope=all").get_json()["items"] == []
    with unchanged(store):
        error = error_of(submit(auth, "member4", sheet["id"], {"scores": [
            {"candidate_code": "TS01", "score": 90}, {"candidate_code": "TS02", "score": 60}]}),
            403, "task_not_delegable")
        error_of(auth.as_("member4").post(f"{API}/tasks/{sheet['id']}/claim"), 403, "task_not_delegable")
    assert "council seat" in error["message"]
    with unchanged(store):  # refused for being a seat, before the form is even read
        error_of(submit(auth, "member4", sheet["id"], {}), 403, "task_not_delegable")
        # the seat's case is not theirs to see: its spreadsheet is as missing as any unknown task's
        error_of(auth.as_("member4").get(f"{API}/tasks/{sheet['id']}/sheet.xlsx"), 404, "not_found")


def test_a_fellow_council_member_standing_in_is_told_the_seat_is_personal_at_the_spreadsheet_too(
        auth, service, manual_clock, store):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70})
    close_remarking(auth, service, manual_clock)
    sheet = task_of(auth, "member1", case_id, "score_round2")
    set_substitute(auth, "hr", absent="member1", substitute="member2", starts_on=today(), ends_on=today())
    with unchanged(store):  # member2 sees the case (their own seat), not member1's sheet to fill
        error_of(auth.as_("member2").get(f"{API}/tasks/{sheet['id']}/sheet.xlsx"), 403, "task_not_delegable")


def test_an_approvers_substitute_decides_only_while_holding_the_approver_role(auth, store):
    with store.transaction() as session:
        grant_role(session, get_user(session, "expert2"), "approver", granted_by="admin")
    review = start_review(auth)
    consolidation = ready_task(review, "consolidate_review")
    decision = ready_task(complete(auth, "hr", consolidation["id"], {"overrides": []}), "approve_review_list")
    set_substitute(auth, "approver", substitute="expert2", starts_on="2026-03-02", ends_on="2026-03-06")
    with store.transaction() as session:  # expert2 is no longer an approver: the decision does not pass
        revoke_role(session, get_user(session, "expert2"), "approver", revoked_by="admin")
    with unchanged(store):
        error_of(submit(auth, "expert2", decision["id"], {"decision": "approve"}), 403, "substitute_lacks_role")
    assert complete(auth, "approver", decision["id"], {"decision": "approve"})["status"] == "approved"


def test_a_substitutes_failed_step_and_its_retry_say_for_whom_they_were_done(auth, store, failing):  # noqa: F811
    case, task = failing  # head_khcn's own task: they started the case
    on_leave(auth)
    error_of(complete_failing(auth, task, user="expert1"), 422, "case_error")
    error_of(auth.as_("admin").post(f"{API}/cases/{case['id']}/retry"), 422, "case_error")
    events = history(auth, "auditor", case["id"])
    assert [(e["type"], e["actor"], e["on_behalf_of"]) for e in events[-3:]] == [
        ("case_failed", "expert1", "head_khcn"), ("case_retried", "admin", "head_khcn"),
        ("case_failed", "admin", "head_khcn")]
    assert auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay").get_json()["consistent"] is True
