"""``talentflow send-message`` and ``talentflow send-signal``: a BPMN message or signal from the command
line, as an integration sends it over HTTP (``POST /messages``, ``POST /cases/{id}/signals``).

``talentflow send-message NAME [--payload JSON] [--business-key KEY] [--case ID]`` delivers to the one
running case waiting for the message (with that key, or that case), or starts a case of the process
whose message start event is NAME, and prints what happened. It acts as the ``system`` account unless
``--as`` names an admin user. Bad input or a refusal is one readable line and exit status 2.
"""
from __future__ import annotations

import json
from typing import Any

import click

from api.cli import _fail, _services, main


def _payload(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as err:
        _fail(f"--payload is not JSON: {err}")
    if not isinstance(value, dict):
        _fail("--payload must be a JSON object")
    return value


def _actor(services: Any, username: str | None) -> Any:
    from engine.people.actors import SYSTEM, actor_for
    from engine.people.directory import get_user

    if username is None:
        return SYSTEM
    with services.store.read() as session:
        return actor_for(session, get_user(session, username))


@main.command("send-message")
@click.argument("name")
@click.option("--payload", default="{}", show_default=True, help="the message's payload, a JSON object")
@click.option("--business-key", default=None, help="deliver to the running case with this business key")
@click.option("--case", "case_id", type=click.IntRange(min=1), default=None, help="deliver to this case only")
@click.option("--as", "username", default=None, help="admin user to act as (default: the system account)")
def send_message(name: str, payload: str, business_key: str | None, case_id: int | None,
                 username: str | None) -> None:
    """Send message NAME to the case waiting for it, or start a case at its message start event."""
    from engine.errors import EngineError

    body = _payload(payload)
    services = _services()
    try:
        outcome = services.cases.messages.correlate(_actor(services, username), name, body, business_key, case_id)
    except EngineError as err:
        _fail(err.message)
    finally:
        services.store.dispose()
    if "started" in outcome:
        click.echo(f"message '{name}' started case {outcome['started']}")
    else:
        click.echo(f"message '{name}' delivered to case {outcome['delivered_to']}")


@main.command("send-signal")
@click.argument("case_id", type=click.IntRange(min=1))
@click.argument("name")
@click.option("--payload", default="{}", show_default=True, help="the signal's payload, a JSON object")
@click.option("--as", "username", default=None, help="admin user to act as (default: the system account)")
def send_signal(case_id: int, name: str, payload: str, username: str | None) -> None:
    """Send signal NAME to case CASE_ID, which must be waiting for it."""
    from engine.errors import EngineError

    body = _payload(payload)
    services = _services()
    try:
        services.cases.messages.to_case(_actor(services, username), case_id, "signal", name, body)
    except EngineError as err:
        _fail(err.message)
    finally:
        services.store.dispose()
    click.echo(f"signal '{name}' delivered to case {case_id}")
