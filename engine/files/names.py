"""The name a file is kept and offered under: what the person called it, made harmless.

The name is shown on pages and sent back in ``Content-Disposition``; it never becomes a path
(content is kept by hash), but it is cleaned all the same so that no page, header or
downloaded copy meets a path separator, a control character or an endless name. The
extension is made to match the kind found in the content: ``setup.exe`` holding a PDF is
offered as ``setup.exe.pdf``, so the file opens as what it is.
"""
from __future__ import annotations

import unicodedata

from engine.files.kinds import Kind

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
