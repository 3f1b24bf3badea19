"""Messages and signals sent to cases from outside, through the HTTP API.

``POST /cases/{id}/messages`` and ``/signals`` deliver to one case; ``POST /messages`` finds the
one running case waiting for the message (by business key), or starts a case of the process whose
message start event has that name. Each delivery is one step of the case, compared with raw
SpiffWorkflow's run of the same file and replayed; every refusal changes nothing.
"""
from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition

from api.cli import main
from engine.people.directory import get_user, grant_role

from tests.api.conformance import deploy_file, drive, raw_result, raw_workflow, replays_consistent
from tests.api.conformance_events import complete_raw, deliver_raw, send, signal
from tests.api.support import API, case_row, error_of, get_case, history, start, unchanged

MESSAGE_FILE, SIGNAL_FILE, START_FILE = "message_from_outside.bpmn", "signal_from_outside.bpmn", "message_start.bpmn"


def waiting_for_result(auth: Any, business_key: str | None = None) -> dict[str, Any]:
    """A case of ``message_from_outside`` past its task, waiting for ``exam_result``."""
    case = drive(auth, start(auth, "hr", "message_from_outside", business_key=business_key),
                 {"register": {"candidate": "A"}})
    assert case["status"] == "running" and case["tasks"] == []
    return case


def correlate(auth: Any, body: dict[str, Any], user: str = "admin") -> Any:
    return auth.as_(user).post(f"{API}/messages", json=body)


@pytest.fixture
def cli(app, database_url, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


# ------------------------------------------------------------------ to one case: messages
def test_a_message_to_a_waiting_case_answers_the_case_as_raw_spiffworkflow_ends_it(auth):
    raw = raw_workflow(MESSAGE_FILE, "message_from_outside")
    complete_raw(raw, "register", {"candidate": "A"})
    deliver_raw(raw, "exam_result", {"score": 80})
    ended, raw_data = raw_result(raw)

    deploy_file(auth, MESSAGE_FILE)
    case = waiting_for_result(auth)
    response = send(auth, case["id"], "exam_result", {"score": 80})
    assert response.status_code == 200, response.get_json()
    answered = response.get_json()
    assert ended and answered["id"] == case["id"] and answered["status"] == "completed"
    assert answered["data"] == raw_data and raw_data["passed"] is True
    received = [e for e in history(auth, "auditor", case["id"]) if e["type"] == "message_received"]
    assert [(e["actor"], e["data"]) for e in received] == [("admin", {"message": "exam_result",
                                                                     "payload": {"score": 80}})]
    replays_consistent(auth, case["id"])


def test_every_refused_message_to_a_case_changes_nothing(auth, store):
    deploy_file(auth, MESSAGE_FILE)
    waiting = waiting_for_result(auth)
    not_yet = start(auth, "hr", "message_from_outside")
    with unchanged(store):
        error_of(send(auth, not_yet["id"], "exam_result", {"score": 1}), 409, "not_waiting")
        error_of(send(auth, waiting["id"], "interview_result", {"score": 1}), 409, "not_waiting")
        error_of(send(auth, waiting["id"], "exam_result", {"score": 1}, kind="signals"), 409, "not_waiting")
        bad = error_of(send(auth, waiting["id"], "exam_result", {"__class__": 1, "ok": 2}), 422)
        assert "__class__" in bad["details"]["payload"]
        error_of(send(auth, waiting["id"], "exam_result", {"import": 1}), 422)
        error_of(auth.as_("admin").post(f"{API}/cases/{waiting['id']}/messages", json={"payload": {}}), 422)
        error_of(auth.as_("admin").post(f"{API}/cases/{waiting['id']}/messages",
                                        json={"name": "exam_result", "payload": [1]}), 422)
        # the hr officer who started it sees the case, but may not send it messages
        error_of(send(auth, waiting["id"], "exam_result", {"score": 1}, user="hr"), 403)
        # a case someone may not see is answered exactly as a case that does not exist
        hidden = error_of(send(auth, waiting["id"], "exam_result", {"score": 1}, user="nobody"), 404, "not_found")
        missing = error_of(send(auth, 987654, "exam_result", {"score": 1}, user="nobody"), 404, "not_found")
        assert hidden["message"].replace(str(waiting["id"]), "N") == missing["message"].replace("987654", "N")
        assert hidden["details"] == missing["details"]
        error_of(send(auth, 987654, "exam_result", {"score": 1}), 404, "not_found")
    assert get_case(auth, "hr", waiting["id"])["status"] == "running"


def test_an_integration_account_with_the_system_role_sends_to_a_case_it_does_not_take_part_in(auth, store):
    with store.transaction() as session:  # the account another system signs in with
        grant_role(session, get_user(session, "reviewer"), "system")
    deploy_file(auth, MESSAGE_FILE)
    case = waiting_for_result(auth, "EXAM-5")
    response = send(auth, case["id"], "exam_result", {"score": 90}, user="reviewer")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "completed"
    assert [e["actor"] for e in history(auth, "auditor", case["id"]) if e["type"] == "message_received"] == [
        "reviewer"]
    replays_consistent(auth, case["id"])


def test_a_message_to_an_ended_case_is_refused_and_changes_nothing(auth, store):
    deploy_file(auth, MESSAGE_FILE)
    case = waiting_for_result(auth)
    assert send(auth, case["id"], "exam_result", {"score": 10}).status_code == 200
    with unchanged(store):
        error_of(send(auth, case["id"], "exam_result", {"score": 10}), 409, "case_not_running")


# ------------------------------------------------------------------ to one case: signals
def test_a_signal_to_a_waiting_case_is_caught_with_its_payload_like_raw_spiffworkflow(auth):
    raw = raw_workflow(SIGNAL_FILE, "signal_from_outside")
    complete_raw(raw, "prepare", {"plan": "p"})
    deliver_raw(raw, "budget_approved", {"amount": 21}, definition=SignalEventDefinition)
    ended, raw_data = raw_result(raw)
    assert ended and raw_data["approval"] == {"amount": 21} and raw_data["planned"] == 42

    deploy_file(auth, SIGNAL_FILE)
    case = drive(auth, start(auth, "hr", "signal_from_outside"), {"prepare": {"plan": "p"}})
    answered = signal(auth, case["id"], "budget_approved", {"amount": 21})
    assert answered["status"] == "completed" and answered["data"] == raw_data
    assert [e["data"] for e in history(auth, "auditor", case["id"]) if e["type"] == "signal_received"] == [
        {"signal": "budget_approved", "payload": {"amount": 21}}]
    replays_consistent(auth, case["id"])


def test_every_refused_signal_changes_nothing(auth, store):
    deploy_file(auth, SIGNAL_FILE)
    not_yet = start(auth, "hr", "signal_from_outside")
    waiting = drive(auth, start(auth, "hr", "signal_from_outside"), {"prepare": {"plan": "p"}})
    with unchanged(store):
        error_of(send(auth, not_yet["id"], "budget_approved", {"amount": 1}, kind="signals"), 409, "not_waiting")
        # a message of the signal's name is not the signal
        error_of(send(auth, waiting["id"], "budget_approved", {"amount": 1}), 409, "not_waiting")
        error_of(send(auth, waiting["id"], "budget_approved", {"_x": 1}, kind="signals"), 422)
        error_of(send(auth, waiting["id"], "budget_approved", {"amount": 1}, kind="signals", user="hr"), 403)
        error_of(send(auth, waiting["id"], "budget_approved", {"amount": 1}, kind="signals", user="nobody"), 404)


def test_a_signal_whose_payload_breaks_a_script_is_an_incident_kept_for_a_retry_and_replays(auth):
    deploy_file(auth, SIGNAL_FILE)
    case = drive(auth, start(auth, "hr", "signal_from_outside"), {"prepare": {"plan": "p"}})
    failed = error_of(send(auth, case["id"], "budget_approved", {"total": 3}, kind="signals"), 422, "case_error")
    assert failed["details"]["element_id"] == "plan_budget"
    shown = get_case(auth, "admin", case["id"])
    assert shown["status"] == "error"
    types = [e["type"] for e in history(auth, "auditor", case["id"])]
    assert types[-2:] == ["signal_received", "case_failed"]
    replays_consistent(auth, case["id"])
    # the retry catches the same signal again on the last good state, and fails the same way
    error_of(auth.as_("admin").post(f"{API}/cases/{case['id']}/retry"), 422, "case_error")
    assert [e["type"] for e in history(auth, "auditor", case["id"])][-2:] == ["case_retried", "case_failed"]
    replays_consistent(auth, case["id"])


def test_a_broadcast_signal_reaches_every_case_waiting_for_it_each_like_raw_spiffworkflow(auth, store):
    raw = raw_workflow(SIGNAL_FILE, "signal_from_outside")
    complete_raw(raw, "prepare", {"plan": "p"})
    deliver_raw(raw, "budget_approved", {"amount": 5}, definition=SignalEventDefinition)
    _, raw_data = raw_result(raw)

    deploy_file(auth, SIGNAL_FILE)
    deploy_file(auth, MESSAGE_FILE)
    waiting = [drive(auth, start(auth, "hr", "signal_from_outside"), {"prepare": {"plan": "p"}}) for _ in range(2)]
    not_yet = start(auth, "hr", "signal_from_outside")
    other = waiting_for_result(auth)
    with unchanged(store):
        error_of(auth.as_("hr").post(f"{API}/signals", json={"name": "budget_approved", "payload": {}}), 403)
        error_of(auth.as_("admin").post(f"{API}/signals", json={"name": "budget_approved", "payload": {"_a": 1}}),
                 422)
    response = auth.as_("admin").post(f"{API}/signals", json={"name": "budget_approved", "payload": {"amount": 5}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"delivered_to": [c["id"] for c in waiting], "failed": [], "undelivered": []}
    for case in waiting:
        shown = get_case(auth, "hr", case["id"])
        assert shown["status"] == "completed" and shown["data"] == raw_data
        replays_consistent(auth, case["id"])
    assert get_case(auth, "hr", not_yet["id"])["tasks"] == not_yet["tasks"]
    assert get_case(auth, "hr", other["id"])["status"] == "running"
    # nobody waits any more: an empty answer, nothing changed
    with unchanged(store):
        again = auth.as_("admin").post(f"{API}/signals", json={"name": "budget_approved", "payload": {"amount": 5}})
        assert again.get_json() == {"delivered_to": [], "failed": [], "undelivered": []}


def test_a_broadcast_signal_that_fails_a_case_goes_on_to_the_next_each_failure_its_own_incident(auth):
    deploy_file(auth, SIGNAL_FILE)
    waiting = [drive(auth, start(auth, "hr", "signal_from_outside"), {"prepare": {"plan": "p"}}) for _ in range(2)]
    response = auth.as_("admin").post(f"{API}/signals", json={"name": "budget_approved", "payload": {"total": 1}})
    assert response.get_json() == {"delivered_to": [], "failed": [c["id"] for c in waiting], "undelivered": []}
    for case in waiting:
        assert get_case(auth, "admin", case["id"])["status"] == "error"
        replays_consistent(auth, case["id"])


# ------------------------------------------------------------------ correlation
def test_a_message_reaches_the_one_case_with_its_business_key_like_raw_spiffworkflow(auth):
    raw = raw_workflow(MESSAGE_FILE, "message_from_outside")
    complete_raw(raw, "register", {"candidate": "A"})
    deliver_raw(raw, "exam_result", {"score": 30})
    _, raw_data = raw_result(raw)

    deploy_file(auth, MESSAGE_FILE)
    first, second = waiting_for_result(auth, "EXAM-1"), waiting_for_result(auth, "EXAM-2")
    response = correlate(auth, {"name": "exam_result", "payload": {"score": 30}, "business_key": "EXAM-2"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"delivered_to": second["id"]}
    shown = get_case(auth, "hr", second["id"])
    assert shown["status"] == "completed" and shown["data"] == raw_data and raw_data["passed"] is False
    assert get_case(auth, "hr", first["id"])["status"] == "running"
    replays_consistent(auth, second["id"])

    # the only case still waiting takes a message sent without a key, and by its id
    response = correlate(auth, {"name": "exam_result", "payload": {"score": 30}, "case_id": first["id"]})
    assert response.get_json() == {"delivered_to": first["id"]}
    assert get_case(auth, "hr", first["id"])["data"] == raw_data
    replays_consistent(auth, first["id"])


def test_a_message_several_cases_wait_for_is_refused_as_ambiguous_naming_them(auth, store):
    deploy_file(auth, MESSAGE_FILE)
    cases = [waiting_for_result(auth, "EXAM-1"), waiting_for_result(auth, "EXAM-1"), waiting_for_result(auth)]
    with unchanged(store):
        error = error_of(correlate(auth, {"name": "exam_result", "payload": {"score": 1}}), 409, "ambiguous")
        assert "3 cases" in error["message"] and error["details"]["case_ids"] == [c["id"] for c in cases]
        error = error_of(correlate(auth, {"name": "exam_result", "payload": {"score": 1}, "business_key": "EXAM-1"}),
                         409, "ambiguous")
        assert "2 cases" in error["message"] and "EXAM-1" in error["message"]


def test_every_refused_correlated_message_changes_nothing(auth, store):
    deploy_file(auth, MESSAGE_FILE)
    waiting = waiting_for_result(auth, "EXAM-1")
    not_yet = start(auth, "hr", "message_from_outside", business_key="EXAM-2")
    with unchanged(store):
        # no case waits with that key, and no process starts with the message
        error = error_of(correlate(auth, {"name": "exam_result", "payload": {}, "business_key": "EXAM-2"}),
                         404, "no_receiver")
        assert "exam_result" in error["message"]
        error_of(correlate(auth, {"name": "nobody_listens", "payload": {}}), 404, "no_receiver")
        error_of(correlate(auth, {"name": "exam_result", "payload": {}, "case_id": not_yet["id"]}), 409, "not_waiting")
        error_of(correlate(auth, {"name": "exam_result", "payload": {}, "case_id": 987654}), 404, "not_found")
        error_of(correlate(auth, {"name": "exam_result", "payload": {"_x": 1}, "business_key": "EXAM-1"}), 422)
        error_of(correlate(auth, {"name": "", "payload": {}}), 422)
        error_of(correlate(auth, {"name": "exam_result", "payload": {}, "business_key": "EXAM-1"}, user="hr"), 403)
        error_of(correlate(auth, {"name": "exam_result", "payload": {}, "business_key": "EXAM-1"}, user="nobody"), 403)
    assert case_row(store, waiting["id"]).status == "running"


# ------------------------------------------------------------------ message start
def test_a_message_no_case_waits_for_starts_a_case_at_its_message_start_event_like_raw_spiffworkflow(auth):
    payload = {"name": "Ann"}
    raw = raw_workflow(START_FILE, "message_start", start=payload)  # the payload is the start data too
    deliver_raw(raw, "application", payload)
    complete_raw(raw, "file_it", {"filed": True})
    ended, raw_data = raw_result(raw)
    assert ended and raw_data["application"] == payload

    deploy_file(auth, START_FILE)
    response = correlate(auth, {"name": "application", "payload": payload, "business_key": "APP-7"})
    assert response.status_code == 200, response.get_json()
    case_id = response.get_json()["started"]
    case = get_case(auth, "admin", case_id)
    assert case["business_key"] == "APP-7" and [t["element_id"] for t in case["tasks"]] == ["file_it"]
    assert [e["type"] for e in history(auth, "auditor", case_id)][:2] == ["case_started", "message_received"]
    case = drive(auth, case, {"file_it": {"filed": True}}, user="admin")
    shown = get_case(auth, "admin", case_id)
    assert shown["status"] == "completed" and shown["data"] == raw_data
    replays_consistent(auth, case_id)


def test_a_message_start_while_a_case_of_it_waits_delivers_instead_of_starting_another(auth):
    deploy_file(auth, START_FILE)
    waiting = start(auth, "hr", "message_start", business_key="APP-1")  # waits at its message start event
    response = correlate(auth, {"name": "application", "payload": {"name": "Bo"}, "business_key": "APP-1"})
    assert response.get_json() == {"delivered_to": waiting["id"]}
    response = correlate(auth, {"name": "application", "payload": {"name": "Cy"}, "business_key": "APP-2"})
    started = response.get_json()["started"]
    assert started != waiting["id"] and get_case(auth, "admin", started)["business_key"] == "APP-2"
    replays_consistent(auth, waiting["id"])
    replays_consistent(auth, started)


@pytest.mark.parametrize("user", ["hr", "auditor"])
def test_only_an_admin_or_the_system_may_start_a_case_by_message(auth, store, user):
    deploy_file(auth, START_FILE)
    with unchanged(store):
        error_of(correlate(auth, {"name": "application", "payload": {"name": "Ann"}}, user=user), 403)


# ------------------------------------------------------------------ the command line
def test_send_message_and_send_signal_from_the_command_line_act_as_the_system(cli, auth, store):
    deploy_file(auth, START_FILE)
    deploy_file(auth, SIGNAL_FILE)
    done = cli("send-message", "application", "--payload", '{"name": "Ann"}', "--business-key", "APP-9")
    assert done.exit_code == 0, done.output
    [started] = [c for c in auth.as_("admin").get(f"{API}/cases?business_key=APP-9").get_json()["items"]]
    assert done.output.strip() == f"message 'application' started case {started['id']}"
    assert [(e["type"], e["actor"]) for e in history(auth, "auditor", started["id"])][:2] == [
        ("case_started", "system"), ("message_received", "system")]
    replays_consistent(auth, started["id"])

    case = drive(auth, start(auth, "hr", "signal_from_outside"), {"prepare": {"plan": "p"}})
    done = cli("send-signal", case["id"], "budget_approved", "--payload", '{"amount": 4}')
    assert done.exit_code == 0, done.output
    assert get_case(auth, "hr", case["id"])["data"]["planned"] == 8
    replays_consistent(auth, case["id"])

    with unchanged(store):
        for args, words in ((("send-message", "application", "--payload", "[1]"), "JSON object"),
                            (("send-message", "application", "--payload", "{"), "not JSON"),
                            (("send-message", "nobody_listens"), "no deployed process starts with it"),
                            (("send-message", "application", "--as", "hr"), "only the system or an admin"),
                            (("send-signal", case["id"], "budget_approved"), "is completed")):
            refused = cli(*args)
            assert refused.exit_code == 2 and words in refused.output, (args, refused.output)
