"""A case's official documents on its page: a "Generate" button per document the case offers now
(for whoever may generate it), and the documents generated so far — their title, number and
symbol, date, the DOCX and PDF to download and, once a signed copy of the PDF is uploaded,
"signed by … on …".

The button posts to ``/cases/<id>/documents``, which calls the same ``CaseDocuments.generate`` as
``POST /api/v1/cases/{id}/documents``: the same rules, the same one transaction and event. What
went wrong (already generated, no LibreOffice, a failed conversion, not one's to generate) is said
in the reader's language above the case page, and nothing is issued or kept.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from api.web import bp, services
from api.web.i18n import process_word
from api.web.messages import refusal
from api.web.session import current_user
from engine.errors import EngineError

CASE_PATH = "/cases/<int(max=9223372036854775807):case_id>"


def refusal(err: EngineError) -> str:
    """Why a document was not generated, in the reader's language."""
    if err.code == "already_generated":
        return _("This document was already generated: it is in the case's list of documents, and no new "
                 "number was issued.")
    if err.code == "decision_recorded":
        return _("This decision was already recorded with a number given outside talentflow; a generated "
                 "paper would carry a second number, so nothing was issued. Upload the signed paper to the "
                 "case instead.")
    if err.code == "document_not_available":
        return _("The case does not offer this document now; nothing was issued.")
    if err.code == "converter_unavailable":
        return _("The PDF cannot be made: LibreOffice is not installed on the server. Nothing was issued; "
                 "ask the administrator to install it.")
    if err.code == "conversion_failed":
        return _("The PDF could not be made, so nothing was issued. Try again later, or tell the "
                 "administrator.")
    if err.code == "template_invalid":
        return _("The document's Word template cannot be filled (a placeholder was changed). Nothing was "
                 "issued; ask the administrator to correct the template.")
    if err.status == 403:
        return _("You may not generate this document.")
    if err.status == 422:
        return _("Choose a document to generate.")
    return refusal(err)


def documents_view(db: Any, actor: Any, case_id: int, files: list[dict[str, Any]]) -> dict[str, Any]:
    """What the case page shows of the case's documents: those the reader may generate now and those
    generated, each with its visible DOCX and PDF and the verified signed copies of that PDF."""
    listing = services().documents.listing(db, actor, case_id)
    visible = {f["id"]: f for f in files}
    signed: dict[int, list[dict[str, Any]]] = {}
    for f in files:
        of = (f.get("signature") or {}).get("signed_of")
        if of:
            signed.setdefault(int(of), []).append(f)
    generated = []
    for doc in listing["generated"]:
        generated.append({**doc, "title": process_word(doc.get("title") or doc["kind"]),
                          "docx": visible.get(doc["docx_file_id"]), "pdf": visible.get(doc["pdf_file_id"]),
                          "signed": signed.get(doc["pdf_file_id"], [])})
    offered = [{**k, "title": process_word(k["title"])} for k in listing["available"]]
    return {"offered": offered, "generated": generated,
            "pdf_ids": [d["pdf_file_id"] for d in generated if d["pdf"] is not None]}


def signed_of_choices(files: list[dict[str, Any]], documents: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's PDFs a signed copy may be of, the generated documents' PDFs first (by title and
    number), then the other PDFs by name; signed copies themselves are not offered."""
    by_pdf = {d["pdf_file_id"]: d for d in documents["generated"] if d["pdf"] is not None}
    pdfs = [f for f in files if f["kind"] == "pdf" and not f.get("signature")]
    first = [{"id": f["id"], "label": _("%(title)s, No. %(symbol)s (%(name)s)", title=by_pdf[f["id"]]["title"],
                                        symbol=by_pdf[f["id"]]["symbol"], name=f["name"])}
             for f in pdfs if f["id"] in by_pdf]
    return first + [{"id": f["id"], "label": f["name"]} for f in pdfs if f["id"] not in by_pdf]


@bp.post(f"{CASE_PATH}/documents")
def generate_document(case_id: int) -> Any:
    actor, documents = current_user(), services().documents
    kind = (request.form.get("kind") or "").strip()
    try:
        made = documents.generate(actor, case_id, kind)
    except EngineError as err:
        if err.status == 404:
            raise
        flash(refusal(err), "error")
    else:
        flash(_("%(title)s No. %(symbol)s is generated: its Word file and PDF are among the case's files.",
                title=process_word(made.get("title") or kind), symbol=made["symbol"]), "ok")
    return redirect(url_for("web.case_page", case_id=case_id) + "#h-documents")
