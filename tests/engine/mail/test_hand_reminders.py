"""hr's one-click reminder to a late unit reaches the unit heads' mailboxes, not only their pages.

The reminder (``engine.cases.reminders``) is one step: the notification, the ``reminder_requested``
event and — in the same transaction — an e-mail to exactly the people the notification went to who
chose every e-mail as it happens. A reminder is not an escalation: "digest" and "off" get none.
"""
from __future__ import annotations

from engine.people.directory import get_user, grant_role
from tests.engine.mail.mailbox import BASE_URL, make_sender, outbox, set_mail
from tests.workflows.test_review_progress import API, notes_of, three_units_review


def test_hr_reminding_a_late_unit_mails_its_heads_who_chose_immediate_in_their_language(
        app, auth, store, manual_clock, mailbox):
    case = three_units_review(auth, store, manual_clock)  # SKHCN: 3 assessments open, overdue
    with store.transaction() as session:
        grant_role(session, get_user(session, "expert2"), "unit_head", "HP")  # heads the city, above SKHCN
        grant_role(session, get_user(session, "expert1"), "unit_head", "SKHCN")
        grant_role(session, get_user(session, "member1"), "unit_head", "SKHCN")
    set_mail(store, "head_khcn")
    set_mail(store, "expert2", language="en")
    set_mail(store, "expert1", notify="digest")
    set_mail(store, "member1", notify="off")
    set_mail(store, "head_qlkh")  # heads a division below SKHCN: not reminded of SKHCN's work
    set_mail(store, "head_gddt")

    sent = auth.as_("hr").post(f"{API}/cases/{case['id']}/reminders", json={"target": "SKHCN"})
    assert sent.status_code == 201, sent.get_json()
    reminded = {name for name in ("head_khcn", "expert2", "expert1", "member1", "head_qlkh", "head_gddt")
                if any(n["kind"] == "reminder" and n["case_id"] == case["id"] for n in notes_of(auth, name))}
    assert reminded == {"head_khcn", "expert2", "expert1", "member1"}  # the in-page notification
    rows = outbox(store)
    assert sorted((row.kind, row.to_address) for row in rows) == [
        ("case_reminder", "expert2@haiphong.example"), ("case_reminder", "head_khcn@haiphong.example")]
    assert {row.case_id for row in rows} == {case["id"]}

    assert make_sender(store, mailbox).run_once() == 2
    mails = {str(mail["To"]): mail for mail in mailbox.messages}
    vi = mails["head_khcn@haiphong.example"]
    assert vi["Subject"] == f"Nhắc việc: Hồ sơ #{case['id']}"
    text = vi.get_body(("plain",)).get_content()
    assert "Sở Nội vụ nhắc SKHCN · " in text and ": còn 3 hồ sơ đánh giá nhân tài năm 2026 đã quá hạn " \
        "(hạn 15/12/2026)." in text, text
    assert f"{BASE_URL}/\n" in text and "Danh sách việc của đồng chí" in text
    assert f'<a href="{BASE_URL}/">' in vi.get_body(("html",)).get_content()
    en = mails["expert2@haiphong.example"].get_body(("plain",)).get_content()
    assert "hr reminds SKHCN · " in en and ": 3 talent assessments of the 2026 review are overdue " \
        "(deadline 15/12/2026)." in en and "Your worklist" in en


def test_a_reminder_refused_as_a_double_click_mails_no_one(app, auth, store, manual_clock):
    case = three_units_review(auth, store, manual_clock)
    set_mail(store, "head_khcn")
    assert auth.as_("hr").post(f"{API}/cases/{case['id']}/reminders", json={"target": "SKHCN"}).status_code == 201
    again = auth.as_("hr").post(f"{API}/cases/{case['id']}/reminders", json={"target": "SKHCN"})
    assert again.status_code == 409
    assert [row.kind for row in outbox(store)] == ["case_reminder"]
