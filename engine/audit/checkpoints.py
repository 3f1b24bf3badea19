"""Signed checkpoints of the audit log: the head of every chain at one moment.

A hash chain shows any change inside it, but not a tail cut off together with
the head the case row records. A checkpoint fixes (seq, hash) of every chain's
last event, signed with HMAC-SHA256 under the server key, and can be exported
to a file kept outside the database: verifying against it shows any chain that
has since lost events it had. The key is identified by a fingerprint, never
stored.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Mapping

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from engine.time import clock
from engine.audit.events import EVENT, canonical, lock_global_chain
from engine.errors import Invalid
from engine.store.models import AuditCheckpoint
from engine.audit.verify import GLOBAL, chain_key

CHECKPOINT = AuditCheckpoint.__table__
FORMAT = "talentflow-audit-checkpoint/1"
#: How often the scheduler's hook writes one (when the log changed since the last).
DEFAULT_EVERY = timedelta(hours=1)


def key_bytes(secret: str | bytes) -> bytes:
    if not secret:
        raise Invalid("no server key configured (TALENTFLOW_SECRET_KEY)", {"key": ["required"]})
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def key_id(secret: str | bytes) -> str:
    """A fingerprint naming the key (which checkpoints it can check) without revealing it."""
    return "sha256:" + hashlib.sha256(b"talentflow-checkpoint-key:" + key_bytes(secret)).hexdigest()[:16]


def chain_heads(conn: Connection) -> dict[str, dict[str, Any]]:
    """{chain key: {"seq", "hash"}} of every chain's last event, read in one statement per kind."""
    last = (select(EVENT.c.case_id, func.max(EVENT.c.seq).label("seq"))
            .where(EVENT.c.case_id.isnot(None)).group_by(EVENT.c.case_id).subquery())
    rows = conn.execute(select(EVENT.c.case_id, EVENT.c.seq, EVENT.c.hash)
                        .join(last, (last.c.case_id == EVENT.c.case_id) & (last.c.seq == EVENT.c.seq))).all()
    heads = {chain_key(r.case_id): {"seq": r.seq, "hash": r.hash} for r in rows}
    top = conn.execute(select(EVENT.c.seq, EVENT.c.hash).where(EVENT.c.case_id.is_(None))
                       .order_by(EVENT.c.seq.desc()).limit(1)).first()
    if top is not None:
        heads[GLOBAL] = {"seq": top.seq, "hash": top.hash}
    return heads


def digest_of(created_at: str, heads: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical({"created_at": created_at, "heads": heads}).encode()).hexdigest()


def sign(secret: str | bytes, digest: str) -> str:
    return hmac.new(key_bytes(secret), digest.encode(), hashlib.sha256).hexdigest()


def write_checkpoint(conn: Connection, secret: str | bytes, created_by: str = "system") -> dict[str, Any]:
    """Take, sign and store a checkpoint of every chain; returns it as exported."""
    created_at = clock.now()
    heads = chain_heads(conn)
    digest = digest_of(created_at.isoformat(), heads)
    row = {"created_at": created_at, "created_by": created_by, "heads": heads, "digest": digest,
           "signature": sign(secret, digest), "key_id": key_id(secret)}
    checkpoint_id = conn.execute(insert(CHECKPOINT).values(**row)).inserted_primary_key[0]
    return exported({"id": checkpoint_id, **row})


def checkpoint_if_due(conn: Connection, secret: str | bytes, every: timedelta = DEFAULT_EVERY,
                      created_by: str = "scheduler") -> dict[str, Any] | None:
    """The scheduler's periodic hook: a new checkpoint when the last is older than ``every`` and the
    log has grown since; None otherwise (so an idle system does not pile up identical ones). Timer
    executors of several processes may call it at once: the global chain's lock makes one write."""
    lock_global_chain(conn)
    latest = latest_checkpoint(conn)
    if latest is not None:
        taken = datetime.fromisoformat(latest["created_at"])
        if clock.now() - taken < every or chain_heads(conn) == latest["heads"]:
            return None
    return write_checkpoint(conn, secret, created_by)


def periodic_checkpoint(store: Any, secret: str | bytes, every: timedelta = DEFAULT_EVERY) -> Callable[[], Any]:
    """A job for the timer executor: take a checkpoint when one is due (see :func:`checkpoint_if_due`)."""
    def run() -> dict[str, Any] | None:
        with store.command() as conn:
            return checkpoint_if_due(conn, secret, every)
    return run


def latest_checkpoint(conn: Connection, signed_by: str | None = None) -> dict[str, Any] | None:
    """The newest stored checkpoint; with ``signed_by`` (a key id), the newest under that key."""
    query = select(CHECKPOINT).order_by(CHECKPOINT.c.id.desc()).limit(1)
    if signed_by is not None:
        query = query.where(CHECKPOINT.c.key_id == signed_by)
    row = conn.execute(query).first()
    return exported(dict(row._mapping)) if row is not None else None


def exported(row: Mapping[str, Any]) -> dict[str, Any]:
    created = row["created_at"]
    return {"format": FORMAT, "id": row["id"],
            "created_at": created.isoformat() if isinstance(created, datetime) else created,
            "created_by": row["created_by"], "heads": dict(row["heads"]), "digest": row["digest"],
            "signature": row["signature"], "key_id": row["key_id"]}


def check_signature(checkpoint: Mapping[str, Any], secret: str | bytes) -> None:
    """Raise Invalid unless ``checkpoint`` is intact and signed with this server's key."""
    problems = {name: ["missing"] for name in ("created_at", "heads", "digest", "signature", "key_id")
                if name not in checkpoint}
    if problems or checkpoint.get("format", FORMAT) != FORMAT:
        raise Invalid("not a talentflow audit checkpoint", problems or {"format": [f"expected {FORMAT}"]})
    if not isinstance(checkpoint["heads"], dict) or not all(
            isinstance(h, dict) and isinstance(h.get("seq"), int) and isinstance(h.get("hash"), str)
            for h in checkpoint["heads"].values()):
        raise Invalid("the checkpoint's heads are malformed", {"heads": ["{chain: {seq, hash}} expected"]})
    if checkpoint["key_id"] != key_id(secret):
        raise Invalid("the checkpoint was signed with another key",
                      {"key_id": [f"checkpoint {checkpoint['key_id']}, this server {key_id(secret)}"]})
    if digest_of(str(checkpoint["created_at"]), checkpoint["heads"]) != checkpoint["digest"]:
        raise Invalid("the checkpoint's heads do not match its digest (the file was edited)",
                      {"digest": ["does not match the heads"]})
    if not hmac.compare_digest(sign(secret, checkpoint["digest"]), str(checkpoint["signature"])):
        raise Invalid("the checkpoint's signature is not valid", {"signature": ["invalid"]})


def verify_against_latest(conn: Connection, secret: str | bytes, stored_file: Any = None) -> Any:
    """Verify every chain, against the latest stored checkpoint this server's key signed.

    A checkpoint under another key cannot be checked here (verify with its exported file where
    that key is set). It never stands in for an older one this key signed — anyone who can write
    the table could otherwise add a row under a made-up key to hide a cut the genuine checkpoint
    shows — and is named in the report (skipped when no checkpoint of this key exists). A stored
    checkpoint whose signature fails was itself tampered with: the report fails and says so.
    ``stored_file``: the file store's check, to re-hash files too (:func:`verify_all`)."""
    from engine.audit.verify import verify_all

    newest = latest_checkpoint(conn)
    if newest is None:
        return verify_all(conn, stored_file=stored_file)
    latest = newest if newest["key_id"] == key_id(secret) else latest_checkpoint(conn, key_id(secret))
    if latest is None:
        report = verify_all(conn, stored_file=stored_file)
        report.checkpoint = {"id": newest["id"], "created_at": newest["created_at"], "key_id": newest["key_id"],
                             "skipped": "signed with another key than this server's"}
        return report
    seen: dict[str, Any] = {"id": latest["id"], "created_at": latest["created_at"], "key_id": latest["key_id"]}
    if newest is not latest:
        seen["newer_under_another_key"] = {"id": newest["id"], "key_id": newest["key_id"]}
    try:
        check_signature(latest, secret)
    except Invalid as err:
        report = verify_all(conn, stored_file=stored_file)
        report.checkpoint, report.ok = {**seen, "problem": err.message}, False
        return report
    report = verify_all(conn, latest["heads"], stored_file=stored_file)
    report.checkpoint = seen
    return report


def load_file(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise Invalid(f"cannot read checkpoint {path}: {err}", {"checkpoint": [str(err)]}) from None
    if not isinstance(value, dict):
        raise Invalid("a checkpoint file holds one JSON object", {"checkpoint": ["not an object"]})
    return value


def export_file(checkpoint: Mapping[str, Any], path: Path) -> None:
    path.write_text(json.dumps(checkpoint, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
