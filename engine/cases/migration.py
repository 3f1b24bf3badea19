"""Moving running cases to another version of their process: a dry run, then one step per case.

A case pins the process version it started on; a new deployment changes no running case. An
admin moves cases on explicitly: the dry run says per case which of its waiting and ready tasks
map to an element of the target version and which have none (:mod:`engine.cases.migration_plan`),
writing nothing; the migration then moves each case that can move in a transaction of its own,
as any step of the case is taken (DESIGN.md, "One step of a case"): the row locked, the workflow
restored on its pinned version, moved onto the target, the engine run on, the step saved with the
UPDATE that matches the old ``version``, the task projection brought in line (``task_cancelled``
and ``task_created`` for tasks the move took away or added), and a ``case_migrated`` event naming
both versions and their hashes. History is never rewritten: replay runs the old version up to
that event and the new one after it.

A case whose active tasks have no counterpart, that has ended, that is already on the target, or
that changed since the dry run (its ``version``) is refused with the reason and left untouched;
the others go on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from engine.cases import migration_claims as claims, migration_plan, projection
from engine.cases.child_batches import ChildBatches, starts_planned_children
from engine.cases.records import CaseRecord, Loaded
from engine.cases.statements import CASE, TASK
from engine.cases.steps import CaseSteps
from engine.definitions.bundles import FAMILY
from engine.definitions.state import UnloadableState
from engine.definitions.versions import LoadedDefinition
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.people.actors import Actor
from engine.store.models import ProcessDefinition, Unit

DEFINITION, UNIT = ProcessDefinition.__table__, Unit.__table__
#: Cases that have not ended: the only ones that can be moved.
MOVABLE = ("running", "error")
MIGRATED = "case_migrated"


@dataclass
class Selection:
    """Which cases to move: all of a process key (optionally from one version, of some statuses, in a
    unit's subtree), or the cases named by id."""

    process_key: str
    to_version: int
    from_version: int | None = None
    statuses: tuple[str, ...] = MOVABLE
    unit: str | None = None
    case_ids: list[int] = field(default_factory=list)
    #: case id -> the ``version`` the dry run saw; a case that moved on since is refused.
    expected_versions: dict[int, int] = field(default_factory=dict)

    def check(self) -> None:
        wrong = sorted(set(self.statuses) - set(MOVABLE))
        if wrong or not self.statuses:
            raise Invalid("only running cases and cases in error can be moved",
                          {"status": [f"must be among {', '.join(MOVABLE)}"]})
        if self.from_version is not None and self.from_version == self.to_version:
            raise Invalid("the cases would move to the version they are on",
                          {"to_version": ["must differ from from_version"]}, code="same_version")


@dataclass
class CaseResult:
    """One case in a dry run or a migration report."""

    case_id: int
    outcome: str  # can_migrate | refused | migrated
    business_key: str | None = None
    status: str | None = None
    version: int | None = None
    from_version: int | None = None
    code: str | None = None
    reason: str | None = None
    plan: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        plan = self.plan or {}
        return {"case_id": self.case_id, "outcome": self.outcome, "business_key": self.business_key,
                "status": self.status, "version": self.version, "from_version": self.from_version,
                "code": self.code, "reason": self.reason, "mapped": plan.get("mapped", []),
                "removed": plan.get("removed", []), "changed": plan.get("changed", {}),
                "passed_without_counterpart": plan.get("passed_without_counterpart", []),
                "timers_restarted": plan.get("timers_restarted", [])}


class _Refused(Exception):
    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.reason)
        self.result = result


def version_info(definition: LoadedDefinition) -> dict[str, Any]:
    """How a ``case_migrated`` event names a version."""
    return {"definition_id": definition.id, "version": definition.version, "sha256": definition.sha256}


def migrated_event(old: LoadedDefinition, new: LoadedDefinition, plan: migration_plan.MigrationPlan) -> dict[str, Any]:
    """The data of the ``case_migrated`` event (replay derives the same from its own run)."""
    return {"from": version_info(old), "to": version_info(new), "mapping": plan.mapping(),
            "changed": sorted(plan.changed)}


@dataclass
class CaseMigrations:
    """The admin's dry run and migration over the runner's steps (one transaction per case)."""

    steps: CaseSteps
    #: Starts, once a case has moved, the children its step on the new version planned.
    child_batches: ChildBatches = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.child_batches is None:
            self.child_batches = ChildBatches(self.steps)

    # ------------------------------------------------------------------------------ public
    def dry_run(self, actor: Actor, selection: Selection) -> dict[str, Any]:
        """What :meth:`migrate` would do with ``selection``; nothing is written."""
        self._admin_only(actor)
        selection.check()
        with self.steps.store.read() as session:
            conn = session.connection()
            target = self._target(conn, selection)
            results = [self._judge(conn, row, target, selection)[0] for row in self._cases(conn, selection)]
            session.rollback()
        return self._report(selection, target, results, dry_run=True)

    @starts_planned_children
    def migrate(self, actor: Actor, selection: Selection) -> dict[str, Any]:
        """Move every selected case that can move, each in its own transaction."""
        self._admin_only(actor)
        selection.check()
        with self.steps.store.read() as session:
            conn = session.connection()
            target = self._target(conn, selection)
            ids = [row.id for row in self._cases(conn, selection)]
        results = [self._migrate_one(actor, case_id, target, selection) for case_id in ids]
        return self._report(selection, target, results, dry_run=False)

    # ------------------------------------------------------------------------------ one case
    def _migrate_one(self, actor: Actor, case_id: int, target: LoadedDefinition, selection: Selection) -> CaseResult:
        steps = self.steps
        try:
            with steps.store.command() as conn:
                case = steps.lock(conn, case_id)
                verdict, loaded, plan = self._judge(conn, case, target, selection, refusal_raises=True)
                assert loaded is not None and plan is not None  # (a refusal raised)
                try:
                    self._move(conn, actor, loaded, target, plan)
                except SQLAlchemyError:
                    raise  # the database, not the case: the command fails as any command would
                except Conflict as err:  # the row moved on under us: nothing of this case is written
                    raise _Refused(_refused(case, verdict.from_version, err.code or "conflict", err.message)) from err
                except Exception as err:  # noqa: BLE001 - the case cannot run on the new version
                    message = getattr(err, "message", None) or str(err)
                    raise _Refused(_refused(case, verdict.from_version, "engine_error",
                                            f"the case cannot run on version {target.version}: {message}")) from err
        except _Refused as refused:
            return refused.result
        steps.workflows.put(case_id, case.version, loaded.workflow)  # committed
        return CaseResult(case_id, "migrated", case.business_key, case.status, case.version,
                          verdict.from_version, plan=plan.as_dict())

    def _move(self, conn: Connection, actor: Actor, loaded: Loaded, target: LoadedDefinition,
              plan: migration_plan.MigrationPlan) -> None:
        """Move the loaded case onto ``target`` and save it as a step."""
        case, old = loaded.case, loaded.definition
        migration_plan.apply(plan, loaded.workflow, target)
        if case.status == "running":
            loaded.workflow.do_engine_steps()
        loaded.definition, case.definition_id = target, target.id
        loaded.chain.process_hash = target.sha256  # the events from here on name the new version
        loaded.chain.add(MIGRATED, actor.username, data=migrated_event(old, target, plan))
        self.steps.save(conn, loaded, actor)
        conn.execute(update(CASE).where(CASE.c.id == case.id).values(definition_id=target.id))
        self._refresh_mapped(conn, loaded, plan)
        if case.status == "running":
            released = claims.release_lost(conn, loaded, actor, [m.task_id for m in plan.mapped if m.human])
            if released:
                self.steps.write_case(conn, case, loaded.chain, actor, case.version)

    def _refresh_mapped(self, conn: Connection, loaded: Loaded, plan: migration_plan.MigrationPlan) -> None:
        """The rows of tasks that stayed ready say what the new version calls them."""
        for move in plan.mapped:
            if not move.human or move.task_id not in {str(t.id) for t in loaded.ready}:
                continue
            task = next(t for t in loaded.ready if str(t.id) == move.task_id)
            spec = task.task_spec
            info = loaded.definition.human_tasks.get(spec.name)
            element_id = spec.bpmn_id or spec.name
            role, unit_path, user_id, _ = projection.assign(conn, loaded, element_id, spec.lane, task.data)
            conn.execute(update(TASK).where(TASK.c.id == move.task_id, TASK.c.status == "ready").values(
                element_id=element_id, name=spec.bpmn_name or spec.name, form_key=info.form_key if info else None,
                lane=spec.lane, role=role, unit_path=unit_path, candidate_user_id=user_id))

    # ------------------------------------------------------------------------------ judging
    def _judge(self, conn: Connection, row: Any, target: LoadedDefinition, selection: Selection,
               refusal_raises: bool = False
               ) -> tuple[CaseResult, Loaded | None, migration_plan.MigrationPlan | None]:
        """Whether the case can move, and how: (the report's line, the loaded case and the plan when
        it can move); with ``refusal_raises`` a refusal raises :class:`_Refused` instead."""
        case = row if isinstance(row, CaseRecord) else CaseRecord.from_row(row)
        steps = self.steps
        current = steps.specs.get(conn, case.definition_id)

        def refuse(code: str, reason: str, plan: migration_plan.MigrationPlan | None = None
                   ) -> tuple[CaseResult, None, None]:
            result = _refused(case, current.version, code, reason)
            result.plan = plan.as_dict() if plan is not None else None
            if refusal_raises:
                raise _Refused(result)
            return result, None, None

        if case.process_key != target.key:
            return refuse("other_process", f"case {case.id} is a {case.process_key} case, not {target.key}")
        if case.status not in MOVABLE:
            return refuse("case_ended", f"case {case.id} is {case.status}; only cases that have not ended can move")
        if case.status not in selection.statuses:
            return refuse("status_not_selected", f"case {case.id} is {case.status}")
        if case.definition_id == target.id:
            return refuse("same_version", f"case {case.id} is already on version {target.version}")
        if selection.from_version is not None and current.version != selection.from_version:
            return refuse("other_version", f"case {case.id} is on version {current.version}")
        expected = selection.expected_versions.get(case.id)
        if expected is not None and expected != case.version:
            return refuse("stale_case", f"case {case.id} changed since the dry run; run it again")
        if FAMILY.get(current.dialect) != FAMILY.get(target.dialect):
            return refuse("dialect_changed", f"case {case.id} runs on version {current.version}, read by the "
                          f"{current.dialect} parser, and version {target.version} is read by the {target.dialect} "
                          "parser; a case cannot move between them (its stored state names the other's specs)")
        try:
            loaded = steps.load(conn, case)
            plan = migration_plan.plan(loaded.workflow, current, target)
        except UnloadableState as err:
            return refuse("case_state_unloadable", err.message)
        except SQLAlchemyError:
            raise  # the database, not the case
        except Exception as err:  # noqa: BLE001 - one case the engine cannot compare is refused, the rest go on
            message = getattr(err, "message", None) or str(err) or type(err).__name__
            return refuse("engine_error", f"case {case.id} cannot be compared with version {target.version}: {message}")
        if not plan.possible:
            # nothing changed: the cached workflow stays good for the next command
            steps.workflows.put(case.id, case.version, loaded.workflow)
            return refuse("no_counterpart", f"case {case.id} is {plan.refusal()}", plan)
        if not refusal_raises:  # a dry run changes nothing: the cached workflow stays good
            steps.workflows.put(case.id, case.version, loaded.workflow)
        return CaseResult(case.id, "can_migrate", case.business_key, case.status, case.version,
                          current.version, plan=plan.as_dict()), loaded, plan

    # ------------------------------------------------------------------------------ reading
    def _admin_only(self, actor: Actor) -> None:
        if not actor.is_any("admin"):
            raise Forbidden("only an admin may move cases to another process version")

    def _target(self, conn: Connection, selection: Selection) -> LoadedDefinition:
        target_id = conn.execute(select(DEFINITION.c.id).where(DEFINITION.c.key == selection.process_key,
                                                               DEFINITION.c.version == selection.to_version)).scalar()
        if target_id is None:
            raise NotFound(f"process {selection.process_key} has no version {selection.to_version}",
                           {"to_version": ["not deployed"]})
        return self.steps.specs.get(conn, target_id)

    def _cases(self, conn: Connection, selection: Selection) -> Iterable[Any]:
        query = select(CASE).order_by(CASE.c.id)
        if selection.case_ids:
            rows = {row.id: row for row in conn.execute(query.where(CASE.c.id.in_(selection.case_ids)))}
            missing = sorted(set(selection.case_ids) - set(rows))
            if missing:
                raise NotFound(f"no case {', '.join(map(str, missing))}", {"case_ids": [str(m) for m in missing]})
            return list(rows.values())
        query = query.where(CASE.c.process_key == selection.process_key, CASE.c.status.in_(selection.statuses))
        if selection.from_version is not None:
            source = conn.execute(select(DEFINITION.c.id).where(
                DEFINITION.c.key == selection.process_key, DEFINITION.c.version == selection.from_version)).scalar()
            if source is None:
                raise NotFound(f"process {selection.process_key} has no version {selection.from_version}",
                               {"from_version": ["not deployed"]})
            query = query.where(CASE.c.definition_id == source)
        if selection.unit:
            path = conn.execute(select(UNIT.c.path).where(UNIT.c.code == selection.unit)).scalar()
            if path is None:
                raise Invalid(f"unknown unit '{selection.unit}'", {"unit": [f"unknown unit '{selection.unit}'"]})
            query = query.where(CASE.c.unit_path.like(f"{path}%"))
        target_id = select(DEFINITION.c.id).where(DEFINITION.c.key == selection.process_key,
                                                  DEFINITION.c.version == selection.to_version).scalar_subquery()
        return conn.execute(query.where(CASE.c.definition_id != target_id)).all()

    @staticmethod
    def _report(selection: Selection, target: LoadedDefinition, results: list[CaseResult],
                dry_run: bool) -> dict[str, Any]:
        counts = {"can_migrate": 0, "migrated": 0, "refused": 0}
        for result in results:
            counts[result.outcome] += 1
        return {"process": selection.process_key, "to": version_info(target), "dry_run": dry_run,
                "counts": counts, "cases": [r.as_dict() for r in results]}


def _refused(case: CaseRecord, from_version: int | None, code: str, reason: str) -> CaseResult:
    return CaseResult(case.id, "refused", case.business_key, case.status, case.version, from_version, code, reason)


def selection_from(data: Mapping[str, Any]) -> Selection:
    """A :class:`Selection` from validated input (the API's and the CLI's)."""
    return Selection(process_key=data["process"], to_version=int(data["to_version"]),
                     from_version=data.get("from_version"), statuses=tuple(data.get("status") or MOVABLE),
                     unit=data.get("unit"), case_ids=list(data.get("case_ids") or []),
                     expected_versions={int(k): int(v) for k, v in (data.get("expected_versions") or {}).items()})
