"""The exam's decision table (``bpmn/exam_candidate_result.dmn``) row by row, at the pass mark's edge.

The table is taken from the deployed exam (its business-rule task ``judge_candidates``) and evaluated
by SpiffWorkflow in the sandbox, as each candidate's instance of that task does. Each case names the
rule it expects to fire first, so every row is shown reachable; 49.99 against 50 is checked in each
round, and the pass mark is the case's data, not a number in the table.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from engine.definitions.sandbox import make_script_engine
from engine.definitions.specs import SourceFile, parse_definition
from workflows import BPMN_DIR
from workflows.rules.exam_scoring import SCRIPT_HELPERS
from workflows.leadership_exam import EXAM_RULES, PASS_MARK


@pytest.fixture(scope="module")
def table() -> Any:
    parsed = parse_definition([SourceFile(name, (BPMN_DIR / name).read_bytes())
                               for name in ("leadership_exam.bpmn", "exam_candidate_result.dmn")])
    judge = parsed.spec.task_specs["judge_candidates"]
    rules = parsed.spec.task_specs[judge.task_spec].dmnEngine  # the multi-instance task's child spec
    return rules, make_script_engine(SCRIPT_HELPERS)


def decide(table: Any, round1: float, round2: float | None, rules: dict[str, Any] = EXAM_RULES) -> tuple[str, dict]:
    """(first rule to fire, verdict) for one candidate's row."""
    engine_rules, engine = table
    row = {"code": "A", "full_name": "Người A", "round1": round1, "round2": round2}
    task = SimpleNamespace(data={"exam_rules": rules, "candidate_result": row},
                           workflow=SimpleNamespace(script_engine=engine))
    first = engine_rules.decide(task)[0]
    return first.id.removeprefix("Rule_"), engine_rules.result(task)["candidate_result"]


CASES = [
    # (rule expected to fire first, round 1, round 2)
    ("failed_round1", PASS_MARK - 0.01, None),   # 49.99 in the written round: out
    ("failed_round1", 0, None),
    ("failed_round1", PASS_MARK - 0.01, 95),     # a round-2 score cannot rescue a failed written round
    ("continues", PASS_MARK, None),              # exactly 50: on to round 2
    ("continues", 100, None),
    ("failed_round2", PASS_MARK, PASS_MARK - 0.01),  # a round-2 mean of 49.99: fails
    ("failed_round2", 100, 0),
    ("passed", PASS_MARK, PASS_MARK),            # 50 and 50: passes both
    ("passed", 88.5, 91.25),
]


@pytest.mark.parametrize(("rule", "round1", "round2"), CASES)
def test_each_row_of_the_table(table: Any, rule: str, round1: float, round2: float | None) -> None:
    fired, verdict = decide(table, round1, round2)
    assert (fired, verdict["result"]) == (rule, rule)
    assert verdict["reason"]


def test_every_rule_of_the_table_is_exercised(table: Any) -> None:
    rules, _ = table
    assert {r.id.removeprefix("Rule_") for r in rules.decision_table.rules} == {rule for rule, _, _ in CASES}


def test_the_pass_mark_is_the_cases_data_not_the_table(table: Any) -> None:
    stricter = {**EXAM_RULES, "pass_mark": 60}
    assert decide(table, 55, None, stricter)[0] == "failed_round1"
    assert decide(table, 65, 59.99, stricter)[0] == "failed_round2"
    assert decide(table, 60, 60, stricter)[0] == "passed"


def test_both_rounds_use_the_same_table(table: Any) -> None:
    parsed = parse_definition([SourceFile(name, (BPMN_DIR / name).read_bytes())
                               for name in ("leadership_exam.bpmn", "exam_candidate_result.dmn")])
    refs = {name: parsed.spec.task_specs[parsed.spec.task_specs[name].task_spec].dmnEngine.decision_table.id
            for name in ("judge_round1", "judge_candidates")}
    assert len(set(refs.values())) == 1
