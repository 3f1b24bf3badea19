"""Scripts written for SpiffWorkflow's default engine run in the sandbox, and its guards still hold.

Each widening of engine/definitions/script_compat.py is shown working the way Python (and so the
library's default engine) runs it, next to the escape it must not open.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from engine.definitions.sandbox import RESERVED_NAMES, RestrictedEnvironment, SandboxViolation, check_source
from engine.definitions.specs import SourceFile, parse_definition
from engine.time import clock

FOREIGN_LIKE = Path(__file__).resolve().parents[2] / "data" / "conformance" / "foreign_like"
REFUSED = (SandboxViolation, NameError, ImportError, AttributeError)


def run(script: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    context = dict(data or {})
    RestrictedEnvironment().execute(script, context)
    return context


def python(script: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """What plain Python (the library's default engine) leaves of the same script's names."""
    scope = dict(data or {})
    exec(script, scope)  # noqa: S102 - trusted test source
    return {k: v for k, v in scope.items() if k != "__builtins__" and not callable(v)}


@pytest.fixture
def frozen() -> Iterator[clock.ManualClock]:
    manual = clock.ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))
    previous = clock.use(manual)
    yield manual
    clock.use(previous)


@pytest.mark.parametrize("script", [
    "n = next(iter([4, 5]))\nc = chr(ord('a') + 2)\np = pow(2, 5)\nh = hex(255) + oct(8) + bin(3)",
    "f = format(3.14159, '.2f')\nok = callable(len)\ns = [1, 2, 3, 4][slice(1, 3)]",
    "try:\n    v = [][1]\nexcept IndexError:\n    v = 'gone'\ntry:\n    w = 1 / 0\nexcept ZeroDivisionError:\n    w = 0",
    "u = getattr('abc', 'upper')()\nd = getattr('abc', 'nothing', 'fallback')\nh = hasattr('abc', 'split')",
    "s = '{} and {}'.format(1, 2)\nt = '{name}: {v[k]}'.format(name='x', v={'k': 3})\nm = '{a}'.format_map({'a': 1})",
    "counts = {'a': 1}\ncounts['a'] += 2\nrows = [[1], [2]]\nrows[0] += [9]\nrows[1][0] *= 5",
])
def test_a_default_engine_script_gives_what_python_gives(script: str) -> None:
    assert run(script) == python(script)


def test_an_item_augmented_assignment_extends_the_same_list_as_python_does() -> None:
    script = "board = {'names': ['An']}\nalias = board['names']\nboard['names'] += ['Binh']"
    assert run(script)["alias"] == ["An", "Binh"]


@pytest.mark.parametrize("script", [
    "d = {'a': 1, 'b': 10}\nkeys = ['b', 'a']\nd[keys.pop()] += 1",
    "def bump():\n    global k\n    k = 'b'\n    return 1\nd = {'a': 1, 'b': 10}\nk = 'a'\nd[k] += bump()",
    "rows = [1, 2, 3, 4]\nrows[1:3] += [9]",
])
def test_an_item_augmented_assignment_evaluates_its_target_once_and_first_as_python_does(script: str) -> None:
    assert run(script) == python(script)


@pytest.mark.parametrize("marker", ["inplacevar4sandboxcompat", "_augitem_", "_inplacevar_", "_tick_"])
def test_a_script_cannot_reach_or_rebind_the_augmented_assignment_guard(marker: str) -> None:
    script = f"d = {{'a': 0}}\nd['a'] += 1\nseen = repr({marker})"
    with pytest.raises(REFUSED):
        run(script)


def test_a_script_naming_the_old_rewrite_marker_changes_no_augmented_assignment() -> None:
    script = "inplacevar4sandboxcompat = 'HIJACKED'\nd = {'a': 0}\nd['a'] += 1"
    assert run(script) == python(script) and run(script)["d"] == {"a": 1}


@pytest.mark.parametrize("guard", ["_augitem_", "_inplacevar_", "_tick_", "_mul_"])
def test_a_script_cannot_rebind_a_guard(guard: str) -> None:
    with pytest.raises(REFUSED):
        run(f"{guard} = lambda op, x, y: 'HIJACKED'\nd = {{'a': 0}}\nd['a'] += 1")


@pytest.mark.parametrize("script", [
    "s = '{0.__class__}'.format(1)",
    "s = '{0.__class__.__bases__}'.format(1)",
    "s = '{x._secret}'.format_map({'x': 1})",
    "c = getattr(1, '__class__')",
    "c = hasattr(1, '__class__')",
    "t = type(1)",
])
def test_the_new_ways_to_reach_an_attribute_refuse_underscore_names(script: str) -> None:
    with pytest.raises(REFUSED):
        run(script)


def test_datetime_json_math_and_re_import_as_curated_modules_and_stay_out_of_the_data(frozen) -> None:
    data = run("import datetime\nimport json\nimport math\nimport re\n"
               "from datetime import timedelta\n"
               "now = datetime.datetime.now().isoformat()\n"
               "later = (datetime.date(2026, 1, 1) + timedelta(days=1)).isoformat()\n"
               "j = json.loads(json.dumps({'a': [1]}))\nr = math.floor(2.7)\nm = bool(re.match('a+', 'aa'))")
    assert data == {"now": frozen.now().isoformat(), "later": "2026-01-02", "j": {"a": [1]}, "r": 2, "m": True}
    frozen.advance(timedelta(days=1))  # the imported datetime reads the service clock, as the helper does
    assert run("import datetime\nd = datetime.date.today().isoformat()")["d"] == "2026-03-03"


@pytest.mark.parametrize("source, name", [
    ("import os", "os"), ("import sys", "sys"), ("from os import path", "os"), ("import json.decoder", "json.decoder"),
    ("from . import x", "."), ("import subprocess as json", "subprocess"),
])
def test_any_other_import_is_refused_at_compile_time_naming_the_module(source: str, name: str) -> None:
    with pytest.raises(SandboxViolation, match=f"import of '{name}' is not allowed.*datetime, json, math, re"):
        check_source(source)


@pytest.mark.parametrize("script", ["import json\nx = json.codecs", "import re\nx = re.sys", "import datetime\nx = datetime.sys"])
def test_a_curated_module_hands_out_none_of_the_real_modules_imports(script: str) -> None:
    with pytest.raises(AttributeError):
        run(script)


def test_task_data_may_shadow_the_added_builtins_as_in_python_but_not_the_reserved_names() -> None:
    assert not {"format", "next", "chr", "getattr"} & RESERVED_NAMES
    assert run("chosen = format", {"format": "pdf"})["chosen"] == "pdf"
    with pytest.raises(SandboxViolation, match="len"):
        run("n = len(items)", {"len": 3, "items": []})


def test_a_spiff_file_the_xsd_rejects_deploys_with_a_warning_instead_of_a_refusal() -> None:
    name = "schema_invalid_but_runs.bpmn"
    parsed = parse_definition([SourceFile(name, (FOREIGN_LIKE / name).read_bytes())])
    assert parsed.dialect == "spiff"
    [warning] = parsed.warnings
    assert warning.file == name and "not valid against the BPMN 2.0 schema" in warning.message
    assert "ioSpecification" in warning.message
