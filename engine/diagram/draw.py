"""SVG fragments for the shapes, edges and labels of a :class:`~engine.diagram.layout.Layout`.

The look follows bpmn.io (what modellers see in Camunda Modeler) so a diagram
on a case page is recognisably the one that was drawn: thin start events,
thick end events, double-ringed intermediate events, rounded tasks with a
small type icon, diamonds with X / + / O. Colours are left to CSS classes
(``shape``, ``flow``, ``arrow``...), so state styling is one stylesheet.
"""
from __future__ import annotations

import math

from engine.diagram.layout import Bounds, Edge, Shape
from engine.diagram.icons import event_icon, markers, task_icon
from engine.diagram.svg import (block_height, circle, fit, line, max_lines, num, path, poly, rect, text_lines,
                                text_width, wrap)

FONT, SMALL = 12.0, 11.0
EXTERNAL_WIDTH = 90.0  # bpmn.io wraps labels outside shapes at this width
TASKS = {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
         "receiveTask", "callActivity"}
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
ACTIVITIES = TASKS | SUBPROCESSES
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
DATA = {"dataObjectReference", "dataObject", "dataInput", "dataOutput", "dataStoreReference"}
EXTERNAL_LABELS = EVENTS | GATEWAYS | DATA


# ---------------------------------------------------------------- shapes
def shape_body(shape: Shape, labels: bool) -> str:
    """The shape itself, with its icons and the label drawn inside it."""
    kind, b = shape.kind, shape.bounds
    if kind == "participant":
        return _pool(shape, labels)
    if kind == "lane":
        return rect(b, "container", 1) + (_vertical_label(shape.name, b) if labels else "")
    if kind in EVENTS:
        return _event(shape)
    if kind in GATEWAYS:
        return _gateway(shape)
    if kind in ACTIVITIES:
        return _activity(shape, labels)
    if kind in ("dataObjectReference", "dataObject", "dataInput", "dataOutput"):
        return _data_object(shape)
    if kind == "dataStoreReference":
        return _data_store(b)
    if kind == "textAnnotation":
        body = path(f"M{num(b.x + 10)},{num(b.y)} H{num(b.x)} V{num(b.bottom)} H{num(b.x + 10)}", "mark", 1)
        if labels and shape.name:
            lines = fit(wrap(shape.name, b.w - 10, FONT), max_lines(b.h - 6, FONT), b.w - 10, FONT)
            body += text_lines(lines, b.x + 5, b.y + 5, FONT, anchor="start")
        return body
    if kind == "group":
        return rect(b, "mark", 1, radius=10, dash="10,4,2,4")
    return rect(b, "shape", 2)


def _pool(shape: Shape, labels: bool) -> str:
    b = shape.bounds
    body = rect(b, "container pool", 1.5)
    if not shape.expanded:  # a collapsed pool (another party): its name in the middle
        if labels and shape.name:
            lines = fit(wrap(shape.name, b.w - 20, FONT), max_lines(b.h - 4, FONT), b.w - 20, FONT)
            body += text_lines(lines, b.cx, b.cy - block_height(len(lines), FONT) / 2, FONT)
        return body
    if shape.horizontal:
        body += line(b.x + 30, b.y, b.x + 30, b.bottom, 1.5, "container-line")
    else:
        body += line(b.x, b.y + 30, b.right, b.y + 30, 1.5, "container-line")
    return body + (_vertical_label(shape.name, b, shape.horizontal) if labels else "")


def _vertical_label(name: str, b: Bounds, horizontal: bool = True) -> str:
    """A pool's or lane's name in its 30-pixel header, read bottom to top as in bpmn.io."""
    if not name:
        return ""
    length = (b.h if horizontal else b.w) - 10
    lines = fit(wrap(name, length, FONT), 2, length, FONT)
    if not horizontal:
        return text_lines(lines, b.cx, b.y + 15 - block_height(len(lines), FONT) / 2, FONT)
    cx, cy = b.x + 15, b.cy
    return text_lines(lines, cx, cy - block_height(len(lines), FONT) / 2, FONT,
                      transform=f"rotate(-90 {num(cx)} {num(cy)})")


def _event(shape: Shape) -> str:
    b = shape.bounds
    cx, cy, r = b.cx, b.cy, min(b.w, b.h) / 2
    dash = "" if shape.interrupting else "6"
    if shape.kind == "startEvent":
        body = circle(cx, cy, r, "shape", 2, dash)
    elif shape.kind == "endEvent":
        body = circle(cx, cy, r - 1.5, "shape", 4)
    else:
        body = circle(cx, cy, r, "shape", 1.5, dash) + circle(cx, cy, r - 3, "shape inner", 1.5, dash)
    return body + event_icon(shape.events, cx, cy, r / 18, shape.throwing)


def _gateway(shape: Shape) -> str:
    b = shape.bounds
    cx, cy, w = b.cx, b.cy, min(b.w, b.h)
    body = poly([(cx, b.y), (b.right, cy), (cx, b.bottom), (b.x, cy)], "shape", 2)
    d = w * 0.2
    if shape.kind == "exclusiveGateway":
        return body + line(cx - d * .8, cy - d, cx + d * .8, cy + d, 3.5) + line(cx + d * .8, cy - d, cx - d * .8,
                                                                                cy + d, 3.5)
    if shape.kind == "parallelGateway":
        return body + line(cx, cy - d * 1.2, cx, cy + d * 1.2, 3.5) + line(cx - d * 1.2, cy, cx + d * 1.2, cy, 3.5)
    if shape.kind == "inclusiveGateway":
        return body + circle(cx, cy, w * 0.24, "icon", 2.5)
    if shape.kind == "complexGateway":
        d *= 1.1
        return body + "".join(line(cx - dx, cy - dy, cx + dx, cy + dy, 3)
                              for dx, dy in ((0, d), (d, 0), (d * .7, d * .7), (d * .7, -d * .7)))
    if shape.kind == "eventBasedGateway":
        pentagon = [(cx + math.sin(a) * w * .13, cy - math.cos(a) * w * .13)
                    for a in (i * 2 * math.pi / 5 for i in range(5))]
        return (body + circle(cx, cy, w * .27, "icon", 1) + circle(cx, cy, w * .22, "icon", 1)
                + poly(pentagon, "icon", 1.5))
    return body


def _activity(shape: Shape, labels: bool) -> str:
    b, kind = shape.bounds, shape.kind
    collapsed = kind in SUBPROCESSES and not shape.expanded
    dash = "1,3" if shape.event_subprocess else ""
    body = rect(b, "shape", 4 if kind == "callActivity" else 2 if not shape.expanded else 1.5, 10, dash)
    if kind == "transaction":
        body += rect(b, "shape inner", 1.5, 7, dash, inset=3)
    body += task_icon(kind, b.x, b.y)
    # as in bpmn.io: the loop marker, then "+" on a collapsed sub-process or a call activity
    wanted = ([shape.loop] if shape.loop else []) + (["collapsed"] if collapsed or kind == "callActivity" else [])
    body += markers(wanted, b)
    if labels and shape.name:
        width = b.w - 14  # bpmn.io pads embedded labels by 7
        if shape.expanded:
            lines = fit(wrap(shape.name, width, FONT), 2, width, FONT)
            body += text_lines(lines, b.cx, b.y + 6, FONT)
        else:
            room = b.h - (26 if wanted else 8)
            lines = fit(wrap(shape.name, width, FONT), max_lines(room, FONT), width, FONT)
            top = b.y + 4 + room / 2 - block_height(len(lines), FONT) / 2
            body += text_lines(lines, b.cx, top, FONT)
    return body


def _data_object(shape: Shape) -> str:
    b = shape.bounds
    fold = min(10.0, b.w / 3)
    outline = (f"M{num(b.x)},{num(b.y)} H{num(b.right - fold)} L{num(b.right)},{num(b.y + fold)} "
               f"V{num(b.bottom)} H{num(b.x)} Z")
    body = path(outline, "shape", 1.5)
    body += path(f"M{num(b.right - fold)},{num(b.y)} V{num(b.y + fold)} H{num(b.right)}", "mark", 1.5)
    if shape.collection:
        body += "".join(line(b.cx + dx, b.bottom - 12, b.cx + dx, b.bottom - 3, 2) for dx in (-4, 0, 4))
    return body


def _data_store(b: Bounds) -> str:
    rx, ry = b.w / 2, min(7.0, b.h / 6)
    top, bottom = b.y + ry, b.bottom - ry
    outline = (f"M{num(b.x)},{num(top)} A{num(rx)},{num(ry)} 0 0 1 {num(b.right)},{num(top)} V{num(bottom)} "
               f"A{num(rx)},{num(ry)} 0 0 1 {num(b.x)},{num(bottom)} Z")
    rims = "".join(path(f"M{num(b.x)},{num(top + dy)} A{num(rx)},{num(ry)} 0 0 0 {num(b.right)},{num(top + dy)}",
                         "mark", 1.5) for dy in (0, 5, 10))
    return path(outline, "shape", 1.5) + rims


def external_label(shape: Shape) -> str:
    """The name drawn outside an event, gateway or data shape: at its label bounds, else below it."""
    if shape.kind not in EXTERNAL_LABELS or not shape.name:
        return ""
    box = shape.label
    if box is None:
        b = shape.bounds
        lines = wrap(shape.name, EXTERNAL_WIDTH, SMALL)[:4]
        return text_lines(lines, b.cx, b.bottom + 3, SMALL)
    lines = wrap(shape.name, max(box.w, EXTERNAL_WIDTH), SMALL)[:4]
    return text_lines(lines, box.cx, box.cy - block_height(len(lines), SMALL) / 2, SMALL)


# ---------------------------------------------------------------- edges
def _unit(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    return dx / length, dy / length


def _head(points: tuple[tuple[float, float], ...], css: str, length: float = 10, half: float = 4.5) -> str:
    tip = points[-1]
    prev = next((p for p in reversed(points[:-1]) if p != tip), points[0])
    ux, uy = _unit(prev, tip)
    bx, by = tip[0] - ux * length, tip[1] - uy * length
    corners = [(bx - uy * half, by + ux * half), tip, (bx + uy * half, by - ux * half)]
    if css == "open-line":
        return poly(corners, "flow", 1.5, close=False)
    return poly(corners, css, 1)


def _rounded(points: list[tuple[float, float]], radius: float = 5) -> str:
    """A polyline as a path with its bends rounded (as bpmn.io draws connections)."""
    d = f"M{num(points[0][0])},{num(points[0][1])}"
    for prev, here, nxt in zip(points, points[1:], points[2:]):
        r = min(radius, math.dist(prev, here) / 2, math.dist(here, nxt) / 2)
        (ix, iy), (ox, oy) = _unit(prev, here), _unit(here, nxt)
        d += (f" L{num(here[0] - ix * r)},{num(here[1] - iy * r)}"
              f" Q{num(here[0])},{num(here[1])} {num(here[0] + ox * r)},{num(here[1] + oy * r)}")
    return d + f" L{num(points[-1][0])},{num(points[-1][1])}"


def _flow(points: list[tuple[float, float]], width: float, dash: str = "") -> str:
    extra = f' stroke-dasharray="{dash}" stroke-linecap="round"' if dash else ""
    return f'<path class="flow" d="{_rounded(points)}" stroke-width="{num(width)}"{extra}/>'


def edge_body(edge: Edge) -> str:
    pts = list(edge.points)
    if edge.kind == "messageFlow":
        ux, uy = _unit(pts[0], pts[1])
        return (_flow(pts, 1.5, "10,11") + circle(pts[0][0] + ux * 4, pts[0][1] + uy * 4, 4, "arrow open", 1)
                + _head(edge.points, "arrow open", 11, 4.5))
    if edge.kind in ("association", "dataInputAssociation", "dataOutputAssociation"):
        return _flow(pts, 2, "0,5") + (_head(edge.points, "open-line", 9, 4.5) if edge.directed else "")
    body = _flow(pts, 2)
    ux, uy = _unit(pts[0], pts[1])
    if edge.default:
        px, py = pts[0][0] + ux * 12, pts[0][1] + uy * 12
        vx, vy = (-uy - ux * 0.6) * 5, (ux - uy * 0.6) * 5
        body += line(px - vx, py - vy, px + vx, py + vy, 2, "flow")
    elif edge.conditional:
        sx, sy = pts[0]
        body += poly([(sx, sy), (sx + ux * 7 - uy * 4.5, sy + uy * 7 + ux * 4.5), (sx + ux * 14, sy + uy * 14),
                       (sx + ux * 7 + uy * 4.5, sy + uy * 7 - ux * 4.5)], "arrow open", 1)
    return body + _head(edge.points, "arrow")


def edge_label(edge: Edge) -> str:
    """A flow's name at its label bounds, else beside the middle of its middle segment."""
    if not edge.name:
        return ""
    if edge.label is not None:
        box = edge.label
        lines = wrap(edge.name, max(box.w, EXTERNAL_WIDTH), SMALL)[:4]
        return text_lines(lines, box.cx, box.cy - block_height(len(lines), SMALL) / 2, SMALL)
    pts = edge.points
    mid = len(pts) / 2 - 1
    a, b = pts[max(math.floor(mid), 0)], pts[min(math.ceil(mid + 0.01), len(pts) - 1)]
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    if abs(a[0] - b[0]) >= abs(a[1] - b[1]):  # horizontal: above the line, as wide as the segment allows
        width = max(min(EXTERNAL_WIDTH, abs(a[0] - b[0]) - 10), 30)
        lines = wrap(edge.name, width, SMALL)[:4]
        return text_lines(lines, mx, my - 4 - block_height(len(lines), SMALL), SMALL)
    lines = wrap(edge.name, EXTERNAL_WIDTH, SMALL)[:4]
    return text_lines(lines, mx + 5, my - block_height(len(lines), SMALL) / 2, SMALL, anchor="start")


def badge(shape: Shape, state: str) -> str:
    """A mark that says the state without colour: a tick when done, '!' when overdue (activities only)."""
    if shape.kind not in ACTIVITIES or shape.expanded and state != "overdue":
        return ""
    cx, cy = shape.bounds.right - 11, shape.bounds.y + 11
    if state == "completed":
        return (circle(cx, cy, 7, "badge badge-done", 1)
                + poly([(cx - 3.5, cy), (cx - 1, cy + 3), (cx + 4, cy - 3)], "badge-mark", 1.8, close=False))
    return (circle(cx, cy, 7, "badge badge-late", 1) + line(cx, cy - 4, cx, cy + 1, 2, "badge-mark")
            + circle(cx, cy + 3.6, 0.6, "badge-mark", 1.2))


def label_extent(shape: Shape) -> Bounds | None:
    """Where a default-placed external label reaches (for the viewBox)."""
    if shape.kind not in EXTERNAL_LABELS or not shape.name or shape.label is not None:
        return None
    lines = wrap(shape.name, EXTERNAL_WIDTH, SMALL)[:4]
    width = max((text_width(line, SMALL) for line in lines), default=0)
    return Bounds(shape.bounds.cx - width / 2, shape.bounds.bottom, width, 3 + block_height(len(lines), SMALL))
