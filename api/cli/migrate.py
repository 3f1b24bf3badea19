"""``talentflow migrate``: move running cases to another version of their process, from the command line.

``talentflow migrate --process KEY --from 1 --to 2 [--case ID ...] [--dry-run]`` prints one line per
case — moved, refused and why, or (dry run) what would happen — with the tasks that map to the new
version (old element -> new) and those that have none. It acts as an admin user (``--as``), and
goes through the same :class:`engine.cases.migration.CaseMigrations` as the API and the admin page.
Bad input is one readable line and exit status 2; a run that refused some cases exits 1.
"""
from __future__ import annotations

from typing import Any

import click

from api.cli import _fail, _services, main

#: A case id or version: what the database's BIGINT holds. Larger numbers are a usage error, not
#: an integer overflow in the query (a traceback).
ID = click.IntRange(1, 2**63 - 1)


@main.command()
@click.option("--process", "process", required=True, help="the process key")
@click.option("--from", "from_version", type=ID, default=None, help="only cases on this version")
@click.option("--to", "to_version", type=ID, required=True, help="the version to move them to")
@click.option("--case", "case_ids", type=ID, multiple=True, help="one case id; repeat for several")
@click.option("--status", "statuses", type=click.Choice(["running", "error"]), multiple=True,
              help="only cases in this status (default: running and error)")
@click.option("--unit", default=None, help="only cases of this unit code and the units under it")
@click.option("--dry-run", is_flag=True, help="show what would happen; write nothing")
@click.option("--as", "username", default="admin", show_default=True, help="admin user to act as")
def migrate(process: str, from_version: int | None, to_version: int, case_ids: tuple[int, ...],
            statuses: tuple[str, ...], unit: str | None, dry_run: bool, username: str) -> None:
    """Move running cases of a process to another of its versions (or, with --dry-run, show how)."""
    from engine.cases.migration import MOVABLE, CaseMigrations, Selection
    from engine.errors import EngineError
    from engine.people.actors import actor_for
    from engine.people.directory import get_user

    services = _services()
    try:
        with services.store.read() as session:
            actor = actor_for(session, get_user(session, username))
        selection = Selection(process, to_version, from_version, tuple(statuses) or MOVABLE, unit, list(case_ids))
        migrations = CaseMigrations(services.cases.steps)
        report = migrations.dry_run(actor, selection) if dry_run else migrations.migrate(actor, selection)
    except EngineError as err:
        _fail(err.message)
    finally:
        services.store.dispose()
    click.echo(render(report))
    if report["counts"]["refused"] and not dry_run:
        raise SystemExit(1)


def render(report: dict[str, Any]) -> str:
    """The report as a table: case, business key, from version, outcome, task moves or the reason."""
    target = report["to"]
    lines = [f"{'dry run: ' if report['dry_run'] else ''}{report['process']} -> version {target['version']} "
             f"({target['sha256'][:12]})"]
    header = ("case", "business key", "from", "outcome", "tasks / reason")
    rows = []
    for case in report["cases"]:
        moves = ", ".join(f"{m['element_id']} -> {m['to_element_id']}" for m in case["mapped"] if m["human"])
        missing = ", ".join(f"{m['element_id']} -> (none)" for m in case["removed"])
        detail = case["reason"] if case["outcome"] == "refused" and not missing else "; ".join(
            part for part in (moves, missing) if part)
        rows.append((str(case["case_id"]), case["business_key"] or "-", f"v{case['from_version'] or '?'}",
                     case["outcome"], detail or "-"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    counts = report["counts"]
    lines.append(f"{counts['migrated']} migrated, {counts['can_migrate']} can migrate, {counts['refused']} refused")
    return "\n".join(lines)
