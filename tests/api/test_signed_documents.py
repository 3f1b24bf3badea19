"""Signed copies coming back: the approver uploads the decision signed outside; talentflow keeps it
only once its signature passes, records who signed it and when, and shows it on the case."""
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
from tests.engine.files.test_signatures import CHAIRMAN, CITY_ROOT, OTHER_ROOT
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


def signed_decision(**kwargs):  # type: ignore[no-untyped-def]
    return pki.sign(pki.decision_pdf(), CHAIRMAN, CITY_ROOT, **kwargs)


def test_a_signed_decision_is_kept_with_its_signer_and_time_and_shown_in_the_file_list(trusted, auth, case):
    app = trusted
    draft = attached(auth, "hr", case["id"], pki.decision_pdf(), "QD_12.pdf")
    response = send_signed(auth, "hr", case["id"], signed_decision(), signed_of=draft["id"])
    assert response.status_code == 201, response.get_json()
    file = response.get_json()
    assert file["kind"] == "pdf" and file["name"] == "QD_12_da_ky.pdf"
    signature = file["signature"]
    assert signature["signer"] == "Nguyễn Văn Chủ Tịch" and signature["organisation"] == "UBND thành phố Hải Phòng"
    assert signature["signed_at"].startswith("2026-03-02T01:30:00") and signature["signed_of"] == draft["id"]
    assert signature["certificate_sha256"] == CHAIRMAN.cert.fingerprint(pki.hashes.SHA256()).hex()
    assert signature["serial"] == format(CHAIRMAN.cert.serial_number, "x")

    listed = {f["id"]: f for f in auth.as_("head_khcn").get(f"{API}/cases/{case['id']}/files").get_json()}
    assert listed[draft["id"]]["signature"] is None
    assert listed[file["id"]]["signature"] == signature

    store = app.extensions["talentflow"].store
    [event] = events(store, case["id"], "document_signed")
    assert event.data["sha256"] == file["sha256"] and event.data["file_id"] == file["id"]
    assert (event.data["signer"], event.data["signed_at"], event.data["signed_of"]) == \
        ("Nguyễn Văn Chủ Tịch", "2026-03-02T01:30:00+00:00", draft["id"])
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
], ids=["altered bytes", "incremental update", "untrusted CA", "unsigned", "not a pdf", "expired certificate"])
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
