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


def begin(auth: Any, name: str, data: dict[str, Any] | None = None) -> tuple[RawTimedRun, dict[str, Any]]:
    """Deploy ``name`` (its process has the file's name), start a case and the raw run with ``data``."""
    process = name.removesuffix(".bpmn")
    deploy_file(auth, name)
    return RawTimedRun(name, process, data), start(auth, "hr", process, data)


def ends_like_raw(auth: Any, raw: RawTimedRun, case_id: int, fired: list[str]) -> dict[str, Any]:
    """The case completed with raw SpiffWorkflow's final data, reported ``fired``, and replays."""
    ended, raw_data = raw.result()
    assert ended is True
    shown = get_case(auth, "hr", case_id)
    assert shown["status"] == "completed" and shown["tasks"] == [] and shown["data"] == raw_data
    assert fired_elements(history(auth, "hr", case_id)) == fired
    replayed = auth.as_("auditor").post(f"{API}/cases/{case_id}/replay").get_json()
    assert replayed["consistent"] is True, replayed
    return raw_data


def test_a_timer_after_an_event_based_gateway_fires_like_raw_spiffworkflow(
        app, client, auth, store, service, manual_clock):
    raw, case = begin(auth, "event_gateway_timer.bpmn")
    assert case["status"] == "running"
    # SpiffWorkflow keeps the timer in the gateway's own definition: it used to be missed here.
    assert next_timer_at(store, case["id"]) is not None

    assert advance_both(manual_clock, service, raw, timedelta(minutes=59)) == {}
    assert raw.result()[0] is False and get_case(auth, "hr", case["id"])["status"] == "running"

    manual_clock.advance(timedelta(minutes=1, seconds=1))
    executor = make_executor(app)  # the executor fires it, so /healthz counts it
    assert executor.run_once() == 1
    raw.wake()

    assert ends_like_raw(auth, raw, case["id"], ["no_reply_in_an_hour"])["outcome"] == "timed out"
    assert client.get("/healthz").get_json()["scheduler"]["this_process"]["fired_total"] == 1


def test_a_cycle_timer_re_arms_on_the_same_element_and_each_firing_is_reported(
        app, client, auth, store, service, manual_clock):
    raw, case = begin(auth, "cycle_timer.bpmn")
    executor = make_executor(app)
    for hour in range(4):  # R3: three firings, then nothing more waits
        manual_clock.advance(timedelta(hours=1, seconds=1))
        assert executor.run_once() == (1 if hour < 3 else 0)
        raw.wake()
        assert (next_timer_at(store, case["id"]) is None) == (hour >= 2)
    assert client.get("/healthz").get_json()["scheduler"]["this_process"]["fired_total"] == 3

    [task] = get_case(auth, "hr", case["id"])["tasks"]
    assert task["element_id"] == "review" and raw.ready() == ["review"]
    response = auth.as_("hr").post(f"{API}/tasks/{task['id']}/complete", json={"data": {"ok": True}})
    assert response.status_code == 200, response.get_json()
    raw.complete("review", {"ok": True})

    assert ends_like_raw(auth, raw, case["id"], ["every_hour"] * 3)["closed"] is True


def test_a_boundary_timer_on_a_sub_process_interrupts_it_like_raw_spiffworkflow(
        app, client, auth, store, service, manual_clock):
    raw, case = begin(auth, "subprocess_boundary_timer.bpmn")
    assert [t["element_id"] for t in case["tasks"]] == ["fill_in"] == raw.ready()
    assert next_timer_at(store, case["id"]) is not None

    assert advance_both(manual_clock, service, raw, timedelta(hours=1)) == {}
    assert advance_both(manual_clock, service, raw, timedelta(hours=1, seconds=1)) == {
        case["id"]: ["two_hours_passed"]}

    assert ends_like_raw(auth, raw, case["id"], ["two_hours_passed"])["escalated"] is True
    assert "task_cancelled" in [e["type"] for e in history(auth, "hr", case["id"])]


def test_an_intermediate_timer_catch_event_waits_for_its_date_like_raw_spiffworkflow(
        app, client, auth, store, service, manual_clock):
    raw, case = begin(auth, "intermediate_timer.bpmn",
                      {"wake_at": (manual_clock.now() + timedelta(hours=2)).isoformat()})
    assert case["status"] == "running" and next_timer_at(store, case["id"]) is not None

    assert advance_both(manual_clock, service, raw, timedelta(hours=2)) == {}  # fires when due < now
    assert raw.result()[0] is False
    assert advance_both(manual_clock, service, raw, timedelta(seconds=1)) == {case["id"]: ["wait_until"]}

    assert ends_like_raw(auth, raw, case["id"], ["wait_until"])["woke"] is True
