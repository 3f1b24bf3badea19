"""The diagram without JavaScript: readable as served, in a region the keyboard scrolls, with the SVG
alone a link away and the steps as text; the SVGs alone follow who may see the case."""
from __future__ import annotations

import re

from engine.diagram import readable_zoom
from tests.helpers import complete, ready_task, start_training
from tests.web.support import signed_in, text_of
from tests.workflows.exam_support import start_exam


def svg_zoom(html: str) -> float:
    """How many pixels the served diagram draws per unit of its view box (its width over the box's)."""
    tag = re.search(r'<svg [^>]*class="bpmn-diagram"[^>]*>', html).group(0)
    box_width = float(re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) [\d.]+"', tag).group(1))
    return float(re.search(r' width="([\d.]+)"', tag).group(1)) / box_width


def mentor_task(svg: str) -> str:
    return re.search(r'<g class="([^"]+)" data-element-id="mentor_assessment">', svg).group(1)


def test_a_case_page_serves_its_diagram_readable_focusable_and_as_text_without_script(app, auth):
    case = start_training(auth)
    html = signed_in(app, "head_khcn").get(f"/cases/{case['id']}")
    region = re.search(r'<div class="diagram-scroll"[^>]*>', html).group(0)
    assert 'tabindex="0"' in region and 'role="region"' in region
    assert 'aria-label="Sơ đồ quy trình: cuộn bằng các phím mũi tên"' in region
    smallest = float(re.search(r'data-smallest-text="([\d.]+)"', html).group(1))
    assert svg_zoom(html) * smallest >= 10  # no word under 10 px as served
    assert f'href="/cases/{case["id"]}/diagram.svg">Mở riêng sơ đồ (SVG)</a>' in html
    steps = text_of(re.search(r'<details class="diagram-steps">.*?</details>', html, re.S).group(0))
    assert "Các bước của sơ đồ dạng văn bản" in steps
    assert "Nhận xét của người hướng dẫn (đang xử lý)" in steps  # the mentor's task, in progress
    assert re.search(r'<div class="diagram-tools" hidden>', html)  # the zoom buttons wait for the script
    assert re.search(r'<script src="/assets/diagram.js" nonce="[^"]+" defer></script>', html)


def test_the_exam_diagram_is_not_shrunk_to_the_column_but_scrolls(app, auth):
    case = start_exam(auth)
    html = signed_in(app, "hr").get(f"/cases/{case['id']}")
    assert abs(svg_zoom(html) - readable_zoom(5550, 1130)) < 0.001  # 5,550 units wide: 0.91, words at 10 px
    assert "max-height: 34rem" not in signed_in(app, "hr").get("/assets/web.css")


def test_the_svg_alone_follows_the_case_and_a_step_of_its_history(app, auth):
    case = start_training(auth)
    complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"],
             {"recommendation": "support", "mentor_comment": "Phù hợp"})
    head = signed_in(app, "head_khcn")
    response = head.client.get(f"/cases/{case['id']}/diagram.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert mentor_task(response.get_data(as_text=True)) == "bpmn-element bpmn-userTask completed"
    first = head.client.get(f"/cases/{case['id']}/diagram-1.svg").get_data(as_text=True)
    assert mentor_task(first) == "bpmn-element bpmn-userTask active"  # after the start: the mentor's turn
    assert signed_in(app, "nominator").client.get(f"/cases/{case['id']}/diagram.svg").status_code == 404


def test_anyone_signed_in_sees_a_process_diagram_on_its_own_page(app, auth):
    page = signed_in(app, "nominator")
    html = page.get("/processes/leadership_exam/diagram")
    assert "<h1>Thi tuyển chức danh lãnh đạo, quản lý</h1>" in html and 'class="bpmn-diagram"' in html
    assert 'href="/processes/leadership_exam/diagram.svg"' in html
    assert page.client.get("/processes/leadership_exam/diagram.svg").status_code == 200
    assert page.get("/processes/no_such_process/diagram", status=404)
