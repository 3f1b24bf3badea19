"""Filling a Word template with a case's data (docxtpl: Jinja placeholders inside the DOCX).

Templates are plain ``.docx`` files an officer edits in Word. An installation's edited copy
(same file name, in ``TALENTFLOW_TEMPLATES_DIR``) is used instead of the shipped one, so an
upgrade never overwrites local wording. Values are escaped for XML (``autoescape``): a name
with ``&`` or ``<`` prints as written and cannot break the file. A template that is not a DOCX,
or whose placeholders are broken (an unclosed ``{{``, a tag split by Word's formatting), is said
plainly (``template_invalid``), never as a 500.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any, Mapping

from engine.errors import EngineError


class TemplateInvalid(EngineError):
    status, code = 503, "template_invalid"


def template_path(shipped: Path, override_dir: str | Path | None) -> Path:
    """The installation's copy of ``shipped`` when it has one, else ``shipped``."""
    if override_dir:
        local = Path(override_dir) / shipped.name
        if local.is_file():
            return local
    return shipped


def render_docx(template: Path, context: Mapping[str, Any]) -> bytes:
    """The DOCX ``template`` makes with ``context``."""
    from docxtpl import DocxTemplate  # imported when used: the engine loads without it
    from docx.opc.exceptions import PackageNotFoundError
    from jinja2 import TemplateError

    try:
        document = DocxTemplate(str(template))
        document.render(dict(context), autoescape=True)
        out = io.BytesIO()
        document.save(out)
    except TemplateError as err:
        raise TemplateInvalid(f"the template {template.name} has a broken placeholder: {err}",
                              {"template": [template.name]}) from None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, PackageNotFoundError) as err:  # missing file, not a DOCX (zip without its parts)
        raise TemplateInvalid(f"the template {template.name} cannot be read as a Word document: {err}",
                              {"template": [template.name]}) from None
    return out.getvalue()
