"""Tokens and the caller: ``POST /auth/token``, ``GET /me``.

The token endpoint checks passwords under the same lock-out as the pages'
sign-in (``api.auth.lockout``, one count per name for both): five failures in a
row lock the name, known or not, and a locked name is answered 429 with
``Retry-After``.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from api.blueprint import Blueprint

from api.auth import current_actor
from api.errors import error_response
from api.resources import services
from api.schemas import ErrorSchema, MeResponse, TokenRequest, TokenResponse
from api.auth import lockout
from engine.people.directory import describe_user, get_user
from engine.errors import Unauthorized
from api.auth.tokens import issue_token

blp = Blueprint("auth", __name__, description="Authentication")


@blp.post("/auth/token", endpoint="issue_token")
@blp.arguments(TokenRequest)
@blp.response(200, TokenResponse)
@blp.alt_response(401, schema=ErrorSchema, description="unknown user or wrong password")
@blp.alt_response(429, schema=ErrorSchema,
                  description="too many failed attempts: the name is locked (see Retry-After)")
def issue_token_view(body):  # type: ignore[no-untyped-def]
    """Exchange a username and password for a bearer token."""
    lifetime = timedelta(hours=current_app.config["TOKEN_LIFETIME_HOURS"])
    with services().store.transaction() as session:  # committed on failure too: the failure counts
        outcome = lockout.sign_in(session, body["username"], body["password"])
        if outcome.actor is not None:
            token, row = issue_token(session, outcome.actor.user_id, lifetime)
            return {"token": token, "expires_at": row.expires_at}
    if outcome.locked_until is not None:
        response = error_response(429, "too_many_attempts",
                                  f"too many failed sign-ins: this name is locked for {lockout.LOCK_MINUTES} "
                                  "minutes after the last one", {"locked_until": outcome.locked_until.isoformat()})
        response.headers["Retry-After"] = str(outcome.retry_after())
        return response
    raise Unauthorized("unknown user or wrong password", code="invalid_credentials")


@blp.get("/me")
@blp.response(200, MeResponse)
def me():  # type: ignore[no-untyped-def]
    """The caller, their unit and roles."""
    actor = current_actor()
    with services().store.read() as session:
        return describe_user(session, get_user(session, actor.username))
