"""Timers everywhere SpiffWorkflow has them, fired by the service as the library fires them.

Each test deploys a small file through the API, starts a case, moves the manual clock and fires
due timers with the service's ``fire_due`` (as the executor does), while raw SpiffWorkflow runs the
same file on the same clock; the end state and final data must match, each firing must be a
``timer_fired`` event, and the executor's count in ``/healthz`` must include it.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from api.server import make_executor
from engine.store.models import Case
from tests.api.conformance import deploy_file
from tests.api.conformance_timers import RawTimedRun, advance_both, fired_elements
from tests.api.support import API, get_case, history, start


def next_timer_at(store: Any, case_id: int) -> Any:
    with store.read() as session:
        return session.scalar(select(Case.next_timer_at).where(Case.id == case_id))


def replays(auth: Any, case_id: int) -> None:
    replayed = auth.as_("auditor").post(f"{API}/cases/{case_id}/replay").get_json()
    assert replayed["consistent"] is True, replayed


def test_a_timer_after_an_event_based_gateway_fires_like_raw_spiffworkflow(
        app, client, auth, store, service, manual_clock):
    name, process = "event_gateway_timer.bpmn", "event_gateway_timer"
    deploy_file(auth, name)
    raw = RawTimedRun(name, process)
    case = start(auth, "hr", process)
    assert case["status"] == "running"
    # SpiffWorkflow keeps the timer in the gateway's own definition: it used to be missed here.
    assert next_timer_at(store, case["id"]) is not None

    assert advance_both(manual_clock, service, raw, timedelta(minutes=59)) == {}
    assert raw.result()[0] is False and get_case(auth, "hr", case["id"])["status"] == "running"

    manual_clock.advance(timedelta(minutes=1, seconds=1))
    executor = make_executor(app)  # the executor fires it, so /healthz counts it
    assert executor.run_once() == 1
    raw.wake()

    ended, raw_data = raw.result()
    assert ended is True and raw_data["outcome"] == "timed out"
    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "completed" and shown["data"] == raw_data
    assert fired_elements(history(auth, "hr", case["id"])) == ["no_reply_in_an_hour"]
    assert client.get("/healthz").get_json()["scheduler"]["this_process"]["fired_total"] == 1
    replays(auth, case["id"])


def test_a_cycle_timer_re_arms_on_the_same_element_and_each_firing_is_reported(
        app, client, auth, store, service, manual_clock):
    name, process = "cycle_timer.bpmn", "cycle_timer"
    deploy_file(auth, name)
    raw = RawTimedRun(name, process)
    case = start(auth, "hr", process)
    executor = make_executor(app)

    for hour in range(4):  # R3: three firings, then nothing more waits
        manual_clock.advance(timedelta(hours=1, seconds=1))
        assert executor.run_once() == (1 if hour < 3 else 0)
        raw.wake()
        assert (next_timer_at(store, case["id"]) is None) == (hour >= 2)
    assert fired_elements(history(auth, "hr", case["id"])) == ["every_hour"] * 3
    assert client.get("/healthz").get_json()["scheduler"]["this_process"]["fired_total"] == 3

    [task] = get_case(auth, "hr", case["id"])["tasks"]
    assert task["element_id"] == "review" and raw.ready() == ["review"]
    response = auth.as_("hr").post(f"{API}/tasks/{task['id']}/complete", json={"data": {"ok": True}})
    assert response.status_code == 200, response.get_json()
    raw.complete("review", {"ok": True})

    ended, raw_data = raw.result()
    assert ended is True and raw_data["closed"] is True
    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "completed" and shown["data"] == raw_data
    replays(auth, case["id"])


def test_a_boundary_timer_on_a_sub_process_interrupts_it_like_raw_spiffworkflow(
        app, client, auth, store, service, manual_clock):
    name, process = "subprocess_boundary_timer.bpmn", "subprocess_boundary_timer"
    deploy_file(auth, name)
    raw = RawTimedRun(name, process)
    case = start(auth, "hr", process)
    assert [t["element_id"] for t in case["tasks"]] == ["fill_in"] == raw.ready()
    assert next_timer_at(store, case["id"]) is not None

    assert advance_both(manual_clock, service, raw, timedelta(hours=1)) == {}
    assert advance_both(manual_clock, service, raw, timedelta(hours=1, seconds=1)) == {
        case["id"]: ["two_hours_passed"]}

    ended, raw_data = raw.result()
    assert ended is True and raw_data["escalated"] is True and raw.ready() == []
    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "completed" and shown["tasks"] == [] and shown["data"] == raw_data
    assert fired_elements(history(auth, "hr", case["id"])) == ["two_hours_passed"]
    assert "task_cancelled" in [e["type"] for e in history(auth, "hr", case["id"])]
    replays(auth, case["id"])


def test_an_intermediate_timer_catch_event_waits_for_its_date_like_raw_spiffworkflow(
        app, client, auth, store, service, manual_clock):
    name, process = "intermediate_timer.bpmn", "intermediate_timer"
    deploy_file(auth, name)
    wake_at = (manual_clock.now() + timedelta(hours=2)).isoformat()
    raw = RawTimedRun(name, process, {"wake_at": wake_at})
    case = start(auth, "hr", process, {"wake_at": wake_at})
    assert case["status"] == "running" and next_timer_at(store, case["id"]) is not None

    assert advance_both(manual_clock, service, raw, timedelta(hours=2)) == {}  # fires when due < now, not at due
    assert raw.result()[0] is False
    assert advance_both(manual_clock, service, raw, timedelta(seconds=1)) == {case["id"]: ["wait_until"]}

    ended, raw_data = raw.result()
    assert ended is True and raw_data["woke"] is True
    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "completed" and shown["data"] == raw_data
    assert fired_elements(history(auth, "hr", case["id"])) == ["wait_until"]
    replays(auth, case["id"])
