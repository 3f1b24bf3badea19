"""E-mail over the JSON API: one's own settings, an admin's for any user (a bad value: 422 in one
answer, nothing changed), the outbox for admins and its counts in /healthz."""
from __future__ import annotations

from sqlalchemy import update

from engine.store.models import OutboxMessage
from tests.engine.mail.mailbox import Mailbox, make_sender, outbox
from tests.helpers import start_training

API = "/api/v1"


def test_a_user_sets_their_own_address_language_and_choice(auth):
    response = auth.as_("expert1").put(f"{API}/me/mail", json={"email": " son.bt@skhcn.haiphong.gov.vn ",
                                                               "language": "en", "notify": "digest"})
    assert response.status_code == 200, response.get_json()
    me = response.get_json()
    assert (me["email"], me["language"], me["notify"]) == ("son.bt@skhcn.haiphong.gov.vn", "en", "digest")
    cleared = auth.as_("expert1").put(f"{API}/me/mail", json={"email": None}).get_json()
    assert cleared["email"] is None and cleared["notify"] == "digest"


def test_a_bad_address_is_refused_and_nothing_changes(auth):
    auth.as_("expert1").put(f"{API}/me/mail", json={"email": "son@skhcn.example"})
    response = auth.as_("expert1").put(f"{API}/me/mail", json={"email": "son at skhcn", "notify": "digest"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"email": ["not an e-mail address"]}
    me = auth.as_("admin").get(f"{API}/users").get_json()
    expert = next(u for u in me if u["username"] == "expert1")
    assert (expert["email"], expert["notify"]) == ("son@skhcn.example", "immediate")
    assert auth.as_("expert1").put(f"{API}/me/mail", json={"notify": "sometimes"}).status_code == 422


def test_only_an_admin_sets_another_users_address(auth):
    assert auth.as_("hr").put(f"{API}/users/expert1/mail", json={"email": "x@y.example"}).status_code == 403
    response = auth.as_("admin").put(f"{API}/users/expert1/mail", json={"email": "son@skhcn.example"})
    assert response.status_code == 200 and response.get_json()["email"] == "son@skhcn.example"
    assert auth.as_("admin").put(f"{API}/users/nobody-here/mail", json={"email": "a@b.example"}).status_code == 404


def test_admins_see_failed_messages_retry_them_and_healthz_counts_them(auth, client, store):
    auth.as_("admin").put(f"{API}/users/expert1/mail", json={"email": "son@skhcn.example"})
    start_training(auth)
    [row] = outbox(store)
    with store.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
            status="failed", attempts=8, last_error="550 mailbox unavailable"))
    assert client.get("/healthz").get_json()["mail"] == {"queued": 0, "sent": 0, "failed": 1, "stuck": 0,
                                                     "unreachable": 0, "smtp_unreachable_since": None}
    assert auth.as_("hr").get(f"{API}/admin/mail").status_code == 403
    page = auth.as_("admin").get(f"{API}/admin/mail?status=failed").get_json()
    assert page["counts"]["failed"] == 1
    assert [(m["id"], m["username"], m["last_error"]) for m in page["items"]] == \
        [(row.id, "expert1", "550 mailbox unavailable")]
    assert auth.as_("admin").post(f"{API}/admin/mail/{row.id}/retry").get_json() == {"retried": 1}
    assert outbox(store)[0].status == "queued" and outbox(store)[0].attempts == 0
    assert auth.as_("admin").post(f"{API}/admin/mail/999999/retry").status_code == 404


def test_an_accented_address_is_refused_and_a_vietnamese_domain_is_kept_in_its_ascii_form(auth):
    refused = auth.as_("expert1").put(f"{API}/me/mail", json={"email": "nguyễn.an@haiphong.gov.vn"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"] == {"email": ["only ASCII (unaccented) characters before the @"]}
    kept = auth.as_("expert1").put(f"{API}/me/mail", json={"email": "nguyen.an@hảiphòng.vn"}).get_json()
    assert kept["email"] == "nguyen.an@xn--hiphng-6wa8191d.vn"


def test_healthz_says_since_when_this_processs_sender_cannot_reach_the_smtp_server(app, auth, client, store,
                                                                                manual_clock):
    auth.as_("admin").put(f"{API}/users/expert1/mail", json={"email": "son@skhcn.example"})
    start_training(auth)
    down = Mailbox()  # never started: nothing listens on its port
    app.extensions["talentflow_mail_sender"] = sender = make_sender(store, down)
    sender.run_once()
    mail = client.get("/healthz").get_json()["mail"]
    assert (mail["queued"], mail["unreachable"], mail["failed"]) == (1, 1, 0)
    assert mail["smtp_unreachable_since"] is not None
    assert outbox(store)[0].attempts == 0
