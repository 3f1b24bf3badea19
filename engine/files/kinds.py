"""What a file is, read from its content alone: never from its name or the client's Content-Type.

A dossier holds PDFs, Word and Excel documents and scans; nothing else is kept, so nothing a
browser could run (HTML, scripts) or a clerk could open by mistake (an executable named
``.pdf``, a macro-enabled document) is ever served from a case. PDF, PNG and JPEG are known by
their first bytes. DOCX and XLSX are zip packages: the package must declare, in
``[Content_Types].xml``, the main part of a Word document (``word/document.xml``) or of an Excel
workbook (``xl/workbook.xml``), and hold it. The zip is only listed and that one small member
read, with limits on members, declared sizes and compression ratio, so a zip bomb is refused
before anything is inflated.

The name a file is kept and offered under (:func:`clean_name`) is what the person called it, made
harmless: it is shown on pages and sent back in ``Content-Disposition`` and never becomes a path
(content is kept by hash), but no page, header or downloaded copy should meet a path separator, a
control character or an endless name. Its extension is made to match the kind found in the
content: ``setup.exe`` holding a PDF is offered as ``setup.exe.pdf``, so it opens as what it is.
"""
from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from engine.definitions.safe_xml import XmlError, read_xml
from engine.errors import Invalid


@dataclass(frozen=True)
class Kind:
    """An accepted kind of file: its short name, media type and usual extension."""

    name: str
    media_type: str
    extension: str


PDF = Kind("pdf", "application/pdf", ".pdf")
DOCX = Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")
XLSX = Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
JPEG = Kind("jpeg", "image/jpeg", ".jpg")
PNG = Kind("png", "image/png", ".png")
KINDS = {kind.name: kind for kind in (PDF, DOCX, XLSX, JPEG, PNG)}
#: Said to whoever sends anything else.
ACCEPTED = "PDF, Word (.docx), Excel (.xlsx), JPEG or PNG"

#: The main part each package must declare and hold (content type of the part, part name).
_PACKAGES = {
    DOCX: ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/document.xml"),
    XLSX: ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xl/workbook.xml"),
}
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
#: Zip limits: an office document has tens to a few thousand members; declared inflated sizes and
#: the compression ratio past these mean a bomb, not a document.
MAX_MEMBERS = 10_000
MAX_INFLATED = 512 * 1024 * 1024
MAX_RATIO = 200
MAX_CONTENT_TYPES = 1024 * 1024


class Refused(Invalid):
    """Content of a kind this service does not keep (422 ``unsupported_file_type``)."""

    code = "unsupported_file_type"

    def __init__(self, why: str) -> None:
        super().__init__(f"{why}; accepted are {ACCEPTED} files", {"file": [f"{why}; accepted: {ACCEPTED}"]})
        self.why = why


def detect(path: Path) -> Kind:
    """The kind of the file at ``path``, or :class:`Refused` saying why it is none we keep."""
    with open(path, "rb") as head_file:
        head = head_file.read(8)
    if not head:
        raise Refused("the file is empty")
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _package(path)
    raise Refused("the content is not a document or image this service keeps")


def _package(path: Path) -> Kind:
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
            _check_bomb(members)
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names:
                raise Refused("the zip file is not an Office document")
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > MAX_CONTENT_TYPES or info.flag_bits & 0x1:
                raise Refused("the Office document's content types cannot be read")
            with package.open(info) as member:
                declared = _main_parts(member.read(MAX_CONTENT_TYPES + 1))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError):
        raise Refused("the zip file is damaged or cannot be read") from None
    for kind, (content_type, part) in _PACKAGES.items():
        if declared.get("/" + part) == content_type:
            if part not in names:
                raise Refused(f"the document declares {part} but does not hold it")
            return kind
    raise Refused("the zip file is not a Word (.docx) or Excel (.xlsx) document (macro-enabled and other "
                  "Office files are not accepted)")


def _check_bomb(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise Refused("the zip file has too many members")
    inflated = 0
    for member in members:
        inflated += member.file_size
        if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise Refused("the zip file inflates far beyond its size")
    if inflated > MAX_INFLATED:
        raise Refused("the zip file inflates far beyond its size")


def _main_parts(content: bytes) -> dict[str, str]:
    """Part name -> content type of the overrides ``[Content_Types].xml`` declares."""
    if len(content) > MAX_CONTENT_TYPES:
        raise Refused("the Office document's content types cannot be read")
    try:
        root = read_xml(content)
    except (XmlError, ValueError):
        raise Refused("the Office document's content types cannot be read") from None
    return {str(o.get("PartName")): str(o.get("ContentType")) for o in root.iter(f"{_CT_NS}Override")}


# ------------------------------------------------------------------------------ names
#: Characters of a name (Vietnamese names are longer in UTF-8 than they look, hence characters).
MAX_NAME = 160
_DEFAULT_STEM = "tep"  # "tệp" without its accent: a name that reads in any header


def clean_name(raw: str | None, kind: Kind) -> str:
    """``raw`` (a client's file name) as a safe display and download name for content of ``kind``."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # no folders, from any system
    name = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in name)
    name = " ".join(name.split()).strip(" .")
    for bad in '<>:"|?*':
        name = name.replace(bad, "_")
    stem, dot, extension = name.rpartition(".")
    if not dot or ("." + extension.lower()) not in _extensions(kind):
        stem, extension = name, kind.extension.lstrip(".")
    stem = (stem or _DEFAULT_STEM)[: MAX_NAME - len(extension) - 1].rstrip(" .") or _DEFAULT_STEM
    return f"{stem}.{extension}"


def _extensions(kind: Kind) -> tuple[str, ...]:
    return {"jpeg": (".jpg", ".jpeg", ".jpe")}.get(kind.name, (kind.extension,))
