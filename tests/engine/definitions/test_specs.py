"""Parsing process definitions: the dialect a file is drawn in, and problems named by element id."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.util.task import TaskState

from engine.definitions.sandbox import make_script_engine
from engine.definitions.specs import (DefinitionInvalid, ParsedDefinition, Problem, SourceFile, content_hash, decision_refs,
                          dmn_decision_ids, form_key_of, parse_definition)
from workflows import BPMN_DIR

DATA = Path(__file__).resolve().parents[2] / "data"
TRAINING = BPMN_DIR / "training_nomination.bpmn"

REVIEWERS = {"high": "council", "medium": "hr_officer", "low": "unit_head"}


def source(path: Path) -> SourceFile:
    return SourceFile(path.name, path.read_bytes())


def parse(*paths: Path, form_exists: Callable[[str], bool] | None = None) -> ParsedDefinition:
    return parse_definition([source(p) for p in paths], form_exists)


def problems_of(sources: list[SourceFile], form_exists: Callable[[str], bool] | None = None) -> list[Problem]:
    with pytest.raises(DefinitionInvalid) as raised:
        parse_definition(sources, form_exists)
    assert raised.value.problems, "DefinitionInvalid must say what is wrong"
    return raised.value.problems


def bpmn(body: str, executable: str = "true") -> SourceFile:
    """A one-process Camunda Modeler file around ``body`` (flow nodes and sequence flows)."""
    return SourceFile("broken.bpmn", (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_1" targetNamespace="http://x">'
        f'<bpmn:process id="broken" isExecutable="{executable}">{body}</bpmn:process></bpmn:definitions>'
    ).encode())


def around(task: str, start_id: str = "StartEvent_1") -> str:
    """Start event -> ``task`` (whose id is ``T``) -> end event."""
    return (f'<bpmn:startEvent id="{start_id}"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>{task}'
            '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
            f'<bpmn:sequenceFlow id="f1" sourceRef="{start_id}" targetRef="T"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="T" targetRef="EndEvent_1"/>')


def script_task(code: str, task_id: str = "T") -> str:
    return (f'<bpmn:scriptTask id="{task_id}" name="Compute"><bpmn:incoming>f1</bpmn:incoming>'
            f'<bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>')


def user_task(form_key: str) -> str:
    return (f'<bpmn:userTask id="T" name="Fill in" camunda:formKey="{form_key}"><bpmn:incoming>f1</bpmn:incoming>'
            '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>')


def gateway(condition: str) -> str:
    return ('<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            '<bpmn:exclusiveGateway id="Gateway_route" default="f3"><bpmn:incoming>f1</bpmn:incoming>'
            '<bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>'
            '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:endEvent id="EndEvent_2"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="Gateway_route"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="Gateway_route" targetRef="EndEvent_1">'
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
            '</bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="f3" sourceRef="Gateway_route" targetRef="EndEvent_2"/>')


def run_until_people(parsed: ParsedDefinition, **start_data: object) -> BpmnWorkflow:
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=make_script_engine(
        {"reviewer_for": REVIEWERS.__getitem__}))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(start_data)
    workflow.do_engine_steps()
    return workflow


def ready_ids(workflow: BpmnWorkflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)]


# ---------------------------------------------------------------- dialects
def test_camunda_modeler_file_uses_the_camunda_dialect() -> None:
    parsed = parse(TRAINING)
    assert parsed.dialect == "camunda"
    assert parsed.key == "training_nomination"
    assert parsed.name == "Cử nhân tài tham gia lớp đào tạo chuyên biệt"
    assert {k: (t.lane, t.form_key) for k, t in parsed.human_tasks.items()} == {
        "mentor_assessment": ("Người hướng dẫn", "training_mentor_assessment"),
        "unit_head_approval": ("Thủ trưởng đơn vị", "training_unit_head_decision"),
        "hr_enrolment": ("Sở Nội vụ", "training_hr_enrolment"),
        "report_attendance": ("Người đề xuất", "training_attendance_report"),
    }
    assert parsed.sha256 == content_hash([source(TRAINING)])


def test_spiffworkflow_file_uses_the_spiff_dialect_and_its_form_key_property() -> None:
    parsed = parse(DATA / "spiff_review.bpmn")
    assert parsed.dialect == "spiff"
    assert (parsed.key, parsed.name) == ("spiff_review", "Document review")
    assert form_key_of(parsed.spec.task_specs["review_document"]) == "document_review"
    review = parsed.human_tasks["review_document"]
    assert review.form_key == "document_review"
    assert review.properties == {"formKey": "document_review", "priority": "high"}
    workflow = run_until_people(parsed)
    assert ready_ids(workflow) == ["review_document"]
    workflow.get_tasks(state=TaskState.READY, manual=True)[0].run()
    workflow.do_engine_steps()
    assert workflow.completed and workflow.last_task.data["reviewed"] is True


def test_plain_bpmn_file_keeps_lanes_and_routes_by_its_conditions() -> None:
    parsed = parse(DATA / "plain_two_lanes.bpmn")
    assert parsed.dialect == "bpmn"
    assert {k: (t.lane, t.form_key) for k, t in parsed.human_tasks.items()} == {
        "fill_request": ("Employee", None), "approve_request": ("Manager", None)}
    for approved, end in ((True, "EndEvent_approved"), (False, "EndEvent_rejected")):
        workflow = run_until_people(parsed)
        assert ready_ids(workflow) == ["fill_request"]
        workflow.get_tasks(state=TaskState.READY, manual=True)[0].run()
        workflow.do_engine_steps()
        [approval] = workflow.get_tasks(state=TaskState.READY, manual=True)
        assert approval.task_spec.lane == "Manager"
        approval.data["approved"] = approved
        approval.run()
        workflow.do_engine_steps()
        assert workflow.completed
        reached = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)}
        assert end in reached and ({"EndEvent_approved", "EndEvent_rejected"} - {end}).isdisjoint(reached)


def test_form_exists_is_asked_about_every_form_key() -> None:
    asked: list[str] = []
    parse(TRAINING, form_exists=lambda key: asked.append(key) is None)
    assert sorted(asked) == ["training_attendance_report", "training_hr_enrolment",
                             "training_mentor_assessment", "training_unit_head_decision"]


# --------------------------------------------------------- invalid definitions
def test_not_xml_names_the_file() -> None:
    [problem] = problems_of([SourceFile("notes.bpmn", b"this is <not xml")])
    assert problem.file == "notes.bpmn" and "XML" in problem.message


def test_xml_that_is_not_bpmn_names_the_file() -> None:
    [problem] = problems_of([SourceFile("page.bpmn", b"<html><body>hello</body></html>")])
    assert problem.file == "page.bpmn" and "BPMN" in problem.message


def test_no_executable_process_names_the_file_and_the_process() -> None:
    [problem] = problems_of([bpmn(around(script_task("x = 1")), executable="false")])
    assert problem.file == "broken.bpmn"
    assert "executable" in problem.message and "broken" in problem.message


def test_no_file_at_all_is_invalid() -> None:
    [problem] = problems_of([])
    assert "no file" in problem.message


def test_dmn_without_its_bpmn_is_invalid() -> None:
    [problem] = problems_of([source(DATA / "simple_decision.dmn")])
    assert "BPMN" in problem.message


# Regression (was BUG: engine/sandbox.py _compile relied on RestrictedPython's compile_restricted_exec,
# which accepts `import` statements and only fails at run time with "__import__ not found"; so a
# script task containing `import os` deployed).
@pytest.mark.parametrize("code", ["import os", "from os import path"])
def test_import_in_a_script_task_names_the_script_task(code: str) -> None:
    problems = problems_of([bpmn(around(script_task(code, task_id="T")))])
    assert [p.element_id for p in problems] == ["T"]
    assert problems[0].file == "broken.bpmn"


def test_dunder_access_in_a_gateway_condition_names_the_gateway() -> None:
    [problem] = problems_of([bpmn(gateway("unit.__class__.__name__ == 'str'"))])
    assert problem.element_id == "Gateway_route"
    assert problem.file == "broken.bpmn"
    assert "__class__" in problem.message


def test_escapes_in_script_tasks_name_the_script_task() -> None:
    [problem] = problems_of([bpmn(around(script_task("x = ().__class__.__bases__[0]", task_id="T")))])
    assert problem.element_id == "T" and "__class__" in problem.message


def test_python_syntax_error_in_a_script_names_the_script_task() -> None:
    [problem] = problems_of([bpmn(around(script_task("total = = 1")))])
    assert problem.element_id == "T"
    assert "syntax" in problem.message.lower() and "line 1" in problem.message.lower()


# Regression (was BUG: RestrictedPython reports syntax errors in `result.errors` instead of raising
# SyntaxError, so engine/specs.py _compile_problem's "syntax error on line N" branch never ran and a typo
# was reported as "not allowed in the sandbox: Line 1: SyntaxError: ...").
def test_python_syntax_error_is_not_reported_as_a_sandbox_violation() -> None:
    [problem] = problems_of([bpmn(around(script_task("total = = 1")))])
    assert problem.message.startswith("syntax error on line 1")


def test_syntax_error_in_a_gateway_condition_names_the_gateway() -> None:
    [problem] = problems_of([bpmn(gateway("decision =="))])
    assert problem.element_id == "Gateway_route"


def test_every_bad_element_is_reported_at_once() -> None:
    body = ('<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            + script_task("a = x.__dict__", task_id="first").replace("f2", "fm")
            + script_task("b = (", task_id="second").replace("f1", "fm")
            + '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="first"/>'
            '<bpmn:sequenceFlow id="fm" sourceRef="first" targetRef="second"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="second" targetRef="EndEvent_1"/>')
    problems = problems_of([bpmn(body)])
    assert sorted(p.element_id for p in problems) == ["first", "second"]


def test_unknown_form_key_is_a_warning_naming_the_user_task() -> None:
    parsed = parse_definition([bpmn(around(user_task("no_such_form")))], lambda key: False)
    [warning] = parsed.warnings
    assert warning.element_id == "T" and "no_such_form" in warning.message
    assert parsed.human_tasks["T"].form_key == "no_such_form"


def test_unknown_form_key_is_a_problem_when_forms_are_strict() -> None:
    with pytest.raises(DefinitionInvalid) as raised:
        parse_definition([bpmn(around(user_task("no_such_form")))], lambda key: False, strict_forms=True)
    [problem] = raised.value.problems
    assert problem.element_id == "T"
    assert "no_such_form" in problem.message


def test_known_form_key_is_accepted() -> None:
    parsed = parse_definition([bpmn(around(user_task("known_form")))], lambda key: key == "known_form")
    assert parsed.human_tasks["T"].form_key == "known_form"


@pytest.mark.parametrize("event_id", ["Start", "End"])
def test_start_or_end_event_with_a_reserved_id_is_named(event_id: str) -> None:
    body = around(script_task("x = 1"))
    body = body.replace("StartEvent_1", event_id) if event_id == "Start" else body.replace("EndEvent_1", event_id)
    [problem] = problems_of([bpmn(body)])
    assert problem.element_id == event_id
    assert problem.file == "broken.bpmn"


# Regression (was BUG: engine/specs.py _check_ids only looked at elements whose tag ends with "Event";
# a user task with id "End" deployed, was silently replaced by SpiffWorkflow's internal "End" task spec,
# and a case completed at once without anybody doing the task).
@pytest.mark.parametrize("task_id", ["Start", "End"])
def test_user_task_with_a_reserved_id_is_named(task_id: str) -> None:
    body = around(user_task("any_form")).replace('"T"', f'"{task_id}"')
    [problem] = problems_of([bpmn(body)])
    assert problem.element_id == task_id


def test_user_task_with_two_outgoing_flows_is_rejected_by_spiffworkflow() -> None:
    body = ('<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            '<bpmn:userTask id="decide"><bpmn:incoming>f1</bpmn:incoming>'
            '<bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>'
            '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:endEvent id="EndEvent_2"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="decide"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="EndEvent_1"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="EndEvent_2"/>')
    [problem] = problems_of([bpmn(body)])
    assert problem.element_id == "decide"
    assert problem.file == "broken.bpmn"
    assert "outgoing" in problem.message


def test_business_rule_task_without_its_dmn_names_the_task() -> None:
    [problem] = problems_of([source(DATA / "priority_decision.bpmn")])
    assert problem.element_id == "decide_priority"
    assert "training_priority" in problem.message


# --------------------------------------------------------------- content hash
def test_content_hash_ignores_file_order_and_names_but_not_content() -> None:
    bpmn_file, dmn_file = source(DATA / "priority_decision.bpmn"), source(DATA / "simple_decision.dmn")
    reference = content_hash([bpmn_file, dmn_file])
    assert content_hash([dmn_file, bpmn_file]) == reference
    assert content_hash([SourceFile("renamed.bpmn", bpmn_file.content),
                         SourceFile("other-name.dmn", dmn_file.content)]) == reference
    assert content_hash([bpmn_file, SourceFile(dmn_file.name, dmn_file.content + b"\n")]) != reference
    assert content_hash([bpmn_file]) != reference
    assert len(reference) == 64


# ------------------------------------------------------------------------ DMN
def test_decision_refs_and_dmn_decision_ids_match_a_bpmn_with_its_dmn() -> None:
    assert decision_refs((DATA / "priority_decision.bpmn").read_bytes()) == {"training_priority"}
    assert dmn_decision_ids((DATA / "simple_decision.dmn").read_bytes()) == {"training_priority"}
    assert decision_refs(TRAINING.read_bytes()) == set()


def test_decision_refs_reads_the_spiffworkflow_called_decision_too() -> None:
    content = (b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
               b'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"><bpmn:process id="p">'
               b'<bpmn:businessRuleTask id="rule"><bpmn:extensionElements><spiffworkflow:calledDecisionId>'
               b' grade_table </spiffworkflow:calledDecisionId></bpmn:extensionElements></bpmn:businessRuleTask>'
               b'</bpmn:process></bpmn:definitions>')
    assert decision_refs(content) == {"grade_table"}


@pytest.mark.parametrize(("score", "priority", "reviewer"), [
    (95, "high", "council"), (80, "high", "council"), (79, "medium", "hr_officer"),
    (50, "medium", "hr_officer"), (49, "low", "unit_head"),
])
def test_dmn_cells_evaluate_inside_the_sandbox(score: int, priority: str, reviewer: str) -> None:
    """The output cells call ``reviewer_for``, which only the sandboxed engine provides."""
    parsed = parse(DATA / "priority_decision.bpmn", DATA / "simple_decision.dmn")
    assert parsed.dialect == "camunda"
    assert parsed.human_tasks["confirm_priority"].form_key == "priority_confirmation"
    workflow = run_until_people(parsed, score=score)
    [confirm] = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert confirm.task_spec.bpmn_id == "confirm_priority"
    assert confirm.data == {"score": score, "priority": priority, "review_by": reviewer}


def test_an_escape_in_a_dmn_cell_is_stopped_by_the_sandbox() -> None:
    dmn = (DATA / "simple_decision.dmn").read_bytes().replace(b'<text>"high"</text>', b"<text>score.__class__</text>")
    parsed = parse_definition([source(DATA / "priority_decision.bpmn"), SourceFile("simple_decision.dmn", dmn)])
    with pytest.raises(WorkflowTaskException) as raised:
        run_until_people(parsed, score=90)
    assert raised.value.error_type == "SandboxViolation"
    assert raised.value.task.task_spec.bpmn_id == "decide_priority"
