"""The arithmetic and bookkeeping of a leadership exam, as pure functions.

The ``leadership_exam`` diagram calls these from its script tasks (through
:meth:`workflows.leadership_exam.Policy.script_helpers`) and the policy uses
them to check what people submit, so the rule a script applies and the rule a
422 enforces are one piece of code. They never read the database or the
clock, and never change their arguments: task data is shallow-copied between
tasks, so mutating a list in place would rewrite the history of earlier tasks.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Mapping

#: Declared relations that do not bar a member from sitting (e.g. a former colleague).
HARMLESS_RELATIONS = frozenset({"other"})


# ---------------------------------------------------------------- the council
def council_record_of(council: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The council as the case keeps it: current seats, declarations, replacements."""
    return {"seats": [{"username": s["username"], "seat": s["seat"]} for s in council],
            "declarations": {}, "replaced": []}


def seat_holders(record: Mapping[str, Any] | None) -> list[str]:
    return [s["username"] for s in (record or {}).get("seats", [])]


def declaration_of(record: Mapping[str, Any] | None, username: str) -> dict[str, Any] | None:
    return ((record or {}).get("declarations") or {}).get(username)


def with_declaration(record: Mapping[str, Any], member: str, relations: list[Mapping[str, Any]],
                     under_discipline: bool) -> dict[str, Any]:
    """Record one member's declaration; a close relation or a discipline bars the seat."""
    barred = under_discipline or any(r["relation"] not in HARMLESS_RELATIONS for r in relations)
    declarations = dict(record.get("declarations") or {})
    declarations[member] = {"relations": [dict(r) for r in relations], "under_discipline": bool(under_discipline),
                            "has_conflict": bool(barred)}
    return {**record, "declarations": declarations}


def undeclared_seats(record: Mapping[str, Any]) -> list[dict[str, str]]:
    """Multi-instance input: one sheet per seated member who has not declared yet."""
    return [{"member": name} for name in seat_holders(record) if declaration_of(record, name) is None]


def conflicted_seats(record: Mapping[str, Any]) -> list[str]:
    """Seated members who declared a conflict: hr must replace them before scoring."""
    return [name for name in seat_holders(record) if (declaration_of(record, name) or {}).get("has_conflict")]


def with_replacements(record: Mapping[str, Any], replacements: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Give each conflicted member's seat (chair, secretary or member) to the replacement."""
    by_old = {r["replaced"]: r for r in replacements}
    seats, replaced = [], list(record.get("replaced") or [])
    for seat in record["seats"]:
        change = by_old.get(seat["username"])
        if change is None:
            seats.append(dict(seat))
            continue
        seats.append({"username": change["replacement"], "seat": seat["seat"]})
        replaced.append({"replaced": seat["username"], "replacement": change["replacement"], "seat": seat["seat"],
                         "reason": change.get("reason", "")})
    return {**record, "seats": seats, "replaced": replaced}


def score_sheets_for(record: Mapping[str, Any]) -> list[dict[str, str]]:
    """Multi-instance input of round 2: one sheet per member of the final council."""
    return [{"member": name} for name in seat_holders(record)]


# ---------------------------------------------------------------- candidates and marks
def eligible_candidates(applicants: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"code": a["code"], "full_name": a["full_name"], "applicant_type": a["applicant_type"]}
            for a in applicants if a["eligible"]]


def rejected_applicants(applicants: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"code": a["code"], "full_name": a["full_name"], "reason": a.get("reason", "")}
            for a in applicants if not a["eligible"]]


def marks_by_code(entries: list[Mapping[str, Any]], value_key: str) -> dict[str, float]:
    return {e["candidate_code"]: float(e[value_key]) for e in entries}


def apply_remarks(marks: Mapping[str, float], log: list[Mapping[str, Any]], remarks: list[Mapping[str, Any]],
                  on: str) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """New round-1 marks after re-marking, and the log with one row per change."""
    new_marks, new_log = dict(marks), [dict(row) for row in log]
    for remark in remarks:
        code = remark["candidate_code"]
        new_log.append({"candidate_code": code, "old_mark": new_marks[code], "new_mark": float(remark["new_mark"]),
                        "request_ref": remark.get("request_ref", ""), "on": on})
        new_marks[code] = float(remark["new_mark"])
    return new_marks, new_log


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def mean_score(scores: list[Any], decimals: int) -> Decimal:
    """Mean of the members' scores, rounded half up (not to even) as an examiner would."""
    return (sum((_dec(s) for s in scores), Decimal(0)) / len(scores)).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- results
# Who passes is the decision table's (bpmn/exam_candidate_result.dmn). The diagram's business-rule
# tasks run it once per candidate row (a multi-instance task over ``candidate_results``), and the
# verdict, ``result`` and ``reason``, is added to the row. These functions build the rows the table
# reads and read the verdicts it leaves; none of them decides a pass.
def round1_rows(candidates: list[Mapping[str, Any]], round1: Mapping[str, float]) -> list[dict[str, Any]]:
    """The decision's input after re-marking: each candidate's written mark, no round-2 score yet."""
    return [{"code": c["code"], "full_name": c["full_name"], "round1": float(round1[c["code"]]), "round2": None}
            for c in candidates]


def continuing(judged: list[Mapping[str, Any]]) -> list[str]:
    """Codes of the candidates the decision lets into round 2."""
    return sorted(row["code"] for row in judged if row["result"] != "failed_round1")


def round2_rows(candidates: list[Mapping[str, Any]], round1: Mapping[str, float],
                sheets: list[Mapping[str, Any]], rules: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The decision's input after round 2: the written mark and the mean of the members' round-2 scores
    (None for a candidate who did not reach round 2)."""
    decimals = int(rules["score_decimals"])
    rows = []
    for cand in candidates:
        code = cand["code"]
        scores = [sheet["scores"][code] for sheet in sheets if code in sheet.get("scores", {})]
        rows.append({"code": code, "full_name": cand["full_name"], "round1": float(round1[code]),
                     "round2": float(mean_score(scores, decimals)) if scores else None})
    return rows


def rank_judged(judged: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Totals, ranking and the winner among those the decision passed (``judged``: the rows with the
    table's verdicts)."""
    rows = []
    for row in judged:
        total = float(_dec(row["round1"]) + _dec(row["round2"])) if row["round2"] is not None else None
        rows.append({"code": row["code"], "full_name": row["full_name"], "round1": row["round1"],
                     "round2": row["round2"], "total": total, "passed": row["result"] == "passed",
                     "result": row["result"], "reason": row["reason"]})
    return _ranked(rows)


def _ranked(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The highest total among the passed wins; a tie goes to the higher round-2 score, and a tie on
    that too to the approver (``outcome == "tie"``)."""
    rows.sort(key=lambda r: (not r["passed"], -(r["total"] or 0), -(r["round2"] or 0), r["code"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank if row["passed"] else None
    passing = [r for r in rows if r["passed"]]
    result: dict[str, Any] = {"ranking": rows, "winner": None, "tied": [], "decided_by": None}
    if not passing:
        return {**result, "outcome": "no_winner"}
    best_total = [r for r in passing if r["total"] == passing[0]["total"]]
    best = [r for r in best_total if r["round2"] == best_total[0]["round2"]]
    if len(best) > 1:
        return {**result, "outcome": "tie", "tied": [r["code"] for r in best]}
    return {**result, "outcome": "winner", "winner": best[0]["code"],
            "decided_by": "round2" if len(best_total) > 1 else "total"}


# ---------------------------------------------------------------- notices to the applicants not admitted
# Each screening that turns applicants away opens a notice task for hr (a branch parallel to the exam);
# the case keeps one record of every screening's applicants not admitted and how and when each was told.
def notice_record_of() -> dict[str, Any]:
    """An exam's notice record before any screening."""
    return {"screenings": []}


def with_rejections(record: Mapping[str, Any], rejected: list[Mapping[str, Any]], screening: int, screened_on: str,
                    due: str) -> dict[str, Any]:
    """The record with one more screening's applicants not admitted, to be told by ``due``. An
    applicant turned away again after an extended registration is told again: it is a new decision."""
    row = {"screening": int(screening), "screened_on": screened_on, "due": due,
           "rejected": [{"code": r["code"], "full_name": r["full_name"], "reason": r.get("reason", "")}
                        for r in rejected], "notices": None, "recorded_on": None}
    return {**record, "screenings": [dict(s) for s in record.get("screenings") or []] + [row]}


def pending_screenings(record: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The screenings whose notices are not recorded yet, earliest first. Two are pending at once when
    hr is still late with one screening's notices as an extended registration is screened again: each
    has its own notice task (``notice_screening`` in the task's data), due date and reminder."""
    return [s for s in (record or {}).get("screenings") or [] if s.get("notices") is None]


def screening_of(record: Mapping[str, Any] | None, screening: int) -> dict[str, Any] | None:
    """The row of screening number ``screening`` (1 for the first, 2 after an extended registration)."""
    return next((s for s in (record or {}).get("screenings") or [] if s["screening"] == int(screening)), None)


def with_notices(record: Mapping[str, Any], screening: int, notices: list[Mapping[str, Any]],
                 recorded_on: str) -> dict[str, Any]:
    """The record with how and when each applicant of screening ``screening`` (the one whose notice task
    this is) was told."""
    row = screening_of(record, screening)
    if row is None or row.get("notices") is not None:
        raise ValueError(f"screening {screening} is not waiting for its notices")
    names = {r["code"]: r["full_name"] for r in row["rejected"]}
    told = [{"code": n["code"], "full_name": names.get(n["code"], ""), "how": n["how"],
             "told_on": str(n["told_on"]), "reference": n.get("reference", "")} for n in notices]
    screenings = [{**s, "notices": told, "recorded_on": recorded_on} if s["screening"] == row["screening"]
                  else dict(s) for s in record["screenings"]]
    return {**record, "screenings": screenings}


# ---------------------------------------------------------------- earlier diagram versions
# A running case keeps the diagram version it started on, and that diagram calls helpers by name:
# a helper a deployed version calls is never removed or changed. A new rule gets a new name.
def passed_round1(marks: Mapping[str, float], rules: Mapping[str, Any]) -> list[str]:
    """Version 1 of ``leadership_exam`` (before the decision table): the written round's pass."""
    return sorted(code for code, mark in marks.items() if mark >= rules["pass_mark"])


def rank_exam(candidates: list[Mapping[str, Any]], round1: Mapping[str, float],
              sheets: list[Mapping[str, Any]], rules: Mapping[str, Any]) -> dict[str, Any]:
    """Version 1 of ``leadership_exam``: means, passes (≥ the pass mark in each round) and ranking."""
    pass_mark, decimals = _dec(rules["pass_mark"]), int(rules["score_decimals"])
    rows = []
    for cand in candidates:
        code = cand["code"]
        r1 = _dec(round1[code])
        scores = [sheet["scores"][code] for sheet in sheets if code in sheet.get("scores", {})]
        r2 = mean_score(scores, decimals) if r1 >= pass_mark and scores else None
        rows.append({"code": code, "full_name": cand["full_name"], "round1": float(r1),
                     "round2": float(r2) if r2 is not None else None,
                     "total": float(r1 + r2) if r2 is not None else None,
                     "passed": r2 is not None and r2 >= pass_mark})
    return _ranked(rows)


def settle_tie(results: Mapping[str, Any], chosen: str, reason: str) -> dict[str, Any]:
    """The approver's choice among candidates tied on total and round 2."""
    return {**results, "outcome": "winner", "winner": chosen, "decided_by": "approver", "choice_reason": reason}


def winner_of(results: Mapping[str, Any]) -> dict[str, Any] | None:
    code = results.get("winner")
    return next((r for r in results.get("ranking", []) if r["code"] == code), None)


def term_of(effective: date | str, years: int) -> dict[str, Any]:
    """A term of office from its effective date (29 February ends on 28 February)."""
    start = effective if isinstance(effective, date) else date.fromisoformat(str(effective))
    try:
        until = start.replace(year=start.year + years)
    except ValueError:
        until = start.replace(year=start.year + years, day=28)
    return {"years": years, "from": start.isoformat(), "until": until.isoformat()}


#: What the diagram's scripts may call.
SCRIPT_HELPERS = {f.__name__: f for f in (
    council_record_of, with_declaration, undeclared_seats, conflicted_seats, with_replacements, score_sheets_for,
    eligible_candidates, rejected_applicants, marks_by_code, apply_remarks, round1_rows, continuing, round2_rows,
    rank_judged, settle_tie, term_of, passed_round1, rank_exam, notice_record_of, with_rejections, with_notices)}
