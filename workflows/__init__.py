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

import forms
from sqlalchemy.orm import Session

from engine.definitions.versions import deploy, deploy_directory
from engine.store.models import ProcessDefinition
from engine.definitions.specs import SourceFile
from engine.errors import Invalid
from workflows.programme import registry  # noqa: F401  (its tables join the schema)
from workflows.processes import (POLICIES, case_pages, catalogue_dirs, discover, event_labels,  # noqa: F401
                                 policy_for, register, role_labels, status_labels, status_tones, unregister)

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"


def validate_form(form_key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate task or start data against its form; 422 with field messages."""
    if not forms.exists(form_key):
        raise Invalid(f"unknown form '{form_key}'", {"form": [f"unknown form '{form_key}'"]})
    try:
        return forms.load(form_key, data)
    except forms.ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"data": err.messages}
        raise Invalid("the form has errors", messages) from None


def form_schema(form_key: str | None) -> dict[str, Any]:
    if form_key and forms.exists(form_key):
        return forms.json_schema(form_key)
    return dict(forms.FREE_FORM_SCHEMA)


def deploy_files(session: Session, sources: list[SourceFile], deployed_by: str,
                 process: str | None = None) -> tuple[ProcessDefinition, bool]:
    """Deploy with this project's forms and lane rules checked; ``process``: which of the file's
    processes, when it has several top-level ones."""
    return deploy(session, sources, deployed_by, forms.exists, policy_for, process)


def deploy_bpmn_dir(session: Session, deployed_by: str = "system") -> list[tuple[ProcessDefinition, bool]]:
    """Deploy every ``bpmn/*.bpmn`` (with the DMN files it uses); unchanged ones stay as they are."""
    return deploy_directory(session, BPMN_DIR, deployed_by, forms.exists, policy_for)


from workflows.services import Services, build_service, build_services  # noqa: E402,F401  (the wiring)
from workflows.settings import RulesFileError  # noqa: E402,F401  (a bad TALENTFLOW_RULES_FILE)
from workflows.people import substitute_rules  # noqa: E402,F401  (who sets substitutes, for the API and pages)


discover(__name__)  # last: a process module may use anything above
