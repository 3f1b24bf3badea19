"""Every task of the leadership exam shows its due date and reminds its people before it (issue 12).

Each test runs one stretch of an exam through the API on a moved clock: the tasks
of that stretch carry a due date in working days (in the task JSON and on the task
page), the reminder 2 working days before it fires at 08:00 and not a second
earlier, and a changed setting reaches only the exams started after it. Rejected
applicants are told through a task of hr's own, beside the exam.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from engine.store.models import Event, Notification
from engine.time.calendar import BusinessCalendar
from engine.time.clock import CITY_ZONE
from tests.api.support import error_of, unchanged
from tests.web.support import signed_in
from tests.workflows.exam_support import (close_registration, close_remarking, declare, declare_all, do,
                                          exam_with_marks, get_case, record_marks, score_all, screen, start_exam,
                                          submit, task_of, tasks_named, tell_rejected)
from workflows import settings

CALENDAR = BusinessCalendar()
SECOND = timedelta(seconds=1)


def local(day: str, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A moment in Hai Phong (``day`` as YYYY-MM-DD), in UTC as the API answers."""
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, second=second,
                                               tzinfo=CITY_ZONE).astimezone(timezone.utc)


def end_of(day: str) -> datetime:
    return local(day, 23, 59, 59)


def due_in_working_days(task: dict[str, Any], created: datetime, days: int, last_day: str) -> datetime:
    """The task is due at the end of the ``days``-th working day after ``created`` (``last_day``)."""
    due = CALENDAR.add_working_days(created, days)
    assert due == end_of(last_day), (task["element_id"], due)
    assert task["due_at"] == due.isoformat(), task["element_id"]
    return due


def page_shows_due(app: Any, user: str, task: dict[str, Any]) -> None:
    """The task page tells its doer the due date, in city time."""
    shown = datetime.fromisoformat(task["due_at"]).astimezone(CITY_ZONE).strftime("%d/%m/%Y %H:%M")
    html = signed_in(app, user).get(f"/tasks/{task['id']}")
    assert shown in html.split("</dl>")[0], (task["element_id"], shown)


def reminded_exactly_at(auth: Any, service: Any, manual_clock: Any, at: datetime, case_id: int,
                        *reminders: str) -> None:
    """Nothing of the case fires up to ``at``; a second later exactly ``reminders`` do."""
    auth._tokens.clear()  # days later, people log in again
    manual_clock.set(at)
    assert case_id not in service.fire_due()
    manual_clock.set(at + SECOND)
    assert set(service.fire_due().get(case_id, [])) == set(reminders)


def reminder_time(due: datetime) -> datetime:
    """08:00 on the 2nd working day before the due day."""
    return CALENDAR.working_days_before(due, 2)


def notes(store: Any, case_id: int) -> list[tuple[str, bool, str | None]]:
    """(kind, personal, role) of the case's notifications, oldest first."""
    with store.read() as session:
        return [(n.kind, n.user_id is not None, n.role) for n in session.scalars(
            select(Notification).where(Notification.case_id == case_id).order_by(Notification.id))]


def noted_tasks(store: Any, case_id: int) -> list[str | None]:
    """The task each of the case's notifications is about, oldest first."""
    with store.read() as session:
        return list(session.scalars(select(Notification.task_id).where(Notification.case_id == case_id)
                                    .order_by(Notification.id)))


def reminders_of(store: Any, case_id: int, timer: str) -> list[str | None]:
    """The task of each ``reminder_sent`` event of the case's ``timer``, oldest first."""
    with store.read() as session:
        return [event.task_id for event in session.scalars(
            select(Event).where(Event.case_id == case_id, Event.type == "reminder_sent").order_by(Event.seq))
            if event.data["timer"] == timer]


def test_too_few_eligible_hr_has_5_working_days_to_decide_and_to_tell_the_rejected(
        app, auth, service, store, manual_clock):
    case = start_exam(auth)
    close_registration(auth, service, manual_clock)  # Thursday 2 April 2026
    screened = manual_clock.now()
    screen(auth, case["id"], "TS01", rejected=("TS02",))
    decide, notice = (task_of(auth, "hr", case["id"], e) for e in ("decide_shortfall", "notify_rejected"))
    due = due_in_working_days(decide, screened, 5, "2026-04-09")
    due_in_working_days(notice, screened, 5, "2026-04-09")
    page_shows_due(app, "hr", decide)
    page_shows_due(app, "hr", notice)

    assert reminder_time(due) == local("2026-04-07", 8)
    reminded_exactly_at(auth, service, manual_clock, reminder_time(due), case["id"],
                        "decide_shortfall_reminder", "rejection_notice_reminder")
    assert notes(store, case["id"]) == [("reminder", False, "hr_officer")] * 2  # unclaimed: hr's inbox


def test_the_rejected_are_told_by_the_5th_working_day_across_30_april_and_1_may(
        app, auth, service, store, manual_clock):
    case_id = start_exam(auth)["id"]
    manual_clock.set(local("2026-04-28", 9))  # registration closed long ago; hr screens on Tuesday 28 April
    auth._tokens.clear()
    assert service.fire_due() == {case_id: ["registration_closes"]}
    screen(auth, case_id, "TS01", "TS02", rejected=("TS05", "TS06"))
    notice = task_of(auth, "hr", case_id, "notify_rejected")
    # Wed 29; Thu 30 April and Fri 1 May are holidays; Mon 4, Tue 5, Wed 6, Thu 7 May
    due = due_in_working_days(notice, local("2026-04-28", 9), 5, "2026-05-07")
    page_shows_due(app, "hr", notice)
    declare_all(auth, case_id)
    record_marks(auth, case_id, {"TS01": 80, "TS02": 70})  # nothing else of the exam is due before the notice

    reminded_exactly_at(auth, service, manual_clock, local("2026-05-05", 8), case_id, "rejection_notice_reminder")
    assert reminder_time(due) == local("2026-05-05", 8)
    assert notes(store, case_id) == [("reminder", False, "hr_officer")]

    wrong = {"an applicant who was admitted": [("TS05", "2026-05-04"), ("TS06", "2026-05-04"), ("TS01", "2026-05-04")],
             "one left out": [("TS05", "2026-05-04")],
             "told tomorrow": [("TS05", "2026-05-04"), ("TS06", "2026-05-06")],
             "told before the screening": [("TS05", "2026-04-27"), ("TS06", "2026-05-04")]}
    for why, rows in wrong.items():
        with unchanged(store):
            error = error_of(submit(auth, "hr", notice["id"], {"notices": [
                {"code": code, "how": "letter", "told_on": day} for code, day in rows]}), 422)
        assert "notices" in error["details"], why
    with unchanged(store):
        error = error_of(submit(auth, "hr", notice["id"], {"notices": [
            {"code": "TS05", "how": "letter", "told_on": "2026-05-04"}] * 2 + [
            {"code": "TS06", "how": "letter", "told_on": "2026-05-04"}]}), 422)
    assert "TS05" in str(error["details"]["notices"])  # named twice
    with unchanged(store):
        error = error_of(submit(auth, "hr", notice["id"], {"notices": [
            {"code": "TS05", "how": "pigeon", "told_on": "2026-05-04"}]}), 422)

    case = do(auth, "hr", case_id, "notify_rejected", {"notices": [
        {"code": "TS05", "how": "letter", "told_on": "2026-04-29", "reference": "12/TB-SNV"},
        {"code": "TS06", "how": "in_person", "told_on": "2026-05-05"}]})
    [screening] = case["data"]["data_objects"]["notice_record"]["screenings"]
    assert (screening["screened_on"], screening["recorded_on"]) == ("2026-04-28", "2026-05-05")
    assert [(n["code"], n["full_name"], n["how"], n["told_on"]) for n in screening["notices"]] == [
        ("TS05", "Phạm Thu Giang", "letter", "2026-04-29"), ("TS06", "Vũ Minh Hòa", "in_person", "2026-05-05")]
    assert [t["element_id"] for t in case["tasks"]] == ["record_remarks"]  # the exam went on meanwhile
    page = signed_in(app, "hr").get(f"/cases/{case_id}/council")
    assert "12/TB-SNV" in page and "Trao trực tiếp (có ký nhận)" in page and "Vũ Minh Hòa" in page


def test_council_members_declare_within_3_working_days_and_the_secretary_marks_within_10(
        app, auth, service, store, manual_clock):
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    screened = manual_clock.now()  # Thursday 2 April
    screen(auth, case_id, "TS01", "TS02", "TS03")
    declarations = tasks_named(auth, case_id, "declare_conflict")
    assert len(declarations) == 5
    for task in declarations:
        declared_by = due_in_working_days(task, screened, 3, "2026-04-07")
    page_shows_due(app, "member1", task_of(auth, "member1", case_id, "declare_conflict"))
    marks = task_of(auth, "secretary", case_id, "record_written_marks")
    marked_by = due_in_working_days(marks, screened, 10, "2026-04-16")
    page_shows_due(app, "secretary", marks)

    reminded_exactly_at(auth, service, manual_clock, reminder_time(declared_by), case_id, "declare_conflict_reminder")
    assert reminder_time(declared_by) == local("2026-04-03", 8)
    assert notes(store, case_id) == [("reminder", True, None)] * 5  # each member, personally
    declare_all(auth, case_id)
    reminded_exactly_at(auth, service, manual_clock, reminder_time(marked_by), case_id,
                        "record_written_marks_reminder")
    assert notes(store, case_id)[5:] == [("reminder", False, "council_secretary")]


def test_a_conflicted_member_is_replaced_within_5_working_days_and_the_newcomer_declares_within_3(
        app, auth, service, store, manual_clock):
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    screen(auth, case_id, "TS01", "TS02", "TS03")
    declare(auth, "member1", case_id, [{"candidate_code": "TS02", "relation": "spouse"}])
    declare_all(auth, case_id, ["chair", "secretary", "member2", "member3"])
    declared = manual_clock.now()
    replace = task_of(auth, "hr", case_id, "replace_members")
    due = due_in_working_days(replace, declared, 5, "2026-04-09")
    page_shows_due(app, "hr", replace)

    reminded_exactly_at(auth, service, manual_clock, reminder_time(due), case_id, "replace_members_reminder")
    assert notes(store, case_id) == [("reminder", False, "hr_officer")]
    do(auth, "hr", case_id, "replace_members",
       {"replacements": [{"replaced": "member1", "replacement": "member4", "reason": "Vợ của TS02"}]})
    newcomer = task_of(auth, "member4", case_id, "declare_conflict")
    due_in_working_days(newcomer, manual_clock.now(), 3, "2026-04-10")  # from Tuesday 7 April
    page_shows_due(app, "member4", newcomer)


def test_re_marks_are_due_when_the_window_closes_and_the_secretary_is_reminded_2_working_days_before(
        app, auth, service, store, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 48})
    closes = datetime.fromisoformat(get_case(auth, "hr", case_id)["data"]["remark_deadline"])
    assert closes == end_of("2026-04-17")  # 15 days from Thursday 2 April
    remarks = task_of(auth, "secretary", case_id, "record_remarks")
    assert remarks["due_at"] == closes.isoformat()
    page_shows_due(app, "secretary", remarks)
    do(auth, "secretary", case_id, "record_remarks",
       {"remarks": [{"candidate_code": "TS02", "new_mark": 52, "request_ref": "PK-02/2026"}]})
    assert task_of(auth, "secretary", case_id, "record_remarks")["due_at"] == closes.isoformat()  # the same window

    reminded_exactly_at(auth, service, manual_clock, local("2026-04-15", 8), case_id, "record_remarks_reminder")
    assert reminder_time(closes) == local("2026-04-15", 8)
    assert notes(store, case_id) == [("reminder", False, "council_secretary")]


def test_round_2_scores_a_tie_choice_and_the_chair_s_confirmation_are_due_and_reminded(
        app, auth, service, store, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 70, "TS02": 70})
    close_remarking(auth, service, manual_clock)
    opened = manual_clock.now()  # Saturday 18 April
    sheets = tasks_named(auth, case_id, "score_round2")
    assert len(sheets) == 5
    for sheet in sheets:
        scored_by = due_in_working_days(sheet, opened, 5, "2026-04-24")
    page_shows_due(app, "member2", task_of(auth, "member2", case_id, "score_round2"))
    before = len(notes(store, case_id))
    reminded_exactly_at(auth, service, manual_clock, reminder_time(scored_by), case_id, "score_round2_reminder")
    assert notes(store, case_id)[before:] == [("reminder", True, None)] * 5

    score_all(auth, case_id, {"TS01": [60, 70, 65, 65, 65], "TS02": [65] * 5})  # tied on total and round 2
    tied = manual_clock.now()  # Wednesday 22 April
    choice = task_of(auth, "approver", case_id, "choose_winner")
    # Thu 23, Fri 24; Mon 27 April (Hùng Kings, observed), 30 April and 1 May are holidays; Tue 28, Wed 29, Mon 4
    chosen_by = due_in_working_days(choice, tied, 5, "2026-05-04")
    page_shows_due(app, "approver", choice)
    reminded_exactly_at(auth, service, manual_clock, reminder_time(chosen_by), case_id, "choose_winner_reminder")
    assert notes(store, case_id)[-1] == ("reminder", False, "approver")

    do(auth, "approver", case_id, "choose_winner", {"chosen_candidate": "TS01", "choice_reason": "Đề án khả thi hơn"})
    confirm = task_of(auth, "chair", case_id, "confirm_results")
    confirmed_by = due_in_working_days(confirm, manual_clock.now(), 3, "2026-05-05")  # from Wednesday 29 April
    page_shows_due(app, "chair", confirm)
    reminded_exactly_at(auth, service, manual_clock, reminder_time(confirmed_by), case_id, "confirm_results_reminder")
    assert notes(store, case_id)[-1] == ("reminder", False, "council_chair")
    case = do(auth, "chair", case_id, "confirm_results", {"results_confirmed": True})
    assert [t["element_id"] for t in case["tasks"]] == ["appointment_decision"]


def test_a_changed_deadline_setting_applies_to_exams_started_after_it_only(auth, service, manual_clock):
    before = start_exam(auth)["id"]
    previous = settings.use({("leadership_exam", "declare_conflict_working_days"): 7,
                             ("leadership_exam", "rejection_notice_working_days"): 10})
    try:
        after = start_exam(auth, unit="SGDDT")["id"]
    finally:
        settings.use(previous)
    close_registration(auth, service, manual_clock)
    screened = manual_clock.now()  # Thursday 2 April, for both
    for case_id in (before, after):
        screen(auth, case_id, "TS01", "TS02", rejected=("TS06",))

    assert get_case(auth, "hr", before)["data"]["exam_rules"]["declare_conflict_working_days"] == 3
    due_in_working_days(task_of(auth, "member1", before, "declare_conflict"), screened, 3, "2026-04-07")
    due_in_working_days(task_of(auth, "hr", before, "notify_rejected"), screened, 5, "2026-04-09")
    rules = get_case(auth, "hr", after)["data"]["exam_rules"]
    assert (rules["declare_conflict_working_days"], rules["rejection_notice_working_days"]) == (7, 10)
    due_in_working_days(task_of(auth, "member1", after, "declare_conflict"), screened, 7, "2026-04-13")
    due_in_working_days(task_of(auth, "hr", after, "notify_rejected"), screened, 10, "2026-04-16")
    tell_rejected(auth, after, "TS06")


def notice_tasks(auth: Any, case_id: int) -> dict[str, dict[str, Any]]:
    """The case's ready notice tasks by the screening each is for (its subject)."""
    return {task["subject"].split(" / ")[0]: task for task in tasks_named(auth, case_id, "notify_rejected")}


def test_two_notice_tasks_open_at_once_each_keep_their_own_screening_due_date_and_reminder(
        auth, service, store, manual_clock):
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)  # Thursday 2 April 2026
    screen(auth, case_id, "TS01", rejected=("TS02",))  # too few: hr extends, and does not tell TS02 yet
    do(auth, "hr", case_id, "decide_shortfall", {"shortfall_decision": "extend"})
    first = notice_tasks(auth, case_id)["Sơ tuyển lần 1"]
    close_registration(auth, service, manual_clock)  # 31 days on: the first notice is late (escalated)
    screened = manual_clock.now()
    screen(auth, case_id, "TS01", "TS04", rejected=("TS03",))
    tasks = notice_tasks(auth, case_id)
    assert set(tasks) == {"Sơ tuyển lần 1", "Sơ tuyển lần 2"}
    second = tasks["Sơ tuyển lần 2"]
    assert tasks["Sơ tuyển lần 1"]["due_at"] == first["due_at"]  # still the first screening's
    second_due = CALENDAR.add_working_days(screened, 5)
    assert second["due_at"] == second_due.isoformat() != first["due_at"]
    record = get_case(auth, "hr", case_id)["data"]["data_objects"]["notice_record"]
    assert [(s["screening"], s["due"]) for s in record["screenings"]] == [
        (1, first["due_at"]), (2, second_due.isoformat())]

    # the second screening's task is for TS03, whom the first screening never saw; TS02 is the first's
    with unchanged(store):
        error = error_of(submit(auth, "hr", second["id"], {"notices": [
            {"code": "TS02", "how": "letter", "told_on": screened.astimezone(CITY_ZONE).date().isoformat()}]}), 422)
    assert "TS02" in str(error["details"]["notices"]) and "TS03" in str(error["details"]["notices"])
    with unchanged(store):
        error_of(submit(auth, "hr", first["id"], {"notices": [
            {"code": "TS03", "how": "letter", "told_on": screened.astimezone(CITY_ZONE).date().isoformat()}]}), 422)

    # the second screening's reminder comes 2 working days before its own due date
    manual_clock.set(reminder_time(second_due) - SECOND)
    service.fire_due()  # the exam's own reminders of the meantime (declarations)
    before = len(notes(store, case_id))
    reminded_exactly_at(auth, service, manual_clock, reminder_time(second_due), case_id, "rejection_notice_reminder")
    # hr's inbox is reminded of the second notice alone: the first, overdue one is not named again
    assert notes(store, case_id)[before:] == [("reminder", False, "hr_officer")]
    assert noted_tasks(store, case_id)[before:] == [second["id"]]
    assert reminders_of(store, case_id, "rejection_notice_reminder")[-1] == second["id"]

    response = submit(auth, "hr", second["id"], {"notices": [
        {"code": "TS03", "how": "email", "told_on": screened.astimezone(CITY_ZONE).date().isoformat()}]})
    assert response.status_code == 200, response.get_json()
    record = response.get_json()["data"]["data_objects"]["notice_record"]
    assert [(s["screening"], [n["code"] for n in s["notices"] or []]) for s in record["screenings"]] == [
        (1, []), (2, ["TS03"])]
    assert list(notice_tasks(auth, case_id)) == ["Sơ tuyển lần 1"]
    case = tell_rejected(auth, case_id, "TS02")
    assert [(s["screening"], [n["code"] for n in s["notices"]]) for s in
            case["data"]["data_objects"]["notice_record"]["screenings"]] == [(1, ["TS02"]), (2, ["TS03"])]


def test_an_exam_ended_with_a_notice_outstanding_keeps_running_and_hr_is_escalated_5_working_days_late(
        auth, service, store, manual_clock):
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    screened = manual_clock.now()  # Thursday 2 April 2026
    screen(auth, case_id, "TS01", rejected=("TS02",))
    case = do(auth, "hr", case_id, "decide_shortfall", {"shortfall_decision": "cancel"})
    assert case["status"] == "running" and case["data"]["case_outcome"] == "cancelled_insufficient_candidates"
    due = CALENDAR.add_working_days(screened, 5)
    assert task_of(auth, "hr", case_id, "notify_rejected")["due_at"] == due.isoformat()

    manual_clock.set(reminder_time(due) + SECOND)
    assert service.fire_due() == {case_id: ["rejection_notice_reminder"]}
    late = CALENDAR.add_working_days(due, 5)  # the end of the 5th working day after the due date
    assert late == end_of("2026-04-16")
    reminded_exactly_at(auth, service, manual_clock, late, case_id, "rejection_notice_escalation")
    assert [n for n in notes(store, case_id) if n[0] == "escalation"] == [("escalation", False, "hr_officer")]
    assert get_case(auth, "hr", case_id)["status"] == "running"
    case = tell_rejected(auth, case_id, "TS02")
    assert case["status"] == "cancelled_insufficient_candidates"


def test_the_re_marks_reminder_across_tet_comes_when_the_window_opens_not_before_it(
        auth, service, store, manual_clock):
    previous = settings.use({("leadership_exam", "remark_days"): 7})
    try:
        case_id = start_exam(auth)["id"]
    finally:
        settings.use(previous)
    opened = local("2027-02-03", 10)  # Wednesday; Tết holidays run from Thursday 4 to Wednesday 10 February
    manual_clock.set(opened)
    auth._tokens.clear()
    assert service.fire_due() == {case_id: ["registration_closes"]}
    screen(auth, case_id, "TS01", "TS02")
    declare_all(auth, case_id)
    record_marks(auth, case_id, {"TS01": 80, "TS02": 48})
    closes = datetime.fromisoformat(get_case(auth, "hr", case_id)["data"]["remark_deadline"])
    assert closes == end_of("2027-02-10")
    assert task_of(auth, "secretary", case_id, "record_remarks")["due_at"] == closes.isoformat()
    assert reminder_time(closes) == local("2027-02-02", 8)  # 2 working days before: the day before it opened

    manual_clock.set(opened + SECOND)
    assert service.fire_due() == {case_id: ["record_remarks_reminder"]}
    assert notes(store, case_id) == [("reminder", False, "council_secretary")]


def test_screening_is_reminded_at_8_on_the_2nd_working_day_before_it_is_due(app, auth, service, store, manual_clock):
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)  # Thursday 2 April 2026; due in 15 days
    screening = task_of(auth, "hr", case_id, "screen_applications")
    assert screening["due_at"] == end_of("2026-04-17").isoformat()
    page_shows_due(app, "hr", screening)
    reminded_exactly_at(auth, service, manual_clock, local("2026-04-15", 8), case_id, "screening_reminder")
    assert reminder_time(end_of("2026-04-17")) == local("2026-04-15", 8)
    assert notes(store, case_id) == [("reminder", False, "hr_officer")]


def test_the_appointment_decision_is_reminded_2_working_days_before_and_escalated_5_late(
        app, auth, service, store, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 70, "TS02": 60})
    close_remarking(auth, service, manual_clock)
    score_all(auth, case_id, {"TS01": [70] * 5, "TS02": [60] * 5})
    do(auth, "chair", case_id, "confirm_results", {"results_confirmed": True})
    decision = task_of(auth, "approver", case_id, "appointment_decision")
    due = CALENDAR.add_working_days(manual_clock.now(), 10)
    assert decision["due_at"] == due.isoformat()
    page_shows_due(app, "approver", decision)
    manual_clock.set(reminder_time(due) - SECOND)
    service.fire_due()
    before = len(notes(store, case_id))
    reminded_exactly_at(auth, service, manual_clock, reminder_time(due), case_id, "decision_reminder")
    reminded_exactly_at(auth, service, manual_clock, CALENDAR.add_working_days(due, 5), case_id,
                        "decision_escalation")
    assert notes(store, case_id)[before:] == [("reminder", False, "approver"), ("escalation", False, "approver"),
                                               ("escalation", False, "hr_officer")]
