"""The Vietnamese timeline and audit pages name every event the engine writes, not its raw type."""
from __future__ import annotations

from flask_babel import force_locale

from api.web.i18n import EVENTS, event_label
from tests.api.test_reassign import REASON, minhs_assessment, reassign
from tests.api.test_substitutes import on_leave
from tests.web.support import signed_in, text_of


def test_a_reassigned_task_reads_in_vietnamese_on_the_case_page(app, auth, store):
    minh = minhs_assessment(auth, store)
    assert reassign(auth, "hr", minh["id"], to="head_qlkh", reason=REASON).status_code == 200
    on_leave(auth)
    case_page = text_of(signed_in(app, "hr").get(f"/cases/{minh['case_id']}"))
    assert "Giao lại nhiệm vụ" in case_page and "task reassigned" not in case_page


def test_every_event_type_the_engine_and_the_people_chain_write_has_a_vietnamese_label(app):
    written = {"task_reassigned", "message_received", "reminder_requested", "substitute_set", "substitute_ended",
               "process_deployed", "tokens_revoked", "user_deactivated", "user_reactivated",
               "mail_settings_changed", "password_changed", "password_reset", "figures_entered"}
    assert written <= set(EVENTS)
    with app.test_request_context():
        with force_locale("vi"):
            vietnamese = {kind: event_label(kind) for kind in written}
        with force_locale("en"):
            english = {kind: event_label(kind) for kind in written}
    assert vietnamese["substitute_set"] == "Phân công người thay thế"
    assert {kind for kind in written if vietnamese[kind] == english[kind]} == set()
