"""Messages and signals from outside: to one case, or correlated to the case that waits for them.

Another system tells a case that something happened (an exam result came, a contract was signed)
with a BPMN message or signal. Four ways in, each one transaction and one step of the case it
reaches (a ``message_received`` / ``signal_received`` event on its chain, which replay re-runs):

- :meth:`MessageRouter.to_case` — to a case named by id;
- :meth:`MessageRouter.correlate` — to the one running case that waits for the message (and has
  the business key given); when none waits, the latest version of the process whose *message
  start event* has that name starts a new case, exactly as ``POST /cases`` would start it (start
  form, unit, who may start), and the message is then caught by its start event in the same
  transaction — a case is never left started without its message;
- :meth:`MessageRouter.broadcast` — a signal to every running case waiting for it, bounded, each
  case in its own transaction.

Who may send: an admin and the ``system`` actor (the integration's account), not an hr officer —
a message moves a case on without any task or form, past every rule a person's step is checked
by, so it stays with the accounts that stand for other systems (:func:`may_send`).

Correlation looks for the waiting cases in a read transaction, without locking them; only then
does its write transaction lock the one chosen and ask it again (to start a case with a business
key: lock the key and ask its cases again). So it takes no more locks than any one-case command,
keeps the lock order of :mod:`engine.cases.case_links`, and on SQLite never holds the write lock
while it loads up to :data:`MAX_SCANNED` states.

Bounds: finding the cases that wait means loading each running case whose process version has an
event of that name. At most :data:`MAX_WAITING` may be found waiting (more is refused, nothing
sent: give a business key or a case id), and at most :data:`MAX_SCANNED` such cases are loaded to
find them. A message the engine alone sends (``ProcessPolicy.internal_messages``) is refused
from outside, and a message start with a business key starts one case of that key, never two.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable

from SpiffWorkflow.bpmn.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from engine.cases.case_links import CaseLinks
from engine.cases.child_batches import ChildBatches, starts_planned_children
from engine.cases.messages import KINDS, refuse_internal, waiting_event
from engine.cases.records import CaseRecord, Loaded, View
from engine.cases.statements import CASE
from engine.cases.steps import CaseSteps
from engine.definitions.sandbox import check_data_keys
from engine.definitions.state import UnloadableState
from engine.errors import CaseFailed, Conflict, EngineError, Forbidden, Invalid, NotFound
from engine.people.actors import Actor
from engine.store.models import ProcessDefinition

#: At most this many running cases may be found waiting for one message or signal; past it the
#: sender is asked for a business key or a case id (a broadcast: nothing is sent).
MAX_WAITING = 200
#: Finding them loads each running case that *could* catch the name; past this many such cases
#: nothing is loaded (one request never reads the whole database's states).
MAX_SCANNED = 5_000
#: A broadcast retries a case that changed between being listed and being sent the signal.
STALE_RETRIES = 3
DEFINITION = ProcessDefinition.__table__


def may_send(actor: Actor) -> bool:
    """Whether ``actor`` may send a message or signal to a case: an admin or the system."""
    return actor.is_any("admin", "system")


def clean_name(name: Any, kind: str) -> str:
    """The event's name, or 422: a name is what the diagram's message or signal is called."""
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise Invalid(f"a {kind} name is required", {"name": ["required, at most 255 characters"]})
    return name.strip()


@dataclass
class MessageRouter:
    """Send messages and signals to cases from outside; held by :class:`engine.cases.runner.CaseService`."""

    steps: CaseSteps
    links: CaseLinks
    #: Starts, once a delivery has committed, the children its step planned (the service's own).
    child_batches: ChildBatches = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.child_batches is None:
            self.child_batches = ChildBatches(self.steps)

    @starts_planned_children
    def to_case(self, actor: Actor, case_id: int, kind: str, name: str, payload: Any,
                view: View | None = None) -> Any:
        """Deliver ``kind`` ("message" or "signal") ``name`` to one case: 404 for a case the actor
        cannot see, 403 for who may not send, 422 for a bad payload, 409 ``not_waiting``."""
        name = clean_name(name, kind)
        failed: Loaded | None = None
        try:
            with self.steps.store.command() as conn:
                case = self.steps.lock(conn, case_id)
                if not may_send(actor):  # (a sender reaches every case, as the system does)
                    self.steps.visible_or_404(conn, actor, case)
                    raise Forbidden(f"only the system or an admin may send a {kind} to a case")
                if kind == "message":
                    refuse_internal(name, [(case.process_key, self.steps.policy_for(case.process_key))])
                loaded = self.links._deliver_in(conn, actor, case, name, check_data_keys(payload, "payload"), kind)
                if loaded.case.status == "error":
                    failed = loaded
                else:
                    result = view(conn, case) if view else case.id
        except UnloadableState as err:
            raise self.steps.record_unloadable(err, actor) from None
        return self._answer(failed, loaded, result if failed is None else None)

    @starts_planned_children
    def correlate(self, actor: Actor, name: str, payload: Any, business_key: str | None = None,
                  case_id: int | None = None) -> dict[str, int]:
        """Deliver message ``name`` to the one running case waiting for it (with ``business_key``,
        or ``case_id``, when given), else start a case of the process it starts; what happened:
        ``{"delivered_to": id}`` or ``{"started": id}``.

        The cases that wait are looked for in a read transaction (up to :data:`MAX_SCANNED` states
        loaded: on SQLite a write transaction would keep every other writer waiting that long); the
        write transaction then locks and asks again only the case chosen, or, to start a case, the
        cases of the business key under its lock. Should the answer have changed meanwhile, the
        cases are looked for again, at most :data:`STALE_RETRIES` times (then 409 ``stale_case``)."""
        if not may_send(actor):
            raise Forbidden("only the system or an admin may send a message")
        name = clean_name(name, "message")
        payload = check_data_keys(payload, "payload")
        for _ in range(STALE_RETRIES):
            receiver = self._receiver(name, business_key, case_id)
            try:
                return self._correlate_to(actor, name, payload, business_key, case_id, receiver)
            except _LookAgain:
                continue
        raise Conflict(f"the cases waiting for message '{name}' kept changing while it was sent; send it again",
                       code="stale_case")

    def _receiver(self, name: str, business_key: str | None, case_id: int | None) -> int | None:
        """In a read transaction (no write lock held while states load): the one case waiting for
        message ``name``, or None when a case of the process it starts is to be started; 409
        ``ambiguous`` when several wait, 404 ``no_receiver`` when nothing can take it, 409
        ``not_waiting`` when the case named does not wait, 422 for an internal message — all before
        any write transaction."""
        with self.steps.store.read() as session:
            conn = session.connection()
            keys = conn.execute(select(DEFINITION.c.key).distinct()).scalars().all()
            refuse_internal(name, ((key, self.steps.policy_for(key)) for key in keys))
            waiting = self._waiting_cases(conn, "message", name, business_key, case_id)
            if len(waiting) > 1:
                raise Conflict(f"{len(waiting)} cases wait for message '{name}'"
                               + (f" with business key '{business_key}'" if business_key else "")
                               + ": give a business key or a case id", {"case_ids": waiting}, code="ambiguous")
            if not waiting:
                if case_id is not None:
                    raise Conflict(f"case {case_id} is not waiting for message '{name}'", code="not_waiting")
                self._starter(conn, name)
            session.rollback()
        return waiting[0] if waiting else None

    def _correlate_to(self, actor: Actor, name: str, payload: dict[str, Any], business_key: str | None,
                      case_id: int | None, receiver: int | None) -> dict[str, int]:
        """One write transaction: deliver to ``receiver`` once locked and found still waiting, or
        start a case when none was found; :class:`_LookAgain` (rolled back) when the case chosen no
        longer waits, or a case of the business key has begun to wait since it was looked for."""
        failed: Loaded | None = None
        try:
            with self.steps.store.command() as conn:
                if receiver is not None:
                    case = self.steps.lock(conn, receiver)
                    if case.status != "running" or not self._waits(conn, case, "message", name):
                        raise _LookAgain
                    loaded = self.links._deliver_in(conn, actor, case, name, payload)
                    outcome = {"delivered_to": case.id}
                else:  # nothing waits and no case was named (_receiver): start one
                    case, loaded = self._start(conn, actor, name, payload, business_key)
                    outcome = {"started": case.id}
                failed = loaded if loaded.case.status == "error" else None
        except UnloadableState as err:
            raise self.steps.record_unloadable(err, actor) from None
        return self._answer(failed, loaded, outcome)

    @starts_planned_children
    def broadcast(self, actor: Actor, name: str, payload: Any) -> dict[str, list[Any]]:
        """Send signal ``name`` to every running case waiting for it, each case in its own
        transaction (one case's failure is its incident and stops no other); more than
        :data:`MAX_WAITING` waiting cases is refused before any is sent.
        ``{"delivered_to": [...], "failed": [...], "undelivered": [{"case_id", "code"}]}``: a case that
        stopped waiting meanwhile is in none; one that kept changing under each of
        :data:`STALE_RETRIES` tries (``stale_case``), or was refused otherwise, is undelivered."""
        if not may_send(actor):
            raise Forbidden("only the system or an admin may send a signal")
        name = clean_name(name, "signal")
        payload = check_data_keys(payload, "payload")
        with self.steps.store.read() as session:
            waiting = self._waiting_cases(session.connection(), "signal", name, None, None)
            session.rollback()
        outcome: dict[str, list[Any]] = {"delivered_to": [], "failed": [], "undelivered": []}
        for case_id in waiting:
            code = self._signal_one(actor, case_id, name, payload)
            if code in ("delivered_to", "failed"):
                outcome[code].append(case_id)
            elif code is not None:
                outcome["undelivered"].append({"case_id": case_id, "code": code})
        return outcome

    def _signal_one(self, actor: Actor, case_id: int, name: str, payload: dict[str, Any]) -> str | None:
        """Send one case of a broadcast its signal: ``delivered_to``, ``failed`` (its step failed and
        its incident is recorded; the others still get the signal), None when it moved on since it
        was listed (not waiting any more), else the code of the refusal — a step its process refused
        (``Invalid``, ``Forbidden``...) rolled back, and the case, with no incident, still waits. A
        ``stale_case`` — the case changed between its read and its write — is sent again: it may
        well still wait."""
        code = "stale_case"
        for _ in range(STALE_RETRIES):
            try:
                self.to_case(actor, case_id, "signal", name, payload)
            except Conflict as err:
                if err.code in ("not_waiting", "case_not_running"):
                    return None
                code = err.code
                if code != "stale_case":
                    return code
            except CaseFailed:  # its incident is recorded: the case is in error
                return "failed"
            except EngineError as err:  # refused (e.g. by the process's rules): still running, still waiting
                return err.code
            else:
                return "delivered_to"
        return code

    # ------------------------------------------------------------------------------ inside
    def _answer(self, failed: Loaded | None, loaded: Loaded, result: Any) -> Any:
        """After the commit: a failed step answers as a failed task completion does (422
        ``case_error``, the incident recorded); a good one leaves its workflow for the next command."""
        if failed is not None:
            incident = failed.case.incident or {}
            element_id, message = incident.get("element_id", ""), incident.get("message", "")
            raise CaseFailed(f"case {failed.case.id} failed at '{element_id}': {message}",
                             {"case_id": failed.case.id, "element_id": element_id, "message": message})
        self.steps.workflows.put(loaded.case.id, loaded.case.version, loaded.workflow)
        return result

    def _waiting_cases(self, conn: Connection, kind: str, name: str, business_key: str | None,
                       case_id: int | None) -> list[int]:
        """Ids of the running cases (with that key, or that one case) that would catch the ``kind``
        event ``name`` now."""
        query = select(CASE.c.id, CASE.c.definition_id).where(CASE.c.status == "running").order_by(CASE.c.id)
        if business_key is not None:
            query = query.where(CASE.c.business_key == business_key)
        if case_id is not None:
            if conn.execute(select(CASE.c.id).where(CASE.c.id == case_id)).first() is None:
                raise NotFound(f"case {case_id} not found")
            query = query.where(CASE.c.id == case_id)
        rows = conn.execute(query).all()
        catching = {definition_id for definition_id in {row.definition_id for row in rows}
                    if self._defines(conn, definition_id, kind, name)}
        candidates = [row.id for row in rows if row.definition_id in catching]
        ask = ": give a business key or a case id" if kind == "message" else ""
        if len(candidates) > MAX_SCANNED:
            raise Conflict(f"{len(candidates)} running cases could catch {kind} '{name}', more than "
                           f"{MAX_SCANNED} to look at{ask}", {"candidates": len(candidates)},
                           code="too_many_candidates")
        waiting: list[int] = []
        for cid in candidates:
            if self._waits(conn, CaseRecord.from_row(conn.execute(select(CASE).where(CASE.c.id == cid)).first()),
                           kind, name):
                waiting.append(cid)
                if len(waiting) > MAX_WAITING:
                    raise Conflict(f"more than {MAX_WAITING} running cases wait for {kind} '{name}'{ask}",
                                   {"waiting": len(waiting)}, code="too_many_candidates")
        return waiting

    def _defines(self, conn: Connection, definition_id: int, kind: str, name: str) -> bool:
        """Whether a process version has any ``kind`` event named ``name`` (skips loading its cases)."""
        definition = self.steps.specs.get(conn, definition_id)
        return any(isinstance(d, KINDS[kind]) and d.name == name
                   for d in _event_definitions([definition.spec, *definition.subprocess_specs.values()]))

    def _waits(self, conn: Connection, case: CaseRecord, kind: str, name: str) -> bool:
        """Whether the case (as read, locked or not) would catch ``name`` now; a broken state
        catches nothing."""
        loaded = self.steps.load(conn, case, tolerate_unloadable=True)
        if loaded.workflow is None:
            return False
        waits = waiting_event(loaded.workflow, kind, name) is not None
        self.steps.workflows.put(case.id, case.version, loaded.workflow)  # unchanged: still this version's
        return waits

    def _start(self, conn: Connection, actor: Actor, name: str, payload: dict[str, Any],
               business_key: str | None) -> tuple[CaseRecord, Loaded]:
        """Start a case of the one process whose message start event is ``name``, and deliver it.

        With a business key, the key is locked first (:meth:`_lock_business_key`) and its cases are
        asked again: one that began to wait for ``name`` since they were looked for gets the
        message instead (:class:`_LookAgain`), and one that exists refuses a second case."""
        process_key = self._starter(conn, name)
        if business_key is not None:
            self._lock_business_key(conn, process_key, business_key)
            if self._waiting_cases(conn, "message", name, business_key, None):
                raise _LookAgain
            self._refuse_duplicate(conn, process_key, business_key)
        case, loaded, failure = self.steps.start_in(conn, actor, process_key, payload, business_key)
        if failure is not None:  # the start itself failed: the case is an incident, its retry runs it
            return case, loaded
        # a case that did not stop at its message start event answers 409 and the start rolls back
        return case, self.links._deliver_in(conn, actor, case, name, payload)

    def _starter(self, conn: Connection, name: str) -> str:
        """The key of the one process whose latest version starts with message ``name``; 404
        ``no_receiver`` when none does, 409 ``ambiguous`` when several do."""
        starters = self._starters(conn, name)
        if not starters:
            raise NotFound(f"no case waits for message '{name}' and no deployed process starts with it",
                           {"name": ["no receiver"]}, code="no_receiver")
        if len(starters) > 1:
            raise Conflict(f"{len(starters)} processes start with message '{name}': {', '.join(starters)}",
                           {"processes": starters}, code="ambiguous")
        return starters[0]

    @staticmethod
    def _lock_business_key(conn: Connection, process_key: str, business_key: str) -> None:
        """Serialize the senders of one business key for the rest of the transaction: SQLite's
        write lock already does; on PostgreSQL, an advisory lock on the key."""
        if conn.dialect.name == "postgresql":
            digest = hashlib.sha256(f"message-start:{process_key}:{business_key}".encode()).digest()
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                         {"key": int.from_bytes(digest[:8], "big", signed=True)})

    @staticmethod
    def _refuse_duplicate(conn: Connection, process_key: str, business_key: str) -> None:
        """409 ``duplicate_business_key`` when a case of ``process_key`` with ``business_key`` exists
        (any but a cancelled one): an integration that sends its message twice (a retry after a
        lost answer) starts one case. Race-safe once the key is locked (:meth:`_lock_business_key`):
        of two senders of one key, the second looks only after the first has committed."""
        existing = conn.execute(select(CASE.c.id).where(
            CASE.c.process_key == process_key, CASE.c.business_key == business_key,
            CASE.c.status != "cancelled").order_by(CASE.c.id).limit(1)).scalar()
        if existing is not None:
            raise Conflict(f"case {existing} of process {process_key} already has business key '{business_key}'",
                           {"business_key": ["a case with this business key exists"], "case_id": existing},
                           code="duplicate_business_key")

    def _starters(self, conn: Connection, name: str) -> list[str]:
        """Keys of the processes whose latest version has a message start event named ``name``."""
        found = []
        for key in conn.execute(select(DEFINITION.c.key).distinct()).scalars().all():
            definition = self.steps.specs.get(conn, self.steps.specs.latest_id(conn, key))
            if any(isinstance(spec, StartEvent) and isinstance(spec.event_definition, MessageEventDefinition)
                   and spec.event_definition.name == name for spec in definition.spec.task_specs.values()):
                found.append(definition.key)
        return sorted(found)


class _LookAgain(Exception):
    """The answer of :meth:`MessageRouter.correlate`'s read changed before its write (rolled back)."""


def _event_definitions(specs: Iterable[Any]) -> Iterable[Any]:
    """Every event definition of the task specs of ``specs``, those inside a gateway's or a
    multiple event's definition too."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if definition is not None:
                yield definition
                yield from getattr(definition, "event_definitions", None) or ()

