"""The ``talentflow`` command: everything an operator does."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from api import config


def _store_and_service():  # type: ignore[no-untyped-def]
    from engine import clock
    from engine.db import Store
    from workflows import build_service

    clock.install()
    store = Store(str(config.from_env()["DATABASE_URL"]))
    return store, build_service(store)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group()
def main() -> None:
    """talentflow: the talent programme's workflow service."""


@main.group()
def db() -> None:
    """Database schema."""


def _upgrade_and_deploy() -> None:
    from engine.migrate import upgrade
    from engine.specs import DefinitionInvalid
    from workflows import deploy_bpmn_dir

    url = str(config.from_env()["DATABASE_URL"])
    upgrade(url)
    store, _ = _store_and_service()
    try:
        with store.transaction() as session:
            for row, created in deploy_bpmn_dir(session):
                click.echo(f"{'deployed' if created else 'up to date'}: {row.key} v{row.version}")
    except DefinitionInvalid as err:
        _fail(f"bpmn/ has an invalid definition: {err}")
    finally:
        store.dispose()


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the schema to the latest revision and deploy every process under bpmn/."""
    _upgrade_and_deploy()
    click.echo("database is up to date")


@main.command()
def demo() -> None:
    """Migrate, deploy, and load demo units, users (one per role) and sample cases."""
    from workflows.demo import DEMO_PASSWORD, load_demo

    _upgrade_and_deploy()
    store, service = _store_and_service()
    try:
        created = load_demo(store, service)
    finally:
        store.dispose()
    click.echo(f"demo loaded: {created}; every demo user's password is '{DEMO_PASSWORD}'")


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
    from engine.directory import add_user, grant_role
    from engine.errors import EngineError

    store, _ = _store_and_service()
    try:
        with store.transaction() as session:
            user = add_user(session, name, password, display_name, unit)
            for role in roles:
                grant_role(session, user, role, unit, granted_by="cli")
    except EngineError as err:
        _fail(f"{err.message} {err.details or ''}".strip())
    finally:
        store.dispose()
    click.echo(f"user {name} added with roles {', '.join(roles) or '(none)'}" + (f" for unit {unit}" if unit else ""))


@main.group()
def units() -> None:
    """The unit tree."""


@units.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--parent", default=None, help="code of the parent unit")
def units_add(code: str, name: str, parent: str | None) -> None:
    from engine.directory import add_unit
    from engine.errors import EngineError

    store, _ = _store_and_service()
    try:
        with store.transaction() as session:
            add_unit(session, code, name, parent)
    except EngineError as err:
        _fail(err.message)
    finally:
        store.dispose()
    click.echo(f"unit {code} added")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def deploy(files: tuple[Path, ...]) -> None:
    """Deploy a BPMN file (plus the DMN files it needs) as a new version of its process."""
    from engine.specs import DefinitionInvalid, SourceFile
    from workflows import deploy_files

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        _fail(f"no such file: {', '.join(missing)}")
    store, _ = _store_and_service()
    try:
        with store.transaction() as session:
            row, created = deploy_files(session, [SourceFile(f.name, f.read_bytes()) for f in files], "cli")
            click.echo(f"{'deployed' if created else 'unchanged, already'}: {row.key} v{row.version}")
    except DefinitionInvalid as err:
        for problem in err.problems:
            click.echo(f"  {problem.file or '-'} {problem.element_id or '-'}: {problem.message}", err=True)
        _fail("the definition is invalid; nothing was deployed")
    finally:
        store.dispose()


@main.command()
@click.argument("case_id", type=int)
@click.option("--as", "username", default="admin", help="admin user to act as")
def retry(case_id: int, username: str) -> None:
    """Re-run the failed command of a case in error (after a fix)."""
    from engine.directory import get_user
    from engine.errors import EngineError
    from engine.security import actor_for

    store, service = _store_and_service()
    try:
        with store.read() as session:
            actor = actor_for(session, get_user(session, username))
        service.retry(actor, case_id)
    except EngineError as err:
        _fail(err.message)
    finally:
        store.dispose()
    click.echo(f"case {case_id} retried and running again")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="log every request to stdout (the audit log records every command regardless)")
def serve(host: str, port: int, workers: int, threads: int, access_log: bool) -> None:
    """Serve the API with gunicorn (threaded workers, keep-alive)."""
    from api.server import run

    run(host, port, workers, threads, access_log)


if __name__ == "__main__":
    main()
