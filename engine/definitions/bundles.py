"""Deployment bundles: several BPMN and DMN files parsed as one definition.

A process drawn in Camunda Modeler often calls processes kept in other files, and SpiffWorkflow
resolves a call activity only to a process its parser has read. So every BPMN file of a bundle
goes into one parser (with every DMN file), the deployed process is chosen among all of them
(:func:`main_process`), and each call activity is resolved inside the bundle first. A called
process the bundle lacks resolves to the **latest deployed version** of that process key, read
once at deployment: its stored spec (with the processes it calls, as pinned when it was deployed)
joins the new version's sub-process specs and its sources are stored beside the bundle's. The new
version therefore runs that callee for ever, whatever is deployed later, and its content hash,
taken over every stored file, changes when the callee it would pick changes.

:func:`engine.definitions.specs.parse_definition` runs the steps; the choices are here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity, SubWorkflowTask

from engine.definitions.safe_xml import read_xml
from engine.definitions.sources import BPMN_NS, DefinitionInvalid, Problem, SourceFile

#: Parsers whose specs share one serializer configuration (``engine.definitions.state``): a callee
#: read by a parser of another family cannot be stored within the caller's spec.
FAMILY = {"camunda": "camunda", "spiff": "spiff", "bpmn": "spiff"}


@dataclass(frozen=True)
class DeployedProcess:
    """A deployed version a call activity may resolve to, as stored (spec freshly restored)."""

    definition_id: int
    key: str
    version: int
    dialect: str
    spec: Any
    subprocess_specs: dict[str, Any]
    sources: list[SourceFile]


#: Process key -> its latest deployed version, or None.
Resolver = Callable[[str], DeployedProcess | None]


@dataclass(frozen=True)
class Call:
    """Where a called process of a version comes from: the bundle, or a deployed version."""

    process: str
    origin: str  # "bundle" | "deployed"
    version: int | None = None
    definition_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"process": self.process, "from": self.origin, "version": self.version,
                "definition_id": self.definition_id}


def _executable(root: Any) -> list[Any]:
    # BPMN's default for isExecutable is true (Bonita, Signavio leave it out): only "false" hides one.
    return [p for p in root.findall(f"{{{BPMN_NS}}}process")
            if p.get("isExecutable", "true").strip().lower() != "false"]


def main_process(bpmn: list[tuple[SourceFile, Any]], wanted: str | None = None) -> tuple[Any, str]:
    """The process a deployment runs and its file: ``wanted`` if the deployer names one, else the
    only executable process of the bundle that no call activity of the bundle calls."""
    executable = [(p, s.name) for s, root in bpmn for p in _executable(root)]
    listed = ", ".join(f"{p.get('id', '?')} ({name})" for p, name in executable) or "none"
    if wanted:
        named = [(p, name) for p, name in executable if p.get("id") == wanted]
        if not named:
            raise DefinitionInvalid([Problem(
                f"no executable process '{wanted}' in the bundle (executable processes: {listed})", wanted,
                bpmn[0][0].name if len(bpmn) == 1 else "")])
        return named[0]
    if not executable:
        ids = ", ".join(p.get("id", "?") for _, root in bpmn for p in root.findall(f"{{{BPMN_NS}}}process"))
        raise DefinitionInvalid([Problem(
            f"no executable process (processes: {ids or 'none'}); set isExecutable=\"true\"",
            file=", ".join(s.name for s, _ in bpmn))])
    called = {c.get("calledElement") for _, root in bpmn for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
    roots = [(p, name) for p, name in executable if p.get("id") not in called]
    if len(roots) != 1:
        what = "file" if len(bpmn) == 1 else "bundle"
        raise DefinitionInvalid([Problem(
            f"exactly one top-level executable process is expected per {what}, found "
            + (", ".join(f"{p.get('id', '?')}" + (f" ({name})" if len(bpmn) > 1 else "") for p, name in roots)
               or "none")
            + "; name the one to deploy (the field 'process')", file=bpmn[0][0].name if len(bpmn) == 1 else "")])
    return roots[0]


def bundle_dialect(dialects: dict[str, str]) -> str:
    """One parser for the whole bundle (``dialects``: file name -> the dialect its extensions ask
    for): Camunda's if a file uses ``camunda:`` extensions, the Spiff one if a file uses
    ``spiffworkflow:`` ones, never both (each parser drops the other's extensions)."""
    kinds = set(dialects.values()) - {"bpmn"}
    if len(kinds) > 1:
        raise DefinitionInvalid([Problem(
            f"this file uses {dialect}: extensions and another file of the bundle the other kind; "
            "one parser reads the whole bundle and drops the other's, so keep one kind", file=name)
            for name, dialect in sorted(dialects.items()) if dialect != "bpmn"])
    return kinds.pop() if kinds else "bpmn"


def remembering(resolve: Resolver | None) -> Resolver | None:
    """``resolve`` asked once per key (a deployed spec is restored once per deployment)."""
    if resolve is None:
        return None
    found: dict[str, DeployedProcess | None] = {}

    def once(key: str) -> DeployedProcess | None:
        if key not in found:
            found[key] = resolve(key)
        return found[key]
    return once


def called_outside(bpmn: list[tuple[SourceFile, Any]]) -> list[str]:
    """The process ids the bundle's call activities name that no file of it defines."""
    defined = {p.get("id") for _, root in bpmn for p in root.iter(f"{{{BPMN_NS}}}process")}
    return sorted({c.get("calledElement") for _, root in bpmn for c in root.iter(f"{{{BPMN_NS}}}callActivity")
                   if c.get("calledElement") and c.get("calledElement") not in defined})


def files_of_elements(bpmn: list[tuple[SourceFile, Any]]) -> dict[str, str]:
    """Element id -> the file of the bundle that draws it (from the parsed roots)."""
    return {el.get("id"): source.name for source, root in bpmn for el in root.iter(f"{{{BPMN_NS}}}*")
            if el.get("id")}


def element_files(sources: list[SourceFile]) -> dict[str, str]:
    """Element id -> the BPMN file that draws it, so a problem names the file of a bundle."""
    found: dict[str, str] = {}
    for source in sources:
        root = read_xml(source.content)
        if etree.QName(root).namespace == BPMN_NS:
            for el in root.iter(f"{{{BPMN_NS}}}*"):
                if el.get("id"):
                    found.setdefault(el.get("id"), source.name)
    return found


def resolve_calls(parser: Any, spec: Any, dialect: str, resolve: Resolver | None, files: dict[str, str],
                   ) -> tuple[dict[str, Any], list[Call], list[DeployedProcess]]:
    """The specs every sub-process and call activity reaches (bundle first, then deployed), the
    calls with their origin, and the deployed versions used. A process found nowhere, or read by a
    parser of another family, is a problem naming the call activity."""
    in_bundle = set(parser.get_process_ids())
    used: dict[str, Any] = {}
    calls: list[Call] = []
    pinned: list[DeployedProcess] = []
    problems: list[Problem] = []
    edges: list[tuple[str, str, str, str]] = []  # (caller process, called process, element, file)
    pending = [spec]
    while pending:
        caller = pending.pop()
        for task_spec in caller.task_specs.values():
            if not isinstance(task_spec, SubWorkflowTask):
                continue
            element = task_spec.bpmn_id or task_spec.name
            edges.append((caller.name, task_spec.spec, element, files.get(element, "")))
            if task_spec.spec in used:
                continue
            called, element = task_spec.spec, task_spec.bpmn_id or task_spec.name
            if called in in_bundle:
                used[called] = parser.get_spec(called)
                pending.append(used[called])
                if isinstance(task_spec, CallActivity):
                    calls.append(Call(called, "bundle"))
                continue
            deployed = resolve(called) if resolve is not None and isinstance(task_spec, CallActivity) else None
            if deployed is None:
                problems.append(Problem(f"calls process '{called}', which is neither in the bundle nor deployed",
                                        element, files.get(element, "")))
            elif FAMILY[deployed.dialect] != FAMILY[dialect]:  # (a plain bundle took Camunda's already)
                problems.append(Problem(
                    f"calls process '{called}', deployed (version {deployed.version}) from files read by the "
                    f"{deployed.dialect} parser, which cannot run inside a {dialect} definition; deploy it "
                    "again in this bundle", element, files.get(element, "")))
            else:
                used[called] = deployed.spec
                for name, sub in deployed.subprocess_specs.items():  # as that version pinned them
                    if name in in_bundle:
                        problems.append(Problem(
                            f"calls process '{called}' (deployed version {deployed.version}), which brings its own "
                            f"process '{name}', and the bundle has another of that id; rename one",
                            element, files.get(element, "")))
                    used.setdefault(name, sub)
                edges.extend(_calls_of(deployed))
                calls.append(Call(called, "deployed", deployed.version, deployed.definition_id))
                pinned.append(deployed)
    problems.extend(cycles(spec.name, edges))
    if problems:
        raise DefinitionInvalid(problems)
    return used, calls, pinned


def _calls_of(deployed: DeployedProcess) -> list[tuple[str, str, str, str]]:
    """The calls a pinned deployed version makes, as it pinned them (their file: that version)."""
    where = f"{deployed.key} version {deployed.version}"
    return [(process_spec.name, task_spec.spec, task_spec.bpmn_id or task_spec.name, where)
            for process_spec in [deployed.spec, *deployed.subprocess_specs.values()]
            for task_spec in process_spec.task_specs.values() if isinstance(task_spec, SubWorkflowTask)]


def cycles(top: str, edges: list[tuple[str, str, str, str]]) -> list[Problem]:
    """A process that calls itself, directly or through others, is refused at deployment.

    SpiffWorkflow creates a called process's tasks as soon as the call activity is reached; with no
    wait state before the call again it recurses for ever inside one engine step, and the worker
    hangs. The city's processes need no recursion, so any cycle of calls is refused: the problem
    names the call activity that closes it and its file."""
    graph: dict[str, list[tuple[str, str, str]]] = {}
    for caller, called, element, file in edges:
        graph.setdefault(caller, []).append((called, element, file))
    done: set[str] = set()
    path: list[str] = []

    def visit(process: str) -> Problem | None:
        path.append(process)
        for called, element, file in graph.get(process, []):
            if called in path:
                loop = " -> ".join([*path[path.index(called):], called])
                return Problem(f"calls process '{called}' in a cycle of calls ({loop}); a process may not "
                               "call itself, directly or through other processes", element, file)
            if called not in done:
                found = visit(called)
                if found is not None:
                    return found
        path.pop()
        done.add(process)
        return None

    found = visit(top)
    return [found] if found is not None else []


def same_task_ids(spec: Any, subprocess_specs: dict[str, Any], files: dict[str, str]) -> list[Problem]:
    """Human tasks are projected by element id: two processes of a bundle may not both have one
    with the same id (SpiffWorkflow would run them, but a task's lane and form would be mixed up)."""
    seen: dict[str, str] = {}
    problems = []
    for process_spec in [spec, *subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            if task_spec.manual:
                other = seen.setdefault(task_spec.name, process_spec.name)
                if other != process_spec.name:
                    problems.append(Problem(f"a human task of processes '{other}' and '{process_spec.name}' has "
                                            "this id; rename one", task_spec.name, files.get(task_spec.name, "")))
    return problems


def new_files(sources: list[SourceFile], pinned: list[DeployedProcess]) -> list[SourceFile]:
    """The stored files of the pinned versions that the bundle lacks, each marked with the deployed
    version it came with (kept with the new version: a history export then holds every file it ran)."""
    have = {s.content for s in sources}
    extra = []
    for deployed in pinned:
        for source in deployed.sources:
            if source.content not in have:
                have.add(source.content)
                extra.append(SourceFile(source.name, source.content,
                                        {"process": deployed.key, "version": deployed.version,
                                         "definition_id": deployed.definition_id}))
    return extra
