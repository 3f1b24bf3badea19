"""Signed copies coming back: the approver uploads the decision signed outside; talentflow keeps it
only once its signature passes and it is the signed copy of the case's document (the same bytes,
with the signature appended), records who signed it — and when, as claimed or as proven by a
trusted timestamp — and shows it on the case."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.files import SignatureChecker, load_trust_roots
from engine.store.models import CaseFile
from tests.api.support import API, count, error_of, events, unchanged
from tests.api.test_files import attached, kept, nothing_incoming, verify
from tests.engine.files import pki, samples
from tests.engine.files.test_signatures import BACK_THEN, CHAIRMAN, CITY_ROOT, CITY_TSA, LAPSED, OTHER_ROOT
from tests.workflows import papers
from tests.helpers import start_training
from tests.workflows.test_nomination_allowance import up_to_the_decision
from tests.workflows.test_talent_nomination import nominate
from workflows import build_services


@pytest.fixture
def trusted(app, tmp_path):  # type: ignore[no-untyped-def]
    """The city's root configured as the trust root (as TALENTFLOW_SIGNING_TRUST_ROOTS does)."""
    app.extensions["talentflow"].files.signatures = SignatureChecker(
        load_trust_roots(pki.write_roots(tmp_path / "roots", CITY_ROOT)))
    return app


@pytest.fixture
def case(auth):  # type: ignore[no-untyped-def]
    return start_training(auth)


def send_signed(auth, user, case_id, content, name="QD_12_da_ky.pdf", signed_of=None):  # type: ignore[no-untyped-def]
    form = {"file": (io.BytesIO(content), name, "application/pdf")}
    if signed_of is not None:
        form["signed_of"] = str(signed_of)
    return auth.as_(user).post(f"{API}/cases/{case_id}/signed-documents", data=form,
                               content_type="multipart/form-data")


def signed_decision(pdf=None, **kwargs):  # type: ignore[no-untyped-def]
    """``pdf`` (a fresh decision by default) signed by the chairman, as the signing tool returns it."""
    return pki.sign(pdf if pdf is not None else pki.decision_pdf(), CHAIRMAN, CITY_ROOT, **kwargs)


def draft_of(auth, case_id, name="QD_12.pdf", text="QUYET DINH so 12/QD-UBND"):  # type: ignore[no-untyped-def]
    """A decision's PDF attached to the case, and its bytes (what the chairman is given to sign)."""
    content = pki.decision_pdf(text)
    return attached(auth, "hr", case_id, content, name), content


def test_a_signed_decision_is_kept_with_its_signer_and_time_and_shown_in_the_file_list(trusted, auth, case):
    app = trusted
    draft, content = draft_of(auth, case["id"])
    response = send_signed(auth, "hr", case["id"], signed_decision(content), signed_of=draft["id"])
    assert response.status_code == 201, response.get_json()
    file = response.get_json()
    assert file["kind"] == "pdf" and file["name"] == "QD_12_da_ky.pdf"
    signature = file["signature"]
    assert signature["signer"] == "Nguyễn Văn Chủ Tịch" and signature["organisation"] == "UBND thành phố Hải Phòng"
    assert signature["signed_of"] == draft["id"]
    # the signing tool's time is its word; nothing proves it, so it is not "signed_at"
    assert signature["signed_at"] is None and signature["time_proven"] is False
    assert signature["claimed_signing_time"].startswith("2026-03-02T01:30:00")
    assert signature["validated_at"].startswith("2026-03-02T02:00:00")  # judged now, by the one clock
    assert signature["certificate_sha256"] == CHAIRMAN.cert.fingerprint(pki.hashes.SHA256()).hex()
    assert signature["serial"] == format(CHAIRMAN.cert.serial_number, "x")

    listed = {f["id"]: f for f in auth.as_("head_khcn").get(f"{API}/cases/{case['id']}/files").get_json()}
    assert listed[draft["id"]]["signature"] is None
    assert listed[file["id"]]["signature"] == signature

    store = app.extensions["talentflow"].store
    [event] = events(store, case["id"], "document_signed")
    assert event.data["sha256"] == file["sha256"] and event.data["file_id"] == file["id"]
    assert (event.data["signer"], event.data["signed_at"], event.data["claimed_signing_time"],
            event.data["validated_at"], event.data["signed_of"]) == \
        ("Nguyễn Văn Chủ Tịch", None, "2026-03-02T01:30:00+00:00", "2026-03-02T02:00:00+00:00", draft["id"])
    assert event.seq == signature["event_seq"] == file["event_seq"] + 1  # beside its file_attached, one step
    assert [e.data["file_id"] for e in events(store, case["id"], "file_attached")] == [draft["id"], file["id"]]

    report = verify(auth)
    assert report["ok"] is True, report
    replay = auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay").get_json()
    assert replay["consistent"] is True, replay
    history = auth.as_("hr").get(f"{API}/cases/{case['id']}/history").get_json()
    assert "document_signed" in [e["type"] for e in history]


@pytest.mark.parametrize("make, code", [
    (lambda: signed_decision().replace(b"so 12/QD-UBND", b"so 13/QD-UBND"), "signature_invalid"),
    (lambda: pki.change_page_after_signing(signed_decision()), "signature_does_not_cover_file"),
    (lambda: pki.sign(pki.decision_pdf(), pki.signer_cert(OTHER_ROOT), OTHER_ROOT), "signature_untrusted"),
    (lambda: pki.decision_pdf(), "not_signed"),
    (lambda: samples.docx(), "not_signed"),
    (lambda: pki.sign(pki.decision_pdf(), pki.signer_cert(
        CITY_ROOT, not_before=pki.SIGNING_DAY - timedelta(days=400), not_after=pki.SIGNING_DAY - timedelta(days=1)),
        CITY_ROOT), "signer_certificate_expired"),
    (lambda: pki.sign(pki.decision_pdf(), LAPSED, CITY_ROOT, when=BACK_THEN), "signer_certificate_expired"),
    (lambda: pki.sign(pki.decision_pdf(), CITY_ROOT, CITY_ROOT), "signature_untrusted"),
    (lambda: pki.sign(pki.decision_pdf(), pki.signer_cert(CITY_ROOT, for_signing=False), CITY_ROOT),
     "signer_certificate_unusable"),
], ids=["altered bytes", "incremental update", "untrusted CA", "unsigned", "not a pdf", "expired certificate",
        "backdated with an expired certificate", "the root itself", "not a signing certificate"])
def test_a_broken_altered_untrusted_or_unsigned_copy_is_refused_and_nothing_is_kept(trusted, auth, case, make, code):
    app = trusted
    store = app.extensions["talentflow"].store
    with unchanged(store):
        error = error_of(send_signed(auth, "hr", case["id"], make()), 422, code)
    assert error["details"]["file"] and error["message"]
    assert count(store, CaseFile) == 0 and kept(app) == [] and nothing_incoming(app)
    assert events(store, case["id"], "document_signed") == []


def test_without_trust_roots_in_the_settings_a_good_signature_is_refused_saying_so(app, auth, case):
    error = error_of(send_signed(auth, "hr", case["id"], signed_decision()), 422, "signature_untrusted")
    assert "TALENTFLOW_SIGNING_TRUST_ROOTS" in error["message"]
    assert kept(app) == []


def test_the_approver_uploads_the_signed_decision_others_on_the_case_may_not(trusted, auth):
    case = up_to_the_decision(auth, nominate(auth, nominee_name="Trần Thị Minh Anh"))
    error_of(send_signed(auth, "nominator", case["id"], signed_decision()), 403, "forbidden")
    response = send_signed(auth, "approver", case["id"], signed_decision())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["signature"]["signer"] == "Nguyễn Văn Chủ Tịch"
    assert response.get_json()["attached_by"] == "approver"


def test_a_task_holder_may_attach_files_but_only_managers_upload_signed_copies(trusted, auth, case):
    """On a training case (no approver), expert1 mentors with an open task; hr manages."""
    attached(auth, "expert1", case["id"], samples.pdf())
    with unchanged(trusted.extensions["talentflow"].store):
        error_of(send_signed(auth, "expert1", case["id"], signed_decision()), 403, "forbidden")
    error_of(send_signed(auth, "auditor", case["id"], signed_decision()), 403, "forbidden")
    error_of(send_signed(auth, "nominator", case["id"], signed_decision()), 404, "not_found")


def test_signed_of_must_name_a_pdf_of_the_same_case(trusted, auth, case):
    app = trusted
    store = app.extensions["talentflow"].store
    image = attached(auth, "hr", case["id"], samples.png(), "anh.png")
    elsewhere = attached(auth, "hr", start_training(auth)["id"], pki.decision_pdf(), "khac.pdf")
    for signed_of in (image["id"], elsewhere["id"], 999999, "abc", -1):
        with unchanged(store):
            error = error_of(send_signed(auth, "hr", case["id"], signed_decision(), signed_of=signed_of), 422)
        assert "signed_of" in error["details"]
    with store.read() as session:
        assert session.scalars(select(CaseFile.name).order_by(CaseFile.id)).all() == ["anh.png", "khac.pdf"]


def test_a_backdated_signature_is_shown_signed_on_its_timestamp_only_when_a_trusted_tsa_proves_it(
        trusted, auth, case):
    draft, content = draft_of(auth, case["id"])
    stamped = pki.sign(content, LAPSED, CITY_ROOT, when=BACK_THEN, stamped_by=CITY_TSA)
    response = send_signed(auth, "hr", case["id"], stamped, signed_of=draft["id"])
    assert response.status_code == 201, response.get_json()
    signature = response.get_json()["signature"]
    assert signature["time_proven"] is True and signature["signer"] == "Trần Văn Cũ"
    assert signature["signed_at"].startswith("2024-10-18T09:00:00")  # proven by the city's TSA
    assert signature["validated_at"] == signature["signed_at"]  # the certificate judged then, when it was valid
    assert signature["claimed_signing_time"].startswith("2024-10-18T09:00:00")


def test_the_signed_copy_of_another_pdf_is_refused_as_a_mismatch_and_nothing_is_kept(trusted, auth, case):
    app = trusted
    store = app.extensions["talentflow"].store
    draft, _ = draft_of(auth, case["id"])
    other_case = start_training(auth)
    _, elsewhere = draft_of(auth, other_case["id"], "QD_99.pdf", "QUYET DINH so 99/QD-UBND")
    # another case's decision, validly signed by the same chairman, offered as this draft's signed copy
    for stranger in (signed_decision(elsewhere), signed_decision()):
        with unchanged(store):
            error = error_of(send_signed(auth, "hr", case["id"], stranger, signed_of=draft["id"]), 422,
                             "signed_copy_mismatch")
        assert "not a signed copy of file" in error["message"] and error["details"]["signed_of"]
    assert events(store, case["id"], "document_signed") == [] and nothing_incoming(app)
    assert count(store, CaseFile) == 2


def test_a_signed_copy_without_signed_of_is_tied_to_the_case_pdf_it_was_signed_from(trusted, auth, case):
    draft_of(auth, case["id"], "QD_11.pdf", "QUYET DINH so 11/QD-UBND")
    draft, content = draft_of(auth, case["id"])
    response = send_signed(auth, "hr", case["id"], signed_decision(content))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["signature"]["signed_of"] == draft["id"]
    loose = send_signed(auth, "hr", case["id"], signed_decision())  # a case without generated documents
    assert loose.status_code == 201 and loose.get_json()["signature"]["signed_of"] is None


def generated_decision(app, auth, monkeypatch):  # type: ignore[no-untyped-def]
    """A case the council recognised, its decision generated (the PDF made here, not by LibreOffice)."""
    from tests.api.test_documents import recognised_by_council

    case_id = recognised_by_council(auth)
    pdf = pki.decision_pdf("QUYET DINH so 1/QD-UBND")
    monkeypatch.setattr(app.extensions["talentflow"].documents, "convert", lambda docx: pdf)
    return case_id, papers.generate(auth, "approver", case_id, "recognition_decision")["pdf_file_id"], pdf


def test_on_a_case_with_generated_documents_the_copy_must_be_of_one_of_them(trusted, auth, monkeypatch,
                                                                            manual_clock):
    store = trusted.extensions["talentflow"].store
    case_id, pdf_id, pdf = generated_decision(trusted, auth, monkeypatch)
    manual_clock.advance(timedelta(hours=1))  # the chairman signs an hour after it was generated
    signing = manual_clock.now()
    with unchanged(store):
        error = error_of(send_signed(auth, "approver", case_id, signed_decision(when=signing)), 422,
                         "signed_of_required")
    assert error["details"]["signed_of"]
    response = send_signed(auth, "approver", case_id, signed_decision(pdf, when=signing))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["signature"]["signed_of"] == pdf_id  # found by its bytes


def test_a_signature_claiming_a_time_before_its_document_was_generated_is_refused(trusted, auth, monkeypatch):
    store = trusted.extensions["talentflow"].store
    case_id, pdf_id, pdf = generated_decision(trusted, auth, monkeypatch)
    before = signed_decision(pdf, when=pki.SIGNING_DAY - timedelta(days=1))  # generated at 02:00 on the day
    with unchanged(store):
        error = error_of(send_signed(auth, "approver", case_id, before, signed_of=pdf_id), 422,
                         "signing_time_before_document")
    assert "2026-03-01T01:30:00+00:00" in error["message"] and "was generated" in error["message"]
    assert events(store, case_id, "document_signed") == [] and nothing_incoming(trusted)


def test_no_file_field_is_refused_in_the_error_shape(trusted, auth, case):
    response = auth.as_("hr").post(f"{API}/cases/{case['id']}/signed-documents", data={},
                                   content_type="multipart/form-data")
    assert error_of(response, 422)["details"] == {"file": ["required"]}


def test_the_trust_roots_of_the_settings_are_loaded_when_the_services_are_built(tmp_path, manual_clock):
    roots = pki.write_roots(tmp_path / "roots", CITY_ROOT, OTHER_ROOT)
    built = build_services({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "FILES_DIR": str(tmp_path / "files"),
                            "SIGNING_TRUST_ROOTS": str(roots)})
    try:
        assert len(built.files.signatures.roots) == 2 and built.files.signatures.check_revocation is False
        assert built.files.signatures.verify(signed_decision()).signer.common_name == "Nguyễn Văn Chủ Tịch"
    finally:
        built.store.dispose()
