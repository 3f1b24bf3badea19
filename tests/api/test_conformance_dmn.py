"""DMN hit policies, decided as SpiffWorkflow decides them, with the DMN files deployed beside the BPMN.

Each business rule task calls a decision of its own DMN file (SpiffWorkflow 3.2 reads one decision
table per file); the BPMN and all its DMN files are deployed in one request (repeated multipart
``file`` parts). What the library does is what the case does: UNIQUE and FIRST give the first
matching rule's outputs, COLLECT a list per output (none at all when no rule matches); the SUM
aggregation of COLLECT is not implemented by the library, which collects the list; RULE ORDER
and ANY give the first matching rule's outputs, not a list. Cells are read as the library reads
them (Python in the service's sandbox): a bare value is an equality, an operator prefix compares,
``?`` stands for the input, ``-`` matches anything; input expressions may call methods and
``len``. Compared with the library's own run.
"""
from __future__ import annotations

import pytest
from SpiffWorkflow.camunda.parser import CamundaParser

from tests.api.conformance import runs_like_raw

DMN = ["dmn_unique.dmn", "dmn_first.dmn", "dmn_collect.dmn", "dmn_collect_sum.dmn", "dmn_rule_order.dmn",
       "dmn_any.dmn"]


@pytest.mark.parametrize("score,years,expected", [
    (95, 12, {"grade": "A", "bonus": 300, "tag": ["strong", "senior", "steady"], "points": [10, 20, 40],
              "track": "lead", "mentor": True}),
    (60, 3, {"grade": "B", "bonus": 100, "tag": ["junior", "steady"], "points": [10], "track": "expert",
             "mentor": False}),
    (10, 0, {"grade": "C", "bonus": 0, "tag": ["junior"], "track": "starter", "mentor": False}),
], ids=["every rule matches", "some rules match", "no COLLECT rule matches"])
def test_each_hit_policy_decides_like_raw_spiffworkflow(auth, score, years, expected):
    shown, raw_data = runs_like_raw(auth, "hit_policies.bpmn", "hit_policies",
                                    answers={"enter_scores": {"score": score, "years": years}}, dmn=DMN)
    assert shown["status"] == "completed"
    assert raw_data == {"score": score, "years": years, **expected}


@pytest.mark.parametrize("age,years,interviewed", [(30, 5, True), (50, 5, False), (30, 1, False)])
def test_camunda_business_rule_tasks_with_two_dmn_files_decide_like_raw_spiffworkflow(auth, age, years, interviewed):
    shown, raw_data = runs_like_raw(auth, "decision_camunda.bpmn", "decision_camunda",
                                    {"age": age, "years": years, "score": 70}, {"interview": {"ok": 1}},
                                    parser=CamundaParser, dmn=["eligibility.dmn", "dmn_collect.dmn"])
    assert shown["status"] == "completed" and raw_data["eligible"] is interviewed
    assert ("ok" in raw_data) is interviewed and raw_data["tag"]


@pytest.mark.parametrize("start,step", [
    ({"role": "Lead", "grade": "B", "history": [1]}, "fast track"),
    ({"role": "staff", "grade": "A", "history": [1, 2, 3, 4]}, "promote"),
    ({"role": "staff", "grade": "C", "history": [1, 2]}, "coach"),
    ({"role": "staff", "grade": "A", "history": [1]}, "wait"),
])
def test_dmn_cells_with_operators_ranges_and_expressions_decide_like_raw_spiffworkflow(auth, start, step):
    shown, raw_data = runs_like_raw(auth, "dmn_cells.bpmn", "dmn_cells", start, dmn=["dmn_cells.dmn"])
    assert shown["status"] == "completed" and raw_data == {**start, "step": step}
