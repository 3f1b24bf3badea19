"""A test public-key infrastructure and a signing tool, so tests can sign PDFs as the city does.

The city signs decisions outside talentflow with a VGCA certificate; here a test CA (root and a
signer certificate under it, made with ``cryptography``) stands in for the national root, and
pyHanko's :class:`PdfSigner` for the signing tool. The signing time is set by the test (the
service's manual clock reads 2026-03-02), so certificates are dated around it: a signer whose
certificate expired before that day is one the city must refuse. A time-stamping authority under
the test root (:func:`tsa`, pyHanko's ``DummyTimeStamper`` stamping the time the test says) proves
when a signature was made, as an RFC 3161 timestamp token in it.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization  # noqa: F401  (hashes: tests take fingerprints)
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.pdf_utils import generic
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

#: The day the tests sign on: the manual clock's day (tests/conftest.py).
SIGNING_DAY = datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def asn1(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.der())

    def private_key(self) -> asn1_keys.PrivateKeyInfo:
        return asn1_keys.PrivateKeyInfo.load(self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def root_ca(common_name: str = "Test Root CA", organisation: str = "Ban Cơ yếu Chính phủ (thử)") -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name, organisation)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(SIGNING_DAY - timedelta(days=3650)).not_valid_after(SIGNING_DAY + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return Issued(cert, key)


def signer_cert(ca: Issued, common_name: str = "Nguyễn Văn Chủ Tịch", organisation: str = "UBND thành phố Hải Phòng",
                not_before: datetime | None = None, not_after: datetime | None = None,
                for_signing: bool = True, is_ca: bool = False) -> Issued:
    """A signer's certificate issued by ``ca``, valid a year around the signing day unless told;
    ``for_signing=False``: its key usage is key encipherment only (a certificate for encrypting
    mail, not for signing); ``is_ca``: a subordinate CA's certificate, as if one signed with it."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(common_name, organisation)).issuer_name(ca.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before or SIGNING_DAY - timedelta(days=180))
            .not_valid_after(not_after or SIGNING_DAY + timedelta(days=180))
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=for_signing, content_commitment=for_signing,
                                         key_encipherment=not for_signing, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=is_ca, crl_sign=is_ca,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
            .sign(ca.key, hashes.SHA256()))
    return Issued(cert, key)


def tsa(ca: Issued, common_name: str = "Test Time-Stamping Authority") -> Issued:
    """A time-stamping authority's certificate issued by ``ca`` (RSA: pyHanko's test TSA signs with RSA)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(_name(common_name, "Ban Cơ yếu Chính phủ (thử)"))
            .issuer_name(ca.cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(SIGNING_DAY - timedelta(days=3000)).not_valid_after(SIGNING_DAY + timedelta(days=3000))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
            .sign(ca.key, hashes.SHA256()))
    return Issued(cert, key)


class _SignerAt(signers.PdfSigner):
    """pyHanko's signer with the signing time the test says (it reads the system clock otherwise)."""

    def __init__(self, when: datetime, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.when = when

    def init_signing_session(self, pdf_out, existing_fields_only=False):  # type: ignore[no-untyped-def]
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self.when
        return session


def sign(pdf: bytes, signer: Issued, ca: Issued, when: datetime = SIGNING_DAY, field: str = "Signature1",
         stamped_by: Issued | None = None, stamped_at: datetime | None = None) -> bytes:
    """``pdf`` signed (PAdES baseline) by ``signer``, its chain up to ``ca`` embedded, as an
    incremental update after the bytes of ``pdf``; ``when``: the time the signing tool writes.
    ``stamped_by``: with an RFC 3161 timestamp token of that TSA (issued by ``ca``), stamped at
    ``stamped_at`` (default ``when``)."""
    simple = signers.SimpleSigner(signing_cert=signer.asn1(), signing_key=signer.private_key(),
                                  cert_registry=SimpleCertificateStore.from_certs([ca.asn1()]))
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    stamper = None if stamped_by is None else DummyTimeStamper(
        stamped_by.asn1(), stamped_by.private_key(), certs_to_embed=SimpleCertificateStore.from_certs([ca.asn1()]),
        fixed_dt=stamped_at or when)
    out = io.BytesIO()
    _SignerAt(when, meta, signer=simple, timestamper=stamper).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)),
                                                                       output=out)
    return out.getvalue()


def decision_pdf(text: str = "QUYET DINH so 12/QD-UBND") -> bytes:
    """A one-page PDF with a line of text, as a generated decision is."""
    writer = PdfFileWriter()
    stream = generic.StreamObject(stream_data=f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode())
    font = generic.DictionaryObject({generic.pdf_name("/Type"): generic.pdf_name("/Font"),
                                     generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
                                     generic.pdf_name("/BaseFont"): generic.pdf_name("/Times-Roman")})
    page = generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Page"),
        generic.pdf_name("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
        generic.pdf_name("/Resources"): generic.DictionaryObject({generic.pdf_name("/Font"): generic.DictionaryObject(
            {generic.pdf_name("/F1"): writer.add_object(font)})}),
        generic.pdf_name("/Contents"): writer.add_object(stream)})
    writer.insert_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def change_page_after_signing(signed: bytes, text: str = "QUYET DINH so 99/QD-UBND") -> bytes:
    """``signed`` with an incremental update appended that replaces the first page's content."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    page["/Contents"] = writer.add_object(
        generic.StreamObject(stream_data=f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_roots(folder: Path, *cas: Issued, der: bool = False) -> Path:
    """The CAs' certificates as files in ``folder`` (PEM, or DER), as an operator puts the national root."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, ca in enumerate(cas):
        (folder / f"root{n}.{'cer' if der else 'pem'}").write_bytes(ca.der() if der else ca.pem())
    return folder
