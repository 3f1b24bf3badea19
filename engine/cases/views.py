"""Read side: cases, tasks and definitions as the caller may see them.

Readers (auditors, admins) see every case; anyone else sees only cases they
take part in, and a case they may not know of is "not found", not
"forbidden". What of the case data is shown is up to the process policy.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from engine.audit import events as audit
from engine.time import clock
from engine.definitions.versions import SpecCache
from engine.errors import Invalid, NotFound
from engine.store.models import Case, ProcessDefinition, Task, Unit, User
from engine.policy import ProcessPolicy
from engine.people.actors import Actor
from engine.cases import child_plans, delegation, paging, tasklist
from engine.cases.paging import MAX_PAGE_SIZE, Page  # noqa: F401 (their old home)
from engine.cases.progress import child_task_progress
from engine.cases.worklist import candidate_clause, case_roles, is_participant, may_act, participant_clause
from engine.people.substitutes import acting_for

_EVENT_FIELDS = ("seq", "type", "actor", "at", "task_id", "data", "from_status", "to_status", "process_hash",
                 "hash", "prev_hash", "on_behalf_of")
_CLAIMED, _COMPLETED = aliased(User), aliased(User)
#: Task rows with the usernames of claimer and completer; built once (statement building is not free).
_TASKS = (select(*Task.__table__.c, _CLAIMED.username.label("claimed_by_name"),
                 _COMPLETED.username.label("completed_by_name"))
          .outerjoin(_CLAIMED, _CLAIMED.id == Task.claimed_by_id)
          .outerjoin(_COMPLETED, _COMPLETED.id == Task.completed_by_id))
READY_TASKS_OF_CASE = (_TASKS.where(Task.case_id == bindparam("case_id"), Task.status == "ready")
                        .order_by(Task.created_at, Task.id))
_CHILD_COUNTS = (select(Case.status, func.count()).where(Case.parent_case_id == bindparam("case_id"))
                 .group_by(Case.status))
_UNIT_CODE = select(Unit.code).where(Unit.id == bindparam("unit_id"))


def _hears_children(policy: ProcessPolicy) -> bool:
    """Only a process that hears from its children has any to count (no query on other answers)."""
    return type(policy).children_finished is not ProcessPolicy.children_finished


class TaskLine(dict):
    """A task as a mapping with attribute access (rows of :data:`_TASKS`, or the runner's new rows)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Reader:
    """Read queries bound to the process policies."""

    def __init__(self, policy_for: Callable[[str], ProcessPolicy], specs: SpecCache) -> None:
        self.policy_for = policy_for
        self.specs = specs
        self._unit_codes: dict[int, str] = {}  # unit codes never change

    def unit_code(self, db: Session | Connection, unit_id: int | None) -> str | None:
        if unit_id is None:
            return None
        code = self._unit_codes.get(unit_id)
        if code is None:
            code = db.execute(_UNIT_CODE, {"unit_id": unit_id}).scalar()
            if code is not None:
                self._unit_codes[unit_id] = code
        return code

    def is_reader(self, actor: Actor, process_key: str) -> bool:
        return actor.is_any(*self.policy_for(process_key).readers)

    def visible_case(self, session: Session, actor: Actor, case_id: int) -> Case:
        """The case, if ``actor`` reads its process, takes part in it, or stands in (as a substitute)
        for someone holding one of its open tasks that may pass to them."""
        case = session.get(Case, case_id)
        if case is None or not (self.is_reader(actor, case.process_key) or is_participant(session, actor, case)
                                or delegation.visible_through(session, actor, case,
                                                              self.policy_for(case.process_key))):
            raise NotFound(f"case {case_id} not found")
        return case

    # ------------------------------------------------------------------ cases
    def case_view(self, session: Session | Connection, actor: Actor, case: Any) -> dict[str, Any]:
        """``case``: a :class:`Case` or the runner's record of one (same attribute names; the
        runner also passes the case's ready tasks, so they are not read again)."""
        policy = self.policy_for(case.process_key)
        # Only a policy that shows data per role needs the caller's case roles.
        per_role = type(policy).visible_data is not ProcessPolicy.visible_data
        roles = case_roles(session, actor, case.id) if per_role else frozenset()
        definition = self.specs.get(session, case.definition_id)
        tasks = getattr(case, "ready_tasks", None)
        if tasks is None:
            tasks = session.execute(READY_TASKS_OF_CASE, {"case_id": case.id}).all()
        shown_tasks = [self._task_dict(row) for row in tasks]
        if any(t["subject"] for t in shown_tasks) and not self.is_reader(actor, case.process_key):
            # what a task is about (e.g. another unit's talent) only for those who may do it
            roles_here = roles if per_role else case_roles(session, actor, case.id)
            for row, shown in zip(tasks, shown_tasks):
                line = row if isinstance(row, TaskLine) else TaskLine(row._mapping)
                if shown["subject"] and not (may_act(actor, line, roles_here) or line.claimed_by_id == actor.user_id):
                    shown["subject"] = None
        return {
            "id": case.id, "process": case.process_key,
            "process_version": definition.version,
            "business_key": case.business_key, "status": case.status,
            "unit": self.unit_code(session, case.unit_id), "version": case.version,
            "data": policy.visible_data(case.data or {}, actor, roles),
            "incident": case.incident if case.status == "error" else None,
            "created_by": case.created_by, "created_at": case.created_at,
            "updated_by": case.updated_by, "updated_at": case.updated_at, "ended_at": case.ended_at,
            "tasks": shown_tasks,
            "parent_case_id": getattr(case, "parent_case_id", None),
            "children": self._child_counts(session, policy, case.id),
            "child_plan": child_plans.summary(session, case.id) if _hears_children(policy) else None,
            # the progress per unit of the children's tasks: city-wide figures, for the process's readers only
            "progress": child_task_progress(session, case.id, policy.progress_of)
            if policy.progress_of and self.is_reader(actor, case.process_key) else None,
        }

    @staticmethod
    def _child_counts(session: Session | Connection, policy: ProcessPolicy, case_id: int) -> dict[str, int]:
        """A parent's child cases by status; only a process that hears from children has any (no query
        on every other command's answer)."""
        if not _hears_children(policy):
            return {}
        return dict(session.execute(_CHILD_COUNTS, {"case_id": case_id}).all())

    def list_cases(self, session: Session, actor: Actor, *, process: str | None = None,
                   status: str | None = None, business_key: str | None = None, parent: int | None = None,
                   page: int = 1, per_page: int = 50, after: str | None = None,
                   total: str | None = None) -> Page:
        """Newest first. ``after`` (a page's ``next``) continues after that page by an index seek;
        ``total`` is counted up to :data:`paging.TOTAL_CAP` unless ``total="exact"`` (see
        :mod:`engine.cases.paging`)."""
        offset = paging.offset_of(page, per_page, after)
        exact = paging.count_mode(total)
        query = select(Case)
        if process:
            query = query.where(Case.process_key == process)
        if status:
            query = query.where(Case.status == status)
        if business_key:
            query = query.where(Case.business_key == business_key)
        if parent:
            query = query.where(Case.parent_case_id == parent)
        if not actor.is_any("auditor", "admin"):
            query = query.where(self.visible_clause(session, actor))
        counted = query.with_only_columns(Case.id).order_by(Case.id.desc())
        if not exact:
            counted = counted.limit(paging.TOTAL_CAP + 1)
        found = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
        if after is not None:
            query = query.where(Case.id < paging.decode(after, (int,))[0])
        rows = list(session.scalars(query.order_by(Case.id.desc()).offset(offset).limit(per_page + 1)))
        nxt = paging.encode([rows[per_page - 1].id]) if len(rows) > per_page else None
        items = [self._case_summary(case) for case in rows[:per_page]]
        if exact or found <= paging.TOTAL_CAP:
            return Page(items, found, page, per_page, nxt)
        return Page(items, paging.TOTAL_CAP, page, per_page, nxt, total_exact=False)

    def visible_clause(self, session: Session | Connection, actor: Actor) -> Any:
        """The cases ``actor`` may see, as a WHERE clause (what :meth:`visible_case` says one by one):
        those they take part in and those of a process they read. Auditors and admins read every
        process, so for them the clause is cheap too (no participant subqueries are needed, but they
        are harmless)."""
        keys = self._process_keys(session)
        readable = [key for key in keys if self.is_reader(actor, key)]
        clauses = [participant_clause(actor), Case.process_key.in_(readable)]
        absentees = acting_for(session, actor)
        if absentees:  # a substitute opens the cases of the tasks they may do for someone: they list them too
            clauses.append(self._through_substitute(actor, absentees, keys))
        return or_(*clauses)

    def _through_substitute(self, actor: Actor, absentees: list[Actor], keys: list[str]) -> Any:
        """:func:`delegation.visible_through` as a WHERE clause: the case has a ready task claimed by,
        or open to, someone ``actor`` stands in for, and its process lets that task pass to ``actor``
        (:meth:`ProcessPolicy.delegation_refusal`: not a personal task; a role-limited one only to a
        holder of the role)."""
        policies = [(key, self.policy_for(key)) for key in keys]
        cond = [Task.case_id == Case.id, Task.status == "ready",
                or_(*(or_(Task.claimed_by_id == absent.user_id, candidate_clause(absent)) for absent in absentees)),
                *delegation.not_passing(*delegation.withheld(policies, actor))]
        return exists().where(*cond)

    @staticmethod
    def _case_summary(case: Case) -> dict[str, Any]:
        return {"id": case.id, "process": case.process_key, "business_key": case.business_key,
                "status": case.status, "created_by": case.created_by, "created_at": case.created_at,
                "updated_at": case.updated_at, "ended_at": case.ended_at, "version": case.version,
                "parent_case_id": case.parent_case_id}

    @staticmethod
    def _process_keys(session: Session | Connection) -> list[str]:
        return list(session.scalars(select(ProcessDefinition.key).distinct()))

    def history(self, session: Session, actor: Actor, case_id: int) -> list[dict[str, Any]]:
        """The case's events; the data inside each event only as the process lets the caller see
        case data (e.g. no member's blind round-2 scores before the round closes)."""
        case = self.visible_case(session, actor, case_id)
        policy = self.policy_for(case.process_key)
        events = [{c: getattr(e, c) for c in _EVENT_FIELDS} for e in audit.history(session, case_id)]
        per_role = (type(policy).visible_data is not ProcessPolicy.visible_data
                    or type(policy).visible_event is not ProcessPolicy.visible_event)
        if not per_role:
            return events
        roles = case_roles(session, actor, case.id)
        return [policy.visible_event(event, case.data or {}, actor, roles) for event in events]

    # ------------------------------------------------------------------ tasks
    @staticmethod
    def _task_dict(row: Any) -> dict[str, Any]:
        """A task row of :data:`_TASKS` (or a mapping with its columns) as the API shows it."""
        task = row if isinstance(row, TaskLine) else TaskLine(row._mapping)
        now = clock.now()
        due: datetime | None = task.due_at
        return {
            "id": task.id, "case_id": task.case_id, "process": task.process_key,
            "element_id": task.element_id, "name": task.name, "subject": task.subject, "form_key": task.form_key,
            "lane": task.lane, "role": task.role, "status": task.status,
            "personal": task.candidate_user_id is not None,
            "claimed_by": task.claimed_by_name, "completed_by": task.completed_by_name,
            "created_at": task.created_at, "completed_at": task.completed_at, "due_at": due,
            "overdue": bool(due and task.status == "ready" and due < now),
            "seconds_left": int((due - now).total_seconds()) if due and task.status == "ready" else None,
        }

    def worklist(self, session: Session, actor: Actor, *, scope: str = "mine", case_id: int | None = None,
                 process: str | None = None, overdue: bool = False, status: str = "ready",
                 page: int = 1, per_page: int = 50, after: str | None = None, total: str | None = None) -> Page:
        """Due first (soonest first), then oldest; paged by ``after`` (a page's ``next``) or
        ``page``; read branch by branch in index order (:mod:`engine.cases.tasklist`)."""
        if scope not in ("mine", "available", "all"):
            raise Invalid("unknown scope", {"scope": ["one of mine, available, all"]})
        if status not in ("ready", "completed", "cancelled"):
            raise Invalid("unknown status", {"status": ["one of ready, completed, cancelled"]})
        offset = paging.offset_of(page, per_page, after)
        exact = paging.count_mode(total)
        reader = actor.is_any("auditor", "admin")
        absentees = acting_for(session, actor) if status == "ready" and not reader else []
        conds = tasklist.branches(session, actor, scope, status, reader)
        if absentees:  # a substitute sees the absent's tasks too, marked for whom
            policies = [(k, self.policy_for(k)) for k in self._process_keys(session)]
            conds.append(tasklist.Branch(delegation.substitute_clause(absentees, scope,
                                                                      *delegation.withheld(policies, actor))))
        where = [Task.status == status]
        if case_id is not None:
            where.append(Task.case_id == case_id)
        if process:
            where.append(Task.process_key == process)
        if overdue:
            where.append(and_(Task.due_at.isnot(None), Task.due_at < clock.now()))
        found, is_exact = tasklist.count(session, where, conds, exact)
        rows, nxt = tasklist.fetch(session, _TASKS, where, conds, after=after, offset=offset, per_page=per_page)
        items = [self._task_dict(row) for row in rows]
        for row, item in zip(rows, items) if absentees else ():
            self._mark_on_behalf(session, actor, absentees, row, item)
        return Page(items, found, page, per_page, nxt, total_exact=is_exact)

    @staticmethod
    def _mark_on_behalf(session: Session, actor: Actor, absentees: list[Actor], row: Any,
                        item: dict[str, Any]) -> None:
        """``on_behalf_of`` (username) and ``on_behalf_of_name`` of a task listed to a substitute for
        someone else ("thay cho Nguyễn Văn A")."""
        absent = delegation.on_behalf(session, actor, absentees, row)
        if absent is not None:
            item["on_behalf_of"], item["on_behalf_of_name"] = absent.username, absent.display_name or absent.username

    def task_view(self, session: Session, actor: Actor, task_id: str) -> tuple[dict[str, Any], Case]:
        row = session.execute(_TASKS.where(Task.id == task_id)).first()
        if row is None:
            raise NotFound(f"task {task_id} not found")
        try:
            case = self.visible_case(session, actor, row.case_id)
        except NotFound:
            raise NotFound(f"task {task_id} not found") from None
        out = self._task_dict(row)
        own = may_act(actor, row, case_roles(session, actor, case.id))
        out["can_act"] = row.status == "ready" and own and row.claimed_by_id in (None, actor.user_id)
        absentees = acting_for(session, actor) if row.status == "ready" else []
        if absentees:  # a substitute's, for the one they stand in for (even a candidate's own kind of task)
            absent = delegation.on_behalf(session, actor, absentees, row)
            policy = self.policy_for(case.process_key)
            refused = policy.delegation_refusal(row.element_id, row.role, actor) if absent is not None else None
            if absent is not None and refused is None:
                out["can_act"] = row.claimed_by_id in (None, actor.user_id, absent.user_id)
                out["on_behalf_of"], out["on_behalf_of_name"] = absent.username, absent.display_name or absent.username
            elif refused is not None and not out["can_act"]:
                out["delegation_refused"] = refused  # why not, for a door that refuses before the engine (a sheet)
        return out, case

    # -------------------------------------------------------------- processes
    @staticmethod
    def definitions(session: Session, key: str | None = None) -> list[dict[str, Any]]:
        query = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)
        if key:
            query = query.where(ProcessDefinition.key == key)
        return [{"id": d.id, "key": d.key, "version": d.version, "name": d.name, "dialect": d.dialect,
                 "sha256": d.sha256, "deployed_at": d.deployed_at, "deployed_by": d.deployed_by,
                 "files": [s["name"] for s in d.sources]} for d in session.scalars(query)]
