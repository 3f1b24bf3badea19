"""``talentflow checkpoint``, ``verify-audit``, ``replay``, ``export-history``: the audit trail.

Verification and replay are the engine's (``engine/audit/verify.py``, ``engine/replay/``); these
commands run them on the configured database and say the verdict in a line an operator can act
on, with the exit status a script can test.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from api import config
from api.cli import _fail, _services, main

if TYPE_CHECKING:
    from engine.audit.verify import Break


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
    services = _services()
    store, check = services.store, services.files.storage.check
    try:
        with store.read() as session:
            conn = session.connection()
            report = verify.verify_all(conn, heads, stored_file=check) if heads is not None or not key else \
                checkpoint.verify_against_latest(conn, key, check)
    finally:
        store.dispose()
    for problem in report.breaks:
        where = "global chain" if problem.case_id is None else f"case {problem.case_id}"
        if problem.problem.startswith("file_"):
            click.echo(f"FILE {where} event {problem.details.get('event_id')} (seq {problem.seq}): "
                       f"{problem.problem}: {problem.message}")
            continue
        click.echo(f"BROKEN {where} seq {problem.seq}: {problem.problem}: {problem.message}{_lost(problem)}")
    against = f" against checkpoint {checkpoint_file}" if checkpoint_file else ""
    if report.checkpoint:
        seen = report.checkpoint
        against = f" against stored checkpoint {seen['id']} of {seen['created_at']}"
        for note in ("skipped", "problem"):
            if seen.get(note):
                against = f"; stored checkpoint {seen['id']} {note}: {seen[note]}"
    verdict = "ok" if report.ok else "FAILED"
    click.echo(f"{verdict}: {report.chains} chains, {report.events} events, {report.files} files verified{against}")
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
