"""Tokens and the caller: ``POST /auth/token``, ``GET /me``."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from api.blueprint import Blueprint

from api.auth import current_actor
from api.resources import services
from api.schemas import MeResponse, TokenRequest, TokenResponse
from engine.directory import describe_user, get_user
from engine.security import issue_token

blp = Blueprint("auth", __name__, description="Authentication")


@blp.post("/auth/token", endpoint="issue_token")
@blp.arguments(TokenRequest)
@blp.response(200, TokenResponse)
def issue_token_view(body):  # type: ignore[no-untyped-def]
    """Exchange a username and password for a bearer token."""
    lifetime = timedelta(hours=current_app.config["TOKEN_LIFETIME_HOURS"])
    with services().store.transaction() as session:
        token, row = issue_token(session, body["username"], body["password"], lifetime)
    return {"token": token, "expires_at": row.expires_at}


@blp.get("/me")
@blp.response(200, MeResponse)
def me():  # type: ignore[no-untyped-def]
    """The caller, their unit and roles."""
    actor = current_actor()
    with services().store.read() as session:
        return describe_user(session, get_user(session, actor.username))
