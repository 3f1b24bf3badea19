"""A case's files and comments: attach (multipart), list, download, remove with a reason; comment;
and the signed copy of a document, kept once its signatures pass (``POST …/signed-documents``).

Who may see a file is who may see the data it belongs to (a case they may not see: 404, never
403); who may add is the process's managers and whoever holds an open task on the case
(``engine/files/access.py``); a signed copy, whoever signs off the process's papers
(``ProcessPolicy.may_sign_off``). Every change is an event on the case's chain.
"""
from __future__ import annotations

from flask import request
from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.blueprint import Blueprint
from api.resources import services
from api.schemas import Reason
from api.transfer import send_kept
from engine.errors import Invalid

blp = Blueprint("files", __name__, description="A case's files and comments")
CASE_PATH = "/cases/<int(max=9223372036854775807):case_id>"
FILE_PATH = f"{CASE_PATH}/files/<int(max=9223372036854775807):file_id>"


class SignerOut(Schema):
    signer = fields.String(metadata={"description": "the common name (CN) of the signer's certificate"})
    organisation = fields.String(metadata={"description": "its organisation (O)"})
    issuer = fields.String(metadata={"description": "who issued the certificate"})
    serial = fields.String(metadata={"description": "the certificate's serial number, in hex"})
    certificate_sha256 = fields.String(metadata={"description": "the SHA-256 of the certificate (DER)"})
    signed_at = fields.DateTime(allow_none=True, metadata={
        "description": "when it was signed, as a trusted RFC 3161 timestamp in the signature proves; null "
                       "without one (the signing tool's own time proves nothing: claimed_signing_time)"})
    claimed_signing_time = fields.DateTime(allow_none=True, metadata={
        "description": "the time the signing tool wrote into the signature: the signer's word, not proof"})
    validated_at = fields.DateTime(allow_none=True, metadata={
        "description": "the moment the certificate was judged valid at: signed_at when proven, else when "
                       "talentflow verified the signature"})
    time_proven = fields.Boolean(metadata={"description": "whether signed_at is proven by a trusted timestamp"})


class SignatureOut(SignerOut):
    signed_of = fields.Integer(allow_none=True, metadata={"description": "the case file it is the signed copy of"})
    event_seq = fields.Integer(metadata={"description": "seq of its document_signed event"})
    signatures = fields.List(fields.Nested(SignerOut), metadata={
        "description": "every signature, in signing order (the first is the one above)"})


class FileOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    name = fields.String(metadata={"description": "the name it is offered under (cleaned; extension of its kind)"})
    size = fields.Integer()
    kind = fields.String(metadata={"description": "pdf, docx, xlsx, jpeg or png: read from the content"})
    media_type = fields.String()
    sha256 = fields.String()
    note = fields.String()
    task_id = fields.String(allow_none=True, metadata={"description": "the task whose data the file belongs to"})
    attached_by = fields.String()
    attached_at = fields.DateTime()
    event_seq = fields.Integer(metadata={"description": "seq of its file_attached event"})
    signature = fields.Nested(SignatureOut, allow_none=True, metadata={
        "description": "for a signed copy: who signed it and when (its signatures were verified); else null"})


class RemovedOut(FileOut):
    removed_by = fields.String()
    removed_reason = fields.String()


class CommentIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class CommentOut(Schema):
    seq = fields.Integer()
    actor = fields.String()
    at = fields.DateTime()
    text = fields.String()


_UPLOAD = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "PDF, DOCX, XLSX, JPEG or PNG"},
        "note": {"type": "string", "maxLength": 2000},
        "task_id": {"type": "string", "description": "attach as part of this open task's data (yours to do)"}}}}}}}
_SIGNED = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "the signed PDF"},
        "signed_of": {"type": "integer", "description": "the id of the PDF on the case it is the signed copy of"},
        "note": {"type": "string", "maxLength": 2000}}}}}}}
_DOWNLOAD = {"responses": {"200": {"description": "the file, as an attachment", "content": {
    media: {"schema": {"type": "string", "format": "binary"}} for media in (
        "application/pdf", "image/jpeg", "image/png",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}}}}


@blp.post(f"{CASE_PATH}/files")
@blp.response(201, FileOut)
@blp.doc(**_UPLOAD)
def attach_file(case_id: int):  # type: ignore[no-untyped-def]
    """Attach a file (multipart field ``file``; ``note``; ``task_id`` for a task's data). Its kind is
    read from the content: anything but PDF, DOCX, XLSX, JPEG or PNG is refused (422)."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("send the file as multipart field 'file'", {"file": ["required"]})
    task_id = request.form.get("task_id") or None
    return services().files.attach(current_actor(), case_id, upload.stream, upload.filename,
                                   request.form.get("note", ""), task_id)


@blp.post(f"{CASE_PATH}/signed-documents")
@blp.response(201, FileOut)
@blp.doc(**_SIGNED)
def attach_signed(case_id: int):  # type: ignore[no-untyped-def]
    """Keep the signed copy of a document (multipart ``file``; ``signed_of``, ``note``), for the approver
    and the process's managers. Its PAdES signatures must be intact, cover the whole file and come from
    an end-entity signing certificate of a configured trust root, valid now (or when a trusted timestamp
    proves it signed); else 422 ``not_signed``, ``signature_invalid``, ``signature_does_not_cover_file``,
    ``signature_untrusted``, ``signer_certificate_unusable``, ``signer_certificate_expired`` or
    ``signature_revoked``. Before its first signature the PDF must be the ``signed_of`` file byte for
    byte (422 ``signed_copy_mismatch``); without ``signed_of`` the case's PDF it is is taken, and a case
    with generated documents requires one (422 ``signed_of_required``); a signature dated before its
    generated document is 422 ``signing_time_before_document``. Refused: nothing is kept."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("send the signed PDF as multipart field 'file'", {"file": ["required"]})
    return services().files.attach_signed(current_actor(), case_id, upload.stream, upload.filename,
                                          request.form.get("signed_of"), request.form.get("note", ""))


@blp.get(f"{CASE_PATH}/files")
@blp.response(200, FileOut(many=True))
def list_files(case_id: int):  # type: ignore[no-untyped-def]
    """The case's files you may see (removed ones are not listed), oldest first."""
    svc = services()
    with svc.store.read() as session:
        return svc.files.files(session, current_actor(), case_id)


@blp.get(FILE_PATH)
@blp.doc(**_DOWNLOAD)
def download_file(case_id: int, file_id: int):  # type: ignore[no-untyped-def]
    """Download a file: always as an attachment, with its stored name and detected media type."""
    svc = services()
    with svc.store.read() as session:
        info, path = svc.files.download(session, current_actor(), case_id, file_id)
    return send_kept(info, path)


def _remove(body, case_id: int, file_id: int):  # type: ignore[no-untyped-def]
    return services().files.remove(current_actor(), case_id, file_id, body["reason"])


@blp.post(f"{FILE_PATH}/remove")
@blp.arguments(Reason)
@blp.response(200, RemovedOut)
def remove_file(body, case_id: int, file_id: int):  # type: ignore[no-untyped-def]
    """Remove a file from the case's list, with a reason; its content stays (the chain names it)."""
    return _remove(body, case_id, file_id)


@blp.delete(FILE_PATH)
@blp.arguments(Reason)
@blp.response(200, RemovedOut)
def delete_file(body, case_id: int, file_id: int):  # type: ignore[no-untyped-def]
    """The same as ``POST …/remove``: a reason is required in the body."""
    return _remove(body, case_id, file_id)


@blp.post(f"{CASE_PATH}/comments")
@blp.arguments(CommentIn)
@blp.response(201, CommentOut)
def add_comment(body, case_id: int):  # type: ignore[no-untyped-def]
    """Comment on the case (an event on its chain)."""
    return services().files.comment(current_actor(), case_id, body["text"])


@blp.get(f"{CASE_PATH}/comments")
@blp.response(200, CommentOut(many=True))
def list_comments(case_id: int):  # type: ignore[no-untyped-def]
    """The case's comments, oldest first."""
    svc = services()
    with svc.store.read() as session:
        return svc.files.comments(session, current_actor(), case_id)
