"""Files and comments on a case, each a command like any step: one transaction, one event.

Attaching a file locks the case row, checks the actor, inserts the ``case_file`` row and appends
``file_attached`` (SHA-256, name, size, kind) to the case's chain, saving the chain's head with
the same version-matching UPDATE every step uses; removing (``file_removed``, with a reason) and
commenting (``comment_added``) alike. The content is received and its kind read *before* the
transaction (a refused file leaves nothing behind), and put under its hash name only once
everything was checked, just before the commit: an event never names content that was not kept.
(A commit that fails after that leaves unreferenced content, which is harmless and shows nowhere.)

A signed copy (:meth:`CaseFiles.attach_signed`) is attached the same way, its signatures verified
(``signatures.py``) after it is received and before the transaction, with a ``document_signed``
event beside its ``file_attached`` in the same step. It is tied to the document it is the signed
copy of (``signed_of``) by its bytes: before its first signature it must be that PDF byte for
byte (``signed_copy_mismatch`` otherwise); without ``signed_of``, the case's PDF it is byte for
byte is taken, and on a case that has generated documents one of them is required
(``signed_of_required``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, BinaryIO

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.audit import events as audit
from engine.cases import CaseRecord, CaseService, Reader
from engine.cases.worklist import case_roles
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.files import access
from engine.files.kinds import Kind, clean_name, detect
from engine.files.signatures import CLOCK_SKEW, SignatureChecker, SignatureReport
from engine.files.signed import file_id_of, signature_view, signatures_of, signed_data
from engine.files.storage import FileStore, Received
from engine.people.actors import Actor
from engine.store.models import Case, CaseDocument, CaseFile, Event
from engine.time import clock

FILE, EVENT, CASE, DOCUMENT = CaseFile.__table__, Event.__table__, Case.__table__, CaseDocument.__table__
MAX_NOTE, MAX_REASON, MAX_COMMENT = 2000, 2000, 4000
#: Events that name a file: what they say of one the reader may not see is left out.
FILE_EVENTS = ("file_attached", "file_removed", "document_signed")


def _text(value: Any, field: str, limit: int, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise Invalid(f"{field} is required", {field: ["required"]})
    if len(text) > limit or "\x00" in text:
        raise Invalid(f"{field} is too long or not text", {field: [f"at most {limit} characters of text"]})
    return text


def file_dict(row: Any, signature: dict[str, Any] | None = None) -> dict[str, Any]:
    """A file as the API and the pages show it; ``signature``: what its ``document_signed`` event
    says (:func:`signature_view`), None for a file that was not uploaded as a signed copy."""
    return {"id": row.id, "case_id": row.case_id, "name": row.name, "size": row.size, "kind": row.kind,
            "media_type": row.media_type, "sha256": row.sha256, "note": row.note, "task_id": row.task_id,
            "attached_by": row.attached_by, "attached_at": row.attached_at, "event_seq": row.attached_seq,
            "signature": signature}


@dataclass
class CaseFiles:
    """The files and comments of cases, over the case service's steps and the reader's rules."""

    cases: CaseService
    reader: Reader
    storage: FileStore
    #: Verifies signed copies; by default one trusting no root, so every signature is refused.
    signatures: SignatureChecker = field(default_factory=lambda: SignatureChecker(()))

    # ---------------------------------------------------------------------- commands
    def attach(self, actor: Actor, case_id: int, stream: BinaryIO, filename: str | None, note: Any = "",
               task_id: str | None = None) -> dict[str, Any]:
        """Keep the content of ``stream`` and attach it to the case (for ``task_id``: as part of
        that task's data); the new file as :func:`file_dict` shows it."""
        note = _text(note, "note", MAX_NOTE, required=False)
        with self.cases.store.read() as session:  # who may not add learns so before anything is kept
            conn = session.connection()
            self._writable(conn, actor, self._case(conn, case_id), task_id)
        received = self.storage.receive(stream)
        try:
            kind = detect(received.path)
            name = clean_name(filename, kind)
            with self.cases.store.command() as conn:
                case = self.cases.steps.lock(conn, case_id)
                element_id = self._writable(conn, actor, case, task_id)
                chain = self._chain(conn, case)
                file = self._insert(conn, chain, actor, case, received, kind, name, note, task_id, element_id)
                old = case.version
                self.cases.steps.write_case(conn, case, chain, actor, old)
                self.storage.keep(received)
        finally:
            self.storage.discard(received)
        self.cases.workflows.rekey(case.id, old, case.version)
        return file

    def attach_signed(self, actor: Actor, case_id: int, stream: BinaryIO, filename: str | None,
                      signed_of: Any = None, note: Any = "") -> dict[str, Any]:
        """Keep a signed PDF on the case once its signatures pass (:mod:`engine.files.signatures`):
        ``file_attached`` and ``document_signed`` (signer, time, certificate; ``signed_of``: the
        case's PDF it is the signed copy of, :meth:`_signed_copy_of`) in one step. A refused copy
        leaves nothing."""
        note = _text(note, "note", MAX_NOTE, required=False)
        signed_of = file_id_of(signed_of)
        with self.cases.store.read() as session:
            conn = session.connection()
            self._may_sign(conn, actor, self._case(conn, case_id), signed_of)
        received = self.storage.receive(stream)
        try:
            kind = detect(received.path)
            if kind.name != "pdf":
                raise Invalid(f"a signed copy is a signed PDF, not a {kind.name.upper()} file",
                              {"file": ["a signed PDF"]}, code="not_signed")
            report = self.signatures.verify(received.path)
            name = clean_name(filename, kind)
            with self.cases.store.command() as conn:
                case = self.cases.steps.lock(conn, case_id)
                original = self._may_sign(conn, actor, case, signed_of)
                signed_of = self._signed_copy_of(conn, actor, case, report, original)
                chain = self._chain(conn, case)
                file = self._insert(conn, chain, actor, case, received, kind, name, note, None, None)
                event = chain.add("document_signed", actor.username, data=signed_data(file, report, signed_of))
                old = case.version
                self.cases.steps.write_case(conn, case, chain, actor, old)
                self.storage.keep(received)
        finally:
            self.storage.discard(received)
        self.cases.workflows.rekey(case.id, old, case.version)
        return {**file, "signature": signature_view(event["data"], event["seq"])}

    def _insert(self, conn: Connection, chain: audit.Chain, actor: Actor, case: CaseRecord, received: Received,
                kind: Kind, name: str, note: str, task_id: str | None, element_id: str | None) -> dict[str, Any]:
        """The ``case_file`` row and its ``file_attached`` event; the file as :func:`file_dict` shows it."""
        values = dict(case_id=case.id, sha256=received.sha256, name=name, size=received.size,
                      kind=kind.name, media_type=kind.media_type, note=note, task_id=task_id,
                      element_id=element_id, attached_by=actor.username,
                      attached_by_id=actor.user_id or None, attached_at=clock.now(),
                      attached_seq=chain.seq + 1)
        file_id = conn.execute(insert(FILE).values(**values)).inserted_primary_key[0]
        chain.add("file_attached", actor.username, task_id=task_id,
                  data={"file_id": file_id, "sha256": received.sha256, "name": name,
                        "size": received.size, "kind": kind.name, "note": note})
        return file_dict(SimpleNamespace(id=file_id, **values))

    def remove(self, actor: Actor, case_id: int, file_id: int, reason: Any) -> dict[str, Any]:
        """Take a file off the case's list, with a reason; its content stays (the chain names it)."""
        reason = _text(reason, "reason", MAX_REASON, required=True)
        with self.cases.store.command() as conn:
            case = self.cases.steps.lock(conn, case_id)
            self.cases.steps.visible_or_404(conn, actor, case)
            row = self._visible_file(conn, actor, case, file_id)
            if row.removed_at is not None:
                raise Conflict(f"file {file_id} was already removed", code="already_removed")
            policy = self.cases.policy_for(case.process_key)
            own = row.attached_by_id == actor.user_id and access.may_add(
                conn, actor, policy, case.id, case_roles(conn, actor, case.id))
            if not (own or policy.may_keep_files(actor)):
                raise Forbidden("only whoever attached a file, while they may add to the case, or the "
                                "process's managers may remove it")
            chain = self._chain(conn, case)
            chain.add("file_removed", actor.username, task_id=row.task_id,
                      data={"file_id": row.id, "sha256": row.sha256, "name": row.name, "size": row.size,
                            "kind": row.kind, "reason": reason})
            conn.execute(update(FILE).where(FILE.c.id == row.id).values(
                removed_by=actor.username, removed_at=clock.now(), removed_reason=reason, removed_seq=chain.seq))
            old = case.version
            self.cases.steps.write_case(conn, case, chain, actor, old)
        self.cases.workflows.rekey(case.id, old, case.version)
        return {**file_dict(row), "removed_by": actor.username, "removed_reason": reason}

    def comment(self, actor: Actor, case_id: int, text: Any) -> dict[str, Any]:
        """Add a comment to the case (``comment_added``)."""
        text = _text(text, "text", MAX_COMMENT, required=True)
        with self.cases.store.command() as conn:
            case = self.cases.steps.lock(conn, case_id)
            self._writable(conn, actor, case, None)
            chain = self._chain(conn, case)
            event = chain.add("comment_added", actor.username, data={"text": text})
            old = case.version
            self.cases.steps.write_case(conn, case, chain, actor, old)
        self.cases.workflows.rekey(case.id, old, case.version)
        return {"seq": event["seq"], "actor": actor.username, "at": event["at"], "text": text}

    @staticmethod
    def _case(conn: Connection, case_id: int) -> CaseRecord:
        row = conn.execute(select(CASE).where(CASE.c.id == case_id)).first()
        if row is None:
            raise NotFound(f"case {case_id} not found")
        return CaseRecord.from_row(row)

    def _chain(self, conn: Connection, case: CaseRecord) -> audit.Chain:
        return self.cases.steps.chain_of(conn, case)

    def _may_sign(self, db: Connection, actor: Actor, case: CaseRecord, signed_of: int | None) -> Any:
        """404 for a case the actor may not see, 403 unless the policy lets them sign off its papers;
        ``signed_of`` must be a PDF on the case that they see (422 otherwise): its row, or None."""
        self.cases.steps.visible_or_404(db, actor, case)
        if not self.cases.policy_for(case.process_key).may_sign_off(actor):
            raise Forbidden("signed copies are uploaded by whoever signs off the process's papers (the approver) "
                            "or its managers")
        if signed_of is None:
            return None
        row = next((r for r in self._visible_rows(db, actor, case) if r.id == signed_of), None)
        if row is None or row.kind != "pdf":
            raise Invalid(f"file {signed_of} is not a PDF on case {case.id}",
                          {"signed_of": ["the id of a PDF file on this case"]})
        return row

    def _signed_copy_of(self, db: Connection, actor: Actor, case: CaseRecord, report: SignatureReport,
                        row: Any) -> int | None:
        """The id of the case's PDF the signed one is the signed copy of. The signing tool appends its
        signature to the bytes it was given, so the PDF as it was before its first signature must be
        ``row`` byte for byte (422 ``signed_copy_mismatch``). Without ``row``: the case's PDF it is
        byte for byte, if there is one; else none — but a case with generated documents must be
        told which (422 ``signed_of_required``). A generated PDF did not exist before it was
        generated, so a signature saying it was made earlier is refused
        (``signing_time_before_document``)."""
        if row is None:
            row = next((r for r in self._visible_rows(db, actor, case)
                        if r.kind == "pdf" and report.is_copy_of(r.sha256)), None)
            if row is None:
                if db.execute(select(DOCUMENT.c.id).where(DOCUMENT.c.case_id == case.id).limit(1)).first():
                    message = ("say which of the case's documents this is the signed copy of (signed_of): the "
                               "signed PDF is none of the case's PDFs with a signature added")
                    raise Invalid(message, {"signed_of": [message]}, code="signed_of_required")
                return None
        elif not report.is_copy_of(row.sha256):
            message = (f"the signed PDF is not a signed copy of file {row.id} ({row.name}): before its signature "
                       "it is not that file byte for byte. Sign the PDF downloaded from the case and upload "
                       "what the signing tool produced")
            raise Invalid(message, {"signed_of": [message]}, code="signed_copy_mismatch")
        generated = db.execute(select(DOCUMENT.c.generated_at).where(DOCUMENT.c.pdf_file_id == row.id)).scalar()
        when = report.signing_time
        if generated is not None and when is not None and when < generated - CLOCK_SKEW:
            message = (f"the signature says it was made at {when.isoformat()}, before {row.name} was generated "
                       f"({generated.isoformat()}): the signing computer's clock is wrong or the time was set back")
            raise Invalid(message, {"file": [message]}, code="signing_time_before_document")
        return int(row.id)

    def _writable(self, db: Connection, actor: Actor, case: CaseRecord, task_id: str | None) -> str | None:
        """404 for a case the actor may not see, 403 when they may not add to it; for a task's
        file, that task must be open on this case and theirs to do. Returns its element id."""
        self.cases.steps.visible_or_404(db, actor, case)
        roles = case_roles(db, actor, case.id)
        if task_id is None:
            if not access.may_add(db, actor, self.cases.policy_for(case.process_key), case.id, roles):
                raise Forbidden("only the process's managers and whoever holds an open task on the case may add to it")
            return None
        task = next((t for t in access.open_tasks(db, case.id) if t.id == task_id), None)
        if task is None:
            raise NotFound(f"no open task {task_id} on case {case.id}", {"task_id": ["not an open task of this case"]})
        if not access.holds_task(db, actor, task, roles, self.cases.policy_for(case.process_key)):
            raise Forbidden("files for a task are attached by whoever may do it")
        return str(task.element_id)

    # ------------------------------------------------------------------------- reads
    def _visible_rows(self, db: Session | Connection, actor: Actor, case: Any, removed: bool = False) -> list[Any]:
        query = select(FILE).where(FILE.c.case_id == case.id)
        if not removed:
            query = query.where(FILE.c.removed_at.is_(None))
        rows = db.execute(query.order_by(FILE.c.id)).all()
        if not rows:
            return rows
        policy, data = self.cases.policy_for(case.process_key), case.data or {}
        roles = case_roles(db, actor, case.id)
        shown = policy.visible_data(data, actor, roles)
        return [row for row in rows if access.file_visible(row, actor, policy, data, shown, roles)]

    def _visible_file(self, db: Session | Connection, actor: Actor, case: Any, file_id: int) -> Any:
        row = next((r for r in self._visible_rows(db, actor, case, removed=True) if r.id == file_id), None)
        if row is None:
            raise NotFound(f"file {file_id} not found on case {case.id}")
        return row

    def files(self, session: Session, actor: Actor, case_id: int) -> list[dict[str, Any]]:
        """The case's files (not removed) the actor may see, oldest first."""
        case = self.reader.visible_case(session, actor, case_id)
        signed = signatures_of(session, case_id)
        return [file_dict(row, signed.get(row.id)) for row in self._visible_rows(session, actor, case)]

    def download(self, session: Session, actor: Actor, case_id: int, file_id: int) -> tuple[dict[str, Any], Path]:
        """A file the actor may see and where its content is; a removed one for auditors only."""
        case = self.reader.visible_case(session, actor, case_id)
        row = self._visible_file(session, actor, case, file_id)
        if row.removed_at is not None and not actor.is_any("auditor"):
            raise NotFound(f"file {file_id} was removed from case {case_id}")
        path = self.storage.path_of(row.sha256)
        if not path.is_file():
            raise NotFound(f"the content of file {file_id} is missing from the file store "
                           "(talentflow verify-audit reports it)", code="content_missing")
        return file_dict(row), path

    def may_add(self, session: Session, actor: Actor, case_id: int) -> bool:
        """Whether the actor, who may see the case, may attach files to it and comment on it now."""
        case = self.reader.visible_case(session, actor, case_id)
        return access.may_add(session, actor, self.cases.policy_for(case.process_key), case.id,
                              case_roles(session, actor, case.id))

    def may_sign(self, session: Session, actor: Actor, case_id: int) -> bool:
        """Whether the actor, who may see the case, may upload a signed copy of a document to it."""
        case = self.reader.visible_case(session, actor, case_id)
        return self.cases.policy_for(case.process_key).may_sign_off(actor)

    def comments(self, session: Session, actor: Actor, case_id: int) -> list[dict[str, Any]]:
        self.reader.visible_case(session, actor, case_id)
        rows = session.execute(select(EVENT.c.seq, EVENT.c.actor, EVENT.c.at, EVENT.c.data)
                               .where(EVENT.c.case_id == case_id, EVENT.c.type == "comment_added")
                               .order_by(EVENT.c.seq)).all()
        return [{"seq": r.seq, "actor": r.actor, "at": r.at, "text": (r.data or {}).get("text", "")} for r in rows]

    def seal_history(self, session: Session, actor: Actor, case_id: int,
                     events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The case's events with what they say of files the actor may not see left out (a sealed
        round-2 document's name is as sealed as the document)."""
        if not any(e["type"] in FILE_EVENTS for e in events):
            return events
        case = self.reader.visible_case(session, actor, case_id)
        seen = {row.id for row in self._visible_rows(session, actor, case, removed=True)}
        out = []
        for event in events:
            file_id = (event.get("data") or {}).get("file_id")
            if event["type"] in FILE_EVENTS and file_id not in seen:
                event = {**event, "data": {"file_id": file_id, "sealed": True}}
            out.append(event)
        return out
