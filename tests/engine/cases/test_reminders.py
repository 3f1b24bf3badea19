"""Reminders sent by hand are the engine's, for any process that offers them; the rest refuse.

A process without ``reminder`` in its policy (the training proposal) counts no progress and
sends no reminder; two hr officers clicking "remind" on the same unit at the same instant send
one reminder between them: the second waits for the first's lock on the case, then sees it.
"""
from __future__ import annotations

from typing import Any

from engine.errors import Conflict
from tests.api.support import error_of, unchanged
from tests.conftest import proposal
from tests.engine.cases.test_notifications import reader
from tests.helpers import in_threads
from tests.workflows.test_review_progress import three_units_review

API = "/api/v1"


def test_a_process_that_offers_no_reminders_refuses_them_and_counts_no_progress(auth, store):
    case = auth.as_("head_khcn").post(f"{API}/cases", json={"process": "training_nomination",
                                                             "data": proposal()}).get_json()
    assert case["progress"] is None
    with unchanged(store):
        error = error_of(auth.as_("head_khcn").post(f"{API}/cases/{case['id']}/reminders", json={"target": "SKHCN"}),
                         403)
    assert error["code"] == "no_reminders"
    error_of(auth.as_("admin").get(f"{API}/cases/{case['id']}/progress"), 404)


def test_two_hr_officers_reminding_one_unit_at_once_send_one_reminder(auth, store, service, manual_clock):
    case = three_units_review(auth, store, manual_clock)
    hr = reader(store, "hr")

    def remind() -> Any:
        try:
            return service.reminders.remind(hr, case["id"], "SKHCN")
        except Conflict as refused:
            return refused.code

    results = in_threads({"first": remind, "second": remind})
    assert sorted("sent" if isinstance(r, dict) else r for r in results.values()) == ["already_reminded", "sent"]
    notes = auth.as_("head_khcn").get(f"{API}/me/notifications").get_json()["items"]
    assert len(notes) == 1 and notes[0]["data"]["unit"] == "SKHCN"
