"""``talent_commendation``: a fourth process, as a module of ``workflows/`` would add it.

It lives with its test (``test_fourth_process.py``) to prove the promise of
DESIGN.md: a new process is a BPMN file (``tests/data/talent_commendation.bpmn``),
its forms and one module, and neither ``api/`` nor ``engine/`` changes. A unit
head proposes to commend a talent and writes the citation (pre-filled from the
proposal: a form hint); hr decides. The case ends ``commended`` or
``not_commended``, words of its own; its panel shows the proposal beside the
case data. In ``workflows/`` the module would end with
``register(PROCESS_KEY, Policy())``; the test registers it for its own run only.
"""
from __future__ import annotations

from typing import Any, Mapping

from marshmallow import Schema, fields, validate

from engine.people.actors import Actor
from engine.policy import Badge, FormHints, Panel, ProcessPolicy, Row, Table, Words
from forms import form
from forms import label as _label
from workflows.processes import N_

PROCESS_KEY = "talent_commendation"
LEVELS = {"certificate": {"vi": "Giấy khen", "en": "Certificate of merit"},
          "medal": {"vi": "Huy hiệu", "en": "Medal"}}


@form("commendation_request")
class CommendationRequest(Schema):
    class Meta:
        title = "Đề nghị khen thưởng nhân tài"
        title_en = "Proposal to commend a talent"

    talent_name = fields.String(required=True, validate=validate.Length(min=2, max=200),
                                metadata=_label("Họ và tên nhân tài", "Talent's full name"))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata=_label("Mã đơn vị công tác", "Unit code"))
    achievement = fields.String(required=True, validate=validate.Length(min=2, max=2000),
                                metadata=_label("Thành tích", "Achievement"))


@form("commendation_citation")
class CommendationCitation(Schema):
    class Meta:
        title = "Lời khen"
        title_en = "Citation"

    level = fields.String(required=True, validate=validate.OneOf(list(LEVELS)),
                          metadata=_label("Hình thức khen thưởng", "Form of commendation", enum_labels=LEVELS))
    citation = fields.String(required=True, validate=validate.Length(min=2, max=2000),
                             metadata=_label("Lời khen", "Citation"))


@form("commendation_decision")
class CommendationDecision(Schema):
    class Meta:
        title = "Quyết định khen thưởng"
        title_en = "Commendation decision"

    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]),
                             metadata=_label("Quyết định", "Decision", enum_labels={
                                 "approve": {"vi": "Khen thưởng", "en": "Commend"},
                                 "reject": {"vi": "Không khen thưởng", "en": "Do not commend"}}))
    decision_no = fields.String(load_default="", validate=validate.Length(max=100),
                                metadata=_label("Số quyết định", "Decision number"))


class Policy(ProcessPolicy):
    start_form = "commendation_request"
    #: hr decides on commendations: it reads every one.
    readers = frozenset({"auditor", "admin", "hr_officer"})
    lane_roles = {"Thủ trưởng đơn vị": "unit_head", "Sở Nội vụ": "hr_officer"}
    status_labels = {"commended": N_("Commended"), "not_commended": N_("Not commended")}
    status_tones = {"commended": "ok"}
    case_pages = frozenset({"commendation"})

    def may_start(self, actor: Actor, unit_path: str | None) -> bool:
        """A unit head proposes for their own units."""
        return actor.has_role("unit_head", unit_path)

    def case_unit(self, data: Mapping[str, Any], starter: Actor) -> str | None:
        return str(data["unit"])

    def final_status(self, data: Mapping[str, Any]) -> str:
        """hr's decision is the end state: no script in the diagram needs to say it again."""
        return "commended" if data.get("decision") == "approve" else "not_commended"

    def form_hints(self, form_key: str | None, data: Mapping[str, Any]) -> FormHints:
        """The citation starts from the achievement the proposal gave."""
        if form_key == "commendation_citation" and data.get("achievement"):
            return FormHints({"citation": f"{data.get('talent_name')}: {data['achievement']}"})
        return FormHints()

    def case_panel(self, case: Mapping[str, Any], done: frozenset[str]) -> Panel | None:
        """The proposal at a glance, and whether it has been decided."""
        data = case.get("data") or {}
        level = LEVELS.get(str(data.get("level")), {}).get("en")
        state = Badge(Words(N_("Commended")), "ok") if data.get("decision") == "approve" else None
        return Panel(title=Words(N_("Commendation")), subtitle=str(data.get("talent_name", "")),
                     parts=(Table(columns=(Words(N_("Talent")), Words(N_("Level")), Words(N_("Decision"))),
                                  rows=(Row((data.get("talent_name"), level, state)),), row_header=0),),
                     page="commendation", link=Words(N_("Commendation page")), about=str(data.get("talent_name")))
