"""A form field that asks for a file: the prize certificate of a dossier, a member's review of the đề án.

A form is plain data, and a file is not: its content is uploaded first, for the task
(``POST /cases/{id}/files`` with ``task_id``, or the task page), and the form then names it by
its id, ``{"file_id": 12}``. The form can only check the shape of that reference; whether file 12
was uploaded on *this* case for *this* task, is still on the list and is of a kind the field
accepts needs the database, so loading gives a :class:`FileRef` — a request, not yet a
reference — which the completion binds inside its own transaction (``workflows.form_files``),
storing the full reference ``{"file_id", "sha256", "name", "kind", "size"}`` instead. The
stored reference may be sent back as it is (its ``sha256`` must then still be the file's), which
is also how a replay re-reads a recorded completion.

The kinds below are the names ``engine.files.kinds`` gives the content it recognises; this
package imports nothing of the engine, so a test holds the two lists together.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from marshmallow import ValidationError, fields

#: Kind name -> (media type, extension), as ``engine.files.kinds.KINDS`` names them.
KINDS: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", ".pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "jpeg": ("image/jpeg", ".jpg"),
    "png": ("image/png", ".png"),
}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MAX_ID = 2 ** 63 - 1


class FileRef(dict):  # type: ignore[type-arg]
    """What a client gave for a file field (``file_id``, perhaps the rest of a stored reference),
    with the kinds the field accepts; a dict, so a recorded reference reads back as itself."""

    kinds: tuple[str, ...] = ()

    @property
    def file_id(self) -> int:
        return int(self["file_id"])


class File(fields.Field):
    """A file uploaded for the task, named by ``{"file_id": N}``; ``kinds`` limits what it may be
    (e.g. ``("pdf",)``), by default any kind the service keeps."""

    default_error_messages = {
        "invalid": "cần tham chiếu tệp {{\"file_id\": số}} / expected a file reference {{\"file_id\": number}}",
        "kind": "chỉ nhận tệp {kinds} / only {kinds} files are accepted",
    }

    def __init__(self, *, kinds: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        chosen = tuple(kinds) if kinds is not None else tuple(KINDS)
        unknown = [k for k in chosen if k not in KINDS]
        if unknown or not chosen:
            raise ValueError(f"unknown file kinds {unknown or chosen}; known: {', '.join(KINDS)}")
        self.kinds = chosen

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> FileRef:
        if not isinstance(value, dict) or not set(value) <= {"file_id", "sha256", "name", "kind", "size"}:
            raise self.make_error("invalid")
        file_id, sha256 = value.get("file_id"), value.get("sha256")
        if type(file_id) is not int or not 1 <= file_id <= _MAX_ID:
            raise self.make_error("invalid")
        if sha256 is not None and not (isinstance(sha256, str) and _SHA256.match(sha256)):
            raise ValidationError("sha256 phải là 64 chữ số hex / sha256 must be 64 hex digits")
        name, size, kind = value.get("name"), value.get("size"), value.get("kind")
        if (name is not None and not isinstance(name, str)) or (size is not None and type(size) is not int):
            raise self.make_error("invalid")
        if kind is not None and kind not in self.kinds:
            raise self.make_error("kind", kinds=", ".join(self.kinds))
        ref = FileRef(value)
        ref.kinds = self.kinds
        return ref

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else dict(value)

    def json_schema(self) -> dict[str, Any]:
        """How a client sees the field: an object naming the file, marked ``x-file`` with the
        kinds it accepts and an ``accept`` list for a file input."""
        accept = ",".join(part for kind in self.kinds for part in (KINDS[kind][1], KINDS[kind][0]))
        return {
            "type": "object",
            "properties": {
                "file_id": {"type": "integer", "minimum": 1,
                            "description": "Mã tệp đã tải lên cho công việc này",
                            "x-description-en": "Id of a file uploaded for this task"},
                "sha256": {"type": "string", "pattern": _SHA256.pattern},
                "name": {"type": "string"},
                "kind": {"type": "string", "enum": list(self.kinds)},
                "size": {"type": "integer", "minimum": 0},
            },
            "required": ["file_id"],
            "additionalProperties": False,
            "x-file": {"kinds": list(self.kinds), "accept": accept},
        }
