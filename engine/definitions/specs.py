"""Parse and validate process definitions (BPMN + DMN) in the dialect they use.

A definition is deployed from its source files. The parser is chosen by the
namespaces the BPMN file declares (Camunda Modeler, SpiffWorkflow, or plain
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

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_TAG = "definitions"
MAX_SOURCE_BYTES = 2 * 1024 * 1024
_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class SourceFile:
    name: str
    content: bytes


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


def _main_process(root: etree._Element, file: str, wanted: str | None = None) -> etree._Element:
    """The process a deployment runs: ``wanted`` if the deployer names one, else the only
    executable process no other process of the file calls.

    BPMN's default for ``isExecutable`` is true, and Bonita or Signavio leave the attribute out:
    only ``isExecutable="false"`` (Camunda Modeler's default for a new pool) rules a process out,
    as in SpiffWorkflow's own parser."""
    ns = {"bpmn": BPMN_NS}
    processes = root.findall("bpmn:process", ns)
    executable = [p for p in processes if p.get("isExecutable", "true").strip().lower() != "false"]
    if wanted:
        named = [p for p in executable if p.get("id") == wanted]
        if not named:
            ids = ", ".join(p.get("id", "?") for p in executable) or "none"
            raise DefinitionInvalid([Problem(
                f"no executable process '{wanted}' in the file (executable processes: {ids})", wanted, file)])
        return named[0]
    if not executable:
        ids = ", ".join(p.get("id", "?") for p in processes) or "none"
        raise DefinitionInvalid([Problem(
            f"no executable process (processes: {ids}); set isExecutable=\"true\"", file=file)])
    called = {c.get("calledElement") for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
    roots = [p for p in executable if p.get("id") not in called]
    if len(roots) != 1:
        raise DefinitionInvalid([Problem(
            "exactly one top-level executable process is expected per file, found "
            + (", ".join(p.get("id", "?") for p in roots) or "none")
            + "; name the one to deploy (the field 'process')", file=file)])
    return roots[0]


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


def parse_definition(
    sources: list[SourceFile],
    form_exists: Callable[[str], bool] | None = None,
    process: str | None = None,
    strict_forms: bool = False,
) -> ParsedDefinition:
    """Parse one BPMN file (+ the DMN files it uses) into a deployable definition of ``process``
    (the deployer's choice among the file's processes; None: see :func:`_main_process`).

    A form key with neither a schema (``form_exists``) nor ``camunda:formData`` is a warning (the
    task takes free data, as one without a form), a problem when ``strict_forms``."""
    if not sources:
        raise DefinitionInvalid([Problem("no file given")])
    bpmn, dmn = [], []
    for source in sources:
        root = _parse_xml(source)
        qname = etree.QName(root)
        if qname.localname == DMN_TAG and qname.namespace and "dmn" in qname.namespace.lower():
            dmn.append((source, root))
        elif qname.localname == DMN_TAG and qname.namespace == BPMN_NS:
            bpmn.append((source, root))
        else:
            raise DefinitionInvalid([Problem("neither a BPMN nor a DMN document", file=source.name)])
    if len(bpmn) != 1:
        raise DefinitionInvalid([Problem(f"expected exactly one BPMN file, got {len(bpmn)}")])
    source, root = bpmn[0]
    problems = _check_ids(root, source.name)
    process_el = _main_process(root, source.name, process)
    key = process_el.get("id", "")
    if not _KEY_RE.match(key):
        problems.append(Problem("process id must be a letter followed by letters, digits, _ . -", key, source.name))
    if problems:
        raise DefinitionInvalid(problems)
    dialect = detect_dialect(root, source.name)
    parser = make_parser(dialect)
    try:
        for dsource, droot in dmn:
            parser.add_dmn_xml(droot, filename=dsource.name)
        parser.add_bpmn_xml(root, filename=source.name)
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except (ValidationException, SpiffWorkflowException, etree.LxmlError) as err:
        raise DefinitionInvalid([_problem_from(err, source.name)]) from None
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise DefinitionInvalid([Problem(f"cannot be parsed: {err!r}", file=source.name)]) from None
    problems += _check_code(spec, subprocess_specs, source.name)
    for element_id, expression in due_date_expressions([source]).items():
        problems += _compile_problem(expression, "eval", element_id, source.name)
    human = human_tasks_of(spec, subprocess_specs)
    warnings = schema_warnings(root, source.name) if dialect == "spiff" else []
    for info in human.values():
        if info.form_key and not is_generated(info.form_key) and form_exists is not None \
                and not form_exists(info.form_key):
            unknown = Problem(f"unknown form key '{info.form_key}': the task takes free data",
                              info.element_id, source.name)
            (problems if strict_forms else warnings).append(unknown)
    if problems:
        raise DefinitionInvalid(problems)
    name = process_el.get("name") or key
    return ParsedDefinition(
        key=key, name=name, dialect=dialect, spec=spec, subprocess_specs=subprocess_specs,
        sources=list(sources), sha256=content_hash(sources), human_tasks=human, warnings=warnings,
    )


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
