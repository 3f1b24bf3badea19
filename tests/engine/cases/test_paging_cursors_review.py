"""Cursors (engine/cases/paging.py): only what :func:`paging.encode` makes is taken back."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from engine.cases import paging
from engine.errors import Invalid

TASK = (datetime, datetime, str)
AT = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


def _raw(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_task_cursor_round_trips_with_and_without_a_due_date():
    for due in (AT, None):
        assert paging.decode(paging.encode([due, AT, "4365c21c-8fdf-4b4e-8456-e44fa2b11bd8"]), TASK) == \
            [due, AT, "4365c21c-8fdf-4b4e-8456-e44fa2b11bd8"]


@pytest.mark.parametrize("value", [[None, None, "a"], [AT.isoformat(), None, "a"], [None, None, None]])
def test_only_the_due_date_may_be_missing_from_a_task_cursor(value):
    with pytest.raises(Invalid) as caught:
        paging.decode(_raw(value), TASK)
    assert caught.value.details == {"after": ["not a cursor of this list (use the next value of a page)"]}
