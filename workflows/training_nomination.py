"""``training_nomination``: sending a talent to a dedicated training class.

Resolution 17 asks for at least two dedicated classes a year and for talents
to be trained in science and technology. A unit head proposes a talent and
names a mentor; the mentor (granted to this case only) gives an opinion, the
unit head decides, hr enrols, and the proposer reports the result.
"""
from __future__ import annotations

from typing import Any, Mapping

from engine.errors import Invalid
from engine.policy import STARTER, CaseGrant
from engine.people.actors import Actor
from workflows.people import ProgrammePeople
from workflows.processes import N_, register

PROCESS_KEY = "training_nomination"

#: Lane names in the diagram -> roles.
LANE_ROLES: dict[str, str] = {
    "Người đề xuất": STARTER,
    "Người hướng dẫn": "mentor",
    "Thủ trưởng đơn vị": "unit_head",
    "Sở Nội vụ": "hr_officer",
}


class Policy(ProgrammePeople):
    start_form = "training_proposal"
    #: hr runs the programme: it reads every training case and may cancel one.
    readers = frozenset({"auditor", "admin", "hr_officer"})
    cancellers = frozenset({"admin", "hr_officer"})

    lane_roles = LANE_ROLES
    role_labels = {"mentor": N_("Mentor")}
    status_labels = {"rejected": N_("Rejected"), "trained": N_("Trained"), "not_trained": N_("Not trained")}
    status_tones = {"trained": "ok"}

    def may_start(self, actor: Actor, unit_path: str | None) -> bool:
        """hr proposes for any unit; a unit head for their own units."""
        return actor.has_role("hr_officer") or actor.has_role("unit_head", unit_path)

    def prepare_start(self, db: Any, data: dict[str, Any], starter: Actor) -> dict[str, Any]:
        if data.get("mentor") == starter.username:
            raise Invalid("the proposer cannot be the mentor", {"mentor": ["choose someone other than yourself"]})
        return data

    def case_unit(self, data: Mapping[str, Any], starter: Actor) -> str | None:
        return str(data["unit"])

    def task_subject(self, element_id: str, task_data: Mapping[str, Any]) -> str | None:
        """The talent proposed, by name: hr enrols many talents in the same class."""
        return str(task_data["talent_name"]) if task_data.get("talent_name") else None

    def case_grants(self, data: Mapping[str, Any]) -> list[CaseGrant]:
        mentor = data.get("mentor")
        return [CaseGrant(mentor, "mentor")] if isinstance(mentor, str) and mentor else []


register(PROCESS_KEY, Policy())
