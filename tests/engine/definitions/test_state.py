"""Saving a case without its spec and restoring it where it stopped, with the sandbox re-attached."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions import state
from engine.definitions.sandbox import make_script_engine
from engine.definitions.specs import ParsedDefinition, SourceFile, parse_definition
from workflows import BPMN_DIR

DATA = Path(__file__).resolve().parents[2] / "data"
CITY = timezone(timedelta(hours=7))


def parsed(path: Path) -> ParsedDefinition:
    return parse_definition([SourceFile(path.name, path.read_bytes())])


@pytest.fixture(scope="module")
def training() -> ParsedDefinition:
    return parsed(BPMN_DIR / "training_nomination.bpmn")


def ready(workflow: BpmnWorkflow) -> list[Any]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def complete(workflow: BpmnWorkflow, element_id: str, **data: Any) -> None:
    [task] = [t for t in ready(workflow) if t.task_spec.bpmn_id == element_id]
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()


def mid_run(definition: ParsedDefinition, spec: Any, subs: dict[str, Any]) -> BpmnWorkflow:
    """A nomination the mentor has assessed, waiting for the unit head."""
    workflow = state.new_workflow(spec, subs, make_script_engine())
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(talent_name="Nguyễn Văn Khoa", unit="SKHCN", mentor="expert1")
    workflow.do_engine_steps()
    complete(workflow, "mentor_assessment", recommendation="support",
             assessed_at=datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc),
             class_start=date(2026, 4, 1),
             schedule={"sessions": [date(2026, 4, 2), datetime(2026, 4, 3, 8, 0, tzinfo=CITY)]})
    return workflow


def test_spec_round_trip_keeps_every_task_spec(training: ParsedDefinition) -> None:
    text = state.dump_spec(training.dialect, training.spec, training.subprocess_specs)
    assert "task_specs" in json.loads(text)["spec"]
    spec, subs = state.load_spec(training.dialect, text)
    assert spec.name == "training_nomination"
    assert subs == {}
    assert set(spec.task_specs) == set(training.spec.task_specs)
    assert spec.task_specs["mentor_assessment"].lane == "Người hướng dẫn"
    assert spec.task_specs["mentor_assessment"].form.key == "training_mentor_assessment"


def test_mid_run_case_comes_back_with_the_same_ready_tasks_and_data(training: ParsedDefinition) -> None:
    spec, subs = state.load_spec(training.dialect,
                                 state.dump_spec(training.dialect, training.spec, training.subprocess_specs))
    workflow = mid_run(training, spec, subs)
    before = {str(t.id): (t.task_spec.bpmn_id, dict(t.data)) for t in ready(workflow)}
    assert [element for element, _ in before.values()] == ["unit_head_approval"]

    restored = state.load_workflow(training.dialect, state.dump_workflow(training.dialect, workflow),
                                   spec, subs, make_script_engine())

    after = {str(t.id): (t.task_spec.bpmn_id, dict(t.data)) for t in ready(restored)}
    assert after == before
    assert not restored.completed


def test_restored_case_runs_on_to_the_end(training: ParsedDefinition) -> None:
    workflow = mid_run(training, training.spec, training.subprocess_specs)
    restored = state.load_workflow(training.dialect, state.dump_workflow(training.dialect, workflow),
                                   training.spec, training.subprocess_specs, make_script_engine())
    complete(restored, "unit_head_approval", decision="reject")
    assert restored.completed
    assert restored.data["case_outcome"] == "rejected"


def test_case_state_leaves_the_spec_out(training: ParsedDefinition) -> None:
    workflow = mid_run(training, training.spec, training.subprocess_specs)
    text = state.dump_workflow(training.dialect, workflow)
    saved = json.loads(text)
    assert "spec" not in saved and "subprocess_specs" not in saved
    assert '"task_specs"' not in text
    spec_text = state.dump_spec(training.dialect, training.spec, training.subprocess_specs)
    # The scripts live in the spec, stored once per version, not in every case.
    assert "case_outcome = " in spec_text and "case_outcome = " not in text


def test_dates_and_datetimes_survive_a_round_trip(training: ParsedDefinition) -> None:
    workflow = mid_run(training, training.spec, training.subprocess_specs)
    restored = state.load_workflow(training.dialect, state.dump_workflow(training.dialect, workflow),
                                   training.spec, training.subprocess_specs, make_script_engine())
    [approval] = ready(restored)
    assert approval.data["assessed_at"] == datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    assert type(approval.data["assessed_at"]) is datetime
    assert approval.data["class_start"] == date(2026, 4, 1)
    assert type(approval.data["class_start"]) is date
    sessions = approval.data["schedule"]["sessions"]
    assert sessions == [date(2026, 4, 2), datetime(2026, 4, 3, 8, 0, tzinfo=CITY)]
    assert sessions[1].utcoffset() == timedelta(hours=7)


def test_dates_made_by_sandbox_helpers_come_back_as_plain_values(training: ParsedDefinition) -> None:
    workflow = mid_run(training, training.spec, training.subprocess_specs)
    [approval] = ready(workflow)
    workflow.script_engine.environment.execute(
        "deadline = datetime(2026, 3, 9, 17, 0, tzinfo=timezone.utc)\nreview_day = date(2026, 3, 10)\n"
        "next_day = review_day + timedelta(days=1)", approval.data)
    restored = state.load_workflow(training.dialect, state.dump_workflow(training.dialect, workflow),
                                   training.spec, training.subprocess_specs, make_script_engine())
    [again] = ready(restored)
    assert again.data["deadline"] == datetime(2026, 3, 9, 17, 0, tzinfo=timezone.utc)
    assert type(again.data["deadline"]) is datetime
    assert (again.data["review_day"], again.data["next_day"]) == (date(2026, 3, 10), date(2026, 3, 11))
    assert type(again.data["review_day"]) is date


def test_the_script_engine_passed_is_re_attached(training: ParsedDefinition) -> None:
    workflow = mid_run(training, training.spec, training.subprocess_specs)
    engine = make_script_engine({"council_size": lambda: 5})
    restored = state.load_workflow(training.dialect, state.dump_workflow(training.dialect, workflow),
                                   training.spec, training.subprocess_specs, engine)
    assert restored.script_engine is engine
    assert "council_size" in restored.script_engine.environment.globals


def test_a_saved_state_can_be_loaded_twice_independently(training: ParsedDefinition) -> None:
    workflow = mid_run(training, training.spec, training.subprocess_specs)
    text = state.dump_workflow(training.dialect, workflow)
    first = state.load_workflow(training.dialect, text, training.spec, training.subprocess_specs, make_script_engine())
    second = state.load_workflow(training.dialect, text, training.spec, training.subprocess_specs, make_script_engine())
    complete(first, "unit_head_approval", decision="reject")
    assert first.completed and not second.completed
    assert [t.task_spec.bpmn_id for t in ready(second)] == ["unit_head_approval"]


@pytest.mark.parametrize("path", [DATA / "spiff_review.bpmn", DATA / "plain_two_lanes.bpmn"], ids=["spiff", "bpmn"])
def test_other_dialects_round_trip_too(path: Path) -> None:
    definition = parsed(path)
    spec, subs = state.load_spec(definition.dialect,
                                 state.dump_spec(definition.dialect, definition.spec, definition.subprocess_specs))
    workflow = state.new_workflow(spec, subs, make_script_engine())
    workflow.get_tasks(state=TaskState.READY)[0].data["opened_on"] = date(2026, 3, 2)
    workflow.do_engine_steps()
    text = state.dump_workflow(definition.dialect, workflow)
    restored = state.load_workflow(definition.dialect, text, spec, subs, make_script_engine())
    assert [(str(t.id), t.data) for t in ready(restored)] == [(str(t.id), t.data) for t in ready(workflow)]
    assert ready(restored)[0].data == {"opened_on": date(2026, 3, 2)}
