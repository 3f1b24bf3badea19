"""``camunda:formData`` read into a plain description, so a file's own forms can be used.

A file drawn elsewhere declares its task forms in ``camunda:formData`` instead of naming a schema
of ``forms/``; SpiffWorkflow's Camunda parser keeps them on ``task_spec.form`` (and in the stored
spec). The engine knows no marshmallow, so it only turns them into plain dicts; ``forms`` builds
the schema. The description gets a key of its own, derived from its content
(:func:`generated_key`): each deployed definition's form is resolved by what it declares, never
by a name another file could also use, and the key survives a restart since the stored spec
rebuilds the same description.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

GENERATED_PREFIX = "formdata-"

# Descriptions seen in parsed or restored specs, by generated key (filled by human_tasks_of).
_DESCRIPTIONS: dict[str, dict[str, Any]] = {}
# Restores stored definitions (so their descriptions are remembered) when a key is not known yet:
# after a restart, or on a worker that neither deployed the file nor ran one of its cases.
_finder: Callable[[], None] | None = None

_INT_RULES = ("min", "max", "minlength", "maxlength")


def _rule(name: str, config: Any) -> tuple[str, Any] | None:
    """One ``camunda:constraint`` as (name, value); unknown ones (e.g. ``readonly``) are left out:
    they restrict nothing a person submits."""
    name = (name or "").strip().lower()
    if name == "required":
        return name, True
    if name in _INT_RULES:
        try:
            return name, float(config) if "." in str(config) else int(config)
        except (TypeError, ValueError):
            return None
    if name == "pattern" and config:
        return name, str(config)
    return None


def form_description(task_spec: Any) -> dict[str, Any] | None:
    """The task's ``formData`` as ``{"key", "fields": [{id, label, type, default, rules, options}]}``,
    None when it declares no field."""
    form = getattr(task_spec, "form", None)
    declared = list(getattr(form, "fields", None) or [])
    if not declared:
        return None
    fields = []
    for field in declared:
        rules = dict(r for r in (_rule(v.name, v.config) for v in field.validation) if r)
        fields.append({
            "id": field.id, "label": field.label or field.id, "type": (field.type or "string").lower(),
            "default": field.default_value or None, "rules": rules,
            "options": [{"id": o.id, "name": o.name or o.id} for o in getattr(field, "options", [])],
        })
    return {"key": getattr(form, "key", "") or None, "fields": fields}


def generated_key(description: dict[str, Any]) -> str:
    """A form key naming exactly this description (fits the 100 characters of a task's form key)."""
    digest = hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:24]
    return f"{GENERATED_PREFIX}{digest}"


def remember(description: dict[str, Any]) -> str:
    """Keep ``description`` for lookups by its key; returns the key."""
    key = generated_key(description)
    _DESCRIPTIONS[key] = description
    return key


def is_generated(form_key: str | None) -> bool:
    return bool(form_key) and str(form_key).startswith(GENERATED_PREFIX)


def set_finder(finder: Callable[[], None] | None) -> None:
    """What :func:`description_of` runs on a miss (see :func:`engine.definitions.form_lookup`)."""
    global _finder
    _finder = finder


def description_of(form_key: str) -> dict[str, Any] | None:
    """The description of a generated key: remembered when a spec declaring it was parsed or
    restored, else looked for among the stored definitions."""
    found = _DESCRIPTIONS.get(form_key)
    if found is None and _finder is not None:
        _finder()
        found = _DESCRIPTIONS.get(form_key)
    return found
