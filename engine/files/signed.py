"""What a ``document_signed`` event records of a signed copy, and how a case's files show it.

The facts of a verified signature (who, when, which certificate, the case file it is the signed
copy of) live in the event alone, on the case's hash chain: a file's signature is read back from
there (as comments are), so no table holds a second copy that could disagree with the chain.

Its times: ``signed_at`` only when a trusted timestamp proves it; ``claimed_signing_time`` what
the signer's tool wrote (never shown as proven); ``validated_at`` when the certificate was judged
valid. An event recorded before these were told apart (no ``validated_at``) has its ``signed_at``
read as claimed, since nothing says it was proven.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.errors import Invalid
from engine.files.signatures import SignatureReport
from engine.store.models import Event

EVENT = Event.__table__
SIGNED = "document_signed"
#: The largest id a case file can have (a BIGINT).
MAX_ID = 2 ** 63 - 1


def file_id_of(value: Any) -> int | None:
    """``signed_of`` as sent (a number, or its digits in a form): None when empty, else a file id."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise Invalid("signed_of is the id of a file on the case", {"signed_of": ["the id of a PDF file on this case"]})
    return value


def signed_data(file: Mapping[str, Any], report: SignatureReport, signed_of: int | None) -> dict[str, Any]:
    """The ``document_signed`` event's data: the file (id, SHA-256), its signer first, every
    signature in signing order, and the file it is the signed copy of."""
    return {"file_id": file["id"], "sha256": file["sha256"], "name": file["name"], "signed_of": signed_of,
            **report.signer.as_data(), "signatures": [s.as_data() for s in report.signatures]}


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _times(data: Mapping[str, Any]) -> dict[str, Any]:
    """A signature's times as shown: proven, claimed, validated."""
    if "validated_at" not in data:  # recorded before proof was told from claim: nothing proven
        return {"signed_at": None, "claimed_signing_time": _when(data.get("signed_at")), "validated_at": None,
                "time_proven": False}
    proven = bool(data.get("time_proven")) and _when(data.get("signed_at")) is not None
    return {"signed_at": _when(data.get("signed_at")) if proven else None,
            "claimed_signing_time": _when(data.get("claimed_signing_time")),
            "validated_at": _when(data.get("validated_at")), "time_proven": proven}


def signature_view(data: Mapping[str, Any], seq: int) -> dict[str, Any]:
    """A file's ``signature`` as the API and the pages show it, from its event's data."""
    return {"signer": data.get("signer", ""), "organisation": data.get("organisation", ""),
            "issuer": data.get("issuer", ""), "serial": data.get("serial", ""),
            "certificate_sha256": data.get("certificate_sha256", ""), **_times(data),
            "signed_of": data.get("signed_of"), "event_seq": seq,
            "signatures": [{**s, **_times(s)} for s in data.get("signatures", [])]}


def signatures_of(db: Session | Connection, case_id: int) -> dict[int, dict[str, Any]]:
    """File id -> its signature, for the case's signed copies."""
    rows = db.execute(select(EVENT.c.seq, EVENT.c.data).where(EVENT.c.case_id == case_id, EVENT.c.type == SIGNED)
                      .order_by(EVENT.c.seq)).all()
    return {int(r.data["file_id"]): signature_view(r.data, r.seq) for r in rows if (r.data or {}).get("file_id")}
