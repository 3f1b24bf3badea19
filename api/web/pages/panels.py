"""A process's own view of a case (its panel, e.g. an exam's council), the page it may have, and
the commands its buttons post (a reminder sent by hand, e.g. hr's "Nhắc đơn vị" on a review).

The pages know no process: what a case's panel holds comes from its
process's policy (:meth:`engine.policy.ProcessPolicy.case_panel`), built
from the case data *as the policy shows it to the reader* (``Reader.case_view``),
so a panel never shows what the reader may not see. Its words are message
ids of our catalogues, translated here with the reader's language; its
values read as every data value on the pages does (dates dd/mm/yyyy).

A button of a panel's table (``engine.policy.Action``, command ``remind``) posts
``/cases/<id>/remind`` (CSRF): one step on the case, the engine's ``Reminders.remind`` — the
notification to the reminded people and the ``reminder_requested`` event on the case's chain. A
refusal (not the reader's to send, nothing open, already sent a short while ago, the case ended)
is said above the page in the reader's language and nothing is sent; either way the reader goes
back to the page they clicked on.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.routing import BaseConverter, ValidationError
from markupsafe import Markup, escape

from api.web import bp, services
from api.web.i18n import plain, process_word
from api.web.messages import refusal
from api.web.pages.readable import strings_of
from api.web.session import current_user, safe_next
from engine.errors import EngineError, NotFound
from engine.people.directory import display_names
from engine.policy import Badge, Panel, Words
from workflows import case_pages, policy_for


def panel_of(case: Mapping[str, Any], done: frozenset[str] = frozenset(),
             people: Mapping[str, str] | None = None) -> Panel | None:
    """The panel of ``case`` (a case view); ``done``: element ids of the tasks the reader completed;
    ``people``: the display names of the sign-in names the case holds, given to the process as the
    view's ``people`` so that its panel names people, not accounts."""
    return policy_for(case["process"]).case_panel({**case, "people": dict(people or case.get("people") or {})}, done)


@bp.app_template_filter("words")
def words(said: Words) -> str:
    """A process's words in the reader's language, their values as the pages show data."""
    return process_word(said.text, **{name: plain(value) for name, value in said.values.items()})


@bp.app_template_filter("shown")
def shown(value: Any) -> Markup:
    """One cell of a panel's table: words, a badge, a dash for nothing, else the value as data reads."""
    if value is None:
        return Markup("—")
    if isinstance(value, Words):
        return escape(words(value))
    if isinstance(value, Badge):
        return Markup('<span class="badge badge-{}">{}</span>').format(value.tone, words(value.words))
    return escape(plain(value))


class CasePage(BaseConverter):
    """A page of a case's own that some process declares (``ProcessPolicy.case_pages``): any other
    name matches no route at all, so it is "not found" whoever asks and however."""

    regex = r"[a-z][a-z0-9_]{0,63}"

    def to_python(self, value: str) -> str:
        if value not in case_pages():
            raise ValidationError()
        return value


@bp.record_once
def _register_converter(state: Any) -> None:
    state.app.url_map.converters["case_page"] = CasePage


@bp.get("/cases/<int(max=9223372036854775807):case_id>/<case_page:page>")
def panel_page(case_id: int, page: str) -> Any:
    svc, actor = services(), current_user()
    with svc.store.read() as db:
        case = svc.reader.case_view(db, actor, svc.reader.visible_case(db, actor, case_id))
        people = display_names(db, [s for s in strings_of(case["data"]) if len(s) <= 64])
    panel = panel_of(case, people=people)
    if panel is None or panel.page != page:
        raise NotFound(f"case {case_id} has no {page}")
    return render_template("web/panel.html", case=case, panel=panel)


@bp.post("/cases/<int(max=9223372036854775807):case_id>/remind")
def case_remind(case_id: int) -> Any:
    back = safe_next(request.form.get("next") or url_for("web.case_page", case_id=case_id))
    try:
        sent = services().cases.reminders.remind(current_user(), case_id, request.form.get("target", ""))
    except EngineError as err:
        if err.status == 404:  # a case the reader may not know of stays unknown
            raise
        flash(refusal(err, beside_fields=False), "error")  # a button: no field to show a message beside
    else:
        flash(_("Reminder sent to the unit heads of %(unit)s.", unit=sent["unit"]), "ok")
    return redirect(back)
