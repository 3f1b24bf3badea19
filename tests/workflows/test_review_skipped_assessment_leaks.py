"""Review of int7's skipped assessments: what a unit head of another unit reads of them.

``PLAN_EVENTS`` cuts ``child_starts_failed`` and ``child_starts_skipped`` to their count for a unit
head ("not which talents across units"), but the same talent, and why its assessment failed, is
named by the incident beside them: ``case_failed``'s message and the ``case_retried`` written by the
skip both carry "first: talent_assessment RS-<year>-<talent id> - <reason>", and so does the case's
``incident`` while the review is in error.
"""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from engine.store.models import Case
from tests.api.support import API, history
from tests.conftest import Auth
from tests.engine.time.timer_support import actor
from tests.workflows.test_annual_talent_review import YEAR, talent
from tests.workflows.test_review_skipped_assessment import review_with_a_gone_talent
from workflows import POLICIES, annual_talent_review, talent_assessment

REASON = "Đơn vị đã sáp nhập"


@pytest.fixture
def review_with_a_gone_khcn_talent(store, service, monkeypatch) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A review whose SKHCN talent's assessment can never start; the other talent is SGDDT's."""
    case_id, _, gone = review_with_a_gone_talent(store, service, monkeypatch, [("Trần Thị Lan", "SGDDT")], "SKHCN")
    return case_id, gone


def test_a_unit_head_reads_nothing_of_another_units_talent_whose_assessment_was_skipped(
        auth: Auth, review_with_a_gone_khcn_talent):
    case_id, gone = review_with_a_gone_khcn_talent
    key = f"RS-{YEAR}-{gone}"
    seen = auth.as_("head_gddt").get(f"{API}/cases/{case_id}").get_json()
    assert seen["status"] == "error"
    leaked = [f"incident: {json.dumps(seen['incident'], ensure_ascii=False)}"]

    assert auth.as_("admin").post(f"{API}/cases/{case_id}/skip-failed-children",
                                  json={"reason": REASON}).status_code == 200

    leaked += [f"{e['type']}: {json.dumps(e['data'], ensure_ascii=False)}" for e in history(auth, "head_gddt", case_id)]
    assert [line.split(":")[0] for line in leaked if key in line or "SNV-CU" in line] == []


def test_a_review_whose_every_assessment_was_skipped_goes_on_instead_of_waiting_for_ever(
        auth: Auth, store, service, manual_clock, monkeypatch):
    from datetime import timedelta

    for name in ("Trần Thị Lan", "Lê Văn Minh"):
        talent(store, name, "SKHCN", date(2022, 1, 10))
    monkeypatch.setattr(POLICIES[talent_assessment.PROCESS_KEY], "case_unit", lambda data, starter: "SNV-CU")
    service.start(actor(store, "hr"), annual_talent_review.PROCESS_KEY, {"year": YEAR})
    with store.read() as session:
        [case_id] = session.scalars(select(Case.id).where(Case.process_key == annual_talent_review.PROCESS_KEY))

    skipped = auth.as_("admin").post(f"{API}/cases/{case_id}/skip-failed-children", json={"reason": REASON})

    assert skipped.status_code == 200, skipped.get_json()
    assert skipped.get_json()["child_plan"] == {"planned": 2, "started": 0, "to_start": 0, "could_not_start": 0,
                                                "skipped": 2}
    manual_clock.advance(timedelta(minutes=5))
    service.child_batches.sweep()  # nothing to start either
    assert "message_received" in [e["type"] for e in history(auth, "hr", case_id)], \
        "the review still waits for assessments that will never exist, and nobody will tell it"
