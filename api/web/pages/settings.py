"""The user's own settings page (e-mail address, language, which e-mails), the admin's page for
one user's e-mail, and the admin's view of the e-mail outbox.

Saving goes through ``engine.people.accounts.set_mail_settings``, as the JSON API does
(``PUT /api/v1/me/mail``, ``PUT /api/v1/users/<name>/mail``): a bad address or choice is said beside
its field in the reader's language and nothing is changed; a change is an event on the global
chain. The language chosen is also the pages' language from then on. The outbox page lists the
messages that failed for good (with why) and those still waiting, with a button to send a failed
one again (``engine.mail.retry_failed``).
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from api.web import bp, services
from api.web.session import current_user, roles_required
from engine.errors import Invalid
from engine.mail import mail_counts, retry_failed
from engine.mail.outbox import listing
from engine.people import accounts, directory

NAME = "<name:username>"
#: The choices as the form offers them.
CHOICES = {"immediate": _l("Every e-mail as it happens (new tasks, reminders, escalations) and the morning digest"),
           "digest": _l("Only the morning digest (07:30 on working days)"),
           "off": _l("No e-mail")}
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
KINDS = {"task": _l("New task"), "reminder": _l("Reminder"), "case_reminder": _l("Reminder"),
         "escalation": _l("Escalation"), "digest": _l("Morning digest")}
STATUSES = {"queued": _l("Waiting"), "sent": _l("Sent"), "failed": _l("Failed")}


def _problems(details: dict[str, Any], typed: str) -> dict[str, str]:
    """Why the settings were refused, per field, in the reader's language."""
    non_ascii = accounts.NON_ASCII_LOCAL in (details.get("email") or ())
    said = {"email": _("“%(value)s” cannot be used: write the part before @ without accents, as your mail "
                       "server knows it (e.g. nguyen.an@…).", value=typed) if non_ascii
            else _("“%(value)s” is not an e-mail address.", value=typed),
            "language": _("Choose Vietnamese or English."),
            "notify": _("Choose one of the e-mail choices offered.")}
    return {field: said.get(field, _("This value cannot be used.")) for field in details}


def _settings_form(username: str, own: bool) -> Any:
    """Show (GET) or save (POST) ``username``'s e-mail settings."""
    with services().store.read() as db:
        user = directory.describe_user(db, directory.get_user(db, username))
    if request.method == "GET":
        return render_template("web/settings.html", user=user, own=own, choices=CHOICES, languages=LANGUAGE_NAMES,
                               problems={}, typed=user)
    typed = {"email": (request.form.get("email") or "").strip(), "language": request.form.get("language") or "",
             "notify": request.form.get("notify") or ""}
    try:
        with services().store.transaction() as db:
            changed = accounts.set_mail_settings(
                db, directory.get_user(db, username), current_user().username,  # type: ignore[union-attr]
                email=typed["email"] or None, clear_email=not typed["email"],
                language=typed["language"] or None, notify=typed["notify"] or None)
    except Invalid as err:
        problems = _problems(err.details or {}, typed["email"])
        flash(_("Nothing was saved: correct what is marked below."), "error")
        return render_template("web/settings.html", user=user, own=own, choices=CHOICES, languages=LANGUAGE_NAMES,
                               problems=problems, typed=typed), 422
    if own and typed["language"]:
        session["lang"] = typed["language"]
    if not changed:
        said = _("Nothing changed.")
    elif own:
        said = _("Your settings are saved.")
    else:
        said = _("The e-mail settings of %(user)s are saved.", user=username)
    flash(said, "info")
    return redirect(url_for("web.own_settings") if own else url_for("web.user_mail_settings", username=username))


@bp.route("/account/settings", methods=["GET", "POST"])
def own_settings() -> Any:
    return _settings_form(current_user().username, own=True)  # type: ignore[union-attr]


@bp.route(f"/admin/users/{NAME}/mail", methods=["GET", "POST"])
@roles_required("admin")
def user_mail_settings(username: str) -> Any:
    return _settings_form(username, own=False)


@bp.get("/admin/mail")
@roles_required("admin")
def mail_outbox() -> Any:
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    with services().store.read() as db:
        counts, items = mail_counts(db), listing(db, status)
    return render_template("web/mail_outbox.html", counts=counts, items=items, status=status, kinds=KINDS,
                           statuses=STATUSES)


@bp.post("/admin/mail/<int:message_id>/retry")
@roles_required("admin")
def mail_retry(message_id: int) -> Any:
    with services().store.command() as conn:
        retried = retry_failed(conn, message_id)
    flash(_("The message is queued again.") if retried else _("That message has not failed: nothing to do."), "info")
    return redirect(url_for("web.mail_outbox"))
