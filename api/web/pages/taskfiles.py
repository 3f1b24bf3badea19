"""The files a task's form asks for (``forms.File``), uploaded with the form on the task page.

The page posts the form as ``multipart/form-data``. Each chosen file is kept first, for the task
(:meth:`engine.files.CaseFiles.attach` with ``task_id``: its own transaction and its own
``file_attached`` event), and the form then names it by id, as an API client would; completing the
task is a second transaction. So when the completion is refused (another field is wrong), the
file stays attached to the task — seen only as the task's data is, by its uploader until then —
and the page shows it again as "already uploaded", with its id in a hidden input: the next submit
names it without uploading it again, and a new file chosen in its place replaces it. A file the
store refuses (its kind, its size) is said next to its input in the reader's language, and the
task is not completed.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import request
from werkzeug.datastructures import MultiDict

from api.web import services
from api.web.pages import formpost
from api.web.pages.files import refusal
from api.web.session import current_user
from engine.errors import EngineError


def receive(task: Mapping[str, Any], schema: Mapping[str, Any]) -> tuple[MultiDict, dict[str, Any]]:
    """The posted form with each upload kept and named by ``<input>-file_id``, and the refusals
    (``Invalid.details``-shaped, by shown row) of uploads that could not be kept."""
    posted = request.form.copy()
    refused: dict[str, Any] = {}
    files, actor = services().files, current_user()
    for name in formpost.file_inputs(schema, posted):
        upload = request.files.get(name)
        if upload is None or not upload.filename:
            continue
        try:
            kept = files.attach(actor, task["case_id"], upload.stream, upload.filename, task_id=task["id"])
        except EngineError as err:
            if err.status == 404:
                raise
            _put(refused, name, refusal(err))
        else:
            posted[f"{name}-file_id"] = str(kept["id"])
    return posted, refused


def shown(task: Mapping[str, Any], values: dict[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` (as ``formpost.resubmitted`` reads them) with each kept file's name beside its id,
    for the "already uploaded" line; an id that is no file of this task shows nothing."""
    names = _task_files(task)
    for key, node in (schema.get("properties") or {}).items():
        items = node.get("items") or {}
        if node.get("type") == "array" and items.get("type") == "object":
            for row in values.get(key) or []:
                for col, col_node in (items.get("properties") or {}).items():
                    if "x-file" in col_node and isinstance(row, dict):
                        row[col] = _named(row.get(col), names)
        elif "x-file" in node:
            values[key] = _named(values.get(key), names)
    return values


def _task_files(task: Mapping[str, Any]) -> dict[int, str]:
    svc = services()
    with svc.store.read() as db:
        listed = svc.files.files(db, current_user(), task["case_id"])
    return {f["id"]: f["name"] for f in listed if f["task_id"] == task["id"]}


def _named(value: Any, names: Mapping[int, str]) -> dict[str, Any] | None:
    file_id = value.get("file_id") if isinstance(value, dict) else None
    return {"file_id": file_id, "name": names[file_id]} if file_id in names else None


def _put(refused: dict[str, Any], name: str, message: str) -> None:
    """A row's input is ``list-<row>-<col>``: its message goes where the form's row messages go."""
    parts = name.split("-")
    if len(parts) == 3 and parts[1].isdigit():
        refused.setdefault(parts[0], {}).setdefault(int(parts[1]), {})[parts[2]] = [message]
    else:
        refused[name] = [message]
