"""What a deployment is made of and how it is refused: source files, problems, namespaces.

The modules that read a deployment (:mod:`engine.definitions.specs`, the bundle logic of
:mod:`engine.definitions.bundles`, the zip reader of :mod:`engine.definitions.archive`) all speak
these few types, so they sit below all of them; :mod:`engine.definitions.specs` re-exports them
under their old names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_TAG = "definitions"
MAX_SOURCE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    name: str
    content: bytes
    #: For a file stored with a version because a call activity resolved to a deployed process:
    #: that process's key, version and definition id (see :mod:`engine.definitions.bundles`).
    pinned: dict[str, Any] | None = field(default=None, compare=False)


@dataclass
class Problem:
    message: str
    element_id: str = ""
    file: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"element_id": self.element_id, "file": self.file, "message": self.message}


class DefinitionInvalid(Exception):
    """The files do not make a deployable process; ``problems`` says where."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.element_id or p.file}: {p.message}" for p in problems))
