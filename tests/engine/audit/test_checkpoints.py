"""Signed checkpoints of the chains' heads, and the database refusing to rewrite events."""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from engine.audit import checkpoints as checkpoint
from engine.errors import Invalid
from engine.store.models import AuditCheckpoint, Case, Event
from tests.engine.audit.test_verify import training_case

KEY = "a-server-key-for-tests-only"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "audit.md"


def take(store, key: str = KEY, by: str = "test"):  # type: ignore[no-untyped-def]
    with store.command() as conn:
        return checkpoint.write_checkpoint(conn, key, by)


def test_a_checkpoint_holds_every_chains_head_signed_and_survives_export(store, service, manual_clock, tmp_path):
    cases = [training_case(service, store, 4), training_case(service, store, 1)]
    taken = take(store)
    with store.read() as session:
        rows = {str(c.id): {"seq": c.event_seq, "hash": c.last_event_hash} for c in session.scalars(select(Case))}
        deployments = session.scalar(select(Event.seq).where(Event.case_id.is_(None)).order_by(Event.seq.desc()))
        stored = session.scalar(select(AuditCheckpoint))
    assert {k: v for k, v in taken["heads"].items() if k != "global"} == rows and len(rows) == len(cases)
    assert taken["heads"]["global"]["seq"] == deployments
    assert (stored.digest, stored.signature, stored.key_id) == (taken["digest"], taken["signature"], taken["key_id"])
    assert taken["key_id"] == checkpoint.key_id(KEY) and KEY not in json.dumps(taken)

    path = tmp_path / "checkpoint.json"
    checkpoint.export_file(taken, path)
    again = checkpoint.load_file(path)
    checkpoint.check_signature(again, KEY)  # intact: no exception
    assert again == taken


@pytest.mark.parametrize("edit, complaint", [
    (lambda cp: cp["heads"].update({"1": {"seq": 1, "hash": "0" * 64}}), "do not match its digest"),
    (lambda cp: cp.update(signature="0" * 64), "signature is not valid"),
    (lambda cp: cp.update(key_id="sha256:0000000000000000"), "signed with another key"),
    (lambda cp: cp.pop("heads"), "not a talentflow audit checkpoint"),
    (lambda cp: cp.update(heads={"1": "no"}), "heads are malformed"),
])
def test_an_edited_or_foreign_checkpoint_is_refused(store, service, manual_clock, edit, complaint):
    training_case(service, store, 1)
    taken = take(store)
    edit(taken)
    with pytest.raises(Invalid, match=complaint):
        checkpoint.check_signature(taken, KEY)


def test_a_checkpoint_rebuilt_with_new_heads_cannot_be_signed_without_the_key(store, service, manual_clock):
    training_case(service, store, 1)
    taken = take(store)
    taken["heads"]["1"] = {"seq": 1, "hash": "0" * 64}
    taken["digest"] = checkpoint.digest_of(taken["created_at"], taken["heads"])
    taken["signature"] = checkpoint.sign("a-guessed-key", taken["digest"])
    with pytest.raises(Invalid, match="signature is not valid"):
        checkpoint.check_signature(taken, KEY)


def test_the_periodic_hook_writes_only_when_due_and_the_log_has_grown(store, service, manual_clock):
    def hook():  # type: ignore[no-untyped-def]
        with store.command() as conn:
            return checkpoint.checkpoint_if_due(conn, KEY, every=timedelta(hours=1))

    training_case(service, store, 1)
    first = hook()
    assert first is not None and first["created_by"] == "scheduler"
    assert hook() is None  # not due yet
    manual_clock.advance(timedelta(hours=2))
    assert hook() is None  # due, but nothing new to fix
    training_case(service, store, 0)
    second = hook()
    assert second is not None and second["id"] > first["id"] and second["heads"] != first["heads"]
    with store.read() as session:
        assert checkpoint.latest_checkpoint(session.connection())["id"] == second["id"]


def documented_trigger_sql(dialect: str) -> list[str]:
    """The trigger statements docs/audit.md gives for ``dialect``, exactly as an operator would paste them."""
    blocks = re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)
    marker = "FUNCTION" if dialect == "postgresql" else "RAISE(ABORT"
    [block] = [b for b in blocks if "CREATE TRIGGER" in b and marker in b]
    text_ = "\n".join(line[3:] if line.startswith("   ") else line for line in block.splitlines()) + "\n"
    if dialect == "postgresql":
        return [text_]  # one script: PostgreSQL splits it itself
    statements, current = [], ""
    for line in text_.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current)
            current = ""
    return statements


def test_the_documented_trigger_refuses_update_and_delete(store, service, manual_clock):
    dialect = store.engine.dialect.name
    case_id = training_case(service, store, 1)
    events = Event.__table__
    refusals = [events.update().where(events.c.case_id == case_id).values(actor="mallory"),
                events.delete().where(events.c.case_id == case_id)]
    if dialect == "postgresql":
        refusals.append(text("TRUNCATE event CASCADE"))
    with store.engine.connect() as conn:
        outer = conn.begin()  # DDL is transactional on both: rolled back at the end, other tests never see it
        try:
            cursor = conn.connection.cursor()  # as psql or sqlite3 would run it: no bound parameters
            for statement in documented_trigger_sql(dialect):
                cursor.execute(statement)
            for statement in refusals:
                attempt = conn.begin_nested()
                with pytest.raises(DBAPIError, match="append-only"):
                    conn.execute(statement)
                attempt.rollback()
            last = conn.execute(select(events).where(events.c.case_id == case_id)
                                .order_by(events.c.seq.desc())).first()
            appended = {k: v for k, v in last._mapping.items() if k != "id"}
            conn.execute(insert(events).values(**{**appended, "seq": last.seq + 1}))  # appending still works
            actors = conn.execute(select(events.c.actor).where(events.c.case_id == case_id)).scalars().all()
            assert len(actors) == last.seq + 1 and "mallory" not in actors
        finally:
            outer.rollback()


def test_verifying_against_the_stored_checkpoint_skips_a_foreign_key_and_fails_an_edited_one(store, service,
                                                                                            manual_clock):
    training_case(service, store, 2)
    with store.read() as session:
        assert checkpoint.verify_against_latest(session.connection(), KEY).checkpoint is None  # none taken yet
    taken = take(store, key="another-servers-key")
    with store.read() as session:
        report = checkpoint.verify_against_latest(session.connection(), KEY)
    assert report.ok and report.checkpoint["skipped"] and report.checkpoint["id"] == taken["id"]

    taken = take(store)
    with store.read() as session:
        assert checkpoint.verify_against_latest(session.connection(), KEY).checkpoint["id"] == taken["id"]
    rows = AuditCheckpoint.__table__
    with store.engine.begin() as conn:  # someone lowers a head in the stored checkpoint to hide a cut
        heads = {**taken["heads"], "global": {"seq": 1, "hash": "0" * 64}}
        conn.execute(rows.update().where(rows.c.id == taken["id"]).values(heads=heads))
    with store.read() as session:
        report = checkpoint.verify_against_latest(session.connection(), KEY)
    assert report.ok is False and "do not match its digest" in report.checkpoint["problem"]
