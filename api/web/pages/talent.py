"""One talent's page (``/talents/<id>``): what the registry holds of them, their yearly reviews and the
papers of the case that recognised them.

Who sees it follows the registry's rule (``api/resources/registry.py``): hr, approvers, auditors and
admins every talent; a unit head only the talents of their units and below — another unit's talent
is "not found" (404), as a case one may not see is, so the page does not tell that the talent exists.
The source case and its documents are shown as the case's own rules let the reader see them:
``Reader.visible_case`` for the link, ``CaseFiles.files`` and ``CaseDocuments.listing`` (through the
case page's ``documents_view``) for the files — a unit head who took no part in a nomination sees
the talent's registry line but neither the nomination nor its papers.
"""
from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import lazy_gettext as _l

from api.web import bp, services
from api.web.i18n import lang
from api.web.pages.documents import documents_view
from api.web.session import READERS, current_user
from api.web.spreadsheets import CATEGORIES
from engine.errors import Forbidden, NotFound
from engine.people.actors import Actor
from forms.review import OUTCOME_LABELS, RATING_LABELS
from workflows.programme import registry


def talent_scope(actor: Actor) -> list[str] | None:
    """The unit subtrees whose talents ``actor`` may read: None for all (the registry's readers), a
    unit head's units; anyone else may read none (403 on the registry's own pages)."""
    if actor.is_any(*READERS):
        return None
    if "unit_head" not in actor.roles:
        raise Forbidden(str(_l("The registry is for hr, approvers, auditors and unit heads.")))
    return [path for role, path in actor.unit_roles if role == "unit_head"]


def _label(labels: dict[str, dict[str, str]], key: str | None) -> str:
    words = labels.get(key or "")
    return (words.get(lang()) or words.get("vi") or key) if words else (key or "—")


def _may_open(svc: Any, db: Any, actor: Any, case_id: int | None) -> bool:
    if case_id is None:
        return False
    try:
        svc.reader.visible_case(db, actor, case_id)
    except NotFound:
        return False
    return True


@bp.get("/talents/<int(max=9223372036854775807):talent_id>")
def talent_page(talent_id: int) -> Any:
    svc, actor = services(), current_user()
    within = talent_scope(actor)
    with svc.store.read() as db:
        if within is not None and not registry.talent_within(db, talent_id, within):
            raise NotFound(f"talent {talent_id} not found")
        talent = registry.talent_view(db, talent_id)
        source, files, papers = talent["source_case_id"], [], None
        if source is not None:
            try:
                svc.reader.visible_case(db, actor, source)
            except NotFound:
                source = None  # the registry line stays; the case and its papers are not this reader's
            else:
                files = svc.files.files(db, actor, source)
                papers = documents_view(db, actor, source, files)
        # a review's case is linked only for a reader who may open it (a unit head outside the review: "—")
        reviews = [{**r, "rating_label": _label(RATING_LABELS, r["rating"]),
                    "outcome_label": _label(OUTCOME_LABELS, r["outcome"]),
                    "source_case_id": r["source_case_id"] if _may_open(svc, db, actor, r["source_case_id"]) else None}
                   for r in talent["reviews"]]
    in_papers = {d["docx_file_id"] for d in (papers or {}).get("generated", [])} | \
        {d["pdf_file_id"] for d in (papers or {}).get("generated", [])}
    return render_template("web/talent.html", talent=talent, reviews=reviews, source=source,
                           documents=papers, other_files=[f for f in files if f["id"] not in in_papers],
                           category=CATEGORIES.get(talent["category"], talent["category"]))
