"""hr follows a yearly review's assessments per unit and reminds a late unit's heads (JSON API).

Three units with talents: SGDDT's head assesses all of theirs, SKHCN-QLKH's head one of two, and
SKHCN's head none. After 15 December hr reads the figures per unit and reminds SKHCN: its heads
get one notification naming the unit and the count, a second click within the hour sends
nothing, nobody but hr may remind, a unit with nothing open is not reminded, the reminder is an
event on the review's hash chain and the review still replays and verifies.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from tests.api.support import error_of, history, unchanged
from tests.helpers import complete
from tests.workflows.test_annual_talent_review import PLAIN, assessments, start_review, talent

API = "/api/v1"
AFTER_THE_DEADLINE = datetime(2026, 12, 16, 3, 0, tzinfo=timezone.utc)  # 16/12 10:00 in Hai Phong


def three_units_review(auth: Any, store: Any, manual_clock: Any) -> dict[str, Any]:
    """Talents in SGDDT (2), SKHCN-QLKH (2) and SKHCN (3); SGDDT assesses both, QLKH one, SKHCN none."""
    for name, unit in (("Trần Thị Lan", "SGDDT"), ("Vũ Minh Châu", "SGDDT"), ("Lê Văn Minh", "SKHCN-QLKH"),
                       ("Đặng Thu Trang", "SKHCN-QLKH"), ("Phạm Anh Tuấn", "SKHCN"), ("Ngô Bảo Ngọc", "SKHCN"),
                       ("Hoàng Gia Bảo", "SKHCN")):
        talent(store, name, unit, date(2023, 5, 10))
    case = start_review(auth)
    for task in assessments(auth, "head_gddt", case["id"]):
        complete(auth, "head_gddt", task["id"], PLAIN)
    complete(auth, "head_qlkh", assessments(auth, "head_qlkh", case["id"])[0]["id"], PLAIN)
    manual_clock.set(AFTER_THE_DEADLINE)  # no timer fired yet: the open assessments are overdue
    auth._tokens.clear()  # months later, people sign in again (tokens last hours)
    return case


def by_unit(lines: list[dict[str, Any]]) -> dict[str, tuple[int, int, int, int]]:
    return {line["unit"]: (line["done"], line["open"], line["overdue"], line["total"]) for line in lines}


def notes_of(auth: Any, user: str) -> list[dict[str, Any]]:
    return auth.as_(user).get(f"{API}/me/notifications").get_json()["items"]


def test_hr_reads_the_assessments_per_unit_exactly_and_unit_heads_do_not(auth, store, manual_clock):
    case = three_units_review(auth, store, manual_clock)
    progress = auth.as_("hr").get(f"{API}/cases/{case['id']}/progress")
    assert progress.status_code == 200, progress.get_json()
    lines = progress.get_json()["progress"]
    assert by_unit(lines) == {"SGDDT": (2, 0, 0, 2), "SKHCN": (0, 3, 3, 3), "SKHCN-QLKH": (1, 1, 1, 2)}
    assert {line["role"] for line in lines} == {"unit_head"}
    assert {line["due_at"] for line in lines if line["open"]} == {"2026-12-15T17:00:00+00:00"}
    # the case itself carries the same figures for its readers, and none for a unit head
    assert by_unit(auth.as_("approver").get(f"{API}/cases/{case['id']}").get_json()["progress"]) == by_unit(lines)
    assert auth.as_("head_khcn").get(f"{API}/cases/{case['id']}").get_json()["progress"] is None
    error = error_of(auth.as_("head_khcn").get(f"{API}/cases/{case['id']}/progress"), 403)
    assert error["code"] == "progress_forbidden"


def test_hr_reminds_the_late_unit_once_and_only_its_heads_are_told(auth, store, manual_clock):
    case = three_units_review(auth, store, manual_clock)
    sent = auth.as_("hr").post(f"{API}/cases/{case['id']}/reminders", json={"target": "SKHCN"})
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["unit"] == "SKHCN" and sent.get_json()["role"] == "unit_head"

    [note] = notes_of(auth, "head_khcn")
    assert note["kind"] == "reminder" and note["to_role"] == "unit_head" and note["case_id"] == case["id"]
    assert note["read"] is False and note["data"]["open"] == 3 and note["data"]["unit"] == "SKHCN"
    assert "SKHCN · Sở KH&CN" in note["message"] and "3 talent assessments" in note["message"]
    assert "quá hạn" in note["message"] and "15/12/2026" in note["message"]
    assert notes_of(auth, "head_gddt") == [] and notes_of(auth, "head_qlkh") == []  # QLKH sits below SKHCN

    # a double click, or a second hr officer within the hour: refused, nothing more sent
    with unchanged(store):
        error = error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/reminders", json={"target": "SKHCN"}), 409)
    assert error["code"] == "already_reminded"
    manual_clock.advance(timedelta(hours=1, minutes=1))
    assert auth.as_("hr").post(f"{API}/cases/{case['id']}/reminders", json={"target": "SKHCN"}).status_code == 201
    assert len(notes_of(auth, "head_khcn")) == 2

    [event, again] = [e for e in history(auth, "hr", case["id"]) if e["type"] == "reminder_requested"]
    assert event["actor"] == "hr" and event["data"]["unit"] == "SKHCN" and event["data"]["open"] == 3
    assert event["data"]["notified"].startswith("role:unit_head@") and again["seq"] > event["seq"]
    replay = auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay").get_json()
    assert replay["consistent"] is True, replay
    verified = auth.as_("auditor").get(f"{API}/audit/verify").get_json()
    assert verified["ok"] is True, verified


def test_only_hr_reminds_and_only_a_unit_with_open_assessments(auth, store, manual_clock):
    case = three_units_review(auth, store, manual_clock)
    url = f"{API}/cases/{case['id']}/reminders"
    with unchanged(store):
        for user in ("head_khcn", "approver", "auditor"):
            assert error_of(auth.as_(user).post(url, json={"target": "SKHCN"}), 403)["code"] == "reminder_forbidden"
        assert error_of(auth.as_("hr").post(url, json={"target": "SGDDT"}), 422)["code"] == "nothing_to_remind"
        assert error_of(auth.as_("hr").post(url, json={"target": "NOWHERE"}), 422)["code"] == "nothing_to_remind"
        assert error_of(auth.as_("hr").post(url, json={"target": ""}), 422)
        assert error_of(auth.as_("nobody").post(url, json={"target": "SKHCN"}), 404)
    assert all(notes_of(auth, user) == [] for user in ("head_khcn", "head_gddt", "head_qlkh"))


def test_before_the_deadline_a_unit_with_open_assessments_may_be_reminded_of_them(auth, store):
    talent(store, "Phạm Anh Tuấn", "SKHCN", date(2023, 5, 10))
    case = start_review(auth)
    sent = auth.as_("hr").post(f"{API}/cases/{case['id']}/reminders", json={"target": "SKHCN"})
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["data"]["overdue"] == 0 and "chưa đánh giá" in sent.get_json()["message"]
