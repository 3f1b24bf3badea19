"""Reading the geometry of a process diagram from its BPMN diagram interchange (BPMNDI).

The drawing needs only what a modeller put in the file: the bounds of every
shape, the waypoints of every edge, label bounds when the tool wrote them, and
a few facts of the semantic model that change how a shape looks (event kinds,
loop markers, default flows). This module turns one BPMN file into a frozen
:class:`Layout`; :mod:`engine.diagram.draw` draws it. Files come from uploads,
so they are read by the project's one safe parser (:mod:`engine.definitions.safe_xml`): it
never loads a DTD, never resolves an entity, never goes online.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

from lxml import etree

from engine.definitions.safe_xml import XmlError, read_xml
from engine.errors import Invalid

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
#: Coordinates beyond this are not a diagram anyone drew; such shapes are left out.
MAX_COORDINATE = 1_000_000.0
_CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}
_GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}


class DiagramUnavailable(Invalid):
    """The files hold no drawable diagram for the process (answered 422 ``no_diagram``)."""

    code = "no_diagram"


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True)
class Shape:
    id: str
    kind: str  # the BPMN element's local name: userTask, startEvent, lane...
    name: str
    bounds: Bounds
    label: Bounds | None = None
    events: tuple[str, ...] = ()  # event definition kinds: timer, message, signal...
    interrupting: bool = True
    expanded: bool = False
    loop: str | None = None  # parallel, sequential or standard
    horizontal: bool = True
    collection: bool = False
    event_subprocess: bool = False
    depth: int = 0  # how deep in (sub)processes the element sits: containers are drawn first

    @property
    def throwing(self) -> bool:
        return self.kind in ("endEvent", "intermediateThrowEvent")


@dataclass(frozen=True)
class Edge:
    id: str
    kind: str  # sequenceFlow, messageFlow, association, dataInputAssociation...
    name: str
    points: tuple[tuple[float, float], ...]
    label: Bounds | None = None
    default: bool = False
    conditional: bool = False
    directed: bool = False  # an association drawn with an arrow
    source: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class Layout:
    process_id: str
    name: str
    shapes: tuple[Shape, ...]
    edges: tuple[Edge, ...]

    def extent(self) -> Bounds:
        """The box around every shape, waypoint and label."""
        xs: list[float] = []
        ys: list[float] = []
        for shape in self.shapes:
            for box in (shape.bounds, shape.label):
                if box is not None:
                    xs += [box.x, box.right]
                    ys += [box.y, box.bottom]
        for edge in self.edges:
            xs += [p[0] for p in edge.points]
            ys += [p[1] for p in edge.points]
            if edge.label is not None:
                xs += [edge.label.x, edge.label.right]
                ys += [edge.label.y, edge.label.bottom]
        if not xs:
            return Bounds(0, 0, 0, 0)
        return Bounds(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _local(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    if value is None or not math.isfinite(value) or abs(value) > MAX_COORDINATE:
        return None
    return value


def _bounds(el: Any) -> Bounds | None:
    if el is None:
        return None
    values = [_number(el.get(a)) for a in ("x", "y", "width", "height")]
    if any(v is None for v in values) or values[2] < 0 or values[3] < 0:  # type: ignore[operator]
        return None
    return Bounds(*values)  # type: ignore[arg-type]


def _label_bounds(di: Any) -> Bounds | None:
    label = di.find(f"{{{BPMNDI_NS}}}BPMNLabel")
    return _bounds(label.find(f"{{{DC_NS}}}Bounds")) if label is not None else None


def parse_bpmn(name: str, content: bytes | str) -> Any:
    """The root of one uploaded file; a file that is not XML is a 422 naming the file."""
    try:
        return read_xml(content)
    except XmlError as err:
        raise DiagramUnavailable(f"{name} is not well-formed XML: {err}", {"file": [name]}) from None


def main_process_id(root: Any) -> str | None:
    """The top-level executable process (the one a deployment runs), else the first process."""
    processes = root.findall(f"{{{BPMN_NS}}}process")
    called = {c.get("calledElement") for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
    executable = [p for p in processes if (p.get("isExecutable") or "").lower() == "true"
                  and p.get("id") not in called]
    chosen = executable or processes
    return chosen[0].get("id") if chosen else None


def find_process(files: Iterable[tuple[str, Any]], process_id: str | None) -> tuple[Any, str]:
    """(root, process id) of the BPMN file that defines ``process_id`` (or the first BPMN file's)."""
    for _name, root in files:
        if _local(root) != "definitions" or etree.QName(root).namespace != BPMN_NS:
            continue  # a DMN table or something else beside the process
        if process_id is None:
            found = main_process_id(root)
            if found:
                return root, found
        elif any(p.get("id") == process_id for p in root.iter(f"{{{BPMN_NS}}}process")):
            return root, process_id
    wanted = f"process '{process_id}'" if process_id else "a process"
    raise DiagramUnavailable(f"no BPMN file defines {wanted}", {"process": [wanted + " not found"]})


def _plane_for(root: Any, process_id: str) -> Any:
    """The diagram plane showing the process: its own, or its collaboration's."""
    owners = {process_id}
    for collab in root.iter(f"{{{BPMN_NS}}}collaboration"):
        if any(p.get("processRef") == process_id for p in collab.iter(f"{{{BPMN_NS}}}participant")):
            owners.add(collab.get("id") or "")
    planes = [d.find(f"{{{BPMNDI_NS}}}BPMNPlane") for d in root.iter(f"{{{BPMNDI_NS}}}BPMNDiagram")]
    planes = [p for p in planes if p is not None]
    for plane in planes:  # a collaboration's plane shows the pools and lanes too
        if plane.get("bpmnElement") in owners - {process_id}:
            return plane
    for plane in planes:
        if plane.get("bpmnElement") == process_id:
            return plane
    raise DiagramUnavailable(
        f"the file has no diagram (BPMNDI) for process '{process_id}'; open it in a BPMN modeller and save it",
        {"process": ["no diagram interchange"]})


def read_layout(root: Any, process_id: str) -> Layout:
    """Shapes and edges of the plane that shows ``process_id``, in drawing order."""
    plane = _plane_for(root, process_id)
    semantic = {el.get("id"): el for el in root.iter(f"{{{BPMN_NS}}}*") if el.get("id")}
    shape_dis = list(plane.iter(f"{{{BPMNDI_NS}}}BPMNShape"))
    with_shape = {di.get("bpmnElement") for di in shape_dis}
    shapes = [s for s in (_shape(di, semantic, with_shape) for di in shape_dis) if s is not None]
    edges = [e for e in (_edge(di, semantic) for di in plane.iter(f"{{{BPMNDI_NS}}}BPMNEdge")) if e is not None]
    order = {"participant": 0, "lane": 1}
    shapes.sort(key=lambda s: (order.get(s.kind, 2), s.depth, s.kind == "boundaryEvent"))
    process = semantic.get(process_id)
    name = (process.get("name") if process is not None else None) or process_id
    if not shapes and not edges:
        raise DiagramUnavailable(f"the diagram of process '{process_id}' is empty", {"process": ["empty diagram"]})
    return Layout(process_id, name, tuple(shapes), tuple(edges))


def _depth(el: Any) -> int:
    depth, parent = 0, el.getparent()
    while parent is not None:
        depth += _local(parent) in _CONTAINERS
        parent = parent.getparent()
    return depth


def _shape(di: Any, semantic: dict[str, Any], with_shape: set[str | None]) -> Shape | None:
    el = semantic.get(di.get("bpmnElement"))
    bounds = _bounds(di.find(f"{{{DC_NS}}}Bounds"))
    if el is None or bounds is None:
        return None  # DI pointing nowhere, or without usable bounds: nothing to draw
    kind = _local(el)
    children = [_local(c) for c in el]
    events = tuple(c[: -len("EventDefinition")] for c in children if c.endswith("EventDefinition"))
    loop = None
    for child in el:
        if _local(child) == "multiInstanceLoopCharacteristics":
            loop = "sequential" if (child.get("isSequential") or "").lower() == "true" else "parallel"
        elif _local(child) == "standardLoopCharacteristics":
            loop = "standard"
    expanded_attr = di.get("isExpanded")
    expanded = kind in _CONTAINERS and (expanded_attr == "true" or (expanded_attr is None and any(
        c.get("id") in with_shape for c in el if _local(c) not in ("incoming", "outgoing"))))
    if kind == "participant":  # a pool without a process is drawn collapsed (a black box)
        expanded = bool(el.get("processRef"))
    interrupting = (el.get("cancelActivity") or el.get("isInterrupting") or "true").lower() != "false"
    text = el.get("name") or (el.findtext(f"{{{BPMN_NS}}}text") if kind == "textAnnotation" else "") or ""
    return Shape(
        id=el.get("id"), kind=kind, name=text, bounds=bounds, label=_label_bounds(di), events=events,
        interrupting=interrupting, expanded=expanded, loop=loop,
        horizontal=(di.get("isHorizontal") or "true").lower() != "false",
        collection=(el.get("isCollection") or "").lower() == "true" or _collection_ref(el, semantic),
        event_subprocess=(el.get("triggeredByEvent") or "").lower() == "true", depth=_depth(el))


def _collection_ref(el: Any, semantic: dict[str, Any]) -> bool:
    target = semantic.get(el.get("dataObjectRef")) if _local(el) == "dataObjectReference" else None
    return target is not None and (target.get("isCollection") or "").lower() == "true"


def _edge(di: Any, semantic: dict[str, Any]) -> Edge | None:
    el = semantic.get(di.get("bpmnElement"))
    points = []
    for wp in di.findall(f"{{{DI_NS}}}waypoint"):
        x, y = _number(wp.get("x")), _number(wp.get("y"))
        if x is not None and y is not None:
            points.append((x, y))
    if el is None or len(points) < 2:
        return None
    kind = _local(el)
    source = semantic.get(el.get("sourceRef"))
    default = source is not None and source.get("default") == el.get("id")
    conditional = (kind == "sequenceFlow" and el.find(f"{{{BPMN_NS}}}conditionExpression") is not None
                   and source is not None and _local(source) not in _GATEWAYS)
    return Edge(id=el.get("id"), kind=kind, name=el.get("name") or "", points=tuple(points),
                label=_label_bounds(di), default=default, conditional=conditional,
                directed=kind in ("dataInputAssociation", "dataOutputAssociation")
                or (el.get("associationDirection") or "None") in ("One", "Both"),
                source=el.get("sourceRef"), target=el.get("targetRef"))
