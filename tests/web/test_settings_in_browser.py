"""The settings page in a real browser: a person chooses the digest only and English, and an
admin finds a failed message on the outbox page (screenshots in tests/artifacts/)."""
from __future__ import annotations

from sqlalchemy import select, update

from engine.store.models import OutboxMessage, User
from tests.engine.mail.mailbox import set_mail
from tests.helpers import start_training
from tests.web.browser import Person


def test_a_person_chooses_the_morning_digest_in_english_on_their_settings_page(app, store, live_server, browser):
    person = Person(browser, live_server, "expert1").sign_in()
    try:
        page = person.open("/")
        page.get_by_role("link", name="Cài đặt của tôi").click()
        page.wait_for_url(live_server + "/account/settings")
        assert person.unlabelled() == []
        page.get_by_label("Địa chỉ thư điện tử").fill("son.bt@skhcn.haiphong.gov.vn")
        page.get_by_label("Ngôn ngữ của thư và các trang").select_option("en")
        page.get_by_label("Chỉ nhận bản tổng hợp buổi sáng (07:30 các ngày làm việc)").check()
        person.shot("settings")
        page.get_by_role("button", name="Lưu").click()
        page.get_by_text("Your settings are saved.").wait_for(timeout=30_000)
        assert page.get_by_label("Only the morning digest (07:30 on working days)").is_checked()
        with store.read() as session:
            user = session.scalar(select(User).where(User.username == "expert1"))
            assert (user.email, user.language, user.notify) == ("son.bt@skhcn.haiphong.gov.vn", "en", "digest")
        assert person.refused == []
    finally:
        person.close()


def test_an_admin_finds_a_failed_message_and_sends_it_again(app, store, auth, live_server, browser):
    set_mail(store, "expert1")
    start_training(auth)
    with store.transaction() as session:
        session.execute(update(OutboxMessage).values(status="failed", attempts=8, last_error="550 5.1.1 unknown user"))
    admin = Person(browser, live_server, "admin").sign_in()
    try:
        page = admin.open("/admin/users")
        page.get_by_role("link", name="Hộp thư đi").click()
        page.wait_for_url(live_server + "/admin/mail")
        page.get_by_text("550 5.1.1 unknown user").wait_for(timeout=30_000)
        admin.shot("mail_outbox")
        page.get_by_role("button", name="Gửi lại").click()
        page.get_by_text("Thư đã được xếp gửi lại.").wait_for(timeout=30_000)
        with store.read() as session:
            assert session.scalar(select(OutboxMessage.status)) == "queued"
    finally:
        admin.close()
