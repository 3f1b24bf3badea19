"""The restricted environment every script, condition, timer and DMN cell runs in.

SpiffWorkflow's default engine ``exec``s with full Python: a diagram could
import ``os`` or walk ``__subclasses__``. Here code is compiled with
RestrictedPython (no imports, no names starting with ``_``, guarded attribute
and item access) and runs against a small allow-list of builtins and helpers.
Task data are the script's globals, as in SpiffWorkflow, so data keys must
never shadow :data:`RESERVED_NAMES` nor start with ``_``. Each run has a step budget and bounded arithmetic,
formats and regular expressions (:mod:`engine.definitions.script_limits`), and
every way to the time reads the service clock (:mod:`engine.definitions.script_clock`).
"""
from __future__ import annotations

import ast
import keyword
import operator
from datetime import timedelta, timezone
from functools import lru_cache
from typing import Any, Callable, Mapping

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.definitions import script_clock, script_compat, script_limits, script_regex
from engine.definitions.script_budget import FSTR, TICK
from engine.definitions.script_limits import SandboxViolation
from engine.time import calendar
from engine import policy
from engine.errors import Invalid


_SAFE_BUILTINS: dict[str, Any] = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float",
        "frozenset", "int", "isinstance", "len", "list", "map", "max", "min", "range",
        "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip", "repr",
        "ValueError", "TypeError", "KeyError", "ArithmeticError", "Exception",
        "True", "False", "None",
    )
}
# the bounded versions (engine/definitions/script_limits.py): no address in a repr, no 10**12 range
_SAFE_BUILTINS.update(repr=script_limits.safe_repr, range=script_limits.safe_range)

_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "<<=": operator.ilshift, ">>=": operator.irshift, "|=": operator.ior, "&=": operator.iand, "^=": operator.ixor,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    if op in script_limits.INPLACE_CHECKS:
        script_limits.INPLACE_CHECKS[op](x, y)  # the same limits as ``x = x * y``
    try:
        return _INPLACE[op](x, y)
    except KeyError:
        raise SandboxViolation(f"operator {op} is not allowed") from None


_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


def _width_checked(method: Callable[..., str]) -> Callable[..., str]:
    def padded(width: Any = 8, *args: Any) -> str:
        if isinstance(width, int) and width > policy.SCRIPT_MAX_LENGTH:
            script_limits.refuse(f"a width past {policy.SCRIPT_MAX_LENGTH} is not allowed")
        return method(width, *args)
    return padded


def _getattr(obj: Any, name: str, *default: Any) -> Any:
    """Guarded attribute access; a misspelt attribute raises (it must not quietly become None)."""
    # safer_getattr_raise refuses names starting with "_" and str.format, like safer_getattr; the
    # format methods are given in a version whose fields pass these same guards.
    if isinstance(obj, str):
        if name in ("format", "format_map"):
            return script_compat.safe_format(obj, _getattr, name)
        if name in _WIDTH_METHODS:
            return _width_checked(getattr(obj, name))
    found = script_clock.clock_attribute(obj, name)  # every way to the wall clock
    if script_clock.decided(found):
        return found
    if script_regex.is_raw_pattern_access(obj, name):
        raise SandboxViolation("attribute 're' of a match is not allowed (use the pattern you compiled)")
    return safer_getattr_raise(obj, name, *default)


_ClockDatetime = script_clock.ClockDatetime
_ClockDate = script_clock.ClockDate


HELPERS: dict[str, Any] = {
    "working_days": calendar.working_days,
    "days_from_now": calendar.days_from_now,
    "working_days_before": calendar.working_days_before,
    "date": _ClockDate,
    "datetime": _ClockDatetime,
    "timedelta": timedelta,
    "timezone": timezone,
    "math": script_limits.MATH,
}

_GUARDS: dict[str, Any] = {
    "_getattr_": _getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_print_": PrintCollector,
    "_apply_": lambda f, *a, **kw: f(*a, **kw),
    FSTR: script_limits.formatted_value,
    "_slice_": slice,
    **dict(script_limits.BINOP_GUARDS.values()),
}
_GUARDS["_augitem_"] = script_compat.augmented_item(_inplacevar, full_write_guard)


#: Names code sees besides task data; data keys may not take them.
RESERVED_NAMES: frozenset[str] = frozenset(_SAFE_BUILTINS) | frozenset(HELPERS) | frozenset(_GUARDS) | {TICK}
#: The builtins added for scripts written for SpiffWorkflow's default engine (``next``, ``format``,
#: ``IndexError``…) and the modules they import are *not* reserved: SpiffWorkflow accepts data under
#: those names (a form field ``format``), and a file it runs must run here the same. Such a key
#: shadows the name for the case's scripts, as it does there (a script then fails into an incident).


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> Any:
    tree = ast.parse(source, "<script>", mode)  # a plain SyntaxError stays a SyntaxError
    refused_import = script_compat.import_problem(tree)
    if refused_import:
        raise SandboxViolation(refused_import)
    compile_ = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compile_(source, "<script>", policy=script_compat.CompatPolicy)
    if result.errors:
        raise SandboxViolation("; ".join(result.errors))
    return result.code


def check_source(source: str, mode: str = "exec") -> None:
    """Raise :class:`SandboxViolation` or ``SyntaxError`` if ``source`` cannot run here."""
    _compile(source, mode)


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow environment running code with RestrictedPython."""

    def __init__(self, helpers: Mapping[str, Any] | None = None) -> None:
        extra = dict(helpers or {})
        bad = [k for k in extra if k.startswith("_") or k in _SAFE_BUILTINS or k in _GUARDS]
        if bad:
            raise ValueError(f"helper names not allowed: {bad}")
        # Builtins of SpiffWorkflow's default engine beyond _SAFE_BUILTINS: after the safe ones so
        # they never replace them, and not reserved, so task data may shadow them (script_compat).
        builtins = {**script_compat.extra_builtins(_getattr, SandboxViolation), **_SAFE_BUILTINS,
                    "__import__": script_compat.guarded_import(script_compat.importable(_ClockDate, _ClockDatetime))}
        env_globals = {"__builtins__": builtins, **_GUARDS, **HELPERS, **extra}
        super().__init__(env_globals)

    @property
    def reserved(self) -> frozenset[str]:
        return frozenset(self.globals) | RESERVED_NAMES

    def _check_data(self, context: Mapping[str, Any]) -> None:
        reserved = self.reserved
        clash = sorted(str(k) for k in context if k in reserved or str(k).startswith("_"))
        if clash:
            raise SandboxViolation(f"task data shadows sandbox names: {', '.join(clash)}")

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        self._check_data(context)
        code = _compile(expression, "eval")
        scope = dict(context)
        if external_context:
            scope.update(external_context)
        scope.update(self.globals)
        with script_limits.script_run() as budget:
            scope[TICK] = budget.tick
            return eval(code, scope)  # noqa: S307 - restricted bytecode, guarded globals

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        self._check_data(context)
        code = _compile(script, "exec")
        scope = dict(context)
        if external_context:
            scope.update(external_context)
        scope.update(self.globals)
        with script_limits.script_run() as budget:
            scope[TICK] = budget.tick
            exec(code, scope)  # noqa: S102 - restricted bytecode, guarded globals
        rebound = sorted(k for k in scope if k in _SAFE_BUILTINS or (
            k in self.globals and scope[k] is not self.globals[k] and not _is_module(scope[k])))  # import datetime
        if rebound:
            raise SandboxViolation(f"the script assigns reserved name(s): {', '.join(rebound)}; rename them")
        skip = set(self.globals) | set(external_context or ())
        context.clear()
        context.update(
            (k, v) for k, v in scope.items()
            if k not in skip and not k.startswith("_") and not callable(v) and not _is_module(v)
        )
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise SandboxViolation("service tasks are not supported by this engine")


def _is_module(value: Any) -> bool:
    return type(value).__name__ == "module"


def make_script_engine(helpers: Mapping[str, Callable[..., Any]] | None = None) -> PythonScriptEngine:
    """A SpiffWorkflow script engine bound to the restricted environment."""
    return PythonScriptEngine(environment=RestrictedEnvironment(helpers))


def check_data_keys(data: Any, field_name: str = "data") -> dict[str, Any]:
    """Free-form data lands in the script namespace: keys must be plain, public identifiers, or
    dotted ones (``person.name``, as Camunda form field ids are written), which SpiffWorkflow keeps
    as one flat key; code cannot name such a key, so it shadows nothing."""
    if not isinstance(data, dict):
        raise Invalid("data must be a JSON object", {field_name: ["must be a JSON object"]})
    bad = {}
    for key in data:
        if not isinstance(key, str) or not all(
                part.isidentifier() and not keyword.iskeyword(part) for part in key.split(".")):
            bad[str(key)] = ["not a valid identifier"]
        elif key.startswith("_") or "._" in key:
            bad[key] = ["must not start with '_'"]
        elif key in RESERVED_NAMES:
            bad[key] = ["is a reserved name in the script sandbox"]
    if bad:
        raise Invalid("invalid data keys", {field_name: bad})
    return dict(data)
