"""The script sandbox: ordinary case scripts run, escapes do not, time comes from the service clock."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.util.task import TaskState

from engine.time import clock
from engine.definitions.sandbox import (HELPERS, RESERVED_NAMES, RestrictedEnvironment, SandboxViolation, check_source,
                            make_script_engine)
from engine.definitions.specs import SourceFile, parse_definition

DATA = Path(__file__).resolve().parents[2] / "data"

#: What a refused script may raise: rejected at compile time, or a name/import that is not there.
REFUSED = (SandboxViolation, NameError, ImportError)


def run(script: str, data: dict[str, Any] | None = None, **helpers: Any) -> dict[str, Any]:
    """Run ``script`` on a copy of ``data`` as a script task would; return the resulting task data."""
    context = dict(data or {})
    RestrictedEnvironment(helpers).execute(script, context)
    return context


@pytest.fixture
def city_evening() -> Iterator[clock.ManualClock]:
    """20:00 UTC on 2 March 2026: already 3 March in the city (UTC+7)."""
    manual = clock.ManualClock(datetime(2026, 3, 2, 20, 0, tzinfo=timezone.utc))
    previous = clock.use(manual)
    try:
        yield manual
    finally:
        clock.use(previous)


# --------------------------------------------------------------- what works
def test_arithmetic_and_assignment() -> None:
    assert run("total = price * quantity - discount", {"price": 12, "quantity": 3, "discount": 6}) == {
        "price": 12, "quantity": 3, "discount": 6, "total": 30}


def test_loops_and_augmented_assignment() -> None:
    result = run("total = 0\nfor score in scores:\n    total += score\naverage = total / len(scores)",
                 {"scores": [7, 8, 9]})
    assert result["total"] == 24 and result["average"] == 8


def test_writes_into_dicts_and_lists() -> None:
    result = run("scores['expert1'] = 9\nranking[0] = 'khoa'\nranking.append('lan')\nextra = {}\nextra['k'] = 1",
                 {"scores": {}, "ranking": ["x"]})
    assert result["scores"] == {"expert1": 9}
    assert result["ranking"] == ["khoa", "lan"]
    assert result["extra"] == {"k": 1}


def test_comprehensions_and_tuple_unpacking() -> None:
    result = run("passed = [name for name, score in scores.items() if score >= 5]\n"
                 "squares = {n: n * n for n in range(3)}\nfirst, second = passed",
                 {"scores": {"an": 6, "binh": 4, "chi": 8}})
    assert result["passed"] == ["an", "chi"]
    assert result["squares"] == {0: 0, 1: 1, 2: 4}
    assert (result["first"], result["second"]) == ("an", "chi")


def test_date_helpers_compute_deadlines() -> None:
    result = run("deadline = start + timedelta(days=30)\n"
                 "opening = datetime(2026, 4, 1, 8, 0, tzinfo=timezone.utc)\n"
                 "exam_day = date(2026, 4, 15)\n"
                 "days_left = (exam_day - opening.date()).days\n"
                 "rounded = math.ceil(2.1)",
                 {"start": datetime(2026, 3, 1, tzinfo=timezone.utc)})
    assert result["deadline"] == datetime(2026, 3, 31, tzinfo=timezone.utc)
    assert result["opening"] == datetime(2026, 4, 1, 8, 0, tzinfo=timezone.utc)
    assert result["exam_day"] == date(2026, 4, 15)
    assert result["days_left"] == 14
    assert result["rounded"] == 3


def test_conditions_are_evaluated_in_the_sandbox() -> None:
    env = RestrictedEnvironment()
    assert env.evaluate("decision == 'approve' and len(scores) > 1", {"decision": "approve", "scores": [1, 2]})
    assert env.evaluate("start + timedelta(days=1)", {"start": date(2026, 1, 31)}) == date(2026, 2, 1)


def test_helpers_passed_to_the_engine_are_callable_from_scripts() -> None:
    engine = make_script_engine({"council_size": lambda unit: {"SKHCN": 5}.get(unit, 3)})
    context = {"unit": "SKHCN"}
    engine.environment.execute("members = council_size(unit)\nothers = council_size('X')", context)
    assert context == {"unit": "SKHCN", "members": 5, "others": 3}


def test_helper_names_may_not_start_with_underscore_or_replace_builtins() -> None:
    with pytest.raises(ValueError, match="_secret"):
        RestrictedEnvironment({"_secret": lambda: 1})
    with pytest.raises(ValueError, match="len"):
        RestrictedEnvironment({"len": lambda x: 0})


# ------------------------------------------------------------- what is refused
@pytest.mark.parametrize("script", [
    pytest.param("import os\nescaped = os.getcwd()", id="import"),
    pytest.param("from os import path\nescaped = path.sep", id="from-import"),
    pytest.param("escaped = __import__('os').getcwd()", id="__import__"),
    pytest.param("escaped = open('/etc/passwd').read()", id="open"),
    pytest.param("escaped = ().__class__.__bases__[0].__subclasses__()", id="subclasses-walk"),
    pytest.param("escaped = getattr(unit, '__class__')", id="getattr-dunder"),
    pytest.param("escaped = eval('1 + 1')", id="eval"),
    pytest.param("exec('escaped = 1')", id="exec"),
    pytest.param("_hidden = 1\nescaped = _hidden", id="underscore-name"),
    pytest.param("escaped = unit._private", id="underscore-attribute"),
    pytest.param("escaped = globals()", id="globals"),
    pytest.param("escaped = type(unit)", id="type"),
])
def test_escapes_are_refused_and_leave_data_untouched(script: str) -> None:
    context = {"unit": "SKHCN"}
    with pytest.raises(REFUSED):
        RestrictedEnvironment().execute(script, context)
    assert context == {"unit": "SKHCN"}


@pytest.mark.parametrize("expression", [
    "().__class__.__bases__[0].__subclasses__()",
    "__import__('os')",
    "open('/etc/passwd')",
    "eval('1')",
])
def test_escapes_are_refused_in_conditions(expression: str) -> None:
    with pytest.raises(REFUSED):
        RestrictedEnvironment().evaluate(expression, {"unit": "SKHCN"})


@pytest.mark.parametrize("source", ["import os", "from os import path", "x = 1\nimport sys", "import json.decoder"])
def test_imports_are_refused_before_anything_runs(source: str) -> None:
    with pytest.raises(SandboxViolation, match="import"):
        check_source(source)


def test_a_script_task_running_through_the_engine_is_sandboxed() -> None:
    """A diagram's script fails as a task error; it never reaches the file system."""
    content = (DATA / "spiff_review.bpmn").read_bytes().replace(
        b"reviewed = True", b"reviewed = open('/etc/passwd').read()")
    parsed = parse_definition([SourceFile("spiff_review.bpmn", content)])
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=make_script_engine())
    workflow.do_engine_steps()
    [review] = workflow.get_tasks(state=TaskState.READY, manual=True)
    review.run()
    with pytest.raises(WorkflowTaskException) as raised:
        workflow.do_engine_steps()
    assert raised.value.task.task_spec.bpmn_id == "record_review"
    assert raised.value.error_type == "NameError"
    assert "reviewed" not in raised.value.task.data


# ------------------------------------------------------------ the service clock
def test_now_and_today_inside_a_script_read_the_service_clock(city_evening: clock.ManualClock) -> None:
    result = run("stamp = datetime.now()\nstamp_utc = datetime.now(timezone.utc)\n"
                 "city_day = date.today()\nalso_now = datetime.today()")
    assert result["stamp"] == datetime(2026, 3, 2, 20, 0, tzinfo=timezone.utc)
    assert result["stamp_utc"] == datetime(2026, 3, 2, 20, 0, tzinfo=timezone.utc)
    assert result["also_now"] == datetime(2026, 3, 2, 20, 0, tzinfo=timezone.utc)
    assert result["city_day"] == date(2026, 3, 3)  # the city's date, not the UTC date


def test_scripts_see_the_clock_move(city_evening: clock.ManualClock) -> None:
    env = RestrictedEnvironment()
    context: dict[str, Any] = {}
    env.execute("first = datetime.now()", context)
    city_evening.advance(timedelta(days=2))
    env.execute("second = datetime.now()\nwaited = (second - first).days", context)
    assert context["waited"] == 2
    assert env.evaluate("datetime.now() > first + timedelta(days=1)", context) is True


# ------------------------------------------------------------------ task data
@pytest.mark.parametrize("key", ["datetime", "timedelta", "math", "council_size", "_secret", "_getattr_"])
def test_task_data_may_not_shadow_sandbox_names(key: str) -> None:
    env = RestrictedEnvironment({"council_size": lambda unit: 5})
    with pytest.raises(SandboxViolation, match=key):
        env.execute("x = 1", {key: "shadow"})


# Regression (was BUG: engine/sandbox.py RestrictedEnvironment._check_data compared data keys with
# `self.globals`, where the safe builtins sit nested under "__builtins__"; a data key such as `len`
# was accepted and shadowed the builtin in every later script and condition).
@pytest.mark.parametrize("key", ["len", "sorted"])
def test_task_data_may_not_shadow_sandbox_builtins(key: str) -> None:
    assert key in RESERVED_NAMES
    env = RestrictedEnvironment()
    with pytest.raises(SandboxViolation, match=key):
        env.execute(f"n = {key}(items)", {key: 3, "items": [2, 1]})


def test_a_script_assigning_a_reserved_name_is_refused_and_leaves_the_data_alone() -> None:
    context: dict[str, Any] = {"items": [3, 1]}
    with pytest.raises(SandboxViolation, match="len"):
        RestrictedEnvironment().execute("len = 3\ncount = 2", context)
    assert context == {"items": [3, 1]}


def test_a_condition_over_data_that_shadows_a_builtin_is_refused() -> None:
    with pytest.raises(SandboxViolation, match="sorted"):
        RestrictedEnvironment().evaluate("len(sorted) > 0", {"sorted": [1]})


def test_no_helper_or_builtin_is_left_in_the_task_data() -> None:
    context = {"unit": "SKHCN"}
    env = RestrictedEnvironment({"council_size": lambda unit: 5})
    env.execute("size = council_size(unit)\nprint('debug', size)\nfn = council_size\nmodule = math\n"
                "clock_class = datetime\nnow_method = datetime.now\ndef helper(x):\n    return x\n"
                "doubled = helper(size) * 2", context)
    assert context == {"unit": "SKHCN", "size": 5, "doubled": 10}
    assert not set(context) & (set(env.globals) | set(HELPERS) | {"__builtins__", "_print"})


def test_removed_keys_disappear_and_nothing_leaks_between_scripts() -> None:
    env = RestrictedEnvironment()
    first: dict[str, Any] = {"draft": 1}
    env.execute("del draft\nkept = 2", first)
    second: dict[str, Any] = {}
    env.execute("other = 1", second)
    assert first == {"kept": 2}
    assert second == {"other": 1}
    assert "kept" not in env.globals and "draft" not in env.globals


def test_a_script_task_leaves_only_case_values_in_the_task_data() -> None:
    content = (DATA / "spiff_review.bpmn").read_bytes().replace(
        b"reviewed = True", b"reviewed = True\nreviewers = council_size(unit)\nat = datetime.now()")
    parsed = parse_definition([SourceFile("spiff_review.bpmn", content)])
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs,
                            script_engine=make_script_engine({"council_size": lambda unit: 5}))
    workflow.get_tasks(state=TaskState.READY)[0].data["unit"] = "SKHCN"
    workflow.do_engine_steps()
    workflow.get_tasks(state=TaskState.READY, manual=True)[0].run()
    workflow.do_engine_steps()
    assert workflow.completed
    data = workflow.last_task.data
    assert set(data) == {"unit", "reviewed", "reviewers", "at"}
    assert (data["reviewed"], data["reviewers"]) == (True, 5)


def test_a_misspelt_attribute_raises_instead_of_quietly_being_none() -> None:
    env = RestrictedEnvironment()
    with pytest.raises(AttributeError, match="lenght"):
        env.evaluate("decision.lenght", {"decision": "approve"})
    assert env.evaluate("decision.upper()", {"decision": "approve"}) == "APPROVE"
