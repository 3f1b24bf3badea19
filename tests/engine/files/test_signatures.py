"""A signed PDF coming back: kept as signed only when its signature is intact, covers the whole
file and was made with a certificate of a trusted root that was valid when it signed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import Invalid
from engine.files import SignatureChecker, TrustRootsError, load_trust_roots
from tests.engine.files import pki, samples

CITY_ROOT = pki.root_ca("Test National Root CA")
OTHER_ROOT = pki.root_ca("Some Other Root CA", "Không phải cơ quan chứng thực")
CHAIRMAN = pki.signer_cert(CITY_ROOT)


@pytest.fixture
def checker(manual_clock, tmp_path) -> SignatureChecker:  # type: ignore[no-untyped-def]
    return SignatureChecker(load_trust_roots(pki.write_roots(tmp_path / "roots", CITY_ROOT)))


def refused(checker: SignatureChecker, pdf: bytes, code: str) -> str:
    with pytest.raises(Invalid) as caught:
        checker.verify(pdf)
    assert caught.value.code == code, caught.value.message
    assert caught.value.status == 422 and caught.value.details["file"] == [caught.value.message]
    return caught.value.message


def test_a_decision_signed_by_the_chairman_reports_who_signed_when_and_with_which_certificate(checker):
    report = checker.verify(pki.sign(pki.decision_pdf(), CHAIRMAN, CITY_ROOT))
    signer = report.signer
    assert (signer.common_name, signer.organisation) == ("Nguyễn Văn Chủ Tịch", "UBND thành phố Hải Phòng")
    assert signer.issuer == "Test National Root CA"
    assert signer.signed_at == pki.SIGNING_DAY
    assert signer.serial == format(CHAIRMAN.cert.serial_number, "x")
    assert signer.certificate_sha256 == CHAIRMAN.cert.fingerprint(pki.hashes.SHA256()).hex()
    assert report.signatures == (signer,)


def test_a_byte_changed_inside_the_signed_range_is_refused_as_invalid(checker):
    signed = pki.sign(pki.decision_pdf("QUYET DINH so 12/QD-UBND"), CHAIRMAN, CITY_ROOT)
    altered = signed.replace(b"so 12/QD-UBND", b"so 13/QD-UBND")
    assert altered != signed and len(altered) == len(signed)
    assert "changed after it was signed" in refused(checker, altered, "signature_invalid")


def test_a_page_replaced_by_an_incremental_update_after_signing_is_refused(checker):
    signed = pki.sign(pki.decision_pdf(), CHAIRMAN, CITY_ROOT)
    changed = pki.change_page_after_signing(signed)
    assert changed.startswith(signed)  # the signed bytes themselves are untouched
    assert "does not cover the whole file" in refused(checker, changed, "signature_does_not_cover_file")


def test_a_second_signature_after_the_first_is_accepted_and_both_are_reported(checker):
    body = pki.signer_cert(CITY_ROOT, "Văn thư UBND", "UBND thành phố Hải Phòng")
    twice = pki.sign(pki.sign(pki.decision_pdf(), CHAIRMAN, CITY_ROOT), body, CITY_ROOT,
                     when=pki.SIGNING_DAY + timedelta(minutes=5), field="Signature2")
    report = checker.verify(twice)
    assert [s.common_name for s in report.signatures] == ["Nguyễn Văn Chủ Tịch", "Văn thư UBND"]
    assert report.signer.common_name == "Nguyễn Văn Chủ Tịch"


def test_a_signature_from_a_ca_not_among_the_trust_roots_is_refused(checker):
    stranger = pki.signer_cert(OTHER_ROOT, "Nguyễn Văn Giả", "Đơn vị lạ")
    message = refused(checker, pki.sign(pki.decision_pdf(), stranger, OTHER_ROOT), "signature_untrusted")
    assert "Nguyễn Văn Giả" in message and "Some Other Root CA" in message


def test_without_trust_roots_every_signature_is_refused_naming_the_setting(manual_clock):
    message = refused(SignatureChecker(()), pki.sign(pki.decision_pdf(), CHAIRMAN, CITY_ROOT), "signature_untrusted")
    assert "TALENTFLOW_SIGNING_TRUST_ROOTS" in message


def test_a_certificate_expired_or_not_yet_valid_when_it_signed_is_refused(checker):
    expired = pki.signer_cert(CITY_ROOT, not_before=pki.SIGNING_DAY - timedelta(days=400),
                              not_after=pki.SIGNING_DAY - timedelta(days=10))
    message = refused(checker, pki.sign(pki.decision_pdf(), expired, CITY_ROOT), "signer_certificate_expired")
    assert "not valid when the document was signed" in message
    early = pki.signer_cert(CITY_ROOT, not_before=pki.SIGNING_DAY + timedelta(days=1),
                            not_after=pki.SIGNING_DAY + timedelta(days=400))
    refused(checker, pki.sign(pki.decision_pdf(), early, CITY_ROOT), "signer_certificate_expired")


def test_a_signing_time_later_than_now_is_refused(checker):
    tomorrow = pki.SIGNING_DAY + timedelta(days=1)
    assert "later than now" in refused(checker, pki.sign(pki.decision_pdf(), CHAIRMAN, CITY_ROOT, when=tomorrow),
                                       "signature_invalid")


def test_an_unsigned_or_unreadable_pdf_is_not_signed(checker):
    refused(checker, pki.decision_pdf(), "not_signed")
    refused(checker, samples.pdf(), "not_signed")  # a PDF pyHanko cannot read has no signature to trust
    refused(checker, b"%PDF-1.7\n" + b"\x00" * 64, "not_signed")


def test_trust_roots_are_read_from_a_file_or_a_folder_of_pem_and_der_certificates(tmp_path):
    folder = pki.write_roots(tmp_path / "pem", CITY_ROOT, OTHER_ROOT)
    assert len(load_trust_roots(folder)) == 2
    assert len(load_trust_roots(folder / "root0.pem")) == 1
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(CITY_ROOT.pem() + OTHER_ROOT.pem())
    assert [c.subject.native["common_name"] for c in load_trust_roots(bundle)] == \
        ["Test National Root CA", "Some Other Root CA"]
    der = pki.write_roots(tmp_path / "der", CITY_ROOT, der=True)
    assert load_trust_roots(der)[0].dump() == CITY_ROOT.der()
    assert load_trust_roots(None) == () and load_trust_roots("") == ()


def test_unreadable_trust_roots_are_the_operators_to_know_of_naming_the_file(tmp_path):
    (tmp_path / "roots").mkdir()
    (tmp_path / "roots" / "broken.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(TrustRootsError, match="broken.pem"):
        load_trust_roots(tmp_path / "roots")
    with pytest.raises(TrustRootsError, match="no trust root"):
        load_trust_roots(tmp_path / "missing.pem")
