"""People and places: units (a tree), users, and role grants.

Roles are plain names: the programme's roles from DOMAIN.md, and any other
name an uploaded process uses for a lane. Every change to what a user may do bumps their
``auth_version`` in the same transaction (:func:`bump_auth_version`): servers that remember a
token's user compare that one number on each request, so the change holds everywhere at once.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.audit import events as audit
from engine.time import clock
from engine.errors import Conflict, Invalid, NotFound
from engine.store.models import RoleGrant, Unit, User

#: Any printable name: uploaded processes' lanes ("Manager", "Sở Nội vụ") are role names.
ROLE_RE = re.compile(r"^(?=\S)[^\x00-\x1f\x7f]{1,64}(?<=\S)$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
UNIT_CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def get_unit(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"unknown unit '{code}'", {"unit": [f"unknown unit '{code}'"]})
    return unit


def add_unit(session: Session, code: str, name: str, parent_code: str | None = None) -> Unit:
    if not UNIT_CODE_RE.match(code or ""):
        raise Invalid("invalid unit code", {"code": ["letters, digits, _ . - only, at most 64"]})
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Conflict(f"unit '{code}' already exists", code="already_exists")
    parent = get_unit(session, parent_code) if parent_code else None
    unit = Unit(code=code, name=name or code, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def username_problems(username: str) -> dict[str, list[str]]:
    """What is wrong with a new user's name (nothing: empty), for one answer listing every problem."""
    return {} if USERNAME_RE.match(username or "") else {"username": ["2-64 letters, digits or _ . @ -"]}


def add_user(session: Session, username: str, password_hash: str, display_name: str = "",
             unit_code: str | None = None) -> User:
    """A new user whose password is already hashed (``api.auth.passwords``): the engine never sees one."""
    if problems := username_problems(username):
        raise Invalid("invalid user", problems)
    if not password_hash:
        raise Invalid("invalid user", {"password": ["required"]})
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user '{username}' already exists", code="already_exists")
    unit = get_unit(session, unit_code) if unit_code else None
    user = User(username=username, password_hash=password_hash, display_name=display_name or username,
                unit_id=unit.id if unit else None, created_at=clock.now())
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"unknown user '{username}'", {"username": [f"unknown user '{username}'"]})
    return user


def grant_role(session: Session, user: User, role: str, unit_code: str | None = None,
               case_id: int | None = None, granted_by: str = "") -> RoleGrant:
    """Grant ``role`` globally, for a unit subtree, or for one case; idempotent."""
    if not ROLE_RE.match(role or ""):
        raise Invalid("invalid role name", {"role": ["1-64 printable characters, no surrounding spaces"]})
    unit = get_unit(session, unit_code) if unit_code else None
    unit_id = unit.id if unit else None
    existing = session.scalar(select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role,
        RoleGrant.unit_id.is_(None) if unit_id is None else RoleGrant.unit_id == unit_id,
        RoleGrant.case_id.is_(None) if case_id is None else RoleGrant.case_id == case_id))
    if existing is not None:
        return existing
    grant = RoleGrant(user_id=user.id, role=role, unit_id=unit_id, case_id=case_id,
                      granted_at=clock.now(), granted_by=granted_by)
    session.add(grant)
    session.flush()
    if case_id is None:  # a case's own grants are events of that case (engine.cases.projection)
        bump_auth_version(session, user)  # case grants are read per request, never remembered
        _log_grant(session, "role_granted", granted_by, user, role, unit_code)
    return grant


def revoke_role(session: Session, user: User, role: str, unit_code: str | None = None,
                revoked_by: str = "") -> int:
    unit_id = get_unit(session, unit_code).id if unit_code else None
    grants = session.scalars(select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role, RoleGrant.case_id.is_(None),
        RoleGrant.unit_id.is_(None) if unit_id is None else RoleGrant.unit_id == unit_id)).all()
    for grant in grants:
        session.delete(grant)
    if grants:
        bump_auth_version(session, user)
        _log_grant(session, "role_revoked", revoked_by, user, role, unit_code)
    return len(grants)


def bump_auth_version(session: Session, user: User) -> None:
    """Mark the user's remembered sign-ins stale, in the caller's transaction. An atomic increment, not
    a read-modify-write: two changes committed concurrently must never leave the number they started from."""
    session.flush()
    session.execute(update(User).where(User.id == user.id).values(auth_version=User.auth_version + 1))


def log_people_event(session: Session, kind: str, actor: str, data: dict) -> None:
    """Who may act is part of the record: an auditor checks a decision against the roles and accounts
    held then. Events about people belong to no case: they go on the global chain."""
    chain = audit.global_chain(session.connection())
    chain.add(kind, actor or "system", data=data)
    chain.write(session.connection())


def _log_grant(session: Session, kind: str, actor: str, user: User, role: str, unit_code: str | None) -> None:
    log_people_event(session, kind, actor, {"username": user.username, "role": role, "unit": unit_code})


def describe_user(session: Session, user: User) -> dict:
    rows = session.execute(
        select(RoleGrant.role, Unit.code).outerjoin(Unit, Unit.id == RoleGrant.unit_id)
        .where(RoleGrant.user_id == user.id, RoleGrant.case_id.is_(None))).all()
    unit = session.get(Unit, user.unit_id) if user.unit_id else None
    return {
        "username": user.username, "display_name": user.display_name, "active": user.active,
        "unit": unit.code if unit else None, "email": user.email, "language": user.language, "notify": user.notify,
        "roles": sorted(({"role": r, "unit": u} for r, u in rows), key=lambda g: (g["role"], g["unit"] or "")),
    }


def display_names(db: Any, usernames: Iterable[str], chunk: int = 500) -> dict[str, str]:
    """Username -> display name, for those of ``usernames`` that are users (a paper prints people
    by name, never by their sign-in name). ``db`` is a session or a connection."""
    wanted = sorted({u for u in usernames if isinstance(u, str) and USERNAME_RE.match(u)})
    users = User.__table__
    found: dict[str, str] = {}
    for start in range(0, len(wanted), chunk):
        rows = db.execute(select(users.c.username, users.c.display_name)
                          .where(users.c.username.in_(wanted[start:start + chunk])))
        found.update({row.username: row.display_name.strip() for row in rows if (row.display_name or "").strip()})
    return found


def unknown_users(db: Any, usernames: Iterable[str]) -> list[str]:
    """Those of ``usernames`` that name no user, in the order given: a form that names people (a
    council) is refused on the row at fault rather than when a role is granted to nobody."""
    names = [u for u in usernames if isinstance(u, str)]
    users = User.__table__
    known = set(db.execute(select(users.c.username).where(users.c.username.in_(names))).scalars())
    return [u for u in names if u not in known]
