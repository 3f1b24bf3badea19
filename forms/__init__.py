"""User-task forms: one marshmallow schema per form key.

The same schema validates what the API receives and describes the form to
the web page as JSON Schema (:func:`json_schema`), with Vietnamese labels
first and English alongside (``metadata={"label": ..., "label_en": ...}``).
"""
from __future__ import annotations

from typing import Any, Mapping

from marshmallow import Schema, ValidationError, fields, validate

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


def _load_all() -> None:
    from forms import training  # noqa: F401  (registers its forms)
    from forms import nomination  # noqa: F401
    from forms import exam  # noqa: F401
    from forms import review  # noqa: F401


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


_TYPES: list[tuple[type, dict[str, Any]]] = [
    (fields.Email, {"type": "string", "format": "email"}),
    (fields.Url, {"type": "string", "format": "uri"}),
    (fields.AwareDateTime, {"type": "string", "format": "date-time"}),
    (fields.DateTime, {"type": "string", "format": "date-time"}),
    (fields.Date, {"type": "string", "format": "date"}),
    (fields.String, {"type": "string"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Decimal, {"type": "number"}),
    (fields.Float, {"type": "number"}),
    (fields.Number, {"type": "number"}),
    (fields.Boolean, {"type": "boolean"}),
    (fields.Dict, {"type": "object"}),
]


def _field_schema(field: fields.Field) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(field, fields.Nested):
        out = _object_schema(field.schema)
        if field.many:
            out = {"type": "array", "items": out}
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": _field_schema(field.inner)}
    else:
        for cls, base in _TYPES:
            if isinstance(field, cls):
                out = dict(base)
                break
    meta = field.metadata
    if "label" in meta:
        out["title"] = meta["label"]
    if "label_en" in meta:
        out["x-title-en"] = meta["label_en"]
    if "help" in meta:
        out["description"] = meta["help"]
    if "help_en" in meta:
        out["x-description-en"] = meta["help_en"]
    if field.load_default is not None and not callable(field.load_default) and \
            field.load_default.__class__.__name__ != "_Missing":
        out["default"] = field.load_default
    for v in field.validators:
        if isinstance(v, validate.OneOf):
            out["enum"] = list(v.choices)
            labels = meta.get("enum_labels")
            if labels:
                out["x-enum-labels"] = {c: labels.get(c, {"vi": c}) for c in v.choices}
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out["exclusiveMinimum" if not v.min_inclusive else "minimum"] = v.min
            if v.max is not None:
                out["exclusiveMaximum" if not v.max_inclusive else "maximum"] = v.max
        elif isinstance(v, validate.Length):
            key = "Items" if out.get("type") == "array" else "Length"
            if v.min is not None:
                out[f"min{key}"] = v.min
            if v.max is not None:
                out[f"max{key}"] = v.max
            if v.equal is not None:
                out[f"min{key}"] = out[f"max{key}"] = v.equal
        elif isinstance(v, validate.Regexp):
            out["pattern"] = v.regex.pattern
    if field.allow_none:
        out["nullable"] = True
    return out


def _object_schema(schema: Schema) -> dict[str, Any]:
    props, required = {}, []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        props[key] = _field_schema(field)
        if field.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    meta = getattr(schema.Meta, "title", None)
    if meta:
        out["title"] = meta
    return out


def json_schema(key: str) -> dict[str, Any]:
    """The form as JSON Schema (draft 2020-12), labels in ``title`` / ``x-title-en``."""
    schema = schema_for(key)
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"form:{key}",
           **_object_schema(schema)}
    title_en = getattr(schema.Meta, "title_en", None)
    if title_en:
        out["x-title-en"] = title_en
    return out


FREE_FORM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "description": "Dữ liệu tự do: khóa là định danh, không bắt đầu bằng '_'",
    "x-description-en": "Free-form data: keys are identifiers not starting with '_'",
    "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
}

__all__ = ["FREE_FORM_SCHEMA", "ValidationError", "dump", "exists", "form", "json_schema", "keys", "label", "load",
           "schema_for"]
