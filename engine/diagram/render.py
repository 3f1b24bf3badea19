"""Process diagrams as SVG, drawn on the server, with a case's progress marked on them.

People read a case by its diagram: what is done, what waits for whom, what is
late. The picture is drawn from the BPMN diagram interchange of the deployed
files (the modeller's own layout), so it matches what the process owner drew;
every element is a ``<g data-element-id=…>`` with state classes (``completed``,
``active``, ``overdue``) so pages can style or script it, and the inline
stylesheet gives it a readable look on its own (also as an ``<img>``).

``render_svg`` is pure; ``process_diagram`` / ``case_diagram`` read what they
need from the database for the API and the web pages.
"""
from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from engine.time import clock
from engine.definitions import state
from engine.definitions.versions import SpecCache
from engine.diagram.draw import (ACTIVITIES, FONT, SMALL, badge, edge_body, edge_label, external_label, label_extent,
                                 shape_body)
from engine.diagram.layout import DiagramUnavailable, Layout, find_process, parse_bpmn, read_layout
from engine.diagram.svg import FONT_STACK, attr, esc, num, text_lines, wrap
from engine.errors import NotFound
from engine.store.models import ProcessDefinition, Task

__all__ = ["DiagramUnavailable", "Marks", "Step", "render_svg", "readable_zoom", "steps", "placeholder_svg", "layout_of", "workflow_marks",
           "case_marks", "process_diagram", "case_diagram"]

MARGIN = 20.0
#: The smallest text a diagram draws (the labels beside events, gateways and flows), in user units:
#: a page's zoom times this is the size its smallest words read at.
SMALLEST_TEXT = min(FONT, SMALL)
#: The state words of titles and the description, in English. The engine knows no reader or language: a
#: caller that draws for a reader passes ``texts`` with these keys, translated (the web pages do, from
#: their message catalogues); ``summary`` is a ``str.format`` template.
DEFAULT_TEXTS: Mapping[str, str] = {
    "completed": "completed", "active": "in progress", "overdue": "overdue",
    "summary": "{completed} completed, {active} in progress, {overdue} overdue"}

STYLE = """
.bpmn-diagram{font-family:%(font)s}
.bpmn-diagram .bpmn-background{fill:#fff}
.bpmn-diagram .shape{fill:#fff;stroke:#22242a}
.bpmn-diagram .container{fill:#fff;stroke:#22242a}
.bpmn-diagram .container-line,.bpmn-diagram .mark{fill:none;stroke:#22242a}
.bpmn-diagram .icon{fill:#fff;stroke:#22242a}
.bpmn-diagram .icon-fill{fill:#22242a;stroke:#22242a}
.bpmn-diagram .icon-flap{fill:none;stroke:#fff}
.bpmn-diagram .flow{fill:none;stroke:#22242a;stroke-linejoin:round;stroke-linecap:round}
.bpmn-diagram .arrow{fill:#22242a;stroke:#22242a}
.bpmn-diagram .arrow.open{fill:#fff}
.bpmn-diagram text{fill:#22242a}
.bpmn-diagram .completed .shape{stroke:#5d7f68;fill:#e6eee8}
.bpmn-diagram .completed .flow{stroke:#7f9c89}
.bpmn-diagram .completed .arrow{stroke:#7f9c89;fill:#7f9c89}
.bpmn-diagram .completed .arrow.open{fill:#fff}
.bpmn-diagram .active .shape{stroke:#1761c9;stroke-width:4px;fill:#e3eeff}
.bpmn-diagram .active .shape.inner{stroke-width:1.5px}
.bpmn-diagram .overdue .shape{stroke:#c62828;fill:#fde9e9}
.bpmn-diagram .badge-done{fill:#5d7f68;stroke:#fff}
.bpmn-diagram .badge-late{fill:#c62828;stroke:#fff}
.bpmn-diagram .badge-mark{fill:#fff;stroke:#fff}
""" % {"font": FONT_STACK}


@dataclass(frozen=True)
class Marks:
    """Element ids to mark on a diagram."""

    completed: frozenset[str] = frozenset()
    active: frozenset[str] = frozenset()
    overdue: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Drawing:
    """What does not depend on a case: each element's drawing, the labels, the view box."""

    layout: Layout
    shapes: tuple[str, ...]
    edges: tuple[str, ...]
    labels: str
    viewbox: tuple[float, float, float, float]


_cache: OrderedDict[str, Any] = OrderedDict()
_lock = threading.Lock()
_CACHE_SIZE = 128


def _cached(key: str, build: Callable[[], Any]) -> Any:
    """Layouts and drawings per content hash: deployed files never change, and parsing and drawing
    the largest process costs about ten milliseconds where marking a cached drawing costs one."""
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    value = build()
    with _lock:
        _cache[key] = value
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def _files(sources: Iterable[Any]) -> list[tuple[str, bytes | str]]:
    """``ProcessDefinition.sources`` ({"name", "content"} dicts), :class:`SourceFile` objects or
    (name, content) pairs."""
    out = []
    for source in sources:
        if isinstance(source, Mapping):
            out.append((str(source.get("name") or "diagram.bpmn"), source.get("content") or ""))
        elif isinstance(source, (tuple, list)) and len(source) == 2:
            out.append((str(source[0]), source[1]))
        else:
            out.append((str(source.name), source.content))
    return out


def _key(files: list[tuple[str, bytes | str]], process_id: str | None) -> str:
    digest = hashlib.sha256()
    for name, content in files:
        digest.update(name.encode("utf-8", "replace") + b"\0")
        digest.update((content.encode("utf-8", "replace") if isinstance(content, str) else content) + b"\0")
    return f"{digest.hexdigest()}:{process_id or ''}"


def layout_of(sources: Iterable[Any], process_id: str | None = None) -> Layout:
    """The diagram geometry of ``process_id`` (default: the main process of the BPMN file)."""
    files = _files(sources)

    def build() -> Layout:
        root, pid = find_process([(name, parse_bpmn(name, content)) for name, content in files], process_id)
        return read_layout(root, pid)

    return _cached(_key(files, process_id), build)


def _drawing(sources: Iterable[Any], process_id: str | None, labels: bool) -> _Drawing:
    files = _files(sources)

    def build() -> _Drawing:
        layout = layout_of(files, process_id)
        label_parts = ([_label_group(s.id, external_label(s)) for s in layout.shapes]
                       + [_label_group(e.id, edge_label(e)) for e in layout.edges]) if labels else []
        return _Drawing(layout, tuple(shape_body(s, labels) for s in layout.shapes),
                        tuple(edge_body(e) for e in layout.edges), "".join(label_parts), _viewbox(layout, labels))

    return _cached(f"{_key(files, process_id)}:drawing:{int(labels)}", build)


def render_svg(sources: Iterable[Any], process_id: str | None = None, *, completed: Iterable[str] = (),
               active: Iterable[str] = (), overdue: Iterable[str] = (), labels: bool = True,
               texts: Mapping[str, str] | None = None, room: float | None = None) -> str:
    """The diagram as a standalone SVG document (UTF-8 text, no XML declaration); with ``room`` (pixels)
    sized at its :func:`readable_zoom` for that width, else at its drawn size (the view box stays either
    way, and ``data-smallest-text`` tells a page's script how small its words get at a zoom).

    A sequence flow is marked completed when it is listed, or when its source is completed and
    its target was reached (completed or active). ``texts`` translates the state words used in
    titles and the description (keys of :data:`DEFAULT_TEXTS`). Raises
    :class:`DiagramUnavailable` when the files hold no diagram of the process."""
    drawing = _drawing(sources, process_id, labels)
    layout = drawing.layout
    words = {**DEFAULT_TEXTS, **(texts or {})}
    done, now_active, late = set(completed), set(active), set(overdue)
    reached = done | now_active
    shapes_out, edges_out = [], []
    for shape, body in zip(layout.shapes, drawing.shapes):
        states = [s for s, ids in (("completed", done), ("active", now_active), ("overdue", late)) if shape.id in ids]
        if "overdue" in states:
            body += badge(shape, "overdue")
        elif states == ["completed"]:  # done and not again in progress (a loop)
            body += badge(shape, "completed")
        shapes_out.append(_group(shape.id, shape.kind, shape.name, states, body, words))
    for edge, body in zip(layout.edges, drawing.edges):
        taken = edge.id in done or (edge.kind == "sequenceFlow" and edge.source in done and edge.target in reached)
        edges_out.append(_group(edge.id, edge.kind, edge.name, ["completed"] if taken else [], body, words))
    x, y, w, h = drawing.viewbox
    zoom = readable_zoom(w, room) if room is not None else 1.0
    summary = words["summary"].format(completed=len(done), active=len(now_active), overdue=len(late))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram" role="img" '
            f'aria-label={attr(layout.name)} viewBox="{num(x)} {num(y)} {num(w)} {num(h)}" '
            f'width="{num(w * zoom)}" height="{num(h * zoom)}" data-smallest-text="{num(SMALLEST_TEXT)}" '
            f'data-process-id={attr(layout.process_id)}>'
            f"<title>{esc(layout.name)}</title><desc>{esc(summary)}</desc><style>{STYLE}</style>"
            f'<rect class="bpmn-background" x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}"/>'
            f'<g class="bpmn-shapes">{"".join(shapes_out)}</g><g class="bpmn-edges">{"".join(edges_out)}</g>'
            f'<g class="bpmn-labels">{drawing.labels}</g></svg>')


def readable_zoom(width: float, room: float, smallest_px: float = 10.0) -> float:
    """The zoom a page first shows a diagram ``width`` wide at, in ``room`` pixels: fitted to the room,
    never enlarged, and never so small that its smallest text reads below ``smallest_px`` — a diagram
    too wide for that scrolls rather than shrinks to unreadable words (the exam's drew them at 4.8 px)."""
    readable = math.ceil(smallest_px / SMALLEST_TEXT * 1000) / 1000  # rounded up: 10.01 px, not 9.9999
    return max(readable, min(1.0, room / width)) if width > 0 else 1.0


@dataclass(frozen=True)
class Step:
    """An activity of the diagram, named as drawn, with its states (completed, active, overdue)."""

    id: str
    name: str
    states: tuple[str, ...]


def steps(sources: Iterable[Any], process_id: str | None = None, marks: Marks = Marks()) -> list[Step]:
    """The diagram's named activities in reading order (left to right, then top to bottom) with the
    case's marks: what the picture says, as text for whoever cannot see or zoom it."""
    layout = _drawing(sources, process_id, True).layout
    found = sorted((s for s in layout.shapes if s.kind in ACTIVITIES and s.name.strip()),
                   key=lambda s: (round(s.bounds.x / 20), s.bounds.y))
    return [Step(s.id, s.name.strip(), tuple(state for state, ids in (("completed", marks.completed),
                                                                      ("active", marks.active),
                                                                      ("overdue", marks.overdue)) if s.id in ids))
            for s in found]


def _group(element_id: str, kind: str, name: str, states: list[str], body: str, words: Mapping[str, str]) -> str:
    classes = " ".join(["bpmn-element", f"bpmn-{kind}", *states])
    title = name or _humanize(kind)
    if states:
        title += " (" + ", ".join(words[s] for s in states) + ")"
    return f'<g class="{classes}" data-element-id={attr(element_id)}><title>{esc(title)}</title>{body}</g>'


def _label_group(element_id: str, body: str) -> str:
    return f'<g class="bpmn-label" data-label-for={attr(element_id)}>{body}</g>' if body else ""


def _humanize(kind: str) -> str:
    words = "".join(" " + c.lower() if c.isupper() else c for c in kind).strip()
    return words[:1].upper() + words[1:]


def _viewbox(layout: Layout, labels: bool) -> tuple[float, float, float, float]:
    box = layout.extent()
    left, top, right, bottom = box.x, box.y, box.right, box.bottom
    if labels:
        for shape in layout.shapes:
            extra = label_extent(shape)
            if extra is not None:
                left, top = min(left, extra.x), min(top, extra.y)
                right, bottom = max(right, extra.right), max(bottom, extra.bottom)
    return left - MARGIN, top - MARGIN, right - left + 2 * MARGIN, bottom - top + 2 * MARGIN


def placeholder_svg(message: str, width: float = 480, height: float = 90) -> str:
    """A small framed message where a diagram cannot be drawn (for pages; the API answers 422)."""
    lines = wrap(message, width - 40, 14)[:3]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram bpmn-placeholder" role="img" '
            f'aria-label={attr(message)} viewBox="0 0 {num(width)} {num(height)}" width="{num(width)}" '
            f'height="{num(height)}"><title>{esc(message)}</title><style>{STYLE}</style>'
            f'<rect class="shape" x="1" y="1" width="{num(width - 2)}" height="{num(height - 2)}" rx="8" '
            f'stroke-width="1" stroke-dasharray="6,4"/>'
            f'{text_lines(lines, width / 2, height / 2 - len(lines) * 8.4, 14)}</svg>')


# ------------------------------------------------------------------ case state
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def workflow_marks(workflow: Any) -> Marks:
    """Completed and active BPMN elements of a SpiffWorkflow workflow (subprocesses included).

    A boundary event waiting on its activity is armed, not in progress: it is not marked."""
    completed: set[str] = set()
    active: set[str] = set()
    for task in workflow.get_tasks():
        element_id = getattr(task.task_spec, "bpmn_id", None)
        if not element_id:
            continue  # the engine's own bookkeeping tasks (Start, End joins...)
        if task.state == TaskState.COMPLETED:
            completed.add(element_id)
        elif task.state & _ACTIVE and not (task.state == TaskState.WAITING and _is_boundary(task.task_spec)):
            active.add(element_id)
    return Marks(frozenset(completed), frozenset(active))


def _is_boundary(spec: Any) -> bool:
    return type(spec).__name__ == "BoundaryEvent"


def overdue_elements(db: Session | Connection, case_id: int) -> frozenset[str]:
    """Elements of the case's ready human tasks whose due date has passed."""
    rows = db.execute(select(Task.element_id).where(Task.case_id == case_id, Task.status == "ready",
                                                    Task.due_at.isnot(None), Task.due_at < clock.now()))
    return frozenset(row[0] for row in rows)


def case_marks(db: Session | Connection, specs: SpecCache, case: Any) -> Marks:
    """What ``case`` (a :class:`~engine.store.models.Case` or a record of one) has done and is doing now."""
    definition = specs.get(db, case.definition_id)
    workflow = state.load_workflow(definition.dialect, case.state, definition.spec, definition.subprocess_specs,
                                   None)
    marks = workflow_marks(workflow)
    return Marks(marks.completed, marks.active, overdue_elements(db, case.id) & marks.active)


def definition_row(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    query = select(ProcessDefinition).where(ProcessDefinition.key == key)
    query = query.where(ProcessDefinition.version == version) if version is not None else \
        query.order_by(ProcessDefinition.version.desc()).limit(1)
    row = session.scalar(query)
    if row is None:
        raise NotFound(f"unknown process '{key}'" + (f" version {version}" if version is not None else ""))
    return row


def process_diagram(session: Session, key: str, version: int | None = None, **options: Any) -> str:
    """The diagram of a deployed process version (default: the latest)."""
    row = definition_row(session, key, version)
    return render_svg(row.sources, row.key, **options)


def case_diagram(session: Session, specs: SpecCache, case: Any, marks: Marks | None = None,
                 **options: Any) -> str:
    """The diagram of ``case``'s process version with ``marks`` (default: the case as it is now)."""
    row = session.get(ProcessDefinition, case.definition_id)
    if row is None:
        raise NotFound(f"process definition of case {case.id} not found")
    marks = marks if marks is not None else case_marks(session, specs, case)
    return render_svg(row.sources, row.key, completed=marks.completed, active=marks.active,
                      overdue=marks.overdue, **options)
