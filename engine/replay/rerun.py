"""Replay: rebuild a case from its recorded inputs alone and compare with what was recorded.

The case is re-run in memory on its pinned process version: the start data,
each completed task's submitted data (validated by its form again), timer
firings at their recorded times (a thread-local clock walks the recorded
times), cancels and retries. Each command's expected events — tasks created
and cancelled, case roles granted, the case completed — are derived the way
the runner derives them and compared with the recorded ones, in order; tasks
are matched by element id and creation order, never by their random ids.

Nothing is written: replay reads the case and its events, and never calls a
process module's ``after_step`` (it writes registries). The events that hook
recorded (e.g. a talent registered) are reported as side effects, not re-derived; files and
comments (:data:`engine.audit.events.NOTES`) change no state and are passed over.
The replayed :class:`CaseModel` also answers "the case as it was after event N".
"""
from __future__ import annotations

import threading
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator, Mapping

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from engine.audit import events as audit
from engine.time import clock, spiff_patches
from engine.replay import match
from engine.errors import Invalid, NotFound
from engine.store.models import Case, Task, User
from engine.replay.model import ENGINE_EVENTS, CaseModel, ReplayError
from engine.cases.steps import describe_failure
#: Events a command appends in no defined order (they come from set differences).
UNORDERED = frozenset({"task_cancelled", "role_revoked"})
COMPARED = ("type", "actor", "task_id", "data", "from_status", "to_status", "process_hash")


class _ReplayClock(clock.Clock):
    """The service clock for every thread but the replaying ones, which see the recorded times."""

    def __init__(self, base: clock.Clock) -> None:
        self.base, self.local, self.users = base, threading.local(), 0

    def now(self) -> datetime:
        at = getattr(self.local, "at", None)
        return at if at is not None else self.base.now()


_clock_lock = threading.Lock()


@contextmanager
def recorded_time() -> Iterator[_ReplayClock]:
    """Install the replay clock around the service clock for as long as a replay runs."""
    spiff_patches.install()
    with _clock_lock:
        current = clock.current()
        wrapper = current if isinstance(current, _ReplayClock) else _ReplayClock(current)
        if wrapper is not current:
            clock.use(wrapper)
        wrapper.users += 1
    try:
        yield wrapper
    finally:
        wrapper.local.at = None
        with _clock_lock:
            wrapper.users -= 1
            if wrapper.users == 0 and clock.current() is wrapper:
                clock.use(wrapper.base)


@dataclass
class Divergence:
    seq: int | None
    type: str
    message: str
    expected: Any = None
    found: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "message": self.message,
                "expected": audit.jsonable(self.expected), "found": audit.jsonable(self.found)}


@dataclass
class ReplayResult:
    case_id: int
    consistent: bool
    events: int
    divergence: Divergence | None = None
    side_effects: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "consistent": self.consistent, "events": self.events,
                "divergence": self.divergence.as_dict() if self.divergence else None,
                "side_effects": self.side_effects}


def _row(event: Any) -> dict[str, Any]:
    return dict(event) if isinstance(event, Mapping) else {k: getattr(event, k, None) for k in
                                                           ("seq", "type", "actor", "at", *COMPARED[2:],
                                                            audit.ON_BEHALF_OF)}


class Replayer:
    """Walks one case's recorded events, driving a :class:`CaseModel` and checking each event."""

    def __init__(self, model: CaseModel, events: list[Any]) -> None:
        self.model, self.events = model, [_row(e) for e in events]
        self.expected: deque[dict[str, Any]] = deque()
        self.side_effects: list[int] = []
        self.position = 0
        #: For whom the step under way was done (a substitute's step): every event of it says so.
        self.on_behalf_of: str | None = None

    def run(self, stop_after: int | None = None) -> Divergence | None:
        """Replay up to the end (or the end of the step holding event ``stop_after``)."""
        with recorded_time() as replay_clock:
            while self.position < len(self.events):
                event = self.events[self.position]
                if not self.expected and stop_after is not None and event["seq"] > stop_after:
                    return None
                try:
                    problem = self._step(event, replay_clock)
                except ReplayError as err:
                    return Divergence(event["seq"], event["type"], str(err), err.expected, err.found)
                except Exception as err:  # noqa: BLE001 - the engine failed where the recorded step did not
                    element_id, message = describe_failure(err)
                    return Divergence(event["seq"], event["type"], f"replaying this step fails at "
                                      f"'{element_id}': {message}", "the step to succeed as recorded", message)
                if problem is not None:
                    return problem
                self.position += 1
            if self.expected:
                missing = self.expected[0]
                return Divergence(None, missing["type"], f"the history ends, but replay expected "
                                  f"'{missing['type']}' next", match.shown(self.model, missing), None)
        return None

    def _step(self, event: dict[str, Any], replay_clock: _ReplayClock) -> Divergence | None:
        if event["type"] in audit.NOTES:  # a file or a comment: a command beside the workflow
            return None
        if event["type"] not in ENGINE_EVENTS:
            self.side_effects.append(event["seq"])  # recorded by a process module's after_step
            return None
        if not self.expected:
            self.on_behalf_of = event.get(audit.ON_BEHALF_OF)
            replay_clock.local.at = self.model.command_time(event)
            self.expected.extend(self.model.apply(event, self.events[self.position:]))
            if not self.expected:
                return Divergence(event["seq"], event["type"], f"'{event['type']}' does not start a step here",
                                  None, _shown(event))
        if event["type"] in UNORDERED:
            run = []
            for candidate in self.expected:
                if candidate["type"] != event["type"]:
                    break
                run.append(candidate)
            expected = next((c for c in run if match.same_task(self.model, c, event)),
                            run[0] if run else self.expected[0])
        else:
            expected = self.expected[0]
        difference = match.compare(self.model, expected, event)
        if difference is None and event.get(audit.ON_BEHALF_OF) != self.on_behalf_of:
            difference = (f"the event says it was done on behalf of '{event.get(audit.ON_BEHALF_OF)}', "
                          f"the step it belongs to on behalf of '{self.on_behalf_of}'")
        if difference is not None:
            return Divergence(event["seq"], event["type"], difference, match.shown(self.model, expected),
                              _shown(event))
        self.expected.remove(expected)
        match.bind(self.model, expected, event)
        return None


def _shown(event: Mapping[str, Any]) -> dict[str, Any]:
    return {k: event.get(k) for k in ("seq", *COMPARED, audit.ON_BEHALF_OF)}


# ------------------------------------------------------------------------------------ services
_CLAIMER, _COMPLETER = aliased(User), aliased(User)
_TASK_ROWS = (select(Task.id, Task.element_id, Task.name, Task.status, _CLAIMER.username.label("claimed_by"),
                     _COMPLETER.username.label("completed_by"))
              .outerjoin(_CLAIMER, _CLAIMER.id == Task.claimed_by_id)
              .outerjoin(_COMPLETER, _COMPLETER.id == Task.completed_by_id))


def _load(service: Any, conn: Connection, case_id: int) -> tuple[Any, CaseModel, list[Any]]:
    case = conn.execute(select(Case.__table__).where(Case.id == case_id)).first()
    if case is None:
        raise NotFound(f"case {case_id} not found")
    events = conn.execute(select(audit.EVENT).where(audit.EVENT.c.case_id == case_id)
                          .order_by(audit.EVENT.c.seq)).all()
    definition = service.specs.get(conn, _started_on(case, events))
    model = CaseModel(definition, service.policy_for(case.process_key), service.script_engine(case.process_key),
                      service.validate_form, lambda definition_id: service.specs.get(conn, definition_id))
    return case, model, events


def _started_on(case: Any, events: list[Any]) -> int:
    """The process version the case started on: the one its first migration moved it from, if any
    (a migration never rewrites history, so replay begins on the old version)."""
    for event in events:
        if event.type == "case_migrated":
            started = ((event.data or {}).get("from") or {}).get("definition_id")
            if isinstance(started, int):
                return started
            break
    return int(case.definition_id)


def replay_case(service: Any, conn: Connection, case_id: int) -> ReplayResult:
    """Replay one case and compare it, event by event and then its stored state."""
    case, model, events = _load(service, conn, case_id)
    replayer = Replayer(model, events)
    divergence = replayer.run()
    if divergence is None:
        tasks = conn.execute(_TASK_ROWS.where(Task.case_id == case_id)).all()
        difference = match.compare_stored(model, case, tasks, len(events))
        if difference is not None:
            what, expected, found = difference
            divergence = Divergence(None, "stored_state", f"the stored {what} differs from the replay",
                                    expected, found)
    return ReplayResult(case_id, divergence is None, len(events), divergence, replayer.side_effects)


def state_at(service: Any, conn: Connection, case_id: int, at: int | None = None) -> dict[str, Any]:
    """The case as it was after event ``at`` (the whole step holding it: a step commits at once).

    Returns data, tasks (with element ids, names, states and who could act), and the element ids
    active and completed at that point: ``active_element_ids`` / ``completed_element_ids`` are what
    a diagram marks."""
    case, model, events = _load(service, conn, case_id)
    last = events[-1].seq if events else 0
    if at is None:
        at = last
    if not 1 <= at <= last:
        raise Invalid(f"case {case_id} has events 1..{last}", {"at": [f"between 1 and {last}"]})
    replayer = Replayer(model, events)
    divergence = replayer.run(stop_after=at)
    processed = replayer.events[replayer.position - 1]["seq"] if replayer.position else 0
    snapshot = match.snapshot(model)
    snapshot.update({"case_id": case_id, "at": at, "step_ends_at": processed, "process": case.process_key,
                     "process_version": model.definition.version, "process_hash": model.definition.sha256,
                     "replay_divergence": divergence.as_dict() if divergence else None})
    return snapshot
