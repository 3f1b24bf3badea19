"""The demo loads cases of all three programme processes, whatever the date."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from engine.store.models import Case
from workflows.demo import load_demo


@pytest.mark.parametrize("when", [datetime(2026, 11, 25, 3, tzinfo=timezone.utc),   # review season
                                  datetime(2027, 3, 10, 3, tzinfo=timezone.utc)])   # out of season
def test_the_demo_has_every_process_at_an_interesting_point(store, service, manual_clock, when):
    manual_clock.set(when)
    created = load_demo(store, service)
    assert created["cases"] == 6
    with store.read() as session:
        cases = {(c.process_key, c.status) for c in session.scalars(select(Case))}
    assert {("talent_nomination", "running"), ("talent_nomination", "recognised"),
            ("leadership_exam", "running"), ("annual_talent_review", "running"),
            ("training_nomination", "running")} <= cases
    assert load_demo(store, service)["cases"] == 0  # a second run changes nothing
