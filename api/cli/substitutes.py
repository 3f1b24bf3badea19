"""``talentflow substitutes …`` and ``talentflow reassign``: acting for others, from the command line.

The operator acts as ``cli`` with the admin's rights: a substitution set here, or a task given to
another candidate, is the same audited change the API and the pages make (``engine.people.substitutes``,
``CaseService.reassign``). Days are typed as on the pages, 15/12/2026 (or ISO 2026-12-15). Every
failure is one readable line and exit status 2, and changes nothing.
"""
from __future__ import annotations

from datetime import date, datetime

import click

from api.cli import _fail, _services, main
from engine.people.actors import Actor

#: The operator at the command line: an administrator, recorded as ``cli``.
OPERATOR = Actor(user_id=0, username="cli", global_roles=frozenset({"admin"}))


def _day(text: str) -> date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    _fail(f"“{text}” is not a day: write it dd/mm/yyyy")


@main.group()
def substitutes() -> None:
    """Substitutes (ủy quyền) while someone is away."""


@substitutes.command("set")
@click.argument("absent")
@click.argument("substitute")
@click.option("--from", "starts_on", required=True, help="first day, dd/mm/yyyy (inclusive)")
@click.option("--to", "ends_on", required=True, help="last day, dd/mm/yyyy (inclusive)")
@click.option("--reason", default="")
def substitutes_set(absent: str, substitute: str, starts_on: str, ends_on: str, reason: str) -> None:
    """Let SUBSTITUTE do ABSENT's tasks from --from to --to (city days)."""
    from engine.errors import EngineError
    from engine.people import directory
    from engine.people import substitutes as rows
    from workflows import substitute_rules

    first, last = _day(starts_on), _day(ends_on)
    store = _services().store
    try:
        with store.transaction() as session:
            row = rows.set_substitute(session, OPERATOR, directory.get_user(session, absent),
                                      directory.get_user(session, substitute), first, last, substitute_rules(), reason)
            number = row.id
    except EngineError as err:
        _fail(f"{err.message} {err.details or ''}".strip())
    finally:
        store.dispose()
    click.echo(f"substitute {number}: {substitute} acts for {absent} from {first:%d/%m/%Y} to {last:%d/%m/%Y}")


@substitutes.command("end")
@click.argument("number", type=int)
def substitutes_end(number: int) -> None:
    """End substitution NUMBER now (the record stays)."""
    from engine.errors import EngineError
    from engine.people import substitutes as rows
    from workflows import substitute_rules

    store = _services().store
    try:
        with store.transaction() as session:
            rows.end_substitute(session, OPERATOR, number, substitute_rules())
    except EngineError as err:
        _fail(err.message)
    finally:
        store.dispose()
    click.echo(f"substitute {number} ended")


@substitutes.command("list")
@click.option("--user", default=None, help="only this user's, as absent or substitute")
@click.option("--current", is_flag=True, help="only those not over yet")
def substitutes_list(user: str | None, current: bool) -> None:
    """Substitutions, newest first: number, who for whom, days, and whether it holds now."""
    from engine.errors import EngineError
    from engine.people import directory
    from engine.people import substitutes as rows

    store = _services().store
    try:
        with store.read() as session:
            listed = rows.listing(session, user=directory.get_user(session, user) if user else None, current=current)
    except EngineError as err:
        _fail(err.message)
    finally:
        store.dispose()
    for s in listed:
        state = "now" if s["active"] else ("ended" if s["ended_at"] else "")
        click.echo(f"{s['id']}\t{s['substitute']} for {s['absent']}\t{s['starts_on']:%d/%m/%Y}"
                   f"–{s['ends_on']:%d/%m/%Y}\t{state}".rstrip())


@main.command("reassign")
@click.argument("task_id")
@click.option("--to", "to", required=True, help="another candidate of the task (user name)")
@click.option("--reason", required=True, help="why (recorded in the case's history)")
def reassign(task_id: str, to: str, reason: str) -> None:
    """Give task TASK_ID to another of its candidates, with a reason."""
    from engine.errors import EngineError

    services = _services()
    try:
        services.cases.reassign(OPERATOR, task_id, to, reason)
    except EngineError as err:
        _fail(f"{err.message} {err.details or ''}".strip())
    finally:
        services.store.dispose()
    click.echo(f"task {task_id} given to {to}")
