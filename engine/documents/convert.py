"""DOCX to PDF with LibreOffice headless, the one converter that lays Word files out faithfully.

Each conversion runs ``soffice --headless --convert-to pdf`` in a temporary folder of its own
with its own user profile (``-env:UserInstallation``): two conversions at once would otherwise
share, and lock, one profile and one fails. The timeout is generous (a cold start of LibreOffice
takes seconds on a loaded machine). Missing LibreOffice is said plainly (503
``converter_unavailable``, with what to install), a failed conversion likewise
(``conversion_failed``), never as a 500.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from engine.errors import EngineError

#: Seconds one conversion may take.
TIMEOUT_SECONDS = 120
#: The program run, unless ``TALENTFLOW_SOFFICE`` (the settings' ``SOFFICE``) names another.
SOFFICE = "soffice"
INSTALL_HINT = ("install LibreOffice Writer (Debian: apt-get install libreoffice-writer-nogui poppler-utils "
                "fonts-liberation2, or run .ci/libreoffice as root)")


class ConversionFailed(EngineError):
    """The PDF could not be made; nothing was issued or kept."""

    status, code = 503, "conversion_failed"


class ConverterMissing(ConversionFailed):
    code = "converter_unavailable"


def soffice_path(program: str | None = None) -> str:
    """The LibreOffice program to run, or :class:`ConverterMissing` saying what to install."""
    found = shutil.which(program or SOFFICE)
    if found is None:
        raise ConverterMissing(f"LibreOffice ('{program or SOFFICE}') is not installed: {INSTALL_HINT}",
                               {"soffice": [program or SOFFICE]})
    return found


def docx_to_pdf(docx: bytes, program: str | None = None, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The PDF LibreOffice makes of ``docx``."""
    soffice = soffice_path(program)
    with tempfile.TemporaryDirectory(prefix="talentflow-pdf-") as work:
        folder = Path(work)
        source = folder / "document.docx"
        source.write_bytes(docx)
        command = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                   "--norestore", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(folder), str(source)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, cwd=folder,
                                  env={**os.environ, "HOME": str(folder)})
        except subprocess.TimeoutExpired:
            raise ConversionFailed(f"LibreOffice did not finish the PDF within {timeout:g} seconds") from None
        except OSError as err:
            raise ConversionFailed(f"LibreOffice could not be run: {err}") from None
        result = folder / "document.pdf"
        if done.returncode != 0 or not result.is_file():
            said = (done.stderr or done.stdout or b"").decode("utf-8", "replace").strip()[-500:]
            raise ConversionFailed(f"LibreOffice could not convert the document (exit {done.returncode}): {said}")
        return result.read_bytes()
