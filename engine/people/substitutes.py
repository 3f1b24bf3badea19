"""Substitutes (ủy quyền, phân công thay thế): who acts for an absent user, and over which days.

A unit head on leave in December holds thirty assessments that nobody else may do; a substitute
set for those days sees and does them, with the absent user's unit scope, and every event of
their steps names both (``actor`` and ``on_behalf_of``). A substitution covers whole city days
(Asia/Ho_Chi_Minh), ``starts_on`` to ``ends_on`` inclusive, judged on the engine's clock only: it
holds from 00:00 of the first day and not a minute after 24:00 of the last. Rows are never
deleted — ending one early sets ``ended_at`` — and setting or ending one is an event on the global
chain, so an auditor can tell who could act for whom on any day.

Who may set a substitute, and which roles pass only to another holder of the role, are the
programme's rules, handed in as :class:`SubstituteRules` (the engine names no role of ours).
Which tasks a substitute may not do is each process's (``ProcessPolicy.delegation_refusal``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.people.actors import Actor, actor_for
from engine.people.directory import log_people_event
from engine.store.models import Substitute, Unit, User
from engine.time import clock


@dataclass(frozen=True)
class SubstituteRules:
    """Besides the user themselves, ``managers`` set anyone's substitute and ``unit_managers`` the
    substitute of a user of a unit they hold that role for; a user holding a role of ``within_role``
    may be replaced only by another holder of it."""

    managers: frozenset[str] = frozenset({"admin"})
    unit_managers: frozenset[str] = frozenset()
    within_role: frozenset[str] = frozenset()


def city_today() -> date:
    """Today in the city, on the engine's clock: the day a substitution is judged by."""
    return clock.now().astimezone(clock.CITY_ZONE).date()


def _unit_path(db: Session | Connection, user: User) -> str | None:
    return db.scalar(select(Unit.path).where(Unit.id == user.unit_id)) if user.unit_id else None


def may_manage(db: Session | Connection, by: Actor, absent: User, rules: SubstituteRules) -> bool:
    """Whether ``by`` may set or end ``absent``'s substitute: themselves, a manager, or a unit manager
    of the absent user's unit when every role the absent user holds is within the manager's units."""
    if by.user_id == absent.id or by.is_any(*rules.managers):
        return True
    path = _unit_path(db, absent)
    if path is None or not any(by.has_role(role, path) for role in rules.unit_managers):
        return False
    # A unit head answers for their units only: someone who also holds a city-wide role (hr, an
    # approver) or a role in a unit outside theirs would act elsewhere through the substitute.
    held = actor_for(db, absent)  # type: ignore[arg-type]
    return not held.global_roles and all(
        any(by.has_role(role, unit) for role in rules.unit_managers) for _, unit in held.unit_roles)


def set_substitute(session: Session, by: Actor, absent: User, substitute: User, starts_on: date, ends_on: date,
                   rules: SubstituteRules, reason: str = "") -> Substitute:
    """Let ``substitute`` act for ``absent`` from ``starts_on`` to ``ends_on`` (city days, inclusive).

    Refused, changing nothing: by someone who may not (403 ``may_not_set_substitute``), for oneself,
    a range that ends before it starts or in the past (422), an inactive substitute, a substitute
    without a role the absent user's decisions need (403 ``substitute_lacks_role``), a range that
    overlaps one already set for the same user (409 ``substitute_overlaps``), a substitute away on
    some of those days (409 ``substitute_away``), or an absent user who stands in for someone else
    then (409 ``absent_stands_in``)."""
    if not may_manage(session, by, absent, rules):
        raise Forbidden("you may not set this user's substitute", code="may_not_set_substitute")
    problems: dict[str, list[str]] = {}
    if substitute.id == absent.id:
        problems["substitute"] = ["a user cannot be their own substitute"]
    elif not substitute.active:
        problems["substitute"] = ["the substitute's account is deactivated"]
    if ends_on < starts_on:
        problems["ends_on"] = ["must not be before the first day"]
    elif ends_on < city_today():
        problems["ends_on"] = ["must not be in the past"]
    if problems:
        raise Invalid("invalid substitute", problems, code="invalid_substitute")
    missing = sorted((actor_for(session, absent).roles & rules.within_role) - actor_for(session, substitute).roles)
    if missing:
        raise Forbidden(f"the substitute must hold the role {', '.join(missing)} too", {"roles": missing},
                        code="substitute_lacks_role")
    # Two requests for the same absent user wait for each other here (PostgreSQL; SQLite's write lock
    # already serialises them), so the second sees the first's range and is refused.
    session.execute(select(User.id).where(User.id.in_(sorted({absent.id, substitute.id}))).with_for_update())
    current = (Substitute.ended_at.is_(None), Substitute.starts_on <= ends_on, Substitute.ends_on >= starts_on)
    overlapping = session.scalar(select(Substitute.id).where(Substitute.absent_user_id == absent.id, *current))
    if overlapping is not None:
        raise Conflict("a substitute is already set for some of these days", {"id": overlapping},
                       code="substitute_overlaps")
    # Standing in does not pass on: a substitute away on these days, or an absent user standing in for
    # someone else then, would leave tasks with nobody who may do them.
    away = session.scalar(select(Substitute.id).where(Substitute.absent_user_id == substitute.id, *current))
    if away is not None:
        raise Conflict("the substitute is away on some of these days", {"id": away}, code="substitute_away")
    standing_in = session.scalar(select(Substitute.id).where(Substitute.substitute_user_id == absent.id, *current))
    if standing_in is not None:
        raise Conflict("this user stands in for someone else on some of these days: name that person "
                       "another substitute first", {"id": standing_in}, code="absent_stands_in")
    row = Substitute(absent_user_id=absent.id, substitute_user_id=substitute.id, starts_on=starts_on,
                     ends_on=ends_on, reason=(reason or "").strip(), set_by=by.username, set_at=clock.now())
    session.add(row)
    session.flush()
    log_people_event(session, "substitute_set", by.username, {
        "id": row.id, "absent": absent.username, "substitute": substitute.username,
        "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(), "reason": row.reason})
    return row


def end_substitute(session: Session, by: Actor, substitute_id: int, rules: SubstituteRules) -> Substitute:
    """End a substitution now (before its last day, or cancel one not begun); the row stays."""
    row = session.get(Substitute, substitute_id)
    if row is None:
        raise NotFound(f"substitute {substitute_id} not found")
    absent = session.get(User, row.absent_user_id)
    if absent is None or not may_manage(session, by, absent, rules):
        raise Forbidden("you may not end this user's substitute", code="may_not_set_substitute")
    if row.ended_at is not None or row.ends_on < city_today():
        raise Conflict("this substitution has already ended", code="substitute_ended")
    row.ended_at, row.ended_by = clock.now(), by.username
    log_people_event(session, "substitute_ended", by.username, {"id": row.id, "absent": absent.username})
    return row


def _active(now: datetime) -> Any:
    today = now.astimezone(clock.CITY_ZONE).date()
    return (Substitute.starts_on <= today, Substitute.ends_on >= today,
            or_(Substitute.ended_at.is_(None), Substitute.ended_at > now))


#: Substitutions of the user ``:user_id`` that hold at ``:now`` (whose city day is ``:today``): the
#: days of :func:`_active`, as bound parameters so that statements using it are built once (every
#: task command asks; building the statement cost more than running it). See :func:`active_params`.
_HOLDS_NOW = (Substitute.substitute_user_id == bindparam("user_id"), Substitute.starts_on <= bindparam("today"),
              Substitute.ends_on >= bindparam("today"),
              or_(Substitute.ended_at.is_(None), Substitute.ended_at > bindparam("now")))
_ACTING_FOR = (select(User.__table__).join(Substitute, Substitute.absent_user_id == User.id)
               .where(User.active.is_(True), *_HOLDS_NOW).order_by(User.username))
#: A column that says whether ``:user_id`` stands in for anyone now: a command reads it with its task
#: (engine/cases/statements.py) and asks :func:`acting_for` only when it is true, which it rarely is.
STANDS_IN = exists().where(*_HOLDS_NOW).label("stands_in")


def active_params(user_id: int | None) -> dict[str, Any]:
    """The parameters of :data:`STANDS_IN` (and of the substitutions that hold now) for ``user_id``."""
    now = clock.now()
    return {"user_id": user_id, "now": now, "today": now.astimezone(clock.CITY_ZONE).date()}


def acting_for(db: Session | Connection, actor: Actor) -> list[Actor]:
    """The absent users ``actor`` stands in for right now, each as the :class:`Actor` whose scope
    the substitute acts with (one indexed query; none for most people). Same days as :func:`_active`."""
    if not actor.user_id:
        return []
    users = db.execute(_ACTING_FOR, active_params(actor.user_id)).all()
    return [actor_for(db, user) for user in users]  # type: ignore[arg-type]


_ABSENT, _SUBSTITUTE = aliased(User), aliased(User)


def listing(db: Session | Connection, *, user: User | None = None, current: bool = False) -> list[dict[str, Any]]:
    """Substitutions, newest first: those where ``user`` is absent or substitute (every one without),
    only those not yet over with ``current``; each with both people's names and whether it holds now."""
    query = (select(Substitute, _ABSENT.username, _ABSENT.display_name, _SUBSTITUTE.username,
                    _SUBSTITUTE.display_name)
             .join(_ABSENT, _ABSENT.id == Substitute.absent_user_id)
             .join(_SUBSTITUTE, _SUBSTITUTE.id == Substitute.substitute_user_id))
    if user is not None:
        query = query.where(or_(Substitute.absent_user_id == user.id, Substitute.substitute_user_id == user.id))
    now = clock.now()
    today = now.astimezone(clock.CITY_ZONE).date()
    if current:
        query = query.where(Substitute.ends_on >= today, Substitute.ended_at.is_(None))
    rows = db.execute(query.order_by(Substitute.starts_on.desc(), Substitute.id.desc())).all()
    out = []
    for row, absent, absent_name, substitute, substitute_name in rows:
        active = row.starts_on <= today <= row.ends_on and (row.ended_at is None or row.ended_at > now)
        out.append({"id": row.id, "absent": absent, "absent_name": absent_name or absent,
                    "substitute": substitute, "substitute_name": substitute_name or substitute,
                    "starts_on": row.starts_on, "ends_on": row.ends_on, "reason": row.reason,
                    "set_by": row.set_by, "set_at": row.set_at, "ended_by": row.ended_by,
                    "ended_at": row.ended_at, "active": active})
    return out


__all__ = ["SubstituteRules", "acting_for", "city_today", "end_substitute", "listing", "may_manage",
           "set_substitute"]
