"""An event sub-process changes no spec but its own case's, and survives another worker or a restart.

SpiffWorkflow connects an event sub-process into the process spec when an event starts it
(``BpmnStartTask.trigger_wf``). The spec of a version was shared by all its cases: the change
leaked into every later case, and a case whose next step met a spec restored without it (another
worker, a restart) went to ``error``. Now each workflow of such a process has its own copy, and
loading a stored case makes its copy say again what the started sub-processes changed.
"""
from __future__ import annotations

from typing import Any

import pytest

from tests.api.conformance import deploy_file, raw_run
from tests.api.support import API, get_case, start

FILE = "event_subprocess.bpmn"
ANSWERS = {"work": {"checked": True}}
START = {"amount": 2}  # an event sub-process sees the data the case started with


def step(auth: Any, case: dict[str, Any], element: str) -> dict[str, Any]:
    task = next(t for t in case["tasks"] if t["element_id"] == element)
    response = auth.as_("hr").post(f"{API}/tasks/{task['id']}/complete", json={"data": ANSWERS.get(element, {})})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def forget(service: Any) -> None:
    """What another worker, or this one after a restart, knows: nothing in memory."""
    service.workflows._items.clear()
    service.specs._items.clear()


@pytest.mark.parametrize("fresh_worker", [False, True], ids=["one worker", "caches cleared between steps"])
def test_two_cases_with_an_event_sub_process_end_as_raw_spiffworkflow(auth, service, fresh_worker):
    deploy_file(auth, FILE)
    first, second = start(auth, "hr", "event_subprocess", START), start(auth, "hr", "event_subprocess", START)
    order = {"first": ["work", "note_flag", "after"], "second": ["work", "after", "note_flag"]}
    cases = {"first": first, "second": second}
    for index in range(3):  # the two cases' steps interleaved
        for name in ("first", "second"):
            if fresh_worker:
                forget(service)
            cases[name] = step(auth, cases[name], order[name][index])
    for name, case in cases.items():
        ended, raw_data = raw_run(FILE, "event_subprocess", START, ANSWERS, order=order[name])
        assert ended and case["status"] == "completed" and case["tasks"] == []
        assert get_case(auth, "hr", case["id"])["data"] == raw_data


def test_the_shared_spec_of_a_version_is_not_changed_by_a_case(auth, service, store):
    version = deploy_file(auth, FILE)
    first = start(auth, "hr", "event_subprocess", START)
    with store.read() as session:
        shared = service.specs.get(session.connection(), version["id"]).spec
    outputs = [spec.name for spec in shared.start.outputs]

    first = step(auth, first, "work")  # the signal starts the event sub-process in this case
    assert {t["element_id"] for t in first["tasks"]} == {"note_flag", "after"}
    assert [spec.name for spec in shared.start.outputs] == outputs

    later = start(auth, "hr", "event_subprocess", START)  # started after: no sub-process until its own signal
    assert [t["element_id"] for t in later["tasks"]] == ["work"]
    assert {t["element_id"] for t in step(auth, later, "work")["tasks"]} == {"note_flag", "after"}
