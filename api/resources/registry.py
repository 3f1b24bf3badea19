"""The talent registry and the appointments register."""
from __future__ import annotations

from api.auth import current_actor
from api.blueprint import Blueprint
from api.resources import services
from api.schemas import (AppointmentIn, AppointmentOut, AppointmentPage, AppointmentQuery, TalentDetail, TalentPage,
                         TalentQuery)
from engine.audit import events as audit
from engine.errors import Forbidden, NotFound
from engine.people.actors import Actor
from workflows.programme import registry

blp = Blueprint("registry", __name__, description="Talent registry and appointments register")

# The answers are the registry's own dicts, sent as they are: ``alt_response(success=True)``
# documents them without dumping them through the schema (``response`` would).

#: Who reads the registries city-wide; a unit head reads their own units' talents.
READERS = ("hr_officer", "approver", "auditor", "admin")
RECORDERS = ("hr_officer", "admin")


def _check_reader(actor: Actor) -> None:
    if not actor.is_any(*READERS) and "unit_head" not in actor.roles:
        raise Forbidden("the registry is for hr, approvers, auditors and unit heads")


@blp.get("/talents")
@blp.arguments(TalentQuery, location="query")
@blp.alt_response(200, schema=TalentPage, success=True, description="a page of the registry")
def list_talents(args):  # type: ignore[no-untyped-def]
    """Talents (status, category, unit filters); a unit head sees their units and below."""
    actor = current_actor()
    _check_reader(actor)
    with services().store.engine.connect() as conn:
        page = registry.list_talents(conn, **args, within=None if actor.is_any(*READERS) else
                                     [path for role, path in actor.unit_roles if role == "unit_head"])
    return page


@blp.get("/talents/<int(max=9223372036854775807):talent_id>")
@blp.alt_response(200, schema=TalentDetail, success=True, description="the talent with its reviews")
def get_talent(talent_id: int):  # type: ignore[no-untyped-def]
    """One talent with its review history."""
    actor = current_actor()
    _check_reader(actor)
    with services().store.engine.connect() as conn:
        talent = registry.talent_view(conn, talent_id)
        if not actor.is_any(*READERS):
            paths = [path for role, path in actor.unit_roles if role == "unit_head"]
            if not registry.talent_within(conn, talent_id, paths):
                raise NotFound(f"talent {talent_id} not found")
    return talent


@blp.get("/appointments")
@blp.arguments(AppointmentQuery, location="query")
@blp.alt_response(200, schema=AppointmentPage, success=True, description="a page of the register")
def list_appointments(args):  # type: ignore[no-untyped-def]
    """The appointments register: by year, unit, whether by exam and whether a first appointment."""
    actor = current_actor()
    if not actor.is_any(*READERS):
        raise Forbidden("the appointments register is for hr, approvers, auditors and admins")
    with services().store.engine.connect() as conn:
        return registry.list_appointments(conn, **args)


@blp.post("/appointments")
@blp.arguments(AppointmentIn)
@blp.alt_response(201, schema=AppointmentOut, success=True, description="the appointment as recorded")
def record_appointment(body):  # type: ignore[no-untyped-def]
    """(hr) Record an appointment made by the ordinary procedure (not by exam): a first appointment,
    or with ``first_appointment`` false a re-appointment, which the exam share does not count. An
    exam appointment comes only from its exam case, so ``via_exam`` is not accepted here."""
    actor = current_actor()
    if not actor.is_any(*RECORDERS):
        raise Forbidden("only hr records appointments")
    with services().store.command() as conn:
        appointment_id = registry.record_appointment(conn, via_exam=False, recorded_by=actor.username, **body)
        chain = audit.global_chain(conn)
        chain.add("appointment_recorded", actor.username, data={"appointment_id": appointment_id, **body,
                                                                 "via_exam": False})
        chain.write(conn)
        page = registry.list_appointments(conn, appointment_id=appointment_id)
    return page["items"][0], 201
