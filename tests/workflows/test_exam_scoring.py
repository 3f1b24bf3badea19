"""The exam's rules one by one: pass marks at their boundary, the 2-decimal mean, ties, conflicts, the term;
and the diagram, which must open in a modeller (a shape or an edge for every element)."""
from __future__ import annotations

from pathlib import Path

from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from workflows import exam_scoring as scoring
from workflows.leadership_exam import EXAM_RULES, PASS_MARK

BPMN = Path(__file__).resolve().parents[2] / "bpmn" / "leadership_exam.bpmn"


def candidates(*codes: str) -> list[dict[str, str]]:
    return [{"code": c, "full_name": f"Người {c}", "applicant_type": "internal"} for c in codes]


def sheets(by_candidate: dict[str, list[float]]) -> list[dict]:
    members = len(next(iter(by_candidate.values())))
    return [{"member": f"m{i}", "scores": {c: s[i] for c, s in by_candidate.items()}} for i in range(members)]


def test_the_written_round_is_passed_at_50_not_at_49_99():
    assert scoring.passed_round1({"A": PASS_MARK - 0.01, "B": PASS_MARK, "C": 100}, EXAM_RULES) == ["B", "C"]


def test_round_2_is_the_mean_of_the_members_scores_rounded_half_up_to_2_decimals():
    assert str(scoring.mean_score([70.01, 70, 70, 70, 70.02], 2)) == "70.01"  # 70.006
    assert str(scoring.mean_score([70.01, 70.01, 70, 70], 2)) == "70.01"  # 70.005: half up, not to even
    assert str(scoring.mean_score([50.01, 50, 49.99], 2)) == "50.00"


def test_round_2_is_passed_at_a_mean_of_50_not_49_99():
    result = scoring.rank_exam(candidates("A", "B"), {"A": 60, "B": 90},
                               sheets({"A": [50, 50, 50], "B": [49.99, 49.99, 49.99]}), EXAM_RULES)
    rows = {r["code"]: r for r in result["ranking"]}
    assert rows["A"]["passed"] and not rows["B"]["passed"]  # B's higher total does not count
    assert (result["winner"], rows["B"]["rank"]) == ("A", None)


def test_the_highest_total_wins_then_round_2_then_the_approver():
    by_total = scoring.rank_exam(candidates("A", "B"), {"A": 90, "B": 60}, sheets({"A": [60], "B": [80]}), EXAM_RULES)
    assert (by_total["winner"], by_total["decided_by"]) == ("A", "total")
    by_round2 = scoring.rank_exam(candidates("A", "B"), {"A": 80, "B": 60}, sheets({"A": [60], "B": [80]}), EXAM_RULES)
    assert (by_round2["winner"], by_round2["decided_by"]) == ("B", "round2")
    tie = scoring.rank_exam(candidates("A", "B", "C"), {"A": 70, "B": 70, "C": 40},
                            sheets({"A": [70], "B": [70], "C": [99]}), EXAM_RULES)
    assert (tie["outcome"], tie["tied"], tie["winner"]) == ("tie", ["A", "B"], None)
    settled = scoring.settle_tie(tie, "B", "Đề án khả thi hơn")
    assert (settled["winner"], settled["decided_by"], scoring.winner_of(settled)["full_name"]) == \
        ("B", "approver", "Người B")
    assert tie["winner"] is None  # the helpers never change what they are given


def test_nobody_passing_both_rounds_means_no_winner():
    result = scoring.rank_exam(candidates("A", "B"), {"A": 49, "B": 70}, sheets({"B": [40]}), EXAM_RULES)
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


def test_the_diagram_has_a_shape_for_every_element_and_an_edge_for_every_flow():
    document = etree.parse(str(BPMN))
    VALIDATOR.validate(document, BPMN.name)  # BPMN 2.0 XSD: raises on an invalid document
    root = document.getroot()
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
          "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "di": "http://www.omg.org/spec/DD/20100524/DI"}
    shapes = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", ns)}
    edges = {e.get("bpmnElement"): len(e.findall("di:waypoint", ns)) for e in root.iterfind(".//bpmndi:BPMNEdge", ns)}
    process = root.find("bpmn:process", ns)
    connecting = {"sequenceFlow", "dataInputAssociation", "dataOutputAssociation"}
    skip = connecting | {"laneSet", "dataObject", "multiInstanceLoopCharacteristics", "incoming", "outgoing",
                         "script", "conditionExpression", "timerEventDefinition", "timeDate", "sourceRef",
                         "targetRef", "flowNodeRef", "documentation", "property"}
    nodes = [el.get("id") for el in process.iter() if isinstance(el.tag, str) and el is not process
             and etree.QName(el).localname not in skip]
    assert set(nodes) | {"Participant_exam"} <= shapes
    flows = [el.get("id") for el in process.iter() if isinstance(el.tag, str) and etree.QName(el).localname in connecting]
    assert all(edges.get(f, 0) >= 2 for f in flows), [f for f in flows if edges.get(f, 0) < 2]
    assert process.get("isExecutable") == "true" and not {"Start", "End"} & set(nodes)
