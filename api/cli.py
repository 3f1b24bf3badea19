"""The ``talentflow`` command: everything an operator does."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from api import config

if TYPE_CHECKING:
    from engine.audit.verify import Break
    from workflows import Services


def _services() -> Services:
    """The store and services a command runs on, built as the server builds its own
    (:func:`workflows.build_services`); statement echo stays off: the command's output is its own."""
    from engine.time import CalendarFileError
    from workflows import build_services

    try:
        return build_services({**config.from_env(), "SQL_ECHO": False})
    except CalendarFileError as err:
        _fail(f"TALENTFLOW_CALENDAR_FILE: {err}")


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group()
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
    upgrade(url)
    store = _services().store
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
    services = _services()
    try:
        created = load_demo(services.store, services.cases)
    finally:
        services.store.dispose()
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


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def deploy(files: tuple[Path, ...]) -> None:
    """Deploy a BPMN file (plus the DMN files it needs) as a new version of its process."""
    from engine.definitions.specs import DefinitionInvalid, SourceFile
    from workflows import deploy_files

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        _fail(f"no such file: {', '.join(missing)}")
    store = _services().store
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
    from engine.people.directory import get_user
    from engine.errors import EngineError
    from engine.people.actors import actor_for

    services = _services()
    try:
        with services.store.read() as session:
            actor = actor_for(session, get_user(session, username))
        services.cases.retry(actor, case_id)
    except EngineError as err:
        _fail(err.message)
    finally:
        services.store.dispose()
    click.echo(f"case {case_id} retried and running again")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="log every request to stdout (the audit log records every command regardless)")
@click.option("--scheduler/--no-scheduler", default=None,
              help="run the timer executor in each worker (default: TALENTFLOW_SCHEDULER, on)")
def serve(host: str, port: int, workers: int, threads: int, access_log: bool, scheduler: bool | None) -> None:
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
    services = _services()
    executor = services.timer_executor(
        sweep_seconds=sweep_seconds or float(settings["SCHEDULER_SWEEP_SECONDS"]),  # type: ignore[arg-type]
        secret=config.server_key())
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


# ------------------------------------------------------------------ audit trail (engine/audit/verify.py, engine/replay/)
def _secret_key() -> str:
    """The installation's server key (``TALENTFLOW_SECRET_KEY`` or the one the servers keep in instance/)."""
    return config.server_key()


@main.command("checkpoint")
@click.option("--export", "export_to", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="also write the checkpoint to this JSON file (keep it outside the database)")
def checkpoint_command(export_to: Path | None) -> None:
    """Take a signed checkpoint of every audit chain's head (HMAC-SHA256, server key)."""
    from engine.audit import checkpoints as checkpoint

    key = _secret_key()
    store = _services().store
    try:
        with store.command() as conn:
            taken = checkpoint.write_checkpoint(conn, key, "cli")
    finally:
        store.dispose()
    if export_to is not None:
        checkpoint.export_file(taken, export_to)
    click.echo(f"checkpoint {taken['id']}: {len(taken['heads'])} chains, key {taken['key_id']}"
               + (f", exported to {export_to}" if export_to else ""))


@main.command("verify-audit")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="an exported checkpoint: also find chains cut short since it was taken "
                   "(default: the latest stored one signed with the server key)")
def verify_audit(checkpoint_file: Path | None) -> None:
    """Recompute every audit hash chain; exit 1 and name the first broken (case, seq) of each."""
    from engine.audit import checkpoints as checkpoint
    from engine.audit import verify
    from engine.errors import EngineError

    heads = None
    if checkpoint_file is not None:
        if not checkpoint_file.is_file():
            _fail(f"no such file: {checkpoint_file}")
        try:
            saved = checkpoint.load_file(checkpoint_file)
            checkpoint.check_signature(saved, _secret_key())
        except EngineError as err:
            _fail(f"{err.message} {err.details or ''}".strip())
        heads = saved["heads"]
    key = config.server_key(create=False)
    store = _services().store
    try:
        with store.read() as session:
            conn = session.connection()
            report = verify.verify_all(conn, heads) if heads is not None or not key else \
                checkpoint.verify_against_latest(conn, key)
    finally:
        store.dispose()
    for problem in report.breaks:
        where = "global chain" if problem.case_id is None else f"case {problem.case_id}"
        click.echo(f"BROKEN {where} seq {problem.seq}: {problem.problem}: {problem.message}{_lost(problem)}")
    against = f" against checkpoint {checkpoint_file}" if checkpoint_file else ""
    if report.checkpoint:
        seen = report.checkpoint
        against = f" against stored checkpoint {seen['id']} of {seen['created_at']}"
        for note in ("skipped", "problem"):
            if seen.get(note):
                against = f"; stored checkpoint {seen['id']} {note}: {seen[note]}"
    verdict = "ok" if report.ok else "FAILED"
    click.echo(f"{verdict}: {report.chains} chains, {report.events} events verified{against}")
    if not report.ok:
        sys.exit(1)


def _lost(problem: Break) -> str:
    """The events a chain cut short no longer holds, by number (the checkpoint knows how many there
    were, not what they said): after restoring an older backup, what the restore took away."""
    last = problem.details.get("checkpoint_seq")
    if problem.problem != "truncated" or not isinstance(last, int):
        return ""
    return f"; lost events {problem.seq}-{last}" if last > problem.seq else f"; lost event {problem.seq}"


@main.command("replay")
@click.argument("case_id", type=int)
def replay_command(case_id: int) -> None:
    """Re-run a case from its recorded inputs on its pinned version; exit 1 if it diverges."""
    import json

    from engine.replay import rerun as replay
    from engine.errors import EngineError

    services = _services()
    try:
        with services.store.read() as session:
            result = replay.replay_case(services.cases, session.connection(), case_id)
    except EngineError as err:
        _fail(err.message)
    finally:
        services.store.dispose()
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    if not result.consistent:
        sys.exit(1)


@main.command("export-history")
@click.argument("case_id", type=int)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="file to write (default: standard output)")
def export_history(case_id: int, output: Path | None) -> None:
    """Export a case's events, stored state and process sources as JSON (replayable anywhere)."""
    import json

    from engine.audit import events as audit
    from engine.errors import EngineError

    store = _services().store
    try:
        with store.read() as session:
            history = audit.export_history(session.connection(), case_id)
    except EngineError as err:
        _fail(err.message)
    finally:
        store.dispose()
    text = json.dumps(history, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"case {case_id}: {len(history['events'])} events written to {output}")

if __name__ == "__main__":
    main()
