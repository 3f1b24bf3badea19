"""How a process's people and data are governed, without naming any domain.

A process module in ``workflows/`` subclasses :class:`ProcessPolicy`; a
process deployed without one (any uploaded BPMN) gets the default: each lane
name is the role of the same name, tasks outside any lane go to whoever
started the case, participants see all of the case data.

The policy is also all that the pages know of a process: the words of its end
states and events, how to lay out its forms for one case (:class:`FormHints`)
and the view of a case it shows beside the data (:class:`Panel`). Words are
message ids of the pages' catalogues, marked in the process module and
translated by the page, so neither the engine nor a process imports Flask.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

from engine.errors import Forbidden
from engine.people.actors import Actor
# re-exported: the policy speaks in them, and processes import them from here
from engine.shown import (Action, Badge, FormHints, GridRow, GridSpec, Note, Panel, Reminder,  # noqa: F401
                          Row, Table, Words)

#: Returned by :meth:`ProcessPolicy.lane_role` for tasks the case starter does.
STARTER = "@starter"
_STATUS_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
RESERVED_STATUSES = frozenset({"running", "error", "cancelled"})
#: Data key a process may set to report its end state (e.g. ``no_winner``).
OUTCOME_KEY = "case_outcome"
#: Steps (loop turns, function calls, comprehension items) one script run may take: counted, not
#: timed, so a replay fails at the same step; past it the run is an incident (a loop that never ends).
SCRIPT_STEP_LIMIT = 5_000_000
#: Seconds a script's or a form pattern's regular expression may run on one text (backtracking
#: patterns take exponential time on a user's text, holding the worker).
REGEX_TIMEOUT = 1.0
#: Longest text (characters) a script's regular expression is run on.
REGEX_MAX_SUBJECT = 100_000
#: Largest whole number (decimal digits) a script's ``**``, ``*``, ``<<`` or ``math.factorial`` may make.
SCRIPT_MAX_INT_DIGITS = 10_000
#: Longest string or list (items) a script's repetition, concatenation or format width may make.
SCRIPT_MAX_LENGTH = 1_000_000
_NO_WORDS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Assignment:
    """Who may do one task: a role (optionally within a unit subtree) or one named user."""

    role: str | None = None
    unit: str | None = None  # unit code; None: the case's unit
    username: str | None = None


@dataclass
class Step:
    """What a process module sees after each successful step, inside its transaction.

    ``db`` is the command's connection: domain tables written through it commit
    or roll back with the case. ``events`` appends to the case's audit chain.
    """

    db: Any
    case_id: int
    status: str
    data: Mapping[str, Any]
    actor: Actor
    completed_element: str | None
    completed_data: Mapping[str, Any]
    finished: bool
    events: Any
    #: ``start_case(process_key, data, business_key=None) -> case id``: start a child case of this
    #: one in the same transaction (its policy's ``may_start`` is not asked: the parent decides). For
    #: more than a few children, :meth:`ProcessPolicy.planned_children` starts them after the step.
    start_case: Callable[..., int] | None = None


class PlannedChild(NamedTuple):
    """One child case a step asks to start after it commits (:meth:`ProcessPolicy.planned_children`)."""

    process_key: str
    data: Mapping[str, Any]
    business_key: str | None = None


@dataclass(frozen=True)
class CaseGrant:
    """A role one named user holds for one case only (e.g. a council member)."""

    username: str
    role: str


@dataclass(frozen=True)
class DocumentKind:
    """One document a case may produce now.

    ``key`` names it in the API and events; ``title`` is a message id of the pages' catalogues;
    ``template`` the DOCX shipped with the process (an installation's copy of the same file name
    in ``TALENTFLOW_TEMPLATES_DIR`` wins); ``register`` the register its number is taken from and
    the symbol after the number (``QĐ-UBND``: numbers ``1/QĐ-UBND``, ``2/QĐ-UBND`` … each year);
    ``roles`` who may generate it (roles of the actor, global or scoped to the case's unit)."""

    key: str
    title: str
    template: Path
    register: str
    roles: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Issued:
    """A number taken from a register: ``number`` of ``year`` in ``register``, issued on ``on``."""

    register: str
    year: int
    number: int
    on: date

    @property
    def symbol(self) -> str:
        """Decree 30's number and symbol, e.g. ``12/QĐ-UBND``."""
        return f"{self.number}/{self.register}"


class ProcessPolicy:
    """Default rules; override per process in ``workflows/``."""

    #: Roles that may read every case of the process (besides auditors).
    readers: frozenset[str] = frozenset({"auditor", "admin"})
    #: Roles that may cancel any case of the process (the starter always may).
    cancellers: frozenset[str] = frozenset({"admin"})
    #: Form key validating the start data, if any.
    start_form: str | None = None

    #: Lane name -> role (or :data:`STARTER`) for a process drawn for this module; None: a lane's
    #: name is its role and tasks outside any lane go to the starter (uploaded processes).
    lane_roles: Mapping[str, str] | None = None

    def lane_role(self, lane: str | None) -> str:
        """Role that does tasks in ``lane``; :data:`STARTER` for the starter. A lane the module
        does not know raises LookupError (and the deployment is refused)."""
        if self.lane_roles is None:
            return lane if lane else STARTER
        if lane not in self.lane_roles:
            raise LookupError(f"lane '{lane}' has no role")
        return self.lane_roles[lane]

    def may_start(self, actor: Actor, unit_path: str | None) -> bool:
        """Whether ``actor`` may start a case (of the unit at ``unit_path``). Auditors change nothing."""
        return bool(actor.roles - {"auditor"})

    def may_start_somewhere(self, actor: Actor) -> bool:
        """Whether ``actor`` may start a case for some unit: :meth:`may_start` asked without a unit,
        for the actor's own unit and for each unit they hold a role for (what the pages offer)."""
        paths = {None, actor.unit_path, *(path for _, path in actor.unit_roles)}
        return any(self.may_start(actor, path) for path in paths)

    def prepare_start(self, db: Any, data: dict[str, Any], starter: Actor) -> dict[str, Any]:
        """Complete the start data from the database (e.g. a snapshot); recorded with the start."""
        return data

    def assign(self, element_id: str, lane: str | None, task_data: Mapping[str, Any]) -> Assignment | None:
        """Who does one task instance; None: by :meth:`lane_role`, scoped to the case's unit."""
        return None

    def task_subject(self, element_id: str, task_data: Mapping[str, Any]) -> str | None:
        """What one task instance is about, shown in worklists (e.g. which talent an assessment is for)."""
        return None

    def task_grid(self, element_id: str) -> GridSpec | None:
        """Whether the tasks of ``element_id`` may be done together on one page, a row per task, and how
        (worth it when many land on one person at once, e.g. a unit head's thirty assessments); None:
        each task on its own page only."""
        return None

    def grid_row(self, element_id: str, data: Mapping[str, Any]) -> GridRow:
        """What a grid row of a task of ``element_id`` shows about its subject, from the case data as the
        reader may see it (:meth:`visible_data`). By default no more than the task's subject."""
        return GridRow(name="")

    def check_completion(self, element_id: str, data: Mapping[str, Any], case_data: Mapping[str, Any],
                         actor: Actor, case_roles: frozenset[str]) -> None:
        """Rules a form cannot know (e.g. a score only for a candidate in the round); raise Invalid."""

    def check_task(self, element_id: str, data: Mapping[str, Any], task_data: Mapping[str, Any],
                   case_data: Mapping[str, Any], actor: Actor, case_roles: frozenset[str]) -> None:
        """:meth:`check_completion` for a rule that needs the task's own data too: what the diagram put
        into this one task instance before it became ready (e.g. which screening a notice task is for),
        which the case data cannot tell apart when two instances of a task are ready. By default, that
        check."""
        self.check_completion(element_id, data, case_data, actor, case_roles)

    def after_step(self, step: Step) -> None:
        """Side effects of a step on domain tables (registries), in the step's transaction."""

    #: BPMN messages only the engine sends to the process's cases (what :meth:`children_finished`
    #: answers): refused from outside, since a faked one moves the case past its wait and leaves
    #: the real sender — the last child ending — with nobody to tell.
    internal_messages: frozenset[str] = frozenset()

    def planned_children(self, step: Step) -> list[PlannedChild]:
        """Child cases to start after ``step`` (called right after :meth:`after_step`): recorded in the step,
        started in short batches once it commits (:mod:`engine.cases.child_batches`), because hundreds of
        children started inline (``step.start_case``) hold SQLite's write lock for seconds. None by default."""
        return []

    def children_finished(self, children: list[Mapping[str, Any]]) -> tuple[str, dict[str, Any]] | None:
        """Called, in the step transaction of the last child to end, once none of this case's child
        cases is running or failed. ``children`` holds each child's ``id``, ``status`` and ``data``.
        Returns the BPMN message (name, payload) the case is waiting for, or None to send nothing."""
        return None

    def case_unit(self, data: Mapping[str, Any], starter: Actor) -> str | None:
        """Code of the unit a case belongs to (scopes unit-bound roles); None: the starter's unit."""
        return None

    #: Case-scoped roles this policy manages: grants of these roles not in :meth:`case_grants`
    #: any more are revoked (e.g. a council member replaced after declaring a conflict).
    managed_case_roles: frozenset[str] = frozenset()

    def case_grants(self, data: Mapping[str, Any]) -> list[CaseGrant]:
        """Case-scoped roles to grant from the case data, re-read after every step."""
        return []

    def visible_data(self, data: Mapping[str, Any], actor: Actor, case_roles: frozenset[str]) -> dict[str, Any]:
        """What of the case data ``actor`` (a participant or reader) may read."""
        return dict(data)

    def visible_event(self, event: dict[str, Any], case_data: Mapping[str, Any], actor: Actor,
                      case_roles: frozenset[str]) -> dict[str, Any]:
        """One history event as ``actor`` may read it: by default, data submitted in the event is
        shown as :meth:`visible_data` shows case data, judged against the case as it is now."""
        inner = event["data"].get("data")
        if not isinstance(inner, dict) or type(self).visible_data is ProcessPolicy.visible_data:
            return event
        shown = self.visible_data({**case_data, **inner}, actor, case_roles)
        return {**event, "data": {**event["data"], "data": {k: shown[k] for k in inner if k in shown}}}

    def may_keep_files(self, actor: Actor) -> bool:
        """Whether ``actor`` may attach files to, remove files from and comment on any case of the
        process they may read, without an open task on it (whoever holds one always may). By
        default the process's readers except auditors, who change nothing."""
        return actor.is_any(*(self.readers - {"auditor"}))

    #: Roles that sign off the process's papers (e.g. whoever decides): besides the managers
    #: (:meth:`may_keep_files`), they upload the signed copy of a document to a case they may see.
    sign_off_roles: frozenset[str] = frozenset()

    def may_sign_off(self, actor: Actor) -> bool:
        """Whether ``actor`` may upload a signed copy of a document (a decision signed outside) to a
        case of the process they may see: :attr:`sign_off_roles` and the managers."""
        return actor.is_any(*self.sign_off_roles) or self.may_keep_files(actor)

    # ------------------------------------------------- acting for others (substitutes, reassignment)
    #: Tasks (element ids) a person does in person: never by a substitute (a council seat: the law
    #: replaces a member through the process's own step, not by delegation).
    personal_tasks: frozenset[str] = frozenset()
    #: Roles whose tasks a substitute does only when holding the role too (the approver's decisions).
    delegated_within_role: frozenset[str] = frozenset()
    #: Roles that may give any open task of the process to another of its candidates.
    reassigners: frozenset[str] = frozenset({"admin"})
    #: Roles that may do so for the tasks of the units they hold the role for (a unit head).
    unit_reassigners: frozenset[str] = frozenset()

    def delegation_refusal(self, element_id: str, role: str | None, substitute: Actor) -> str | None:
        """Why ``substitute`` may not do this task for the person they stand in for, as an error code
        (``task_not_delegable``, ``substitute_lacks_role``), or None when they may."""
        if element_id in self.personal_tasks:
            return "task_not_delegable"
        if role in self.delegated_within_role and role not in substitute.roles:
            return "substitute_lacks_role"
        return None

    def may_reassign(self, actor: Actor, unit_path: str | None) -> bool:
        """Whether ``actor`` may give a task of a case of the unit at ``unit_path`` to another candidate."""
        return actor.is_any(*self.reassigners) or any(actor.has_role(role, unit_path)
                                                      for role in self.unit_reassigners)

    def task_file_key(self, element_id: str | None) -> str:
        """The key of the case data under which files uploaded for a task of ``element_id`` count:
        such a file is shown to whoever :meth:`visible_data` shows that key to (e.g. a council
        member's round-2 documents stay sealed like the scores), and to its uploader."""
        return "files"

    def final_status(self, data: Mapping[str, Any]) -> str:
        outcome = data.get(OUTCOME_KEY)
        if isinstance(outcome, str) and _STATUS_RE.match(outcome) and outcome not in RESERVED_STATUSES:
            return outcome
        return "completed"

    def script_helpers(self) -> Mapping[str, Callable[..., Any]]:
        """Functions the process's scripts may call, besides the sandbox's own."""
        return {}

    # ------------------------------------------------------------------ documents
    def documents(self, case: Mapping[str, Any]) -> list[DocumentKind]:
        """The official documents ``case`` (``id``, ``status``, all its ``data``) may produce now, e.g.
        the decision once it is decided; the engine numbers, fills, converts and keeps them."""
        return []

    def document_context(self, kind: str, case: Mapping[str, Any], issued: Issued) -> dict[str, Any]:
        """What the template of ``kind`` is filled with, for ``case`` and the number ``issued``."""
        raise LookupError(f"no document '{kind}'")

    # ------------------------------------------------------------------ what the pages show
    #: End states the process reports -> their words (message ids); an unlisted state reads as itself.
    status_labels: Mapping[str, str] = _NO_WORDS
    #: End state -> badge tone (see :class:`Badge`); an unlisted state gets the pages' own rule.
    status_tones: Mapping[str, str] = _NO_WORDS
    #: Types of the events :meth:`after_step` adds -> their words; an unlisted type reads as itself.
    event_labels: Mapping[str, str] = _NO_WORDS
    #: The roles the process grants on its cases (:meth:`case_grants`) -> their words.
    role_labels: Mapping[str, str] = _NO_WORDS
    #: Keys of its case data no form labels (computed by its scripts and rules) -> their words; the
    #: pages label a key a form fills by the form's own label.
    data_labels: Mapping[str, str] = _NO_WORDS
    #: Keys of its case data that hold a deadline (the moment it ends): the pages show them as the last
    #: day they allow, as they show a task's due time ("15/12/2026 23:59", never "16/12/2026 00:00").
    deadline_keys: frozenset[str] = frozenset()
    #: Keys of its case data that hold a code or id of a directory's entry, by the directory (the forms'
    #: ``x-choices`` words, e.g. ``units``): the pages show the entry's name, never its code or id (a
    #: form field marked ``x-choices`` is known without being listed here).
    data_refs: Mapping[str, str] = _NO_WORDS
    #: Keys of its case data kept for its own rules only (where a unit sits in the tree): the pages
    #: never show them, as nobody reads them and their values mean nothing to people.
    hidden_keys: frozenset[str] = frozenset()
    #: Names of the pages of its own a case may have (``Panel.page``); no other name is a page.
    case_pages: frozenset[str] = frozenset()

    def form_hints(self, form_key: str | None, data: Mapping[str, Any]) -> FormHints:
        """How to lay out ``form_key`` for a case whose visible data is ``data``: as its schema says."""
        return FormHints()

    #: Element id of a task of the process's child cases (one per child, e.g. an assessment) whose
    #: progress per unit the readers of a case see: ``case["progress"]`` of the case view
    #: (:func:`engine.cases.reminders.child_task_progress`); None: no progress is counted.
    progress_of: str | None = None
    #: A second reminder by hand to the same people on the same case is refused for this long (a
    #: double click, two people clicking at once, a reminder sent again before anyone could act).
    remind_again_after: timedelta = timedelta(hours=1)

    def reminder(self, case: Mapping[str, Any], target: str, actor: Actor) -> Reminder:
        """The reminder ``actor`` asks to send on ``case`` (``id``, ``status``, all its ``data``, its
        ``progress`` as :attr:`progress_of` counts it) about ``target``; raise Forbidden for someone
        who may not, Invalid for a target with nothing to remind of. None by default."""
        raise Forbidden("this process sends no reminders by hand", code="no_reminders")

    def case_panel(self, case: Mapping[str, Any], done: frozenset[str]) -> Panel | None:
        """The process's own view of ``case`` (as the reader may see it; ``done``: the element ids of
        the tasks the reader completed in it); None: the pages show the case data alone."""
        return None

    def exports(self, case: Mapping[str, Any], visible_data: Mapping[str, Any]) -> Mapping[str, Table]:
        """Tables of ``case`` offered as spreadsheets (``GET /cases/{id}/exports/{name}.xlsx``), by
        name (``[a-z0-9_]``), built from ``visible_data`` alone — what the reader may see — so an
        export never shows more than the case page. Cells as in a panel's tables; numbers and dates
        stay numbers and dates in the sheet. None by default."""
        return {}


DEFAULT_POLICY = ProcessPolicy()
