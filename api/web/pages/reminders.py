"""A reminder sent from a page: the button of a process's panel (``engine.policy.Action``,
command ``remind``) posts here, and the engine sends it (``engine.cases.reminders``).

One POST (CSRF) is one step on the case: the notification to the reminded people and the
``reminder_requested`` event on the case's chain. A refusal (not the reader's to send, nothing
open, already sent a short while ago, the case ended) is said above the page in the reader's
language and nothing is sent; either way the reader goes back to the page they clicked on.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from api.web import bp, services
from api.web.messages import refusal
from api.web.session import current_user, safe_next
from engine.errors import EngineError


@bp.post("/cases/<int(max=9223372036854775807):case_id>/remind")
def case_remind(case_id: int) -> Any:
    back = safe_next(request.form.get("next") or url_for("web.case_page", case_id=case_id))
    try:
        sent = services().cases.reminders.remind(current_user(), case_id, request.form.get("target", ""))
    except EngineError as err:
        if err.status == 404:  # a case the reader may not know of stays unknown
            raise
        flash(refusal(err), "error")
    else:
        flash(_("Reminder sent to the unit heads of %(unit)s.", unit=sent["unit"]), "ok")
    return redirect(back)
