"""Deploying process versions and keeping their restored specs in memory.

Deploying changed content makes a new version of the process key; the same
content again returns the existing version. Cases pin a version by id, and
the spec objects of each version are restored once per service process.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.audit import events as audit
from engine.time import clock
from engine.definitions import archive, state
from engine.definitions.bundles import Call, DeployedProcess, Resolver, element_files
from engine.store.models import ProcessDefinition
from engine.policy import ProcessPolicy
from engine.definitions.specs import (DefinitionInvalid, HumanTaskInfo, ParsedDefinition, Problem, SourceFile, decision_refs,
                          dmn_decision_ids, due_date_expressions, human_tasks_of, parse_definition)
from engine.definitions.specs import element_names as specs_element_names


@dataclass
class LoadedDefinition:
    id: int
    key: str
    version: int
    name: str
    dialect: str
    sha256: str
    spec: Any
    subprocess_specs: dict[str, Any]
    human_tasks: dict[str, HumanTaskInfo]
    due_dates: dict[str, str] = field(default_factory=dict)

    def element_names(self) -> dict[str, str]:
        """Element id -> name as drawn (:func:`engine.definitions.specs.element_names`)."""
        return specs_element_names(self.spec, self.subprocess_specs)


def deploy(session: Session, sources: list[SourceFile], deployed_by: str,
           form_exists: Callable[[str], bool] | None = None,
           policy_for: Callable[[str], ProcessPolicy] | None = None,
           process: str | None = None, strict_forms: bool = False,
           warnings: list[Problem] | None = None) -> tuple[ProcessDefinition, bool]:
    """Validate and store ``sources`` (a bundle: BPMN and DMN files, any of them a zip of such
    files) as a version of ``process`` (None: the bundle's one top-level executable process);
    returns (definition, created). A call activity resolves inside the bundle, else to the latest
    deployed version of the called key, pinned in this version (:mod:`engine.definitions.bundles`).

    The same content as the latest version changes nothing. What is accepted but worth the
    deployer's eye (a form key with no form: free data) is appended to ``warnings``."""
    parsed = parse_definition(archive.expand(sources), form_exists, process, strict_forms, latest_deployed(session))
    if warnings is not None:
        warnings.extend(parsed.warnings)
    if policy_for is not None:
        _check_lanes(parsed, policy_for(parsed.key))
    audit.lock_global_chain(session.connection())  # two deployments of one key must not both be "v2"
    current = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == parsed.key)
                             .order_by(ProcessDefinition.version.desc()).limit(1))
    if current is not None and current.sha256 == parsed.sha256 and current.dialect == parsed.dialect:
        return current, False  # (the same file read by another parser, since fixed, is a new version)
    # Content of an older version deployed again is a change from the latest: a new version
    # (this is how a faulty version is rolled back).
    latest = current.version if current is not None else 0
    row = ProcessDefinition(
        key=parsed.key, version=latest + 1, name=parsed.name, dialect=parsed.dialect,
        sources=[{"name": s.name, "content": s.content.decode("utf-8"), **({"pinned": s.pinned} if s.pinned else {})}
                 for s in parsed.sources],
        spec=_with_calls(state.dump_spec(parsed.dialect, parsed.spec, parsed.subprocess_specs), parsed.calls),
        sha256=parsed.sha256, deployed_at=clock.now(), deployed_by=deployed_by)
    session.add(row)
    session.flush()
    chain = audit.global_chain(session.connection(), parsed.sha256)
    chain.add("process_deployed", deployed_by, data={"key": row.key, "version": row.version,
                                                     "definition_id": row.id,
                                                     "files": parsed.bundle_files,
                                                     "calls": calls_of(row)})
    chain.write(session.connection())
    return row, True


def bundle_files(row: ProcessDefinition) -> list[str]:
    """The names of the files deployed as the version (not those of the callees it pinned)."""
    return [s["name"] for s in row.sources if not s.get("pinned")]


def calls_of(row: ProcessDefinition) -> list[dict[str, Any]]:
    """Where each process a version calls comes from: ``{"process", "from": "bundle"|"deployed",
    "version", "definition_id"}`` (a bundle's own process: this version). Read back from the stored
    spec, so an unchanged deployment answers what the version pinned."""
    return [{**call, "version": row.version, "definition_id": row.id} if call["from"] == "bundle" else call
            for call in json.loads(row.spec).get("calls", [])]


def _with_calls(spec_text: str, calls: list[Call]) -> str:
    """The stored spec with the calls it pinned (``load_spec`` reads only the specs)."""
    stored = json.loads(spec_text)
    stored["calls"] = [call.as_dict() for call in calls]
    return json.dumps(stored, separators=(",", ":"))


def latest_deployed(session: Session) -> Resolver:
    """The resolver of called processes the bundle lacks: the latest deployed version of the key,
    restored afresh (its spec objects become part of the new version's, never the cache's)."""
    def resolve(key: str) -> DeployedProcess | None:
        row = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                             .order_by(ProcessDefinition.version.desc()).limit(1))
        if row is None:
            return None
        spec, subs = state.load_spec(row.dialect, row.spec)
        return DeployedProcess(row.id, row.key, row.version, row.dialect, spec, subs,
                               [SourceFile(s["name"], s["content"].encode("utf-8"), s.get("pinned"))
                                for s in row.sources])
    return resolve


def _check_lanes(parsed: ParsedDefinition, policy: ProcessPolicy) -> None:
    """Every human task's lane must map to a role under the process's policy."""
    problems = []
    files = element_files(parsed.sources)
    for info in parsed.human_tasks.values():
        try:
            policy.lane_role(info.lane)
        except LookupError as err:
            problems.append(Problem(f"lane '{info.lane}' has no role: {err}", info.element_id,
                                    files.get(info.element_id, "")))
    if problems:
        raise DefinitionInvalid(problems)


def sources_for(bpmn_path: Path) -> list[SourceFile]:
    """A BPMN file plus the DMN files beside it that define the decisions it calls."""
    content = bpmn_path.read_bytes()
    files = [SourceFile(bpmn_path.name, content)]
    wanted = decision_refs(content)
    if wanted:
        for dmn in sorted(bpmn_path.parent.glob("*.dmn")):
            dmn_content = dmn.read_bytes()
            if dmn_decision_ids(dmn_content) & wanted:
                files.append(SourceFile(dmn.name, dmn_content))
    return files


def deploy_directory(session: Session, directory: Path, deployed_by: str,
                     form_exists: Callable[[str], bool] | None = None,
                     policy_for: Callable[[str], ProcessPolicy] | None = None,
                     ) -> list[tuple[ProcessDefinition, bool]]:
    return [deploy(session, sources_for(path), deployed_by, form_exists, policy_for)
            for path in sorted(directory.glob("*.bpmn"))]


_DEFINITION = select(ProcessDefinition.__table__).where(ProcessDefinition.id == bindparam("id"))
_LATEST_ID = (select(ProcessDefinition.id).where(ProcessDefinition.key == bindparam("key"))
              .order_by(ProcessDefinition.version.desc()).limit(1))


class SpecCache:
    """Restored spec objects per definition id; specs are immutable once deployed."""

    def __init__(self) -> None:
        self._items: dict[int, LoadedDefinition] = {}
        self._lock = threading.Lock()

    def get(self, db: Session | Connection, definition_id: int) -> LoadedDefinition:
        item = self._items.get(definition_id)
        if item is not None:
            return item
        row = db.execute(_DEFINITION, {"id": definition_id}).first()
        if row is None:
            raise LookupError(f"process definition {definition_id} is missing")
        spec, subs = state.load_spec(row.dialect, row.spec)
        sources = [SourceFile(s["name"], s["content"].encode("utf-8")) for s in row.sources]
        item = LoadedDefinition(row.id, row.key, row.version, row.name, row.dialect, row.sha256,
                                spec, subs, human_tasks_of(spec, subs), due_date_expressions(sources))
        with self._lock:
            self._items[definition_id] = item
        return item

    def latest_id(self, db: Session | Connection, key: str) -> int | None:
        return db.execute(_LATEST_ID, {"key": key}).scalar()
