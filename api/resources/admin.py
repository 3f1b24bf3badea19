"""(admin) Users, role grants and units."""
from __future__ import annotations

from api.blueprint import Blueprint
from sqlalchemy import select

from api.auth import current_actor, require_roles
from api.auth.passwords import new_password_hash
from api.resources import services
from api.schemas import GrantSchema, MeResponse, UnitCreate, UnitOut, UserCreate
from engine.people import directory
from engine.store.models import Unit, User

blp = Blueprint("admin", __name__, description="Users, roles and units (admin)")


@blp.get("/users")
@blp.response(200, MeResponse(many=True))
@require_roles("admin")
def list_users():  # type: ignore[no-untyped-def]
    with services().store.read() as session:
        return [directory.describe_user(session, u) for u in session.scalars(select(User).order_by(User.username))]


@blp.post("/users")
@blp.arguments(UserCreate)
@blp.response(201, MeResponse)
@require_roles("admin")
def create_user(body):  # type: ignore[no-untyped-def]
    with services().store.transaction() as session:
        user = directory.add_user(session, body["username"], new_password_hash(body["password"]), body["display_name"], body["unit"])
        for grant in body["roles"]:
            directory.grant_role(session, user, grant["role"], grant["unit"], granted_by=current_actor().username)
        return directory.describe_user(session, user)


@blp.post("/users/<name:username>/roles")
@blp.arguments(GrantSchema)
@blp.response(200, MeResponse)
@require_roles("admin")
def grant(body, username: str):  # type: ignore[no-untyped-def]
    with services().store.transaction() as session:
        user = directory.get_user(session, username)
        directory.grant_role(session, user, body["role"], body["unit"], granted_by=current_actor().username)
        described = directory.describe_user(session, user)
    services().actors.clear()  # the grant applies to this server's next request at once
    return described


@blp.delete("/users/<name:username>/roles")
@blp.arguments(GrantSchema)
@blp.response(200, MeResponse)
@require_roles("admin")
def revoke(body, username: str):  # type: ignore[no-untyped-def]
    with services().store.transaction() as session:
        user = directory.get_user(session, username)
        directory.revoke_role(session, user, body["role"], body["unit"], revoked_by=current_actor().username)
        described = directory.describe_user(session, user)
    services().actors.clear()
    return described


@blp.get("/units")
@blp.response(200, UnitOut(many=True))
def list_units():  # type: ignore[no-untyped-def]
    with services().store.read() as session:
        units = list(session.scalars(select(Unit).order_by(Unit.path)))
        codes = {u.id: u.code for u in units}
        return [{"code": u.code, "name": u.name, "parent": codes.get(u.parent_id)} for u in units]


@blp.post("/units")
@blp.arguments(UnitCreate)
@blp.response(201, UnitOut)
@require_roles("admin")
def create_unit(body):  # type: ignore[no-untyped-def]
    with services().store.transaction() as session:
        unit = directory.add_unit(session, body["code"], body["name"], body["parent"])
        return {"code": unit.code, "name": unit.name, "parent": body["parent"]}
