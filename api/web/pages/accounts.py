"""(admin) The accounts page: every user with their unit and roles, and the buttons that close them;
and, for everyone, the page to change one's own password.

Deactivate, reactivate, revoke every session and token, give a new password: the same
``engine.people.accounts`` calls as the JSON API and the CLI, so each is audited and every server
refuses a closed account at its next request. Each button is its own small CSRF-protected POST
form that comes back to the list with a message (post, redirect, get), so reloading the page never
repeats an action. Changing one's own password asks for the old one under the sign-in lock-out
(a wrong one counts as a failed sign-in) and ends the user's other sessions, not this one.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import lockout
from api.auth.passwords import MIN_LENGTH, new_password_hash
from api.auth.tokens import session_digest
from api.web import bp, services
from api.web.i18n import datetime_local
from api.web.session import current_user, roles_required
from engine.errors import EngineError
from engine.people import accounts, directory
from engine.store.models import Unit, User

NAME = "<name:username>"


@bp.get("/admin/users")
@roles_required("admin")
def accounts_page() -> Any:
    with services().store.read() as db:
        units = {u.code: u.name for u in db.scalars(select(Unit))}
        users = [directory.describe_user(db, u) for u in db.scalars(select(User).order_by(User.username))]
    return render_template("web/accounts.html", users=users, units=units)


def _act(username: str, change: Callable[[Session, User], str]) -> Any:
    """Run one change as the signed-in admin; flash what it did, or why not, and show the list again."""
    try:
        with services().store.transaction() as db:
            flash(change(db, directory.get_user(db, username)), "info")
    except EngineError as err:
        if err.code == "own_account":
            flash(_("You cannot deactivate your own account."), "error")
        elif "password" in (err.details or {}):
            flash(_("The new password must have at least 8 characters."), "error")
        else:
            raise
    return redirect(url_for("web.accounts_page"))


@bp.post(f"/admin/users/{NAME}/deactivate")
@roles_required("admin")
def account_deactivate(username: str) -> Any:
    def change(db: Session, user: User) -> str:
        done = accounts.set_active(db, user, False, current_user().username)  # type: ignore[union-attr]
        return (_("%(user)s is deactivated: signed out everywhere and cannot sign in.", user=username) if done
                else _("%(user)s was already deactivated.", user=username))
    return _act(username, change)


@bp.post(f"/admin/users/{NAME}/reactivate")
@roles_required("admin")
def account_reactivate(username: str) -> Any:
    def change(db: Session, user: User) -> str:
        accounts.set_active(db, user, True, current_user().username)  # type: ignore[union-attr]
        return _("%(user)s can sign in again.", user=username)
    return _act(username, change)


@bp.post(f"/admin/users/{NAME}/revoke-tokens")
@roles_required("admin")
def account_revoke_tokens(username: str) -> Any:
    def change(db: Session, user: User) -> str:
        count = accounts.revoke_tokens(db, user, current_user().username)  # type: ignore[union-attr]
        return _("%(n)s sessions and tokens of %(user)s revoked.", n=count, user=username)
    return _act(username, change)


@bp.post(f"/admin/users/{NAME}/password")
@roles_required("admin")
def account_password(username: str) -> Any:
    password = request.form.get("password") or ""

    def change(db: Session, user: User) -> str:
        hashed = new_password_hash(password)
        # the admin's own session survives a reset of their own password; everyone else's ends
        accounts.set_password(db, user, hashed, current_user().username,  # type: ignore[union-attr]
                              keep_token_hash=session_digest(session["sid"]))
        return _("%(user)s has a new password and is signed out everywhere.", user=username)
    return _act(username, change)


@bp.route("/account/password", methods=["GET", "POST"])
def own_password() -> Any:
    if request.method == "GET":
        return render_template("web/own_password.html")
    me = current_user()
    old, new = request.form.get("old_password") or "", request.form.get("new_password") or ""
    if len(new) < MIN_LENGTH:
        flash(_("The new password must have at least 8 characters."), "error")
        return render_template("web/own_password.html"), 422
    with services().store.transaction() as db:  # committed on failure too: the failure counts
        outcome = lockout.sign_in(db, me.username, old)  # type: ignore[union-attr]
        if outcome.actor is not None:
            accounts.set_password(db, directory.get_user(db, me.username), new_password_hash(new),  # type: ignore[union-attr]
                                  me.username, keep_token_hash=session_digest(session["sid"]))  # type: ignore[union-attr]
    if outcome.actor is not None:
        flash(_("Your password is changed; your other sessions are signed out."), "info")
        return redirect(url_for("web.worklist"))
    if outcome.locked_until is not None:
        flash(_("Too many failed attempts: this account is locked until %(when)s.",
                when=datetime_local(outcome.locked_until)), "error")
    else:
        flash(_("Your current password is not that one."), "error")
    return render_template("web/own_password.html"), 422
