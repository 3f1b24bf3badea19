"""Generating a case's documents over the API: numbers from a per-year register never issued
twice (also two at once on PostgreSQL), a failed generation leaving nothing — no number, file or
event — who may generate what, LibreOffice never run while a transaction is open, and the
approver's decision holding to the generated paper's number and date."""
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


def test_who_may_generate_what_and_when(auth, store):
    case = nominate(auth)
    error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/documents", json={"kind": "recognition_decision"}),
             409, "document_not_available")  # not before the council has recognised
    error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/documents", json={"kind": 7}), 422)
    with unchanged(store):  # a kind no process produces is bad input, not "not now"
        unknown = error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/documents", json={"kind": "foo"}),
                           422, "validation_error")
    assert "recognition_decision" in unknown["details"]["kind"][0]
    error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/documents", json={"kind": "scoring_minutes"}),
             409, "document_not_available")  # a known paper, of another process
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


def fake_pdf(docx: bytes) -> bytes:
    return b"%PDF-1.4\n" + docx[-64:] + b"\n%%EOF\n"


def test_libreoffice_runs_outside_the_transaction_and_a_number_taken_meanwhile_makes_the_paper_again(
        auth, store, app, monkeypatch):
    """While the first decision is being converted, a second one is generated and takes number 1.
    The second generation could not finish if the first held a transaction during its conversion
    (SQLite's write lock, PostgreSQL's case and counter rows); the first, finding 1 taken, rolls back
    and makes its paper again outside with number 2 — three conversions in all, no number lost."""
    first, second = recognised_by_council(auth), recognised_by_council(auth, "Lê Văn Bình")
    documents = app.extensions["talentflow"].documents
    converted: list[int] = []

    def convert(docx: bytes) -> bytes:
        converted.append(len(converted) + 1)
        if len(converted) == 1:  # the first conversion of the first decision: the other goes meanwhile
            assert documents.generate(_actor(app, "hr"), second, "recognition_decision")["number"] == 1
        return fake_pdf(docx)

    monkeypatch.setattr(documents, "convert", convert)
    made = documents.generate(_actor(app, "approver"), first, "recognition_decision")
    assert made["symbol"] == "2/QĐ-UBND" and converted == [1, 2, 3]
    assert issued(store) == [("QĐ-UBND", 2026, 1), ("QĐ-UBND", 2026, 2)]
    _, text = papers.docx_text(papers.download(auth, "hr", first, made["docx_file_id"]))
    assert "Số: 2/QĐ-UBND" in text and "Số: 1/QĐ-UBND" not in text  # the paper kept is the remade one
    assert count(store, CaseFile) == 4  # the first try's files were discarded, never kept
    with store.read() as session:
        assert session.scalar(select(DocumentNumber.last_number)) == 2


def test_a_register_busy_every_time_makes_the_last_try_in_the_transaction_and_still_issues(
        auth, store, app, monkeypatch):
    """Each of the first TRIES conversions loses its number to another decision generated meanwhile;
    the last resort makes the paper inside the transaction with the number taken, never a 500."""
    from engine.documents.case_documents import TRIES

    target = recognised_by_council(auth)
    others = [recognised_by_council(auth, f"Người thứ {i}") for i in range(TRIES)]
    documents = app.extensions["talentflow"].documents
    pending, calls = list(others), []

    def convert(docx: bytes) -> bytes:
        calls.append(docx)
        if len(calls) <= 2 * TRIES and pending and len(calls) % 2 == 1:
            documents.generate(_actor(app, "hr"), pending.pop(0), "recognition_decision")
        return fake_pdf(docx)

    monkeypatch.setattr(documents, "convert", convert)
    made = documents.generate(_actor(app, "approver"), target, "recognition_decision")
    assert made["number"] == TRIES + 1 and len(calls) == 2 * TRIES + 1
    assert issued(store) == [("QĐ-UBND", 2026, n) for n in range(1, TRIES + 2)]


def decision_task(auth, case_id):  # type: ignore[no-untyped-def]
    from tests.helpers import ready_task

    return ready_task(auth.as_("approver").get(f"{API}/cases/{case_id}").get_json(), "recognition_decision")


def test_the_approver_records_the_generated_decisions_number_and_date_or_nothing_changes(
        auth, store, app, monkeypatch):
    from tests.helpers import complete
    from tests.workflows.test_talent_nomination import registered_talents

    monkeypatch.setattr(app.extensions["talentflow"].documents, "convert", fake_pdf)
    case_id = recognised_by_council(auth)
    made = papers.generate(auth, "approver", case_id, "recognition_decision")
    assert (made["symbol"], made["issued_on"]) == ("1/QĐ-UBND", "2026-03-02")
    task = decision_task(auth, case_id)
    with unchanged(store):
        typed_again = error_of(auth.as_("approver").post(f"{API}/tasks/{task['id']}/complete", json={"data": {
            "decision": "recognised", "decision_no": "512/QĐ-UBND", "decision_date": "2026-04-15"}}),
            422, "validation_error")
    assert "1/QĐ-UBND" in typed_again["message"] and "02/03/2026" in typed_again["message"]
    assert typed_again["details"]["decision_no"] == [
        "phải là 1/QĐ-UBND, số của quyết định công nhận đã tạo / must be 1/QĐ-UBND, the number of the generated "
        "recognition decision"]
    assert "2026-03-02" in typed_again["details"]["decision_date"][0]
    assert registered_talents(auth) == [] and decision_task(auth, case_id)["status"] == "ready"
    with unchanged(store):  # the right number on another date is not the paper either, nor spaced out
        error_of(auth.as_("approver").post(f"{API}/tasks/{task['id']}/complete", json={"data": {
            "decision": "recognised", "decision_no": "1/QĐ-UBND", "decision_date": "2026-03-03"}}), 422)
        error_of(auth.as_("approver").post(f"{API}/tasks/{task['id']}/complete", json={"data": {
            "decision": "recognised", "decision_no": " 1/QĐ-UBND", "decision_date": "2026-03-02"}}), 422)

    case = complete(auth, "approver", task["id"], {"decision": "recognised", "decision_no": "1/QĐ-UBND",
                                                    "decision_date": "2026-03-02"})
    assert case["status"] == "recognised"
    [talent] = registered_talents(auth)
    assert (talent["decision_no"], talent["recognised_on"], talent["allowance_from"]) == (
        "1/QĐ-UBND", "2026-03-02", "2026-03-02")


def test_a_decision_recorded_before_any_paper_keeps_its_typed_number_and_is_not_generated_after(
        auth, store, app, monkeypatch):
    """No generated paper: the approver's number stands (numbered outside talentflow). Generating it
    afterwards would put a second number on the same decision: 409, nothing issued."""
    from tests.helpers import complete
    from tests.workflows.test_talent_nomination import registered_talents

    monkeypatch.setattr(app.extensions["talentflow"].documents, "convert", fake_pdf)
    case_id = recognised_by_council(auth)
    complete(auth, "approver", decision_task(auth, case_id)["id"],
             {"decision": "recognised", "decision_no": "512/QĐ-UBND", "decision_date": "2026-04-15"})
    assert registered_talents(auth)[0]["decision_no"] == "512/QĐ-UBND"
    with unchanged(store):
        refused = error_of(auth.as_("hr").post(f"{API}/cases/{case_id}/documents",
                                               json={"kind": "recognition_decision"}), 409, "decision_recorded")
    assert "512/QĐ-UBND" in refused["message"] and "15/04/2026" in refused["message"]
    assert count(store, CaseDocument) == 0 and count(store, DocumentNumber) == 0 and count(store, CaseFile) == 0
