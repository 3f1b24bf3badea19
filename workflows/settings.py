"""The programme's settings: the rule values a city may change without code.

A process module declares each value it lets the city set (a deadline in working days, the
allowance rate) with :func:`declare`, next to the rule it belongs to, with its default and its
bounds. ``TALENTFLOW_RULES_FILE`` names an optional TOML file that changes some of them::

    [leadership_exam]
    declare_conflict_working_days = 5

    [talent_nomination]
    allowance_percent = 150

Why a file checked at start-up: a misspelt name or a deadline of -3 days must stop the server and
every CLI command with a message naming the line's key, not surface weeks later as a case that
cannot start. Why a process records the values in the case when it starts (``exam_rules``,
``allowance_percent``): a change of setting never alters a running case, and replaying a case's
history gives the same deadlines whatever the settings are today.

The values are process-wide, as the business calendar is: :func:`configure` installs them (the
wiring, :func:`workflows.build_services`, calls it), :func:`value` reads them.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping


class RulesFileError(ValueError):
    """The rules file cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class Setting:
    """One value the city may set: its default, its bounds and what it means (for the README)."""

    process_key: str
    name: str
    default: int
    minimum: int
    maximum: int
    meaning: str


#: Every declared setting, by (process key, name).
DECLARED: dict[tuple[str, str], Setting] = {}
#: The values set by the installed rules file (a name missing here has its default).
_values: dict[tuple[str, str], int] = {}


def declare(process_key: str, name: str, default: int, meaning: str, *, minimum: int = 1,
            maximum: int = 365) -> int:
    """Declare a setting of ``process_key`` and return its default (for the module's constant)."""
    if not minimum <= default <= maximum:
        raise ValueError(f"{process_key}.{name}: default {default} outside {minimum}..{maximum}")
    DECLARED[(process_key, name)] = Setting(process_key, name, default, minimum, maximum, meaning)
    return default


def value(process_key: str, name: str) -> int:
    """The value in force for a new case: the rules file's, else the declared default."""
    setting = DECLARED[(process_key, name)]
    return _values.get((process_key, name), setting.default)


def values(process_key: str) -> dict[str, int]:
    """Every setting of ``process_key`` with the value in force, by name."""
    return {name: value(key, name) for key, name in DECLARED if key == process_key}


def parse(config: Mapping[str, Any]) -> dict[tuple[str, str], int]:
    """A rules file's tables -> the values it sets; every problem named by its ``table.key``."""
    chosen: dict[tuple[str, str], int] = {}
    for process_key, table in config.items():
        if not isinstance(table, dict):
            raise RulesFileError(f"{process_key}: expected a table [{process_key}] of settings")
        for name, raw in table.items():
            setting = DECLARED.get((process_key, name))
            if setting is None:
                known = sorted(n for k, n in DECLARED if k == process_key)
                hint = f"; settings of {process_key}: {', '.join(known)}" if known else \
                    f"; processes with settings: {', '.join(sorted({k for k, _ in DECLARED}))}"
                raise RulesFileError(f"{process_key}.{name}: no such setting{hint}")
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise RulesFileError(f"{process_key}.{name}: {raw!r} is not a whole number")
            if not setting.minimum <= raw <= setting.maximum:
                raise RulesFileError(f"{process_key}.{name}: {raw} is outside "
                                     f"{setting.minimum}..{setting.maximum}")
            chosen[(process_key, name)] = raw
    return chosen


def load_file(path: str | Path) -> dict[tuple[str, str], int]:
    try:
        with open(path, "rb") as source:
            config = tomllib.load(source)
    except OSError as err:
        raise RulesFileError(f"cannot read {path}: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise RulesFileError(f"{path} is not valid TOML: {err}") from None
    return parse(config)


def configure(path: str | Path | None) -> dict[tuple[str, str], int]:
    """Install the values of ``path`` (none: every default); a bad file raises before any change."""
    chosen = load_file(path) if path else {}
    use(chosen)
    return chosen


def use(chosen: Mapping[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """Install ``chosen`` values (tests set one directly); returns the previous ones."""
    global _values
    previous, _values = _values, dict(chosen)
    return previous
