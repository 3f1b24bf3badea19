"""Small real files of every kind a case keeps, and the disguises it must refuse, built by hand.

A DOCX or XLSX is a zip package with ``[Content_Types].xml`` declaring its main part; a PDF a
header, a catalogue and a trailer; a PNG a signature and three chunks; a JPEG the markers of a
1×1 baseline image.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/{part}" ContentType="{content_type}"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships '
         'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
         'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="{part}"/></Relationships>')
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORD_MACROS = "application/vnd.ms-word.document.macroEnabled.main+xml"


def _member(name: str) -> zipfile.ZipInfo:
    """A member dated once and for all, so the same document is the same bytes on every call."""
    info = zipfile.ZipInfo(name, date_time=(2026, 3, 2, 9, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def package(part: str, content_type: str, body: str | bytes, hold_part: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(_member("[Content_Types].xml"), _CT.format(part=part, content_type=content_type))
        z.writestr(_member("_rels/.rels"), _RELS.format(part=part))
        if hold_part:
            z.writestr(_member(part), body)
    return out.getvalue()


def docx(text: str = "Quyết định công nhận nhân tài") -> bytes:
    body = ('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
            f'<w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>')
    return package("word/document.xml", WORD_MAIN, body)


def xlsx() -> bytes:
    body = ('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>'
            '<sheet name="Điểm" sheetId="1"/></sheets></workbook>')
    return package("xl/workbook.xml", EXCEL_MAIN, body)


def pdf(text: str = "Bien ban") -> bytes:
    return (b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
            b"2 0 obj <</Type/Pages/Kids[]/Count 0>> endobj\n"
            + f"% {text}\n".encode() + b"trailer <</Root 1 0 R>>\n%%EOF\n")


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def jpeg() -> bytes:
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            b"\xff\xdb\x00C\x00" + bytes(range(1, 65)) + b"\xff\xd9")


ACCEPTED = {"pdf": pdf, "docx": docx, "xlsx": xlsx, "png": png, "jpeg": jpeg}


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(_member("readme.txt"), "not an office document")
    return out.getvalue()


def zip_bomb() -> bytes:
    """A package that looks like a Word document but inflates 40 MiB of zeros from a few KiB."""
    return package("word/document.xml", WORD_MAIN, b"\x00" * (40 * 1024 * 1024))


#: What must be refused, whatever it is called: name it sent under, content.
DISGUISED = {
    "windows executable": ("quyet_dinh.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00PE\x00\x00" + b"\x00" * 64),
    "linux executable": ("bien_ban.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64),
    "html page": ("ho_so.pdf", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"),
    "plain zip": ("ho_so.docx", plain_zip()),
    "old word document": ("de_an.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),
    "macro-enabled word": ("de_an.docx", package("word/document.xml", WORD_MACROS, "<w:document/>")),
    "package without its main part": ("de_an.docx", package("word/document.xml", WORD_MAIN, "", hold_part=False)),
    "empty file": ("trong.pdf", b""),
}
