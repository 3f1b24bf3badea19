"""The sender against a real SMTP server on loopback: once, after an outage (no try counted), after
a crash, or a visible failure after two days unreachable; three senders on one outbox
(tests/data/reminders.bpmn: a reviewer's task due in 3 hours, a reminder after 2, an escalation to
the assignee and the admins after 4)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.mail import queue
from engine.store.models import User
from tests.engine.mail.mailbox import SECRET, later, make_sender, outbox, set_mail
from tests.engine.time.timer_support import actor, deploy_test_diagram
from tests.helpers import in_threads


class Killed(BaseException):
    """The sender's process dies: nothing after this line of it runs."""


def start_review(store, service) -> int:  # type: ignore[no-untyped-def]
    deploy_test_diagram(store, "reminders.bpmn")
    return int(service.start(actor(store, "hr"), "reminders", {}))


def test_a_reminder_reaches_the_mailbox_exactly_once(store, service, manual_clock, mailbox):
    set_mail(store, "reviewer")
    start_review(store, service)
    sender = make_sender(store, mailbox)
    assert sender.run_once() == 1  # the new task, told to the reviewer
    later(manual_clock, hours=2, minutes=1)
    service.fire_due()
    assert sender.run_once() == 1
    later(manual_clock, minutes=30)
    assert sender.run_once() == 0  # sent once: nothing left to send, however often the sender runs
    assert mailbox.subjects() == ["Việc mới: Review the dossier", "Nhắc việc: Review the dossier"]
    assert [row.status for row in outbox(store)] == ["sent", "sent"]
    assert all(len(ids) == 1 for ids in mailbox.ids_per_row().values())


def test_messages_wait_while_the_smtp_server_is_down_and_arrive_once_it_is_back(store, service, manual_clock,
                                                                                 mailbox):
    set_mail(store, "reviewer")
    mailbox.stop()
    start_review(store, service)
    sender = make_sender(store, mailbox)
    assert sender.run_once() == 0
    [row] = outbox(store)
    assert (row.status, row.attempts) == ("queued", 0)  # an outage is no try of the message
    assert "cannot reach 127.0.0.1" in row.last_error and "unreachable since" in row.last_error
    assert sender.unreachable_since == manual_clock.now()
    later(manual_clock, seconds=30)
    assert sender.run_once() == 0 and outbox(store)[0].last_error == row.last_error  # pausing: not tried
    later(manual_clock, seconds=31)
    sender.run_once()
    assert outbox(store)[0].next_attempt_at == manual_clock.now() + timedelta(minutes=2)  # twice as long
    mailbox.start()
    later(manual_clock, minutes=1)
    assert sender.run_once() == 0
    later(manual_clock, minutes=1, seconds=1)
    assert sender.run_once() == 1
    assert mailbox.subjects() == ["Việc mới: Review the dossier"]
    assert (outbox(store)[0].status, outbox(store)[0].attempts) == ("sent", 0)
    assert sender.unreachable_since is None


def test_a_sender_killed_between_sending_and_marking_sent_resends_the_same_message(store, service, manual_clock,
                                                                                   mailbox, monkeypatch):
    set_mail(store, "reviewer")
    start_review(store, service)
    dying = make_sender(store, mailbox, name="dies", claim_seconds=120)

    def die(row_id: int) -> None:
        raise Killed()

    monkeypatch.setattr(dying, "_mark_sent", die)
    with pytest.raises(Killed):
        dying.run_once()
    assert len(mailbox.messages) == 1 and outbox(store)[0].status == "queued"
    survivor = make_sender(store, mailbox, name="survives")
    assert survivor.run_once() == 0  # the dead sender's claim holds until it expires
    later(manual_clock, minutes=2, seconds=1)
    assert survivor.run_once() == 1
    assert len(mailbox.messages) == 2  # at least once: the server got it twice …
    assert {row_id: len(ids) for row_id, ids in mailbox.ids_per_row().items()} == {outbox(store)[0].id: 1}
    first, second = mailbox.messages  # … as one message: same id, same date, same words
    assert first.as_bytes() == second.as_bytes()
    assert outbox(store)[0].status == "sent"


def test_a_two_day_outage_fails_the_message_visibly_and_not_before(store, service, manual_clock, mailbox):
    set_mail(store, "reviewer")
    mailbox.stop()
    start_review(store, service)
    sender = make_sender(store, mailbox, max_attempts=3)
    for _ in range(6 * 47):  # every 10 minutes for 47 hours: far more than 3 tries' worth
        sender.run_once()
        later(manual_clock, minutes=10)
    [row] = outbox(store)
    assert (row.status, row.attempts) == ("queued", 0)
    later(manual_clock, hours=1)
    sender.run_once()
    [row] = outbox(store)
    assert (row.status, row.attempts) == ("failed", 0)
    assert "cannot reach 127.0.0.1" in row.last_error
    mailbox.start()
    later(manual_clock, hours=1)
    assert sender.run_once() == 0 and mailbox.messages == []  # given up: only an admin sends it again


def test_three_senders_share_one_outbox_and_each_message_goes_out_once(store, manual_clock, mailbox):
    set_mail(store, "reviewer")
    with store.command() as conn:
        reviewer = conn.execute(User.__table__.select().where(User.__table__.c.username == "reviewer")).first()
        ids = [queue(conn, "task", reviewer, {"task_name": f"Việc số {n}", "case_id": None}) for n in range(24)]
    senders = [make_sender(store, mailbox, name=f"sender-{n}", batch=4) for n in range(3)]
    sent = in_threads({s.name: s.run_once for s in senders})
    assert sum(sent.values()) == 24
    assert sorted(mailbox.ids_per_row()) == sorted(ids)
    assert all(len(mids) == 1 for mids in mailbox.ids_per_row().values())
    assert len(mailbox.messages) == 24
    assert {row.status for row in outbox(store)} == {"sent"}
    assert all(SECRET not in str(m["Message-ID"]) for m in mailbox.messages)


def test_a_message_that_cannot_be_composed_fails_at_once_and_the_others_still_go(store, manual_clock, mailbox):
    set_mail(store, "reviewer")
    with store.command() as conn:
        reviewer = conn.execute(User.__table__.select().where(User.__table__.c.username == "reviewer")).first()
        broken = queue(conn, "digest", reviewer, {"day": "2026-03-02", "tasks": [{"task_name": "no id"}]})
        fine = queue(conn, "task", reviewer, {"task_name": "Việc tốt", "case_id": None})
    sender = make_sender(store, mailbox)
    assert sender.run_once() == 1
    rows = {row.id: row for row in outbox(store)}
    assert (rows[broken].status, rows[fine].status) == ("failed", "sent")
    assert rows[broken].last_error.startswith("cannot be composed")
    assert mailbox.subjects() == ["Việc mới: Việc tốt"]
