"""A case ends when nothing is left to run, whether or not an end event was reached.

SpiffWorkflow sets ``workflow.completed`` only in an end event; a path that simply stops (no end
event drawn, a cancelled transaction) leaves it False although ``is_completed()`` is True. The
engine read the flag, so such a case stayed ``running`` for ever; now it asks the task tree.
"""
from __future__ import annotations

from tests.api.conformance import deploy_file, drive, raw_run
from tests.api.support import API, events, get_case, start

FILE = "ends_without_end_event.bpmn"


def test_a_case_whose_last_path_has_no_end_event_is_completed_like_raw_spiffworkflow(auth, store):
    ended, raw_data = raw_run(FILE, "ends_without_end_event", {"title": "x"}, {"do_it": {"answer": 42}})
    assert ended is True and raw_data["done"] is True

    deploy_file(auth, FILE)
    case = start(auth, "hr", "ends_without_end_event", {"title": "x"})
    assert case["status"] == "running" and [t["element_id"] for t in case["tasks"]] == ["do_it"]
    case = drive(auth, case, {"do_it": {"answer": 42}})

    assert case["status"] == "completed" and case["tasks"] == []
    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "completed" and shown["data"] == raw_data
    assert [e.type for e in events(store, case["id"], "case_completed")] == ["case_completed"]
    replayed = auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay").get_json()
    assert replayed["consistent"] is True, replayed
