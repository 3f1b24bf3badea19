"""Marshmallow schemas built from a file's own ``camunda:formData``.

The engine reads the fields into a plain description (``engine/definitions/form_data.py``); this
module turns it into the same kind of schema as a hand-written form of this package, so the API
validates, publishes JSON Schema (through :mod:`forms.export`) and draws the page the same way.
Types follow Camunda: string, long, boolean, date, enum (its ``camunda:value`` entries); the
constraints required, min/max (numbers), minlength/maxlength and pattern (strings).
"""
from __future__ import annotations

from typing import Any, Mapping

from marshmallow import Schema, fields, validate

from forms.export import form_json_schema

_SCHEMAS: dict[str, type[Schema]] = {}


def _field(spec: Mapping[str, Any]) -> fields.Field:
    rules: Mapping[str, Any] = spec.get("rules") or {}
    kind = spec.get("type") or "string"
    checks: list[Any] = []
    options = [o["id"] for o in spec.get("options") or []]
    meta: dict[str, Any] = {"label": spec.get("label") or spec["id"], "label_en": spec.get("label") or spec["id"]}
    if kind == "long":
        cls: type[fields.Field] = fields.Integer
        if "min" in rules or "max" in rules:
            checks.append(validate.Range(min=rules.get("min"), max=rules.get("max")))
    elif kind == "boolean":
        cls = fields.Boolean
    elif kind == "date":
        cls = fields.Date
    else:  # string, enum, and any type Camunda adds later: text at least
        cls = fields.String
        if "minlength" in rules or "maxlength" in rules:
            checks.append(validate.Length(min=rules.get("minlength"), max=rules.get("maxlength")))
        if "pattern" in rules:
            checks.append(validate.Regexp(f"^(?:{rules['pattern']})$"))
        if kind == "enum" and options:
            checks.append(validate.OneOf(options))
            meta["enum_labels"] = {o["id"]: {"vi": o["name"], "en": o["name"]} for o in spec.get("options") or []}
    required = bool(rules.get("required"))
    kwargs: dict[str, Any] = {"required": required, "validate": checks, "metadata": meta}
    if not required:
        kwargs["allow_none"] = True
    return cls(**kwargs)


def schema_class(key: str, description: Mapping[str, Any]) -> type[Schema]:
    """The schema class of generated form ``key`` (built once: the key names its content)."""
    if key not in _SCHEMAS:
        attrs: dict[str, Any] = {spec["id"]: _field(spec) for spec in description["fields"]}
        attrs["Meta"] = type("Meta", (), {"title_en": description.get("key") or key, "register": False})
        _SCHEMAS[key] = type(f"Generated_{key}", (Schema,), attrs)
    return _SCHEMAS[key]


def load(key: str, description: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``data``; raises marshmallow ``ValidationError`` with field messages."""
    return schema_class(key, description)().load(data)


def json_schema(key: str, description: Mapping[str, Any]) -> dict[str, Any]:
    return form_json_schema(key, schema_class(key, description)())
