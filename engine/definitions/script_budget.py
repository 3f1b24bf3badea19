"""The compile-time half of :mod:`engine.definitions.script_limits`: where the guards are called.

RestrictedPython's transformer already rewrites attribute and item access into guard calls; this
one adds, after it has checked the user's code (so our ``_`` names pass):

- ``_tick_()`` at the start of every ``for``/``while`` body and function body, in every lambda
  (``_tick_() and body``) and as a last ``if`` of every comprehension: one step each;
- ``a * b``, ``a ** b``, ``a << b``, ``a + b``, ``a % b`` become ``_mul_(a, b)`` … (checked before
  computing);
- an f-string's ``{value!r:spec}`` becomes ``{_fstr_(value, conversion, spec)}`` (width checked,
  no memory address, a date's ``%Y`` works).
"""
from __future__ import annotations

import ast
from typing import Any

from RestrictedPython import RestrictingNodeTransformer

from engine.definitions.script_limits import BINOP_GUARDS

TICK = "_tick_"
FSTR = "_fstr_"


def call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _located(new: Any, old: ast.AST) -> Any:
    ast.copy_location(new, old)
    return ast.fix_missing_locations(new)


class LimitingTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks, then the step budget and the arithmetic guards."""

    def _ticked(self, node: Any) -> Any:
        node.body.insert(0, _located(ast.Expr(call(TICK)), node))
        return node

    def visit_For(self, node: ast.For) -> Any:
        return self._ticked(super().visit_For(node))

    def visit_While(self, node: ast.While) -> Any:
        return self._ticked(super().visit_While(node))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        return self._ticked(super().visit_FunctionDef(node))

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = super().visit_Lambda(node)
        node.body = _located(ast.BoolOp(op=ast.And(), values=[call(TICK), node.body]), node.body)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> Any:
        node = super().visit_comprehension(node)
        node.ifs.append(_located(call(TICK), node.iter))
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = super().visit_BinOp(node)
        guard = BINOP_GUARDS.get(type(node.op).__name__) if isinstance(node, ast.BinOp) else None
        if guard is None:
            return node
        return _located(call(guard[0], node.left, node.right), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = super().visit_FormattedValue(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        value = _located(call(FSTR, node.value, ast.Constant(node.conversion), spec), node)
        return _located(ast.FormattedValue(value=value, conversion=-1, format_spec=None), node)
