"""Gateways of every kind end where raw SpiffWorkflow ends with the same file.

Exclusive (a condition or the default flow), inclusive (every branch whose condition holds, the
join waiting for those taken, the default when none holds) and parallel (fork and join) gateways
are driven through the API and compared with the library's own run: end state, final data, and a
consistent replay; a gateway where no condition holds and no default is drawn is an incident on
the case where the library raises. The event-based gateway's timer path is in
``test_conformance_timers.py``; here a message arrives first and wins, and a gateway between two
messages takes the one delivered.
"""
from __future__ import annotations

import pytest
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from tests.api.conformance import (deploy_file, drive, raw_result, raw_run, raw_workflow, replays_consistent,
                                   runs_like_raw)
from tests.api.conformance_events import complete_raw, deliver, deliver_raw, send
from tests.api.support import case_row, error_of, get_case, start


@pytest.mark.parametrize("amount,size", [(500, "large"), (100, "small"), (3, "small")])
def test_an_exclusive_gateway_takes_its_condition_or_its_default_flow_like_raw_spiffworkflow(auth, amount, size):
    shown, raw_data = runs_like_raw(auth, "exclusive_default.bpmn", "exclusive_default",
                                    answers={"enter_amount": {"amount": amount}})
    assert shown["status"] == "completed" and raw_data["noted"] == f"{size}:{amount}"


@pytest.mark.parametrize("legal,budget,tasks,reviewed", [
    (True, True, ["budget_review", "legal_review"], ["legal", "budget"]),
    (False, True, ["budget_review"], ["budget"]),
    (False, False, [], []),
], ids=["both branches", "one branch", "default flow"])
def test_an_inclusive_gateway_takes_every_true_branch_and_joins_them_like_raw_spiffworkflow(
        auth, legal, budget, tasks, reviewed):
    answers = {"choose": {"legal": legal, "budget": budget}, "legal_review": {"legal_ok": True},
               "budget_review": {"budget_ok": True}}
    deploy_file(auth, "inclusive_branches.bpmn")
    case = start(auth, "hr", "inclusive_branches")
    case = auth.as_("hr").post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete",
                               json={"data": answers["choose"]}).get_json()
    assert sorted(t["element_id"] for t in case["tasks"]) == tasks  # the join waits for each branch taken

    shown, raw_data = runs_like_raw(auth, "inclusive_branches.bpmn", "inclusive_branches", answers=answers,
                                    deploy=False)
    assert shown["status"] == "completed" and raw_data["reviewed"] == reviewed
    assert raw_data.get("unreviewed", False) is (not tasks)


@pytest.mark.parametrize("order", [["score_a", "score_b"], ["score_b", "score_a"]])
def test_a_parallel_gateway_forks_and_joins_like_raw_spiffworkflow(auth, order):
    answers = {"score_a": {"a": 3}, "score_b": {"b": 4}}
    shown, raw_data = runs_like_raw(auth, "parallel_fork_join.bpmn", "parallel_fork_join", answers=answers,
                                    order=order)
    assert shown["status"] == "completed" and raw_data["total"] == 12


def test_a_message_before_the_timer_wins_the_event_based_gateway_like_raw_spiffworkflow(auth):
    raw = raw_workflow("event_gateway_timer.bpmn", "event_gateway_timer")
    deliver_raw(raw, "reply", {"answer": "yes"})
    ended, raw_data = raw_result(raw)
    assert ended and raw_data["outcome"] == "replied"

    deploy_file(auth, "event_gateway_timer.bpmn")
    case = start(auth, "hr", "event_gateway_timer")
    assert case["status"] == "running" and case["tasks"] == []
    deliver(auth, case["id"], "reply", {"answer": "yes"})

    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "completed" and shown["data"] == raw_data
    replays_consistent(auth, case["id"])


def test_an_exclusive_gateway_with_no_true_condition_is_an_incident_where_raw_spiffworkflow_raises(auth, store):
    with pytest.raises(WorkflowException, match="No conditions satisfied"):
        raw_run("exclusive_no_match.bpmn", "exclusive_no_match", answers={"choose": {"option": "c"}})

    deploy_file(auth, "exclusive_no_match.bpmn")
    case = start(auth, "hr", "exclusive_no_match")
    response = auth.as_("hr").post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", json={"data": {"option": "c"}})
    error = error_of(response, 422, "case_error")
    assert error["details"]["element_id"] == "which" and "No conditions satisfied" in error["details"]["message"]
    assert case_row(store, case["id"]).status == "error"
    replays_consistent(auth, case["id"])


@pytest.mark.parametrize("message,payload", [("accepted", {"start": "Monday"}), ("declined", {"why": "moved"})])
def test_an_event_based_gateway_between_two_messages_takes_the_one_delivered_like_raw_spiffworkflow(
        auth, message, payload):
    raw = raw_workflow("event_gateway_messages.bpmn", "event_gateway_messages")
    deliver_raw(raw, message, payload)
    deploy_file(auth, "event_gateway_messages.bpmn")
    case = start(auth, "hr", "event_gateway_messages")
    deliver(auth, case["id"], message, payload)
    case = get_case(auth, "hr", case["id"])
    assert [t["element_id"] for t in case["tasks"]] == [t.task_spec.bpmn_id for t in raw.get_tasks(
        state=TaskState.READY, manual=True)] == (["welcome"] if message == "accepted" else [])

    # the other message no longer waits (or the case has ended)
    other = error_of(send(auth, case["id"], "declined" if message == "accepted" else "accepted", {}), 409)
    assert other["code"] == ("not_waiting" if message == "accepted" else "case_not_running")
    if case["tasks"]:
        case = drive(auth, case, {"welcome": {"welcomed": True}})
        complete_raw(raw, "welcome", {"welcomed": True})
    ended, raw_data = raw_result(raw)
    shown = get_case(auth, "hr", case["id"])
    assert ended and shown["status"] == "completed" and shown["data"] == raw_data
    assert raw_data.get("refused_because") == payload.get("why")
    replays_consistent(auth, case["id"])
