"""Bearer-token authentication for the JSON API.

Every endpoint under ``/api/v1`` needs a token except the token endpoint
(the OpenAPI document included); ``/healthz`` is outside the API.
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import Flask, current_app, g, request

from engine.errors import Forbidden, Unauthorized
from engine.people.actors import Actor
from api.auth.tokens import token_digest

PUBLIC_ENDPOINTS = {"auth.issue_token", "health.healthz", "static"}


def current_actor() -> Actor:
    actor = g.get("actor")
    if actor is None:
        raise Unauthorized("authentication required", code="unauthorized")
    return actor


def require_roles(*roles: str) -> Callable:
    """The caller must hold one of ``roles`` globally."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_actor().is_any(*roles):
                raise Forbidden(f"requires role {' or '.join(roles)}")
            return view(*args, **kwargs)

        return wrapped

    return decorate


def register(app: Flask) -> None:
    @app.before_request
    def _authenticate() -> None:
        if not request.path.startswith("/api/") or request.endpoint in PUBLIC_ENDPOINTS:
            return
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send 'Authorization: Bearer <token>' (POST /api/v1/auth/token)")
        services = current_app.extensions["talentflow"]
        g.actor = services.actors.authenticate(services.store.engine, token.strip())
        g.token_digest = token_digest(token.strip())  # a password change keeps this token alive
