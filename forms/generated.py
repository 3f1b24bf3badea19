"""Marshmallow schemas built from a file's own ``camunda:formData``.

The engine reads the fields into a plain description (``engine/definitions/form_data.py``); this
module turns it into the same kind of schema as a hand-written form of this package, so the API
validates, publishes JSON Schema (through :mod:`forms.export`) and draws the page the same way.
Types follow Camunda: string, long, boolean, date, enum (its ``camunda:value`` entries); the
constraints required, min/max (numbers), minlength/maxlength and pattern (strings).
"""
from __future__ import annotations

from typing import Any, Mapping

import regex
from marshmallow import Schema, ValidationError, fields, validate

from forms.export import form_json_schema

_SCHEMAS: dict[str, type[Schema]] = {}

#: Seconds a field's pattern may take on one value, and the longest value it is run on: the same
#: as the engine's ``REGEX_TIMEOUT``/``REGEX_MAX_SUBJECT`` (this package imports nothing of the
#: engine; a test holds them together).
PATTERN_TIMEOUT = 1.0
PATTERN_MAX_TEXT = 100_000
PATTERN_TOO_SLOW = "The value could not be checked against the field's pattern in time; enter a shorter or simpler value."


class _TimedPattern(validate.Regexp):
    """A file's ``pattern`` constraint, run by the ``regex`` package with a timeout.

    A pattern written in a modeler (``^([a-z0-9]+[._-]?)*@…$``) may backtrack for hours on text the
    user chooses, holding the worker with the GIL; here it gives up after :data:`PATTERN_TIMEOUT`
    (other threads run meanwhile) and the field is refused with :data:`PATTERN_TOO_SLOW`. Still a
    ``Regexp`` so JSON Schema publishes the pattern."""

    def __init__(self, pattern: str) -> None:
        super().__init__(pattern)
        self._timed = regex.compile(pattern)

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str):
            return super().__call__(value)
        try:
            if len(value) > PATTERN_MAX_TEXT:
                raise TimeoutError
            matched = self._timed.fullmatch(value, timeout=PATTERN_TIMEOUT, concurrent=True)
        except TimeoutError:
            raise ValidationError(PATTERN_TOO_SLOW) from None
        if matched is None:
            raise ValidationError(self._format_error(value))
        return value


class _DateText(fields.Date):
    """A Camunda ``date`` field: checked as a date, kept as the ISO text (``2026-05-01``).

    SpiffWorkflow keeps what the form submitted, so a file's scripts and conditions treat the value
    as text (``when[:4]``); loading it into a ``date`` made those scripts fail here only. The field
    stays a Date for JSON Schema (``format: date``) and the page's date input."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).isoformat()


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
        cls = _DateText
    else:  # string, enum, and any type Camunda adds later: text at least
        cls = fields.String
        if "minlength" in rules or "maxlength" in rules:
            checks.append(validate.Length(min=rules.get("minlength"), max=rules.get("maxlength")))
        if "pattern" in rules:
            checks.append(_TimedPattern(f"^(?:{rules['pattern']})$"))
        if kind == "enum" and options:
            checks.append(validate.OneOf(options))
            meta["enum_labels"] = {o["id"]: {"vi": o["name"], "en": o["name"]} for o in spec.get("options") or []}
    required = bool(rules.get("required"))
    kwargs: dict[str, Any] = {"required": required, "validate": checks, "metadata": meta}
    if not required:
        kwargs["allow_none"] = True
    return cls(**kwargs)


def schema_class(key: str, description: Mapping[str, Any]) -> type[Schema]:
    """The schema class of generated form ``key`` (built once: the key names its content).

    Each field reads and writes the key the file names (``data_key``) under an attribute of its
    own: marshmallow takes a dotted attribute (``person.name``, common in Camunda form field ids)
    for a path and nested the value (``{"person": {"name": …}}``), while SpiffWorkflow keeps the
    flat key the form submitted."""
    if key not in _SCHEMAS:
        attrs: dict[str, Any] = {_attribute(n): _field(spec) for n, spec in enumerate(description["fields"])}
        for n, spec in enumerate(description["fields"]):
            attrs[_attribute(n)].data_key = spec["id"]
        attrs["Meta"] = type("Meta", (), {"title_en": description.get("key") or key, "register": False})
        _SCHEMAS[key] = type(f"Generated_{key}", (Schema,), attrs)
    return _SCHEMAS[key]


def _attribute(n: int) -> str:
    return f"field_{n}"


def load(key: str, description: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``data``; raises marshmallow ``ValidationError`` with field messages (by the keys
    the file names). The result is keyed by those same keys."""
    loaded = schema_class(key, description)().load(data)
    ids = [spec["id"] for spec in description["fields"]]
    return {ids[int(name.removeprefix("field_"))]: value for name, value in loaded.items()}


def json_schema(key: str, description: Mapping[str, Any]) -> dict[str, Any]:
    return form_json_schema(key, schema_class(key, description)())
