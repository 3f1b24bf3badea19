"""Who works in the system: units, users, their roles and tokens, sign-in throttling, substitutes."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.base import ID, Base



class Unit(Base):
    """A node of the unit tree; ``path`` (``/1/4/``) makes "this unit and below" a prefix match."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    path: Mapped[str] = mapped_column(String(512), index=True, default="")


class User(Base):
    """A person who signs in. ``auth_version`` goes up in the same transaction as any change to who
    they are allowed to be (a global or unit role, deactivation, a password, revoked tokens), so a
    server that remembers a token's user checks one integer per request instead of trusting a timer."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    auth_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Where e-mail goes (none: nothing is sent), in which language, and how much of it
    #: (``immediate``, ``digest`` only, ``off``; escalations go whatever this says): engine/mail.
    email: Mapped[Optional[str]] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="vi", server_default="vi")
    notify: Mapped[str] = mapped_column(String(16), default="immediate", server_default="immediate")


class RoleGrant(Base):
    """A role held globally, for a unit subtree, or for one case only."""

    __tablename__ = "role_grant"
    __table_args__ = (Index("ix_role_grant_case", "case_id", "role"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case.id"))
    granted_at: Mapped[datetime]
    granted_by: Mapped[str] = mapped_column(String(64), default="")


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginThrottle(Base):
    """Failed sign-ins per username: too many in a row lock the name for a while (brute force).

    Keyed by the name typed, known or not, so the answer never tells whether a user exists."""

    __tablename__ = "login_throttle"
    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[Optional[datetime]]
    locked_until: Mapped[Optional[datetime]]


class Substitute(Base):
    """A substitute for an absent user over whole city days, ``starts_on`` to ``ends_on`` inclusive
    (ủy quyền). Never deleted: an end before its time sets ``ended_at``/``ended_by``, so the record of
    who could act for whom, and when, stays (each change is also an event on the global chain)."""

    __tablename__ = "substitute"
    __table_args__ = (Index("ix_substitute_acting", "substitute_user_id", "ends_on"),
                      Index("ix_substitute_absent", "absent_user_id", "ends_on"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    absent_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    substitute_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime]
    ended_by: Mapped[Optional[str]] = mapped_column(String(64))
    ended_at: Mapped[Optional[datetime]]
