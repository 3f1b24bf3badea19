"""The programme's rules as plain functions: who is eligible, how an exam is scored, how a review ends.

The process modules hand these to their diagrams' scripts and DMN tables (``SCRIPT_HELPERS``)
and to their policies; each is tested on its own, row by row, away from any case.
:mod:`workflows.rules.talent_criteria` (Decree 179 eligibility), :mod:`workflows.rules.exam_scoring`
(marks, re-marking, round 2, ties), :mod:`workflows.rules.review_rules` (years on the list, outcomes).
"""
