"""Form schemas as JSON Schema, through apispec's marshmallow plugin.

apispec already knows how marshmallow fields, validators and nested schemas map
to JSON Schema, so this module only states where the published form contract
differs from apispec's OpenAPI defaults, and adds our label metadata:

- ``label``/``label_en`` -> ``title``/``x-title-en``, ``help``/``help_en`` ->
  ``description``/``x-description-en``, ``enum_labels`` -> ``x-enum-labels``
  (every choice mapped, a choice without a label shown as itself), and the
  form's ``Meta.title_en`` -> ``x-title-en`` at the top;
- nested schemas are inlined (the page walks one document, never a ``$ref``);
- only ``OneOf`` gives an ``enum``: apispec also turns ``Equal(True)`` into
  ``enum: [true]``, which would make the page show a one-option radio group
  instead of the checkbox the user must tick, and would list ``null`` among
  the choices of an optional select;
- ``choices`` -> ``x-choices``: a string whose choices the page takes from a directory (``units``:
  the codes of the units the user may start for, shown by their names; ``people``: the usernames of
  the active users, shown by their display names); the form and the process still check it;
- range bounds are the validator's own numbers, exclusive ones as
  ``exclusiveMinimum``/``exclusiveMaximum`` (apispec ignores the inclusive
  flags and passes the bounds through the field, so a mark range 0–100 of a
  ``Float`` would reach the page as ``0.0``);
- a ``null`` default is left out (the page shows an empty input either way);
- ``required`` keeps the order of the form's fields, as the form reads;
- dump-only fields are not part of what a client posts, so they are left out;
- ``Url`` has JSON Schema's format ``uri`` (apispec says ``url``);
- a :class:`forms.files.File` field is an object naming an uploaded file (``file_id``), marked
  ``x-file`` with the kinds it accepts (:meth:`forms.files.File.json_schema`).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter
from apispec.ext.marshmallow.field_converter import DEFAULT_FIELD_MAPPING
from marshmallow import Schema, fields, validate

from forms.files import File

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# OpenAPI 3.0 spells an optional value ``nullable: true``, which the page and clients read today.
_OPENAPI_VERSION = "3.0.3"


def _labels(self: OpenAPIConverter, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Our field metadata (Vietnamese first, English alongside) as JSON Schema words.

    Runs after apispec's own attribute functions, so a label wins over a nested
    schema's ``Meta.title``, as the field names what the nested object is for."""
    meta = field.metadata
    out: dict[str, Any] = {}
    for ours, theirs in (("label", "title"), ("label_en", "x-title-en"),
                         ("help", "description"), ("help_en", "x-description-en")):
        if ours in meta:
            out[theirs] = meta[ours]
    if "choices" in meta:  # where the page takes the choices of a free string from, e.g. "units"
        out["x-choices"] = meta["choices"]
    labels = meta.get("enum_labels")
    if labels and "enum" in ret:
        out["x-enum-labels"] = {choice: labels.get(choice, {"vi": choice}) for choice in ret["enum"]}
    return out


def _file(self: OpenAPIConverter, field: fields.Field, **_: Any) -> dict[str, Any]:
    """A file field as the object a client sends, with its ``x-file`` hint."""
    return field.json_schema() if isinstance(field, File) else {}


class FormConverter(OpenAPIConverter):
    """apispec's converter with the form contract's few differences (see the module docstring)."""

    field_mapping = {**DEFAULT_FIELD_MAPPING, fields.Url: ("string", "uri")}

    def init_attribute_functions(self) -> None:
        super().init_attribute_functions()
        self.add_attribute_function(_file)
        self.add_attribute_function(_labels)

    def field2choices(self, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
        choices = [list(v.choices) for v in field.validators if isinstance(v, validate.OneOf)]
        return {"enum": choices[-1]} if choices else {}

    def field2range(self, field: fields.Field, ret: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for v in field.validators:
            if isinstance(v, validate.Range):
                if v.min is not None:
                    out["minimum" if v.min_inclusive else "exclusiveMinimum"] = v.min
                if v.max is not None:
                    out["maximum" if v.max_inclusive else "exclusiveMaximum"] = v.max
        return out

    def field2default(self, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
        out = super().field2default(field, **kwargs)
        if out.get("default", ...) is None:
            del out["default"]
        return out

    def fields2jsonschema(self, fields: dict[str, fields.Field], *, partial: Any = None) -> dict[str, Any]:
        posted = {name: field for name, field in fields.items() if not field.dump_only}
        out = super().fields2jsonschema(posted, partial=partial)
        if "required" in out:
            required = set(out["required"])
            out["required"] = [key for key in out["properties"] if key in required]
        return out


class _InlinePlugin(MarshmallowPlugin):
    Converter = FormConverter


@lru_cache(maxsize=1)
def converter() -> FormConverter:
    """The one converter; it holds no per-form state, since nested schemas are inlined, not registered."""
    plugin = _InlinePlugin(schema_name_resolver=lambda _schema: None)
    APISpec(title="talentflow forms", version="1", openapi_version=_OPENAPI_VERSION, plugins=[plugin])
    assert isinstance(plugin.converter, FormConverter)
    return plugin.converter


def form_json_schema(key: str, schema: Schema) -> dict[str, Any]:
    """The form ``key`` as a standalone JSON Schema document, identified as ``form:<key>``."""
    out: dict[str, Any] = {"$schema": DRAFT, "$id": f"form:{key}", **converter().schema2jsonschema(schema)}
    title_en = getattr(schema.Meta, "title_en", None)
    if title_en:
        out["x-title-en"] = title_en
    return out
