"""``talent_nomination``: discovering, nominating and recognising a talent (DOMAIN.md, process 1).

Resolution 17-NQ/TU III.6 and Decree 179/2024: a nominator or unit head (or,
for some categories, the person themselves) files a dossier; a DMN table
screens eligibility by category; the Department of Home Affairs verifies the
dossier, possibly asking for a supplement; a council named by hr appraises it
and must approve by more than half of ALL its members; the approver decides.
A recognised talent enters the registry with the decision date, from which the
allowance runs, and the allowance rate: a setting (``allowance_percent``) each
nomination records when it starts, so the approver decides on, and the registry
stores, the rate the case started under, whatever the setting says by then.
The diagram is ``bpmn/talent_nomination.bpmn``; the pure functions its scripts
call are in :mod:`workflows.rules.talent_criteria`.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from sqlalchemy import select

from engine.time import clock
from engine.errors import Forbidden, Invalid
from engine.store.models import Unit
from engine.policy import STARTER, Assignment, CaseGrant, DocumentKind, Issued, Note, Panel, Step, Words
from engine.people.actors import Actor
from workflows import people, settings
from workflows.documents import decree30, talent_papers
from workflows.programme import registry
from workflows.rules import talent_criteria
from workflows.processes import N_, register
from workflows.rules.talent_criteria import as_date

PROCESS_KEY = "talent_nomination"
COUNCIL_ROLE = "council_member"
#: Categories a person may nominate themselves for [choice].
SELF_NOMINATION_CATEGORIES = frozenset({"excellent_graduate", "young_scientist", "expert"})
#: Who may nominate someone else: a (global) nominator, or a unit head within their units.
NOMINATOR_ROLE, UNIT_HEAD_ROLE = "nominator", "unit_head"
#: Smallest appraisal council hr may name [choice].
MIN_COUNCIL_MEMBERS = 3
#: Per-instance scratch of the council sub-process; the ballots themselves are in ``council_votes``.
BALLOT_SCRATCH = frozenset({"ballot", "vote", "vote_comment"})
#: What the nominator is told when the case ends without recognition, by end state.
REASON_KEYS = {"rejected_ineligible": "eligibility_reason", "rejected": "verification_note",
               "not_recognised": "decision_reason"}
WITHDRAWN_REASON = "Quá hạn bổ sung hồ sơ; hồ sơ coi như được rút."
#: The extra allowance of a recognised talent, in % of salary [law: Decree 179 Art. 15: 150 %]. The
#: bounds catch a digit dropped or doubled (15, 1500), not the city's policy [choice].
ALLOWANCE_PERCENT = settings.declare(
    PROCESS_KEY, "allowance_percent", registry.DECREE_179_ALLOWANCE_PERCENT,
    "a recognised talent's extra allowance, in % of salary, from the decision date (Decree 179 Art. 15); "
    "a nomination keeps the rate in force when it started", minimum=100, maximum=300)
#: Where a nomination records the rate it started under in its case data (the setting's own name).
ALLOWANCE_KEY = "allowance_percent"

#: Lane names in the diagram -> roles.
LANE_ROLES: dict[str, str] = {
    "Người tiến cử": STARTER,
    # Only automated steps are drawn here; hr owns the screening rules, so a task put here is theirs.
    "Sàng lọc điều kiện": "hr_officer",
    "Sở Nội vụ": "hr_officer",
    "Hội đồng thẩm định": COUNCIL_ROLE,
    "Người có thẩm quyền": "approver",
}


class Policy(people.NominationPeople):
    start_form = "talent_nomination"
    #: hr runs the programme: it reads every nomination and may cancel one.
    readers = frozenset({"auditor", "admin", "hr_officer"})
    #: The approver signs the decisions: they upload the signed copies (engine/files/signatures.py).
    sign_off_roles = frozenset({"approver"})
    cancellers = frozenset({"admin", "hr_officer"})
    managed_case_roles = frozenset({COUNCIL_ROLE})

    lane_roles = LANE_ROLES
    status_labels = {"recognised": N_("Recognised"), "rejected": N_("Rejected"),
                     "rejected_ineligible": N_("Rejected: ineligible"), "withdrawn": N_("Withdrawn"),
                     "rejected_by_council": N_("Rejected by the council"), "not_recognised": N_("Not recognised")}
    status_tones = {"recognised": "ok", "withdrawn": "muted"}
    event_labels = {"talent_registered": N_("Talent registered"), "nominator_informed": N_("Nominator informed")}
    #: What the eligibility rules and the start add to the dossier (the form labels the rest).
    data_labels = {"age_at_nomination": N_("Age on the nomination day"),
                   "qualifying_prize": N_("Holds a qualifying prize"),
                   "lowest_recent_rating": N_("Lowest annual rating of the recent years"),
                   "lowest_recent_rating=missing": N_("a year without a rating"),
                   "eligible": N_("Eligible"), "eligibility_reason": N_("Eligibility"),
                   "nominated_on": N_("Nominated on"), "nominated_by": N_("Nominated by"),
                   "allowance_percent": N_("Allowance, percent of salary"), "recognised": N_("Recognised"),
                   "member": N_("Member"), "recognised_on": N_("Recognised on"),
                   "council_recognised": N_("Recognised by the council"),
                   "council_result": N_("The council's result"),
                   "council_votes": N_("The council's votes"),
                   "allowance_from": N_("Allowance from"),
                   "approve": N_("Approve"),
                   "reject": N_("Reject"),
                   "members": N_("Members"),
                   "approvals": N_("Approvals")}
    #: The talent the recognition registered (its events): read by the talent's name.
    data_refs = {"talent_id": "talents"}

    def case_unit(self, data: Mapping[str, Any], starter: Actor) -> str | None:
        return data.get("unit") or None

    def may_start(self, actor: Actor, unit_path: str | None) -> bool:
        """Anyone but a pure auditor: a self-nominee holds no role at all, so who may
        nominate whom is decided in :meth:`prepare_start`, which sees the dossier."""
        return actor.roles != frozenset({"auditor"})

    def prepare_start(self, db: Any, data: dict[str, Any], starter: Actor) -> dict[str, Any]:
        """Check who nominates, and fix the nomination date the age rules count from."""
        if data.get("self_nominated"):
            if " ".join(str(data["nominee_name"]).split()).casefold() != \
                    " ".join(starter.display_name.split()).casefold():
                raise Invalid("a self-nomination names yourself", {"nominee_name": [
                    "phải là họ tên của chính người tự ứng cử / must be your own name as registered"]})
            if data["category"] not in SELF_NOMINATION_CATEGORIES:
                allowed = ", ".join(sorted(SELF_NOMINATION_CATEGORIES))
                raise Invalid("self-nomination is not open to this category", {"category": [
                    f"chỉ được tự ứng cử với loại: {allowed} / self-nomination only for: {allowed}"]})
        elif not self._may_nominate(db, data.get("unit"), starter):
            raise Forbidden("only a nominator, or a unit head for their unit, may nominate someone else; "
                            "set self_nominated to nominate yourself")
        nominated_on = clock.now().astimezone(clock.CITY_ZONE).date()
        if as_date(data["birth_date"]) >= nominated_on:
            raise Invalid("date of birth is not in the past", {"birth_date": ["phải trước ngày tiến cử / "
                                                                              "must be before the nomination"]})
        return {**data, "nominated_on": nominated_on, "nominated_by": starter.username,
                ALLOWANCE_KEY: settings.value(PROCESS_KEY, ALLOWANCE_KEY)}

    @staticmethod
    def _may_nominate(db: Any, unit_code: str | None, starter: Actor) -> bool:
        if starter.has_role(NOMINATOR_ROLE):
            return True
        if not unit_code:
            return UNIT_HEAD_ROLE in starter.roles
        units = Unit.__table__
        path = db.execute(select(units.c.path).where(units.c.code == unit_code)).scalar()
        if path is None:
            raise Invalid(f"unknown unit '{unit_code}'", {"unit": [f"unknown unit '{unit_code}'"]})
        return starter.has_role(UNIT_HEAD_ROLE, path)

    def assign(self, element_id: str, lane: str | None, task_data: Mapping[str, Any]) -> Assignment | None:
        """Each council ballot goes to the member it was opened for."""
        if element_id == "council_vote":
            return Assignment(username=str(task_data["ballot"]["member"]))
        return None

    def task_subject(self, element_id: str, task_data: Mapping[str, Any]) -> str | None:
        """The nominee, by name: hr and a council member may hold several nominations at once."""
        return str(task_data["nominee_name"]) if task_data.get("nominee_name") else None

    def check_completion(self, element_id: str, data: Mapping[str, Any], case_data: Mapping[str, Any],
                         actor: Actor, case_roles: frozenset[str]) -> None:
        if element_id == "verify_dossier" and data.get("verification_result") == "verified":
            members = list(data.get("council_members") or [])
            if len(members) < MIN_COUNCIL_MEMBERS:
                raise Invalid("the council is too small", {"council_members": [
                    f"ít nhất {MIN_COUNCIL_MEMBERS} thành viên / at least {MIN_COUNCIL_MEMBERS} members"]})
            nominator = case_data.get("nominated_by")
            if nominator in members:
                raise Invalid("the nominator cannot sit on the council", {"council_members": [
                    f"người tiến cử '{nominator}' không được là thành viên hội đồng / "
                    "the nominator cannot appraise their own nomination"]})
        if element_id == "recognition_decision" and data.get("decision") == "recognised":
            if as_date(data["decision_date"]) < as_date(case_data["nominated_on"]):
                raise Invalid("the decision predates the nomination", {"decision_date": [
                    "không được trước ngày tiến cử / must not be before the nomination"]})

    def case_grants(self, data: Mapping[str, Any]) -> list[CaseGrant]:
        """The council hr named, once the dossier is verified."""
        if data.get("verification_result") != "verified":
            return []
        return [CaseGrant(str(member), COUNCIL_ROLE) for member in data.get("council_members") or []]

    def visible_data(self, data: Mapping[str, Any], actor: Actor, case_roles: frozenset[str]) -> dict[str, Any]:
        """Members vote independently: the ballots are shown to them only once counted [choice]."""
        out = {k: v for k, v in data.items() if k not in BALLOT_SCRATCH}
        if "council_result" not in data and not actor.is_any(*self.readers):
            out.pop("council_votes", None)
        return out

    def after_step(self, step: Step) -> None:
        """A recognition recorded after its decision was generated carries that paper's number and date
        (else 422, the step changes nothing); on recognition the talent enters the registry; on any end
        the nominator is told why."""
        if step.completed_element == "recognition_decision" and step.completed_data.get("decision") == "recognised":
            decree30.check_recorded_decision(
                step.db, step.case_id, talent_papers.RECOGNITION, talent_papers.RECOGNITION_WORDS,
                step.completed_data.get("decision_no"), step.completed_data.get("decision_date"), "decision_date",
                ("ngày quyết định", "decision date"))
        if not step.finished:
            return
        data = step.data
        informed: dict[str, Any] = {"nominator": data.get("nominated_by"), "outcome": step.status,
                                    "reason": outcome_reason(step.status, data)}
        if step.status == "recognised":
            decided_on = as_date(data["decision_date"])
            percent = allowance_percent(data)
            talent_id = registry.add_talent(
                step.db, full_name=data["nominee_name"], category=data["category"], recognised_on=decided_on,
                unit=data.get("unit") or None, field=data["priority_field"], birth_date=as_date(data["birth_date"]),
                decision_no=data["decision_no"], source_case_id=step.case_id, allowance_percent=percent)
            step.events.add("talent_registered", step.actor.username, data={
                "talent_id": talent_id, "category": data["category"], "recognised_on": decided_on,
                "allowance_from": decided_on, "allowance_percent": percent, "decision_no": data["decision_no"]})
            informed["talent_id"] = talent_id
        step.events.add("nominator_informed", step.actor.username, data=informed)

    def script_helpers(self) -> Mapping[str, Callable[..., Any]]:
        return talent_criteria.script_helpers()

    def case_panel(self, case: Mapping[str, Any], done: frozenset[str]) -> Panel | None:
        """The allowance the recognition carries, beside the dossier: the approver decides on a rate
        they can see (the one the case started under), and everyone reads the rate and date granted."""
        return allowance_panel(case)

    def documents(self, case: Mapping[str, Any]) -> list[DocumentKind]:
        """The recognition decision, once the council has recognised the nominee (the approver signs it)."""
        return talent_papers.nomination_documents(case)

    def document_context(self, kind: str, case: Mapping[str, Any], issued: Issued) -> dict[str, Any]:
        if kind != talent_papers.RECOGNITION:
            raise LookupError(kind)
        return talent_papers.recognition_context(case, issued, allowance_percent(case.get("data") or {}))


def allowance_percent(data: Mapping[str, Any]) -> int:
    """The rate a case grants: the one recorded when it started; a case started before the rate was
    recorded started under the 150 % of Decree 179, not under today's setting."""
    return int(data.get(ALLOWANCE_KEY, registry.DECREE_179_ALLOWANCE_PERCENT))


def allowance_panel(case: Mapping[str, Any]) -> Panel | None:
    """While a decision may still come: the rate it would grant; once recognised: rate and date."""
    data = case.get("data") or {}
    percent = allowance_percent(data)
    if case.get("status") == "recognised" and data.get("decision_date"):
        said = Words(N_("Allowance: %(percent)s %% of salary from %(date)s (decision %(number)s)"),
                     {"percent": percent, "date": as_date(data["decision_date"]), "number": data.get("decision_no")})
    elif case.get("status") == "running":
        said = Words(N_("On recognition, the talent receives an allowance of %(percent)s %% of salary from the "
                        "decision date"), {"percent": percent})
    else:
        return None
    return Panel(title=Words(N_("Allowance")), parts=(Note((said,)),))


def outcome_reason(status: str, data: Mapping[str, Any]) -> str:
    """Why the case ended as it did, in the words the nominator is sent."""
    if status == "withdrawn":
        return WITHDRAWN_REASON
    if status == "rejected_by_council":
        result = data.get("council_result") or {}
        return (f"Hội đồng thẩm định: {result.get('approvals', 0)}/{result.get('members', 0)} thành viên "
                "đồng ý, chưa quá nửa tổng số thành viên.")
    if status == "recognised":
        return f"Được công nhận nhân tài theo quyết định số {data.get('decision_no')} ngày {data.get('decision_date')}."
    return str(data.get(REASON_KEYS.get(status, ""), ""))


register(PROCESS_KEY, Policy())
