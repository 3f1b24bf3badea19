"""What a script may cost: a user's text, numbers or keys never hold a worker nor break a case.

Each test is one of the ways a security review made a script run for ever, fill the memory, read
the wall clock or fail on a user's key; each ends in a clear refusal (an incident on the case)
because of the limit, never because of a timer in the test.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.util.task import TaskState

from engine import policy
from engine.definitions.sandbox import RestrictedEnvironment, SandboxViolation, check_data_keys, make_script_engine
from engine.definitions.specs import SourceFile, parse_definition
from engine.errors import Invalid
from engine.time import clock

DATA = Path(__file__).resolve().parents[2] / "data"
#: The e-mail check many examples carry: exponential backtracking in Python's own ``re``.
EMAIL = r"^([a-zA-Z0-9]+[._-]?)*[a-zA-Z0-9]+@[a-zA-Z0-9-]+(\.[a-zA-Z]{2,})+$"
#: A pattern that backtracks exponentially in the ``regex`` package too.
BACKTRACKING = r"(a|a)*$"


def run(script: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    context = dict(data or {})
    RestrictedEnvironment().execute(script, context)
    return context


@pytest.fixture
def short_regex_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The regex timeout of the policy, shortened so the test ends soon (the outcome is the same)."""
    monkeypatch.setattr(policy, "REGEX_TIMEOUT", 0.05)


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(policy, "SCRIPT_STEP_LIMIT", 1000)
    return 1000


@pytest.fixture
def frozen() -> Iterator[clock.ManualClock]:
    manual = clock.ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))
    previous = clock.use(manual)
    yield manual
    clock.use(previous)


# ------------------------------------------------------------------ F1: regular expressions
def test_the_email_check_on_a_users_long_text_answers_instead_of_backtracking_for_days() -> None:
    result = run(f"import re\nemail_ok = re.match(r'{EMAIL}', email) is not None", {"email": "a" * 40 + "!"})
    assert result["email_ok"] is False
    assert run(f"import re\nok = re.match(r'{EMAIL}', e) is not None", {"e": "an.nguyen@hcm.gov.vn"})["ok"] is True


@pytest.mark.parametrize("call", [
    "re.match(p, text)", "re.search(p, text)", "re.fullmatch(p, text)", "re.sub(p, '', text)",
    "re.subn(p, '', text)", "re.split(p, text)", "re.findall(p, text)", "list(re.finditer(p, text))",
    "re.compile(p).match(text)", "re.compile(p, re.I).search(text)",
])
def test_a_backtracking_pattern_on_a_users_text_is_refused_when_it_times_out(short_regex_timeout: None,
                                                                             call: str) -> None:
    with pytest.raises(SandboxViolation, match="regular expression took longer"):
        run(f"import re\nresult = {call}", {"p": BACKTRACKING, "text": "a" * 40 + "!"})


def test_a_script_catching_the_timeout_still_fails(short_regex_timeout: None) -> None:
    script = ("import re\ntry:\n    ok = re.match(p, text)\nexcept Exception:\n    ok = 'caught'\n")
    with pytest.raises(SandboxViolation, match="regular expression took longer"):
        run(script, {"p": BACKTRACKING, "text": "a" * 40 + "!"})


def test_a_regex_timeout_in_a_script_task_is_an_incident_of_the_task(short_regex_timeout: None) -> None:
    content = (DATA / "spiff_review.bpmn").read_bytes().replace(
        b"reviewed = True", f"import re\nemail_ok = re.match(r'{BACKTRACKING}', email) is not None".encode())
    parsed = parse_definition([SourceFile("spiff_review.bpmn", content)])
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=make_script_engine())
    workflow.do_engine_steps()
    [review] = workflow.get_tasks(state=TaskState.READY, manual=True)
    review.data.update(check_data_keys({"email": "a" * 40 + "!"}))
    review.run()
    with pytest.raises(WorkflowTaskException) as raised:
        workflow.do_engine_steps()
    assert raised.value.task.task_spec.bpmn_id == "record_review"
    assert raised.value.error_type == "SandboxViolation"
    assert "email_ok" not in raised.value.task.data


def test_a_regex_on_a_text_past_the_cap_is_refused() -> None:
    with pytest.raises(SandboxViolation, match="longer than"):
        run("import re\nc = re.sub(r'\\s+$', '', comment)", {"comment": " " * (policy.REGEX_MAX_SUBJECT + 1) + "x"})


def test_the_curated_re_keeps_what_scripts_use() -> None:
    script = ("import re\np = re.compile(r'(?P<y>\\d{4})-(\\d\\d)')\nm = p.match('2026-05')\n"
              "year = m.group('y')\nspan = m.span()\nparts = re.split(r',\\s*', 'a, b,c')\n"
              "found = [m.group(0) for m in re.finditer(r'\\d+', 'a1b22')]\nn = re.subn('a', 'b', 'aaa')\n"
              "esc = re.escape('a.b')\nflags = re.IGNORECASE | re.MULTILINE\nok = bool(re.search('X', 'x', re.I))")
    result = run(script)
    assert (result["year"], result["span"], result["parts"]) == ("2026", (0, 7), ["a", "b", "c"])
    assert (result["found"], result["n"], result["esc"], result["ok"]) == (["1", "22"], ("bbb", 3), "a\\.b", True)


def test_a_match_does_not_hand_out_its_raw_pattern_which_has_no_timeout() -> None:
    with pytest.raises(SandboxViolation, match="'re'"):
        run("import re\nraw = re.match('a', 'a').re")


# ------------------------------------------------------------------ F2: steps and big numbers
def test_a_loop_over_a_users_zero_step_never_ending_is_refused_by_the_step_budget(small_budget: int) -> None:
    data = check_data_keys({"allowance": 10, "per_day": 0})
    with pytest.raises(SandboxViolation, match="steps"):
        run("left = allowance\ndays = 0\nwhile left > 0:\n    left -= per_day\n    days += 1\n", data)


def test_a_never_ending_loop_in_a_script_task_is_an_incident_of_the_task_not_a_hung_worker(small_budget: int) -> None:
    content = (DATA / "spiff_review.bpmn").read_bytes().replace(
        b"reviewed = True", b"left = allowance\nwhile left > 0:\n    left -= per_day")
    parsed = parse_definition([SourceFile("spiff_review.bpmn", content)])
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=make_script_engine())
    workflow.do_engine_steps()
    [review] = workflow.get_tasks(state=TaskState.READY, manual=True)
    review.data.update(check_data_keys({"allowance": 10, "per_day": 0}))
    review.run()
    with pytest.raises(WorkflowTaskException) as raised:
        workflow.do_engine_steps()
    assert raised.value.task.task_spec.bpmn_id == "record_review"
    assert raised.value.error_type == "SandboxViolation" and "steps" in str(raised.value)
    assert "left" not in raised.value.task.data


@pytest.mark.parametrize("script", [
    "n = 0\nfor i in range(2000):\n    n += 1",
    "def f(k):\n    return 0 if k == 0 else f(k - 1)\nfor i in range(20):\n    f(60)",
    "g = lambda x: x\nn = [g(i) for i in range(1500)]",
    "n = sum(1 for i in range(1500))",
    "n = {i: i for i in range(600) for j in range(2)}",
    "n = len(range(5000))",
])
def test_the_step_budget_counts_every_loop_turn_call_and_item(small_budget: int, script: str) -> None:
    with pytest.raises(SandboxViolation, match="steps|range longer"):
        run(script)


def test_the_step_budget_is_counted_not_timed_so_the_same_script_passes_just_under_it(small_budget: int) -> None:
    assert run("n = 0\nwhile n < 1000:\n    n += 1")["n"] == 1000
    with pytest.raises(SandboxViolation, match="1000 steps"):
        run("n = 0\nwhile n < 1001:\n    n += 1")


def test_a_script_catching_the_budget_violation_still_fails(small_budget: int) -> None:
    script = "while True:\n    try:\n        while True:\n            pass\n    except Exception:\n        pass\n"
    with pytest.raises(SandboxViolation, match="steps"):
        run(script)


@pytest.mark.parametrize("script", [
    "x = 10 ** n", "x = pow(10, n)", "x = 2 ** (n * 4)", "x = 1 << (n * 4)", "x = math.factorial(n)",
    "import math\nx = math.comb(n * 2, n)", "x = math.perm(n)", "x = 10 ** 5000 * 10 ** 5001",
    "x = 10\nx **= n", "x = 'ab' * n * 100", "x = [0] * (n * 100)", "x = 'a'\nx *= n * 100",
    "x = 'x' * 600000\nx = x + x", "x = ('{:>%d}' % (n * 100)).format(1)", "x = format(1, str(n * 100))",
    "x = f'{1:>{n * 100}}'", "x = '%*d' % (n * 100, 1)", "x = '%20000000d' % 1", "x = 'a'.ljust(n * 100)",
    "x = 'a'.zfill(n * 100)", "x = math.prod(range(1, n))", "x = math.lcm(*range(1, n))",
])
def test_a_users_big_number_cannot_make_a_giant_value(script: str) -> None:
    with pytest.raises(SandboxViolation, match="digits|longer|width"):
        run(script, {"n": 100_000})


def test_ordinary_arithmetic_and_formatting_still_work() -> None:
    script = ("a = 2 ** 10\nb = pow(3, 4)\nc = pow(2, 100, 7)\nd = 1.5 ** 2\ne = 'ab' * 3\nf = [0] * 3\n"
              "g = math.factorial(20) + math.prod([2, 3]) + math.lcm(4, 6) - 18\nh = '{:>6}'.format('x')\ni = f'{3.14159:.2f}'\nj = '%05d' % 42\n"
              "k = 'Room 2000000: %s' % 'A'\nl = 'x'.rjust(4)\nm = 7 * 6\nn = 'a' + 'b'\no = [1] + [2]")
    result = run(script)
    assert [result[k] for k in "abcdefghijklmno"] == [
        1024, 81, 2, 2.25, "ababab", [0, 0, 0], 2432902008176640000, "     x", "3.14", "00042",
        "Room 2000000: A", "   x", 42, "ab", [1, 2]]


# ------------------------------------------------------------------ F3: the wall clock, addresses
@pytest.mark.parametrize("expression", [
    "datetime.now()", "datetime.min.now()", "datetime.now(timezone.utc).now()", "datetime.max.now()",
    "d.datetime.max.now()", "datetime.today()", "start.now()", "getattr(datetime.min, 'now')()",
    "d.datetime.now()",
])
def test_every_way_to_now_reads_the_service_clock(frozen: clock.ManualClock, expression: str) -> None:
    result = run(f"import datetime as d\nt = {expression}", {"start": datetime(2020, 1, 1, tzinfo=timezone.utc)})
    assert result["t"] == datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("expression", ["date.today()", "date.min.today()", "day.today()", "d.date.today()"])
def test_every_way_to_today_reads_the_service_clock(frozen: clock.ManualClock, expression: str) -> None:
    assert run(f"import datetime as d\nt = {expression}", {"day": date(2020, 1, 1)})["t"] == date(2026, 3, 2)


def test_utcnow_is_the_service_clock_in_naive_utc_as_python_gives_it(frozen: clock.ManualClock) -> None:
    assert run("t = datetime.utcnow()\nu = datetime.min.utcnow()") == {
        "t": datetime(2026, 3, 2, 2, 0), "u": datetime(2026, 3, 2, 2, 0)}


def test_the_real_datetime_class_cannot_be_reached_through_mro() -> None:
    with pytest.raises(SandboxViolation, match="mro"):
        run("t = datetime.mro()[1].now()")


@pytest.mark.parametrize("script", [
    "who = '{}'.format(lambda x: x)", "who = repr(lambda x: x)", "who = f'{iter([1])!r}'",
    "who = format(iter([1]))", "def f():\n    yield 1\nwho = '{!r}'.format(f())",
])
def test_a_function_or_iterator_is_written_without_its_memory_address(script: str) -> None:
    who = run(script)["who"]
    assert who.startswith("<") and " at 0x" not in who


def test_strftime_and_strptime_work_without_the_wall_clock() -> None:
    result = run("a = datetime(2026, 5, 1).strftime('%d/%m/%Y')\nb = '{:%Y}'.format(date(2026, 5, 1))\n"
                 "c = datetime.strptime('01/05/2026', '%d/%m/%Y')\nd = format(date(2026, 5, 1), '%m')\n"
                 "e = f'{date(2026, 5, 1):%d}'")
    assert (result["a"], result["b"], result["d"], result["e"]) == ("01/05/2026", "2026", "05", "01")
    assert result["c"] == datetime(2026, 5, 1)


# ------------------------------------------------------------------ F4: a user's keys
@pytest.mark.parametrize("key", ["next", "IndexError", "getattr", "format", "re", "json", "pow"])
def test_a_users_key_named_like_an_extra_builtin_is_taken_as_spiffworkflow_takes_it(key: str) -> None:
    # a form field may be called "format": raw SpiffWorkflow accepts it, so must we (conformance)
    assert check_data_keys({"candidates": ["An"], key: 0}) == {"candidates": ["An"], key: 0}


@pytest.mark.parametrize("key", ["len", "sorted", "working_days", "date", "math"])
def test_a_users_key_that_would_shadow_the_citys_own_helpers_stays_refused(key: str) -> None:
    with pytest.raises(Invalid) as raised:
        check_data_keys({key: 0})
    assert raised.value.details == {"data": {key: ["is a reserved name in the script sandbox"]}}


def test_a_script_may_still_name_an_extra_builtin_as_python_allows() -> None:
    assert run("next = 3\nformat = 'x'")["next"] == 3
