"""What the pages show of a leadership exam: its sheets laid out per candidate, and its council.

Everything here reads the case data *as the policy shows it to the reader*:
a member sees no other member's round-2 scores until all have scored,
because :meth:`workflows.leadership_exam.Policy.visible_data` leaves them out
of what these functions get. The form hints make a sheet easy to fill (one
row per candidate, the candidates' names, choices limited to the candidates
of the case); the council panel tells the council's work so far. Its words
are message ids of the pages' catalogues, translated by the page.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping

from engine.time.clock import CITY_ZONE, last_day
from engine.policy import Badge, FormHints, Note, Panel, Row, Table, Words
from workflows.rules import exam_scoring as scoring
from workflows.processes import N_

SEAT_ORDER = ("chair", "secretary", "member")
SEATS = {"chair": N_("Chair"), "secretary": N_("Secretary"), "member": N_("Member")}
#: The seats an exam plan starts with: the smallest council [analogue: Decree 170/2025 Art. 8].
PLAN_SEATS = ("chair", "secretary", "member", "member", "member")
#: Registration window an exam plan starts with, in days [analogue].
PLAN_REGISTRATION_DAYS = 30
#: The task each council member scores round 2 in.
ROUND2_SCORING = "score_round2"
#: How an applicant not admitted was told (the form's choices, forms/exam.py ``NOTICE_MEANS``).
NOTICE_MEANS = {"letter": N_("Letter by post"), "email": N_("E-mail"), "in_person": N_("In person (signed for)")}


def _candidates(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(data.get("candidates") or [])


def _named(codes: list[str], data: Mapping[str, Any]) -> list[tuple[str, str]]:
    names = {c["code"]: c.get("full_name", "") for c in _candidates(data)}
    return [(code, f"{code} — {names[code]}" if names.get(code) else code) for code in codes]


def _names(codes: list[str], data: Mapping[str, Any]) -> list[str]:
    names = {c["code"]: c.get("full_name", "") for c in _candidates(data)}
    return [names.get(code, "") for code in codes]


def _one_row_each(sheet: str, codes: list[str], data: Mapping[str, Any]) -> FormHints:
    """A sheet of one fixed row per candidate, the candidate's name under the code."""
    return FormHints({sheet: [{"candidate_code": c} for c in codes]}, fixed={sheet: ["candidate_code"]},
                     notes={sheet: _names(codes, data)}, note_headers={sheet: N_("Full name")})


def _day(value: Any) -> date:
    """A stored day (YYYY-MM-DD) or deadline (an ISO moment) as the city's date, for the page to show."""
    text = str(value)
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text).astimezone(CITY_ZONE).date()


def _due_day(value: Any) -> date:
    """The last day a deadline allows (:func:`engine.time.clock.last_day`: a due time at the city's
    midnight closes the day before), so the panel says the same day as the worklist."""
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text)
    return last_day(moment) if moment.tzinfo else moment.date()


def _notice_record(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return (data.get("data_objects") or {}).get("notice_record") or {}


def _notice_hints(pending: list[Mapping[str, Any]]) -> FormHints:
    """A notice task is for one screening (``notice_screening`` in its own data, which the task's
    check holds the submission to). A page sees the case's data, not the task's: with one screening
    waiting (the usual case), one fixed row per applicant it turned away; with two (hr late with the
    first when an extended registration is screened), the applicants of both to choose from, each
    labelled with its screening, while the task's subject names the screening it is for."""
    if len(pending) == 1:
        rejected = pending[0]["rejected"]
        return FormHints({"notices": [{"code": r["code"]} for r in rejected]}, fixed={"notices": ["code"]},
                         notes={"notices": [r.get("full_name", "") for r in rejected]})
    return FormHints(choices={"notices.code": [
        (r["code"], f"{r['code']} — {r.get('full_name', '')} (sơ tuyển lần {s['screening']} / screening "
                    f"{s['screening']})") for s in pending for r in s["rejected"]]})


def form_hints(form_key: str | None, data: Mapping[str, Any], record: Mapping[str, Any]) -> FormHints:
    """How to lay out ``form_key`` for an exam whose visible data is ``data`` (council ``record``)."""
    codes = [c["code"] for c in _candidates(data)]
    if form_key == "exam_rejection_notice":
        return _notice_hints(scoring.pending_screenings(_notice_record(data)))
    if form_key == "exam_round2_scores":
        return _one_row_each("scores", list(data.get("round2_candidates") or []), data)
    if form_key == "exam_written_marks":
        return _one_row_each("marks", codes, data)
    if form_key == "exam_conflict_declaration":
        return FormHints(choices={"relations.candidate_code": _named(codes, data)})
    if form_key == "exam_remarks":
        return FormHints(choices={"remarks.candidate_code": _named(sorted(data.get("round1_marks") or {}), data)})
    if form_key == "exam_tie_choice":
        tied = list((data.get("exam_results") or {}).get("tied") or [])
        return FormHints(choices={"chosen_candidate": _named(tied, data)})
    if form_key == "exam_replacement":
        conflicted = scoring.conflicted_seats(record)
        return FormHints({"replacements": [{"replaced": n} for n in conflicted]}, fixed={"replacements": ["replaced"]})
    if form_key == "exam_plan":
        return FormHints({"council": [{"seat": s} for s in PLAN_SEATS], "first_appointment": True,
                          "registration_days": PLAN_REGISTRATION_DAYS})
    return FormHints()


def task_subject(element_id: str, task_data: Mapping[str, Any]) -> str | None:
    """What an exam task is about, in worklists: the post and its unit ("Trưởng phòng Quản lý khoa học —
    SKHCN"), as hr or a member may hold tasks of several exams at once; a notice task names its
    screening first (two may be open at once). Stored with the task, so in both languages."""
    post = f"{task_data['post']} — {task_data.get('unit', '')}".rstrip(" —") if task_data.get("post") else None
    if element_id == "notify_rejected" and "notice_screening" in task_data:
        screening = f"Sơ tuyển lần {task_data['notice_screening']} / screening {task_data['notice_screening']}"
        return f"{screening} · {post}" if post else screening
    return post


def _seats_table(seats: list[Mapping[str, Any]], declarations: Mapping[str, Any], people: Mapping[str, str]) -> Table:
    def declared(username: str) -> Badge:
        declaration = declarations.get(username)
        if declaration is None:
            return Badge(Words(N_("not declared")), "muted")
        if declaration.get("has_conflict"):
            return Badge(Words(N_("conflict of interest")), "danger")
        return Badge(Words(N_("no conflict")), "ok")

    return Table(columns=(Words(N_("Member")), Words(N_("Seat")), Words(N_("Declaration"))),
                 rows=tuple(Row((people.get(s["username"], s["username"]),
                                 Words(SEATS[s["seat"]]) if s["seat"] in SEATS else s["seat"],
                                 declared(s["username"]))) for s in seats),
                 caption=Words(N_("Council seats and declarations")))


def _pass_mark(data: Mapping[str, Any]) -> Any:
    return (data.get("exam_rules") or {}).get("pass_mark")


def _remarking_open(data: Mapping[str, Any], round2: list[str] | None) -> bool:
    """The written round's marks are out and the re-marking window has not yet decided round 2."""
    return round2 is None and bool(data.get("remark_deadline")) and bool(data.get("round1_marks"))


def _candidates_table(data: Mapping[str, Any], round1: Mapping[str, Any], round2: list[str] | None) -> Table:
    """Each candidate's standing. While re-marks may still come, nobody is out yet: the pass mark the
    exam started with (``exam_rules``) says who goes on unless a re-mark changes it, and who may
    still ask for one; once round 2 is decided, a candidate is in it or out."""
    pass_mark = _pass_mark(data)
    remarking = _remarking_open(data, round2) and pass_mark is not None

    def standing(code: str) -> Badge | None:
        mark = round1.get(code)
        if remarking and mark is not None:
            return Badge(Words(N_("passed round 1 — awaiting the end of re-marking")), "ok") if mark >= pass_mark \
                else Badge(Words(N_("not passed — may request re-marking")), "warn")
        if round2 is not None and code in round2:
            return Badge(Words(N_("in round 2")), "info")
        return Badge(Words(N_("out")), "muted") if mark is not None else None

    return Table(columns=(Words(N_("Code")), Words(N_("Full name")), Words(N_("Round 1")), Words(N_("Round 2"))),
                 rows=tuple(Row((c["code"], c.get("full_name", ""), round1.get(c["code"]), standing(c["code"])))
                            for c in _candidates(data)),
                 heading=Words(N_("Candidates")), row_header=0, numeric=frozenset({2}))


def _results_table(results: Mapping[str, Any], published_on: str | None) -> Table:
    winner = results.get("winner")

    def result(r: Mapping[str, Any]) -> Badge:
        if r["code"] == winner:
            return Badge(Words(N_("winner")), "ok")
        return Badge(Words(N_("passed")), "info") if r.get("passed") else Badge(Words(N_("not passed")), "muted")

    confirmed = Badge(Words(N_("confirmed on %(d)s"), {"d": published_on}), "ok") if published_on else \
        Badge(Words(N_("awaiting the chair's confirmation")), "warn")
    return Table(columns=tuple(Words(w) for w in (N_("Rank"), N_("Candidate"), N_("Round 1"), N_("Round 2"),
                                                  N_("Total"), N_("Result"))),
                 rows=tuple(Row((r.get("rank") or None, f'{r["code"]} · {r.get("full_name", "")}', r.get("round1"),
                                 r.get("round2"), r.get("total"), result(r)), "winner" if r["code"] == winner else "")
                            for r in results.get("ranking") or []),
                 heading=Words(N_("Results")), badge=confirmed, caption=Words(N_("Ranking")), row_header=1,
                 numeric=frozenset({0, 2, 3, 4}), css="results")


def results_export(data: Mapping[str, Any]) -> dict[str, Table]:
    """The exam's results as a spreadsheet (``results``): rank, candidate, both rounds' marks and the
    total, once the ranking exists. ``data`` is what the reader may see, so before every member
    has scored round 2 — no ``exam_results`` — there is nothing to export."""
    results = data.get("exam_results")
    if not results:
        return {}
    winner = results.get("winner")

    def result(r: Mapping[str, Any]) -> Words:
        if r["code"] == winner:
            return Words(N_("winner"))
        return Words(N_("passed")) if r.get("passed") else Words(N_("not passed"))

    table = Table(columns=tuple(Words(w) for w in (N_("Rank"), N_("Code"), N_("Full name"), N_("Round 1"),
                                                  N_("Round 2"), N_("Total"), N_("Result"))),
                  rows=tuple(Row((r.get("rank") or None, r["code"], r.get("full_name", ""), r.get("round1"),
                                  r.get("round2"), r.get("total"), result(r)))
                             for r in results.get("ranking") or []),
                  heading=Words(N_("Results")), row_header=1, numeric=frozenset({0, 3, 4, 5}))
    return {"results": table}


def _notices_table(notices: Mapping[str, Any]) -> Table:
    """Each screening's applicants not admitted and how and when each was told (or by when they must be)."""
    rows = []
    for screening in notices.get("screenings") or []:
        told = {n["code"]: n for n in screening.get("notices") or []}
        for r in screening["rejected"]:
            notice = told.get(r["code"])
            how = Words(NOTICE_MEANS.get(notice["how"], notice["how"])) if notice else \
                Badge(Words(N_("to be told by %(d)s"), {"d": _due_day(screening["due"])}), "warn")
            rows.append(Row((r["code"], r.get("full_name", ""), r.get("reason", ""), _day(screening["screened_on"]),
                             how, _day(notice["told_on"]) if notice else None,
                             (notice.get("reference") or None) if notice else None)))
    return Table(columns=tuple(Words(w) for w in (N_("Code"), N_("Full name"), N_("Reason"), N_("Screened on"),
                                                  N_("How told (or due by)"), N_("Told on"), N_("Notice reference"))),
                 rows=tuple(rows), heading=Words(N_("Applicants not admitted")), row_header=0,
                 caption=Words(N_("Notices to the applicants not admitted")))


def _page_tables(data: Mapping[str, Any]) -> tuple[Table, ...]:
    """The re-marking log and the applicants not admitted (with the notices they were sent, on diagrams
    that record them): on the council's own page only."""
    tables = []
    if data.get("remark_log"):
        tables.append(Table(columns=tuple(Words(w) for w in (N_("Candidate"), N_("Old mark"), N_("New mark"),
                                                             N_("Request"), N_("Date"))),
                            rows=tuple(Row((r["candidate_code"], r.get("old_mark"), r.get("new_mark"),
                                            r.get("request_ref", ""), r.get("on"))) for r in data["remark_log"]),
                            heading=Words(N_("Re-marking")), row_header=0, numeric=frozenset({1, 2})))
    if _notice_record(data).get("screenings"):
        tables.append(_notices_table(_notice_record(data)))
    elif data.get("rejected"):
        tables.append(Table(columns=(Words(N_("Code")), Words(N_("Full name")), Words(N_("Reason"))),
                            rows=tuple(Row((r["code"], r.get("full_name", ""), r.get("reason", "")))
                                       for r in data["rejected"]),
                            heading=Words(N_("Applicants not admitted")), row_header=0))
    return tuple(tables)


def council_panel(case: Mapping[str, Any], done: frozenset[str], record: Mapping[str, Any]) -> Panel:
    """The council's work so far (seats, declarations, candidates, scoring, results), from what the
    reader may see of the case; ``done``: the element ids of the tasks the reader completed."""
    data = case.get("data") or {}
    seats = sorted(record.get("seats") or data.get("council") or [],
                   key=lambda s: (SEAT_ORDER.index(s["seat"]) if s["seat"] in SEAT_ORDER else 9, s["username"]))
    round1 = data.get("round1_marks") or {}
    round2 = data.get("round2_candidates")
    results = data.get("exam_results")
    round2_open = round2 is not None and results is None
    people = case.get("people") or {}  # the display names of the sign-in names (given by the pages)
    parts: list[Table | Note] = [_seats_table(seats, record.get("declarations") or {}, people)]
    if record.get("replaced"):
        parts.append(Note(tuple(Words(N_("%(old)s replaced by %(new)s"),
                                      {"old": people.get(r["replaced"], r["replaced"]),
                                       "new": people.get(r["replacement"], r["replacement"])})
                                for r in record["replaced"]),
                          "subject"))
    if _remarking_open(data, round2):
        parts.append(Note((Words(N_("Re-marking window open: requests until %(d)s (last day)"),
                                 {"d": _due_day(data["remark_deadline"])}),), "notice"))
    if _candidates(data):
        parts.append(_candidates_table(data, round1, round2))
    if round2_open:
        pending = [t for t in case.get("tasks") or [] if t["element_id"] == ROUND2_SCORING]
        scored = {"done": len(seats) - len(pending), "all": len(seats)}
        parts.append(Note((Words(N_("Round 2: %(done)s of %(all)s members have submitted their scores. Scores stay "
                                    "sealed until all have."), scored),), "progress"))
    for waiting in scoring.pending_screenings(_notice_record(data)):
        parts.append(Note((Words(N_("%(n)s applicants not admitted are still to be told, by %(d)s")
                                 , {"n": len(waiting["rejected"]), "d": _due_day(waiting["due"])}),), "notice"))
    if results:
        parts.append(_results_table(results, data.get("results_published_on")))
        if results.get("outcome") == "tie":
            parts.append(Note((Words(N_("Tied on total and round 2: the approver chooses.")),), "notice"))
    term = data.get("appointment_term")
    if term:
        parts.append(Note((Words(N_("Term of office: %(a)s – %(b)s"), {"a": term["from"], "b": term["until"]}),)))
    submitted = Note((Words(N_("You have submitted your round-2 scores.")),), "notice")
    post = data.get("post")
    return Panel(title=Words(N_("Exam council")), parts=tuple(parts),
                 subtitle=f"{post} · {data.get('unit')}" if post else "", css="council", page="council",
                 link=Words(N_("Council page")), about=post or "", page_parts=_page_tables(data),
                 case_notes=(submitted,) if ROUND2_SCORING in done and round2_open else ())
