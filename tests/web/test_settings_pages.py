"""The user's own settings page and the admin's e-mail pages: saved, or refused in the reader's
language with nothing changed; the outbox page shows a failed message and sends it again."""
from __future__ import annotations

from sqlalchemy import select, update

from engine.store.models import OutboxMessage, User
from tests.engine.mail.mailbox import outbox, set_mail
from tests.helpers import start_training
from tests.web.support import signed_in, text_of, unlabelled_controls


def mail_of(store, username):  # type: ignore[no-untyped-def]
    with store.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        return user.email, user.language, user.notify


def test_a_user_chooses_address_language_and_digest_only_on_their_settings_page(app, store):
    page = signed_in(app, "expert1")
    html = page.get("/account/settings")
    assert unlabelled_controls(html) == []
    assert "Địa chỉ thư điện tử" in text_of(html) and "Chỉ nhận bản tổng hợp buổi sáng" in text_of(html)
    response = page.post("/account/settings", {"email": "son.bt@skhcn.haiphong.gov.vn", "language": "en",
                                               "notify": "digest"}, status=302)
    assert response.headers["Location"].endswith("/account/settings")
    assert mail_of(store, "expert1") == ("son.bt@skhcn.haiphong.gov.vn", "en", "digest")
    assert "Your settings are saved." in text_of(page.get("/account/settings"))  # the pages now in English


def test_a_bad_address_is_said_beside_the_field_in_vietnamese_and_nothing_is_saved(app, store):
    set_mail(store, "expert1")
    page = signed_in(app, "expert1")
    page.get("/account/settings")
    response = page.post("/account/settings", {"email": "son at skhcn", "language": "vi", "notify": "off"},
                         status=422)
    said = text_of(response.get_data(as_text=True))
    assert "“son at skhcn” không phải là địa chỉ thư điện tử." in said and "Chưa lưu gì" in said
    assert mail_of(store, "expert1") == ("expert1@haiphong.example", "vi", "immediate")
    page.client.get("/lang/en")
    response = page.post("/account/settings", {"email": "son@", "language": "vi", "notify": "off"}, status=422)
    assert "“son@” is not an e-mail address." in text_of(response.get_data(as_text=True))
    assert mail_of(store, "expert1") == ("expert1@haiphong.example", "vi", "immediate")


def test_an_admin_edits_a_users_e_mail_and_others_may_not(app, store):
    admin = signed_in(app, "admin")
    assert "/admin/users/expert1/mail" in admin.get("/admin/users")
    admin.get("/admin/users/expert1/mail")
    admin.post("/admin/users/expert1/mail", {"email": "son@skhcn.example", "language": "vi", "notify": "immediate"},
               status=302)
    assert mail_of(store, "expert1") == ("son@skhcn.example", "vi", "immediate")
    response = admin.post("/admin/users/expert1/mail", {"email": "bad@", "language": "xx", "notify": "immediate"},
                          status=422)
    said = text_of(response.get_data(as_text=True))
    assert "không phải là địa chỉ thư điện tử" in said and "Hãy chọn Tiếng Việt hoặc English." in said
    assert mail_of(store, "expert1") == ("son@skhcn.example", "vi", "immediate")
    signed_in(app, "hr").get("/admin/users/expert1/mail", status=403)


def test_the_outbox_page_shows_a_failed_message_with_why_and_sends_it_again(app, store, auth):
    set_mail(store, "expert1")
    start_training(auth)
    [row] = outbox(store)
    with store.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
            status="failed", attempts=8, last_error="550 5.1.1 mailbox unavailable"))
    admin = signed_in(app, "admin")
    html = admin.get("/admin/mail?status=failed")
    assert "550 5.1.1 mailbox unavailable" in html and "Không gửi được" in text_of(html)
    admin.post(f"/admin/mail/{row.id}/retry", status=302)
    assert outbox(store)[0].status == "queued"
    signed_in(app, "hr").get("/admin/mail", status=403)


def test_saving_ones_own_settings_unchanged_says_nothing_changed(app, store):
    set_mail(store, "expert1")
    page = signed_in(app, "expert1")
    page.get("/account/settings")
    page.post("/account/settings", {"email": "expert1@haiphong.example", "language": "vi", "notify": "immediate"},
              status=302)
    said = text_of(page.get("/account/settings"))
    assert "Không có gì thay đổi." in said and "Đã lưu cài đặt" not in said
    page.post("/account/settings", {"email": "expert1@haiphong.example", "language": "vi", "notify": "digest"},
              status=302)
    assert "Không có gì thay đổi." not in text_of(page.get("/account/settings"))


def test_an_accented_address_is_refused_on_the_page_saying_to_write_it_without_accents(app, store):
    set_mail(store, "expert1")
    page = signed_in(app, "expert1")
    page.get("/account/settings")
    response = page.post("/account/settings", {"email": "nguyễn.an@haiphong.gov.vn", "language": "vi",
                                               "notify": "off"}, status=422)
    said = text_of(response.get_data(as_text=True))
    assert "hãy viết phần trước @ không dấu" in said and "Chưa lưu gì" in said
    assert mail_of(store, "expert1") == ("expert1@haiphong.example", "vi", "immediate")


def test_signing_in_again_on_another_device_starts_in_the_language_saved_in_the_settings(app, store):
    page = signed_in(app, "expert1")
    page.get("/account/settings")
    page.post("/account/settings", {"email": "son.bt@skhcn.haiphong.gov.vn", "language": "en", "notify": "off"},
              status=302)
    elsewhere = signed_in(app, "expert1")  # a new browser: nothing in its session yet
    said = text_of(elsewhere.get("/account/settings"))
    assert "My settings" in said and "Địa chỉ thư điện tử" not in said
    page.get("/account/settings")
    page.post("/account/settings", {"email": "son.bt@skhcn.haiphong.gov.vn", "language": "vi", "notify": "off"},
              status=302)
    again = signed_in(app, "expert1")
    assert "Địa chỉ thư điện tử" in text_of(again.get("/account/settings"))
