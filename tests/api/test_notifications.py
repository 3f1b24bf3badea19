"""Reminders and escalations: non-interrupting timers on a task tell people, through ``/me/notifications``.

``tests/data/reminders.bpmn``: a reviewer's task due in 3 hours, a reminder to
whoever has it after 2 hours, an escalation to the admins and the assignee after
4 hours (plus a target nobody knows, which is recorded as ignored).
"""
from __future__ import annotations

from datetime import timedelta

from tests.conftest import DATA

API = "/api/v1"


def deploy_reminders(auth) -> None:  # type: ignore[no-untyped-def]
    with open(DATA / "reminders.bpmn", "rb") as fh:
        response = auth.as_("admin").post(f"{API}/processes", data={"file": (fh, "reminders.bpmn")})
    assert response.status_code == 201, response.get_json()


def inbox(auth, user: str, **params) -> dict:  # type: ignore[no-untyped-def]
    response = auth.as_(user).get(f"{API}/me/notifications", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_reviewer_is_reminded_and_the_admins_are_told_when_the_task_is_late(auth, service, manual_clock):
    deploy_reminders(auth)
    case = auth.as_("hr").post(f"{API}/cases", json={"process": "reminders", "data": {}}).get_json()
    task = case["tasks"][0]

    manual_clock.advance(timedelta(hours=2))
    assert service.fire_due() == {}  # not before its time
    assert inbox(auth, "reviewer")["total"] == 0
    manual_clock.advance(timedelta(seconds=1))
    assert service.fire_due() == {case["id"]: ["remind"]}

    # nobody has claimed the task: the reminder goes to the holders of its role
    reminder = inbox(auth, "reviewer")["items"]
    assert [(n["kind"], n["to_role"], n["personal"], n["task_id"]) for n in reminder] == \
        [("reminder", "reviewer", False, task["id"])]
    assert reminder[0]["message"] == "Due in an hour: Review the dossier"
    assert inbox(auth, "hr")["total"] == 0 and inbox(auth, "admin")["total"] == 0

    assert auth.as_("reviewer").post(f"{API}/tasks/{task['id']}/claim").status_code == 200
    manual_clock.advance(timedelta(hours=2))
    assert service.fire_due() == {case["id"]: ["escalate"]}

    mine = inbox(auth, "reviewer")["items"]  # newest first
    assert [(n["kind"], n["personal"]) for n in mine] == [("escalation", True), ("reminder", False)]
    assert [(n["kind"], n["to_role"]) for n in inbox(auth, "admin")["items"]] == [("escalation", "admin")]
    history = auth.as_("auditor").get(f"{API}/cases/{case['id']}/history").get_json()
    sent = [e for e in history if e["type"] in ("reminder_sent", "task_escalated")]
    assert [e["type"] for e in sent] == ["reminder_sent", "task_escalated"]
    assert sent[1]["data"]["ignored_targets"] == ["pager"] and sent[1]["task_id"] == task["id"]
    assert len(sent[1]["data"]["notified"]) == 2

    # the task is still there (the timers do not interrupt it) and is done late
    done = auth.as_("reviewer").post(f"{API}/tasks/{task['id']}/complete", json={"data": {"ok": True}})
    assert done.get_json()["status"] == "completed"
    manual_clock.advance(timedelta(days=10))
    assert service.fire_due() == {}


def test_notifications_are_marked_read_by_their_readers_only(auth, service, manual_clock):
    deploy_reminders(auth)
    auth.as_("hr").post(f"{API}/cases", json={"process": "reminders", "data": {}})
    manual_clock.advance(timedelta(hours=4, seconds=1))
    service.fire_due()
    escalation = inbox(auth, "admin")["items"][0]
    reminder = [n for n in inbox(auth, "reviewer")["items"] if n["kind"] == "reminder"][0]

    assert auth.as_("hr").post(f"{API}/me/notifications/{escalation['id']}/read").status_code == 404
    assert auth.as_("admin").post(f"{API}/me/notifications/999999/read").status_code == 404
    marked = auth.as_("reviewer").post(f"{API}/me/notifications/{reminder['id']}/read").get_json()
    assert marked["read"] is True and marked["read_at"] == manual_clock.now().isoformat()
    assert [n["id"] for n in inbox(auth, "reviewer", unread="true")["items"]] == \
        [n["id"] for n in inbox(auth, "reviewer")["items"] if n["id"] != reminder["id"]]
    page = inbox(auth, "reviewer", per_page=1, page=2)
    assert page["total"] == 2 and page["per_page"] == 1 and len(page["items"]) == 1


def test_bad_paging_is_refused_and_the_inbox_wants_a_token(auth, client):
    bad = auth.as_("hr").get(f"{API}/me/notifications?per_page=0")
    assert bad.status_code == 422 and bad.get_json()["error"]["code"]
    assert auth.as_("hr").get(f"{API}/me/notifications?unread=maybe").status_code == 422
    assert client.get(f"{API}/me/notifications").status_code == 401
