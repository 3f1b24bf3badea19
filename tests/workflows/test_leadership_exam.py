"""The leadership exam end to end through the HTTP API, one test per path of DOMAIN.md "Process 2"."""
from __future__ import annotations

from tests.api.support import error_of, unchanged
from tests.workflows.exam_support import (API, close_registration, close_remarking, days_pass, declare,
                                          declare_all, do, exam_with_marks, get_case, plan, record_marks, score,
                                          score_all, screen, start_exam, submit, task_of, tasks_named, tell_rejected)
from workflows.leadership_exam import REMARK_DAYS

FIVE = {"TS01": 80, "TS02": 62, "TS03": 48, "TS04": 55, "TS05": 30}


def history_types(auth, case_id):  # type: ignore[no-untyped-def]
    return [e["type"] for e in auth.as_("auditor").get(f"{API}/cases/{case_id}/history").get_json()]


def test_five_candidates_through_both_rounds_where_a_re_mark_changes_the_winner(auth, service, manual_clock):
    case = start_exam(auth)
    assert case["status"] == "running" and case["tasks"] == []  # registration is open
    assert case["data"]["exam_rules"]["pass_mark"] == 50 and case["data"]["registration_days"] == 30
    close_registration(auth, service, manual_clock)
    case = screen(auth, case["id"], *FIVE, rejected=("TS06",))
    assert [c["code"] for c in case["data"]["candidates"]] == list(FIVE)
    assert case["data"]["rejected"][0]["code"] == "TS06" and case["data"]["rejection_notice_due"]
    tell_rejected(auth, case["id"], "TS06")  # hr's notice runs beside the exam
    declare_all(auth, case["id"])
    case = record_marks(auth, case["id"], FIVE)
    assert case["data"]["round1_marks"]["TS03"] == 48  # below 50: out of round 2, unless re-marked

    case = do(auth, "secretary", case["id"], "record_remarks",
              {"remarks": [{"candidate_code": "TS03", "new_mark": 71, "request_ref": "PK-01/2026"}]})
    assert case["data"]["round1_marks"]["TS03"] == 71
    assert case["data"]["remark_log"][0] | {"on": None} == {"candidate_code": "TS03", "old_mark": 48, "new_mark": 71,
                                                           "request_ref": "PK-01/2026", "on": None}
    assert [t["element_id"] for t in case["tasks"]] == ["record_remarks"]  # open until the window closes
    close_remarking(auth, service, manual_clock)

    case = get_case(auth, "hr", case["id"])
    assert case["data"]["round2_candidates"] == ["TS01", "TS02", "TS03", "TS04"]  # TS05 failed the written round
    assert sorted(t["element_id"] for t in case["tasks"]) == ["score_round2"] * 5
    case = score_all(auth, case["id"], {"TS01": [60, 62, 58, 61, 59], "TS02": [70.01, 70, 70, 70, 70.02],
                                        "TS03": [75, 76, 74, 77, 73], "TS04": [45, 48, 50, 47, 46]})
    results = case["data"]["exam_results"]
    rows = {r["code"]: r for r in results["ranking"]}
    assert rows["TS02"]["round2"] == 70.01  # mean 70.006, to 2 decimals
    assert (rows["TS03"]["total"], rows["TS01"]["total"]) == (146, 140)  # without the re-mark TS01 would win
    assert rows["TS04"]["passed"] is False and rows["TS05"]["round2"] is None
    assert (results["outcome"], results["winner"]) == ("winner", "TS03")

    case = do(auth, "chair", case["id"], "confirm_results", {"results_confirmed": True})
    assert case["data"]["results_published_on"] == manual_clock.now().date().isoformat()
    case = do(auth, "approver", case["id"], "appointment_decision",
              {"appointment": "appoint", "decision_no": "123/QĐ-UBND", "effective_date": "2026-05-15"})
    assert case["status"] == "appointed"
    assert case["data"]["appointment_term"] == {"years": 5, "from": "2026-05-15", "until": "2031-05-15"}
    register = auth.as_("hr").get(f"{API}/appointments?year=2026").get_json()["items"]
    assert [(a["person_name"], a["via_exam"], a["level"], a["unit"], a["term_years"], a["source_case_id"])
            for a in register] == [("Chu Thị Châu", True, "giam_doc_so", "SKHCN", 5, case["id"])]
    assert "appointment_recorded" in history_types(auth, case["id"])


def test_council_seats_are_granted_per_case_so_members_see_only_their_own_council(auth, service, manual_clock):
    other_council = [{"username": u, "seat": s} for u, s in (("member4", "chair"), ("member5", "secretary"),
                                                             ("member6", "member"), ("member7", "member"),
                                                             ("expert1", "member"))]
    ours, theirs = start_exam(auth)["id"], start_exam(auth, council=other_council, unit="SGDDT")["id"]
    close_registration(auth, service, manual_clock)
    screen(auth, ours, "TS01", "TS02")
    screen(auth, theirs, "TS03", "TS04")

    mine = auth.as_("member1").get(f"{API}/tasks?scope=all").get_json()["items"]
    assert [(t["case_id"], t["element_id"]) for t in mine] == [(ours, "declare_conflict")]
    assert [t["case_id"] for t in auth.as_("member5").get(f"{API}/tasks?scope=all").get_json()["items"]] == \
        [theirs, theirs]  # their secretary: a declaration and the written marks
    error_of(auth.as_("member1").get(f"{API}/cases/{theirs}"), 404)
    assert get_case(auth, "member1", ours)["id"] == ours


def test_a_tie_on_total_goes_to_the_higher_round_2_score(auth, service, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70, "TS03": 50})
    close_remarking(auth, service, manual_clock)
    case = score_all(auth, case_id, {"TS01": [60] * 5, "TS02": [70] * 5, "TS03": [50] * 5})
    results = case["data"]["exam_results"]
    assert [(r["code"], r["total"]) for r in results["ranking"][:2]] == [("TS02", 140), ("TS01", 140)]
    assert (results["winner"], results["decided_by"]) == ("TS02", "round2")
    assert [t["element_id"] for t in case["tasks"]] == ["confirm_results"]  # nothing left to the approver
    assert tasks_named(auth, case_id, "choose_winner") == []


def test_a_tie_on_total_and_round_2_is_left_to_the_approver_who_may_then_decline(auth, service, manual_clock, store):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 70, "TS02": 70, "TS03": 90})
    close_remarking(auth, service, manual_clock)
    case = score_all(auth, case_id, {"TS01": [60, 70, 65, 65, 65], "TS02": [65] * 5, "TS03": [40] * 5})
    assert case["data"]["exam_results"]["outcome"] == "tie"
    assert case["data"]["exam_results"]["tied"] == ["TS01", "TS02"]
    choice = task_of(auth, "approver", case_id, "choose_winner")
    with unchanged(store):
        error = error_of(submit(auth, "approver", choice["id"], {"chosen_candidate": "TS03",
                                                                 "choice_reason": "Điểm vòng 1 cao nhất"}), 422)
    assert "chosen_candidate" in error["details"]

    case = do(auth, "approver", case_id, "choose_winner",
              {"chosen_candidate": "TS01", "choice_reason": "Đề án phù hợp định hướng phát triển của Sở"})
    assert (case["data"]["exam_results"]["winner"], case["data"]["exam_results"]["decided_by"]) == ("TS01", "approver")
    do(auth, "chair", case_id, "confirm_results", {"results_confirmed": True})
    case = do(auth, "approver", case_id, "appointment_decision",
              {"appointment": "decline", "decline_reason": "Chờ sắp xếp tổ chức bộ máy"})
    assert case["status"] == "declined"
    assert auth.as_("hr").get(f"{API}/appointments").get_json()["items"] == []


def test_too_few_eligible_candidates_and_hr_cancels_once_the_rejected_are_told(auth, service, manual_clock):
    case = start_exam(auth)
    close_registration(auth, service, manual_clock)
    case = screen(auth, case["id"], "TS01", rejected=("TS02", "TS03"))
    assert sorted(t["element_id"] for t in case["tasks"]) == ["decide_shortfall", "notify_rejected"]
    case = do(auth, "hr", case["id"], "decide_shortfall", {"shortfall_decision": "cancel"})
    # the exam is over, but telling the rejected is a legal duty: the case ends once it is done
    assert case["status"] == "running" and [t["element_id"] for t in case["tasks"]] == ["notify_rejected"]
    assert case["data"]["case_outcome"] == "cancelled_insufficient_candidates"
    case = tell_rejected(auth, case["id"], "TS02", "TS03")
    assert case["status"] == "cancelled_insufficient_candidates" and case["tasks"] == []
    [screening] = case["data"]["data_objects"]["notice_record"]["screenings"]
    assert [(n["code"], n["how"]) for n in screening["notices"]] == [("TS02", "letter"), ("TS03", "letter")]


def test_registration_is_extended_once_and_a_second_shortfall_cancels(auth, service, manual_clock, store):
    case = start_exam(auth)
    close_registration(auth, service, manual_clock)
    screen(auth, case["id"], "TS01", rejected=("TS02",))
    case = do(auth, "hr", case["id"], "decide_shortfall", {"shortfall_decision": "extend"})
    assert [t["element_id"] for t in case["tasks"]] == ["notify_rejected"]
    assert case["data"]["registration_extensions"] == 1
    tell_rejected(auth, case["id"], "TS02", how="email")
    days_pass(auth, manual_clock, 29)
    assert service.fire_due() == {}  # the new window runs 30 days from the extension
    close_registration(auth, service, manual_clock, days=2)

    case = screen(auth, case["id"], "TS01", rejected=("TS02", "TS03"))
    assert case["data"]["case_outcome"] == "cancelled_insufficient_candidates"  # no second extension is offered
    assert len(tasks_named(auth, case["id"], "decide_shortfall")) == 0
    # the second screening is a new decision: TS02 is told again, with TS03
    case = tell_rejected(auth, case["id"], "TS02", "TS03")
    assert case["status"] == "cancelled_insufficient_candidates"
    assert [[(n["code"], n["how"]) for n in s["notices"]]
            for s in case["data"]["data_objects"]["notice_record"]["screenings"]] == \
        [[("TS02", "email")], [("TS02", "letter"), ("TS03", "letter")]]
    assert history_types(auth, case["id"]).count("timer_fired") == 2  # the two registration deadlines


def test_a_conflicted_secretary_may_not_mark_and_is_replaced_before_scoring(auth, service, manual_clock, store):
    case = start_exam(auth)
    close_registration(auth, service, manual_clock)
    screen(auth, case["id"], "TS01", "TS02", "TS03")
    declare(auth, "member1", case["id"], [{"candidate_code": "TS01", "relation": "other"}])  # a former colleague
    case = declare(auth, "secretary", case["id"], [{"candidate_code": "TS02", "relation": "sibling"}])
    record = case["data"]["data_objects"]["council_record"]
    assert record["declarations"]["secretary"]["has_conflict"] is True
    assert record["declarations"]["member1"]["has_conflict"] is False
    marks = task_of(auth, "secretary", case["id"], "record_written_marks")
    with unchanged(store):  # their marks are refused while they still hold the seat
        error = error_of(submit(auth, "secretary", marks["id"],
                                {"marks": [{"candidate_code": c, "mark": 70} for c in ("TS01", "TS02", "TS03")]}), 422)
    assert "marks" in error["details"]

    declare_all(auth, case["id"], ["chair", "member2", "member3"])
    replace = task_of(auth, "hr", case["id"], "replace_members")
    for wrong in ({"replaced": "member1", "replacement": "member4"}, {"replaced": "secretary", "replacement": "chair"},
                  {"replaced": "secretary", "replacement": "no_such_user"}):
        with unchanged(store):
            error_of(submit(auth, "hr", replace["id"], {"replacements": [wrong]}), 422)
    case = do(auth, "hr", case["id"], "replace_members",
              {"replacements": [{"replaced": "secretary", "replacement": "member4", "reason": "Em ruột của TS02"}]})
    seats = case["data"]["data_objects"]["council_record"]["seats"]
    assert {"username": "member4", "seat": "secretary"} in seats and "secretary" not in [s["username"] for s in seats]
    assert "role_revoked" in history_types(auth, case["id"])
    error_of(submit(auth, "secretary", marks["id"], {"marks": []}), 403)  # the seat, and the task, are gone
    former = auth.as_("secretary").get(f"{API}/cases/{case['id']}").get_json()["data"]
    assert set(former) <= {"post", "unit", "level", "requirements"}  # no applicants, marks or scores any more
    with unchanged(store):  # the new secretary declares before marking
        error_of(submit(auth, "member4", marks["id"], {"marks": [{"candidate_code": "TS01", "mark": 70}]}), 422)
    declare(auth, "member4", case["id"])
    record_marks(auth, case["id"], {"TS01": 70, "TS02": 80, "TS03": 60}, user="member4")
    close_remarking(auth, service, manual_clock)

    scorers = ["chair", "member4", "member1", "member2", "member3"]
    assert sorted(t["element_id"] for t in auth.as_("secretary").get(f"{API}/tasks?scope=all").get_json()["items"]) == []
    case = score_all(auth, case["id"], {"TS01": [60] * 5, "TS02": [55] * 5, "TS03": [80] * 5}, members=scorers)
    assert case["data"]["exam_results"]["winner"] == "TS03"


def test_scores_out_of_range_or_for_candidates_not_in_round_2_change_nothing(auth, service, manual_clock, store):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70, "TS03": 40})
    close_remarking(auth, service, manual_clock)
    sheet = task_of(auth, "member1", case_id, "score_round2")
    bad = {"above 100": {"TS01": 101, "TS02": 70}, "below 0": {"TS01": -1, "TS02": 70},
           "failed round 1": {"TS01": 70, "TS02": 70, "TS03": 70}, "unknown": {"TS01": 70, "TS02": 70, "TS99": 70},
           "missing one": {"TS01": 70}}
    for why, scores in bad.items():
        with unchanged(store):
            error = error_of(submit(auth, "member1", sheet["id"], {"scores": [
                {"candidate_code": c, "score": s} for c, s in scores.items()]}), 422)
        assert "scores" in error["details"], why
    case = score(auth, "member1", case_id, {"TS01": 70, "TS02": 70})
    assert len(case["tasks"]) == 4


def test_round_2_is_blind_until_every_member_has_scored(auth, service, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70})
    close_remarking(auth, service, manual_clock)
    score(auth, "chair", case_id, {"TS01": 91, "TS02": 62})
    score(auth, "member1", case_id, {"TS01": 88, "TS02": 64})
    for reader in ("member2", "chair", "hr"):
        seen = get_case(auth, reader, case_id)["data"]
        assert not {"scores", "score_sheet", "score_sheets", "exam_results"} & set(seen), reader
    own_task = task_of(auth, "member2", case_id, "score_round2")
    assert "scores" not in auth.as_("member2").get(f"{API}/tasks/{own_task['id']}").get_json()["case"]["data"]
    assert "scores" in get_case(auth, "auditor", case_id)["data"]  # the auditor reads everything
    for reader in ("member2", "hr"):  # nor through the history of the case
        history = auth.as_(reader).get(f"{API}/cases/{case_id}/history").get_json()
        submitted = [e["data"]["data"] for e in history if e["type"] == "task_completed"]
        assert submitted and not any("scores" in d for d in submitted), reader
    auditor_history = auth.as_("auditor").get(f"{API}/cases/{case_id}/history").get_json()
    assert any("scores" in e["data"].get("data", {}) for e in auditor_history if e["type"] == "task_completed")

    score_all(auth, case_id, {"TS01": [80, 80, 80], "TS02": [60, 60, 60]},
              members=["secretary", "member2", "member3"])
    seen = get_case(auth, "member2", case_id)["data"]
    assert {sheet["member"]: sheet["scores"]["TS01"] for sheet in seen["score_sheets"]}["chair"] == 91
    assert seen["exam_results"]["winner"] == "TS01"


def test_no_candidate_passing_the_written_round_ends_without_a_winner(auth, service, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 49.99, "TS02": 30})
    close_remarking(auth, service, manual_clock)
    case = get_case(auth, "hr", case_id)
    assert case["status"] == "no_winner" and case["tasks"] == []
    assert tasks_named(auth, case_id, "score_round2") == []


def test_a_plan_needs_a_council_of_5_or_7_with_one_chair_and_one_secretary(auth, store):
    seats = [{"username": f"member{i}", "seat": "member"} for i in range(1, 8)]
    chair, secretary = {"username": "chair", "seat": "chair"}, {"username": "secretary", "seat": "secretary"}
    wrong = {"six members": [chair, secretary, *seats[:4]], "four members": [chair, secretary, *seats[:2]],
             "no secretary": [chair, *seats[:4]], "two chairs": [chair, {"username": "member7", "seat": "chair"},
                                                                secretary, *seats[:2]],
             "a member twice": [chair, secretary, seats[0], seats[0], seats[1]]}
    for why, council in wrong.items():
        with unchanged(store):
            error = error_of(auth.as_("hr").post(f"{API}/cases", json={"process": "leadership_exam", "data": {
                **plan(), "council": council}}), 422)
        assert "council" in error["details"], why
    for field, value in (("first_appointment", False), ("level", "chu_tich"), ("unit", "NOWHERE")):
        with unchanged(store):
            error_of(auth.as_("hr").post(f"{API}/cases", json={"process": "leadership_exam",
                                                               "data": {**plan(), field: value}}), 422)
    with unchanged(store):
        error_of(auth.as_("head_khcn").post(f"{API}/cases", json={"process": "leadership_exam", "data": plan()}), 403)
    seven = start_exam(auth, council=[chair, secretary, *seats[:5]])
    assert len(seven["data"]["data_objects"]["council_record"]["seats"]) == 7
    assert REMARK_DAYS == seven["data"]["exam_rules"]["remark_days"]



def test_screening_is_due_within_15_days_of_the_registration_deadline(auth, service, manual_clock):
    from engine.time.calendar import days_from_now
    from workflows.leadership_exam import SCREENING_DAYS

    case = start_exam(auth)
    close_registration(auth, service, manual_clock)  # the screening task is created now
    screening = task_of(auth, "hr", case["id"], "screen_applications")
    assert screening["due_at"] == days_from_now(SCREENING_DAYS)
    assert screening["overdue"] is False
