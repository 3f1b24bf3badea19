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
* was made with an end-entity certificate (not a certification authority's, nor a trust root
  itself: ``signature_untrusted``) that chains to one of the trust roots of the settings
  (``signature_untrusted``; with no root configured nothing is trusted), is meant for signing
  documents (its key usage has non-repudiation: ``signer_certificate_unusable``) and was valid at
  the moment it is judged at (``signer_certificate_expired``).

A PDF without any signature is ``not_signed``.

When a signature was made is proven only by a trusted RFC 3161 timestamp token in it (its TSA's
certificate chaining to the same trust roots, its imprint matching the signature): then the
certificate is judged at that time, and the time is ``signed_at``. The time the signer's tool
wrote (``claimed_signing_time``) is the signer's word: anyone can write any time there, so it
is never the moment the certificate is judged at: without a trusted timestamp the certificate is
judged now (``validated_at``), and a certificate that expired since is refused, however early the
claimed time. A claimed or stamped time later than now is refused as well (``signature_invalid``).

The report also gives the SHA-256 of the file as it was before its first signature (the signing
tool appends the signature as an incremental update and keeps the bytes it was given), so the
caller can tell which document it is the signed copy of.

Revocation is not checked by default: the city's network is offline from the certificate
authorities' CRL and OCSP servers, and a check that cannot reach them would refuse every
signature. ``check_revocation`` turns it on (fetching, and refusing when the status is unknown).
"""
from __future__ import annotations

import hashlib
import io
import re
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
from pyhanko_certvalidator.errors import InvalidCertificateError

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
    """Who signed, when, and with which certificate (its serial in hex and its SHA-256).

    ``signed_at`` is the time a trusted timestamp proves (None without one);
    ``claimed_signing_time`` the time the signer's tool wrote, which proves nothing;
    ``validated_at`` the moment the certificate was judged valid at (``signed_at``, else when
    talentflow checked it)."""

    common_name: str
    organisation: str
    issuer: str
    serial: str
    certificate_sha256: str
    signed_at: datetime | None
    claimed_signing_time: datetime | None
    validated_at: datetime

    def as_data(self) -> dict[str, Any]:
        """As an event records it (the times in ISO 8601)."""
        return {"signer": self.common_name, "organisation": self.organisation, "issuer": self.issuer,
                "serial": self.serial, "certificate_sha256": self.certificate_sha256,
                "signed_at": _iso(self.signed_at), "claimed_signing_time": _iso(self.claimed_signing_time),
                "validated_at": _iso(self.validated_at), "time_proven": self.signed_at is not None}


@dataclass(frozen=True)
class SignatureReport:
    """The signatures of a PDF that passed, in signing order (the first is the document's signer;
    later ones are e.g. the issuing body's own), and the SHA-256 of the file as it was before the
    first signature (its byte-for-byte prefix up to that signature's revision; more than one only
    as the end of line after its ``%%EOF`` may be counted in or not; none when the file was
    signed in its first revision)."""

    signatures: tuple[Signer, ...]
    original_sha256: tuple[str, ...] = ()

    @property
    def signer(self) -> Signer:
        return self.signatures[0]

    def is_copy_of(self, sha256: str) -> bool:
        """Whether the file before its first signature is, byte for byte, the content ``sha256`` names."""
        return sha256 in self.original_sha256

    @property
    def signing_time(self) -> datetime | None:
        """When the first signature says it was made: proven if it can be, else as claimed."""
        return self.signer.signed_at or self.signer.claimed_signing_time


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


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
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            signatures = reader.embedded_signatures
        except Exception:  # pyHanko reading a hostile file: any failure means no signature to trust
            signatures = []
        if not signatures:
            raise _refuse("not_signed", "the PDF carries no digital signature: upload the copy the signing "
                                        "tool produced")
        last = len(signatures) - 1
        checked = tuple(self._check(sig, n == last) for n, sig in enumerate(signatures))
        return SignatureReport(checked, _original_sha256(reader, data, signatures[0]))

    def _context(self, moment: datetime) -> ValidationContext:
        return ValidationContext(trust_roots=list(self.roots), moment=moment, allow_fetching=self.check_revocation,
                                 revocation_mode="hard-fail" if self.check_revocation else "soft-fail")

    def _validate(self, embedded: Any, moment: datetime, now: datetime) -> PdfSignatureStatus:
        """The signature's status with its certificate judged at ``moment``; a timestamp token's
        own certificate is judged now."""
        return validate_pdf_signature(embedded, self._context(moment), ts_validation_context=self._context(now))

    def _check(self, embedded: Any, last: bool) -> Signer:
        now = clock.now()
        try:
            _not_later_than(embedded.self_reported_timestamp, now, "says it was made")
            status: PdfSignatureStatus = self._validate(embedded, now, now)
            _not_later_than(status.signer_reported_dt, now, "says it was made")
            proven = _proven_time(status)
            if proven is not None:
                _not_later_than(proven, now, "carries a timestamp of")
                if proven < now:  # the certificate is judged when the timestamp proves it signed
                    status = self._validate(embedded, proven, now)
                    if _proven_time(status) != proven:
                        proven = None
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
        signer = _signer(status, proven, embedded.self_reported_timestamp, proven or now)
        if not self.roots:
            raise _refuse("signature_untrusted", "no trust roots are configured (TALENTFLOW_SIGNING_TRUST_ROOTS): "
                                                 "talentflow trusts no signature until they are")
        self._end_entity(status.signing_cert, signer)
        if not status.trusted:
            raise self._untrusted(status, signer)
        return signer

    def _end_entity(self, cert: asn1_x509.Certificate, signer: Signer) -> None:
        """A document is signed by a person's or a body's certificate that a root issued, never by a
        certification authority's own (a root, or any CA certificate)."""
        if cert.ca or cert.self_signed != "no" or any(cert.dump() == root.dump() for root in self.roots):
            raise _refuse("signature_untrusted",
                          f"the document was signed with the certificate of a certification authority "
                          f"({signer.common_name}), not a signer's: a signer must be an end-entity certificate "
                          "issued by a trusted root")

    def _untrusted(self, status: PdfSignatureStatus, signer: Signer) -> Invalid:
        cert = status.signing_cert
        valid = cert["tbs_certificate"]["validity"]
        span = f"valid from {valid['not_before'].native:%Y-%m-%d} to {valid['not_after'].native:%Y-%m-%d}"
        if status.trust_problem_indic in _EXPIRED or not (
                valid["not_before"].native <= signer.validated_at <= valid["not_after"].native):
            if signer.signed_at is not None:
                return _refuse("signer_certificate_expired",
                               f"the certificate of {signer.common_name} was not valid when the document was "
                               f"signed, {signer.signed_at:%Y-%m-%d} by its trusted timestamp ({span})")
            claimed = (f"; the time its signing tool wrote, {signer.claimed_signing_time:%Y-%m-%d}, proves nothing "
                       "without a trusted timestamp" if signer.claimed_signing_time else "")
            return _refuse("signer_certificate_expired",
                           f"the certificate of {signer.common_name} is not valid now, "
                           f"{signer.validated_at:%Y-%m-%d} ({span}){claimed}")
        if status.revoked or status.trust_problem_indic in _REVOKED:
            return _refuse("signature_revoked", f"the certificate of {signer.common_name} was revoked")
        try:
            PdfSignatureStatus.default_usage_constraints().validate(cert)
        except InvalidCertificateError:
            return _refuse("signer_certificate_unusable",
                           f"the certificate of {signer.common_name} is not meant for signing documents: its key "
                           "usage does not include non-repudiation (content commitment)")
        return _refuse("signature_untrusted",
                       f"the certificate of {signer.common_name} (issued by {signer.issuer}) does not chain to a "
                       "trusted root")


def _not_later_than(moment: datetime | None, now: datetime, what: str) -> None:
    """A certificate cannot be judged at a time that has not come: a signature dated later than now
    (beyond the signer's clock running fast) is refused."""
    if moment is not None and moment > now + CLOCK_SKEW:
        raise _refuse("signature_invalid", f"the signature {what} {moment.isoformat()}, which is later than now")


def _proven_time(status: PdfSignatureStatus) -> datetime | None:
    """The time of the signature's timestamp token, when the token is intact, matches the signature
    and its TSA chains to the trust roots; else None."""
    stamp = status.timestamp_validity
    if stamp is not None and stamp.intact and stamp.valid and stamp.trusted:
        return stamp.timestamp
    return None


_EOF_TAIL = re.compile(rb"startxref\s+(\d+)\s*$")


def _original_sha256(reader: PdfFileReader, data: bytes, first: Any) -> tuple[str, ...]:
    """The SHA-256 of ``data`` up to the end of the revision before ``first`` signature's (through
    its ``%%EOF``, with and without the end of line after it); () if there is none or it cannot be
    told for sure."""
    try:
        revision = first.signed_revision - 1
        if revision < 0:
            return ()
        xref = reader.xrefs.get_xref_container_info(revision)
        eof = data.find(b"%%EOF", xref.end_location)
        tail = _EOF_TAIL.search(data, max(xref.end_location, eof - 64), eof) if eof >= 0 else None
        if tail is None or int(tail.group(1)) != reader.xrefs.get_startxref_for_revision(revision):
            return ()
        end = eof + len(b"%%EOF")
        if end > int(first.sig_object["/ByteRange"][1]):  # the original ends before the signature begins
            return ()
        ends = [end]
        for eol in (b"\r\n", b"\n", b"\r"):
            if data.startswith(eol, end):
                ends.append(end + len(eol))
                break
        return tuple(hashlib.sha256(data[:n]).hexdigest() for n in ends)
    except Exception:  # a revision pyHanko cannot account for: tied to no document
        return ()


def _signer(status: PdfSignatureStatus, proven: datetime | None, reported: datetime | None,
            validated_at: datetime) -> Signer:
    cert = status.signing_cert
    subject, issuer = cert.subject.native, cert.issuer.native
    return Signer(common_name=str(subject.get("common_name", "")), organisation=str(subject.get("organization_name", "")),
                  issuer=str(issuer.get("common_name") or issuer.get("organization_name") or ""),
                  serial=format(cert.serial_number, "x"), certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
                  signed_at=proven, claimed_signing_time=status.signer_reported_dt or reported,
                  validated_at=validated_at)
