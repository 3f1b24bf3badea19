"""A yearly review one of whose assessments can never start: the admin skips it, the review goes on.

Lê Văn Minh's unit is gone (his assessment names a unit code the directory no longer has), so his
assessment fails at every start and the review is an incident: "Some child cases could not start".
Retrying cannot help; cancelling would throw away the others' assessments. The admin skips his, with
a reason; hr's progress panel says so instead of "being started"; once the two other assessments
are done, the review is handed their results and goes on.
"""
from __future__ import annotations

from datetime import date
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from engine.store.models import Case, ChildStart
from tests.api.support import API, history
from tests.conftest import Auth
from tests.engine.cases.test_child_batches import replays_and_verifies
from tests.engine.time.timer_support import actor
from tests.helpers import complete
from tests.web.support import signed_in, text_of
from tests.workflows.test_annual_talent_review import PLAIN, YEAR, assessments, talent
from workflows import POLICIES, annual_talent_review, review_progress, talent_assessment

REASON = "Đơn vị của ông Minh đã sáp nhập; đánh giá ở kỳ sau"


def panel_notes(auth: Auth, case_id: int) -> list[Any]:
    case = auth.as_("hr").get(f"{API}/cases/{case_id}").get_json()
    return [words for note in review_progress.progress_panel(case).parts for words in note.words]


def review_with_a_gone_talent(store: Any, service: Any, monkeypatch: Any, others: list[tuple[str, str]],
                              gone_unit: str) -> tuple[int, list[int], int]:
    """Start the year's review of ``others`` (name, unit) and Lê Văn Minh of ``gone_unit``, whose
    assessment names a unit code the directory no longer has: (review, the others' ids, his id)."""
    ids = [talent(store, name, unit, date(2022, 1, 10)) for name, unit in others]
    gone = talent(store, "Lê Văn Minh", gone_unit, date(2022, 1, 10))
    policy = POLICIES[talent_assessment.PROCESS_KEY]
    real_unit = policy.case_unit

    def case_unit(data, starter):  # type: ignore[no-untyped-def]
        return "SNV-CU" if data.get("talent_id") == gone else real_unit(data, starter)

    monkeypatch.setattr(policy, "case_unit", case_unit)
    service.start(actor(store, "hr"), annual_talent_review.PROCESS_KEY, {"year": YEAR})
    with store.read() as session:
        [case_id] = session.scalars(select(Case.id).where(Case.process_key == annual_talent_review.PROCESS_KEY))
        assert session.get(Case, case_id).status == "error"
    return case_id, ids, gone


@pytest.fixture
def review_with_a_gone_unit(store, service, monkeypatch) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    case_id, ids, _ = review_with_a_gone_talent(store, service, monkeypatch,
                                                [("Trần Thị Lan", "SGDDT"), ("Vũ Minh Châu", "SGDDT")], "SGDDT")
    return case_id, ids


def test_the_admin_skips_an_assessment_that_can_never_start_and_the_review_hears_the_others(
        app, auth: Auth, store, service, review_with_a_gone_unit):
    case_id, ids = review_with_a_gone_unit
    case = auth.as_("hr").get(f"{API}/cases/{case_id}").get_json()
    assert case["incident"]["command"] == {"type": "child_starts"}
    assert case["child_plan"] == {"planned": 3, "started": 2, "to_start": 0, "could_not_start": 1, "skipped": 0}

    skipped = auth.as_("admin").post(f"{API}/cases/{case_id}/skip-failed-children", json={"reason": REASON})

    assert skipped.status_code == 200, skipped.get_json()
    answer = skipped.get_json()
    assert answer["status"] == "running" and answer["incident"] is None
    assert answer["child_plan"] == {"planned": 3, "started": 2, "to_start": 0, "could_not_start": 0, "skipped": 1}
    [event] = [e for e in history(auth, "hr", case_id) if e["type"] == "child_starts_skipped"]
    assert event["actor"] == "admin" and event["data"]["reason"] == REASON
    assert "unknown unit 'SNV-CU'" in event["data"]["children"][0]["message"]
    # a unit head reads the review too, but not which talents of other units failed, nor the admin's words
    assert [e["data"] for e in history(auth, "head_gddt", case_id)
            if e["type"] in ("child_starts_failed", "child_starts_skipped")] == [{"count": 1}, {"count": 1}]
    notes = panel_notes(auth, case_id)
    assert not [w for w in notes if "being started" in w.text]
    [words] = [w for w in notes if "skipped by an admin" in w.text]
    assert words.values == {"count": 1}

    page = unescape(text_of(signed_in(app, "hr").get(f"/cases/{case_id}")))  # in hr's language
    assert "1 hồ sơ đánh giá không khởi tạo được và đã được quản trị viên bỏ qua" in page, page
    assert "Đã bỏ qua các hồ sơ con không khởi tạo được" in page, page

    for task in assessments(auth, "head_gddt", case_id):
        complete(auth, "head_gddt", task["id"], PLAIN)

    [received] = [e for e in history(auth, "hr", case_id) if e["type"] == "message_received"]
    assert sorted(received["data"]["payload"]["results"]) == sorted(str(t) for t in ids)
    replays_and_verifies(service, store, case_id)


def test_skipping_answers_in_the_error_shape_and_changes_nothing_when_refused(
        auth: Auth, store, review_with_a_gone_unit):
    case_id, _ = review_with_a_gone_unit
    before = len(history(auth, "hr", case_id))
    url = f"{API}/cases/{case_id}/skip-failed-children"

    for user, body, status in (("admin", {}, 422), ("admin", {"reason": ""}, 422), ("admin", {"reason": " "}, 422),
                               ("hr", {"reason": REASON}, 403)):
        refused = auth.as_(user).post(url, json=body)
        assert refused.status_code == status, refused.get_json()
        assert refused.get_json()["error"]["message"]
    assert len(history(auth, "hr", case_id)) == before
    with store.read() as session:
        assert not session.scalars(select(ChildStart.id).where(ChildStart.skipped_at.is_not(None))).all()

    assert auth.as_("admin").post(url, json={"reason": REASON}).status_code == 200
    again = auth.as_("admin").post(url, json={"reason": REASON})  # running now: nothing left to skip
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "case_not_in_error"
