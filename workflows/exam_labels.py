"""The words of a leadership exam: its roles, end states and events, and the keys its scripts and
rules write into the case data (its settings in ``exam_rules``, the council's record, the
ranking). The pages label a case's data by these (``ProcessPolicy.data_labels``) so that nobody
reads ``record_written_marks_working_days`` or ``round1_marks``; a ``key=code`` entry reads out a
code such a key holds. Message ids, translated in ``workflows/translations``.
"""
from __future__ import annotations

from workflows.processes import N_

MEMBER, CHAIR, SECRETARY = "council_member", "council_chair", "council_secretary"
ROLE_LABELS = {MEMBER: N_("Council member"), CHAIR: N_("Council chair"), SECRETARY: N_("Council secretary")}
STATUS_LABELS = {"appointed": N_("Appointed"), "declined": N_("Declined"), "no_winner": N_("No winner"),
                 "cancelled_insufficient_candidates": N_("Cancelled: too few candidates")}
STATUS_TONES = {"appointed": "ok", "declined": "warn", "no_winner": "warn"}
EVENT_LABELS = {"appointment_recorded": N_("Appointment recorded")}

#: What the exam's scripts, rules and settings add to the case data (the forms label the rest).
DATA_LABELS: dict[str, str] = {
    "announced_on": N_("Announced on"),
    "appointment_term": N_("Term of office"),
    "years": N_("Years"),
    "from": N_("From"),
    "until": N_("Until"),
    "exam_rules": N_("Rules of this exam"),
    "min_eligible": N_("Fewest eligible candidates"),
    "max_extensions": N_("Registration extensions allowed"),
    "pass_mark": N_("Pass mark of each round"),
    "score_decimals": N_("Decimals of the round-2 score"),
    "term_years": N_("Term of office, years"),
    "reminder_working_days": N_("Reminder, working days before a deadline"),
    "screening_days": N_("Days to screen applications"),
    "rejection_notice_working_days": N_("Working days to tell applicants not admitted"),
    "decide_shortfall_working_days": N_("Working days to decide when too few are eligible"),
    "declare_conflict_working_days": N_("Working days to declare relations"),
    "replace_members_working_days": N_("Working days to replace a member"),
    "record_written_marks_working_days": N_("Working days to enter the written marks"),
    "remark_days": N_("Days of the re-marking window"),
    "score_round2_working_days": N_("Working days to score round 2"),
    "choose_winner_working_days": N_("Working days to choose among tied candidates"),
    "confirm_results_working_days": N_("Working days to confirm the results"),
    "decision_working_days": N_("Working days to decide the appointment"),
    "council_record": N_("The council's seats and declarations"),
    "seats": N_("Seats"),
    "declarations": N_("Declarations"),
    "replaced": N_("Replaced members"),
    "notice_record": N_("Notices to applicants not admitted"),
    "screenings": N_("Screenings"),
    "screening": N_("Screening"),
    "notices": N_("Notices"),
    "declaration_sheets": N_("Declarations of the members"),
    "declaration_sheet": N_("Declaration"),
    "score_sheets": N_("Round-2 score sheets"),
    "score_sheet": N_("Round-2 score sheet"),
    "member": N_("Member"),
    "has_conflict": N_("Has a conflict of interest"),
    "eligible_count": N_("Eligible candidates"),
    "notice_due": N_("Notices due by"),
    "notice_screening": N_("Screening of the notices"),
    "old_mark": N_("Old mark"),
    "pending_conflicts": N_("Members with a conflict still to replace"),
    "recorded_on": N_("Recorded on"),
    "registration_deadline": N_("Registration closes"),
    "registration_extensions": N_("Registration extensions"),
    "rejected": N_("Applicants not admitted"),
    "rejection_notice_due": N_("Applicants to be told by"),
    "remark_deadline": N_("Re-marking requests until"),
    "remark_log": N_("Re-marks"),
    "on": N_("On"),
    "round1_marks": N_("Round 1 marks"),
    "round2_candidates": N_("Round 2 candidates"),
    "results_published_on": N_("Results published on"),
    "screened_on": N_("Screened on"),
    "exam_results": N_("Results of the exam"),
    "ranking": N_("Ranking"),
    "rank": N_("Rank"),
    "round1": N_("Round 1"),
    "round2": N_("Round 2"),
    "total": N_("Total"),
    "passed": N_("Passed"),
    "result": N_("Result"),
    "result=passed": N_("passed both rounds"),
    "result=failed_round1": N_("did not pass round 1"),
    "result=failed_round2": N_("did not pass round 2"),
    "due": N_("Notices due by"),
    "winner": N_("Winner"),
    "tied": N_("Tied candidates"),
    "outcome": N_("Outcome"),
    "decided_by": N_("Decided by"),
    "decided_by=total": N_("the higher total"),
    "decided_by=round2": N_("the higher round-2 score"),
    "outcome=winner": N_("a winner"),
    "outcome=tie": N_("a tie"),
    "outcome=no_winner": N_("no winner"),
    "appointment_id": N_("Appointment"),
    "person_name": N_("Person"),
    "candidates": N_("Candidates"),
    "scores": N_("Scores"),
}
