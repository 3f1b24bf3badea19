"""The reader's reminders and escalations on a page: the list, newest first, and marking them read.

Reminders were only in the JSON API (``/api/v1/me/notifications``); a unit head who never opens the
API never saw one. This page reads and marks them with the same engine functions
(:mod:`engine.cases.notifications`: ``list_for``, ``mark_read``, ``mark_all_read``), so what a page
marks read is read in the API too, and a role's notification read by one holder is read for all of
them, as the API says. The header's unread count is ``unread_count`` (``api.web.layout``).
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from sqlalchemy import select

from api.web import bp, services
from api.web.i18n import kept_words, lang
from api.web.session import current_user, safe_next
from engine.cases import notifications
from engine.errors import EngineError
from engine.store.models import Task

PER_PAGE = 20


def _page_number() -> int:
    """``?page=N``; anything else is the first page (a typed URL never makes a 500 or a 422 page)."""
    try:
        number = int(request.args.get("page", 1))
    except ValueError:
        return 1
    return number if 1 <= number <= 10**6 else 1


@bp.app_template_filter("notice_message")
def notice_message(note: dict[str, Any]) -> str:
    """A notification in the reader's language: a reminder sent by hand keeps its words (a process's
    message id and values, ``engine.cases.reminders``); a timer's reads as its diagram names it."""
    return kept_words(lang(), (note.get("data") or {}).get("words"), str(note["message"]))


@bp.get("/notifications")
def notifications_page() -> Any:
    unread_only = request.args.get("unread") == "1"
    with services().store.read() as session:
        page = notifications.list_for(session, current_user(), unread=unread_only, page=_page_number(),
                                      per_page=PER_PAGE)
        unread = notifications.unread_count(session, current_user())
        # a task link only while the task is still open: a reminder outlives the task it was about
        task_ids = {n["task_id"] for n in page["items"] if n["task_id"]}
        ready = set(session.scalars(select(Task.id).where(Task.id.in_(task_ids), Task.status == "ready"))) \
            if task_ids else set()
    for note in page["items"]:
        note["task_ready"] = note["task_id"] in ready
    pages = max(1, -(-page["total"] // PER_PAGE))
    return render_template("web/notifications.html", page=page, pages=pages, unread=unread,
                           unread_only=unread_only)


@bp.post("/notifications/<int(max=9223372036854775807):notification_id>/read")
def notification_read(notification_id: int) -> Any:
    """Mark one read and go back to where the reader was (the list, at its page)."""
    try:
        with services().store.transaction() as session:
            notifications.mark_read(session, current_user(), notification_id)
    except EngineError:  # another's notification, or none: the same words either way (nothing is revealed)
        flash(_("There is no such notification of yours."), "error")
    return redirect(safe_next(request.form.get("next") or url_for("web.notifications_page")))


@bp.post("/notifications/read")
def notifications_all_read() -> Any:
    with services().store.transaction() as session:
        marked = notifications.mark_all_read(session, current_user())
    flash(_("%(n)s notifications marked read.", n=marked), "ok")
    return redirect(url_for("web.notifications_page"))
