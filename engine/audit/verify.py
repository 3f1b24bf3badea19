"""Verifying the audit log: recompute every hash chain and say where it breaks.

Events are streamed in keyset batches ordered by (case_id, seq), one chain is
checked at a time, and only that chain is held in memory; the case rows are
merged in the same order, so the chain's head recorded on the case row
(``event_seq``, ``last_event_hash``) is checked too. A signed checkpoint adds
the heads as they were when it was taken: a chain cut short since (its tail
removed together with the case row's head) shows only against one.

The first problem of each chain is reported with its exact (case, seq) and
what is wrong; a chain is not examined past its first problem, because every
later link depends on it. Given the file store's check (``stored_file``), every
``file_attached`` event's content is re-hashed too: content that no longer
hashes to the SHA-256 its event recorded, or is gone, is reported with the
case, the event's seq and its row id (each content hashed once per run).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterator, Mapping

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection, Row

from engine.audit.events import EVENT, GENESIS, HASHED, ON_BEHALF_OF, body_hash, event_hash
from engine.store.models import Case, ProcessDefinition

CASE, DEFINITION = Case.__table__, ProcessDefinition.__table__
GLOBAL = "global"
BATCH = 2000
_COLUMNS = [EVENT.c[name] for name in ("id", *HASHED, "prev_hash", "hash", ON_BEHALF_OF)]
_HASHED_END = 1 + len(HASHED)  # the hashed fields are columns 1.._HASHED_END-1 of a row


@dataclass
class Break:
    """The first problem found in one chain."""

    case_id: int | None
    seq: int
    #: changed | hash_altered | prev_hash_altered | removed | inserted | reordered | seq_altered
    #: | truncated | head_mismatch | process_changed | process_mismatch (the version a case names);
    #: file_changed | file_missing (a file's content, not the chain)
    problem: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    ok: bool = True
    chains: int = 0
    events: int = 0
    files: int = 0
    breaks: list[Break] = field(default_factory=list)
    checkpoint: dict[str, Any] | None = None

    @property
    def first(self) -> Break | None:
        return self.breaks[0] if self.breaks else None

    def as_dict(self) -> dict[str, Any]:
        breaks = [asdict(b) for b in self.breaks]
        return {"ok": self.ok, "chains": self.chains, "events": self.events, "files": self.files,
                "first_break": breaks[0] if breaks else None, "breaks": breaks, "checkpoint": self.checkpoint}


def chain_key(case_id: int | None) -> str:
    return GLOBAL if case_id is None else str(case_id)


def check_chain(case_id: int | None, events: list[Row], head: tuple[int, str] | None = None,
                pinned_hash: str | None = None) -> Break | None:
    """The first problem of one chain (its events in stored seq order), or None.

    The chain is walked by seq from 1; where the numbering or a link breaks, the
    links (each event names its predecessor's hash) tell a removed, inserted,
    reordered or renumbered event apart. ``head`` is (event_seq,
    last_event_hash) as the case row records it; ``pinned_hash`` the sha256 of
    the case's process version, which every event of the case carries from its last
    ``case_migrated`` event on (before it, the version it was moved from: the process hash
    changes at that event and only there)."""
    sharing: dict[int, list[Row]] = {}
    for e in events:
        sharing.setdefault(e.seq, []).append(e)
    by_prev = {e.prev_hash: e for e in events}
    last_seq = max((e.seq for e in events), default=0)
    previous, hashes = GENESIS, {0: GENESIS}
    by_seq = {seq: same[-1] for seq, same in sharing.items()}
    for seq in range(1, last_seq + 1):
        # Two events with one seq (possible where the unique key admits it, e.g. the global chain's
        # NULL case): the one that links is the chain's, the other was put there.
        same = sharing.get(seq, [])
        event = next((e for e in same if e.prev_hash == previous), same[0] if same else None)
        if event is not None:
            by_seq[seq] = event
        if len(same) > 1 and event is not None and event.prev_hash == previous:
            stranger = next(e for e in same if e is not event)
            return Break(case_id, seq, "inserted",
                         f"another event ({stranger.type}) carries seq {seq} of this chain", {"type": stranger.type})
        if event is None or event.prev_hash != previous:
            return _misplaced(case_id, seq, event, previous, by_prev, hashes)
        recomputed = body_hash(event.prev_hash, {**dict(zip(HASHED, event[1:_HASHED_END])),
                                                 ON_BEHALF_OF: event.on_behalf_of})
        if recomputed != event.hash:
            follower = by_seq.get(seq + 1)
            if (follower is not None and follower.prev_hash == recomputed) or \
                    (follower is None and head is not None and head[1] == recomputed):
                return Break(case_id, seq, "hash_altered",
                             f"event {seq}: its stored hash was changed (its content is intact)")
            details = {"type": event.type}
            hint = _field_hint(event, by_seq.get(seq - 1), _expected_hash(event, by_seq.get(seq - 1), events,
                                                                          pinned_hash), case_id)
            message = f"event {seq} ({event.type}): its content no longer matches its hash"
            if hint:
                details["field"] = hint
                message += f"; {hint} looks changed"
            else:
                message += " (a hashed field was changed)"
            return Break(case_id, seq, "changed", message, details)
        moved = _process_moved(case_id, seq, event, by_seq.get(seq - 1)) if pinned_hash is not None else None
        if moved is not None:
            return moved
        previous = hashes[seq] = event.hash
    strays = sorted(e.seq for e in events if e.seq < 1)
    if strays:
        return Break(case_id, strays[0], "inserted", f"an event with seq {strays[0]} is not part of the chain")
    if head is not None:
        recorded, last_hash = head
        if recorded > last_seq:
            return Break(case_id, last_seq + 1, "truncated",
                         f"the chain ends at seq {last_seq} but the case records {recorded} events: "
                         f"events {last_seq + 1}..{recorded} were removed", {"recorded_seq": recorded})
        if recorded < last_seq:
            return Break(case_id, recorded + 1, "inserted",
                         f"events after seq {recorded} (the head the case records) were added outside a command",
                         {"recorded_seq": recorded})
        if last_seq and last_hash != previous:
            return Break(case_id, last_seq, "head_mismatch",
                         f"the case records a different hash for its last event {last_seq}",
                         {"recorded_hash": last_hash, "chain_hash": previous})
    if pinned_hash is not None and last_seq and by_seq[last_seq].process_hash != pinned_hash:
        return Break(case_id, last_seq, "process_mismatch",
                     "the case is pinned to another process version than its last event names "
                     "(a version changed without a case_migrated event)",
                     {"pinned": pinned_hash, "event": by_seq[last_seq].process_hash})
    return None


MIGRATED = "case_migrated"


def _process_moved(case_id: int | None, seq: int, event: Row, before: Row | None) -> Break | None:
    """A case's events name one process version until a ``case_migrated`` event names the move
    (its ``from`` and ``to`` hashes): a change of version anywhere else is a break."""
    if before is None or event.process_hash == before.process_hash:
        return None
    data = event.data if isinstance(event.data, dict) else {}
    if event.type == MIGRATED and (data.get("from") or {}).get("sha256") == before.process_hash \
            and (data.get("to") or {}).get("sha256") == event.process_hash:
        return None
    return Break(case_id, seq, "process_changed",
                 f"event {seq} ({event.type}) names another process version than event {seq - 1}, "
                 "and is not the case_migrated event that moved the case", {"type": event.type})


def _expected_hash(event: Row, before: Row | None, events: list[Row], pinned_hash: str | None) -> str | None:
    """The process hash ``event`` should carry, for :func:`_field_hint` (None: not a case chain)."""
    if pinned_hash is None:
        return None
    if event.type == MIGRATED:
        return ((event.data if isinstance(event.data, dict) else {}).get("to") or {}).get("sha256") or pinned_hash
    if before is not None:
        return before.process_hash
    first = next((e for e in events if e.type == MIGRATED and isinstance(e.data, dict)), None)
    return ((first.data.get("from") or {}).get("sha256") or pinned_hash) if first is not None else pinned_hash


def _misplaced(case_id: int | None, seq: int, event: Row | None, previous: str, by_prev: dict[str, Row],
               hashes: dict[int, str]) -> Break:
    """Explain a chain whose numbering or links break at ``seq`` (``event``: the one stored there)."""
    rightful = by_prev.get(previous)  # the event that names the previous one as its predecessor
    if rightful is not None and rightful is not event:
        belongs_here = event_hash(rightful.prev_hash, {**rightful._mapping, "seq": seq}) == rightful.hash
        if event is not None and belongs_here and \
                event_hash(event.prev_hash, {**event._mapping, "seq": rightful.seq}) == event.hash:
            return Break(case_id, seq, "reordered",
                         f"events {seq} and {rightful.seq} were swapped", {"swapped_with": rightful.seq})
        if event is not None and rightful.seq == seq + 1:
            return Break(case_id, seq, "inserted",
                         f"event {seq} ({event.type}) was inserted: the chain goes from {seq - 1} to the event "
                         f"now stored as {seq + 1}", {"type": event.type})
        if belongs_here:
            return Break(case_id, seq, "seq_altered", f"event {seq} ({rightful.type}) is stored with seq "
                         f"{rightful.seq}", {"stored_seq": rightful.seq})
        return Break(case_id, seq, "reordered",
                     f"event {seq} is out of place: the event following {seq - 1} is stored as seq {rightful.seq}",
                     {"stored_seq": rightful.seq})
    if event is None:
        return Break(case_id, seq, "removed", f"event {seq} is missing: the chain jumps from {seq - 1}")
    if seq >= 2 and event.prev_hash == hashes.get(seq - 2):
        return Break(case_id, seq - 1, "inserted",
                     f"event {seq - 1} was inserted: event {seq} follows {seq - 2} in the chain")
    if event_hash(previous, event) == event.hash:
        return Break(case_id, seq, "prev_hash_altered", f"event {seq}: its stored prev_hash was changed")
    return Break(case_id, seq, "changed", f"event {seq} ({event.type}) does not link to event {seq - 1} and "
                 "its content does not match its hash", {"type": event.type})


def _field_hint(event: Row, before: Row | None, pinned_hash: str | None, case_id: int | None) -> str | None:
    """Name the changed field when the row itself shows it (the others only break the hash)."""
    if event.case_id != case_id:
        return "case_id"
    if pinned_hash is not None and event.process_hash != pinned_hash:
        return "process_hash"
    if before is not None and event.at < before.at:
        return "at"
    return None


def check_checkpoint_head(case_id: int | None, events: list[Row], seq: int, hash_: str) -> Break | None:
    """A chain against its head in a checkpoint: it must still hold that event, unchanged."""
    if len(events) < seq:
        return Break(case_id, len(events) + 1, "truncated",
                     f"the checkpoint saw {seq} events; the chain now ends at {len(events)}",
                     {"checkpoint_seq": seq})
    if events[seq - 1].hash != hash_:
        return Break(case_id, seq, "changed", f"event {seq} differs from the checkpoint's head",
                     {"checkpoint_hash": hash_, "hash": events[seq - 1].hash})
    return None


# ------------------------------------------------------------------------------- streaming
def _event_batches(conn: Connection, batch: int) -> Iterator[list[Row]]:
    """Case chains' events by (case_id, seq), in keyset pages (no long cursor, no OFFSET)."""
    last: tuple[int, int] | None = None
    while True:
        query = select(*_COLUMNS).where(EVENT.c.case_id.isnot(None))
        if last is not None:
            query = query.where(or_(EVENT.c.case_id > last[0], and_(EVENT.c.case_id == last[0], EVENT.c.seq > last[1])))
        rows = conn.execute(query.order_by(EVENT.c.case_id, EVENT.c.seq).limit(batch)).all()
        if not rows:
            return
        yield rows
        last = (rows[-1].case_id, rows[-1].seq)


def _case_batches(conn: Connection, batch: int) -> Iterator[list[Row]]:
    last = 0
    query = (select(CASE.c.id, CASE.c.event_seq, CASE.c.last_event_hash, DEFINITION.c.sha256)
             .join(DEFINITION, DEFINITION.c.id == CASE.c.definition_id))
    while True:
        rows = conn.execute(query.where(CASE.c.id > last).order_by(CASE.c.id).limit(batch)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _chains(conn: Connection, batch: int) -> Iterator[tuple[int, list[Row]]]:
    current: int | None = None
    chain: list[Row] = []
    for rows in _event_batches(conn, batch):
        for row in rows:
            if row.case_id != current:
                if current is not None:
                    yield current, chain
                current, chain = row.case_id, []
            chain.append(row)
    if current is not None:
        yield current, chain


#: The file store's verdict on the content kept under a SHA-256: None (intact), "changed" or "missing".
StoredFileCheck = Callable[[str], "str | None"]
FILE_EVENT = "file_attached"
#: A generated document names its DOCX and PDF in ``data.files`` (engine/documents).
DOCUMENT_EVENT = "document_generated"


def _named_files(event: Row) -> list[dict[str, Any]]:
    data = event.data if isinstance(event.data, dict) else {}
    if event.type == FILE_EVENT:
        return [data]
    if event.type == DOCUMENT_EVENT:
        return [f for f in data.get("files") or [] if isinstance(f, dict)]
    return []


def check_files(case_id: int, events: list[Row], stored_file: StoredFileCheck,
                seen: dict[str, str | None]) -> tuple[int, list[Break]]:
    """(files checked, problems) of one chain's ``file_attached`` and ``document_generated`` events;
    ``seen`` caches verdicts."""
    checked, problems = 0, []
    for event, data in ((e, named) for e in events for named in _named_files(e)):
        sha256 = str(data.get("sha256") or "")
        if sha256 not in seen:
            seen[sha256] = stored_file(sha256)
            checked += 1
        verdict = seen[sha256]
        if verdict is not None:
            name = data.get("name")
            what = "is missing from the file store" if verdict == "missing" else \
                "no longer hashes to the SHA-256 its event recorded"
            problems.append(Break(case_id, event.seq, f"file_{verdict}",
                                  f"event {event.seq} (id {event.id}): the content of file {data.get('file_id')} "
                                  f"({name}) {what}",
                                  {"event_id": event.id, "file_id": data.get("file_id"), "sha256": sha256,
                                   "name": name}))
    return checked, problems


def verify_all(conn: Connection, checkpoint_heads: Mapping[str, Mapping[str, Any]] | None = None,
               batch: int = BATCH, stored_file: StoredFileCheck | None = None) -> Report:
    """Recompute every chain (the global one first, then cases by id); with ``stored_file``, also
    re-hash the content every ``file_attached`` event names."""
    report = Report()
    heads = dict(checkpoint_heads or {})
    verdicts: dict[str, str | None] = {}

    def judge(case_id: int | None, events: list[Row], head: tuple[int, str] | None, pinned: str | None) -> None:
        report.chains += 1
        report.events += len(events)
        problem = check_chain(case_id, events, head, pinned)
        seen = heads.pop(chain_key(case_id), None)
        if problem is None and seen is not None:
            problem = check_checkpoint_head(case_id, events, int(seen["seq"]), str(seen["hash"]))
        if problem is not None:
            report.breaks.append(problem)
        if stored_file is not None and case_id is not None:
            checked, problems = check_files(case_id, events, stored_file, verdicts)
            report.files += checked
            report.breaks.extend(problems)

    global_events = conn.execute(select(*_COLUMNS).where(EVENT.c.case_id.is_(None)).order_by(EVENT.c.seq)).all()
    if global_events or GLOBAL in heads:
        judge(None, global_events, None, None)
    chains = _chains(conn, batch)
    pending = next(chains, None)
    for rows in _case_batches(conn, batch):
        for case in rows:
            while pending is not None and pending[0] < case.id:  # events of a case row that is gone
                judge(pending[0], pending[1], (0, ""), None)
                pending = next(chains, None)
            events: list[Row] = []
            if pending is not None and pending[0] == case.id:
                events = pending[1]
                pending = next(chains, None)
            if events or case.event_seq or chain_key(case.id) in heads:
                judge(case.id, events, (case.event_seq, case.last_event_hash), case.sha256)
    while pending is not None:
        judge(pending[0], pending[1], (0, ""), None)
        pending = next(chains, None)
    for key, seen in sorted(heads.items(), key=lambda kv: (kv[0] != GLOBAL, int(kv[0]) if kv[0].isdigit() else 0)):
        case_id = None if key == GLOBAL else int(key)
        report.breaks.append(Break(case_id, 1, "truncated",
                                   f"the checkpoint saw {seen['seq']} events of this chain; none remain",
                                   {"checkpoint_seq": seen["seq"]}))
    report.breaks.sort(key=lambda b: (b.case_id is not None, b.case_id or 0, b.seq))
    report.ok = not report.breaks
    return report
