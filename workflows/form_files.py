"""A form's file fields bound to the files uploaded for the task, in the completion's transaction.

``forms.File`` can only check that a client named a file (``{"file_id": N}``); whether that file
belongs here needs the case and the task. The case service calls :func:`bind_files` (its
``bind_files``, wired by :func:`workflows.services.build_service`) on every validated start and
completion: each :class:`forms.FileRef` in the data becomes the full reference of a file uploaded
on this case for this task, not removed and of a kind the field accepts
(:func:`engine.files.task_reference`), or the step is refused with 422 naming the field — the
same shape as the form's own messages, so the pages put it beside the file input. Nothing is
written before the check, so a refused reference changes nothing. Generic: no process is named.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

import forms
from engine.errors import Invalid
from engine.files import Unusable, task_reference

#: Why a named file cannot be used, as the form's messages say things: Vietnamese, then English.
WHY = {
    "unknown": "không phải tệp đã tải lên cho công việc này của hồ sơ / not a file uploaded for this task of the case",
    "removed": "tệp đã bị gỡ khỏi hồ sơ / the file was removed from the case",
    "kind": "chỉ nhận tệp {kinds} / only {kinds} files are accepted",
    "changed": "mã SHA-256 không khớp với tệp / the SHA-256 is not the file's",
}
START = "tệp được tải lên cho một công việc, không phải khi bắt đầu hồ sơ / files are uploaded for a task, not at the start"


def bind_files(conn: Connection, case_id: int | None, task_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with every file request replaced by its file's full reference; :class:`Invalid`
    with every field whose file cannot be used (``details`` nested as marshmallow nests them)."""
    errors: dict[Any, Any] = {}

    def bind(value: Any, path: tuple[Any, ...]) -> Any:
        if isinstance(value, forms.FileRef):
            try:
                return task_reference(conn, case_id, task_id, value.file_id, value.get("sha256"), value.kinds)
            except Unusable as err:
                why = START if task_id is None else WHY[err.reason].format(kinds=", ".join(value.kinds))
                _put(errors, path, why)
                return value
        if isinstance(value, dict):
            return {key: bind(item, path + (key,)) for key, item in value.items()}
        if isinstance(value, list):
            return [bind(item, path + (i,)) for i, item in enumerate(value)]
        return value

    bound = bind(data, ())
    if errors:
        raise Invalid("a file field names a file that cannot be used here", errors)
    return bound


def _put(errors: dict[Any, Any], path: tuple[Any, ...], message: str) -> None:
    node = errors
    for step in path[:-1]:
        node = node.setdefault(step, {})
    node.setdefault(path[-1], []).append(message)
