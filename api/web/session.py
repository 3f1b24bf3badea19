"""Signing in to the pages: a session cookie, CSRF on every form, lock-out, logout.

The same users, passwords and roles as the API (``api.auth``). The
signed session cookie holds a random session id whose digest is a row of
``api_token`` (``api.auth.tokens.session_digest``): signing out revokes the
row, so a copied cookie is refused afterwards, and a deactivated user's
sessions end at their next request. The user and roles are read again with
the session on each request, so a revoked grant applies at once. Every POST of
the pages needs the form's CSRF token (Flask-WTF); the JSON API is not
affected (no cookies). Security headers (``headers``) and the page frame
(``layout``) apply to every page, signed in or not, and live in their own modules.
"""
from __future__ import annotations

import os
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from api import config
from api.auth import lockout
from api.auth.tokens import issue_token, lookup_token, prune_tokens, revoke_session, session_digest
from api.web import bp, services
from api.web.i18n import LANGUAGES, datetime_local
from engine.errors import Forbidden, Unauthorized
from engine.people.actors import Actor
from engine.store.models import User
from engine.time import clock

csrf = CSRFProtect()
#: Pages anyone may open without signing in.
PUBLIC = {"web.login", "web.static", "web.set_language"}
#: Who sees the dashboard and the registries city-wide (as the JSON API's reports and registry).
READERS = ("hr_officer", "approver", "auditor", "admin")


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the signer made once per key instead of on every request.

    Flask opens the session of every request, the API's included, and builds a new
    ``URLSafeTimedSerializer`` each time to do so; the serializer holds nothing but its keys and
    options, so one per (keys, salt) signs and checks exactly as a fresh one would."""

    def __init__(self) -> None:
        self._signers: dict[tuple[Any, ...], Any] = {}

    def get_signing_serializer(self, app: Flask) -> Any:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        signer = self._signers.get(key)
        if signer is None and app.secret_key:
            signer = self._signers[key] = super().get_signing_serializer(app)
        return signer


def init_app(app: Flask) -> None:
    """The session cookie's settings and CSRF on the pages' forms (the API's routes are exempt)."""
    app.session_interface = SessionCookies()
    if not os.environ.get("TALENTFLOW_SECRET_KEY") and not app.testing:
        # several server processes must sign cookies (and checkpoints) with one key
        app.config["SECRET_KEY"] = config.server_key(Path(app.instance_path))
    secure = os.environ.get("TALENTFLOW_SECURE_COOKIES")
    # TALENTFLOW_SECURE_COOKIES=0 for plain-HTTP serving beyond loopback (not recommended), 1 to force
    app.config["SESSION_COOKIE_SECURE"] = secure == "1" if secure in ("0", "1") else not (app.debug or app.testing)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="talentflow_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=int(app.config.get("TOKEN_LIFETIME_HOURS", 12))),
        WTF_CSRF_CHECK_DEFAULT=False,  # only the pages' forms: the API has no cookies to forge
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: long forms must not expire
    )
    csrf.init_app(app)


def current_user() -> Actor | None:
    return g.get("web_actor")


def roles_required(*roles: str) -> Callable:
    """The signed-in user must hold one of ``roles`` globally (403 page otherwise)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            actor = current_user()
            if actor is None or not actor.is_any(*roles):
                raise Forbidden(_("This page is for: %(roles)s", roles=", ".join(roles)))
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _load_actor(sid: str) -> Actor | None:
    """The session's user as they are now; None once it is revoked, expired or the user deactivated."""
    with services().store.engine.connect() as conn:
        try:
            return lookup_token(conn, session_digest(sid))[0]
        except Unauthorized:
            return None


def _fresh_session() -> None:
    """Forget everything of the session (its id, CSRF token, messages) but the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def sign_in_from_cookie() -> Actor | None:
    """The user of this request's session cookie, also kept in ``g`` for the pages (and for
    ``api.auth.current_actor()``, which the services' callers read)."""
    sid = session.get("sid")
    actor = _load_actor(sid) if isinstance(sid, str) else None
    if sid is not None and actor is None:
        _fresh_session()  # signed out elsewhere, expired, or the account was deactivated
    g.web_actor = g.actor = actor
    return actor


@bp.before_request
def _sign_in_and_csrf() -> Any:
    if request.method == "POST":
        csrf.protect()
        if any("\x00" in value for values in request.form.listvalues() for value in values):
            # PostgreSQL cannot store NUL in text: refuse it here, as the API's JSON parser does
            raise BadRequest(_("The form holds a NUL character, which cannot be stored. Remove it and try again."))
    actor = sign_in_from_cookie()
    if actor is None and request.endpoint not in PUBLIC:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    return None


def safe_next(target: str | None) -> str:
    """Where to go after signing in or switching language: only paths of this site (no ``//host``),
    as an open redirect would help phishing; the worklist otherwise. A control character (a
    newline from ``%0D%0A``) is refused too: it would end up in the Location header, which
    werkzeug refuses with an error, after the sign-in it follows had already been committed."""
    if not target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return url_for("web.worklist")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web.worklist")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if current_user() is not None:
            return redirect(safe_next(request.args.get("next")))
        return render_template("web/login.html", next=request.args.get("next", ""), username="")
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    target = safe_next(request.form.get("next"))  # before anything is committed: it cannot fail after
    error = None
    if not username or not password:
        error = _("Enter your username and password.")
    else:
        with services().store.transaction() as db:  # committed on failure too: the failure counts
            outcome = lockout.sign_in(db, username, password)
            if outcome.actor is not None:
                lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
                sid = issue_token(db, outcome.actor.user_id, lifetime, digest=session_digest)[0]
                saved_language = db.scalar(select(User.language).where(User.id == outcome.actor.user_id))
                prune_tokens(db, clock.now() - timedelta(days=1))
                if isinstance(session.get("sid"), str):
                    revoke_session(db, session["sid"])  # signing in again ends the session before
        if outcome.actor is not None:
            _fresh_session()  # a new session (and CSRF token) on every sign-in: no fixation
            session.permanent = True
            session["sid"] = sid
            if "lang" not in session and saved_language in LANGUAGES:
                # a browser where nobody chose a language starts in the one saved in their settings;
                # one chosen on the sign-in page just before is the reader's word now and stays
                session["lang"] = saved_language
            return redirect(target)
        if outcome.locked_until is not None:
            error = _("Too many failed attempts: this account is locked until %(when)s.",
                      when=datetime_local(outcome.locked_until))
        else:
            error = _("Unknown user or wrong password (%(left)s attempts left before a %(minutes)s-minute lock).",
                      left=outcome.failures_left, minutes=lockout.LOCK_MINUTES)
    return render_template("web/login.html", error=error, next=request.form.get("next", ""),
                           username=username), 401 if error else 200


@bp.post("/logout")
def logout() -> Any:
    with services().store.transaction() as db:
        revoke_session(db, session["sid"])  # signed in: the before_request hook checked it
    _fresh_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("web.login"))
