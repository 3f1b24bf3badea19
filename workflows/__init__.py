"""The programme's processes: one module per process, and the service built from them.

Each module declares a :class:`engine.policy.ProcessPolicy` for its process
key. A process deployed without a module (an uploaded BPMN file) runs under
the default policy.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import forms
from sqlalchemy.orm import Session

from engine.store.database import Store
from engine.definitions.versions import deploy, deploy_directory
from engine.store.models import ProcessDefinition
from engine.definitions.specs import SourceFile
from engine.errors import Invalid
from engine.policy import DEFAULT_POLICY, ProcessPolicy
from engine.cases.runner import CaseService
from workflows import registry, training_nomination  # noqa: F401  (registry: its tables join the schema)
from workflows import talent_nomination
from workflows import leadership_exam
from workflows import annual_talent_review, talent_assessment

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"

POLICIES: dict[str, ProcessPolicy] = {
    training_nomination.PROCESS_KEY: training_nomination.Policy(),
    talent_nomination.PROCESS_KEY: talent_nomination.Policy(),
    leadership_exam.PROCESS_KEY: leadership_exam.Policy(),
    annual_talent_review.PROCESS_KEY: annual_talent_review.Policy(),
    talent_assessment.PROCESS_KEY: talent_assessment.Policy(),
}


def policy_for(process_key: str) -> ProcessPolicy:
    return POLICIES.get(process_key, DEFAULT_POLICY)


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


def deploy_files(session: Session, sources: list[SourceFile], deployed_by: str) -> tuple[ProcessDefinition, bool]:
    """Deploy with this project's forms and lane rules checked."""
    return deploy(session, sources, deployed_by, forms.exists, policy_for)


def deploy_bpmn_dir(session: Session, deployed_by: str = "system") -> list[tuple[ProcessDefinition, bool]]:
    """Deploy every ``bpmn/*.bpmn`` (with the DMN files it uses); unchanged ones stay as they are."""
    return deploy_directory(session, BPMN_DIR, deployed_by, forms.exists, policy_for)


def build_service(store: Store) -> CaseService:
    return CaseService(store=store, policy_for=policy_for, validate_form=validate_form)
