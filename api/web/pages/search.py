"""Search (``/search?q=``): cases by number ("#12" or "12"), business key or a person's name, and
talents of the registry by name — with or without diacritics ("nguyen" finds "Nguyễn").

Cases come from :func:`engine.cases.search.find_cases`, which lists only cases the reader may see
(the ``Reader``'s own rule, the one the case list and the case page use) and matches names in the
case data only as the process lets this reader see it. Talents come from
:func:`workflows.programme.registry.find_talents` within the reader's part of the registry
(``talent.talent_scope``): everyone for hr, approvers, auditors and admins, a unit head's units for a
unit head, none for anyone else — who still finds their own cases. The search box is in every page's
header (``base.html``); a GET form, so results can be bookmarked and the back button works. Each
list stops at ``LIMIT`` (50) and then says that only the first are shown, so a common name
("Nguyễn") is never mistaken for the whole answer.
"""
from __future__ import annotations

from typing import Any

from flask import render_template, request

from api.web import bp, services
from api.web.pages.talent import talent_scope
from api.web.pages.worklist import process_names
from api.web.session import current_user
from engine.cases.search import LIMIT, find_cases, search_key
from engine.errors import Forbidden
from workflows.programme import registry

#: A longer query is cut: nobody's name or case key is longer, and it keeps the scan cheap.
MAX_QUERY = 100


@bp.get("/search")
def search_page() -> Any:
    svc, actor = services(), current_user()
    typed = "".join(c for c in (request.args.get("q") or "") if c.isprintable() or c.isspace())  # no NUL for the database
    query = " ".join(typed.split())[:MAX_QUERY]
    cases: list[dict[str, Any]] = []
    talents: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    if query:
        try:
            within = talent_scope(actor)
        except Forbidden:
            within = []  # no part of the registry is theirs: cases only
        with svc.store.read() as db:
            names = process_names(db)
            cases = find_cases(svc.reader, db, actor, query, limit=LIMIT + 1)
            if within != [] and len(search_key(query)) >= 2:
                talents = registry.find_talents(db.connection(), search_key(query), within=within, limit=LIMIT + 1)
    # both lists stop at LIMIT: one more is asked for, so "only the first are shown" is said only when
    # there are more, rather than a common name looking like a complete answer
    return render_template("web/search.html", query=query, cases=cases[:LIMIT], talents=talents[:LIMIT],
                           process_names=names, limit=LIMIT, cases_cut=len(cases) > LIMIT,
                           talents_cut=len(talents) > LIMIT)
