"""Who acts for whom in the programme: substitutes while someone is away, and reassignment.

The engine knows the mechanics (``engine.people.substitutes``, ``engine.cases.delegation``); the
programme's rules are here, as the policies' attributes every process module inherits:

- hr (and admins) give any open task to another candidate, a unit head the tasks of their units;
- hr, admins and the head of a user's unit set that user's substitute (the user may too);
- the approver's decisions pass only to another holder of the approver role;
- council seats are never delegated: a member who cannot sit is replaced by hr through the exam's
  own ``replace_members`` step, as the law requires, so every task of the exam's council lanes, and
  the nomination council's vote, is personal.
"""
from __future__ import annotations

from engine.people.substitutes import SubstituteRules
from engine.policy import ProcessPolicy
from workflows.processes import POLICIES

#: Roles that may set anyone's substitute, and those that may for the users of their units.
SUBSTITUTE_MANAGERS = frozenset({"admin", "hr_officer"})
SUBSTITUTE_UNIT_MANAGERS = frozenset({"unit_head"})


class ProgrammePeople(ProcessPolicy):
    """The programme's rules on acting for others, shared by every process of it."""

    reassigners = frozenset({"admin", "hr_officer"})
    unit_reassigners = frozenset({"unit_head"})
    delegated_within_role = frozenset({"approver"})


class ExamPeople(ProgrammePeople):
    """The leadership exam: its council's tasks (declarations, marks, scores, the chair's
    confirmation) are done by whoever holds the seat, never by a substitute."""

    personal_tasks = frozenset({"declare_conflict", "score_round2", "record_written_marks", "record_remarks",
                                "confirm_results"})


class NominationPeople(ProgrammePeople):
    """Talent nomination: the appraisal council's vote is personal."""

    personal_tasks = frozenset({"council_vote"})


def substitute_rules() -> SubstituteRules:
    """Who sets substitutes, and the roles (of every registered process) that pass only within the role."""
    within = frozenset().union(*(policy.delegated_within_role for policy in POLICIES.values()))
    return SubstituteRules(managers=SUBSTITUTE_MANAGERS, unit_managers=SUBSTITUTE_UNIT_MANAGERS, within_role=within)
