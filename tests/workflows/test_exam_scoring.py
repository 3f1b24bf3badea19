"""The exam's arithmetic one by one: the rows the decision table reads, the 2-decimal mean, ranking and
ties, conflicts, the term (the pass marks themselves are the table's: test_exam_result_dmn.py);"""
from __future__ import annotations

from workflows.rules import exam_scoring as scoring
from workflows.leadership_exam import EXAM_RULES


def candidates(*codes: str) -> list[dict[str, str]]:
    return [{"code": c, "full_name": f"Người {c}", "applicant_type": "internal"} for c in codes]


def sheets(by_candidate: dict[str, list[float]]) -> list[dict]:
    members = len(next(iter(by_candidate.values())))
    return [{"member": f"m{i}", "scores": {c: s[i] for c, s in by_candidate.items()}} for i in range(members)]


def judged(round1: dict[str, float], round2: dict[str, float | None], results: dict[str, str]) -> list[dict]:
    """Rows as the decision table leaves them (its verdicts are tested in test_exam_result_dmn.py)."""
    return [{"code": c, "full_name": f"Người {c}", "round1": round1[c], "round2": round2.get(c),
             "result": results[c], "reason": f"lý do {c}"} for c in round1]


def test_round_1_rows_feed_the_table_and_its_verdicts_pick_round_2():
    rows = scoring.round1_rows(candidates("A", "B"), {"A": 49.99, "B": 50})
    assert rows == [{"code": "A", "full_name": "Người A", "round1": 49.99, "round2": None},
                    {"code": "B", "full_name": "Người B", "round1": 50.0, "round2": None}]
    verdicts = [{**rows[0], "result": "failed_round1", "reason": "x"}, {**rows[1], "result": "continues", "reason": "y"}]
    assert scoring.continuing(verdicts) == ["B"]


def test_round_2_is_the_mean_of_the_members_scores_rounded_half_up_to_2_decimals():
    assert str(scoring.mean_score([70.01, 70, 70, 70, 70.02], 2)) == "70.01"  # 70.006
    assert str(scoring.mean_score([70.01, 70.01, 70, 70], 2)) == "70.01"  # 70.005: half up, not to even
    assert str(scoring.mean_score([50.01, 50, 49.99], 2)) == "50.00"
    rows = scoring.round2_rows(candidates("A", "B"), {"A": 60, "B": 40},
                               [{"member": "m1", "scores": {"A": 70.01}}, {"member": "m2", "scores": {"A": 70}}],
                               EXAM_RULES)
    assert [(r["code"], r["round2"]) for r in rows] == [("A", 70.01), ("B", None)]  # B never reached round 2


def test_only_the_tables_passes_rank_whatever_their_totals():
    result = scoring.rank_judged(judged({"A": 60, "B": 90}, {"A": 50, "B": 49.99},
                                      {"A": "passed", "B": "failed_round2"}))
    rows = {r["code"]: r for r in result["ranking"]}
    assert rows["A"]["passed"] and not rows["B"]["passed"]  # B's higher total does not count
    assert (result["winner"], rows["B"]["rank"], rows["B"]["reason"]) == ("A", None, "lý do B")


def test_the_highest_total_wins_then_round_2_then_the_approver():
    both = {"A": "passed", "B": "passed"}
    by_total = scoring.rank_judged(judged({"A": 90, "B": 60}, {"A": 60, "B": 80}, both))
    assert (by_total["winner"], by_total["decided_by"]) == ("A", "total")
    by_round2 = scoring.rank_judged(judged({"A": 80, "B": 60}, {"A": 60, "B": 80}, both))
    assert (by_round2["winner"], by_round2["decided_by"]) == ("B", "round2")
    tie = scoring.rank_judged(judged({"A": 70, "B": 70, "C": 40}, {"A": 70, "B": 70, "C": None},
                                   {**both, "C": "failed_round1"}))
    assert (tie["outcome"], tie["tied"], tie["winner"]) == ("tie", ["A", "B"], None)
    settled = scoring.settle_tie(tie, "B", "Đề án khả thi hơn")
    assert (settled["winner"], settled["decided_by"], scoring.winner_of(settled)["full_name"]) == \
        ("B", "approver", "Người B")
    assert tie["winner"] is None  # the helpers never change what they are given


def test_nobody_passing_both_rounds_means_no_winner():
    result = scoring.rank_judged(judged({"A": 49, "B": 70}, {"B": 40}, {"A": "failed_round1", "B": "failed_round2"}))
    assert (result["outcome"], result["winner"]) == ("no_winner", None)


def test_close_relations_and_discipline_bar_a_seat_other_relations_do_not():
    record = scoring.council_record_of([{"username": u, "seat": s} for u, s in
                                        (("c", "chair"), ("s", "secretary"), ("m", "member"), ("d", "member"))])
    record = scoring.with_declaration(record, "c", [{"candidate_code": "A", "relation": "other"}], False)
    record = scoring.with_declaration(record, "s", [{"candidate_code": "A", "relation": "spouse_sibling"}], False)
    record = scoring.with_declaration(record, "m", [], True)
    assert scoring.conflicted_seats(record) == ["s", "m"]
    assert scoring.undeclared_seats(record) == [{"member": "d"}]
    replaced = scoring.with_replacements(record, [{"replaced": "s", "replacement": "x", "reason": "r"},
                                                  {"replaced": "m", "replacement": "y"}])
    assert [(s["username"], s["seat"]) for s in replaced["seats"]] == [("c", "chair"), ("x", "secretary"),
                                                                       ("y", "member"), ("d", "member")]
    assert scoring.undeclared_seats(replaced) == [{"member": "x"}, {"member": "y"}, {"member": "d"}]
    assert scoring.conflicted_seats(replaced) == []


def test_a_re_mark_replaces_the_mark_and_is_logged():
    marks, log = scoring.apply_remarks({"A": 48.0, "B": 70.0}, [], [{"candidate_code": "A", "new_mark": 52,
                                                                     "request_ref": "PK-1"}], "2026-04-10")
    assert marks == {"A": 52.0, "B": 70.0}
    assert log == [{"candidate_code": "A", "old_mark": 48.0, "new_mark": 52.0, "request_ref": "PK-1",
                    "on": "2026-04-10"}]


def test_a_term_of_office_runs_five_years_from_the_effective_date():
    assert scoring.term_of("2026-05-15", 5) == {"years": 5, "from": "2026-05-15", "until": "2031-05-15"}
    assert scoring.term_of("2028-02-29", 5)["until"] == "2033-02-28"


def test_the_first_versions_helpers_still_rank_as_they_did():
    """Exams started on version 1 of the diagram (before the decision table) still call these."""
    result = scoring.rank_exam(candidates("A", "B", "C"), {"A": 60, "B": 90, "C": 49.99},
                               sheets({"A": [50, 50], "B": [49.99, 49.99], "C": [99, 99]}), EXAM_RULES)
    assert (result["winner"], [r["code"] for r in result["ranking"] if r["passed"]]) == ("A", ["A"])
    assert scoring.passed_round1({"A": 49.99, "B": 50}, EXAM_RULES) == ["B"]
