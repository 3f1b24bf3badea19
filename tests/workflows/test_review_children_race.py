"""The annual review and its assessments when things happen at once, fail, or are cancelled.

A review (parent case) hears from its assessments (child cases) through one
``assessments_done`` message sent by the last one to end. These tests race the
last two assessments, fail and retry one, and cancel the review while an
assessment is being completed — on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any, Callable

from sqlalchemy import text

from engine.people.actors import Actor
from tests.api.support import API, events, history
from tests.conftest import Auth
from tests.helpers import complete, in_threads, ready_task
from tests.workflows.test_annual_talent_review import PLAIN, assessments, review, start_review, talent
from workflows.rules import review_rules

ROUNDS = 3


def test_the_last_two_assessments_completed_at_once_send_the_review_one_message(app, auth: Auth, store):
    """Two unit heads submit the last two assessments in the same instant: exactly one of the two
    steps sees no assessment left open and hands the review both results."""
    lan = talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    minh = talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15))
    heads = {"head_gddt": auth.headers("head_gddt"), "head_qlkh": auth.headers("head_qlkh")}
    for round_ in range(ROUNDS):
        case = start_review(auth)
        tasks = {user: assessments(auth, user, case["id"]) for user in heads}
        assert all(len(found) == 1 for found in tasks.values()), tasks

        def submit(user: str) -> Callable[[], Any]:
            client = app.test_client()
            url = f"{API}/tasks/{tasks[user][0]['id']}/complete"
            return lambda: client.post(url, headers=heads[user], json={"data": PLAIN})

        responses = in_threads({user: submit(user) for user in heads})
        assert {user: r.status_code for user, r in responses.items()} == {"head_gddt": 200, "head_qlkh": 200}, \
            [r.get_json() for r in responses.values()]

        [received] = [e for e in history(auth, "auditor", case["id"]) if e["type"] == "message_received"]
        assert sorted(received["data"]["payload"]["results"]) == sorted([str(lan), str(minh)])
        after = review(auth, case["id"])
        assert after["children"] == {"assessed": 2}
        assert {line["talent_id"]: line["assessed"] for line in after["data"]["review_outcomes"]} == \
            {lan: True, minh: True}
        assert ready_task(after, "consolidate_review")
        if round_ < ROUNDS - 1:  # a cancelled review does not count: the year can be reviewed again
            assert auth.as_("hr").post(f"{API}/cases/{case['id']}/cancel",
                                       json={"reason": "vòng thử tiếp theo"}).status_code == 200


def test_an_assessment_that_failed_and_is_retried_still_tells_the_review(app, auth: Auth, store, monkeypatch):
    """The outcome rules fail on the last assessment (an incident, the review keeps waiting); once
    an admin retries it after the fix, the assessment ends and the review gets its message."""
    outage = {"on": False}
    real = review_rules.SCRIPT_HELPERS["rule_facts"]

    def rule_facts(*args: Any, **kwargs: Any) -> Any:
        if outage["on"]:
            raise RuntimeError("registry history unavailable")
        return real(*args, **kwargs)

    monkeypatch.setitem(review_rules.SCRIPT_HELPERS, "rule_facts", rule_facts)
    lan = talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    minh = talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15))
    case = start_review(auth)
    complete(auth, "head_gddt", assessments(auth, "head_gddt", case["id"])[0]["id"], PLAIN)
    [task] = assessments(auth, "head_qlkh", case["id"])
    outage["on"] = True
    response = auth.as_("head_qlkh").post(f"{API}/tasks/{task['id']}/complete", json={"data": PLAIN})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "case_error", response.get_json()
    assert auth.as_("hr").get(f"{API}/cases/{task['case_id']}").get_json()["status"] == "error"
    assert "message_received" not in [e["type"] for e in history(auth, "auditor", case["id"])]
    assert review(auth, case["id"])["children"] == {"assessed": 1, "error": 1}

    outage["on"] = False
    retried = auth.as_("admin").post(f"{API}/cases/{task['case_id']}/retry")
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["status"] == "assessed"
    [received] = [e for e in history(auth, "auditor", case["id"]) if e["type"] == "message_received"]
    assert sorted(received["data"]["payload"]["results"]) == sorted([str(lan), str(minh)])
    after = review(auth, case["id"])
    assert after["children"] == {"assessed": 2} and ready_task(after, "consolidate_review")


def test_a_failed_assessment_cancelled_with_its_review_tells_nobody(auth: Auth, store, monkeypatch):
    """Cancelling a review whose assessment is in error cancels that assessment too, and the
    cancelled review is not sent a message by its own cancellation."""
    def rule_facts(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("registry history unavailable")

    monkeypatch.setitem(review_rules.SCRIPT_HELPERS, "rule_facts", rule_facts)
    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    case = start_review(auth)
    [task] = assessments(auth, "head_gddt", case["id"])
    assert auth.as_("head_gddt").post(f"{API}/tasks/{task['id']}/complete", json={"data": PLAIN}).status_code >= 400
    response = auth.as_("hr").post(f"{API}/cases/{case['id']}/cancel", json={"reason": "Làm lại"})
    assert response.status_code == 200, response.get_json()
    assert review(auth, case["id"])["children"] == {"cancelled": 1}
    assert "message_received" not in [e["type"] for e in history(auth, "auditor", case["id"])]
    again = auth.as_("hr").post(f"{API}/cases/{task['case_id']}/cancel", json={"reason": "lần nữa"})
    assert again.status_code == 409


def _someone_waits_on_a_lock(store: Any, rival_started: threading.Event, timeout: float = 60.0) -> bool:
    """Whether the rival command is blocked behind this one: PostgreSQL shows a session waiting on a
    row lock (polled, up to ``timeout``); SQLite cannot show it, so the rival is given time to reach
    its BEGIN IMMEDIATE, where it waits for the one write lock."""
    if store.is_sqlite:
        if not rival_started.wait(timeout):
            return False
        time.sleep(0.3)  # the rival's few statements before BEGIN IMMEDIATE; no service clock is involved
        return True
    deadline = time.monotonic() + timeout
    with store.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock'")).scalar()
            conn.commit()
            if waiting:
                return True
            time.sleep(0.02)  # polling the database for a rival's lock wait; no clock is involved
    return False


def test_cancelling_the_review_while_an_assessment_completes_does_not_deadlock(app, auth: Auth, store, service):
    """Completing an assessment locks the assessment, then its review; cancelling the review must
    take the same locks in the same order, or PostgreSQL kills one of the two with a deadlock.
    (On SQLite the cancel waits for the one write lock: the same outcome is required.)"""
    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15))
    case = start_review(auth)
    [task] = assessments(auth, "head_gddt", case["id"])
    child_locked, cancelling = threading.Event(), threading.Event()
    original = type(service)._child_finished

    def child_finished(self: Any, conn: Any, actor: Any, parent_id: int) -> None:
        # The assessment row is locked and saved: let the cancel run into the lock, then go on.
        # (The cancel itself comes here too, for the other assessment it cancels: no pause then.)
        if actor.username == "head_gddt":
            child_locked.set()
            assert _someone_waits_on_a_lock(store, cancelling), "the cancel never waited for the assessment"
        original(self, conn, actor, parent_id)

    hr = Actor(user_id=_user_id(store, "hr"), username="hr", global_roles=frozenset({"hr_officer"}))
    head = Actor(user_id=_user_id(store, "head_gddt"), username="head_gddt",
                 unit_roles=(("unit_head", _unit_path(store, "SGDDT")),))
    type(service)._child_finished = child_finished
    try:
        def cancel() -> Any:
            assert child_locked.wait(30)
            cancelling.set()
            return service.cancel(hr, case["id"], "Làm lại theo chỉ đạo mới")

        outcome = in_threads({"complete": lambda: service.complete(head, task["id"], PLAIN), "cancel": cancel})
    finally:
        type(service)._child_finished = original
    assert outcome["cancel"] == case["id"]
    after = review(auth, case["id"])
    assert after["status"] == "cancelled" and after["children"] == {"assessed": 1, "cancelled": 1}
    assert [e.seq for e in events(store, case["id"])] == list(range(1, len(events(store, case["id"])) + 1))


def _user_id(store: Any, username: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM user_account WHERE username = :u"), {"u": username}).scalar())


def _unit_path(store: Any, code: str) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(text("SELECT path FROM unit WHERE code = :c"), {"c": code}).scalar())
