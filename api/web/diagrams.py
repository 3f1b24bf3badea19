"""The process diagram on the pages, with the case's elements marked.

The drawing and the marks are the engine's (``engine.diagram``: SVG from the
BPMN diagram interchange, the same as the API's ``diagram.svg``); this module
picks what to mark on each page, gives the diagram words in the page's
language, and embeds the SVG — sized for the page: fitted to the main column, yet never
with a word under 10 px (``engine.diagram.readable_zoom``; a wider diagram scrolls in a
focusable region, and ``static/diagram.js`` zooms and pans it by keyboard) — with its
steps as text beside it (``Diagram.steps``) for whoever cannot see or zoom the picture.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from api.web.headers import csp_nonce
from engine.diagram import render as diagram
from engine.store.models import ProcessDefinition

log = logging.getLogger(__name__)

#: The width a diagram has on a page before any script measures it: the main column (1200 px) less
#: its padding and the figure's frame. Without JavaScript the diagram is drawn for this room.
ROOM = 1130.0


@dataclass(frozen=True)
class Diagram:
    """A diagram for a page: the SVG (what ``{{ diagram }}`` writes) and its steps as text."""

    svg: Markup
    steps: tuple[diagram.Step, ...] = ()
    nonce: str = ""  # the response's CSP nonce, for the <script> that zooms it

    def __html__(self) -> str:
        return str(self.svg)

    def step_words(self, step: diagram.Step) -> str:
        """A step's states in the page's language ("đang xử lý, quá hạn")."""
        words = texts()
        return ", ".join(words[state] for state in step.states)


def texts() -> dict[str, str]:
    """The state words the diagrams draw, in the page's language."""
    return {"completed": _("completed"), "active": _("active"), "overdue": _("overdue"),
            "summary": _("%(c)s completed, %(a)s in progress, %(o)s overdue", c="{completed}", a="{active}",
                         o="{overdue}")}


def embed(drawing: str) -> Markup:
    """A server-drawn SVG (a diagram or a chart) as markup of the page. The renderers escape every
    text they draw; their <style> elements get the response's CSP nonce."""
    return Markup(drawing.replace("<style>", f'<style nonce="{csp_nonce()}">'))


def case_svg(db: Session, specs: Any, case: Any, *, only_active: str | None = None) -> Diagram | None:
    """The case's diagram as it is now; ``only_active``: mark just this element as in progress
    (a task page marks its own task)."""
    try:
        marks = diagram.case_marks(db, specs, case)
        if only_active is not None:
            marks = diagram.Marks(marks.completed - {only_active}, frozenset({only_active}),
                                  marks.overdue & {only_active})
        row = db.get(ProcessDefinition, case.definition_id)
        return _diagram(row, marks) if row is not None else None
    except Exception:  # noqa: BLE001 - a diagram that cannot be drawn must not take the page down
        log.warning("diagram of case %s not drawn", case.id, exc_info=True)
        return None


def marked_svg(db: Session, definition_id: int, *, completed: Iterable[str] = (),
               active: Iterable[str] = ()) -> Diagram | None:
    """A process version's diagram with the given elements marked (a past step of a case)."""
    row = db.get(ProcessDefinition, definition_id)
    if row is None:
        return None
    try:
        return _diagram(row, diagram.Marks(frozenset(completed), frozenset(active)))
    except Exception:  # noqa: BLE001
        log.warning("diagram of definition %s not drawn", definition_id, exc_info=True)
        return None


def _diagram(row: ProcessDefinition, marks: diagram.Marks) -> Diagram:
    svg = diagram.render_svg(row.sources, row.key, completed=marks.completed, active=marks.active,
                             overdue=marks.overdue, texts=texts(), room=ROOM)
    return Diagram(embed(svg), tuple(diagram.steps(row.sources, row.key, marks)), csp_nonce())
