"""Two substitutions set at the same moment cannot both slip past the overlap checks.

``set_substitute`` locks both users' rows before it checks for overlapping days, a substitute away
or an absent person standing in. On PostgreSQL two transactions really run side by side: each
thread is held at a barrier until both have passed the permission check, then they race to the
checks. SQLite's write lock already runs them one after the other, so there they simply follow
each other — the outcome must be the same on both: exactly one substitution recorded.
"""
from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from engine.people import substitutes as subs
from engine.people.actors import actor_for
from engine.people.directory import get_user
from engine.store.models import Substitute
from workflows.people import substitute_rules


def race(store: Any, monkeypatch: Any, pairs: list[tuple[str, str]]) -> tuple[list[str], list[Any]]:
    concurrent = store.engine.dialect.name != "sqlite"
    barrier = threading.Barrier(len(pairs) if concurrent else 1, timeout=60)
    checked = subs.may_manage

    def checked_then_held(*args: Any, **kwargs: Any) -> bool:
        allowed = checked(*args, **kwargs)
        barrier.wait()
        return allowed

    monkeypatch.setattr(subs, "may_manage", checked_then_held)
    results = [""] * len(pairs)

    def set_one(i: int, absent: str, substitute: str) -> None:
        try:
            with store.transaction() as session:
                by = actor_for(session, get_user(session, "admin"))
                subs.set_substitute(session, by, get_user(session, absent), get_user(session, substitute),
                                    date(2026, 3, 2), date(2026, 3, 6), substitute_rules(), "Nghỉ phép")
            results[i] = "set"
        except Exception as err:  # noqa: BLE001 - the refusal's code is what the test reads
            results[i] = getattr(err, "code", type(err).__name__)

    threads = [threading.Thread(target=set_one, args=(i, a, s)) for i, (a, s) in enumerate(pairs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with store.read() as session:
        rows = session.execute(select(Substitute.absent_user_id, Substitute.substitute_user_id)).all()
    return results, rows


@pytest.mark.parametrize("pairs, refusal", [
    ([("head_khcn", "expert1"), ("head_khcn", "expert2")], "substitute_overlaps"),  # the same absence twice
    ([("head_khcn", "expert1"), ("expert1", "expert2")], {"substitute_away", "absent_stands_in"}),  # a chain
    ([("head_khcn", "expert1"), ("expert2", "head_khcn")], {"substitute_away", "absent_stands_in"}),
])
def test_two_substitutions_at_the_same_moment_record_exactly_one(store, monkeypatch, manual_clock, pairs, refusal):
    results, rows = race(store, monkeypatch, pairs)
    assert len(rows) == 1, (results, rows)
    assert results.count("set") == 1, results
    [refused] = [r for r in results if r != "set"]
    assert refused in ({refusal} if isinstance(refusal, str) else refusal), results
