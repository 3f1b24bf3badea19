"""The process diagram on the pages, with the case's elements marked.

The drawing and the marks are the engine's (``engine.diagram``: SVG from the
BPMN diagram interchange, the same as the API's ``diagram.svg``); this module
picks what to mark on each page, gives the diagram words in the page's
language, and embeds the SVG.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from api.web.headers import csp_nonce
from engine.diagram import render as diagram
from engine.store.models import ProcessDefinition

log = logging.getLogger(__name__)


def _texts() -> dict[str, str]:
    return {"completed": _("completed"), "active": _("active"), "overdue": _("overdue"),
            "summary": _("%(c)s completed, %(a)s in progress, %(o)s overdue", c="{completed}", a="{active}",
                         o="{overdue}")}


def embed(drawing: str) -> Markup:
    """A server-drawn SVG (a diagram or a chart) as markup of the page. The renderers escape every
    text they draw; their <style> elements get the response's CSP nonce."""
    return Markup(drawing.replace("<style>", f'<style nonce="{csp_nonce()}">'))


def case_svg(db: Session, specs: Any, case: Any, *, only_active: str | None = None) -> Markup | None:
    """The case's diagram as it is now; ``only_active``: mark just this element as in progress
    (a task page marks its own task)."""
    try:
        marks = diagram.case_marks(db, specs, case)
        if only_active is not None:
            marks = diagram.Marks(marks.completed - {only_active}, frozenset({only_active}),
                                  marks.overdue & {only_active})
        return embed(diagram.case_diagram(db, specs, case, marks, texts=_texts()))
    except Exception:  # noqa: BLE001 - a diagram that cannot be drawn must not take the page down
        log.warning("diagram of case %s not drawn", case.id, exc_info=True)
        return None


def marked_svg(db: Session, definition_id: int, *, completed: Iterable[str] = (),
               active: Iterable[str] = ()) -> Markup | None:
    """A process version's diagram with the given elements marked (a past step of a case)."""
    row = db.get(ProcessDefinition, definition_id)
    if row is None:
        return None
    try:
        return embed(diagram.render_svg(row.sources, row.key, completed=completed, active=active, texts=_texts()))
    except Exception:  # noqa: BLE001
        log.warning("diagram of definition %s not drawn", definition_id, exc_info=True)
        return None
