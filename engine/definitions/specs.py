"""Parse and validate process definitions (BPMN + DMN) in the dialect they use.

A definition is deployed from its source files (a bundle: one or more BPMN files and
the DMN files they use, read together by :mod:`engine.definitions.bundles`). The parser is
chosen by the extensions the BPMN files use (Camunda Modeler, SpiffWorkflow, or plain
BPMN 2.0); the dialect is stored with the version so the same serializer
configuration is used for every later load. Problems are reported with the
element ids at fault so a modeller can find them. Every file, here and wherever
a stored version is read again, is read by :func:`engine.definitions.safe_xml.read_xml`;
a file declaring a DTD is refused at deployment (the reason is given there).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.definitions import sandbox
from engine.definitions.safe_xml import XmlError, doctype_of, read_xml
from engine.definitions.form_data import form_description, is_generated, remember
from engine.definitions.schema_check import schema_warnings

from engine.definitions.sources import (BPMN_NS, CAMUNDA_NS, DMN_TAG, MAX_SOURCE_BYTES, SPIFF_NS,  # noqa: F401
                                       DefinitionInvalid, Problem, SourceFile)
from engine.definitions import bundles
from engine.definitions.bundles import Call, Resolver

_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,99}$")


@dataclass
class HumanTaskInfo:
    element_id: str
    name: str
    lane: str | None
    form_key: str | None
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class ParsedDefinition:
    key: str
    name: str
    dialect: str
    spec: Any
    subprocess_specs: dict[str, Any]
    sources: list[SourceFile]
    sha256: str
    human_tasks: dict[str, HumanTaskInfo]
    warnings: list[Problem] = field(default_factory=list)
    #: Where each called process comes from (in the bundle, or a deployed version pinned).
    calls: list[Call] = field(default_factory=list)
    #: The names of the files deployed (``sources`` adds the files of pinned deployed callees).
    bundle_files: list[str] = field(default_factory=list)


def content_hash(sources: Iterable[SourceFile]) -> str:
    """Hash of the content only (not file names), stable under file order."""
    digest = hashlib.sha256()
    for blob in sorted(s.content for s in sources):
        digest.update(hashlib.sha256(blob).digest())
    return digest.hexdigest()


#: Camunda attributes no parser reads, or that this engine reads itself in any dialect: Camunda
#: Modeler writes ``versionTag`` and ``historyTimeToLive`` by itself, the others are hints for
#: Camunda's own job executor and tasklist, and ``dueDate`` is read by :func:`due_date_expressions`.
CAMUNDA_WITHOUT_MEANING = frozenset({
    "versionTag", "historyTimeToLive", "isStartableInTasklist", "candidateStarterGroups",
    "candidateStarterUsers", "jobPriority", "taskPriority", "asyncBefore", "asyncAfter", "exclusive",
    "dueDate"})


def extensions_used(root: etree._Element) -> dict[str, list[str]]:
    """Namespace -> the element and attribute names of it the file uses (declarations alone do
    not count, nor the Camunda attributes of :data:`CAMUNDA_WITHOUT_MEANING`)."""
    used: dict[str, list[str]] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        qname = etree.QName(el)
        if qname.namespace in (CAMUNDA_NS, SPIFF_NS):
            used.setdefault(qname.namespace, []).append(qname.localname)
        for attribute in el.attrib:
            name = etree.QName(attribute)
            if name.namespace in (CAMUNDA_NS, SPIFF_NS) and not (
                    name.namespace == CAMUNDA_NS and name.localname in CAMUNDA_WITHOUT_MEANING):
                used.setdefault(name.namespace, []).append(name.localname)
    return used


def detect_dialect(root: etree._Element, file: str = "") -> str:
    """The parser a file needs, by the extensions it actually uses.

    SpiffWorkflow's Camunda parser ignores ``spiffworkflow:`` extensions and its Spiff parser
    ignores ``camunda:`` ones, so the namespaces a file merely declares, or a ``camunda:versionTag``
    Camunda Modeler adds by itself, must not choose: a Spiff file with a version tag was read by
    the Camunda parser and its scripts and properties silently dropped. A file whose meaning is in
    both is refused, since either parser would drop half of it."""
    used = extensions_used(root)
    if CAMUNDA_NS in used and SPIFF_NS in used:
        camunda, spiff = (", ".join(sorted(set(used[ns]))[:5]) for ns in (CAMUNDA_NS, SPIFF_NS))
        raise DefinitionInvalid([Problem(
            f"the file uses both camunda: extensions ({camunda}) and spiffworkflow: ones ({spiff}); "
            "each parser drops the other's, so keep one kind", file=file)])
    if CAMUNDA_NS in used:
        return "camunda"
    if SPIFF_NS in used:
        return "spiff"
    return "bpmn"


def make_parser(dialect: str) -> Any:
    """The library's parser for ``dialect`` as it comes, without XSD validation (see
    :mod:`engine.definitions.schema_check`)."""
    if dialect == "camunda":
        return CamundaParser()
    return SpiffBpmnParser()


def _parse_xml(source: SourceFile) -> etree._Element:
    if len(source.content) > MAX_SOURCE_BYTES:
        raise DefinitionInvalid([Problem("file is larger than 2 MiB", file=source.name)])
    try:
        source.content.decode("utf-8")
    except UnicodeDecodeError:
        raise DefinitionInvalid([Problem("file is not UTF-8 text", file=source.name)]) from None
    try:
        root = read_xml(source.content)
    except XmlError as err:
        raise DefinitionInvalid([Problem(f"not well-formed XML: {err}", file=source.name)]) from None
    doctype = doctype_of(root)
    if doctype:  # why refused, not deployed: engine.definitions.safe_xml
        raise DefinitionInvalid([Problem(
            f"the file declares a DTD ({doctype[:80]}); BPMN and DMN files need none, and entities are "
            "never expanded here, so the process would not run as written: remove the DOCTYPE", file=source.name)])
    return root


def _problem_from(err: Exception, file: str) -> Problem:
    if isinstance(err, ValidationException):
        return Problem(str(err.args[0] if err.args else err), getattr(err, "id", "") or "", err.file_name or file)
    task_spec = getattr(err, "task_spec", None)
    return Problem(str(err), getattr(task_spec, "bpmn_id", "") or getattr(err, "id", "") or "", file)


def form_key_of(task_spec: Any) -> str | None:
    form = getattr(task_spec, "form", None)
    if form is not None and getattr(form, "key", ""):
        return form.key
    props = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
    return props.get("formKey") or None


def due_date_expressions(sources: list[SourceFile]) -> dict[str, str]:
    """Due-date expressions of user tasks by element id: ``camunda:dueDate`` or a ``dueDate``
    spiffworkflow property, e.g. ``working_days(15)`` (evaluated when the task is created)."""
    found: dict[str, str] = {}
    for source in sources:
        root = read_xml(source.content)
        if etree.QName(root).namespace != BPMN_NS:
            continue
        for task in root.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask", f"{{{BPMN_NS}}}task"):
            expression = task.get(f"{{{CAMUNDA_NS}}}dueDate")
            for prop in task.iter(f"{{{SPIFF_NS}}}property"):
                if prop.get("name") == "dueDate":
                    expression = prop.get("value")
            if expression and task.get("id"):
                found[task.get("id")] = expression.strip()
    return found


def human_tasks_of(spec: Any, subprocess_specs: dict[str, Any]) -> dict[str, HumanTaskInfo]:
    """The tasks a person does, by task spec name, with lane and form key."""
    human: dict[str, HumanTaskInfo] = {}
    for process_spec in [spec, *subprocess_specs.values()]:
        for ts in process_spec.task_specs.values():
            if ts.manual:
                human[ts.name] = HumanTaskInfo(
                    element_id=ts.bpmn_id or ts.name, name=ts.bpmn_name or ts.name, lane=ts.lane,
                    form_key=remember(described) if (described := form_description(ts)) else form_key_of(ts),
                    properties=dict((getattr(ts, "extensions", None) or {}).get("properties") or {}))
    return human


def element_names(spec: Any, subprocess_specs: dict[str, Any]) -> dict[str, str]:
    """Element id -> its name as drawn, for every named element (tasks, events, timers, gateways): a
    history says which element acted by id, and people read the name the modeller gave it."""
    names: dict[str, str] = {}
    for process_spec in [spec, *subprocess_specs.values()]:
        for ts in process_spec.task_specs.values():
            element, name = getattr(ts, "bpmn_id", None), getattr(ts, "bpmn_name", None)
            if element and name:
                names.setdefault(str(element), " ".join(str(name).split()))
    return names


#: Column sizes of the task projection: longer values are refused at deployment.
MAX_ID, MAX_NAME, MAX_LANE = 255, 255, 64


def _check_ids(root: etree._Element, file: str) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for el in root.iter(f"{{{BPMN_NS}}}*"):
        element_id = el.get("id")
        if element_id is not None:
            if element_id in seen:
                problems.append(Problem("the same id is used by two elements", element_id, file))
            seen.add(element_id)
            if len(element_id) > MAX_ID:
                problems.append(Problem(f"id longer than {MAX_ID} characters", element_id[:60] + "…", file))
            if len(el.get("name") or "") > MAX_NAME:
                problems.append(Problem(f"name longer than {MAX_NAME} characters", element_id, file))
            if etree.QName(el).localname == "lane" and len(el.get("name") or "") > MAX_LANE:
                problems.append(Problem(f"lane name longer than {MAX_LANE} characters (it is a role name)",
                                        element_id, file))
        if el.get("id") in ("Start", "End"):
            problems.append(Problem(
                "ids 'Start' and 'End' collide with the engine's own task names; rename them",
                el.get("id"), file))
    return problems


def _check_code(spec: Any, subprocess_specs: dict[str, Any], file: str) -> list[Problem]:
    """Compile every script and condition in the sandbox before anything runs."""
    problems: list[Problem] = []
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in process.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None) or task_spec.name
            if isinstance(task_spec, ScriptEngineTask) and getattr(task_spec, "script", None):
                problems += _compile_problem(task_spec.script, "exec", element, file)
            for hook in ("prescript", "postscript"):  # spiffworkflow:preScript / postScript of any task
                if isinstance(getattr(task_spec, hook, None), str) and getattr(task_spec, hook):
                    problems += _compile_problem(getattr(task_spec, hook), "exec", element, file)
            for cond, target in getattr(task_spec, "cond_task_specs", []) or []:
                expression = cond.args[0] if hasattr(cond, "args") and cond.args else cond
                if isinstance(expression, str):
                    problems += _compile_problem(expression, "eval", element, file)
    return problems


def _compile_problem(source: str, mode: str, element: str, file: str) -> list[Problem]:
    try:
        sandbox.check_source(source, mode)
    except SyntaxError as err:
        return [Problem(f"syntax error on line {err.lineno}: {err.msg}", element, file)]
    except sandbox.SandboxViolation as err:
        return [Problem(f"not allowed in the sandbox: {err}", element, file)]
    return []


def _classify(sources: list[SourceFile]) -> tuple[list[tuple[SourceFile, Any]], list[tuple[SourceFile, Any]]]:
    """(BPMN files, DMN files) of a bundle with their parsed roots; anything else is refused by name."""
    if not sources:
        raise DefinitionInvalid([Problem("no file given")])
    names = [s.name for s in sources]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DefinitionInvalid([Problem("two files of the bundle have this name", file=n) for n in twice])
    bpmn, dmn, problems = [], [], []
    for source in sources:
        try:
            root = _parse_xml(source)
        except DefinitionInvalid as err:
            problems += err.problems
            continue
        qname = etree.QName(root)
        if qname.localname == DMN_TAG and qname.namespace and "dmn" in qname.namespace.lower():
            dmn.append((source, root))
        elif qname.localname == DMN_TAG and qname.namespace == BPMN_NS:
            bpmn.append((source, root))
        else:
            problems.append(Problem("neither a BPMN nor a DMN document", file=source.name))
    if problems:
        raise DefinitionInvalid(problems)
    if not bpmn:
        raise DefinitionInvalid([Problem("the bundle has no BPMN file, only " + ", ".join(s.name for s, _ in dmn))])
    return bpmn, dmn


def parse_definition(
    sources: list[SourceFile],
    form_exists: Callable[[str], bool] | None = None,
    process: str | None = None,
    strict_forms: bool = False,
    resolve: Resolver | None = None,
) -> ParsedDefinition:
    """Parse a bundle — one or more BPMN files and the DMN files they use, all read by one parser —
    into a deployable definition of ``process`` (the deployer's choice; None: the bundle's one
    top-level executable process, :func:`engine.definitions.bundles.main_process`). Call activities
    resolve in the bundle, else through ``resolve`` to a deployed version, pinned
    (:func:`engine.definitions.bundles.resolve_calls`; None: such a call is a problem).

    A form key with neither a schema (``form_exists``) nor ``camunda:formData`` is a warning (the
    task takes free data, as one without a form), a problem when ``strict_forms``."""
    bpmn, dmn = _classify(sources)
    problems = [p for source, root in bpmn for p in _check_ids(root, source.name)]
    process_el, main_file = bundles.main_process(bpmn, process)
    key = process_el.get("id", "")
    if not _KEY_RE.match(key):
        problems.append(Problem("process id must be a letter followed by letters, digits, _ . -", key, main_file))
    if problems:
        raise DefinitionInvalid(problems)
    dialects = {source.name: detect_dialect(root, source.name) for source, root in bpmn}
    dialect = bundles.bundle_dialect(dialects)
    resolve = bundles.remembering(resolve)
    if dialect == "bpmn" and resolve is not None:  # plain files take the parser of the Camunda files they call
        dialect = next((d.dialect for d in map(resolve, bundles.called_outside(bpmn))
                        if d is not None and d.dialect == "camunda"), dialect)
    files = bundles.files_of_elements(bpmn)
    parser = make_parser("camunda" if dialect == "camunda" else "bpmn")
    current = main_file
    try:
        for dsource, droot in dmn:
            current = dsource.name
            parser.add_dmn_xml(droot, filename=dsource.name)
        for source, root in bpmn:
            current = source.name
            parser.add_bpmn_xml(root, filename=source.name)
        current = main_file
        spec = parser.get_spec(key)
        subprocess_specs, calls, pinned = bundles.resolve_calls(parser, spec, dialect, resolve, files)
    except (ValidationException, SpiffWorkflowException, etree.LxmlError) as err:
        raise DefinitionInvalid([_problem_from(err, current)]) from None
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise DefinitionInvalid([Problem(f"cannot be parsed: {err!r}", file=current)]) from None
    problems += [Problem(p.message, p.element_id, files.get(p.element_id, main_file))
                 for p in _check_code(spec, subprocess_specs, "")]
    for element_id, expression in due_date_expressions([s for s, _ in bpmn]).items():
        problems += _compile_problem(expression, "eval", element_id, files.get(element_id, main_file))
    human = human_tasks_of(spec, subprocess_specs)
    problems += bundles.same_task_ids(spec, subprocess_specs, files)
    # what the XSD finds in a Spiff file is a warning: the library runs such files (schema_check)
    warnings = [w for source, root in bpmn if dialects[source.name] == "spiff"
                for w in schema_warnings(root, source.name)]
    for info in human.values():
        if info.form_key and not is_generated(info.form_key) and form_exists is not None \
                and not form_exists(info.form_key):
            unknown = Problem(f"unknown form key '{info.form_key}': the task takes free data",
                              info.element_id, files.get(info.element_id, ""))
            (problems if strict_forms else warnings).append(unknown)
    if problems:
        raise DefinitionInvalid(problems)
    stored = list(sources) + bundles.new_files(sources, pinned)
    return ParsedDefinition(
        key=key, name=process_el.get("name") or key, dialect=dialect, spec=spec,
        subprocess_specs=subprocess_specs, sources=stored, sha256=content_hash(stored), human_tasks=human,
        warnings=warnings, calls=calls, bundle_files=[s.name for s in sources])


def dmn_decision_ids(content: bytes) -> set[str]:
    """Decision ids a DMN file defines (to pick the DMN files a BPMN file needs)."""
    root = read_xml(content)
    return {el.get("id") for el in root.iter() if isinstance(el.tag, str)
            and etree.QName(el).localname == "decision" and el.get("id")}


def decision_refs(content: bytes) -> set[str]:
    """Decision ids a BPMN file's business-rule tasks call."""
    root = read_xml(content)
    refs = set()
    for el in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        if el.get(f"{{{CAMUNDA_NS}}}decisionRef"):
            refs.add(el.get(f"{{{CAMUNDA_NS}}}decisionRef"))
        for called in el.iter(f"{{{SPIFF_NS}}}calledDecisionId"):
            if called.text:
                refs.add(called.text.strip())
    return refs
