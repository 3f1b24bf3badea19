"""The frame around every page: who is signed in, the navigation, the language switch.

Every template extends one layout whose header shows the signed-in user, the
menu of pages this user may open and a switch between Vietnamese and English.
What the layout needs is put into every template here (a context processor), so
page views pass only their own data. The menu only hides what a role cannot
use; each page still checks the role itself (``session.roles_required``). The
language switch works signed out too (the sign-in page has it), and sends the
reader back to a page of this site only (``session.safe_next``).
"""
from __future__ import annotations

from typing import Any

from flask import redirect, request, session
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from api.web import bp, services
from api.web.i18n import LANGUAGES, lang
from api.web.session import READERS, current_user, safe_next
from engine.cases.notifications import unread_count


@bp.app_context_processor
def _layout() -> dict[str, Any]:
    actor = current_user()
    items = []
    if actor is not None:
        items = [("web.worklist", _l("My work")), ("web.cases", _l("Cases"))]
        if actor.roles - {"auditor"}:
            items.append(("web.new_case", _l("Start a case")))
        if actor.is_any(*READERS) or "unit_head" in actor.roles:  # a unit head: their units' figures
            items.append(("web.dashboard", _l("Dashboard")))
            items.append(("web.talents", _l("Talents")))
        if actor.is_any("auditor", "admin"):
            items.append(("web.audit_verify", _l("Audit")))
        if actor.is_any("admin"):
            items.append(("web.accounts_page", _l("Accounts")))
            items.append(("web.migrations_page", _l("Case versions")))
    return {"me": actor, "page_lang": lang(), "nav_items": items, "unread_notes": _unread(actor)}


def _unread(actor: Any) -> int | None:
    """The header's unread count (one COUNT). None when it cannot be read: the error page of a
    database outage must still render, without the count, rather than fail itself."""
    if actor is None:
        return None
    try:
        with services().store.read() as db:
            return unread_count(db, actor)
    except SQLAlchemyError:
        return None


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    """Remember the reader's language in the session (an unknown code changes nothing) and go back."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))
