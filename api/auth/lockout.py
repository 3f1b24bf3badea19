"""Lock-out after repeated failed sign-ins, shared by the pages' login and the API's token endpoint.

A username is locked for ``LOCK_MINUTES`` after ``MAX_FAILURES`` failures in a
row; a success resets the count. The count is kept per name typed, whether
the user exists or not, and an unknown name costs a password check too, so
neither the answers nor their timing reveal which names are real. The time
comes from the service clock, so tests move it instead of waiting. Both
doors share one count: a guesser gains nothing by switching between them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.time import clock
from engine.store.models import LoginThrottle, User
from engine.people.actors import Actor, actor_for
from api.auth.passwords import check_password, hash_password

MAX_FAILURES = 5
LOCK_MINUTES = 15
#: Failures older than this are forgotten (a typo last month does not count towards a lock today).
FAILURE_MEMORY = timedelta(hours=24)
MAX_NAME = 255


@dataclass(frozen=True)
class SignIn:
    """The outcome of one attempt: an actor, or why not (``locked_until`` when locked)."""

    actor: Actor | None
    locked_until: datetime | None = None
    failures_left: int | None = None

    def retry_after(self) -> int:
        """Whole seconds until the lock ends (for a Retry-After header); 0 when not locked."""
        if self.locked_until is None:
            return 0
        return max(1, math.ceil((self.locked_until - clock.now()).total_seconds()))


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to check unknown names against, so that they take as long as known ones."""
    return hash_password("decoy password of no account")


def _row(session: Session, username: str) -> LoginThrottle:
    row = session.get(LoginThrottle, username)
    if row is None:
        row = LoginThrottle(username=username, failures=0)
        session.add(row)
    return row


def sign_in(session: Session, username: str, password: str) -> SignIn:
    """Check a password under the lock-out rule; the caller commits ``session`` even on failure
    (the failure must be counted)."""
    username = username.strip()[:MAX_NAME]
    now = clock.now()
    row = _row(session, username)
    if row.locked_until is not None and row.locked_until > now:
        return SignIn(None, locked_until=row.locked_until)  # not even checked: no oracle while locked
    user = session.scalar(select(User).where(User.username == username))
    usable = user is not None and user.active
    matches = check_password(password, user.password_hash if usable else _decoy_hash())
    if usable and matches:
        row.failures, row.locked_until, row.last_failed_at = 0, None, None
        return SignIn(actor_for(session, user))
    if row.last_failed_at is None or now - row.last_failed_at > FAILURE_MEMORY or row.locked_until is not None:
        row.failures = 0  # a lock that ran out starts a fresh count
    row.failures += 1
    row.last_failed_at = now
    row.locked_until = None
    if row.failures >= MAX_FAILURES:
        row.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        return SignIn(None, locked_until=row.locked_until)
    return SignIn(None, failures_left=MAX_FAILURES - row.failures)
