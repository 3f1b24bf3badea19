"""A forger who can write to the database and knows the hashing rules, but not the server key.

They cut the tail off a case (rewinding the case row, so the chain is consistent
in itself) and then try to make the stored checkpoint that would expose the cut
go unheard.
"""
from __future__ import annotations

from sqlalchemy import delete, insert, update

from engine.audit import checkpoints as checkpoint
from tests.engine.audit.test_checkpoints import KEY, take
from tests.engine.audit.test_verify import CASE, EVENT, events_of, tamper, training_case

ROWS = checkpoint.CHECKPOINT


def verify_latest(store):  # type: ignore[no-untyped-def]
    with store.read() as session:
        return checkpoint.verify_against_latest(session.connection(), KEY)


def cut_tail(store, case_id: int, keep: int) -> None:  # type: ignore[no-untyped-def]
    events = events_of(store, case_id)
    tamper(store, delete(EVENT).where(EVENT.c.case_id == case_id, EVENT.c.seq > keep),
           update(CASE).where(CASE.c.id == case_id).values(event_seq=keep, last_event_hash=events[keep - 1].hash))


def test_a_newer_checkpoint_under_an_unknown_key_does_not_hide_the_signed_one(store, service, manual_clock):
    case_id = training_case(service, store, 3)
    taken = take(store)
    cut_tail(store, case_id, 2)
    # The forger stores a checkpoint of the cut log "signed" under a key this server does not have:
    # it cannot be checked here, but it must not stand in for the genuine one before it.
    with store.command() as conn:
        heads = checkpoint.chain_heads(conn)
        digest = checkpoint.digest_of(manual_clock.now().isoformat(), heads)
        conn.execute(insert(ROWS).values(created_at=manual_clock.now(), created_by="system", heads=heads,
                                         digest=digest, signature=checkpoint.sign("guessed", digest),
                                         key_id="sha256:0123456789abcdef"))
    report = verify_latest(store)
    assert report.ok is False
    assert report.checkpoint["id"] == taken["id"] and report.checkpoint["newer_under_another_key"]["id"] > taken["id"]
    assert [(b.case_id, b.seq, b.problem) for b in report.breaks] == [(case_id, 3, "truncated")]


def test_only_checkpoints_under_another_key_are_named_as_skipped(store, service, manual_clock):
    training_case(service, store, 2)
    foreign = take(store, key="another-servers-key")
    report = verify_latest(store)
    assert report.ok and report.checkpoint["id"] == foreign["id"] and report.checkpoint["skipped"]
