"""User-task forms: one marshmallow schema per form key.

The same schema validates what the API receives and describes the form to
the web page as JSON Schema (:func:`json_schema`), with Vietnamese labels
first and English alongside (``metadata={"label": ..., "label_en": ...}``).
A :class:`File` field asks for a file uploaded for the task (``forms/files.py``).
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Mapping

from marshmallow import Schema, ValidationError

from forms.export import DRAFT, form_json_schema
from forms.files import File, FileRef

_FORMS: dict[str, type[Schema]] = {}


def form(key: str):  # type: ignore[no-untyped-def]
    """Class decorator registering a schema under its form key."""

    def register(cls: type[Schema]) -> type[Schema]:
        if key in _FORMS and _FORMS[key] is not cls:
            raise ValueError(f"form key '{key}' registered twice")
        _FORMS[key] = cls
        return cls

    return register


def label(vi: str, en: str, **extra: object) -> dict[str, object]:
    """Field metadata: the Vietnamese label first, English alongside (plus help, enum labels...)."""
    return {"label": vi, "label_en": en, **extra}


_LOADED = False


def _load_all() -> None:
    """Import every module of this package once, so each registers its forms: a new process's
    forms module is found without an edit here."""
    global _LOADED
    if _LOADED:
        return
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    _LOADED = True


def exists(key: str) -> bool:
    _load_all()
    return key in _FORMS


def keys() -> list[str]:
    _load_all()
    return sorted(_FORMS)


def schema_for(key: str) -> Schema:
    _load_all()
    return _FORMS[key]()


def load(key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``data``; raises marshmallow ``ValidationError`` with field messages."""
    return schema_for(key).load(data)


def dump(key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return schema_for(key).dump(data)


def json_schema(key: str) -> dict[str, Any]:
    """The form as JSON Schema (draft 2020-12), labels in ``title`` / ``x-title-en``.

    Built by apispec's marshmallow plugin (:mod:`forms.export`), so this package
    does not keep its own map of marshmallow's field and validator classes."""
    return form_json_schema(key, schema_for(key))


FREE_FORM_SCHEMA: dict[str, Any] = {
    "$schema": DRAFT,
    "type": "object",
    "description": "Dữ liệu tự do: khóa là định danh, không bắt đầu bằng '_'",
    "x-description-en": "Free-form data: keys are identifiers not starting with '_'",
    "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
}

__all__ = ["FREE_FORM_SCHEMA", "File", "FileRef", "ValidationError", "dump", "exists", "form", "json_schema", "keys", "label", "load",
           "schema_for"]
