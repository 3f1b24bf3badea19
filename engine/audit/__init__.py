"""The audit trail: append-only events in one hash chain per case, checked and signed.

:mod:`engine.audit.events` writes events in the step's own transaction; :func:`verify_all` re-hashes
every chain; :mod:`engine.audit.checkpoints` signs the chain heads with the server key, so a history
cut short or rewritten with fresh hashes is still found out.
"""
from engine.audit import checkpoints, events
from engine.audit.verify import Report, verify_all

__all__ = ["checkpoints", "events", "Report", "verify_all"]
