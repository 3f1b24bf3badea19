"""A fourth process through the pages: its BPMN file, forms and one module, and nothing in api/ or engine/.

``talent_commendation`` (``tests/web/talent_commendation.py``) is registered
the way a module of ``workflows/`` registers itself, deployed as an admin
uploads a file, and then walked the way people use it: the unit head starts it
and writes the citation (pre-filled by the process's form hint), hr decides,
and the case page shows the process's own end state and panel.
"""
from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any, Iterator

import pytest

import workflows
from tests.conftest import DATA
from tests.web import talent_commendation as commendation
from tests.web.support import signed_in, text_of, unlabelled_controls

KEY = commendation.PROCESS_KEY
API = Path(workflows.__file__).resolve().parent.parent / "api"


@pytest.fixture
def deployed(app: Any, auth: Any) -> Iterator[None]:
    workflows.register(KEY, commendation.Policy(), catalogues=DATA / "talent_commendation_translations")
    try:
        bpmn = (DATA / "talent_commendation.bpmn").read_bytes()
        response = auth.as_("admin").post("/api/v1/processes", data={"file": (BytesIO(bpmn), f"{KEY}.bpmn")},
                                          content_type="multipart/form-data")
        assert response.status_code == 201, response.get_json()
        yield
    finally:
        workflows.unregister(KEY)


def _ready_task(auth: Any, user: str, case_id: int, element_id: str) -> dict[str, Any]:
    tasks = auth.as_(user).get(f"/api/v1/tasks?case={case_id}&scope=available").get_json()["items"] + \
        auth.as_(user).get(f"/api/v1/tasks?case={case_id}&scope=mine").get_json()["items"]
    found = [t for t in tasks if t["element_id"] == element_id]
    assert len(found) == 1, (user, element_id, [t["element_id"] for t in tasks])
    return found[0]


def test_a_fourth_process_is_started_worked_and_ended_through_the_pages(app: Any, auth: Any, deployed: None) -> None:
    head = signed_in(app, "head_khcn")
    assert f"/cases/new/{KEY}" in head.get("/cases/new")
    html = head.get(f"/cases/new/{KEY}")
    assert 'name="achievement"' in html and unlabelled_controls(html) == []
    response = head.post(f"/cases/new/{KEY}", {"business_key": "KT-2026-01", "talent_name": "Trần Thu Hà",
                                               "unit": "SKHCN", "achievement": "Giải nhất Olympic Tin học"},
                         status=302)
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])

    # the unit head finds the citation task in the worklist; its form starts from the proposal (a form hint)
    citation = _ready_task(auth, "head_khcn", case_id, "write_citation")
    worklist = head.get("/")
    assert f"/tasks/{citation['id']}" in worklist and "Viết lời khen" in worklist
    html = head.get(f"/tasks/{citation['id']}")
    assert unlabelled_controls(html) == []
    assert re.search(r'<textarea[^>]*name="citation"[^>]*>Trần Thu Hà: Giải nhất Olympic Tin học</textarea>', html)
    assert "Khen thưởng" in text_of(html)  # the process's panel beside the case data, in its own words
    response = head.post(f"/tasks/{citation['id']}", {"level": "medal", "citation": "Vì thành tích xuất sắc"},
                         status=302)
    assert response.headers["Location"] == f"/cases/{case_id}"
    assert auth.as_("hr").get(f"/api/v1/cases/{case_id}").get_json()["status"] == "running"  # hr decides next

    # hr decides from the shared list, as a browser posts the form
    hr = signed_in(app, "hr")
    decision = _ready_task(auth, "hr", case_id, "decide_commendation")
    assert f"/tasks/{decision['id']}" in hr.get("/").split('id="h-available"')[1]
    html = hr.get(f"/tasks/{decision['id']}")
    assert 'type="radio"' in html and "Khen thưởng" in html
    hr.post(f"/tasks/{decision['id']}", {"decision": "approve", "decision_no": "15/QĐ-SNV"}, status=302)

    # the case ends in the process's own state, with its own words
    assert auth.as_("hr").get(f"/api/v1/cases/{case_id}").get_json()["status"] == "commended"
    html = hr.get(f"/cases/{case_id}")
    assert re.search(r'<dd><span class="badge badge-ok">Được khen thưởng</span></dd>', html)  # the case's status
    assert f'href="/cases/{case_id}/commendation">Trang khen thưởng</a>' in html
    page = text_of(hr.get(f"/cases/{case_id}/commendation"))
    assert "Khen thưởng: Trần Thu Hà" in page and "Medal" in page
    hr.get(f"/cases/{case_id}/council", status=404)  # another process's page is no page of this one
    cases = hr.get("/cases?status=commended")
    assert '<option value="commended" selected>Được khen thưởng</option>' in cases and f"/cases/{case_id}" in cases

    # the words came from the catalogue the process brought: in English they are its English words
    hr.get("/lang/en?next=/", status=302)
    html = hr.get(f"/cases/{case_id}")
    assert re.search(r'<dd><span class="badge badge-ok">Commended</span></dd>', html)
    assert f'href="/cases/{case_id}/commendation">Commendation page</a>' in html


def test_a_page_name_no_process_declares_is_no_page_at_all(app: Any, deployed: None) -> None:
    """A case's own pages are the names processes declare (``case_pages``): any other name is "not
    found", not a sign-in redirect. (Werkzeug weighs the method before the name, so a POST there is
    "method not allowed" — it never was a page that took a form.)"""
    anonymous = app.test_client()
    assert anonymous.get("/cases/1/commendations").status_code == 404
    assert anonymous.post("/cases/1/whatever").status_code == 405
    assert anonymous.get("/cases/1/commendation").status_code == 302  # a declared page asks to sign in
    hr = signed_in(app, "hr")
    hr.get("/cases/1/whatever", status=404)


def test_no_page_module_or_template_names_a_process() -> None:
    """What a page knows of a process comes from its policy: api/ holds no process key."""
    keys = set(workflows.POLICIES)
    assert {"leadership_exam", "talent_nomination", "training_nomination"} <= keys
    named = {f"{path.relative_to(API)}: {key}" for path in API.rglob("*") if path.suffix in (".py", ".html", ".cfg")
             for key in keys if re.search(rf"\b{key}\b", path.read_text(encoding="utf-8"))}
    assert named == set()
