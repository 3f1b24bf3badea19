"""Generating a case's documents over the API: numbers from a per-year register never issued
twice (also two at once on PostgreSQL), a failed generation leaving nothing — no number, file or
event — and who may generate what."""
from __future__ import annotations

from sqlalchemy import select

from engine.documents import ConversionFailed
from engine.store.models import CaseDocument, CaseFile, DocumentNumber
from tests.api.support import API, count, error_of, events, unchanged
from tests.helpers import in_threads
from tests.workflows import papers
from tests.workflows.test_talent_nomination import COUNCIL, council_votes, nominate, verify

YES = {"member1": "approve", "member2": "approve", "member3": "approve", "member4": "approve"}


def recognised_by_council(auth, name="Trần Thị Minh Anh") -> int:  # type: ignore[no-untyped-def]
    case = nominate(auth, nominee_name=name)
    case = verify(auth, case, verification_result="verified", council_members=COUNCIL)
    council_votes(auth, case, YES)
    return int(case["id"])


def issued(store) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    with store.read() as session:
        return [tuple(r) for r in session.execute(select(CaseDocument.register, CaseDocument.year,
                                                         CaseDocument.number).order_by(CaseDocument.number))]


def test_each_decision_takes_the_next_number_and_its_files_and_event_name_both_hashes(auth, store, app):
    papers.require_tools()
    first, second = recognised_by_council(auth), recognised_by_council(auth, "Lê Văn Bình & <Cộng sự>")
    one = papers.generate(auth, "hr", first, "recognition_decision")
    two = papers.generate(auth, "approver", second, "recognition_decision")
    assert (one["symbol"], two["symbol"]) == ("1/QĐ-UBND", "2/QĐ-UBND")
    _, text = papers.docx_text(papers.download(auth, "hr", second, two["docx_file_id"]))
    assert "Lê Văn Bình & <Cộng sự>" in text  # escaped, printed as written
    event = events(store, second, "document_generated")[-1]
    assert event.data["symbol"] == "2/QĐ-UBND" and event.data["kind"] == "recognition_decision"
    files = {f["kind"]: f for f in auth.as_("hr").get(f"{API}/cases/{second}/files").get_json()}
    assert event.data["docx_sha256"] == files["docx"]["sha256"] and event.data["pdf_sha256"] == files["pdf"]["sha256"]
    assert files["pdf"]["event_seq"] == event.seq
    listing = auth.as_("hr").get(f"{API}/cases/{second}/documents").get_json()
    assert listing["available"] == [] and [d["symbol"] for d in listing["generated"]] == ["2/QĐ-UBND"]
    verified = auth.as_("auditor").get(f"{API}/audit/verify").get_json()
    assert verified["ok"] is True and verified["files"] >= 4


def test_a_failed_conversion_issues_no_number_and_keeps_nothing(auth, store, app, monkeypatch):
    case_id = recognised_by_council(auth)
    documents = app.extensions["talentflow"].documents

    def broken(docx: bytes) -> bytes:
        raise ConversionFailed("LibreOffice could not convert the document (exit 1)")

    monkeypatch.setattr(documents, "convert", broken)
    with unchanged(store):
        error_of(auth.as_("hr").post(f"{API}/cases/{case_id}/documents", json={"kind": "recognition_decision"}),
                 503, "conversion_failed")
    assert count(store, CaseFile) == 0 and count(store, CaseDocument) == 0
    assert count(store, DocumentNumber) == 0  # the year's register was not even begun
    monkeypatch.setattr(documents, "soffice", "no-such-soffice")
    monkeypatch.setattr(documents, "convert", None)
    missing = error_of(auth.as_("hr").post(f"{API}/cases/{case_id}/documents",
                                           json={"kind": "recognition_decision"}), 503, "converter_unavailable")
    assert "libreoffice-writer-nogui" in missing["message"]
    monkeypatch.setattr(documents, "convert", lambda docx: b"%PDF-1.4\n%%EOF\n")
    assert papers.generate(auth, "hr", case_id, "recognition_decision")["number"] == 1  # nothing was lost


def test_who_may_generate_what_and_when(auth):
    case = nominate(auth)
    error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/documents", json={"kind": "recognition_decision"}),
             409, "document_not_available")  # not before the council has recognised
    error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/documents", json={"kind": 7}), 422)
    error_of(auth.as_("nobody").get(f"{API}/cases/{case['id']}/documents"), 404)
    case_id = recognised_by_council(auth)
    error_of(auth.as_("member1").post(f"{API}/cases/{case_id}/documents", json={"kind": "recognition_decision"}),
             403)  # a council member sees the case, but the decision is hr's and the approver's


def test_two_decisions_generated_at_once_never_share_a_number(auth, store, app, monkeypatch):
    cases = [recognised_by_council(auth, f"Người thứ {i}") for i in range(4)]
    documents = app.extensions["talentflow"].documents
    monkeypatch.setattr(documents, "convert", lambda docx: b"%PDF-1.4\n" + docx[-64:] + b"\n%%EOF\n")
    numbers = in_threads({str(c): (lambda c=c: documents.generate(_actor(app, "hr"), c, "recognition_decision")
                                   ["number"]) for c in cases})
    assert sorted(numbers.values()) == [1, 2, 3, 4]
    assert issued(store) == [("QĐ-UBND", 2026, n) for n in (1, 2, 3, 4)]


def _actor(app, username):  # type: ignore[no-untyped-def]
    from engine.people.actors import actor_for
    from engine.people.directory import get_user

    with app.extensions["talentflow"].store.read() as session:
        return actor_for(session, get_user(session, username))
