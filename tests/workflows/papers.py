"""Reading a generated paper as a reviewer would: the DOCX with python-docx, the PDF with
poppler-utils (``pdftotext``, ``pdfinfo``, ``pdffonts``), page 1 rendered to PNG under
``tests/artifacts/`` to look at. Without LibreOffice or poppler the tests fail, saying what to
install (``.ci/libreoffice``), never skip."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx

from tests.api.support import API

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "documents"
TOOLS = ("soffice", "pdftotext", "pdfinfo", "pdffonts", "pdftoppm")


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not missing, (f"missing {', '.join(missing)}: the document tests need LibreOffice and poppler-utils; "
                         "run .ci/libreoffice (as root it installs libreoffice-writer-nogui poppler-utils "
                         "fonts-liberation2)")


def generate(auth: Any, user: str, case_id: int, kind: str, status: int = 201) -> dict[str, Any]:
    response = auth.as_(user).post(f"{API}/cases/{case_id}/documents", json={"kind": kind})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def download(auth: Any, user: str, case_id: int, file_id: int) -> bytes:
    response = auth.as_(user).get(f"{API}/cases/{case_id}/files/{file_id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data()


def docx_text(content: bytes) -> tuple[Any, str]:
    """The document and all its text (paragraphs and table cells, in order)."""
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return document, "\n".join(parts)


def assert_decree30_page(document: Any) -> None:
    """A4, margins top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm, Times New Roman."""
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    mm = {side: round(getattr(section, f"{side}_margin").mm) for side in ("top", "bottom", "left", "right")}
    assert 20 <= mm["top"] <= 25 and 20 <= mm["bottom"] <= 25, mm
    assert 30 <= mm["left"] <= 35 and 15 <= mm["right"] <= 20, mm
    assert document.styles["Normal"].font.name == "Times New Roman"


def pdf_facts(content: bytes, name: str) -> dict[str, Any]:
    """Text, page size and fonts of a PDF; page 1 kept as ``tests/artifacts/documents/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout.decode()
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(ARTIFACTS / name)], check=True)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size is not None, info
    return {"text": " ".join(text.decode().split()), "size": (round(float(size[1])), round(float(size[2]))),
            "fonts": fonts, "png": ARTIFACTS / f"{name}.png"}


def assert_a4_serif(facts: dict[str, Any]) -> None:
    assert facts["size"] == (595, 842)
    embedded = [line for line in facts["fonts"].splitlines()[2:] if line.strip()]
    assert embedded and all(re.search(r"LiberationSerif|TimesNewRoman|Times", line) for line in embedded), \
        facts["fonts"]
    assert all(" yes " in line for line in embedded), facts["fonts"]  # embedded
    assert facts["png"].stat().st_size > 1000
