"""``talentflow send-message`` and ``talentflow send-signal``: a BPMN message or signal from the command
line, as an integration sends it over HTTP (``POST /messages``, ``POST /cases/{id}/signals``).

``talentflow send-message NAME [--payload JSON] [--business-key KEY] [--case ID]`` delivers to the one
running case waiting for the message (with that key, or that case), or starts a case of the process
whose message start event is NAME, and prints what happened. It acts as the ``system`` account unless
``--as`` names an admin user. Bad input or a refusal is one readable line and exit status 2.

The arguments are checked as ``POST /messages`` checks its body — the same schemas
(:mod:`api.resources.messages`), the same JSON parser and the same size and depth limits
(``TALENTFLOW_MAX_BODY_BYTES``, ``TALENTFLOW_MAX_JSON_DEPTH``) — so both refuse the same input in the
same words.
"""
from __future__ import annotations

from typing import Any

import click

from api import config
from api.cli import _fail, _services, main


def _payload(text: str) -> Any:
    """The ``--payload`` text parsed as the API parses a body (NaN, NUL and deep nesting refused)."""
    from api.blueprint import strict_loads

    settings = config.from_env()
    if len(text.encode("utf-8", "surrogatepass")) > int(settings["MAX_CONTENT_LENGTH"]):  # type: ignore[call-overload]
        _fail("--payload: the request body is larger than the configured limit")
    try:
        value = strict_loads(text, max_depth=int(settings["MAX_JSON_DEPTH"]))  # type: ignore[call-overload]
    except ValueError as err:
        _fail(f"--payload is not JSON: {err}")
    if not isinstance(value, dict):
        _fail("--payload must be a JSON object")
    return value


def _checked(schema: Any, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` loaded by the endpoint's own schema; its refusal as ``field: message`` lines."""
    from marshmallow import ValidationError

    try:
        return schema.load(body)  # type: ignore[no-any-return]
    except ValidationError as err:
        said = err.normalized_messages()
        _fail("; ".join(f"{field}: {' '.join(map(str, words)) if isinstance(words, list) else words}"
                        for field, words in sorted(said.items())))


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
    from api.resources.messages import CorrelatedMessageIn
    from engine.errors import EngineError

    body = _checked(CorrelatedMessageIn(), {"name": name, "payload": _payload(payload),
                                            "business_key": business_key, "case_id": case_id})
    services = _services()
    try:
        outcome = services.cases.messages.correlate(_actor(services, username), body["name"], body["payload"],
                                                    body["business_key"], body["case_id"])
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
    from api.resources.messages import CorrelatedMessageIn, EventIn
    from engine.errors import EngineError

    body = _checked(EventIn(), {"name": name, "payload": _payload(payload)})
    # the case id within what the database holds, refused in the API's words (as send-message's --case)
    _checked(CorrelatedMessageIn(only=("case_id",)), {"case_id": case_id})
    services = _services()
    try:
        services.cases.messages.to_case(_actor(services, username), case_id, "signal", body["name"], body["payload"])
    except EngineError as err:
        _fail(err.message)
    finally:
        services.store.dispose()
    click.echo(f"signal '{name}' delivered to case {case_id}")
