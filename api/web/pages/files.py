"""A case's files and comments on its page: upload, download, remove with a reason, comment, and
upload the signed copy of a document (its signatures verified; who signed it beside it, and when:
as a trusted timestamp proves it, or as the signing tool states it — said to be unproven — with
when talentflow checked the signature: :func:`signed_line`).

The pages call the same ``CaseFiles`` as the JSON API (``api/resources/files.py``), so the same
rules hold: a file's kind is read from its content, a case one may not see has no files (404),
and every change is an event on the case's chain. What went wrong is said in the reader's
language, above the case page the form came from.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from api.transfer import send_kept
from api.web import bp, services
from api.web.i18n import datetime_local
from api.web.messages import refusal
from api.web.session import current_user
from engine.errors import EngineError

CASE_PATH = "/cases/<int(max=9223372036854775807):case_id>"
FILE_PATH = f"{CASE_PATH}/files/<int(max=9223372036854775807):file_id>"


def refusal(err: EngineError) -> str:
    """Why a file, a removal or a comment was not accepted, in the reader's language."""
    if err.code == "unsupported_file_type":
        return _("This file cannot be kept: only PDF, Word (.docx), Excel (.xlsx), JPEG and PNG files are "
                 "accepted, whatever the file is called.")
    if err.code == "too_large":
        return _("The file is larger than the limit of %(size)s MB.", size=limit_mb())
    if err.code == "forbidden":
        return _("You may not change this case's files or comments: that is for the process's managers and "
                 "whoever holds an open task on the case.")
    if err.code in SIGNATURE_REFUSALS:
        return _("The signed copy was not accepted: %(why)s", why=SIGNATURE_REFUSALS[err.code])
    if err.code == "already_removed":
        return _("The file was already removed.")
    field = next(iter(err.details), "")
    if field == "signed_of":
        return _("Choose a PDF of this case that the signed copy is of, or none.")
    if field == "file":
        return _("Choose a file to upload.")
    if field == "reason":
        return _("Say why the file is removed.")
    if field in ("text", "note"):
        return _("Write the comment (at most 4000 characters; a note at most 2000).")
    return refusal(err)


#: Why a signed copy was refused, by the error's code (engine/files/signatures.py).
SIGNATURE_REFUSALS = {
    "not_signed": _l("the file is not a digitally signed PDF. Upload the PDF the signing tool produced."),
    "signature_invalid": _l("the signature does not match the document: the PDF was changed after it was "
                            "signed, or the signature is broken."),
    "signature_does_not_cover_file": _l("something was added to the PDF after it was signed."),
    "signature_untrusted": _l("the signer's certificate does not come from a trusted certification authority "
                              "(or no trust roots are set: TALENTFLOW_SIGNING_TRUST_ROOTS)."),
    "signer_certificate_expired": _l("the signer's certificate was not valid at the time that counts: when a "
                                     "trusted timestamp proves it signed, or without one, now (the time the "
                                     "signing tool writes proves nothing)."),
    "signer_certificate_unusable": _l("the signer's certificate is not meant for signing documents (its key usage "
                                      "lacks non-repudiation)."),
    "signature_revoked": _l("the signer's certificate was revoked."),
    "signed_copy_mismatch": _l("it is not the signed copy of the chosen PDF: before its signature it must be that "
                               "file exactly. Sign the PDF downloaded from this case and upload what the signing "
                               "tool produced."),
    "signed_of_required": _l("choose which of the case's documents it is the signed copy of."),
    "signing_time_before_document": _l("the signature says it was made before the document was generated: the "
                                       "signing computer's clock is wrong."),
}


@bp.app_template_filter("signed_line")
def signed_line(signature: dict[str, Any]) -> str:
    """Who signed a signed copy and when: "on …" only for a time a trusted timestamp proves; else the
    signing tool's time, said to be unproven, and when talentflow checked the signature."""
    who = signature.get("signer", "") + (f", {signature['organisation']}" if signature.get("organisation") else "")
    if signature.get("signed_at"):
        return _("Signed by %(signer)s on %(when)s (proven by a trusted timestamp)", signer=who,
                 when=datetime_local(signature["signed_at"]))
    checked = signature.get("validated_at")
    if signature.get("claimed_signing_time") and checked:
        return _("Signed by %(signer)s; the signing tool states %(claimed)s (not proven); signature verified "
                 "on %(checked)s", signer=who, claimed=datetime_local(signature["claimed_signing_time"]),
                 checked=datetime_local(checked))
    if checked:
        return _("Signed by %(signer)s; signature verified on %(checked)s", signer=who, checked=datetime_local(checked))
    return _("Signed by %(signer)s", signer=who)


def limit_mb() -> str:
    return f"{int(current_app.config['MAX_FILE_BYTES']) / (1024 * 1024):g}"


def _back(case_id: int) -> Any:
    return redirect(url_for("web.case_page", case_id=case_id) + "#h-files")


def _attempt(case_id: int, change: Any, done: str) -> Any:
    try:
        change()
    except EngineError as err:
        if err.status == 404:
            raise
        flash(refusal(err), "error")
    else:
        flash(done, "ok")
    return _back(case_id)


@bp.post(f"{CASE_PATH}/files")
def attach_file(case_id: int) -> Any:
    upload = request.files.get("file")
    actor, files = current_user(), services().files
    if upload is None or not upload.filename:
        with services().store.read() as db:  # a case the reader may not see: 404 before anything is said
            files.files(db, actor, case_id)
        flash(_("Choose a file to upload."), "error")
        return _back(case_id)
    return _attempt(case_id, lambda: files.attach(actor, case_id, upload.stream, upload.filename,
                                                  request.form.get("note", "")),
                    _("The file is attached to the case."))


@bp.post(f"{CASE_PATH}/signed-documents")
def attach_signed(case_id: int) -> Any:
    upload = request.files.get("file")
    actor, files = current_user(), services().files
    if upload is None or not upload.filename:
        with services().store.read() as db:
            files.files(db, actor, case_id)
        flash(_("Choose a file to upload."), "error")
        return _back(case_id)
    return _attempt(case_id, lambda: files.attach_signed(actor, case_id, upload.stream, upload.filename,
                                                         request.form.get("signed_of"), request.form.get("note", "")),
                    _("The signed copy is verified and attached to the case."))


@bp.get(FILE_PATH)
def download_file(case_id: int, file_id: int) -> Any:
    svc = services()
    with svc.store.read() as db:
        info, path = svc.files.download(db, current_user(), case_id, file_id)
    return send_kept(info, path)


@bp.post(f"{FILE_PATH}/remove")
def remove_file(case_id: int, file_id: int) -> Any:
    actor, files = current_user(), services().files
    return _attempt(case_id, lambda: files.remove(actor, case_id, file_id, request.form.get("reason", "")),
                    _("The file is removed from the case's list; the audit trail keeps it."))


@bp.post(f"{CASE_PATH}/comments")
def add_comment(case_id: int) -> Any:
    actor, files = current_user(), services().files
    return _attempt(case_id, lambda: files.comment(actor, case_id, request.form.get("text", "")),
                    _("Your comment is added."))
