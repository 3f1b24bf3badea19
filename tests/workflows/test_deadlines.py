"""Every timer of the programme's processes fires at its due time and not before (a moved clock).

Nomination: the verification reminder and escalation, the supplement deadline,
the decision reminder and escalation. Exam: registration closes, re-marking
closes. Review: the yearly start on 1 November, once however many executors run.
(The review's assessment deadline belongs to its per-talent child process.)
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from engine.time.calendar import BusinessCalendar
from engine.store.models import Case, Notification, ScheduledStart
from engine.time.executor import TimerExecutor
from tests.helpers import ready_task
from tests.workflows.exam_support import close_registration, exam_with_marks, get_case, start_exam
from tests.workflows.test_talent_nomination import COUNCIL, council_votes, nominate, verify
from workflows import annual_talent_review
from workflows.schedules import CYCLES

CALENDAR = BusinessCalendar()
SECOND = timedelta(seconds=1)


def fires_exactly_at(service, manual_clock, due: datetime, case_id: int, element: str, auth=None) -> None:  # type: ignore[no-untyped-def]
    """Nothing fires up to ``due``; just after it, ``element`` fires (and nothing else of the case)."""
    if auth is not None:
        auth._tokens.clear()  # days later, people log in again (tokens last hours)
    manual_clock.set(due)
    assert case_id not in service.fire_due()
    manual_clock.set(due + SECOND)
    assert service.fire_due().get(case_id) == [element]


def notes(store, case_id: int) -> list[tuple[str, int | None, str | None]]:  # type: ignore[no-untyped-def]
    with store.read() as session:
        return [(n.kind, n.user_id, n.role) for n in session.scalars(
            select(Notification).where(Notification.case_id == case_id).order_by(Notification.id))]


def test_a_verification_is_reminded_before_its_due_date_and_escalated_5_working_days_late(
        auth, service, store, manual_clock):
    start = manual_clock.now()  # Monday 2 March 2026
    case = nominate(auth)
    task = ready_task(case, "verify_dossier")
    assert task["due_at"] == CALENDAR.add_working_days(start, 15).isoformat()

    fires_exactly_at(service, manual_clock, CALENDAR.add_working_days(start, 13), case["id"], "verification_reminder")
    assert notes(store, case["id"]) == [("reminder", None, "hr_officer")]  # nobody claimed it: hr's inbox
    fires_exactly_at(service, manual_clock, CALENDAR.add_working_days(start, 20), case["id"],
                     "verification_escalation", auth)
    assert notes(store, case["id"])[1:] == [("escalation", None, "hr_officer"), ("escalation", None, "approver")]
    # late, but still hr's to do: the case goes on
    case = verify(auth, get_case(auth, "hr", case["id"]), verification_result="verified", council_members=COUNCIL)
    assert sorted(t["element_id"] for t in case["tasks"]) == ["council_vote"] * 4


def test_the_decision_is_reminded_and_escalated(auth, service, store, manual_clock):
    case = nominate(auth)
    case = verify(auth, case, verification_result="verified", council_members=COUNCIL)
    case = council_votes(auth, case, {m: "approve" for m in COUNCIL})
    decided_from = manual_clock.now()
    decision = ready_task(case, "recognition_decision")
    assert auth.as_("approver").post(f"/api/v1/tasks/{decision['id']}/claim").status_code == 200
    fires_exactly_at(service, manual_clock, CALENDAR.add_working_days(decided_from, 8), case["id"], "decision_reminder")
    fires_exactly_at(service, manual_clock, CALENDAR.add_working_days(decided_from, 15), case["id"],
                     "decision_escalation")
    approver_id = notes(store, case["id"])[0][1]
    assert approver_id is not None  # claimed: the reminder is personal
    assert notes(store, case["id"]) == [("reminder", approver_id, None), ("escalation", approver_id, None),
                                        ("escalation", None, "hr_officer")]


def test_an_unanswered_supplement_withdraws_the_nomination_after_10_working_days(auth, service, manual_clock):
    other = nominate(auth)
    other = verify(auth, other, verification_result="needs_supplement", verification_note="Thiếu bản sao bằng tiến sĩ")
    asked = manual_clock.now()
    fires_exactly_at(service, manual_clock, CALENDAR.add_working_days(asked, 10), other["id"], "supplement_deadline",
                     auth)
    assert get_case(auth, "hr", other["id"])["status"] == "withdrawn"


def test_registration_and_re_marking_close_at_their_deadlines(auth, service, manual_clock):
    case = start_exam(auth)
    deadline = datetime.fromisoformat(case["data"]["registration_deadline"])
    fires_exactly_at(service, manual_clock, deadline, case["id"], "registration_closes", auth)

    marked = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 62})
    remark = datetime.fromisoformat(get_case(auth, "hr", marked)["data"]["remark_deadline"])
    fires_exactly_at(service, manual_clock, CALENDAR.working_days_before(remark, 2), marked, "record_remarks_reminder",
                     auth)  # the secretary is reminded first (tests/workflows/test_exam_deadlines.py)
    fires_exactly_at(service, manual_clock, remark, marked, "remarking_closes", auth)
    assert [t["element_id"] for t in get_case(auth, "hr", marked)["tasks"]] == ["score_round2"] * 5


def test_the_yearly_review_starts_on_1_november_once_however_many_executors_run(service, store, manual_clock):
    executors = [TimerExecutor(service, store, cycles=CYCLES) for _ in range(3)]
    manual_clock.set(datetime(2026, 10, 31, 16, 59, 59, tzinfo=timezone.utc))  # 23:59:59 on 31 October in Hai Phong
    for executor in executors:
        executor.run_once()
    with store.read() as session:
        assert session.scalars(select(Case).where(Case.process_key == annual_talent_review.PROCESS_KEY)).all() == []
    manual_clock.advance(SECOND)  # midnight: 1 November
    for day in range(3):
        for executor in executors:
            executor.run_once()
        manual_clock.advance(timedelta(days=1))
    with store.read() as session:
        reviews = session.scalars(select(Case).where(Case.process_key == annual_talent_review.PROCESS_KEY)).all()
        start = session.scalars(select(ScheduledStart)).one()
    assert [(r.data["year"], r.created_by) for r in reviews] == [(2026, "system")]
    assert (start.cycle, start.case_id) == ("2026", reviews[0].id)
    assert annual_talent_review.start_yearly_review(service, date(2026, 11, 5)) is None  # the year has its review


def test_screening_is_reminded_2_working_days_before_its_due_date_and_a_late_appointment_escalated(
        auth, service, store, manual_clock):
    from engine.time.calendar import days_from_now
    from tests.workflows.exam_support import close_remarking, do, score_all
    from workflows.leadership_exam import DECISION_WORKING_DAYS, SCREENING_DAYS

    case = start_exam(auth)
    close_registration(auth, service, manual_clock)  # the screening task is created now
    reminder_due = CALENDAR.working_days_before(datetime.fromisoformat(days_from_now(SCREENING_DAYS)), 2)
    fires_exactly_at(service, manual_clock, reminder_due, case["id"], "screening_reminder", auth)
    assert notes(store, case["id"]) == [("reminder", None, "hr_officer")]

    marked = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 62})
    close_remarking(auth, service, manual_clock)
    score_all(auth, marked, {"TS01": [70, 70, 70, 70, 70], "TS02": [60, 60, 60, 60, 60]})
    do(auth, "chair", marked, "confirm_results", {"results_confirmed": True})
    published = manual_clock.now()
    decision_due = CALENDAR.add_working_days(published, DECISION_WORKING_DAYS)
    fires_exactly_at(service, manual_clock, CALENDAR.working_days_before(decision_due, 2), marked,
                     "decision_reminder", auth)
    fires_exactly_at(service, manual_clock, CALENDAR.add_working_days(published, DECISION_WORKING_DAYS + 5), marked,
                     "decision_escalation", auth)
    assert notes(store, marked) == [("reminder", None, "council_secretary"),  # re-marks, as the window ran
                                    ("reminder", None, "approver"),
                                    ("escalation", None, "approver"), ("escalation", None, "hr_officer")]
    case = do(auth, "approver", marked, "appointment_decision",
              {"appointment": "appoint", "decision_no": "9/QĐ-UBND", "effective_date": "2026-06-01"})
    assert case["status"] == "appointed"
