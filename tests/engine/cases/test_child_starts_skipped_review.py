"""Review of int7's skip: a parent whose step on hearing its children fails, once they are skipped.

The skip's own transaction asks the parent for its children's message
(``Incidents._children_ended_meanwhile``), unguarded: a bug in the parent's ``children_finished``
(here a KeyError) escapes as a raw exception, the skip rolls back, the API answers 500, and the
admin can never skip — whereas the batches, meeting the same hook (``ChildBatches.tell_parent``),
keep their work and make it the parent's ``children_finished`` incident, for a retry once fixed.
"""
from __future__ import annotations

import pytest

from engine.cases.failures import CaseFailed
from tests.engine.cases.test_child_batches import planner  # noqa: F401 (a fixture)
from tests.engine.cases.test_child_batches_with_bugs import HearingWithABug, StartHookWithABug, incident_of
from tests.engine.cases.test_child_starts_skipped import REASON, skipped_rows
from tests.engine.time.timer_support import actor
from workflows import POLICIES


def test_a_skip_whose_parent_cannot_hear_its_children_is_kept_and_becomes_that_incident(
        store, service, planner, monkeypatch):  # noqa: F811
    planner("instant_child")
    monkeypatch.setitem(POLICIES, "instant_child", StartHookWithABug())  # child K-003 never starts
    monkeypatch.setitem(POLICIES, "fan_out", HearingWithABug("instant_child"))
    parent_id = service.start(actor(store, "hr"), "fan_out", {})
    assert incident_of(store, parent_id)[1]["command"] == {"type": "child_starts"}

    with pytest.raises(CaseFailed) as failed:  # answered as a retry whose step failed: 422 case_error
        service.skip_failed_children(actor(store, "admin"), parent_id, REASON)
    assert "missing_key" in str(failed.value)

    assert [key for key, _, _ in skipped_rows(store, parent_id)] == ["K-003"]
    status, incident = incident_of(store, parent_id)
    assert status == "error" and incident["command"] == {"type": "children_finished"}
