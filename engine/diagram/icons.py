"""Small icons and markers inside BPMN shapes: event kinds, task types, loop markers.

Simple drawings in the spirit of bpmn.io's (which modellers know), not copies
of its paths: they have to be recognisable at 15 pixels, nothing more.
"""
from __future__ import annotations

import math

from engine.diagram.layout import Bounds
from engine.diagram.svg import circle, line, num, path, poly, rect


def event_icon(events: tuple[str, ...], cx: float, cy: float, s: float, filled: bool) -> str:
    """The mark inside an event circle centred at (cx, cy), scaled by ``s`` (1 for a 36-pixel event);
    ``filled`` for throwing events (a black envelope), as BPMN tells catching from throwing."""
    if not events:
        return ""
    kind = events[0] if len(events) == 1 else "multiple"
    css = "icon-fill" if filled else "icon"

    def at(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(cx + x * s, cy + y * s) for x, y in points]

    if kind == "timer":
        r = 11 * s
        ticks = "".join(line(cx + math.sin(a) * r * 0.8, cy - math.cos(a) * r * 0.8, cx + math.sin(a) * r,
                              cy - math.cos(a) * r, 1, "mark") for a in (i * math.pi / 6 for i in range(12)))
        return (circle(cx, cy, r, "icon", 2) + ticks + line(cx, cy, cx + 1.5 * s, cy - 8 * s, 1.2)
                + line(cx, cy, cx + 6 * s, cy + 1.5 * s, 1.2))
    if kind == "message":
        x, y, w, h = cx - 10.5 * s, cy - 7 * s, 21 * s, 14 * s
        flap = poly([(x, y), (cx, cy + 1 * s), (x + w, y)], "icon-flap" if filled else "icon", 1, close=False)
        return rect(Bounds(x, y, w, h), css, 1) + flap
    if kind == "terminate":
        return circle(cx, cy, 11 * s, "icon-fill", 1)
    shapes = {
        "signal": [(0, -10), (9, 6), (-9, 6)],
        "error": [(-9, 9), (-4, -8), (1, 1), (9, -9), (4, 8), (-1, -1)],
        "escalation": [(0, -10), (7, 8), (0, 2), (-7, 8)],
        "link": [(-8, -4), (1, -4), (1, -9), (9, 0), (1, 9), (1, 4), (-8, 4)],
        "compensate": [(-10, 0), (-1, -6), (-1, 0), (8, -6), (8, 6), (-1, 0), (-1, 6)],
        "multiple": [(0, -10), (9.5, -3), (6, 8), (-6, 8), (-9.5, -3)],
    }
    if kind == "conditional":
        lines = "".join(line(cx - 5 * s, cy + dy * s, cx + 5 * s, cy + dy * s) for dy in (-5, -1.7, 1.7, 5))
        return rect(Bounds(cx - 7 * s, cy - 9 * s, 14 * s, 18 * s), "icon", 1) + lines
    if kind == "cancel":
        return line(cx - 6 * s, cy - 6 * s, cx + 6 * s, cy + 6 * s, 3) + line(cx + 6 * s, cy - 6 * s,
                                                                             cx - 6 * s, cy + 6 * s, 3)
    return poly(at(shapes.get(kind, shapes["multiple"])), css, 1)


def markers(kinds: list[str], b: Bounds) -> str:
    """Loop and collapsed-subprocess markers, side by side at the bottom centre."""
    out, size = "", 14.0
    x = b.cx - (len(kinds) * size + (len(kinds) - 1) * 4) / 2
    y = b.bottom - size - 5
    for marker in kinds:
        if marker == "collapsed":
            out += rect(Bounds(x, y, size, size), "icon", 1) + line(x + 3, y + 7, x + 11, y + 7, 1.5) \
                + line(x + 7, y + 3, x + 7, y + 11, 1.5)
        elif marker == "parallel":
            out += "".join(line(x + dx, y + 1, x + dx, y + size - 1, 2) for dx in (2.5, 7, 11.5))
        elif marker == "sequential":
            out += "".join(line(x + 1, y + dy, x + size - 1, y + dy, 2) for dy in (2.5, 7, 11.5))
        elif marker == "standard":
            out += path(f"M{num(x + 4)},{num(y + 12)} A5.5,5.5 0 1 1 {num(x + 10)},{num(y + 12)}", "mark", 1.5)
            out += poly([(x + 10, y + 8.5), (x + 10, y + 12.5), (x + 13.5, y + 12.5)], "mark", 1.5, close=False)
        x += size + 4
    return out


def task_icon(kind: str, x: float, y: float) -> str:
    """A small type icon in the top-left corner (simple drawings, not bpmn.io's paths)."""
    icon = _icon_at_origin(kind)
    return f'<g class="task-icon" transform="translate({num(x + 6)} {num(y + 5)}) scale(0.85)">{icon}</g>' \
        if icon else ""


def _icon_at_origin(kind: str) -> str:
    """The icon of a task type in an 18 x 18 box at the origin."""
    ox, oy = 0.0, 0.0
    if kind == "userTask":
        return (path(f"M{num(ox)},{num(oy + 17)} c0,-5.5 3,-8 8,-8 s8,2.5 8,8 z", "icon", 1)
                + circle(ox + 8, oy + 5, 4, "icon", 1))
    if kind == "scriptTask":
        page = (f"M{num(ox + 4)},{num(oy)} h11 c-3.5,3 -3.5,5.5 0,8.5 c3.5,3 3.5,5.5 0,8.5 h-11 "
                f"c3.5,-3 3.5,-5.5 0,-8.5 c-3.5,-3 -3.5,-5.5 0,-8.5 z")
        return path(page, "icon", 1) + "".join(line(ox + 4 + dx, oy + dy, ox + 11 + dx, oy + dy)
                                                 for dx, dy in ((0.5, 4), (2, 8.5), (0.5, 13)))
    if kind == "serviceTask":
        cx, cy = ox + 8, oy + 8
        teeth = [(cx + math.cos(a) * r, cy + math.sin(a) * r)
                 for i in range(32) for a, r in [(i * math.pi / 16, 8 if i % 4 in (1, 2) else 5.8)]]
        return poly(teeth, "icon", 1) + circle(cx, cy, 2.5, "icon", 1)
    if kind == "businessRuleTask":
        table = Bounds(ox, oy + 2, 18, 13)
        return (rect(table, "icon", 1) + rect(Bounds(ox, oy + 2, 18, 4), "icon-fill", 1)
                + line(ox, oy + 10.5, ox + 18, oy + 10.5) + line(ox + 6, oy + 6, ox + 6, oy + 15))
    if kind in ("sendTask", "receiveTask"):
        css = "icon-fill" if kind == "sendTask" else "icon"
        flap = poly([(ox, oy + 2), (ox + 9, oy + 8), (ox + 18, oy + 2)],
                     "icon-flap" if kind == "sendTask" else "icon", 1, close=False)
        return rect(Bounds(ox, oy + 2, 18, 12), css, 1) + flap
    if kind == "manualTask":
        hand = (f"M{num(ox)},{num(oy + 6)} h10 a1.5,1.5 0 0 1 0,3 h-2 h7 a1.5,1.5 0 0 1 0,3 h-7 h6 "
                f"a1.5,1.5 0 0 1 0,3 h-6 h4 a1.5,1.5 0 0 1 0,3 h-12 z")
        return path(hand, "icon", 1)
    return ""
