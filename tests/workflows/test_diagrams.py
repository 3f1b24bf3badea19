"""Every process diagram under ``bpmn/`` opens in a modeller: valid BPMN 2.0, executable, and a shape or
an edge (with its waypoints) for every element, so Camunda Modeler and bpmn.io draw all of it.

With ``TALENTFLOW_BPMNJS_DIR`` pointing at a directory where ``bpmn-moddle`` and ``camunda-bpmn-moddle``
are installed (``make test``, and so ``.ci/run``, installs them with ``.ci/bpmnjs`` when npm is
available), each file is also imported by bpmn.io's own model reader, with the Camunda extensions,
and must load without a warning.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from workflows import BPMN_DIR

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "di": "http://www.omg.org/spec/DD/20100524/DI"}
CONNECTING = {"sequenceFlow", "dataInputAssociation", "dataOutputAssociation"}
#: Children of flow nodes (not drawn on their own).
NOT_DRAWN = CONNECTING | {
    "laneSet", "lane", "dataObject", "multiInstanceLoopCharacteristics", "incoming", "outgoing", "script",
    "conditionExpression", "timerEventDefinition", "messageEventDefinition", "timeDate", "timeDuration",
    "timeCycle", "sourceRef", "targetRef", "flowNodeRef", "documentation", "property", "extensionElements",
    "loopCardinality", "completionCondition"}
DIAGRAMS = sorted(BPMN_DIR.glob("*.bpmn"))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _drawn_elements(container: etree._Element) -> list[str]:
    """Ids of the elements drawn as shapes: flow nodes, boundary events and data references, also
    those inside (expanded) sub-processes."""
    found = []
    for element in container:
        if not isinstance(element.tag, str) or _local(element) in NOT_DRAWN:
            continue
        found.append(element.get("id"))
        if _local(element) == "subProcess":
            found += _drawn_elements(element)
    return found


@pytest.mark.parametrize("path", DIAGRAMS, ids=[p.stem for p in DIAGRAMS])
def test_the_diagram_draws_every_element_and_flow(path: Path) -> None:
    document = etree.parse(str(path))
    VALIDATOR.validate(document, path.name)  # BPMN 2.0 XSD: raises on an invalid document
    root = document.getroot()
    shapes = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): len(e.findall("di:waypoint", NS)) for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    [process] = root.findall("bpmn:process", NS)
    nodes = _drawn_elements(process)
    assert set(nodes) - shapes == set()
    lanes = [el.get("id") for el in process.iterfind(".//bpmn:lane", NS)]
    assert set(lanes) - shapes == set()
    flows = [el.get("id") for el in process.iter() if isinstance(el.tag, str) and _local(el) in CONNECTING]
    assert [f for f in flows if edges.get(f, 0) < 2] == []
    participants = [p.get("id") for p in root.iterfind(".//bpmn:participant", NS)]
    assert set(participants) <= shapes
    assert process.get("isExecutable") == "true" and not {"Start", "End"} & set(nodes)


_BPMNJS = os.environ.get("TALENTFLOW_BPMNJS_DIR")
_CHECK = """
import { BpmnModdle } from 'bpmn-moddle';
import fs from 'fs';
const camunda = JSON.parse(fs.readFileSync('node_modules/camunda-bpmn-moddle/resources/camunda.json', 'utf8'));
const moddle = new BpmnModdle({ camunda });
const out = {};
for (const file of process.argv.slice(2)) {
  try { const { warnings } = await moddle.fromXML(fs.readFileSync(file, 'utf8'), 'bpmn:Definitions');
        out[file] = warnings.map(w => w.message); }
  catch (e) { out[file] = ['error: ' + e.message]; }
}
console.log(JSON.stringify(out));
"""


def test_bpmn_io_reads_every_diagram_without_a_warning() -> None:
    if not (_BPMNJS and shutil.which("node")):  # make test installs both (.ci/bpmnjs): fail, never skip
        pytest.fail("bpmn.io's model reader is missing: run `make test` (it runs .ci/bpmnjs with npm and sets "
                    "TALENTFLOW_BPMNJS_DIR), or install Node.js and npm")
    script = Path(_BPMNJS) / "talentflow_check.mjs"
    script.write_text(_CHECK)
    run = subprocess.run(["node", script.name, *map(str, DIAGRAMS)], cwd=_BPMNJS, capture_output=True, text=True,
                         timeout=120, check=True)
    warnings = json.loads(run.stdout)
    assert warnings == {str(path): [] for path in DIAGRAMS}
