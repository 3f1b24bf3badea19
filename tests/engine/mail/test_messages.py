"""What a message looks like: text and HTML alternatives in the recipient's language, a link to
the task, the deadline as its last day, and a Message-ID that is the row's own."""
from __future__ import annotations

from engine.mail import message_id
from tests.engine.mail.mailbox import BASE_URL, SECRET, make_sender, outbox, set_mail
from tests.helpers import ready_task, start_training


def test_a_new_task_message_in_vietnamese_with_text_html_and_a_link_to_the_task(app, store, auth, mailbox):
    set_mail(store, "expert1")
    case = start_training(auth)
    task = ready_task(case, "mentor_assessment")
    make_sender(store, mailbox).run_once()
    [mail] = mailbox.messages
    [row] = outbox(store)
    assert mail.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in mail.iter_parts()] == ["text/plain", "text/html"]
    assert mail["Subject"] == "Việc mới: Nhận xét của người hướng dẫn"
    assert mail["To"] == "expert1@haiphong.example" and mail["From"] == "talentflow@haiphong.example"
    assert mail["Message-ID"] == message_id(row.id, SECRET, "haiphong.example")
    assert mail["Content-Language"] == "vi"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    link = f"{BASE_URL}/tasks/{task['id']}"
    assert "Kính gửi đồng chí expert1," in text and f"Hồ sơ #{case['id']}" in text and link in text
    assert f'<a href="{link}">Mở công việc</a>' in html and '<html lang="vi">' in html
    assert f"{BASE_URL}/account/settings" in text


def test_a_user_who_chose_english_is_written_to_in_english(app, store, auth, mailbox):
    set_mail(store, "expert1", language="en")
    start_training(auth)
    make_sender(store, mailbox).run_once()
    [mail] = mailbox.messages
    assert mail["Subject"] == "New task: Nhận xét của người hướng dẫn"  # the diagram's own name of the task
    text = mail.get_body(("plain",)).get_content()
    assert "Dear expert1," in text and "A task is waiting for you:" in text and "Open the task" in text


def test_message_ids_differ_between_rows_and_installations():
    assert message_id(7, "a", "x.vn") == message_id(7, "a", "x.vn")
    assert len({message_id(7, "a", "x.vn"), message_id(8, "a", "x.vn"), message_id(7, "b", "x.vn")}) == 3
