"""Files over HTTP, for the JSON API and the pages alike: how large an upload may be, and how a
kept file is sent back.

The request limit (``MAX_CONTENT_LENGTH``, 1 MiB) guards every JSON body and form; a file upload
may be as large as ``MAX_FILE_BYTES`` plus a little for the form around it. The limit is raised
for the upload endpoints alone, before anything reads the body (the pages' CSRF check reads the
form first), and the file store refuses a file over ``MAX_FILE_BYTES`` itself as it writes it.

A file is always sent as a download (``Content-Disposition: attachment``, the stored name RFC
5987-encoded so Vietnamese names survive), with the media type its content showed, never
sniffed (``nosniff``) and sandboxed should a browser open it anyway: content from a case never
runs as a page of this site.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask, current_app, request, send_file

#: Room for the multipart framing and the small fields beside the file (note, task id, CSRF token).
FORM_ALLOWANCE = 64 * 1024
#: Endpoints that take a file; their requests may be as large as a file.
#: (``web.complete_task``: a task form's file fields; ``*.submit_sheet``: a task filled in as a spreadsheet.)
UPLOAD_ENDPOINTS = {"files.attach_file", "web.attach_file", "files.attach_signed", "web.attach_signed",
                    "web.complete_task", "exports.submit_sheet", "web.submit_sheet"}
#: Deployments: a bundle of BPMN and DMN files (or its zip) may be as large as ``MAX_DEPLOY_BYTES`` (17 MiB:
#: the bundle's own 16 MiB and the form around it, which the definitions check member by member with reasons a 413 would not give).
DEPLOY_ENDPOINTS = {"processes.deploy_process"}


def init_app(app: Flask) -> None:
    @app.before_request
    def _file_uploads_may_be_large() -> None:
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = int(current_app.config["MAX_FILE_BYTES"]) + FORM_ALLOWANCE
        elif request.endpoint in DEPLOY_ENDPOINTS:
            request.max_content_length = int(current_app.config["MAX_DEPLOY_BYTES"])


def ascii_name(name: str) -> str:
    """The name for clients that read only ``filename=`` (no accents; đ as d)."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    out = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%;' else "_" for ch in plain
                  if not unicodedata.combining(ch))
    return out or "file"


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the exact name as RFC 5987 ``filename*``."""
    return f"attachment; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def send_kept(info: dict[str, Any], path: Path) -> Any:
    """The answer that downloads a kept file (``info`` as ``engine.files.file_dict`` shows it)."""
    response = send_file(path, mimetype=info["media_type"], as_attachment=True, download_name=info["name"],
                         conditional=True, etag=info["sha256"], max_age=0)
    response.headers["Content-Disposition"] = content_disposition(info["name"])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
