"""Process definitions: list, read, deploy (admin), diagram."""
from __future__ import annotations

from flask import request
from api.blueprint import Blueprint

from api.auth import current_actor, require_roles
from api.resources import services
from api.schemas import DeployOut, ProcessOut
from workflows import deploy_files
from engine.errors import Invalid, NotFound
from engine.definitions.specs import DefinitionInvalid, Problem, SourceFile
from engine.definitions.versions import bundle_files, calls_of

blp = Blueprint("processes", __name__, description="Process definitions")


def _group(rows: list[dict]) -> list[dict]:
    by_key: dict[str, dict] = {}
    for row in rows:
        entry = by_key.setdefault(row["key"], {"key": row["key"], "versions": []})
        entry["versions"].append(row)
        entry["name"], entry["latest_version"] = row["name"], row["version"]
    return list(by_key.values())


@blp.get("/processes")
@blp.response(200, ProcessOut(many=True))
def list_processes():  # type: ignore[no-untyped-def]
    """Deployed processes with all their versions."""
    with services().store.read() as session:
        return _group(services().reader.definitions(session))


@blp.get("/processes/<name:key>")
@blp.response(200, ProcessOut)
def get_process(key: str):  # type: ignore[no-untyped-def]
    with services().store.read() as session:
        grouped = _group(services().reader.definitions(session, key))
    if not grouped:
        raise NotFound(f"unknown process '{key}'")
    return grouped[0]


@blp.post("/processes")
@blp.response(201, DeployOut)
@blp.alt_response(200, schema=DeployOut, description="same content: the existing version")
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"},
                                     "description": "BPMN and DMN files, or one .zip of them"},
                                     "process": {"type": "string", "description":
                                                 "id of the process to deploy, for a bundle with several"}},
    "required": ["file"]}}}})
@require_roles("admin")
def deploy_process():  # type: ignore[no-untyped-def]
    """Deploy a bundle: BPMN files and the DMN files they use as repeated multipart fields ``file``,
    or one ``.zip`` holding them; the optional field ``process`` names the process to deploy when
    the bundle holds several top-level ones. Call activities resolve inside the bundle, else to the
    latest deployed version of the called process, pinned in the new version (``calls``)."""
    uploads = request.files.getlist("file")
    if not uploads:
        raise Invalid("send the BPMN file as multipart field 'file'", {"file": ["required"]})
    sources = [SourceFile(u.filename or f"upload-{i}", u.read()) for i, u in enumerate(uploads)]
    try:
        warnings: list[Problem] = []
        with services().store.transaction() as session:
            row, created = deploy_files(session, sources, current_actor().username,
                                        (request.form.get("process") or "").strip() or None, warnings)
            out = {"id": row.id, "key": row.key, "version": row.version, "name": row.name,
                   "dialect": row.dialect, "sha256": row.sha256, "deployed_at": row.deployed_at,
                   "deployed_by": row.deployed_by, "files": bundle_files(row), "calls": calls_of(row),
                   "created": created, "warnings": [w.as_dict() for w in warnings]}
    except DefinitionInvalid as err:
        raise Invalid("the process definition is invalid",
                      {"problems": [p.as_dict() for p in err.problems]}, code="invalid_definition") from None
    return out, 201 if created else 200
