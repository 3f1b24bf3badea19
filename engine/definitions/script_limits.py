"""Bounds on what one script run may cost: steps, big numbers, long strings, format widths.

A script in a deployed file runs inside a case's step, holding the case row (and, on SQLite, the
database's write lock). RestrictedPython stops escapes but not cost: ``while left > 0`` with a
user's ``per_day = 0`` never ends, ``10 ** n`` or ``'x' * n`` with a user's ``n`` takes all memory.
So every run gets a :class:`Budget`: the transformer (:mod:`engine.definitions.script_budget`) calls
its ``tick`` at the start of each loop turn, function call and comprehension item, and the
arithmetic a user's numbers can feed goes through the guards below. Counts, never time, so a
replay of the same history fails at the same step.

A violation is *sticky*: a script that catches it (``except Exception``) and goes on still fails
when the run ends, so the limit cannot be looped around.
"""
from __future__ import annotations

import math
import re
import types
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator

from engine import policy


class SandboxViolation(Exception):
    """Code tried something the sandbox does not allow (import, dunder, open, a limit...)."""


class Budget:
    """The steps one script run may still take, and the first limit it broke."""

    __slots__ = ("left", "violation")

    def __init__(self, steps: int) -> None:
        self.left = steps
        self.violation: str | None = None

    def tick(self) -> bool:
        """One step; True so that it can stand in a comprehension's ``if`` and a lambda's ``and``."""
        self.left -= 1
        if self.left < 0:
            refuse(f"the script took more than {policy.SCRIPT_STEP_LIMIT} steps (a loop that does not end?)")
        return True


_RUN: ContextVar[Budget | None] = ContextVar("script_run", default=None)


@contextmanager
def script_run() -> Iterator[Budget]:
    """The budget of one script run; a limit the run broke raises when it ends, even if caught."""
    budget = Budget(policy.SCRIPT_STEP_LIMIT)
    token = _RUN.set(budget)
    try:
        yield budget
    except SandboxViolation:
        raise
    except Exception as err:
        if budget.violation is not None:
            raise SandboxViolation(budget.violation) from err
        raise
    finally:
        _RUN.reset(token)
    if budget.violation is not None:
        raise SandboxViolation(budget.violation)


def refuse(message: str) -> None:
    """Raise :class:`SandboxViolation`, remembered by the current run (see the module's docstring)."""
    budget = _RUN.get()
    if budget is not None and budget.violation is None:
        budget.violation = message
    raise SandboxViolation(message)


_MAX_BITS = int(policy.SCRIPT_MAX_INT_DIGITS * math.log2(10)) + 1
_SEQUENCES = (str, bytes, list, tuple)


def _check_length(n: int) -> None:
    if n > policy.SCRIPT_MAX_LENGTH:
        refuse(f"the result would be longer than {policy.SCRIPT_MAX_LENGTH} items")


def _check_bits(bits: int) -> None:
    if bits > _MAX_BITS:
        refuse(f"the result would have more than {policy.SCRIPT_MAX_INT_DIGITS} digits")


def check_mul(a: Any, b: Any) -> None:
    """Refuse ``a * b`` when the repetition or the whole number would be past the limits."""
    if isinstance(a, int) and isinstance(b, int):
        _check_bits(a.bit_length() + b.bit_length())
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        _check_length(len(a) * b)
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        _check_length(len(b) * a)


def mul(a: Any, b: Any) -> Any:
    check_mul(a, b)
    return a * b


def check_power(base: Any, exp: Any, mod: Any = None) -> None:
    """The digits of ``base ** exp`` estimated from exp*log10(base), before computing it."""
    if mod is None and isinstance(base, int) and isinstance(exp, int) and exp > 0 and abs(base) > 1:
        if exp * math.log10(abs(base)) > policy.SCRIPT_MAX_INT_DIGITS:
            refuse(f"the result would have more than {policy.SCRIPT_MAX_INT_DIGITS} digits")


def power(base: Any, exp: Any, mod: Any = None) -> Any:
    """``base ** exp`` and ``pow``, checked first."""
    check_power(base, exp, mod)
    return pow(base, exp) if mod is None else pow(base, exp, mod)


def check_lshift(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        _check_bits(a.bit_length() + b)


def lshift(a: Any, b: Any) -> Any:
    check_lshift(a, b)
    return a << b


def check_add(a: Any, b: Any) -> None:
    """``a + b``: a string or list doubled in a loop grows past any memory in thirty turns."""
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _check_length(len(a) + len(b))


def add(a: Any, b: Any) -> Any:
    check_add(a, b)
    return a + b


def check_mod(a: Any, b: Any) -> None:
    """``a % b``: a ``%``-format's width (``'%1000000000d'``, ``'%*d'``) is a repetition too."""
    if isinstance(a, str):
        for width in _PERCENT_WIDTH.findall(a):
            check_spec(width)
        if "*" in a:
            for value in b if isinstance(b, tuple) else (b,):
                if isinstance(value, int) and abs(value) > policy.SCRIPT_MAX_LENGTH:
                    refuse(f"a format width past {policy.SCRIPT_MAX_LENGTH} is not allowed")


def mod(a: Any, b: Any) -> Any:
    check_mod(a, b)
    return a % b


#: The checks of the in-place operators (``x *= n``), by operator.
INPLACE_CHECKS = {"+=": check_add, "*=": check_mul, "**=": check_power, "<<=": check_lshift, "%=": check_mod}
#: The arithmetic the transformer routes through a guard, by operator: name in the script's globals.
BINOP_GUARDS = {"Mult": ("_mul_", mul), "Pow": ("_pow_", power), "LShift": ("_lshift_", lshift),
                "Add": ("_add_", add), "Mod": ("_mod_", mod)}

_NUMBER = re.compile(r"\d+")
_PERCENT_WIDTH = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d*(?:\.\d*)?)")


def check_spec(spec: str) -> None:
    """Refuse a format spec whose width or precision is past :data:`policy.SCRIPT_MAX_LENGTH`."""
    if any(len(n) > 12 or int(n) > policy.SCRIPT_MAX_LENGTH for n in _NUMBER.findall(spec)):
        refuse(f"a format width past {policy.SCRIPT_MAX_LENGTH} is not allowed")


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def without_address(value: Any, text: str) -> str:
    """``text`` (a repr or format of ``value``) without memory addresses (``<function f>``): they differ
    between runs, so a replay would write different case data."""
    return text if isinstance(value, str) else _ADDRESS.sub("", text)


def safe_repr(value: Any) -> str:
    return without_address(value, repr(value))


def safe_format(value: Any, spec: str = "") -> str:
    """``format`` with the width checked; called from here, a date's ``%Y`` finds its ``time`` module."""
    if not isinstance(spec, str):
        raise TypeError("format() argument 2 must be str")
    check_spec(spec)
    return without_address(value, format(value, spec))


def formatted_value(value: Any, conversion: int, spec: str) -> str:
    """An f-string's ``{value!r:spec}``: conversion, then :func:`safe_format`."""
    if conversion == ord("r"):
        value = safe_repr(value)
    elif conversion == ord("s"):
        value = str(value)
    elif conversion == ord("a"):
        value = ascii(value)
    return safe_format(value, spec)


def safe_range(*args: int) -> range:
    """``range`` no longer than a run's steps: ``sum(range(10**12))`` runs inside one builtin call."""
    value = range(*args)
    if len(value) > policy.SCRIPT_STEP_LIMIT:
        refuse(f"a range longer than {policy.SCRIPT_STEP_LIMIT} items is not allowed")
    return value


def _log10_factorial(n: int) -> float:
    return math.lgamma(n + 1) / math.log(10)


def _checked_count(n: Any, k: Any, digits: Any) -> None:
    if isinstance(n, int) and n >= 0 and (k is None or isinstance(k, int) and 0 <= k <= n):
        if digits() > policy.SCRIPT_MAX_INT_DIGITS:
            refuse(f"the result would have more than {policy.SCRIPT_MAX_INT_DIGITS} digits")


def _factorial(n: Any) -> int:
    _checked_count(n, None, lambda: _log10_factorial(n))
    return math.factorial(n)


def _comb(n: Any, k: Any) -> int:
    _checked_count(n, k, lambda: _log10_factorial(n) - _log10_factorial(k) - _log10_factorial(n - k))
    return math.comb(n, k)


def _perm(n: Any, k: Any = None) -> int:
    _checked_count(n, k, lambda: _log10_factorial(n) - _log10_factorial(n - (n if k is None else k)))
    return math.perm(n, k)


def _prod(iterable: Any, *, start: Any = 1) -> Any:
    """``math.prod`` by :func:`mul`: ``prod(range(1, 5_000_000))`` is one C call of hours otherwise."""
    result = start
    for item in iterable:
        result = mul(result, item)
    return result


def _lcm(*integers: Any) -> int:
    result = 1
    for value in integers:
        check_mul(result, value)
        result = math.lcm(result, value)
    return result


def curated_math() -> types.ModuleType:
    """``math`` with ``factorial``, ``comb``, ``perm``, ``prod`` and ``lcm`` bounded (a module of its own: the
    real one is shared by the whole process)."""
    module = types.ModuleType("math")
    for name in dir(math):
        if not name.startswith("_"):
            setattr(module, name, getattr(math, name))
    module.factorial, module.comb, module.perm, module.prod, module.lcm = _factorial, _comb, _perm, _prod, _lcm
    return module


MATH = curated_math()

#: Builtins replaced by their bounded versions (``pow``, ``format``, ``repr``, ``range``).
BOUNDED_BUILTINS = {"pow": power, "format": safe_format, "repr": safe_repr, "range": safe_range}
