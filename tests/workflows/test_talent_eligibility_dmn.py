"""The eligibility table (``bpmn/talent_eligibility.dmn``) row by row, evaluated by SpiffWorkflow in the sandbox.

Each case names the rule it expects to fire (by its id in the DMN) and the table
must answer that rule's outputs: so every row is shown to be reachable, and
every boundary (age 30/31, 34/35, experience 4/5 years, papers 4/5, rating
``tot``/``hoan_thanh``) lands on the right side. The last tests run the real
diagram's script task, so the derived facts (age from the date of birth and the
nomination date) meet the table as they do in a case.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions.sandbox import make_script_engine
from engine.definitions.specs import SourceFile, parse_definition
from workflows import BPMN_DIR
from workflows.rules import talent_criteria

DMN = BPMN_DIR / "talent_eligibility.dmn"
DMN_NS = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}
#: A one-task Camunda diagram calling the table, then waiting for a person (so the outputs can be read).
HARNESS = SourceFile("eligibility_harness.bpmn", b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_harness" targetNamespace="http://x">
  <bpmn:process id="eligibility_harness" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="screen" camunda:decisionRef="talent_eligibility">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>
    <bpmn:userTask id="read_result"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="screen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="screen" targetRef="read_result"/>
    <bpmn:sequenceFlow id="f3" sourceRef="read_result" targetRef="EndEvent_1"/>
  </bpmn:process>
</bpmn:definitions>""")
#: Facts that pass nothing on their own; each case sets what its rule looks at.
NEUTRAL: dict[str, Any] = {
    "age_at_nomination": 28, "university_type": "domestic", "degree_classification": "xuat_sac",
    "qualifying_prize": True, "has_doctorate": False, "prestigious_award": False, "international_papers": 0,
    "led_national_task": False, "lowest_recent_rating": "tot", "applied_advice": False, "years_experience": 0,
    "equivalent_record": False,
}


def rules() -> dict[str, tuple[bool, str]]:
    """Rule id (without ``Rule_``) -> (eligible, reason), as the DMN file states them."""
    out = {}
    for rule in etree.parse(str(DMN)).getroot().iterfind(".//dmn:rule", DMN_NS):
        eligible, reason = [e.findtext("dmn:text", namespaces=DMN_NS) for e in rule.iterfind("dmn:outputEntry", DMN_NS)]
        out[rule.get("id").removeprefix("Rule_")] = ({"True": True, "False": False}[eligible], reason.strip('"'))
    return out


@pytest.fixture(scope="module")
def harness():  # type: ignore[no-untyped-def]
    return parse_definition([HARNESS, SourceFile(DMN.name, DMN.read_bytes())])


def screen(parsed: Any, category: str, **facts: Any) -> tuple[bool, str]:
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=make_script_engine())
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update({**NEUTRAL, "category": category, **facts})
    workflow.do_engine_steps()
    [waiting] = workflow.get_tasks(state=TaskState.READY, manual=True)
    return waiting.data["eligible"], waiting.data["eligibility_reason"]


EG, YS, CB, EX = "excellent_graduate", "young_scientist", "cbccvc", "expert"
CASES: list[tuple[str, str, dict[str, Any]]] = [
    # excellent_graduate: age <= 30; domestic xuat_sac or foreign prestigious >= gioi; a qualifying prize
    ("eg_domestic", EG, {"age_at_nomination": 30}),
    ("eg_too_old", EG, {"age_at_nomination": 31}),
    ("eg_domestic_degree", EG, {"degree_classification": "gioi"}),
    ("eg_foreign", EG, {"university_type": "foreign_prestigious", "degree_classification": "gioi"}),
    ("eg_foreign", EG, {"university_type": "foreign_prestigious", "degree_classification": "xuat_sac"}),
    ("eg_foreign_degree", EG, {"university_type": "foreign_prestigious", "degree_classification": "kha"}),
    ("eg_university", EG, {"university_type": "foreign_other", "degree_classification": "xuat_sac"}),
    ("eg_no_prize", EG, {"qualifying_prize": False}),
    # young_scientist: age < 35, doctorate, and one of award / >= 5 papers / national task
    ("ys_award", YS, {"age_at_nomination": 34, "has_doctorate": True, "prestigious_award": True}),
    ("ys_too_old", YS, {"age_at_nomination": 35, "has_doctorate": True, "prestigious_award": True}),
    ("ys_no_doctorate", YS, {"prestigious_award": True, "international_papers": 9}),
    ("ys_papers", YS, {"has_doctorate": True, "international_papers": 5}),
    ("ys_no_merit", YS, {"has_doctorate": True, "international_papers": 4}),
    ("ys_national_task", YS, {"has_doctorate": True, "led_national_task": True}),
    # cbccvc: >= tot in each of the last 3 years, and applied advice
    ("cb_eligible", CB, {"lowest_recent_rating": "tot", "applied_advice": True}),
    ("cb_eligible", CB, {"lowest_recent_rating": "xuat_sac", "applied_advice": True}),
    ("cb_low_rating", CB, {"lowest_recent_rating": "hoan_thanh", "applied_advice": True}),
    ("cb_low_rating", CB, {"lowest_recent_rating": "khong_hoan_thanh", "applied_advice": True}),
    ("cb_missing_rating", CB, {"lowest_recent_rating": talent_criteria.MISSING_RATING, "applied_advice": True}),
    ("cb_no_advice", CB, {"lowest_recent_rating": "tot"}),
    # expert: >= 5 years and a doctorate or an equivalent record
    ("ex_doctorate", EX, {"years_experience": 5, "has_doctorate": True}),
    ("ex_too_short", EX, {"years_experience": 4, "has_doctorate": True}),
    ("ex_equivalent", EX, {"years_experience": 5, "equivalent_record": True}),
    ("ex_no_record", EX, {"years_experience": 20}),
    ("unknown_category", "astronaut", {}),
]


@pytest.mark.parametrize(("rule", "category", "facts"), CASES,
                         ids=[f"{rule}-{'-'.join(f'{k}={v}' for k, v in facts.items())}" for rule, _, facts in CASES])
def test_each_rule_answers_its_outputs(harness, rule: str, category: str, facts: dict[str, Any]) -> None:
    assert screen(harness, category, **facts) == rules()[rule]


def test_every_rule_of_the_table_is_exercised_and_says_why() -> None:
    table = rules()
    assert {rule for rule, _, _ in CASES} == set(table)
    assert all(reason for _, reason in table.values())
    assert all(reason.startswith("Đủ điều kiện") == eligible for eligible, reason in table.values())


def test_the_table_uses_first_hit_so_reasons_come_before_acceptance() -> None:
    [table] = etree.parse(str(DMN)).getroot().iterfind(".//dmn:decisionTable", DMN_NS)
    assert table.get("hitPolicy") == "FIRST"


# ------------------------------------------------- derived facts, then the real diagram's screening
@pytest.mark.parametrize(("born", "age"), [
    (date(1995, 3, 3), 30), (date(1995, 3, 2), 31), (date(1991, 3, 3), 34), (date(1991, 3, 2), 35),
    (date(2000, 2, 29), 26),
])
def test_age_counts_completed_years_on_the_nomination_date(born: date, age: int) -> None:
    assert talent_criteria.age_on(born, date(2026, 3, 2)) == age
    assert talent_criteria.age_on(born.isoformat(), "2026-03-02") == age


@pytest.mark.parametrize(("contest", "at_limit", "below"), [
    ("provincial_gifted", "third", "encouragement"), ("national_gifted", "encouragement", "merit"),
    ("international_gifted", "merit", None), ("national_science", "third", "encouragement"),
    ("international_science", "third", "encouragement"), ("university_olympiad", "third", "encouragement"),
])
def test_a_prize_counts_down_to_its_contests_limit(contest: str, at_limit: str, below: str | None) -> None:
    assert talent_criteria.has_qualifying_prize([{"contest": contest, "rank": "first"}])
    assert talent_criteria.has_qualifying_prize([{"contest": contest, "rank": at_limit}])
    if below is not None:
        assert not talent_criteria.has_qualifying_prize([{"contest": contest, "rank": below}])
    assert not talent_criteria.has_qualifying_prize([])


def test_the_lowest_rating_looks_at_the_three_years_before_the_nomination_year() -> None:
    lowest = talent_criteria.lowest_rating_in_recent_years
    years = [{"year": 2023, "rating": "xuat_sac"}, {"year": 2024, "rating": "tot"},
             {"year": 2025, "rating": "xuat_sac"}]
    assert lowest(years, date(2026, 3, 2)) == "tot"
    assert lowest(years + [{"year": 2022, "rating": "khong_hoan_thanh"}], date(2026, 3, 2)) == "tot"
    assert lowest(years[1:], date(2026, 3, 2)) == talent_criteria.MISSING_RATING
    assert lowest(years[:2] + [{"year": 2025, "rating": "hoan_thanh"}], "2026-03-02") == "hoan_thanh"


@pytest.fixture(scope="module")
def nomination():  # type: ignore[no-untyped-def]
    return parse_definition([SourceFile(p.name, p.read_bytes()) for p in
                             (BPMN_DIR / "talent_nomination.bpmn", DMN)])


@pytest.mark.parametrize(("born", "eligible"), [(date(1995, 3, 3), True), (date(1995, 3, 2), False)])
def test_the_diagram_screens_an_excellent_graduate_by_age_on_the_nomination_date(nomination, born: date,
                                                                                 eligible: bool) -> None:
    workflow = BpmnWorkflow(nomination.spec, nomination.subprocess_specs,
                            script_engine=make_script_engine(talent_criteria.script_helpers()))
    dossier = {"category": EG, "birth_date": born, "nominated_on": date(2026, 3, 2),
               "university_type": "domestic", "degree_classification": "xuat_sac",
               "prizes": [{"contest": "national_gifted", "rank": "encouragement"}], "annual_ratings": [],
               **{k: NEUTRAL[k] for k in ("has_doctorate", "prestigious_award", "international_papers",
                                          "led_national_task", "applied_advice", "years_experience",
                                          "equivalent_record")}}
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(dossier)
    workflow.do_engine_steps()
    data = workflow.last_task.data
    assert data["age_at_nomination"] == (30 if eligible else 31)
    assert data["eligible"] is eligible
    assert data["eligibility_reason"] == rules()["eg_domestic" if eligible else "eg_too_old"][1]
    assert workflow.completed is not eligible
