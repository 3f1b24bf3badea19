"""(admin) Users, role grants, units, and closing accounts; any user: their own password.

Every change to who may do what (a role, deactivation, a password, revoked tokens) bumps the user's
``auth_version`` in its own transaction (``engine.people``), so every server applies it at its next
request: nothing here needs to clear a cache. A password is hashed here (``api.auth.passwords``);
the engine only stores the hash.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import g
from api.blueprint import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import current_actor, lockout, require_roles
from api.auth.passwords import new_password_hash
from api.errors import error_response
from api.resources import services
from api.schemas import (GrantSchema, MeResponse, PasswordChange, PasswordReset, TokensRevoked, UnitCreate, UnitOut,
                         UserCreate)
from engine.errors import Invalid
from engine.people import accounts, directory
from engine.store.models import Unit, User

blp = Blueprint("admin", __name__, description="Users, roles and units (admin)")


@blp.get("/users")
@blp.response(200, MeResponse(many=True))
@require_roles("admin")
def list_users():  # type: ignore[no-untyped-def]
    with services().store.read() as session:
        return [directory.describe_user(session, u) for u in session.scalars(select(User).order_by(User.username))]


@blp.post("/users")
@blp.arguments(UserCreate)
@blp.response(201, MeResponse)
@require_roles("admin")
def create_user(body):  # type: ignore[no-untyped-def]
    with services().store.transaction() as session:
        user = directory.add_user(session, body["username"], new_password_hash(body["password"]), body["display_name"], body["unit"])
        for grant in body["roles"]:
            directory.grant_role(session, user, grant["role"], grant["unit"], granted_by=current_actor().username)
        return directory.describe_user(session, user)


@blp.post("/users/<name:username>/roles")
@blp.arguments(GrantSchema)
@blp.response(200, MeResponse)
@require_roles("admin")
def grant(body, username: str):  # type: ignore[no-untyped-def]
    with services().store.transaction() as session:
        user = directory.get_user(session, username)
        directory.grant_role(session, user, body["role"], body["unit"], granted_by=current_actor().username)
        return directory.describe_user(session, user)


@blp.delete("/users/<name:username>/roles")
@blp.arguments(GrantSchema)
@blp.response(200, MeResponse)
@require_roles("admin")
def revoke(body, username: str):  # type: ignore[no-untyped-def]
    with services().store.transaction() as session:
        user = directory.get_user(session, username)
        directory.revoke_role(session, user, body["role"], body["unit"], revoked_by=current_actor().username)
        return directory.describe_user(session, user)


def _change(username: str, change: Callable[[Session, User], Any]) -> dict:
    with services().store.transaction() as session:
        user = directory.get_user(session, username)
        change(session, user)
        return directory.describe_user(session, user)


@blp.post("/users/<name:username>/deactivate")
@blp.response(200, MeResponse)
@require_roles("admin")
def deactivate(username: str):  # type: ignore[no-untyped-def]
    """Close an account: sign-in is refused and every token and page session is revoked. An admin
    cannot close their own (409 ``own_account``)."""
    return _change(username, lambda session, user: accounts.set_active(session, user, False, current_actor().username))


@blp.post("/users/<name:username>/reactivate")
@blp.response(200, MeResponse)
@require_roles("admin")
def reactivate(username: str):  # type: ignore[no-untyped-def]
    """Open a closed account again; the user signs in afresh (their old tokens stay revoked)."""
    return _change(username, lambda session, user: accounts.set_active(session, user, True, current_actor().username))


@blp.post("/users/<name:username>/password")
@blp.arguments(PasswordReset)
@blp.response(200, MeResponse)
@require_roles("admin")
def reset_password(body, username: str):  # type: ignore[no-untyped-def]
    """Give a user a new password; their tokens and sessions are revoked."""
    hashed = new_password_hash(body["password"])
    return _change(username, lambda session, user: accounts.set_password(session, user, hashed, current_actor().username))


@blp.post("/users/<name:username>/revoke-tokens")
@blp.response(200, TokensRevoked)
@require_roles("admin")
def revoke_tokens(username: str):  # type: ignore[no-untyped-def]
    """Revoke every bearer token and page session of a user (e.g. a lost laptop); the account stays open."""
    with services().store.transaction() as session:
        count = accounts.revoke_tokens(session, directory.get_user(session, username), current_actor().username)
    return {"username": username, "revoked": count}


@blp.post("/me/password")
@blp.arguments(PasswordChange)
@blp.response(204)
def change_own_password(body):  # type: ignore[no-untyped-def]
    """Change your own password, giving the old one. The old one is checked under the sign-in lock-out
    (a wrong one counts as a failed sign-in); your other tokens and sessions are revoked, the token of
    this request keeps working."""
    actor = current_actor()
    hashed = new_password_hash(body["new_password"])
    with services().store.transaction() as session:  # committed on failure too: the failure counts
        outcome = lockout.sign_in(session, actor.username, body["old_password"])
        if outcome.actor is not None:
            accounts.set_password(session, directory.get_user(session, actor.username), hashed, actor.username,
                                  keep_token_hash=g.get("token_digest"))
            return None
    if outcome.locked_until is not None:
        response = error_response(429, "too_many_attempts", "too many failed sign-ins: this name is locked",
                                  {"locked_until": outcome.locked_until.isoformat()})
        response.headers["Retry-After"] = str(outcome.retry_after())
        return response
    raise Invalid("wrong password", {"old_password": ["does not match your current password"]})


@blp.get("/units")
@blp.response(200, UnitOut(many=True))
def list_units():  # type: ignore[no-untyped-def]
    with services().store.read() as session:
        units = list(session.scalars(select(Unit).order_by(Unit.path)))
        codes = {u.id: u.code for u in units}
        return [{"code": u.code, "name": u.name, "parent": codes.get(u.parent_id)} for u in units]


@blp.post("/units")
@blp.arguments(UnitCreate)
@blp.response(201, UnitOut)
@require_roles("admin")
def create_unit(body):  # type: ignore[no-untyped-def]
    with services().store.transaction() as session:
        unit = directory.add_unit(session, body["code"], body["name"], body["parent"])
        return {"code": unit.code, "name": unit.name, "parent": body["parent"]}
