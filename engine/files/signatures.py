"""Whether a PDF signed outside talentflow may be kept as signed: its PAdES signatures verified.

Documents are signed elsewhere (a token and a signing tool); what comes back is checked here with
pyHanko, and refused with the reason (:class:`~engine.errors.Invalid`, its ``code`` saying which)
unless every signature in it

* is cryptographically intact: the bytes it covers still hash to what was signed
  (``signature_invalid``);
* leaves nothing after it that changes the document: the last one covers the whole file, and an
  earlier one is followed only by further signatures or form filling, as pyHanko's difference
  analysis judges (``signature_does_not_cover_file``) — so content added by an incremental update
  after signing is never shown as signed;
* was made with a certificate that chains to one of the trust roots of the settings
  (``signature_untrusted``; with no root configured nothing is trusted) and was valid at the time
  of signing (``signer_certificate_expired``).

A PDF without any signature is ``not_signed``. The time of signing is the signature's trusted
timestamp when it has one, else the time the signer's tool wrote into it; one later than now is
refused, as a certificate cannot be judged at a time that has not come.

Revocation is not checked by default: the city's network is offline from the certificate
authorities' CRL and OCSP servers, and a check that cannot reach them would refuse every
signature. ``check_revocation`` turns it on (fetching, and refusing when the status is unknown).
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import ModificationLevel, PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from engine.errors import Invalid
from engine.time import clock

#: How far a signing time may run ahead of this server's clock (the signer's computer may be fast).
CLOCK_SKEW = timedelta(minutes=10)
#: What may follow an earlier signature in the same file: nothing, archival data, another signature.
HARMLESS = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)
_EXPIRED = (AdESIndeterminate.EXPIRED, AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.NOT_YET_VALID,
            AdESFailure.NOT_YET_VALID, AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED)
_REVOKED = (AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE)


class TrustRootsError(Exception):
    """The configured trust roots cannot be read (the operator's mistake, reported at start)."""


@dataclass(frozen=True)
class Signer:
    """Who signed, when, and with which certificate (its serial in hex and its SHA-256)."""

    common_name: str
    organisation: str
    issuer: str
    serial: str
    certificate_sha256: str
    signed_at: datetime | None

    def as_data(self) -> dict[str, Any]:
        """As an event records it (the time in ISO 8601)."""
        return {"signer": self.common_name, "organisation": self.organisation, "issuer": self.issuer,
                "serial": self.serial, "certificate_sha256": self.certificate_sha256,
                "signed_at": self.signed_at.isoformat() if self.signed_at else None}


@dataclass(frozen=True)
class SignatureReport:
    """The signatures of a PDF that passed, in signing order (the first is the document's signer;
    later ones are e.g. the issuing body's own)."""

    signatures: tuple[Signer, ...]

    @property
    def signer(self) -> Signer:
        return self.signatures[0]


def _refuse(code: str, message: str) -> Invalid:
    return Invalid(message, {"file": [message]}, code=code)


def load_trust_roots(location: str | Path | None) -> tuple[asn1_x509.Certificate, ...]:
    """The certificates in ``location``: a file, or every file of a directory, each PEM (one or
    more certificates) or DER. None or "": no roots. Anything unreadable raises
    :class:`TrustRootsError` naming the file."""
    if not location:
        return ()
    path = Path(location)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    elif path.is_file():
        files = [path]
    else:
        raise TrustRootsError(f"no trust root file or directory at {path}")
    roots: list[asn1_x509.Certificate] = []
    for file in files:
        data = file.read_bytes()
        try:
            if pem.detect(data):
                blocks = [der for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
            else:
                blocks = [data]
            found = [asn1_x509.Certificate.load(der) for der in blocks]
            for cert in found:
                cert.native  # parse it all now: a broken certificate is the operator's to know of at start
        except Exception as err:  # asn1crypto raises ValueError, TypeError and its own
            raise TrustRootsError(f"{file} is not a PEM or DER certificate: {err}") from None
        if not found:
            raise TrustRootsError(f"{file} holds no certificate")
        roots.extend(found)
    return tuple(roots)


class SignatureChecker:
    """Verifies signed PDFs against ``roots``; the report of one that passes, else Invalid."""

    def __init__(self, roots: Iterable[asn1_x509.Certificate], check_revocation: bool = False) -> None:
        self.roots = tuple(roots)
        self.check_revocation = check_revocation

    def verify(self, source: Path | bytes) -> SignatureReport:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        try:
            signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
        except Exception:  # pyHanko reading a hostile file: any failure means no signature to trust
            signatures = []
        if not signatures:
            raise _refuse("not_signed", "the PDF carries no digital signature: upload the copy the signing "
                                        "tool produced")
        last = len(signatures) - 1
        return SignatureReport(tuple(self._check(sig, n == last) for n, sig in enumerate(signatures)))

    def _context(self, moment: datetime) -> ValidationContext:
        return ValidationContext(trust_roots=list(self.roots), moment=moment, allow_fetching=self.check_revocation,
                                 revocation_mode="hard-fail" if self.check_revocation else "soft-fail")

    def _check(self, embedded: Any, last: bool) -> Signer:
        now = clock.now()
        try:
            claimed = embedded.self_reported_timestamp
            if claimed is not None and claimed > now + CLOCK_SKEW:
                raise _refuse("signature_invalid", f"the signature says it was made at {claimed.isoformat()}, "
                                                   "which is later than now")
            status: PdfSignatureStatus = validate_pdf_signature(embedded, self._context(claimed or now))
        except Invalid:
            raise
        except Exception as err:  # a malformed signature dictionary or CMS blob
            raise _refuse("signature_invalid", f"the signature cannot be read: {err}") from None
        if not (status.intact and status.valid):
            raise _refuse("signature_invalid", "the signature does not match the document: the PDF was changed "
                                               "after it was signed, or the signature is broken")
        if last and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            raise _refuse("signature_does_not_cover_file", "the signature does not cover the whole file: "
                                                           "something was added to the PDF after it was signed")
        if not last and (status.modification_level not in HARMLESS or status.docmdp_ok is False):
            raise _refuse("signature_does_not_cover_file", "the document was changed after an earlier signature")
        signer = _signer(status)
        if not status.trusted:
            raise self._untrusted(status, signer)
        return signer

    def _untrusted(self, status: PdfSignatureStatus, signer: Signer) -> Invalid:
        cert = status.signing_cert
        if not self.roots:
            return _refuse("signature_untrusted", "no trust roots are configured (TALENTFLOW_SIGNING_TRUST_ROOTS): "
                                                  "talentflow trusts no signature until they are")
        valid = cert["tbs_certificate"]["validity"]
        moment = signer.signed_at or clock.now()
        if status.trust_problem_indic in _EXPIRED or not (
                valid["not_before"].native <= moment <= valid["not_after"].native):
            return _refuse("signer_certificate_expired",
                           f"the certificate of {signer.common_name} was not valid when the document was signed "
                           f"(valid from {valid['not_before'].native:%Y-%m-%d} to {valid['not_after'].native:%Y-%m-%d})")
        if status.revoked or status.trust_problem_indic in _REVOKED:
            return _refuse("signature_revoked", f"the certificate of {signer.common_name} was revoked")
        return _refuse("signature_untrusted",
                       f"the certificate of {signer.common_name} (issued by {signer.issuer}) does not chain to a "
                       "trusted root")


def _signer(status: PdfSignatureStatus) -> Signer:
    cert = status.signing_cert
    subject, issuer = cert.subject.native, cert.issuer.native
    stamp = status.timestamp_validity
    trusted_stamp = stamp is not None and stamp.intact and stamp.valid and stamp.trusted
    return Signer(common_name=str(subject.get("common_name", "")), organisation=str(subject.get("organization_name", "")),
                  issuer=str(issuer.get("common_name") or issuer.get("organization_name") or ""),
                  serial=format(cert.serial_number, "x"), certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
                  signed_at=stamp.timestamp if trusted_stamp else status.signer_reported_dt)
