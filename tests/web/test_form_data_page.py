"""A file's own ``camunda:formData`` is drawn as a task page like a ``forms/`` schema.

The page is built from the JSON Schema the API publishes (``workflows.form_schema``), so the
generated form gets the same inputs, labels and checks as a hand-written one.
"""
from __future__ import annotations

from typing import Any

from tests.api.conformance import deploy_file
from tests.api.support import get_case, start
from tests.web.support import signed_in, unlabelled_controls


def test_the_form_data_task_page_shows_the_files_fields_and_checks_them(app: Any, auth: Any) -> None:
    deploy_file(auth, "form_data.bpmn")
    case = start(auth, "hr", "form_data_demo")
    task_id = case["tasks"][0]["id"]
    hr = signed_in(app, "hr")
    html = hr.get(f"/tasks/{task_id}")
    assert unlabelled_controls(html) == []
    for name in ("full_name", "age", "code", "agree", "since", "level"):
        assert f'name="{name}"' in html, name
    assert "Full name" in html and "Senior" in html

    refused = hr.post(f"/tasks/{task_id}", {"full_name": "X", "age": "12", "code": "ABC", "level": "junior"},
                      status=422)
    assert 'name="full_name"' in refused.get_data(as_text=True)
    assert get_case(auth, "hr", case["id"])["status"] == "running"

    hr.post(f"/tasks/{task_id}", {"full_name": "Lan Anh", "age": "30", "code": "ABC", "level": "senior",
                                  "since": "2024-05-01", "agree": "on"}, status=302)
    data = get_case(auth, "hr", case["id"])["data"]
    assert (data["full_name"], data["age"], data["level"], data["agree"]) == ("Lan Anh", 30, "senior", True)
