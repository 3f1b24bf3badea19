"""A signed PDF coming back: kept as signed only when its signature is intact, covers the whole
file and was made with a signing certificate a trusted root issued, valid now — or valid when a
trusted timestamp proves it signed. The time the signing tool writes is reported as claimed, never
as proven; and the report says which bytes were signed, so the copy can be tied to its document."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from engine.errors import Invalid
from engine.files import SignatureChecker, TrustRootsError, load_trust_roots
from engine.time import clock
from tests.engine.files import pki, samples

CITY_ROOT = pki.root_ca("Test National Root CA")
OTHER_ROOT = pki.root_ca("Some Other Root CA", "Không phải cơ quan chứng thực")
CHAIRMAN = pki.signer_cert(CITY_ROOT)
CITY_TSA = pki.tsa(CITY_ROOT)
#: The reviewer's case: a certificate valid 2023-12-23..2025-01-26, used on 2026-03-02.
LAPSED = pki.signer_cert(CITY_ROOT, "Trần Văn Cũ", not_before=datetime(2023, 12, 23, tzinfo=timezone.utc),
                         not_after=datetime(2025, 1, 26, tzinfo=timezone.utc))
BACK_THEN = datetime(2024, 10, 18, 9, 0, tzinfo=timezone.utc)


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
    assert signer.claimed_signing_time == pki.SIGNING_DAY  # what the signing tool wrote: its word only
    assert signer.signed_at is None  # nothing proves it
    assert signer.validated_at == manual_now()  # the certificate was judged now
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


def manual_now() -> datetime:
    """The one clock's now (the manual clock of the tests: 2026-03-02 02:00 UTC)."""
    return clock.now()


def test_a_certificate_expired_or_not_yet_valid_now_is_refused(checker):
    expired = pki.signer_cert(CITY_ROOT, not_before=pki.SIGNING_DAY - timedelta(days=400),
                              not_after=pki.SIGNING_DAY - timedelta(days=10))
    message = refused(checker, pki.sign(pki.decision_pdf(), expired, CITY_ROOT), "signer_certificate_expired")
    assert "is not valid now" in message
    early = pki.signer_cert(CITY_ROOT, not_before=pki.SIGNING_DAY + timedelta(days=1),
                            not_after=pki.SIGNING_DAY + timedelta(days=400))
    refused(checker, pki.sign(pki.decision_pdf(), early, CITY_ROOT), "signer_certificate_expired")


def test_a_backdated_signature_with_an_expired_certificate_is_refused_whatever_time_it_claims(checker):
    """The signing tool (or whoever holds the old key) writes 2024-10-18, when the certificate was
    still valid; it is used on 2026-03-02, long after it expired. The claim proves nothing."""
    backdated = pki.sign(pki.decision_pdf(), LAPSED, CITY_ROOT, when=BACK_THEN)
    message = refused(checker, backdated, "signer_certificate_expired")
    assert "Trần Văn Cũ" in message and "not valid now, 2026-03-02" in message
    assert "2024-10-18, proves nothing without a trusted timestamp" in message


def test_a_certificate_valid_now_with_an_honest_time_is_accepted_its_time_shown_as_claimed(checker):
    signer = checker.verify(pki.sign(pki.decision_pdf(), CHAIRMAN, CITY_ROOT, when=manual_now())).signer
    assert (signer.claimed_signing_time, signer.signed_at, signer.validated_at) == (manual_now(), None, manual_now())
    assert signer.as_data()["time_proven"] is False


def test_a_trusted_timestamp_proves_when_it_signed_and_the_certificate_is_judged_then(checker):
    """Signed in 2024 with a timestamp token of the city's TSA: the certificate has expired since,
    but it was valid when the token proves the signature existed."""
    stamped = pki.sign(pki.decision_pdf(), LAPSED, CITY_ROOT, when=BACK_THEN, stamped_by=CITY_TSA)
    signer = checker.verify(stamped).signer
    assert signer.signed_at == BACK_THEN == signer.validated_at
    assert signer.as_data()["time_proven"] is True and signer.as_data()["signed_at"] == BACK_THEN.isoformat()


def test_a_timestamp_of_an_untrusted_tsa_proves_nothing(checker):
    stranger_tsa = pki.tsa(OTHER_ROOT, "Some Other TSA")
    stamped = pki.sign(pki.decision_pdf(), LAPSED, CITY_ROOT, when=BACK_THEN, stamped_by=stranger_tsa)
    refused(checker, stamped, "signer_certificate_expired")
    honest = checker.verify(pki.sign(pki.decision_pdf(), CHAIRMAN, CITY_ROOT, stamped_by=stranger_tsa)).signer
    assert honest.signed_at is None and honest.claimed_signing_time == pki.SIGNING_DAY


def test_a_timestamp_later_than_now_is_refused(checker):
    tomorrow = manual_now() + timedelta(days=1)
    stamped = pki.sign(pki.decision_pdf(), CHAIRMAN, CITY_ROOT, stamped_by=CITY_TSA, stamped_at=tomorrow)
    assert "later than now" in refused(checker, stamped, "signature_invalid")


def test_a_root_or_any_ca_certificate_is_not_a_signer(checker, tmp_path):
    message = refused(checker, pki.sign(pki.decision_pdf(), CITY_ROOT, CITY_ROOT), "signature_untrusted")
    assert "end-entity certificate issued by a trusted root" in message and "Test National Root CA" in message
    sub_ca = pki.signer_cert(CITY_ROOT, "Sub CA", "Ban Cơ yếu Chính phủ (thử)", is_ca=True)
    assert "end-entity" in refused(checker, pki.sign(pki.decision_pdf(), sub_ca, CITY_ROOT), "signature_untrusted")


def test_a_certificate_not_meant_for_signing_is_refused_saying_so(checker):
    mail_only = pki.signer_cert(CITY_ROOT, "Hộp thư UBND", for_signing=False)
    message = refused(checker, pki.sign(pki.decision_pdf(), mail_only, CITY_ROOT), "signer_certificate_unusable")
    assert "Hộp thư UBND" in message and "not meant for signing" in message and "chain" not in message


def test_the_report_names_the_bytes_signed_the_pdf_as_it_was_before_its_first_signature(checker):
    original = pki.decision_pdf("QUYET DINH so 12/QD-UBND")
    twice = pki.sign(pki.sign(original, CHAIRMAN, CITY_ROOT), pki.signer_cert(CITY_ROOT, "Văn thư"), CITY_ROOT,
                     when=pki.SIGNING_DAY + timedelta(minutes=5), field="Signature2")
    report = checker.verify(twice)
    assert twice.startswith(original)
    assert report.is_copy_of(hashlib.sha256(original).hexdigest())
    assert not report.is_copy_of(hashlib.sha256(pki.decision_pdf("QUYET DINH so 13/QD-UBND")).hexdigest())
    assert not report.is_copy_of(hashlib.sha256(twice).hexdigest())


def test_a_signing_time_later_than_now_is_refused(checker):
    tomorrow = manual_now() + timedelta(days=1)
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
