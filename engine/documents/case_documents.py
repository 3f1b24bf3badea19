"""Documents generated from a case: numbered, filled, converted, kept — one command, one event.

``generate`` is a command like any step. The DOCX and its PDF are always made outside any
transaction, with the number the register would give now (LibreOffice takes seconds — up to
:data:`engine.documents.convert.TIMEOUT_SECONDS` — and a transaction held that long would hold
the case row and the register's counter on PostgreSQL, or the whole write lock on SQLite). Then,
in one transaction: the case row is locked and everything checked again, and the number is taken
(``register.take``). If it is the one guessed and the case has not moved on, the two files are
put under their hashes (engine/files' store), the ``case_file`` and ``case_document`` rows
inserted and ``document_generated`` (kind, number, symbol, both SHA-256s) appended to the case's
chain — all committed together or not at all. If another document took the guessed number
meanwhile (or the case moved on), the transaction is rolled back — the number taken goes back —
and the document is made again outside it with a new guess. Only when the :data:`TRIES`-th guess
is lost too (many documents of one register at once) is it made inside the transaction with the
number taken, as a last resort that always issues. A failure anywhere (no LibreOffice, a broken template) rolls
the number back with the rest: no number is ever on two papers and none is lost.

A document kind nobody declared (:func:`declare_kind`, called by the processes' papers) is bad
input: 422 ``validation_error``; a declared kind the case does not offer now is 409
``document_not_available``.

The policy fills a paper from ``case_view``: the data, the units' names and the display names of
the users the data mentions (``names``, from the users table), so a paper names people as they
are called, never by the name they sign in with.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.cases import CaseService, Reader
from engine.documents import register
from engine.documents.convert import docx_to_pdf
from engine.policy import DocumentKind, Issued
from engine.documents.render import render_docx, template_path
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.cases.worklist import case_roles
from engine.files import access
from engine.files.kinds import KINDS
from engine.files.storage import FileStore, Received
from engine.people.actors import Actor
from engine.people.directory import display_names
from engine.store.models import CaseDocument, CaseFile, Unit
from engine.time import clock

DOC, FILE, UNIT = CaseDocument.__table__, CaseFile.__table__, Unit.__table__
EVENT = "document_generated"
#: How many times a document is made (outside any transaction) before a busy register answers 409.
TRIES = 3
#: Every document key some process produces: declared by the processes' papers when imported.
KNOWN_KINDS: set[str] = set()


def declare_kind(key: str) -> str:
    """Declare ``key`` a document some process produces (a request naming another is bad input, 422)."""
    KNOWN_KINDS.add(key)
    return key


class _Guessed(Exception):
    """The number taken in the transaction is not the one the document was made with: roll back."""


def case_view(case: Any, units: Mapping[str, str] | None = None,
              names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What a policy is shown of a case to choose and fill its documents: all of its data (a
    document is the city's, made by people who may read the whole case) and, to fill one, the
    units' names by code and the people's display names by username (``names``: every user the
    data mentions, so a paper prints "Nguyễn Văn An", never a sign-in name)."""
    return {"id": case.id, "process_key": case.process_key, "business_key": case.business_key,
            "status": case.status, "data": dict(case.data or {}), "units": dict(units or {}),
            "names": dict(names or {})}


def mentioned(value: Any, found: set[str] | None = None, limit: int = 50_000) -> set[str]:
    """Every short string in ``value`` (values and keys, nested): the usernames the data may name,
    looked up in the users table. The engine does not know which fields name people; the
    process's papers do, and read their display names from the case view's ``names``."""
    found = set() if found is None else found
    stack = [value]
    while stack and len(found) < limit:
        item = stack.pop()
        if isinstance(item, str):
            if 2 <= len(item) <= 64:
                found.add(item)
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


def document_dict(row: Any) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "register": row.register, "year": row.year, "number": row.number,
            "symbol": row.symbol, "issued_on": row.issued_on, "docx_file_id": row.docx_file_id,
            "pdf_file_id": row.pdf_file_id, "generated_by": row.generated_by, "generated_at": row.generated_at,
            "event_seq": row.event_seq}


@dataclass
class Made:
    issued: Issued
    version: int
    docx: Received
    pdf: Received


@dataclass
class CaseDocuments:
    """The documents of cases, over the case service's steps and the file store."""

    cases: CaseService
    reader: Reader
    storage: FileStore
    templates_dir: str | None = None
    soffice: str | None = None
    #: DOCX bytes -> PDF bytes; LibreOffice unless a caller gives another.
    convert: Callable[[bytes], bytes] | None = None

    # ------------------------------------------------------------------------- reads
    def listing(self, session: Any, actor: Actor, case_id: int) -> dict[str, Any]:
        """What the actor may generate now, and what was generated (for whoever may see the case)."""
        case = self.reader.visible_case(session, actor, case_id)
        policy = self.cases.policy_for(case.process_key)
        seen = self._seen_files(session, actor, case, policy)
        generated = [document_dict(r) for r in self._rows(session, case_id) if r.pdf_file_id in seen]
        done = {g["kind"] for g in generated}
        titles = {k.key: k.title for k in policy.documents(case_view(case))}
        offered = [{"kind": k.key, "title": k.title, "register": k.register}
                   for k in policy.documents(case_view(case)) if actor.is_any(*k.roles) and k.key not in done]
        for g in generated:
            g["title"] = titles.get(g["kind"], g["kind"])
        return {"available": offered, "generated": generated}

    @staticmethod
    def _seen_files(db: Any, actor: Actor, case: Any, policy: Any) -> set[int]:
        """Ids of the case's files the actor may see: a document is listed to whoever may see its
        files (engine/files/access.py), so a paper listing what the reader may not read (the city's
        reviewed list, for a unit head) is neither listed nor served to them."""
        data, roles = case.data or {}, case_roles(db, actor, case.id)
        shown = policy.visible_data(data, actor, roles)
        rows = db.execute(select(FILE).where(FILE.c.case_id == case.id)).all()
        return {r.id for r in rows if access.file_visible(r, actor, policy, data, shown, roles)}

    @staticmethod
    def _rows(db: Any, case_id: int) -> list[Any]:
        return db.execute(select(DOC).where(DOC.c.case_id == case_id).order_by(DOC.c.id)).all()

    # ---------------------------------------------------------------------- command
    def generate(self, actor: Actor, case_id: int, kind_key: Any) -> dict[str, Any]:
        """Issue the case's document ``kind_key``: its number, DOCX and PDF, and its event."""
        if not isinstance(kind_key, str) or kind_key not in KNOWN_KINDS:
            known = ", ".join(sorted(KNOWN_KINDS)) or "none"
            raise Invalid(f"there is no document kind '{kind_key}' (documents: {known})",
                          {"kind": [f"không có loại văn bản này / no such document; one of: {known}"]})
        for attempt in range(1, TRIES + 1):
            made = self._prepare(actor, case_id, kind_key)
            try:
                with self.cases.store.command() as conn:
                    locked = self.cases.steps.lock(conn, case_id)
                    self.cases.steps.visible_or_404(conn, actor, locked)
                    kind = self._offered(conn, actor, locked, kind_key)
                    number = register.take(conn, kind.register, made.issued.year)
                    if number != made.issued.number or locked.version != made.version:
                        if attempt < TRIES:
                            raise _Guessed()  # rolls the number back with the transaction; made again outside
                        # the last resort, after TRIES guesses lost to other documents: made in the lock
                        self._discard(made)
                        issued = Issued(kind.register, made.issued.year, number, made.issued.on)
                        made = self._make(kind, issued, locked.version, self._context(conn, locked, kind, issued))
                    row = self._record(conn, actor, locked, kind, made)
                    for received in (made.docx, made.pdf):
                        self.storage.keep(received)
            except _Guessed:
                continue
            finally:
                self._discard(made)
            self.cases.workflows.rekey(case_id, locked.version - 1, locked.version)
            return row
        raise AssertionError("unreachable: the last try makes the document with the number taken")

    def _prepare(self, actor: Actor, case_id: int, kind_key: str) -> Made:
        """The document made with the number the register would give now: its context is read in a
        short read session, and it is filled and converted after that session closed, outside any
        transaction."""
        with self.cases.store.read() as session:
            case = self.reader.visible_case(session, actor, case_id)
            kind = self._offered(session, actor, case, kind_key)
            today = clock.now().astimezone(clock.CITY_ZONE).date()
            guess = Issued(kind.register, today.year, register.peek(session, kind.register, today.year), today)
            context, version = self._context(session, case, kind, guess), case.version
        return self._make(kind, guess, version, context)

    def _context(self, db: Any, case: Any, kind: DocumentKind, issued: Issued) -> dict[str, Any]:
        """What the policy fills the template with: the case, the units' names, the people's names."""
        units = {row.code: row.name for row in db.execute(select(UNIT.c.code, UNIT.c.name))}
        names = display_names(db, mentioned(case.data or {}))
        return self.cases.policy_for(case.process_key).document_context(kind.key, case_view(case, units, names),
                                                                         issued)

    def _offered(self, db: Any, actor: Actor, case: Any, kind_key: str) -> DocumentKind:
        policy = self.cases.policy_for(case.process_key)
        kinds = {k.key: k for k in policy.documents(case_view(case))}
        kind = kinds.get(kind_key)
        if kind is None:
            raise Conflict(f"the case offers no document '{kind_key}' now"
                           + (f" (it offers: {', '.join(sorted(kinds))})" if kinds else ""),
                           {"kind": [f"one of: {', '.join(sorted(kinds)) or 'none now'}"]}, code="document_not_available")
        if not actor.is_any(*kind.roles):
            raise Forbidden(f"'{kind.key}' is generated by: {', '.join(sorted(kind.roles))}")
        if any(r.kind == kind.key for r in self._rows(db, case.id)):
            raise Conflict(f"the case's '{kind.key}' was already generated; it is among the case's files",
                           code="already_generated")
        return kind

    def _make(self, kind: DocumentKind, issued: Issued, version: int, context: Mapping[str, Any]) -> Made:
        """Fill and convert the document (seconds: inside a transaction only as the last resort)."""
        docx = render_docx(template_path(kind.template, self.templates_dir), context)
        pdf = self.convert(docx) if self.convert else docx_to_pdf(docx, self.soffice)
        first = self.storage.receive(io.BytesIO(docx))
        try:
            second = self.storage.receive(io.BytesIO(pdf))
        except BaseException:
            self.storage.discard(first)
            raise
        return Made(issued, version, first, second)

    def _discard(self, made: Made) -> None:
        self.storage.discard(made.docx)
        self.storage.discard(made.pdf)

    def _record(self, conn: Connection, actor: Actor, case: Any, kind: DocumentKind, made: Made) -> dict[str, Any]:
        chain = self.cases.steps.chain_of(conn, case)
        issued, now, seq = made.issued, clock.now(), chain.seq + 1
        files = []
        for received, ext in ((made.docx, "docx"), (made.pdf, "pdf")):
            name = f"{kind.key}_{issued.number}_{issued.year}.{ext}"
            file_id = conn.execute(insert(FILE).values(
                case_id=case.id, sha256=received.sha256, name=name, size=received.size, kind=ext,
                media_type=KINDS[ext].media_type, note=f"{kind.key} {issued.symbol}", task_id=None, element_id=None,
                attached_by=actor.username, attached_by_id=actor.user_id or None, attached_at=now,
                attached_seq=seq)).inserted_primary_key[0]
            files.append({"file_id": file_id, "sha256": received.sha256, "name": name, "size": received.size,
                          "kind": ext})
        values = dict(case_id=case.id, kind=kind.key, register=issued.register, year=issued.year,
                      number=issued.number, symbol=issued.symbol, issued_on=issued.on.isoformat(),
                      docx_file_id=files[0]["file_id"], pdf_file_id=files[1]["file_id"],
                      generated_by=actor.username, generated_at=now, event_seq=seq)
        doc_id = conn.execute(insert(DOC).values(**values)).inserted_primary_key[0]
        chain.add(EVENT, actor.username, data={
            "document_id": doc_id, "kind": kind.key, "register": issued.register, "year": issued.year,
            "number": issued.number, "symbol": issued.symbol, "issued_on": issued.on.isoformat(),
            "docx_sha256": made.docx.sha256, "pdf_sha256": made.pdf.sha256, "files": files})
        self.cases.steps.write_case(conn, case, chain, actor, case.version)
        return {"id": doc_id, **values, "title": kind.title, "files": files}
