"""Bearer tokens and page sessions, and the cache that spares a request its token query.

Tokens are stored only as SHA-256 of the token (a stolen database yields no usable token). The
pages' sessions are rows of the same table, so signing out or deactivating a user ends them on
the server.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from engine.errors import Unauthorized
from engine.people import Actor
from engine.store.models import ApiToken, RoleGrant, Unit, User
from engine.time import clock


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_digest(token: str) -> str:
    """The stored form of a page session's id. Another prefix than a bearer token's, so a session
    id read from a cookie is no API token and an API token is no session id."""
    return hashlib.sha256(b"session:" + token.encode()).hexdigest()


def issue_token(session: Session, user_id: int, lifetime: timedelta, *,
                digest: Callable[[str], str] = token_digest) -> tuple[str, ApiToken]:
    """A new random token for a user whose password was checked (``api.auth.lockout``); only its
    ``digest`` is stored. ``digest=session_digest`` makes a page session instead of a bearer token."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = ApiToken(token_hash=digest(token), user_id=user_id, created_at=now, expires_at=now + lifetime)
    session.add(row)
    return token, row


def prune_tokens(session: Session, expired_before: datetime) -> int:
    """Forget tokens and sessions that expired before ``expired_before``: each sign-in adds a row,
    and a row past its expiry only takes room (it is refused all the same)."""
    return session.execute(delete(ApiToken).where(ApiToken.expires_at < expired_before)).rowcount or 0


def revoke_session(session: Session, token: str) -> None:
    """End a page session on the server: its cookie, even a stolen copy, is refused from now on."""
    session.execute(update(ApiToken).where(ApiToken.token_hash == session_digest(token)).values(revoked=True))


_user_unit, _grant_unit = aliased(Unit), aliased(Unit)
#: Token, user, the user's unit and every global or unit grant in one round trip.
_AUTH_QUERY = (
    select(ApiToken.expires_at, ApiToken.revoked, User.id, User.username, User.display_name, User.active,
           User.unit_id, _user_unit.path, RoleGrant.role, _grant_unit.path)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(_user_unit, _user_unit.id == User.unit_id)
    .outerjoin(RoleGrant, and_(RoleGrant.user_id == User.id, RoleGrant.case_id.is_(None)))
    .outerjoin(_grant_unit, _grant_unit.id == RoleGrant.unit_id)
    .where(ApiToken.token_hash == bindparam("digest"))
)


def lookup_token(connection: Connection | Session, digest: str) -> tuple[Actor, datetime]:
    """(actor, token expiry) for a token digest; 401 if unknown, revoked or expired."""
    rows = connection.execute(_AUTH_QUERY, {"digest": digest}).all()
    if not rows:
        raise Unauthorized("invalid token", code="invalid_token")
    expires_at, revoked, user_id, username, display_name, active, unit_id, unit_path = rows[0][:8]
    if expires_at.tzinfo is None:  # raw Core rows on SQLite carry no zone; stored values are UTC
        expires_at = expires_at.replace(tzinfo=timezone.utc)
    if revoked or not active or expires_at <= clock.now():
        raise Unauthorized("token expired or revoked", code="invalid_token")
    grants = [(row[8], row[9]) for row in rows if row[8] is not None]
    return Actor(
        user_id=user_id, username=username, unit_id=unit_id, unit_path=unit_path,
        global_roles=frozenset(role for role, path in grants if path is None),
        unit_roles=tuple(sorted((role, path) for role, path in grants if path is not None)),
        display_name=display_name,
    ), expires_at


class ActorCache:
    """Tokens authenticated in the last few seconds, so a request costs no token query.

    A role granted or revoked in this process clears the cache at once; one made
    by another process (a second server, the CLI) applies within ``ttl_seconds``.
    Token expiry is checked on every use.
    """

    def __init__(self, ttl_seconds: float = 5.0, size: int = 10_000) -> None:
        self.ttl = timedelta(seconds=ttl_seconds)
        self.size = size
        self._items: dict[str, tuple[Actor, datetime, datetime]] = {}
        self._lock = threading.Lock()

    def authenticate(self, connect: Callable[[], Any], token: str) -> Actor:
        digest, now = token_digest(token), clock.now()
        entry = self._items.get(digest)
        if entry is not None and entry[2] > now and entry[1] > now:
            return entry[0]
        with connect() as connection:
            actor, expires_at = lookup_token(connection, digest)
        if self.ttl.total_seconds() > 0:
            with self._lock:
                if len(self._items) >= self.size:
                    self._items.clear()
                self._items[digest] = (actor, expires_at, now + self.ttl)
        return actor

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
