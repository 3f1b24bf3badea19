"""The server-drawn process diagram: every element of every file, state classes, escaping, safety."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from SpiffWorkflow.util.task import TaskState

from engine.definitions import state
from engine.diagram.render import DiagramUnavailable, layout_of, placeholder_svg, render_svg, workflow_marks
from engine.diagram.svg import text_width, wrap
from engine.definitions.sandbox import make_script_engine
from engine.definitions.specs import SourceFile, parse_definition

ROOT = Path(__file__).resolve().parents[3]
BPMN_FILES = sorted((ROOT / "bpmn").glob("*.bpmn")) + sorted((ROOT / "tests" / "data").glob("*.bpmn"))
MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SVG = "http://www.w3.org/2000/svg"
NS = {"s": SVG}
FLOW_NODES = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
              "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
              "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}


def source(path: Path) -> list[SourceFile]:
    return [SourceFile(path.name, path.read_bytes())]


def has_diagram(path: Path) -> bool:
    return b"BPMNPlane" in path.read_bytes()


def parse_svg(svg: str) -> etree._Element:
    root = etree.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{{{SVG}}}svg"
    return root


def groups(root: etree._Element) -> dict[str, etree._Element]:
    return {g.get("data-element-id"): g for g in root.iter(f"{{{SVG}}}g") if g.get("data-element-id")}


def classes(group: etree._Element) -> set[str]:
    return set(group.get("class", "").split())


def tiny_bpmn(task_name: str, extra_dtd: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>{extra_dtd}
<definitions xmlns="{MODEL}" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  id="d" targetNamespace="http://example.org">
  <process id="tiny" name="Tiny &amp; small" isExecutable="true">
    <startEvent id="start"/><userTask id="work" name="{task_name}"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
  </process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="tiny">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="work_di" bpmnElement="work"><dc:Bounds x="200" y="78" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="136" y="118"/><di:waypoint x="200" y="118"/></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</definitions>""".encode("utf-8")


# ------------------------------------------------------------------ every kind of shape
GALLERY_EVENTS = [("startEvent", d) for d in ("", "timer", "message", "signal", "conditional")] + \
    [("intermediateCatchEvent", d) for d in ("timer", "message", "signal", "link", "conditional")] + \
    [("intermediateThrowEvent", d) for d in ("", "message", "signal", "escalation", "compensate", "link")] + \
    [("endEvent", d) for d in ("", "message", "error", "terminate", "signal", "escalation", "cancel", "compensate")]
GALLERY_TASKS = ["task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
         "receiveTask", "callActivity"]
GALLERY_GATEWAYS = ["exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"]


def gallery() -> bytes:
    """A BPMN file with one of every kind of shape the renderer knows, laid out in rows."""
    nodes, shapes = [], []
    for i, (kind, definition) in enumerate(GALLERY_EVENTS):
        inner = f"<{definition}EventDefinition/>" if definition else ""
        nodes.append(f'<{kind} id="ev{i}" name="{kind} {definition}">{inner}</{kind}>')
        shapes.append((f"ev{i}", 60 + (i % 12) * 100, 60 + (i // 12) * 110, 36, 36, ""))
    for i, kind in enumerate(GALLERY_TASKS):
        loop = ["", "<multiInstanceLoopCharacteristics/>", '<multiInstanceLoopCharacteristics isSequential="true"/>',
                "<standardLoopCharacteristics/>"][i % 4]
        nodes.append(f'<{kind} id="t{i}" name="{kind} with a name">{loop}</{kind}>')
        shapes.append((f"t{i}", 40 + i * 130, 300, 100, 80, ""))
    for i, kind in enumerate(GALLERY_GATEWAYS):
        nodes.append(f'<{kind} id="g{i}" name="{kind}"/>')
        shapes.append((f"g{i}", 60 + i * 120, 440, 50, 50, ' isMarkerVisible="true"'))
    nodes += ['<subProcess id="sp_collapsed" name="Collapsed sub-process"><multiInstanceLoopCharacteristics/></subProcess>',
              '<transaction id="tx" name="Transaction"/>',
              '<subProcess id="sp_event" name="Event sub-process" triggeredByEvent="true"/>',
              '<boundaryEvent id="b_timer" name="Non-interrupting" attachedToRef="t1" cancelActivity="false">'
              '<timerEventDefinition/></boundaryEvent>',
              '<boundaryEvent id="b_error" attachedToRef="t3"><errorEventDefinition/></boundaryEvent>',
              '<dataObject id="do1" isCollection="true"/><dataObjectReference id="dor" name="Collection" dataObjectRef="do1"/>',
              '<dataStoreReference id="ds" name="Data store"/>',
              '<textAnnotation id="ann"><text>An annotation that explains something</text></textAnnotation>',
              '<association id="as1" sourceRef="ann" targetRef="t0"/>',
              '<sequenceFlow id="sf1" sourceRef="t0" targetRef="t1"><conditionExpression>x</conditionExpression></sequenceFlow>',
              '<sequenceFlow id="sf2" name="default way" sourceRef="g0" targetRef="t2"/>']
    shapes += [("sp_collapsed", 700, 430, 100, 80, ' isExpanded="false"'), ("tx", 830, 430, 120, 80, ' isExpanded="true"'),
               ("sp_event", 980, 430, 120, 80, ' isExpanded="true"'), ("b_timer", 202, 362, 36, 36, ""),
               ("b_error", 462, 362, 36, 36, ""), ("dor", 1150, 440, 36, 50, ""), ("ds", 1230, 440, 50, 50, ""),
               ("ann", 1320, 440, 120, 50, "")]
    nodes[nodes.index('<exclusiveGateway id="g0" name="exclusiveGateway"/>')] = \
        '<exclusiveGateway id="g0" name="exclusiveGateway" default="sf2"/>'
    edges = [("as1", [(1320, 465), (90, 380)]), ("sf1", [(140, 340), (170, 340)]),
             ("sf2", [(110, 465), (200, 465), (200, 380)])]
    di = "".join(f'<bpmndi:BPMNShape id="{i}_di" bpmnElement="{i}"{extra}><dc:Bounds x="{x}" y="{y}" width="{w}" '
                 f'height="{h}"/></bpmndi:BPMNShape>' for i, x, y, w, h, extra in shapes)
    di += "".join(f'<bpmndi:BPMNEdge id="{i}_di" bpmnElement="{i}">' + "".join(
        f'<di:waypoint x="{x}" y="{y}"/>' for x, y in pts) + "</bpmndi:BPMNEdge>" for i, pts in edges)
    return (f'<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="{MODEL}" '
            'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
            'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="gallery_defs" targetNamespace="http://example.org">'
            f'<process id="gallery" name="Every shape" isExecutable="true">{"".join(nodes)}</process>'
            f'<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="gallery">{di}'
            '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>').encode("utf-8")


def test_every_kind_of_shape_is_drawn_with_its_icon_and_markers() -> None:
    drawn = groups(parse_svg(render_svg([SourceFile("gallery.bpmn", gallery())])))
    assert {f"ev{i}" for i in range(len(GALLERY_EVENTS))} | {f"t{i}" for i in range(len(GALLERY_TASKS))} \
        | {f"g{i}" for i in range(len(GALLERY_GATEWAYS))} | {"sp_collapsed", "tx", "sp_event", "b_timer", "b_error",
                                                             "dor", "ds", "ann", "as1", "sf1", "sf2"} <= set(drawn)
    for i, (kind, definition) in enumerate(GALLERY_EVENTS):
        rings = 1 if kind in ("startEvent", "endEvent") else 2
        parts = len(drawn[f"ev{i}"]) - 1  # what is drawn, without the title
        assert len(drawn[f"ev{i}"].findall("s:circle", NS)) >= rings
        assert (parts > rings) == bool(definition), (kind, definition)  # an icon exactly when typed
    assert drawn["t1"].find("s:g[@class='task-icon']", NS) is not None  # the user icon
    assert drawn["t0"].find("s:g[@class='task-icon']", NS) is None  # a plain task has none
    assert drawn["b_timer"].find("s:circle", NS).get("stroke-dasharray") == "6"  # non-interrupting: dashed
    assert drawn["sp_event"].find("s:rect", NS).get("stroke-dasharray") == "1,3"  # event sub-process: dotted
    assert len(drawn["tx"].findall("s:rect", NS)) == 2  # a transaction's double border
    assert len(drawn["sp_collapsed"].findall("s:line", NS)) == 3 + 2  # ||| and the + in its box
    assert len(drawn["sf2"].findall("s:line", NS)) == 1  # the default-flow slash
    assert len(drawn["sf1"].findall("s:polygon", NS)) == 2  # conditional diamond and arrowhead


# ------------------------------------------------------------------ every file
@pytest.mark.parametrize("path", [p for p in BPMN_FILES if has_diagram(p)], ids=lambda p: p.name)
def test_every_flow_node_and_flow_of_a_file_is_drawn_with_its_element_id(path: Path) -> None:
    model = etree.fromstring(path.read_bytes())
    expected = {el.get("id") for el in model.iter(f"{{{MODEL}}}*")
                if etree.QName(el).localname in FLOW_NODES | {"sequenceFlow", "messageFlow"}}
    svg = render_svg(source(path))
    drawn = groups(parse_svg(svg))
    assert expected and expected <= set(drawn), sorted(expected - set(drawn))
    for element_id in expected:
        kind = etree.QName(model.xpath(f"//*[@id='{element_id}']")[0]).localname
        assert {"bpmn-element", f"bpmn-{kind}"} <= classes(drawn[element_id])
        assert drawn[element_id].find("s:title", NS) is not None


@pytest.mark.parametrize("path", [p for p in BPMN_FILES if has_diagram(p)], ids=lambda p: p.name)
def test_the_picture_is_an_accessible_image_whose_viewbox_holds_every_shape(path: Path) -> None:
    root = parse_svg(render_svg(source(path)))
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.find("s:title", NS).text == root.get("aria-label")
    x, y, w, h = map(float, root.get("viewBox").split())
    for shape in layout_of(source(path)).shapes:
        b = shape.bounds
        assert x <= b.x and y <= b.y and b.right <= x + w and b.bottom <= y + h, shape.id


@pytest.mark.parametrize("path", [p for p in BPMN_FILES if not has_diagram(p)], ids=lambda p: p.name)
def test_a_file_without_diagram_interchange_is_refused_with_a_clear_reason(path: Path) -> None:
    with pytest.raises(DiagramUnavailable) as raised:
        render_svg(source(path))
    assert raised.value.status == 422 and raised.value.code == "no_diagram"
    assert "no diagram (BPMNDI)" in raised.value.message


def test_the_placeholder_for_pages_says_why_in_words() -> None:
    root = parse_svg(placeholder_svg("Quy trình chưa có sơ đồ <BPMNDI> & nhãn"))
    assert root.get("aria-label") == "Quy trình chưa có sơ đồ <BPMNDI> & nhãn"
    assert "".join(root.itertext()).count("Quy trình chưa có sơ đồ") == 2  # title and the drawn text


# ------------------------------------------------------------------ what is drawn
def test_pool_and_lane_names_are_written_vertically_in_their_headers() -> None:
    drawn = groups(parse_svg(render_svg(source(ROOT / "tests/data/plain_two_lanes.bpmn"))))
    for element_id, name in (("Participant_leave", "Leave request"), ("Lane_employee", "Employee")):
        text = drawn[element_id].find("s:text", NS)
        assert text.get("transform", "").startswith("rotate(-90")
        assert "".join(text.itertext()) == name


def test_events_gateways_and_markers_look_as_in_the_modeller() -> None:
    drawn = groups(parse_svg(render_svg(source(ROOT / "bpmn/leadership_exam.bpmn"))))
    start = drawn["StartEvent_plan"].findall("s:circle", NS)
    assert start[0].get("stroke-width") == "2"
    end_rings = drawn["EndEvent_cancelled"].findall("s:circle", NS)
    assert [c.get("stroke-width") for c in end_rings] == ["4"]
    rings = drawn["remarking_closes"].findall("s:circle", NS)
    assert len(rings) >= 3  # two rings and the clock face of a timer
    exclusive = next(g for g in drawn.values() if "bpmn-exclusiveGateway" in classes(g))
    assert exclusive.find("s:polygon", NS) is not None and len(exclusive.findall("s:line", NS)) == 2
    parallel = next(g for g in drawn.values() if "bpmn-parallelGateway" in classes(g))
    assert len(parallel.findall("s:line", NS)) == 2
    multi = [g for g in drawn.values() if "bpmn-subProcess" in classes(g)]
    assert any(len(g.findall("s:line", NS)) == 3 for g in multi)  # the ||| multi-instance marker


def test_message_flows_are_dashed_and_associations_dotted() -> None:
    collaboration = ROOT / "tests/data/plain_two_lanes.bpmn"
    xml = collaboration.read_text(encoding="utf-8")
    xml = xml.replace('<participant id="Participant_leave"',
                      '<participant id="Participant_hr" name="HR" /><messageFlow id="Msg_1" '
                      'sourceRef="Participant_hr" targetRef="fill_request" /><participant id="Participant_leave"')
    xml = xml.replace("</bpmndi:BPMNPlane>",
                      '<bpmndi:BPMNShape id="hr_di" bpmnElement="Participant_hr" isHorizontal="true">'
                      '<dc:Bounds x="160" y="-100" width="600" height="60"/></bpmndi:BPMNShape>'
                      '<bpmndi:BPMNEdge id="Msg_1_di" bpmnElement="Msg_1"><di:waypoint x="300" y="-40"/>'
                      '<di:waypoint x="300" y="80"/></bpmndi:BPMNEdge></bpmndi:BPMNPlane>')
    drawn = groups(parse_svg(render_svg([SourceFile("c.bpmn", xml.encode("utf-8"))])))
    assert drawn["Msg_1"].find("s:path", NS).get("stroke-dasharray") == "10,11"
    assert "bpmn-participant" in classes(drawn["Participant_hr"])  # a pool without process: collapsed
    review = groups(parse_svg(render_svg(source(ROOT / "bpmn/annual_talent_review.bpmn"))))
    association = next(g for g in review.values() if "bpmn-dataInputAssociation" in classes(g))
    assert association.find("s:path", NS).get("stroke-dasharray") == "0,5"


def test_a_task_name_wraps_inside_its_box_and_a_very_long_one_ends_with_an_ellipsis() -> None:
    name = "Thẩm định hồ sơ đề nghị công nhận nhân tài của các cơ quan, đơn vị trên địa bàn thành phố " * 3
    svg = render_svg([SourceFile("t.bpmn", tiny_bpmn(name.strip()))])
    task = groups(parse_svg(svg))["work"]
    lines = [t.text for t in task.iter(f"{{{SVG}}}tspan")]
    assert len(lines) > 1 and lines[-1].endswith("…")
    assert all(text_width(line, 12) <= 86 for line in lines)
    assert task.find("s:title", NS).text == name.strip()  # the whole name stays readable


def test_wrapping_keeps_line_breaks_and_cuts_words_longer_than_the_box() -> None:
    assert wrap("Phê duyệt\nkết quả", 200, 12) == ["Phê duyệt", "kết quả"]
    pieces = wrap("Siêuuuuuuuuuuuuuuuuuuuuuuuuuuudài", 40, 12)
    assert len(pieces) > 1 and "".join(pieces) == "Siêuuuuuuuuuuuuuuuuuuuuuuuuuuudài"


# ------------------------------------------------------------------ state
def test_state_classes_land_on_the_marked_elements_and_the_flows_taken() -> None:
    svg = render_svg(source(ROOT / "bpmn/training_nomination.bpmn"),
                     completed={"StartEvent_1", "mentor_assessment", "unit_head_approval", "Gateway_decision"},
                     active={"hr_enrolment"}, overdue={"hr_enrolment"})
    drawn = groups(parse_svg(svg))
    for done in ("StartEvent_1", "mentor_assessment", "unit_head_approval", "Gateway_decision"):
        assert "completed" in classes(drawn[done]) and "active" not in classes(drawn[done])
    assert {"active", "overdue"} <= classes(drawn["hr_enrolment"])
    assert not {"completed", "active", "overdue"} & classes(drawn["report_attendance"])
    assert "completed" in classes(drawn["Flow_approve"])  # decision -> enrolment was taken
    assert "completed" not in classes(drawn["Flow_reject"])  # the other branch was not
    assert "completed" not in classes(drawn["Flow_5"])
    assert drawn["hr_enrolment"].find("s:title", NS).text.endswith("(in progress, overdue)")
    assert "4 completed, 1 in progress, 1 overdue" in svg


def test_state_words_can_be_given_in_the_reader_s_language() -> None:
    texts = {"completed": "đã xong", "active": "đang thực hiện", "overdue": "quá hạn",
             "summary": "{completed} đã xong, {active} đang thực hiện, {overdue} quá hạn"}
    svg = render_svg(source(ROOT / "bpmn/training_nomination.bpmn"), completed={"StartEvent_1"},
                     active={"mentor_assessment"}, texts=texts)
    drawn = groups(parse_svg(svg))
    assert drawn["mentor_assessment"].find("s:title", NS).text == "Nhận xét của người hướng dẫn (đang thực hiện)"
    assert "1 đã xong, 1 đang thực hiện, 0 quá hạn" in svg


def test_marks_of_a_running_workflow_follow_its_tasks() -> None:
    parsed = parse_definition(source(ROOT / "tests/data/plain_two_lanes.bpmn"))
    engine = make_script_engine({})
    workflow = state.new_workflow(parsed.spec, parsed.subprocess_specs, engine)
    workflow.do_engine_steps()
    marks = workflow_marks(workflow)
    assert marks.completed == {"StartEvent_1"} and marks.active == {"fill_request"}

    for data in ({}, {"approved": False}):
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()
    marks = workflow_marks(workflow)
    assert {"StartEvent_1", "fill_request", "approve_request", "Gateway_approved", "EndEvent_rejected"} \
        <= marks.completed
    assert "EndEvent_approved" not in marks.completed and not marks.active


def test_a_boundary_timer_waiting_on_its_task_is_not_marked_in_progress() -> None:
    xml = (ROOT / "tests/data/deadline.bpmn").read_text(encoding="utf-8").replace("working_days(2)", '"PT2H"')
    xml = xml.replace("<timeDate", "<timeDuration").replace("</timeDate>", "</timeDuration>")
    parsed = parse_definition([SourceFile("deadline.bpmn", xml.encode("utf-8"))])
    workflow = state.new_workflow(parsed.spec, parsed.subprocess_specs, make_script_engine({}))
    workflow.do_engine_steps()
    waiting = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.WAITING)}
    assert "supplement_deadline" in waiting
    assert workflow_marks(workflow).active == {"supplement"}


# ------------------------------------------------------------------ hostile input
def test_names_are_escaped_and_vietnamese_text_is_kept() -> None:
    svg = render_svg([SourceFile("t.bpmn", tiny_bpmn("Xét &lt;&amp;&quot;&gt; hồ sơ đặc biệt"))])
    assert '<&">' not in svg and "Xét &lt;&amp;\"&gt; hồ sơ đặc biệt" in svg
    root = parse_svg(svg)
    task = groups(root)["work"]
    assert task.find("s:title", NS).text == 'Xét <&"> hồ sơ đặc biệt'
    assert "Xét" in "".join(task.itertext()) and root.get("aria-label") == "Tiny & small"


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    dtd = f'<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    # in a name (an attribute) the parser refuses the file...
    with pytest.raises(DiagramUnavailable, match="external entity"):
        render_svg([SourceFile("evil.bpmn", tiny_bpmn("&xxe;", dtd))])
    # ...in element text it leaves the reference unresolved
    annotated = tiny_bpmn("Work", dtd).replace(
        b"</process>", b"<textAnnotation id='note'><text>Note: &xxe;</text></textAnnotation></process>").replace(
        b"</bpmndi:BPMNPlane>", b'<bpmndi:BPMNShape id="note_di" bpmnElement="note"><dc:Bounds x="350" y="40" '
        b'width="120" height="40"/></bpmndi:BPMNShape></bpmndi:BPMNPlane>')
    svg = render_svg([SourceFile("evil.bpmn", annotated)])
    assert "TOP-SECRET-VALUE" not in svg
    assert "Note:" in "".join(groups(parse_svg(svg))["note"].itertext())


def test_an_entity_expansion_bomb_is_refused_at_once() -> None:
    entities = '<!ENTITY l0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    with pytest.raises(DiagramUnavailable, match="not well-formed"):
        render_svg([SourceFile("bomb.bpmn", tiny_bpmn("&l9;", f"<!DOCTYPE definitions [{entities}]>"))])


def test_a_file_that_is_not_xml_is_refused_naming_the_file() -> None:
    with pytest.raises(DiagramUnavailable) as raised:
        render_svg([SourceFile("broken.bpmn", b"<definitions><process")])
    assert "broken.bpmn" in raised.value.message


def test_an_unknown_process_id_is_refused() -> None:
    with pytest.raises(DiagramUnavailable, match="no BPMN file defines process 'other'"):
        render_svg(source(ROOT / "bpmn/training_nomination.bpmn"), "other")


def test_absurd_coordinates_are_left_out_rather_than_blowing_up_the_picture() -> None:
    content = tiny_bpmn("Work").replace(b'x="200" y="78"', b'x="1e300" y="nan"')
    svg = render_svg([SourceFile("t.bpmn", content)])
    drawn = groups(parse_svg(svg))
    assert "work" not in drawn and "start" in drawn
    assert all(abs(float(v)) < 10_000 for v in re.search(r'viewBox="([^"]*)"', svg).group(1).split())


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=120))
def test_any_name_comes_out_as_well_formed_svg_with_the_name_intact(name: str) -> None:
    svg = render_svg([SourceFile("t.bpmn", tiny_bpmn(escape(name, {'"': "&quot;"})))])
    title = groups(parse_svg(svg))["work"].find("s:title", NS).text
    assert title == unicodedata.normalize("NFC", name) if name.strip() else title in (name, "User task")
