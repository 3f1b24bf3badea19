"""What scripts written for SpiffWorkflow's default engine use, offered safely in the sandbox.

Files from other projects are written for the library's default engine, which ``exec``s with
all of Python: their scripts call builtins our allow-list lacked (``next``, ``chr``, ``pow``,
``getattr``...), catch ``IndexError``, format strings with ``str.format``, write
``counts[key] += 1`` and begin with ``import datetime``. The sandbox refused each of them, so a
file raw SpiffWorkflow runs to the end was refused or failed into an incident. This module
widens the sandbox with safe equivalents only:

- :data:`EXTRA_BUILTINS`: pure functions and exception classes; ``getattr``/``hasattr`` go
  through the guarded attribute access (no ``_`` names); ``type`` stays out (a class in hand is
  the first step of every escape). They sit in ``__builtins__`` only, so a script may assign
  them, as in Python and in SpiffWorkflow; a user's data keys may not take them
  (``check_data_keys``: a user's ``next`` would break every later script, and every retry).
  ``pow``, ``format``, ``repr`` and ``range`` are the bounded ones of :mod:`script_limits`.
- :func:`safe_format`: ``str.format``/``format_map`` whose fields may not reach a ``_`` name.
- :class:`CompatPolicy`: ``target[key] op= value`` becomes
  ``_augitem_(op, target, key, lambda: value)``: evaluated in Python's order, through the guards.
- :func:`guarded_import`: ``import`` of :data:`IMPORTABLE` modules only, each a curated module
  of its public, harmless names (a real module hands out its own imports: ``json.codecs.open``,
  ``datetime.sys.modules``); ``datetime`` reads the service clock, ``re`` has a timeout
  (:mod:`script_regex`), ``math`` bounds ``factorial``. Anything else is refused at deployment
  with the modules allowed.
"""
from __future__ import annotations

import _string  # the parser str.format itself uses for "{0.name[key]}"
import ast
import copy
import json
import string
import types
from datetime import time, timedelta, timezone
from typing import Any, Callable

from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.transformer import IOPERATOR_TO_STR, copy_locations

from engine.definitions import script_limits, script_regex
from engine.definitions.script_budget import LimitingTransformer


def _module(name: str, **members: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in members.items():
        setattr(module, key, value)
    return module


def importable(clock_date: type, clock_datetime: type) -> dict[str, types.ModuleType]:
    """The modules a script may import, by name (``datetime`` with the clock's classes)."""
    return {
        "datetime": _module("datetime", date=clock_date, datetime=clock_datetime, timedelta=timedelta,
                            timezone=timezone, time=time, MINYEAR=1, MAXYEAR=9999),
        "math": script_limits.MATH,  # functions and constants, factorial/comb/perm bounded
        "json": _module("json", dumps=json.dumps, loads=json.loads, JSONDecodeError=json.JSONDecodeError),
        "re": script_regex.module(),  # with a timeout: a backtracking pattern must not hold the worker
    }


IMPORTABLE = ("datetime", "json", "math", "re")


def import_problem(tree: ast.AST) -> str | None:
    """Why the imports of ``tree`` cannot run here, or None."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else ["." * node.level + (node.module or "")]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] not in IMPORTABLE or "." in name:
                return (f"line {node.lineno}: import of '{name}' is not allowed "
                        f"(scripts may import {', '.join(IMPORTABLE)})")
    return None


def guarded_import(modules: dict[str, types.ModuleType]) -> Callable[..., Any]:
    def __import__(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if level != 0 or name not in modules:
            raise ImportError(f"import of '{name}' is not allowed (scripts may import {', '.join(IMPORTABLE)})")
        return modules[name]
    return __import__


class _GuardedFormatter(string.Formatter):
    """``str.format`` whose fields reach attributes and items only through the sandbox's guards."""

    def __init__(self, getattr_: Callable[..., Any]) -> None:
        self._getattr = getattr_

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        first, rest = _field_name_split(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attr, key in rest:
            obj = self._getattr(obj, key) if is_attr else default_guarded_getitem(obj, key)
        return obj, first

    def convert_field(self, value: Any, conversion: Any) -> Any:
        return script_limits.safe_repr(value) if conversion == "r" else super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        return script_limits.safe_format(value, format_spec)  # width checked, no memory address


def _field_name_split(field_name: str) -> Any:
    first, rest = _string.formatter_field_name_split(field_name)
    return first, list(rest)


def safe_format(template: str, getattr_: Callable[..., Any], name: str) -> Callable[..., str]:
    formatter = _GuardedFormatter(getattr_)
    if name == "format_map":
        return lambda mapping: formatter.vformat(template, (), mapping)
    return lambda *args, **kwargs: formatter.vformat(template, args, kwargs)


def extra_builtins(getattr_: Callable[..., Any], violation: type[Exception]) -> dict[str, Any]:
    """Builtins of the default engine that are safe here (see the module's docstring); a ``_``
    name given to ``getattr``/``hasattr`` raises ``violation``, as it does written as an attribute."""
    missing = object()

    def checked(name: str) -> str:
        if not isinstance(name, str) or name.startswith("_"):
            raise violation(f"attribute {name!r} is not allowed")
        return name

    def getattr_builtin(obj: Any, name: str, default: Any = missing) -> Any:
        name = checked(name)
        return getattr_(obj, name) if default is missing else getattr_(obj, name, default)

    def hasattr_builtin(obj: Any, name: str) -> bool:
        try:
            getattr_(obj, checked(name))
        except AttributeError:
            return False
        return True

    plain = {name: getattr(__import__("builtins"), name) for name in (
        "ascii", "bin", "callable", "chr", "format", "hex", "iter", "next", "oct", "ord", "pow", "slice",
        "AssertionError", "AttributeError", "IndexError", "LookupError", "NameError", "NotImplementedError",
        "OverflowError", "RuntimeError", "StopIteration", "UnicodeError", "ZeroDivisionError")}
    return {**plain, **script_limits.BOUNDED_BUILTINS, "getattr": getattr_builtin, "hasattr": hasattr_builtin}


#: Names of the nodes the rewrite adds, impossible in source (a digit first): a script can neither
#: write nor rebind them; renamed to the guards' names once RestrictedPython has checked the code.
_MARKS = {"0augitem": "_augitem_", "0slice": "_slice_"}
_SIDE_EFFECTS = (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)


def augmented_item(inplace: Callable[[str, Any, Any], Any], write_guard: Callable[[Any], Any]) -> Callable[..., None]:
    """``obj[key] op= value()`` in Python's order: ``obj`` and ``key`` first, then the item read,
    then ``value``; the item read and write through the sandbox's guards."""
    def _augitem_(op: str, obj: Any, key: Any, value: Callable[[], Any]) -> None:
        current = default_guarded_getitem(obj, key)
        write_guard(obj)[key] = inplace(op, current, value())
    return _augitem_


class CompatPolicy(LimitingTransformer):
    """RestrictedPython's rules and the script limits, plus augmented assignment of items
    (``d[k] += 1``): ``_augitem_(op, d, k, lambda: 1)``, so ``d`` and ``k`` are evaluated once and
    before the value, as Python does."""

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        target = node.target
        if not isinstance(target, ast.Subscript) or any(isinstance(n, _SIDE_EFFECTS) for n in ast.walk(node.value)):
            return super().visit_AugAssign(node)
        key: ast.expr = copy.deepcopy(target.slice)
        if isinstance(key, ast.Slice):
            key = ast.Call(func=ast.Name("0slice", ast.Load()), keywords=[], args=[
                part if part is not None else ast.Constant(None) for part in (key.lower, key.upper, key.step)])
        thunk = ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
                           body=node.value)
        statement = ast.Expr(ast.Call(func=ast.Name("0augitem", ast.Load()), keywords=[], args=[
            ast.Constant(IOPERATOR_TO_STR[type(node.op)]), copy.deepcopy(target.value), key, thunk]))
        copy_locations(statement, node)
        ast.fix_missing_locations(statement)
        statement = self.visit(statement)  # guards the parts like any other code
        for name in ast.walk(statement):
            if isinstance(name, ast.Name) and name.id in _MARKS:
                name.id = _MARKS[name.id]
        return statement
