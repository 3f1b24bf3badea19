"""One message's trouble is that message's alone, against real SMTP servers on loopback: a greylisting
4xx is tried again and a 5xx fails at once, an address the server cannot carry fails without jamming
the batch, an outage tries one connection per pause, and a sender whose claim lapsed leaves the row
to the sender that took it over."""
from __future__ import annotations

from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import update

from engine.mail import mail_counts, queue
from engine.store.models import User
from tests.engine.mail.mailbox import Mailbox, later, make_sender, outbox, set_mail


class Refusing(Mailbox):
    """Answers RCPT with ``answers`` in turn, then accepts."""

    def __init__(self, *answers: str) -> None:
        super().__init__()
        self.answers = list(answers)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.answers:
            return self.answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"


class WithoutUtf8(Mailbox):
    """A server that does not offer SMTPUTF8, as most city mail servers."""

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=False)
        self._controller.start()


class Slow(Mailbox):
    """While it takes a message, the sender's claim lapses and ``taker`` claims the row; then it answers."""

    def __init__(self, clock: Any, answer: str) -> None:
        super().__init__()
        self.clock, self.answer, self.taker = clock, answer, None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await super().handle_DATA(server, session, envelope)
        if self.taker is not None:
            later(self.clock, minutes=6)
            self.taker.claim()
        return self.answer


def queued_for(store: Any, *usernames: str) -> list[int]:
    with store.command() as conn:
        users = {u.username: u for u in conn.execute(User.__table__.select())}
        return [queue(conn, "task", users[name], {"task_name": f"Việc của {name}", "case_id": None})
                for name in usernames]


def test_a_greylisted_recipient_is_tried_again_and_delivered(store, manual_clock):
    box = Refusing("451 4.7.1 Greylisted, please try again later")
    box.start()
    try:
        set_mail(store, "reviewer")
        [row_id] = queued_for(store, "reviewer")
        sender = make_sender(store, box)
        assert sender.run_once() == 0
        [row] = outbox(store)
        assert (row.status, row.attempts) == ("queued", 1) and "451 4.7.1 Greylisted" in row.last_error
        later(manual_clock, minutes=1)
        assert sender.run_once() == 1
        assert outbox(store)[0].status == "sent" and box.ids_per_row().keys() == {row_id}
    finally:
        box.stop()


def test_a_recipient_refused_for_good_fails_at_once_and_the_next_message_goes(store, manual_clock):
    box = Refusing("550 5.1.1 No such user here")
    box.start()
    try:
        set_mail(store, "reviewer")
        set_mail(store, "hr")
        unknown, known = queued_for(store, "reviewer", "hr")
        assert make_sender(store, box).run_once() == 1
        rows = {row.id: row for row in outbox(store)}
        assert (rows[unknown].status, rows[unknown].attempts) == ("failed", 1)
        assert "550 5.1.1 No such user here" in rows[unknown].last_error
        assert rows[known].status == "sent" and box.subjects() == ["Việc mới: Việc của hr"]
    finally:
        box.stop()


def test_an_accented_address_the_server_cannot_carry_fails_and_does_not_jam_the_batch(store, manual_clock):
    box = WithoutUtf8()
    box.start()
    try:
        set_mail(store, "reviewer")
        set_mail(store, "hr")
        with store.transaction() as session:  # written before addresses were checked for this
            session.execute(update(User).where(User.username == "reviewer").values(email="nguyễn.an@haiphong.example"))
        accented, plain = queued_for(store, "reviewer", "hr")
        sender = make_sender(store, box)
        assert sender.run_once() == 1  # no exception escapes the run
        rows = {row.id: row for row in outbox(store)}
        assert (rows[accented].status, rows[accented].claimed_by) == ("failed", None)
        assert "SMTPNotSupportedError" in rows[accented].last_error and "SMTPUTF8" in rows[accented].last_error
        assert rows[plain].status == "sent" and box.subjects() == ["Việc mới: Việc của hr"]
        with store.read() as session:
            assert mail_counts(session)["failed"] == 1
        later(manual_clock, hours=1)
        assert sender.run_once() == 0  # failed for good: not retried every run
    finally:
        box.stop()


def test_an_outage_tries_one_connection_per_pause_and_counts_no_try(store, manual_clock, mailbox, monkeypatch):
    set_mail(store, "reviewer")
    ids = queued_for(store, *["reviewer"] * 5)
    mailbox.stop()
    sender = make_sender(store, mailbox, batch=2)
    connects = []
    real_connect = sender._connect
    monkeypatch.setattr(sender, "_connect", lambda: connects.append(1) or real_connect())
    assert sender.run_once() == 0
    assert len(connects) == 1  # one timeout at most per run, not one per batch
    later(manual_clock, seconds=59)
    assert sender.run_once() == 0 and len(connects) == 1  # within the pause: not even a try
    with store.read() as session:
        counts = mail_counts(session)
    assert (counts["queued"], counts["unreachable"]) == (5, 2)
    assert {row.attempts for row in outbox(store)} == {0}
    mailbox.start()
    later(manual_clock, seconds=2)
    assert sender.run_once() == 5 and len(connects) == 1 + 3  # back: one connection per batch of 2
    assert sorted(mailbox.ids_per_row()) == sorted(ids)


def test_a_sender_whose_claim_lapsed_leaves_the_row_to_the_one_that_took_it_over(store, manual_clock):
    box = Slow(manual_clock, "451 4.3.0 Try again later")
    box.start()
    try:
        set_mail(store, "reviewer")
        [row_id] = queued_for(store, "reviewer")
        slow, taker = make_sender(store, box, name="slow"), make_sender(store, box, name="taker")
        box.taker = taker
        assert slow.run_once() == 0  # its 451 came after its claim lapsed: not its row to count
        [row] = outbox(store)
        assert (row.status, row.attempts, row.claimed_by, row.last_error) == ("queued", 0, "taker", None)
        later(manual_clock, minutes=5, seconds=1)
        box.answer = "250 OK"
        assert slow.run_once() == 0  # delivered, but the taker holds the row now: slow leaves it
        [row] = outbox(store)
        assert (row.status, row.claimed_by) == ("queued", "taker")
        later(manual_clock, minutes=5, seconds=1)
        box.taker = None
        assert taker.run_once() == 1  # the taker sends it again: the same message (at least once)
        assert outbox(store)[0].status == "sent"
        assert box.ids_per_row().keys() == {row_id} and len(box.ids_per_row()[row_id]) == 1
    finally:
        box.stop()


def test_a_slow_batch_does_not_send_the_rows_another_sender_took_over_meanwhile(store, manual_clock):
    box = Slow(manual_clock, "250 OK")
    box.start()
    try:
        set_mail(store, "reviewer")
        set_mail(store, "hr")
        first, second = queued_for(store, "reviewer", "hr")
        slow, taker = make_sender(store, box, name="slow"), make_sender(store, box, name="taker")
        box.taker = taker  # the first message takes so long that both claims lapse and taker takes both rows
        slow.run_once()
        assert set(box.ids_per_row()) == {first}  # the second was the taker's before slow reached it
        box.taker = None
        later(manual_clock, minutes=5, seconds=1)
        assert taker.run_once() == 2
        assert {row.status for row in outbox(store)} == {"sent"}
        assert {row_id: len(ids) for row_id, ids in box.ids_per_row().items()} == {first: 1, second: 1}
    finally:
        box.stop()
