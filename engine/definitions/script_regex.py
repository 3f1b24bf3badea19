"""The ``re`` a script imports: the same functions, run with a timeout on a bounded text.

Python's ``re`` backtracks: a pattern such as ``^([a-z0-9]+[._-]?)*[a-z0-9]+@…$`` (the e-mail check
many examples carry) takes exponential time on text a user chooses, with the GIL held, so every
thread of the worker stops. The ``regex`` package speaks the same syntax (its version 0 is
``re``'s), takes a ``timeout`` and, with ``concurrent=True``, lets other threads run meanwhile. We
chose it over RE2 (linear time, no timeout needed) because RE2 refuses backreferences and
lookarounds, which scripts written for Python's ``re`` use. A timeout or a text past
:data:`engine.policy.REGEX_MAX_SUBJECT` is a :class:`SandboxViolation`: the case's incident.
"""
from __future__ import annotations

import types
from typing import Any, Callable

import regex

from engine import policy
from engine.definitions.script_limits import refuse


def _subject(text: Any) -> Any:
    if isinstance(text, (str, bytes)) and len(text) > policy.REGEX_MAX_SUBJECT:
        refuse(f"a regular expression may not run on a text longer than {policy.REGEX_MAX_SUBJECT} characters")
    return text


def _timed(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, timeout=policy.REGEX_TIMEOUT, concurrent=True, **kwargs)
    except TimeoutError:
        refuse(f"a regular expression took longer than {policy.REGEX_TIMEOUT:g} s on its text "
               "(a pattern that backtracks, such as (a+)+)")


def _raw(pattern: Any, flags: int = 0) -> Any:
    if isinstance(pattern, Pattern):
        if flags:
            raise ValueError("cannot process flags argument with a compiled pattern")
        return pattern._compiled
    return regex.compile(pattern, flags)


class Pattern:
    """A compiled pattern whose every search runs with the timeout (the raw one is never handed out)."""

    __slots__ = ("_compiled",)

    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled

    pattern = property(lambda self: self._compiled.pattern)
    flags = property(lambda self: self._compiled.flags)
    groups = property(lambda self: self._compiled.groups)
    groupindex = property(lambda self: dict(self._compiled.groupindex))

    def match(self, string: Any, *args: Any) -> Any:
        return _timed(self._compiled.match, _subject(string), *args)

    def fullmatch(self, string: Any, *args: Any) -> Any:
        return _timed(self._compiled.fullmatch, _subject(string), *args)

    def search(self, string: Any, *args: Any) -> Any:
        return _timed(self._compiled.search, _subject(string), *args)

    def sub(self, repl: Any, string: Any, count: int = 0) -> Any:
        return _timed(self._compiled.sub, repl, _subject(string), count)

    def subn(self, repl: Any, string: Any, count: int = 0) -> Any:
        return _timed(self._compiled.subn, repl, _subject(string), count)

    def split(self, string: Any, maxsplit: int = 0) -> Any:
        return _timed(self._compiled.split, _subject(string), maxsplit)

    def findall(self, string: Any, *args: Any) -> Any:
        return _timed(self._compiled.findall, _subject(string), *args)

    def finditer(self, string: Any, *args: Any) -> Any:
        # all matches at once: a lazy iterator would run outside the timeout's reach
        return iter(_timed(_list_matches, self._compiled, _subject(string), *args))

    def __repr__(self) -> str:
        return f"re.compile({self.pattern!r})"


def _list_matches(compiled: Any, string: Any, *args: Any, timeout: float, concurrent: bool) -> list[Any]:
    return list(compiled.finditer(string, *args, timeout=timeout, concurrent=concurrent))


def _compile(pattern: Any, flags: int = 0) -> Pattern:
    return pattern if isinstance(pattern, Pattern) and not flags else Pattern(_raw(pattern, flags))


def module() -> types.ModuleType:
    """A fresh curated ``re`` module (the functions scripts use, and the flags)."""
    m = types.ModuleType("re")
    m.compile = _compile
    m.escape = regex.escape
    m.error = regex.error
    m.match = lambda pattern, string, flags=0: _compile(pattern, flags).match(string)
    m.fullmatch = lambda pattern, string, flags=0: _compile(pattern, flags).fullmatch(string)
    m.search = lambda pattern, string, flags=0: _compile(pattern, flags).search(string)
    m.sub = lambda pattern, repl, string, count=0, flags=0: _compile(pattern, flags).sub(repl, string, count)
    m.subn = lambda pattern, repl, string, count=0, flags=0: _compile(pattern, flags).subn(repl, string, count)
    m.split = lambda pattern, string, maxsplit=0, flags=0: _compile(pattern, flags).split(string, maxsplit)
    m.findall = lambda pattern, string, flags=0: _compile(pattern, flags).findall(string)
    m.finditer = lambda pattern, string, flags=0: _compile(pattern, flags).finditer(string)
    for flag in ("IGNORECASE", "I", "MULTILINE", "M", "DOTALL", "S", "VERBOSE", "X", "ASCII", "A", "UNICODE", "U"):
        setattr(m, flag, getattr(regex, flag))
    return m


def is_raw_pattern_access(obj: Any, name: str) -> bool:
    """Whether ``obj.name`` would hand out a raw compiled pattern (``match.re``), which has no timeout."""
    return name == "re" and type(obj).__module__ in ("_regex", "regex")


def matches_in_time(pattern: Any, text: str) -> bool:
    """Whether ``text`` matches ``pattern`` (a compiled ``regex``) in full, for form fields; raises
    ``TimeoutError`` past :data:`engine.policy.REGEX_TIMEOUT` and ``ValueError`` for a text too long."""
    if len(text) > policy.REGEX_MAX_SUBJECT:
        raise ValueError("text too long")
    return pattern.fullmatch(text, timeout=policy.REGEX_TIMEOUT, concurrent=True) is not None
