"""Hostile text through the real pages: names, form values, process and unit names are shown, never run.

Diagrams and charts are inserted into the pages as markup (``Markup``), so
every text they draw must be escaped by their renderers; the rest of a page is
escaped by Jinja's autoescape. Each page here is read as a person would get it.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.people.directory import add_unit
from engine.store.models import Case, ProcessDefinition
from tests.conftest import proposal
from tests.helpers import ready_task, start_training
from tests.web.support import signed_in

SCRIPT = "<script>alert('tf')</script>"
IMG = '"><img src=x onerror=alert(1)>'


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html
    own = re.sub(r'<script src="/assets/diagram\.js" nonce="[\w-]+" defer></script>', "",
                 html.replace('<script src="/assets/step.js"></script>', ""))
    assert "<script" not in own  # only the pages' own scripts, from the site


def test_a_hostile_talent_name_business_key_and_comment_are_shown_as_text(app, auth):
    page = signed_in(app, "head_khcn")
    response = page.post("/cases/new/training_nomination", {
        **proposal(talent_name=SCRIPT, course=IMG), "business_key": IMG}, status=302)
    case_url = response.headers["Location"]
    html = page.get(case_url)
    assert_inert(html)
    assert "&lt;script&gt;alert(&#39;tf&#39;)&lt;/script&gt;" in html and "&lt;img src=x" in html
    assert_inert(page.get("/cases"))
    case_id = int(case_url.rsplit("/", 1)[1])
    task = next(t for t in auth.as_("head_khcn").get(f"/api/v1/cases/{case_id}").get_json()["tasks"]
                if t["element_id"] == "mentor_assessment")
    expert = signed_in(app, "expert1")
    assert_inert(expert.get("/"))
    assert_inert(expert.get(f"/tasks/{task['id']}"))
    # a form value sent back after an error is shown again, inert, in its field
    response = expert.post(f"/tasks/{task['id']}", {"mentor_comment": IMG + SCRIPT}, status=422)
    html = response.get_data(as_text=True)
    assert_inert(html)
    assert "&#34;&gt;&lt;img src=x" in html or "&quot;&gt;&lt;img src=x" in html


def test_a_hostile_process_and_task_name_in_a_stored_definition_stay_text_in_the_diagram(app, auth, store):
    case = start_training(auth)
    task = ready_task(case, "mentor_assessment")
    with store.transaction() as db:
        definition = db.get(ProcessDefinition, db.scalar(select(Case.definition_id).where(Case.id == case["id"])))
        hostile = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"
        definition.name = SCRIPT
        definition.sources = [{**s, "content": s["content"]
                               .replace('name="Cử nhân tài tham gia lớp đào tạo chuyên biệt"', f'name="{hostile}"')
                               .replace('name="Nhận xét của người hướng dẫn"', f'name="{hostile}"')}
                              for s in definition.sources]
    page = signed_in(app, "expert1")
    for path in ("/", "/cases", f"/cases/{case['id']}", f"/tasks/{task['id']}", "/cases/new"):
        html = page.get(path)
        assert_inert(html)
    html = page.get(f"/cases/{case['id']}")
    assert 'class="bpmn-diagram"' in html and "&lt;script&gt;alert(1)" in html  # drawn, with the name as text


def test_a_hostile_unit_name_on_the_dashboard_and_its_charts(app, auth, store):
    with store.transaction() as db:
        add_unit(db, "EVIL", SCRIPT + IMG, "HP")
    html = signed_in(app, "hr").get("/dashboard")
    assert_inert(html)
    assert "<svg" in html and "&lt;script&gt;" in html
