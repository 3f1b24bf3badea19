"""Signals and messages with payloads, as SpiffWorkflow delivers them.

Inside one case: a signal and a message thrown on parallel branches with payload expressions are
caught on the others, each payload in the catcher's variable (in Camunda's dialect, the variable
the thrower names with ``camunda:resultVariable``). From outside: a message sent to a
waiting case (``POST /cases/{id}/messages``, as an integration sends it)
is caught with its payload, in SpiffWorkflow's dialect (the catch event's message variable) and in
Camunda's (the whole payload in one variable, named after the message), also when the waiting
catch event is inside a called process. A message thrown that no
one in the case catches ends the case as in the library (which keeps it for its caller).
Each run is compared with the library's run of the same file: end state, data, and replay.
"""
from __future__ import annotations

import pytest
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessage

from tests.api.conformance import deploy_file, drive, raw_result, raw_workflow, replays_consistent, runs_like_raw
from tests.api.conformance_events import complete_raw, deliver, deliver_raw, send
from tests.api.support import API, error_of, get_case, start, unchanged


@pytest.mark.parametrize("order", [["approve", "set_budget"], ["set_budget", "approve"]])
def test_a_signal_and_a_message_thrown_in_a_case_carry_their_payloads_like_raw_spiffworkflow(auth, order):
    answers = {"approve": {"approver": "hr"}, "set_budget": {"budget": 21}}
    shown, raw_data = runs_like_raw(auth, "signal_payload.bpmn", "signal_payload", answers=answers, order=order)
    assert shown["status"] == "completed"
    assert raw_data["approval"] == {"by": "hr", "level": 2} and raw_data["approved_by"] == "hr"
    assert raw_data["doubled_budget"] == 42


@pytest.mark.parametrize("score,passed", [(70, True), (10, False)])
def test_a_message_from_outside_is_caught_with_its_payload_like_raw_spiffworkflow(auth, score, passed):
    raw = raw_workflow("message_from_outside.bpmn", "message_from_outside")
    complete_raw(raw, "register", {"candidate": "A"})
    deliver_raw(raw, "exam_result", {"score": score})
    ended, raw_data = raw_result(raw)
    assert ended and raw_data["passed"] is passed and raw_data["result"] == {"score": score}

    deploy_file(auth, "message_from_outside.bpmn")
    case = drive(auth, start(auth, "hr", "message_from_outside"), {"register": {"candidate": "A"}})
    assert case["status"] == "running" and case["tasks"] == []
    deliver(auth, case["id"], "exam_result", {"score": score})
    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "completed" and shown["data"] == raw_data
    replays_consistent(auth, case["id"])
    assert [e["data"]["message"] for e in auth.as_("auditor").get(f"{API}/cases/{case['id']}/history").get_json()
            if e["type"] == "message_received"] == ["exam_result"]


def test_a_message_the_case_is_not_waiting_for_is_refused_and_changes_nothing(auth, store):
    deploy_file(auth, "message_from_outside.bpmn")
    case = start(auth, "hr", "message_from_outside")
    with unchanged(store):  # still at "register": no catch event waits yet
        error_of(send(auth, case["id"], "exam_result", {"score": 1}), 409, "not_waiting")
    assert get_case(auth, "hr", case["id"])["tasks"] == case["tasks"]


def test_a_message_in_camunda_s_dialect_is_kept_in_one_variable_like_raw_spiffworkflow(auth):
    raw = raw_workflow("message_camunda.bpmn", "message_camunda", parser=CamundaParser)
    complete_raw(raw, "send_contract", {"sent": True})
    deliver_raw(raw, "signed_contract", {"payload": {"signed_by": "A"}, "result_var": "signed_contract"},
                definition=CamundaMessage)
    ended, raw_data = raw_result(raw)
    assert ended and raw_data["signed_contract"] == {"signed_by": "A"}

    body = deploy_file(auth, "message_camunda.bpmn")
    assert body["dialect"] == "camunda"
    case = drive(auth, start(auth, "hr", "message_camunda"), {"send_contract": {"sent": True}})
    deliver(auth, case["id"], "signed_contract", {"signed_by": "A"})
    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "completed" and shown["data"] == raw_data
    replays_consistent(auth, case["id"])


def test_a_message_reaches_a_called_process_waiting_for_it_like_raw_spiffworkflow(auth):
    raw = raw_workflow("message_in_called.bpmn", "message_in_called")
    deliver_raw(raw, "grade", {"mark": 9})
    ended, raw_data = raw_result(raw)
    assert ended and raw_data["published"] == 9

    deploy_file(auth, "message_in_called.bpmn")
    case = start(auth, "hr", "message_in_called")
    assert case["status"] == "running" and case["tasks"] == []
    deliver(auth, case["id"], "grade", {"mark": 9})
    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "completed" and shown["data"] == raw_data
    replays_consistent(auth, case["id"])


def test_a_camunda_message_thrown_and_caught_in_a_case_carries_its_payload_like_raw_spiffworkflow(auth):
    shown, raw_data = runs_like_raw(auth, "message_camunda_internal.bpmn", "message_camunda_internal",
                                    answers={"assign_seat": {"row": 3}}, parser=CamundaParser)
    assert shown["status"] == "completed" and raw_data["seat_info"] == {"row": 3, "seat": 31}
