"""A case's official documents: what may be generated now, what was, and generating one.

``POST /cases/{id}/documents {kind}`` issues the next number of the document's register, fills
its Word template, makes the PDF with LibreOffice and keeps both as the case's files, with a
``document_generated`` event — one transaction (``engine/documents``). Which documents a case
offers, and who may generate them, is the process's policy's to say; this module names none.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.blueprint import Blueprint
from api.resources import services

blp = Blueprint("documents", __name__, description="A case's official documents (Decree 30/2020)")
CASE_PATH = "/cases/<int(max=9223372036854775807):case_id>"


class DocumentIn(Schema):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "one of the kinds the case lists as available"})


class OfferedOut(Schema):
    kind = fields.String()
    title = fields.String(metadata={"description": "the document's name (a message id of the pages' catalogues)"})
    register = fields.String(metadata={"description": "its register: the symbol after the number, e.g. QĐ-UBND"})


class DocumentFileOut(Schema):
    file_id = fields.Integer()
    sha256 = fields.String()
    name = fields.String()
    size = fields.Integer()
    kind = fields.String(metadata={"description": "docx or pdf"})


class DocumentOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    register = fields.String()
    year = fields.Integer()
    number = fields.Integer()
    symbol = fields.String(metadata={"description": "number and symbol as printed, e.g. 12/QĐ-UBND"})
    issued_on = fields.String(metadata={"description": "the document's date (city time), YYYY-MM-DD"})
    docx_file_id = fields.Integer()
    pdf_file_id = fields.Integer()
    generated_by = fields.String()
    generated_at = fields.DateTime()
    event_seq = fields.Integer(metadata={"description": "seq of its document_generated event"})


class GeneratedOut(DocumentOut):
    files = fields.List(fields.Nested(DocumentFileOut))


class DocumentsOut(Schema):
    available = fields.List(fields.Nested(OfferedOut), metadata={"description": "what you may generate now"})
    generated = fields.List(fields.Nested(DocumentOut))


@blp.get(f"{CASE_PATH}/documents")
@blp.response(200, DocumentsOut)
def list_documents(case_id: int):  # type: ignore[no-untyped-def]
    """The documents you may generate now and those generated (their files are the case's files)."""
    svc = services()
    with svc.store.read() as session:
        return svc.documents.listing(session, current_actor(), case_id)


@blp.post(f"{CASE_PATH}/documents")
@blp.arguments(DocumentIn)
@blp.response(201, GeneratedOut)
def generate_document(body, case_id: int):  # type: ignore[no-untyped-def]
    """Generate a document: its number from the register, the DOCX and the PDF as case files, and its
    event. 409 ``document_not_available`` or ``already_generated``; 503 ``converter_unavailable``
    (LibreOffice missing), ``conversion_failed`` or ``template_invalid``: nothing is issued or kept."""
    return services().documents.generate(current_actor(), case_id, body["kind"])
