"""Review of int7: the CLI's skip takes a reason the API refuses (longer than the API's 2 000 characters)."""
from __future__ import annotations

import pytest

from engine.store.models import ChildStart
from tests.api.test_cli import cli, count  # noqa: F401 (a fixture)
from tests.engine.cases.test_child_batches import planner  # noqa: F401 (a fixture)
from tests.engine.time.timer_support import actor


def test_the_cli_refuses_a_reason_the_api_refuses_and_skips_nothing(cli, store, service, planner,  # noqa: F811
                                                                   monkeypatch):
    from tests.engine.cases.test_child_batches_with_bugs import StartHookWithABug
    from workflows import POLICIES

    planner("instant_child")
    monkeypatch.setitem(POLICIES, "instant_child", StartHookWithABug())  # child K-003 never starts
    parent_id = service.start(actor(store, "hr"), "fan_out", {})

    result = cli("retry", parent_id, "--skip-failed-children", "x" * 2001)

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert count(store, ChildStart, ChildStart.skipped_at.is_not(None)) == 0
