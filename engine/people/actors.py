"""The acting person: who they are, their global roles and the units they hold roles for.

An :class:`Actor` is a plain snapshot of the caller's roles, built once per request (the API
builds it from a token, the CLI and the timer executor from a user row). How a person proves who
they are — passwords, tokens, page sessions — is the API's business (``api.auth``).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import RoleGrant, Unit, User


@dataclass(frozen=True)
class Actor:
    """Who is acting: global roles, and roles held for unit subtrees (by unit path)."""

    user_id: int
    username: str
    unit_id: int | None = None
    unit_path: str | None = None
    global_roles: frozenset[str] = frozenset()
    unit_roles: tuple[tuple[str, str], ...] = ()  # (role, unit path)
    display_name: str = ""

    @property
    def roles(self) -> frozenset[str]:
        return self.global_roles | {role for role, _ in self.unit_roles}

    def has_role(self, role: str, unit_path: str | None = None) -> bool:
        """Holds ``role`` globally, or for a unit whose subtree contains ``unit_path``."""
        if role in self.global_roles:
            return True
        return unit_path is not None and any(
            r == role and unit_path.startswith(path) for r, path in self.unit_roles)

    def is_any(self, *roles: str) -> bool:
        return bool(self.global_roles.intersection(roles))


SYSTEM = Actor(user_id=0, username="system", global_roles=frozenset({"system"}))


def actor_for(session: Session, user: User) -> Actor:
    rows = session.execute(
        select(RoleGrant.role, Unit.path)
        .outerjoin(Unit, Unit.id == RoleGrant.unit_id)
        .where(RoleGrant.user_id == user.id, RoleGrant.case_id.is_(None))
    ).all()
    unit_path = session.scalar(select(Unit.path).where(Unit.id == user.unit_id)) if user.unit_id else None
    return Actor(
        user_id=user.id, username=user.username, unit_id=user.unit_id, unit_path=unit_path,
        global_roles=frozenset(role for role, path in rows if path is None),
        unit_roles=tuple(sorted((role, path) for role, path in rows if path is not None)),
        display_name=user.display_name,
    )
