"""Multi-instance and standard loops, as SpiffWorkflow runs them.

A parallel multi-instance user task makes one task per item of its input collection, all in the
worklist at once, and gathers each instance's output item into the output collection; a
sequential multi-instance script task does the same one item after the other; a standard loop
runs its activity while its loop condition holds (at most ``loopMaximum`` times); a sequential
multi-instance embedded sub-process stops at its cardinality or as soon as its completion
condition holds. The Camunda
dialect's ``camunda:collection``/``elementVariable`` and a sequential cardinality run as the
library's Camunda parser reads them. Each run is compared with the library's own run.
"""
from __future__ import annotations

import pytest
from SpiffWorkflow.camunda.parser import CamundaParser

from tests.api.conformance import deploy_file, runs_like_raw
from tests.api.support import API, history, start, worklist

START = {"candidates": ["ann", "bao", "chi"], "counter": 0}


def test_parallel_and_sequential_multi_instance_and_a_standard_loop_run_like_raw_spiffworkflow(auth):
    shown, raw_data = runs_like_raw(auth, "multi_instance.bpmn", "multi_instance", START, {"mark": {"points": 5}})
    assert shown["status"] == "completed"
    assert raw_data["marks"] == [5, 5, 5] and raw_data["ranked"] == [50, 50, 50] and raw_data["counter"] == 3


def test_each_instance_of_a_multi_instance_user_task_is_a_task_of_its_own_in_the_worklist(auth):
    deploy_file(auth, "multi_instance.bpmn")
    case = start(auth, "hr", "multi_instance", START)
    marks = [t for t in case["tasks"] if t["element_id"] == "mark"]
    assert len(marks) == 3 and len({t["id"] for t in marks}) == 3
    listed = {t["id"] for t in worklist(auth, "hr", "all", case=case["id"])}
    assert {t["id"] for t in marks} <= listed

    first = auth.as_("hr").post(f"{API}/tasks/{marks[0]['id']}/complete", json={"data": {"points": 5}}).get_json()
    assert sorted(t["id"] for t in first["tasks"]) == sorted(t["id"] for t in marks[1:])


def test_camunda_multi_instance_collection_and_cardinality_run_like_raw_spiffworkflow(auth):
    answers = {"review": {"verdict": "ok"}, "sign": {"signed": True}}
    shown, raw_data = runs_like_raw(auth, "multi_instance_camunda.bpmn", "multi_instance_camunda",
                                    {"reviewers": ["ann", "bao"]}, answers, parser=CamundaParser)
    assert shown["status"] == "completed" and raw_data["signed"] is True
    created = [e["data"]["element_id"] for e in history(auth, "hr", shown["id"]) if e["type"] == "task_created"]
    assert created == ["review", "review", "sign", "sign"]  # one per reviewer, then two in sequence


@pytest.mark.parametrize("vote,votes", [("yes", ["yes", "yes", "yes"]), ("veto", ["veto"])],
                         ids=["cardinality reached", "completion condition"])
def test_a_sequential_multi_instance_sub_process_stops_at_its_cardinality_or_condition_like_raw_spiffworkflow(
        auth, vote, votes):
    shown, raw_data = runs_like_raw(auth, "multi_instance_subprocess.bpmn", "multi_instance_subprocess",
                                    answers={"cast_vote": {"vote": vote}})
    assert shown["status"] == "completed" and raw_data["votes"] == votes and raw_data["cast"] == len(votes)
    created = [e["data"]["element_id"] for e in history(auth, "hr", shown["id"]) if e["type"] == "task_created"]
    assert created == ["cast_vote"] * len(votes)  # one after the other
