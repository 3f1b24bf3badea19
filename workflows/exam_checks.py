"""What the leadership exam's tasks must satisfy beyond their forms: a council member marks and scores
only once cleared of conflicts, a list names exactly the candidates it is about, a notice falls
between its screening and today, registration is extended at most as the rules allow.

Kept apart from the process's policy (``workflows.leadership_exam``), which dispatches to them by the
task's element id: these read the case data and the council's and notices' data objects only, and a
refusal names the field it is about (422, shown beside that field).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, Mapping

from engine.errors import Invalid
from engine.people.actors import Actor
from engine.time import clock
from workflows.rules import exam_scoring as scoring

RECORD = "council_record"
#: The data object of the notices to applicants not admitted: one value for the whole case, as the
#: notice branch and the exam's own run in parallel (and a second screening adds to it).
NOTICES = "notice_record"


def council_record(data: Mapping[str, Any]) -> dict[str, Any] | None:
    return (data.get("data_objects") or {}).get(RECORD)


def notice_record(data: Mapping[str, Any]) -> dict[str, Any] | None:
    return (data.get("data_objects") or {}).get(NOTICES)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _codes(items: list[Mapping[str, Any]], key: str = "candidate_code") -> list[str]:
    return [item[key] for item in items]


def _exactly(field: str, given: list[str], expected: list[str], what: str) -> None:
    """``given`` must name each of ``expected`` once, and nothing else (422 otherwise)."""
    unknown = sorted(set(given) - set(expected))
    missing = sorted(set(expected) - set(given))
    problems = ([f"không thuộc {what} / not {what}: {', '.join(unknown)}"] if unknown else []) + \
               ([f"còn thiếu / missing: {', '.join(missing)}"] if missing else [])
    if problems:
        raise Invalid(f"{field}: " + "; ".join(problems), {field: problems})


def require_cleared(case_data: Mapping[str, Any], actor: Actor, field: str) -> None:
    """Marks and scores only from a member who declared, and declared no conflict."""
    declaration = scoring.declaration_of(council_record(case_data), actor.username)
    if declaration is None:
        raise Invalid("declare relations with the candidates first",
                      {field: ["kê khai quan hệ với người dự tuyển trước / declare your relations first"]})
    if declaration["has_conflict"]:
        raise Invalid("a member with a declared conflict of interest may not mark or score",
                      {field: ["thành viên có xung đột lợi ích không được chấm điểm / "
                               "a member with a declared conflict may not score"]})


def declare_conflict(data: Mapping[str, Any], case_data: Mapping[str, Any], actor: Actor) -> None:
    known = set(_codes(case_data.get("candidates") or [], "code"))
    unknown = sorted(set(_codes(data["relations"])) - known)
    if unknown:
        raise Invalid("relations name unknown candidates", {"relations": [f"not a candidate: {', '.join(unknown)}"]})


def replace_members(data: Mapping[str, Any], case_data: Mapping[str, Any], actor: Actor) -> None:
    record = council_record(case_data) or {}
    _exactly("replacements", _codes(data["replacements"], "replaced"), scoring.conflicted_seats(record),
             "members with a declared conflict")
    new = _codes(data["replacements"], "replacement")
    barred = set(scoring.seat_holders(record)) | set((record.get("declarations") or {}))
    clash = sorted({n for n in new if n in barred} | {n for n in new if new.count(n) > 1})
    if clash:
        raise Invalid("a replacement must be new to the council",
                      {"replacements": [f"already on or removed from the council: {', '.join(clash)}"]})


def record_written_marks(data: Mapping[str, Any], case_data: Mapping[str, Any],
                                actor: Actor) -> None:
    require_cleared(case_data, actor, "marks")
    _exactly("marks", _codes(data["marks"]), _codes(case_data.get("candidates") or [], "code"),
             "eligible candidates")


def record_remarks(data: Mapping[str, Any], case_data: Mapping[str, Any], actor: Actor) -> None:
    require_cleared(case_data, actor, "remarks")
    marked = list(case_data.get("round1_marks") or {})
    unknown = sorted(set(_codes(data["remarks"])) - set(marked))
    if unknown:
        raise Invalid("re-marks only for written-round candidates",
                      {"remarks": [f"not marked in round 1: {', '.join(unknown)}"]})


def decide_shortfall(data: Mapping[str, Any], case_data: Mapping[str, Any], actor: Actor,
                     rules: Mapping[str, Any]) -> None:
    if data["shortfall_decision"] == "extend" and \
            case_data.get("registration_extensions", 0) >= rules["max_extensions"]:
        raise Invalid("registration was already extended", {"shortfall_decision": ["only cancel is possible"]})


def notices(data: Mapping[str, Any], task_data: Mapping[str, Any], case_data: Mapping[str, Any]) -> None:
    """Each applicant this task's screening did not admit is named once, told on a day between the
    screening and today; the script after the task records that same screening."""
    pending = scoring.screening_of(notice_record(case_data), task_data.get("notice_screening", 0))
    if pending is None or pending.get("notices") is not None:
        raise Invalid("no applicant is waiting to be told", {"notices": ["không còn ai phải thông báo / "
                                                                         "nobody is left to tell"]})
    notices = data["notices"]
    _exactly("notices", _codes(notices, "code"), _codes(pending["rejected"], "code"),
             "applicants not admitted by this screening")
    today = clock.now().astimezone(clock.CITY_ZONE).date()
    screened = _day(pending["screened_on"])
    future = [n["code"] for n in notices if _day(n["told_on"]) > today]
    early = [n["code"] for n in notices if _day(n["told_on"]) < screened]
    problems = ([f"ngày thông báo sau hôm nay / told after today ({today.isoformat()}): {', '.join(future)}"]
                if future else []) + \
               ([f"ngày thông báo trước ngày sơ tuyển / told before the screening ({screened.isoformat()}): "
                 f"{', '.join(early)}"] if early else [])
    if problems:
        raise Invalid("notices: " + "; ".join(problems), {"notices": problems})


def score_round2(data: Mapping[str, Any], case_data: Mapping[str, Any], actor: Actor) -> None:
    require_cleared(case_data, actor, "scores")
    _exactly("scores", _codes(data["scores"]), list(case_data.get("round2_candidates") or []),
             "round-2 candidates")


def choose_winner(data: Mapping[str, Any], case_data: Mapping[str, Any], actor: Actor) -> None:
    tied = (case_data.get("exam_results") or {}).get("tied") or []
    if data["chosen_candidate"] not in tied:
        raise Invalid("choose one of the tied candidates",
                      {"chosen_candidate": [f"one of {', '.join(tied)}"]})


#: Element id -> its check (data, case data, actor, the exam's rules in force).
CHECKS: dict[str, Callable[..., None]] = {
    "declare_conflict": lambda d, c, a, r: declare_conflict(d, c, a),
    "replace_members": lambda d, c, a, r: replace_members(d, c, a),
    "record_written_marks": lambda d, c, a, r: record_written_marks(d, c, a),
    "record_remarks": lambda d, c, a, r: record_remarks(d, c, a),
    "decide_shortfall": decide_shortfall,
    "score_round2": lambda d, c, a, r: score_round2(d, c, a),
    "choose_winner": lambda d, c, a, r: choose_winner(d, c, a),
}
