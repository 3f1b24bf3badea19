"""What the pages call things: a task by what it is about, a case's data by its labels, people by name.

hr, a council member or a unit head holds tasks of many cases at once: "#10" tells them nothing, the
post or the person does. A case's data is read by people, not programmers: the form's labels and
choices, and display names, never keys, codes and usernames.
"""
from __future__ import annotations

from sqlalchemy import update

from engine.store.models import User
from tests.helpers import start_training
from tests.web.support import signed_in, text_of
from tests.workflows.exam_support import close_registration, start_exam
from tests.workflows.test_talent_nomination import nominate


def section(html: str, heading: str) -> str:
    """The page's section headed by ``heading`` (its id)."""
    start = html.rindex("<section", 0, html.index(f'id="{heading}"'))
    return html[start:html.index("</section>", start)]


def test_an_exam_task_in_the_worklist_names_the_post_and_its_unit(app, auth, service, manual_clock):
    case_id = start_exam(auth, post="Trưởng phòng Quản lý khoa học")["id"]
    close_registration(auth, service, manual_clock)
    html = signed_in(app, "hr").get("/")
    row = html[html.index(f"#{case_id}") - 600:html.index(f"#{case_id}")]
    assert "Sơ tuyển hồ sơ dự tuyển" in row and "Trưởng phòng Quản lý khoa học — SKHCN" in row
    timeline = text_of(section(signed_in(app, "hr").get(f"/cases/{case_id}"), "h-timeline"))
    assert "Hết hạn nhận hồ sơ" in timeline and "registration_closes" not in timeline  # the timer by its name
    assert "(role:" not in timeline and "Thành viên hội đồng" in timeline  # seats granted, by the role's words


def test_a_nomination_task_names_the_nominee_and_a_training_task_the_talent(app, auth):
    case = nominate(auth)
    hr_tasks = auth.as_("hr").get(f"/api/v1/tasks?scope=available&case={case['id']}").get_json()["items"]
    assert [t["subject"] for t in hr_tasks] == ["Trần Thị Minh Anh"]
    html = signed_in(app, "hr").get("/")
    assert "Trần Thị Minh Anh" in html[html.index(f"#{case['id']}") - 600:html.index(f"#{case['id']}")]
    training = start_training(auth)
    mentor_tasks = auth.as_("expert1").get(f"/api/v1/tasks?scope=available&case={training['id']}").get_json()
    assert [t["subject"] for t in mentor_tasks["items"]] == [training["data"]["talent_name"]]


def known_as(app, username: str, name: str) -> None:
    """``username`` has a display name (the test users are known by their sign-in names)."""
    with app.extensions["talentflow"].store.transaction() as db:
        db.execute(update(User).where(User.username == username).values(display_name=name))


def test_the_case_page_reads_a_dossier_by_its_labels_and_names_not_its_keys_and_codes(app, auth):
    known_as(app, "nominator", "Ủy ban MTTQ thành phố")
    case = nominate(auth)
    page = signed_in(app, "hr")
    html = page.get(f"/cases/{case['id']}")
    data = text_of(section(html, "h-data"))
    assert "Lĩnh vực ưu tiên Khoa học, công nghệ và đổi mới sáng tạo" in data  # the form's label and choice
    assert "Loại nhân tài Nhà khoa học trẻ tài năng" in data
    assert not {"priority_field", "science_technology", "young_scientist", "nominee_name"} & set(data.split())
    assert "Người tiến cử Ủy ban MTTQ thành phố" in data and "nominator" not in data.split()  # by name
    assert "Xếp loại thấp nhất các năm gần nhất có năm chưa được xếp loại" in data  # a rule's key: the policy's words
    assert not {"nominated_by", "lowest_recent_rating", "missing", "age_at_nomination"} & set(data.split())
    timeline = text_of(section(html, "h-timeline"))
    assert "Ủy ban MTTQ thành phố" in timeline and "nominator" not in timeline.split()
    assert "role:" not in timeline


def test_the_dossier_hr_verifies_reads_by_labels_on_the_task_page_too(app, auth):
    known_as(app, "nominator", "Ủy ban MTTQ thành phố")
    case = nominate(auth)
    task = auth.as_("hr").get(f"/api/v1/tasks?scope=available&case={case['id']}").get_json()["items"][0]
    html = signed_in(app, "hr").get(f"/tasks/{task['id']}")
    data = text_of(html[html.rindex("<details", 0, html.index('class="data-scroll"')):])
    assert "Lĩnh vực ưu tiên Khoa học, công nghệ và đổi mới sáng tạo" in data
    assert "Người tiến cử Ủy ban MTTQ thành phố" in data
    assert not {"science_technology", "young_scientist", "lowest_recent_rating", "nominator"} & set(data.split())
