"""The ``talentflow`` command: everything an operator does.

This module holds the command group, the way every command gets its services
(:func:`_services`) and reports a failure (:func:`_fail`), and the commands that run the
service (``db upgrade``, ``db recount-backlog``, ``demo``, ``deploy``, ``retry``, ``serve``, ``scheduler``);
:mod:`api.cli.accounts` adds users and units, :mod:`api.cli.audit` the audit
trail (checkpoints, verification, replay, history export).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from api import config

if TYPE_CHECKING:
    from workflows import Services


def _services() -> Services:
    """The store and services a command runs on, built as the server builds its own
    (:func:`workflows.build_services`); statement echo stays off: the command's output is its own."""
    from engine.files import TrustRootsError
    from engine.time import CalendarFileError
    from workflows import RulesFileError, build_services

    try:
        return build_services({**config.from_env(), "SQL_ECHO": False})
    except CalendarFileError as err:
        _fail(f"TALENTFLOW_CALENDAR_FILE: {err}")
    except RulesFileError as err:
        _fail(f"TALENTFLOW_RULES_FILE: {err}")
    except TrustRootsError as err:
        _fail(f"TALENTFLOW_SIGNING_TRUST_ROOTS: {err}")


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


class _Commands(click.Group):
    """The command group: a database that cannot be reached (down, refusing connections, a pool
    timing out) is said in one line with what to check, never as a traceback, whichever command met it."""

    def invoke(self, ctx: click.Context) -> object:
        from engine.store.database import DATABASE_UNAVAILABLE

        try:
            return super().invoke(ctx)
        except DATABASE_UNAVAILABLE as err:
            said = str(getattr(err, "orig", None) or err).strip().splitlines()  # the driver's words, first line
            _fail(f"the database is unavailable ({said[0] if said else type(err).__name__}); check "
                  f"TALENTFLOW_DATABASE_URL and that the database server is running, then try again")


@click.group(cls=_Commands)
def main() -> None:
    """talentflow: the talent programme's workflow service."""


@main.group()
def db() -> None:
    """Database schema."""


def _upgrade_and_deploy() -> None:
    from engine.store.migrate import upgrade
    from engine.definitions.specs import DefinitionInvalid
    from workflows import deploy_bpmn_dir

    url = str(config.from_env()["DATABASE_URL"])
    store = _services().store  # first: a bad calendar or rules file stops the command before any change
    upgrade(url)
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


@db.command("recount-backlog")
@click.option("--check", is_flag=True, help="only compare: change nothing, exit 1 if the counter is wrong")
def db_recount_backlog(check: bool) -> None:
    """Recount the open tasks per unit the dashboard shows from the task rows; say what was wrong.

    The counter is kept in every step's transaction, so it is never wrong unless the task rows were
    changed by hand (or by a version of the product before revision 0014 running beside this one)."""
    from engine.store import backlog

    store = _services().store
    try:
        with store.command() as conn:
            wrong = backlog.mismatches(conn) if check else backlog.recount(conn)
    finally:
        store.dispose()
    for (unit_id, slot), (counted, actual) in wrong.items():
        click.echo(f"unit {unit_id or '-'} slot {slot}: counted {counted}, tasks {actual}")
    if not wrong:
        click.echo("backlog counter matches the tasks")
    elif check:
        sys.exit(1)
    else:
        click.echo(f"backlog counter recounted: {len(wrong)} slots corrected")


@main.command()
def demo() -> None:
    """Migrate, deploy, and load demo units, users (one per role) and sample cases."""
    from workflows.demo import DEMO_PASSWORD, load_demo

    _upgrade_and_deploy()
    services = _services()
    try:
        created = load_demo(services.store, services.cases)
    finally:
        services.store.dispose()
    click.echo(f"demo loaded: {created}; every demo user's password is '{DEMO_PASSWORD}'")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--process", "process", default=None, help="id of the process to deploy, for a bundle with several")
def deploy(files: tuple[Path, ...], process: str | None) -> None:
    """Deploy a bundle as a new version of its process: BPMN files and the DMN files they use, or a
    .zip of them; call activities resolve in the bundle, else to the latest deployed version."""
    from engine.definitions.specs import DefinitionInvalid, Problem, SourceFile
    from engine.definitions.versions import calls_of
    from workflows import deploy_files

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        _fail(f"no such file: {', '.join(missing)}")
    store = _services().store
    warnings: list[Problem] = []
    try:
        with store.transaction() as session:
            row, created = deploy_files(session, [SourceFile(f.name, f.read_bytes()) for f in files], "cli",
                                        process, warnings)
            click.echo(f"{'deployed' if created else 'unchanged, already'}: {row.key} v{row.version}")
            for call in calls_of(row):  # which version of each called process this one runs
                click.echo(f"  calls {call['process']} v{call['version']} ({call['from']})")
        for warning in warnings:  # accepted, but the deployer should know (e.g. a form key with no form)
            click.echo(f"  warning: {warning.file or '-'} {warning.element_id or '-'}: {warning.message}", err=True)
    except DefinitionInvalid as err:
        for problem in err.problems:
            click.echo(f"  {problem.file or '-'} {problem.element_id or '-'}: {problem.message}", err=True)
        _fail("the definition is invalid; nothing was deployed")
    finally:
        store.dispose()


@main.command()
@click.argument("case_id", type=int)
@click.option("--as", "username", default="admin", help="admin user to act as")
@click.option("--skip-failed-children", "skip_reason", metavar="REASON", default=None,
              help="instead of starting again the planned child cases that could not start, drop them "
                   "(the reason is kept in the case's history) and let the case go on without them")
def retry(case_id: int, username: str, skip_reason: str | None) -> None:
    """Re-run the failed command of a case in error (after a fix)."""
    from engine.people.directory import get_user
    from engine.errors import EngineError
    from engine.people.actors import actor_for

    services = _services()
    try:
        with services.store.read() as session:
            actor = actor_for(session, get_user(session, username))
        if skip_reason is None:
            services.cases.retry(actor, case_id)
        else:
            services.cases.skip_failed_children(actor, case_id, skip_reason)
    except EngineError as err:
        _fail(err.message)
    finally:
        services.store.dispose()
    click.echo(f"case {case_id} retried and running again" if skip_reason is None else
               f"case {case_id}: the child cases that could not start were skipped")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int,
              help="gunicorn workers (default: SQLite 2-4, PostgreSQL one per core up to 16)")
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="log every request to stdout (the audit log records every command regardless)")
@click.option("--scheduler/--no-scheduler", default=None,
              help="run the timer executor in each worker (default: TALENTFLOW_SCHEDULER, on)")
def serve(host: str, port: int, workers: int | None, threads: int, access_log: bool, scheduler: bool | None) -> None:
    """Serve the API with gunicorn (threaded workers, keep-alive), firing timers in each worker."""
    from api.server import run

    run(host, port, workers, threads, access_log, scheduler)


@main.command("scheduler")
@click.option("--sweep-seconds", type=click.FloatRange(min=0.5), default=None,
              help="safety-net sweep interval (default: TALENTFLOW_SCHEDULER_SWEEP_SECONDS, 30)")
def scheduler_command(sweep_seconds: float | None) -> None:
    """Run a timer executor alone (beside web-only servers), until stopped (Ctrl-C or SIGTERM)."""
    import logging
    import signal
    import threading

    settings = config.from_env()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("engine").setLevel(logging.INFO)  # the executor's own news, not a line per task state
    from api.web.mail import mail_sender

    services = _services()
    secret = config.server_key()
    executor = services.timer_executor(
        sweep_seconds=sweep_seconds or float(settings["SCHEDULER_SWEEP_SECONDS"]),  # type: ignore[arg-type]
        secret=secret, mail=mail_sender(services.store, settings, secret))
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    executor.start()
    click.echo(f"timer executor {executor.name} running", err=True)
    try:
        while not stopped.wait(0.5):
            pass
    finally:
        executor.stop()
        services.store.dispose()
    click.echo(f"timer executor {executor.name} stopped after firing {executor.fired_total} timers", err=True)


from api.cli import accounts, audit, mail, messages, migrate, substitutes  # noqa: E402,F401  (their commands join main)
