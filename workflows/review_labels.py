"""The words of the annual review and its assessments for the keys their scripts and rules write
into the case data (the outcome rules' facts, the register of the talents under review, the
outcomes). The pages label a case's data by these (``ProcessPolicy.data_labels``); a
``key=code`` entry reads out a code such a key holds. Message ids, translated in
``workflows/translations``.
"""
from __future__ import annotations

from workflows.processes import N_

DATA_LABELS: dict[str, str] = {
    "appointed_in_window": N_("Appointed or promoted in the period"),
    "good_rating_in_window": N_("Rated good or better in the period"),
    "rating_window_years": N_("Years of ratings considered"),
    "remove_after_years": N_("Removed after years on the list"),
    "warn_after_years": N_("At risk after years on the list"),
    "years_counted_to": N_("Years counted to"),
    "years_on_list": N_("Years on the list"),
    "assessment_result": N_("Assessment"),
    "assessments_close_at": N_("Assessments close"),
    "assessments_done": N_("Assessments done"),
    "final_outcome": N_("Outcome after consolidation"),
    "rule_outcome": N_("Outcome by the rules"),
    "rule_reason": N_("Why, by the rules"),
    "override_reason": N_("Why it was changed"),
    "recognised_on": N_("Recognised on"),
    "review_case_id": N_("Review case"),
    "review_outcomes": N_("Outcomes of the review"),
    "review_register": N_("Talents under review"),
    "talent_snapshot": N_("Talents on the list when the review began"),
    "unassessed_talents": N_("Talents not assessed"),
    "talent_id": N_("Talent"),
    "talent": N_("Talent"),
    "assessed": N_("Assessed"),
    "history": N_("Earlier reviews"),
    "talents": N_("Talents of your units"),
    "talent_unit": N_("Talent's unit"),
    "unit_path": N_("Unit in the tree"),
    "ignored_targets": N_("Assessments no longer awaited"),
    "keep": N_("Kept on the list"),
    "at_risk": N_("At risk"),
    "remove": N_("Removed from the list"),
    "unassessed": N_("Not assessed"),
    "added": N_("Added since the review began"),
    "final_outcome=keep": N_("keep"),
    "final_outcome=at_risk": N_("at risk"),
    "final_outcome=remove": N_("remove"),
    "rule_outcome=keep": N_("keep"),
    "rule_outcome=at_risk": N_("at risk"),
    "rule_outcome=remove": N_("remove"),
    "outcome=keep": N_("keep"),
    "outcome=at_risk": N_("at risk"),
    "outcome=remove": N_("remove"),
}

#: Keys holding a unit's code or a talent's id: the pages show the unit's or the talent's name.
DATA_REFS: dict[str, str] = {"unit": "units", "talent_unit": "units", "talent_id": "talents"}
#: Where a talent's unit sits in the tree: kept so that a unit head sees their subtree's talents
#: (``visible_data``), meaningless to a reader, so never shown.
HIDDEN_KEYS = frozenset({"unit_path"})
