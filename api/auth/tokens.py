"""Bearer tokens and page sessions, and the cache that spares a request the full token lookup.

Tokens are stored only as SHA-256 of the token (a stolen database yields no usable token). The
pages' sessions are rows of the same table, so signing out or deactivating a user ends them on
the server.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import datetime, timedelta, timezone
from typing import Callable, NamedTuple

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.engine import Connection, Engine
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
           User.unit_id, _user_unit.path, User.auth_version, RoleGrant.role, _grant_unit.path)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(_user_unit, _user_unit.id == User.unit_id)
    .outerjoin(RoleGrant, and_(RoleGrant.user_id == User.id, RoleGrant.case_id.is_(None)))
    .outerjoin(_grant_unit, _grant_unit.id == RoleGrant.unit_id)
    .where(ApiToken.token_hash == bindparam("digest"))
)
#: Whether a remembered token still holds: one row by two unique keys, no grants, no units.
_CHECK_QUERY = (
    select(ApiToken.revoked, User.active, User.auth_version)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("digest"))
)


class Lookup(NamedTuple):
    actor: Actor
    expires_at: datetime
    auth_version: int


def lookup_token(connection: Connection | Session, digest: str) -> Lookup:
    """The actor, token expiry and the user's ``auth_version`` for a token digest; 401 if unknown,
    revoked or expired, or the user is deactivated. Roles and version come from one statement, so the
    version read is the one the roles belong to."""
    rows = connection.execute(_AUTH_QUERY, {"digest": digest}).all()
    if not rows:
        raise Unauthorized("invalid token", code="invalid_token")
    expires_at, revoked, user_id, username, display_name, active, unit_id, unit_path, version = rows[0][:9]
    if expires_at.tzinfo is None:  # raw Core rows on SQLite carry no zone; stored values are UTC
        expires_at = expires_at.replace(tzinfo=timezone.utc)
    if revoked or not active or expires_at <= clock.now():
        raise Unauthorized("token expired or revoked", code="invalid_token")
    grants = [(row[9], row[10]) for row in rows if row[9] is not None]
    return Lookup(Actor(
        user_id=user_id, username=username, unit_id=unit_id, unit_path=unit_path,
        global_roles=frozenset(role for role, path in grants if path is None),
        unit_roles=tuple(sorted((role, path) for role, path in grants if path is not None)),
        display_name=display_name,
    ), expires_at, version)


class ActorCache:
    """The actors of tokens seen lately, so a request costs one tiny query instead of the full lookup.

    A remembered actor is used only after checking, on every request, that its token is not revoked,
    its user is active and the user's ``auth_version`` is still the one it was built at. Everything
    that changes what a user may do (a global or unit role, deactivation, a password, revoked tokens)
    bumps that number in its own transaction (``engine.people``), so a change made through any server
    or the CLI is refused or applied by every server at its next request; no timer decides.
    ``refresh_seconds`` only bounds how long what the version does not cover (a display name) is
    remembered; ``0`` turns the cache off (the full lookup every request). Token expiry is checked on
    every use.

    The check runs on every request, so it skips what a SQLAlchemy ``Connection`` costs around one
    statement (events, an explicit BEGIN on SQLite, result objects): a pooled DBAPI connection runs
    the statement compiled once for the database's dialect. One SELECT reads one consistent
    snapshot on its own; the pool rolls back on return as always.
    """

    def __init__(self, refresh_seconds: float = 5.0, size: int = 10_000) -> None:
        self.refresh = timedelta(seconds=refresh_seconds)
        self.size = size
        self._items: dict[str, tuple[Lookup, datetime]] = {}
        self._lock = threading.Lock()
        self._check_sql: dict[str, tuple[str, bool]] = {}

    def _still_valid(self, engine: Engine, digest: str, remembered: Lookup) -> bool:
        """False also when the database fails here: the full lookup then runs through SQLAlchemy,
        which invalidates broken connections and raises its own errors (answered 503, never 500)."""
        sql, positional = self._check_sql.get(engine.dialect.name) or self._compile(engine)
        try:
            raw = engine.raw_connection()
        except engine.dialect.loaded_dbapi.Error:
            return False
        try:
            cursor = raw.cursor()
            cursor.execute(sql, (digest,) if positional else {"digest": digest})
            row = cursor.fetchone()
            cursor.close()
        except engine.dialect.loaded_dbapi.Error:
            raw.invalidate()
            return False
        finally:
            raw.close()
        return row is not None and not row[0] and bool(row[1]) and row[2] == remembered.auth_version

    def _compile(self, engine: Engine) -> tuple[str, bool]:
        compiled = _CHECK_QUERY.compile(dialect=engine.dialect)
        self._check_sql[engine.dialect.name] = found = (str(compiled), bool(compiled.positional))
        return found

    def authenticate(self, engine: Engine, token: str) -> Actor:
        digest, now = token_digest(token), clock.now()
        entry = self._items.get(digest)
        if entry is not None and entry[0].expires_at > now and entry[1] > now \
                and self._still_valid(engine, digest, entry[0]):
            return entry[0].actor
        with engine.connect() as connection:
            try:
                found = lookup_token(connection, digest)
            except Unauthorized:
                self._items.pop(digest, None)
                raise
        if self.refresh.total_seconds() > 0:
            with self._lock:
                if len(self._items) >= self.size:
                    self._items.clear()
                self._items[digest] = (found, now + self.refresh)
        return found.actor
