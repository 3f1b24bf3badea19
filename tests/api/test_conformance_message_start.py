"""A process that starts with a message start event, and link events, as SpiffWorkflow runs them.

A case of such a process is started through ``POST /cases`` like any other and waits, with no
task, at its start event until the message is delivered; the payload lands in the start event's
message variable. SpiffWorkflow 3.2 reads no link event definitions: a link throw event is a
plain event without an outgoing flow, so the process ends there, and the case ends with it
(``completed``, the link catch event's path never run), as the library's workflow does.
"""
from __future__ import annotations

from tests.api.conformance import deploy_file, drive, raw_result, raw_workflow, replays_consistent
from tests.api.conformance_events import complete_raw, deliver, deliver_raw
from tests.api.support import get_case, start


def test_a_message_start_event_waits_for_its_message_and_link_events_end_like_raw_spiffworkflow(auth):
    raw = raw_workflow("message_start.bpmn", "message_start")
    deliver_raw(raw, "application", {"name": "Ann"})
    complete_raw(raw, "file_it", {"filed": True})
    ended, raw_data = raw_result(raw)
    assert ended and raw_data == {"application": {"name": "Ann"}, "filed": True}

    deploy_file(auth, "message_start.bpmn")
    case = start(auth, "hr", "message_start")
    assert case["status"] == "running" and case["tasks"] == []
    deliver(auth, case["id"], "application", {"name": "Ann"})
    case = get_case(auth, "hr", case["id"])
    assert [t["element_id"] for t in case["tasks"]] == ["file_it"]
    case = drive(auth, case, {"file_it": {"filed": True}})

    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "completed" and shown["data"] == raw_data
    replays_consistent(auth, case["id"])
