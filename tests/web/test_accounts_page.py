"""The admin's accounts page: users with their roles, and closing, reopening, signing out and
re-passwording them with CSRF-protected forms — each refused by every server at its next request."""
from __future__ import annotations

from api import create_app
from tests.api.support import error_of
from tests.api.test_accounts import NEW, bearer, global_events, sign_in
from tests.conftest import PASSWORD
from tests.web.support import Page, signed_in, text_of

API = "/api/v1"


def test_the_admin_sees_every_user_with_unit_and_roles_in_vietnamese(app):
    page = signed_in(app, "admin")
    html = page.get("/admin/users")
    text = text_of(html)
    assert "Tài khoản" in text and "Vô hiệu hoá" in text and "Đăng xuất khỏi mọi nơi" in text
    assert "Cán bộ Sở Nội vụ" in text  # hr's role, by its label
    assert "Người đứng đầu đơn vị (Sở KH&amp;CN)" in html  # a unit role with its unit's name
    assert 'href="/admin/users"' in page.get("/")  # in the admin's menu
    assert 'href="/admin/users"' not in signed_in(app, "hr").get("/")
    signed_in(app, "hr").get("/admin/users", status=403)


def test_deactivating_on_the_page_ends_sessions_and_tokens_on_every_server(app, auth, database_url, store):
    other = create_app({"DATABASE_URL": database_url, "TESTING": True})
    try:
        worker = other.test_client()
        hr_token = bearer(auth.token("hr"))
        hr_page = Page(worker).login("hr")
        assert worker.get(f"{API}/me", headers=hr_token).status_code == 200
        admin = signed_in(app, "admin")
        admin.get("/admin/users")
        response = admin.post("/admin/users/hr/deactivate", status=302)
        assert response.headers["Location"].endswith("/admin/users")
        assert "đã đăng xuất khỏi mọi nơi" in text_of(admin.get("/admin/users"))
        error_of(worker.get(f"{API}/me", headers=hr_token), 401, "invalid_token")
        assert hr_page.client.get("/").status_code == 302
        error_of(sign_in(worker, "hr"), 401, "invalid_credentials")
        assert "Kích hoạt lại" in text_of(admin.get("/admin/users"))

        admin.post("/admin/users/hr/reactivate", status=302)
        assert sign_in(worker, "hr").status_code == 200
    finally:
        other.extensions["talentflow"].store.dispose()
    assert [(t, a) for t, a, _ in global_events(store, "hr")] == [("user_deactivated", "admin"),
                                                                ("user_reactivated", "admin")]


def test_signing_out_everywhere_and_a_new_password_from_the_page(app, auth, client, store):
    hr_token = bearer(auth.token("hr"))
    admin = signed_in(app, "admin")
    admin.get("/admin/users")
    admin.post("/admin/users/hr/revoke-tokens", status=302)
    assert "Đã thu hồi 1 phiên làm việc" in text_of(admin.get("/admin/users"))
    error_of(client.get(f"{API}/me", headers=hr_token), 401, "invalid_token")

    admin.post("/admin/users/hr/password", {"password": "short"}, status=302)
    assert "ít nhất 8 ký tự" in text_of(admin.get("/admin/users"))
    assert sign_in(client, "hr").status_code == 200  # the short one changed nothing
    admin.post("/admin/users/hr/password", {"password": NEW}, status=302)
    error_of(sign_in(client, "hr", PASSWORD), 401, "invalid_credentials")
    assert sign_in(client, "hr", NEW).status_code == 200
    assert [(t, a) for t, a, _ in global_events(store, "hr")] == [("tokens_revoked", "admin"),
                                                                ("password_reset", "admin")]


def test_the_forms_need_their_csrf_token_and_an_admin_keeps_their_own_account(app, client, store):
    admin = signed_in(app, "admin")
    refused = admin.client.post("/admin/users/hr/deactivate", data={})
    assert refused.status_code == 400
    hr = signed_in(app, "hr")
    hr.post("/admin/users/expert1/deactivate", status=403)
    admin.get("/admin/users")
    admin.post("/admin/users/admin/deactivate", status=302)
    assert "không thể vô hiệu hoá tài khoản của chính mình" in text_of(admin.get("/admin/users"))
    assert global_events(store, "hr") == [] and global_events(store, "admin") == []
    admin.post("/admin/users/ghost/deactivate", status=404)


def test_anyone_changes_their_own_password_on_a_page_and_their_other_sessions_end(app, auth, client, store):
    hr_token = bearer(auth.token("hr"))
    elsewhere = signed_in(app, "hr")
    page = signed_in(app, "hr")
    assert 'href="/account/password"' in page.get("/")
    assert "Đổi mật khẩu" in text_of(page.get("/account/password"))
    wrong = page.post("/account/password", {"old_password": "not-the-one", "new_password": NEW}, status=422)
    assert "Mật khẩu hiện tại không đúng" in text_of(wrong.get_data(as_text=True))
    page.post("/account/password", {"old_password": PASSWORD, "new_password": "short"}, status=422)
    assert sign_in(client, "hr").status_code == 200  # nothing changed yet
    page.post("/account/password", {"old_password": PASSWORD, "new_password": NEW}, status=302)
    assert "Đã đổi mật khẩu" in text_of(page.get("/"))  # still signed in here
    assert elsewhere.client.get("/").status_code == 302  # but not elsewhere
    error_of(client.get(f"{API}/me", headers=hr_token), 401, "invalid_token")
    assert sign_in(client, "hr", NEW).status_code == 200
    assert [(t, a) for t, a, _ in global_events(store, "hr")] == [("password_changed", "hr")]
