"""What the pages call things: a task by what it is about, a case's data by its labels, people by name.

hr, a council member or a unit head holds tasks of many cases at once: "#10" tells them nothing, the
post or the person does. A case's data is read by people, not programmers: the form's labels and
choices, and display names, never keys, codes and usernames.
"""
from __future__ import annotations

from tests.helpers import start_training
from tests.web.support import signed_in, text_of
from tests.workflows.exam_support import close_registration, start_exam
from tests.workflows.test_talent_nomination import nominate


def test_an_exam_task_in_the_worklist_names_the_post_and_its_unit(app, auth, service, manual_clock):
    case_id = start_exam(auth, post="Trưởng phòng Quản lý khoa học")["id"]
    close_registration(auth, service, manual_clock)
    html = signed_in(app, "hr").get("/")
    row = html[html.index(f"#{case_id}") - 600:html.index(f"#{case_id}")]
    assert "Sơ tuyển hồ sơ dự tuyển" in row and "Trưởng phòng Quản lý khoa học — SKHCN" in row


def test_a_nomination_task_names_the_nominee_and_a_training_task_the_talent(app, auth):
    case = nominate(auth)
    hr_tasks = auth.as_("hr").get(f"/api/v1/tasks?scope=available&case={case['id']}").get_json()["items"]
    assert [t["subject"] for t in hr_tasks] == ["Trần Thị Minh Anh"]
    html = signed_in(app, "hr").get("/")
    assert "Trần Thị Minh Anh" in html[html.index(f"#{case['id']}") - 600:html.index(f"#{case['id']}")]
    training = start_training(auth)
    mentor_tasks = auth.as_("expert1").get(f"/api/v1/tasks?scope=available&case={training['id']}").get_json()
    assert [t["subject"] for t in mentor_tasks["items"]] == [training["data"]["talent_name"]]
