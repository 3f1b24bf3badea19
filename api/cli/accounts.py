"""``talentflow users …`` and ``talentflow units …``: people and places, from the command line.

Passwords are hashed here, on the API side (``api.auth.passwords``); the directory stores hashes.
Every failure is one readable line and exit status 2, and changes nothing.
"""
from __future__ import annotations

import click

from api.cli import _fail, _services, main


@main.group()
def users() -> None:
    """Users and roles."""


@users.command("add")
@click.argument("name")
@click.option("--password", required=True, help="at least 8 characters")
@click.option("--role", "roles", multiple=True, help="role name; repeat for several")
@click.option("--unit", default=None, help="unit code: the user's unit and the scope of the roles given")
@click.option("--display-name", default="")
def users_add(name: str, password: str, roles: tuple[str, ...], unit: str | None, display_name: str) -> None:
    """Add a user NAME with roles (scoped to --unit when given)."""
    from api.auth.passwords import new_password_hash
    from engine.people.directory import add_user, grant_role, username_problems
    from engine.errors import EngineError

    store = _services().store
    try:
        with store.transaction() as session:
            user = add_user(session, name, new_password_hash(password, username_problems(name)), display_name, unit)
            for role in roles:
                grant_role(session, user, role, unit, granted_by="cli")
    except EngineError as err:
        _fail(f"{err.message} {err.details or ''}".strip())
    finally:
        store.dispose()
    click.echo(f"user {name} added with roles {', '.join(roles) or '(none)'}" + (f" for unit {unit}" if unit else ""))


def _account(name: str, change: str, **options: object) -> str:
    """Apply one account change to user NAME as ``cli`` (``engine.people.accounts``: audited, and
    applied by every server at its next request); what it did, or a readable error and exit 2."""
    from api.auth.passwords import new_password_hash
    from engine.errors import EngineError
    from engine.people import accounts, directory

    store = _services().store
    try:
        with store.transaction() as session:
            user = directory.get_user(session, name)
            if change == "password":
                count = accounts.set_password(session, user, new_password_hash(str(options["password"])), "cli")
                return f"password of {name} reset; {count} tokens and sessions revoked"
            if change == "revoke":
                return f"{accounts.revoke_tokens(session, user, 'cli')} tokens and sessions of {name} revoked"
            active = change == "reactivate"
            done = accounts.set_active(session, user, active, "cli")
            return f"user {name} {'was already ' if not done else ''}{change}d"
    except EngineError as err:
        _fail(f"{err.message} {err.details or ''}".strip())
    finally:
        store.dispose()


@users.command("deactivate")
@click.argument("name")
def users_deactivate(name: str) -> None:
    """Close NAME's account: sign-in refused, every token and page session revoked."""
    click.echo(_account(name, "deactivate"))


@users.command("reactivate")
@click.argument("name")
def users_reactivate(name: str) -> None:
    """Open NAME's closed account again (they sign in afresh)."""
    click.echo(_account(name, "reactivate"))


@users.command("reset-password")
@click.argument("name")
@click.option("--password", required=True, help="the new password, at least 8 characters")
def users_reset_password(name: str, password: str) -> None:
    """Give NAME a new password; their tokens and page sessions are revoked."""
    click.echo(_account(name, "password", password=password))


@users.command("revoke-tokens")
@click.argument("name")
def users_revoke_tokens(name: str) -> None:
    """Revoke every bearer token and page session of NAME; the account stays open."""
    click.echo(_account(name, "revoke"))


@main.group()
def units() -> None:
    """The unit tree."""


@units.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--parent", default=None, help="code of the parent unit")
def units_add(code: str, name: str, parent: str | None) -> None:
    from engine.people.directory import add_unit
    from engine.errors import EngineError

    store = _services().store
    try:
        with store.transaction() as session:
            add_unit(session, code, name, parent)
    except EngineError as err:
        _fail(err.message)
    finally:
        store.dispose()
    click.echo(f"unit {code} added")
