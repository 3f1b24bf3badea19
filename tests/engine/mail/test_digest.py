"""The morning digest: 07:30 Hai Phong time on working days, exactly the user's open tasks,
overdue first, then due soon; once a day however many executors queue it."""
from __future__ import annotations

from datetime import datetime, timezone

from engine.mail import DigestJob, queue_digests
from tests.conftest import Auth
from tests.engine.mail.mailbox import make_sender, outbox, set_mail
from tests.engine.mail.test_sender import start_review
from tests.engine.time.timer_support import actor
from tests.helpers import start_training

MONDAY_0900 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
TUESDAY_0700 = datetime(2026, 3, 3, 0, 0, tzinfo=timezone.utc)
TUESDAY_0731 = datetime(2026, 3, 3, 0, 31, tzinfo=timezone.utc)
SATURDAY_0800 = datetime(2026, 3, 7, 1, 0, tzinfo=timezone.utc)


def digests(store):  # type: ignore[no-untyped-def]
    return [row for row in outbox(store) if row.kind == "digest"]


def test_the_digest_lists_exactly_the_users_open_tasks_overdue_first(app, store, service, auth, manual_clock,
                                                                      mailbox):
    set_mail(store, "reviewer", notify="digest")
    set_mail(store, "head_gddt")  # no open task: no digest
    manual_clock.set(MONDAY_0900)
    overdue = start_review(store, service)  # due Monday 12:00
    done = int(service.start(actor(store, "hr"), "reminders", {}))
    [task_done] = [t for t in auth.as_("reviewer").get(f"/api/v1/tasks?scope=all&case={done}").get_json()["items"]]
    service.complete(actor(store, "reviewer"), task_done["id"], {})
    start_training(auth)  # expert1's task: not the reviewer's
    manual_clock.set(TUESDAY_0700)
    assert queue_digests(store) == 0  # before 07:30
    soon = int(service.start(actor(store, "hr"), "reminders", {}))  # due Tuesday 10:00
    manual_clock.set(TUESDAY_0731)
    assert queue_digests(store) == 1
    [row] = digests(store)
    listed = [(t["case_id"], t["overdue"], t["due_soon"]) for t in row.data["tasks"]]
    assert listed == [(overdue, True, False), (soon, False, True)]
    signed_in_now = Auth(app.test_client())  # the morning's sign-in: yesterday's token has expired
    worklist = signed_in_now.as_("reviewer").get("/api/v1/tasks?scope=all").get_json()["items"]
    assert {t["task_id"] for t in row.data["tasks"]} == {t["id"] for t in worklist}
    assert row.data["day"] == "2026-03-03" and row.to_address == "reviewer@haiphong.example"
    make_sender(store, mailbox).run_once()
    [mail] = mailbox.messages
    assert mail["Subject"] == "Việc của đồng chí ngày 03/03/2026"
    text = mail.get_body(("plain",)).get_content()
    assert "2 việc đang mở: 1 việc quá hạn, 1 việc sắp đến hạn" in text
    assert text.index("[QUÁ HẠN]") < text.index("[SẮP ĐẾN HẠN]")
    assert "Hạn: 02/03/2026 12:00" in text


def test_the_digest_is_queued_once_a_day_however_often_and_by_however_many_executors(app, store, service,
                                                                                       manual_clock):
    set_mail(store, "reviewer")
    manual_clock.set(MONDAY_0900)
    start_review(store, service)
    jobs = [DigestJob(store), DigestJob(store)]
    assert [job() for job in jobs] == [1, 0]
    assert queue_digests(store) == 0
    manual_clock.set(TUESDAY_0731)
    assert [job() for job in jobs] == [1, 0]
    assert [row.data["day"] for row in digests(store)] == ["2026-03-02", "2026-03-03"]


def test_no_digest_on_a_weekend_nor_for_who_turned_e_mail_off(app, store, service, manual_clock):
    set_mail(store, "reviewer")
    manual_clock.set(MONDAY_0900)
    start_review(store, service)
    manual_clock.set(SATURDAY_0800)
    assert queue_digests(store) == 0
    set_mail(store, "reviewer", notify="off")
    manual_clock.set(TUESDAY_0731)
    assert queue_digests(store) == 0 and digests(store) == []
