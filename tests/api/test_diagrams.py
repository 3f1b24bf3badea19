"""``GET /processes/{key}/diagram.svg`` and ``GET /cases/{id}/diagram.svg``: who may see which picture."""
from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree

from tests.api.support import API, bpmn, deployed, error_of, start
from tests.helpers import complete, ready_task, start_training

SVG = "http://www.w3.org/2000/svg"


def marked(response) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """element id -> the classes of its group, from an SVG answer."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "image/svg+xml"
    root = etree.fromstring(response.get_data())
    assert root.tag == f"{{{SVG}}}svg" and root.get("role") == "img"
    return {g.get("data-element-id"): set(g.get("class").split())
            for g in root.iter(f"{{{SVG}}}g") if g.get("data-element-id")}


# ------------------------------------------------------------------ process diagrams
def test_any_signed_in_user_sees_a_process_diagram(auth):
    response = auth.as_("nobody").get(f"{API}/processes/training_nomination/diagram.svg")
    drawn = marked(response)
    assert {"StartEvent_1", "mentor_assessment", "unit_head_approval", "Gateway_decision", "Flow_1"} <= set(drawn)
    assert "bpmn-userTask" in drawn["mentor_assessment"]
    assert not any({"completed", "active", "overdue"} & classes for classes in drawn.values())
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "Cử nhân tài tham gia lớp đào tạo chuyên biệt" in response.get_data(as_text=True)  # UTF-8 text


def test_an_unchanged_diagram_is_not_sent_again(auth):
    first = auth.as_("hr").get(f"{API}/processes/training_nomination/diagram.svg")
    assert first.status_code == 200 and first.headers["ETag"]
    again = auth.as_("hr").get(f"{API}/processes/training_nomination/diagram.svg",
                               headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()


def test_a_version_is_drawn_as_it_was_deployed(auth):
    content = bpmn("plain_two_lanes.bpmn")
    deployed(auth, "plain_two_lanes.bpmn", content)
    deployed(auth, "plain_two_lanes.bpmn", content.replace(b'name="Approve the request"',
                                                           b'name="Approve or refuse"'))
    as_hr = auth.as_("hr")
    first = as_hr.get(f"{API}/processes/leave_request/diagram.svg?version=1").get_data(as_text=True)
    latest = as_hr.get(f"{API}/processes/leave_request/diagram.svg").get_data(as_text=True)
    assert "Approve the request" in first and "Approve or refuse" not in first
    assert "Approve or refuse" in latest
    error_of(as_hr.get(f"{API}/processes/leave_request/diagram.svg?version=3"), 404, "not_found")
    error_of(as_hr.get(f"{API}/processes/leave_request/diagram.svg?version=abc"), 422, "validation_error")
    error_of(as_hr.get(f"{API}/processes/leave_request/diagram.svg?version=0"), 422, "validation_error")


def test_an_outline_without_names_for_thumbnails(auth):
    bare = auth.as_("hr").get(f"{API}/processes/training_nomination/diagram.svg?labels=false")
    assert set(marked(bare)) >= {"mentor_assessment"}
    assert "Nhận xét của người hướng dẫn</tspan>" not in bare.get_data(as_text=True)


def test_unknown_processes_are_not_found(auth):
    error_of(auth.as_("hr").get(f"{API}/processes/no_such_process/diagram.svg"), 404, "not_found")


def test_a_process_drawn_without_diagram_interchange_is_422_saying_so(auth):
    deployed(auth, "document_review.bpmn")
    error = error_of(auth.as_("hr").get(f"{API}/processes/document_review/diagram.svg"), 422, "no_diagram")
    assert "BPMNDI" in error["message"]


@pytest.mark.parametrize("path", ["/processes/training_nomination/diagram.svg", "/cases/1/diagram.svg"])
def test_diagrams_need_a_token(client, path):
    error_of(client.get(f"{API}{path}"), 401, "unauthorized")


# ------------------------------------------------------------------ case diagrams
def test_the_case_diagram_marks_what_is_done_and_what_waits(auth):
    case = start_training(auth)
    drawn = marked(auth.as_("head_khcn").get(f"{API}/cases/{case['id']}/diagram.svg"))
    assert "completed" in drawn["StartEvent_1"] and "completed" in drawn["Flow_1"]
    assert "active" in drawn["mentor_assessment"] and "overdue" not in drawn["mentor_assessment"]
    assert not {"completed", "active"} & drawn["unit_head_approval"]

    complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"],
             {"recommendation": "support", "mentor_comment": "Rất phù hợp"})
    drawn = marked(auth.as_("expert1").get(f"{API}/cases/{case['id']}/diagram.svg"))
    assert "completed" in drawn["mentor_assessment"] and "active" not in drawn["mentor_assessment"]
    assert "active" in drawn["unit_head_approval"] and "completed" in drawn["Flow_2"]


def test_only_those_who_may_read_the_case_see_its_diagram(auth):
    case = start_training(auth)
    error_of(auth.as_("nobody").get(f"{API}/cases/{case['id']}/diagram.svg"), 404, "not_found")
    error_of(auth.as_("head_gddt").get(f"{API}/cases/{case['id']}/diagram.svg"), 404, "not_found")
    error_of(auth.as_("auditor").get(f"{API}/cases/999999/diagram.svg"), 404, "not_found")
    assert "active" in marked(auth.as_("auditor").get(f"{API}/cases/{case['id']}/diagram.svg"))["mentor_assessment"]


def test_a_late_task_is_marked_overdue_once_its_due_time_has_passed(auth, manual_clock):
    deployed(auth, "reminders.bpmn")
    case = start(auth, "hr", "reminders")
    url = f"{API}/cases/{case['id']}/diagram.svg"
    assert "overdue" not in marked(auth.as_("hr").get(url))["review"]
    manual_clock.advance(timedelta(hours=3, seconds=1))
    drawn = marked(auth.as_("hr").get(url))
    assert {"active", "overdue"} <= drawn["review"]
    assert "Review the dossier (in progress, overdue)" in auth.as_("hr").get(url).get_data(as_text=True)


def test_the_case_diagram_after_an_earlier_event_is_replayed(auth):
    case = start_training(auth)
    complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"],
             {"recommendation": "support", "mentor_comment": "Rất phù hợp"})
    url = f"{API}/cases/{case['id']}/diagram.svg"
    then = marked(auth.as_("auditor").get(f"{url}?at=1"))
    assert "active" in then["mentor_assessment"] and "completed" in then["StartEvent_1"]
    now = marked(auth.as_("auditor").get(url))
    assert "completed" in now["mentor_assessment"] and "active" in now["unit_head_approval"]
    error_of(auth.as_("auditor").get(f"{url}?at=999"), 422)
    error_of(auth.as_("auditor").get(f"{url}?at=0"), 422, "validation_error")
    error_of(auth.as_("nobody").get(f"{url}?at=1"), 404, "not_found")


def test_a_case_of_a_process_without_diagram_is_422(auth):
    deployed(auth, "document_review.bpmn")
    case = start(auth, "head_qlkh", "document_review", {"title": "Quy chế"})
    error_of(auth.as_("head_qlkh").get(f"{API}/cases/{case['id']}/diagram.svg"), 422, "no_diagram")


def test_the_openapi_document_lists_the_diagrams_as_svg(auth):
    paths = auth.as_("hr").get(f"{API}/openapi.json").get_json()["paths"]
    for path in ("/api/v1/processes/{key}/diagram.svg", "/api/v1/cases/{case_id}/diagram.svg"):
        assert "image/svg+xml" in paths[path]["get"]["responses"]["200"]["content"]
