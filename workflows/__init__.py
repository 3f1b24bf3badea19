"""The programme's processes: one module per process, and the service built from them.

Each process module registers a :class:`engine.policy.ProcessPolicy` for its
process key when imported (:func:`workflows.processes.register`); importing
this package imports every one of its modules, so adding a process needs no
edit here. A process deployed without a module (an uploaded BPMN file) runs
under the default policy.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import os

import forms
from forms import generated
from sqlalchemy.orm import Session

from engine.definitions.form_data import description_of, is_generated
from engine.definitions.specs import Problem
from engine.definitions.versions import deploy, deploy_directory
from engine.store.models import ProcessDefinition
from engine.definitions.specs import SourceFile
from engine.errors import Invalid
from workflows.programme import registry  # noqa: F401  (its tables join the schema)
from workflows.processes import (POLICIES, case_pages, catalogue_dirs, discover, event_labels,  # noqa: F401
                                 policy_for, register, role_labels, status_labels, status_tones, unregister)

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"


def strict_forms() -> bool:
    """``TALENTFLOW_STRICT_FORMS=1``: refuse a file whose form key has neither a schema in
    ``forms/`` nor ``camunda:formData`` (otherwise such a task takes free data, with a warning)."""
    return os.environ.get("TALENTFLOW_STRICT_FORMS", "").strip().lower() in ("1", "true", "yes")


def validate_form(form_key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate task or start data against its form (a ``forms/`` schema or the file's own
    ``formData``); 422 with field messages. A key with neither takes free data, as a task without
    a form: the deploy warned about it."""
    described = description_of(form_key) if is_generated(form_key) else None
    if is_generated(form_key) and described is None:  # never free data where the file declared fields
        raise Invalid(f"unknown form '{form_key}'", {"form": [f"unknown form '{form_key}'"]})
    if described is None and not forms.exists(form_key):
        return dict(data)
    try:
        return generated.load(form_key, described, data) if described else forms.load(form_key, data)
    except forms.ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"data": err.messages}
        raise Invalid("the form has errors", messages) from None


def form_schema(form_key: str | None) -> dict[str, Any]:
    """The form as JSON Schema: a ``forms/`` schema, the file's own ``formData``, else free data."""
    described = description_of(form_key) if form_key and is_generated(form_key) else None
    if described is not None:
        return generated.json_schema(form_key, described)  # type: ignore[arg-type]
    if form_key and forms.exists(form_key):
        return forms.json_schema(form_key)
    return dict(forms.FREE_FORM_SCHEMA)


def deploy_files(session: Session, sources: list[SourceFile], deployed_by: str,
                 process: str | None = None, warnings: list[Problem] | None = None,
                 ) -> tuple[ProcessDefinition, bool]:
    """Deploy with this project's forms and lane rules checked; ``process``: which of the file's
    processes, when it has several top-level ones; ``warnings`` gets what was accepted with a
    caveat (a form key with no form, see :func:`strict_forms`)."""
    return deploy(session, sources, deployed_by, forms.exists, policy_for, process, strict_forms(), warnings)


def deploy_bpmn_dir(session: Session, deployed_by: str = "system") -> list[tuple[ProcessDefinition, bool]]:
    """Deploy every ``bpmn/*.bpmn`` (with the DMN files it uses); unchanged ones stay as they are."""
    return deploy_directory(session, BPMN_DIR, deployed_by, forms.exists, policy_for)


from workflows.services import Services, build_service, build_services  # noqa: E402,F401  (the wiring)
from workflows.settings import RulesFileError  # noqa: E402,F401  (a bad TALENTFLOW_RULES_FILE)
from workflows.people import substitute_rules  # noqa: E402,F401  (who sets substitutes, for the API and pages)


discover(__name__)  # last: a process module may use anything above
