"""Finding a generated form's description among the stored definitions.

A task row keeps only the generated form key (``engine/definitions/form_data.py``); the fields
live in its definition's stored spec. A worker that has restored none of the definitions declaring
it (after a restart, or another worker deployed the file) would otherwise see an unknown key, and
a task could be completed without the validation its file declares.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select

from engine.definitions import form_data
from engine.definitions.specs import human_tasks_of
from engine.definitions.versions import SpecCache
from engine.store.database import Store
from engine.store.models import ProcessDefinition


def finder(store: Store, specs: SpecCache) -> Callable[[], None]:
    """Restore every Camunda-dialect definition (the only parser that reads ``formData``) through
    ``specs`` and walk its human tasks, which remembers their descriptions; the cache makes a
    second pass cheap."""

    def find() -> None:
        with store.read() as session:
            ids = session.scalars(select(ProcessDefinition.id).where(ProcessDefinition.dialect == "camunda"))
            for definition_id in list(ids):
                loaded = specs.get(session, definition_id)
                human_tasks_of(loaded.spec, loaded.subprocess_specs)  # remembers (a cached one too)

    return find


def use_store(store: Store, specs: SpecCache) -> None:
    """Look generated forms up in ``store`` on a miss (the service wires this once it is built)."""
    form_data.set_finder(finder(store, specs))
