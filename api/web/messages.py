"""Why something was refused, worded for the page in the reader's language — at the edge.

The forms (marshmallow), the engine and the processes say why in English, and some of the
processes' own rules say it in both languages, "vi / en". The engine knows no language and the
processes no web, so it is here, where a page shows a message, that each is worded for the reader:

- marshmallow's default messages are matched by pattern, with their parameters (min, max,
  choices, lengths), to entries of the pages' catalogues;
- the engine's and the processes' common field messages ("unknown unit 'SYT'") likewise;
- a bilingual message gives the reader's half (a list the English half ends with is carried over);
- a refusal (:class:`engine.errors.EngineError`) is worded from its ``code`` (and status), never
  from its English ``message``;
- a refusal on a page with no fields (a panel's button) says the field messages themselves, not
  "see the messages next to the fields";
- flask-wtf's reasons for refusing a form's CSRF token are worded from their known English sentences;
- anything else becomes a generic sentence in the reader's language, followed by the raw text on
  English pages only: a Vietnamese page never shows raw English.
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.errors import EngineError, Invalid

_N = r"(?P<{}>.+?)"  # a bound marshmallow put in a message: a number, a date


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + pattern.replace("MIN", _N.format("min")).replace("MAX", _N.format("max")) + "$")


#: A field message as marshmallow, the engine or a process says it -> the catalogue's entry; the
#: named groups are the entry's parameters. The first that matches the whole message is used.
FIELD_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (_p(re.escape(said)), entry) for said, entry in (
        ("Missing data for required field.", _l("Missing data for required field.")),
        ("Field may not be null.", _l("Field may not be null.")),
        ("Unknown field.", _l("Unknown field.")),
        ("Not a valid number.", _l("Not a valid number.")),
        ("Not a valid integer.", _l("Not a valid integer.")),
        ("Not a valid string.", _l("Not a valid string.")),
        ("Not a valid boolean.", _l("Not a valid boolean.")),
        ("Not a valid date.", _l("Not a valid date.")),
        ("Not a valid datetime.", _l("Not a valid date and time.")),
        ("Not a valid time.", _l("Not a valid time.")),
        ("Not a valid list.", _l("Not a valid list.")),
        ("Not a valid mapping type.", _l("Not a valid group of values.")),
        ("Not a valid email address.", _l("Not a valid email address.")),
        ("Invalid input type.", _l("Not a value of the expected kind.")),
        ("Invalid type.", _l("Not a value of the expected kind.")),
        ("Invalid value.", _l("Not an accepted value.")),
        ("String does not match expected pattern.", _l("Not in the expected format.")),
        ("Special numeric values (nan or infinity) are not permitted.",
         _l("Special numeric values (nan or infinity) are not permitted.")),
        ("required", _l("Required.")),
        ("must not be blank", _l("Must not be blank.")),
        ("must be a JSON object", _l("Must be a JSON object.")),
        ("choose someone other than yourself", _l("Choose someone other than yourself.")),
        ("must not be in the future", _l("Must not be in the future.")),
        ("only cancel is possible", _l("Registration was already extended once: only cancelling is possible.")),
        ("say what hr must change", _l("Say what hr must change.")),
        # substitutes and reassignment (engine.people.substitutes, CaseService.reassign)
        ("must not be before the first day", _l("Must not be before the first day.")),
        ("must not be in the past", _l("Must not be in the past.")),
        ("a user cannot be their own substitute", _l("A user cannot be their own substitute.")),
        ("the substitute's account is deactivated", _l("The substitute's account is deactivated.")),
        ("not a candidate for this task", _l("Not a candidate for this task.")),
    )
] + [
    (_p(r"Must be greater than or equal to MIN and less than or equal to MAX\."),
     _l("Must be greater than or equal to %(min)s and less than or equal to %(max)s.")),
    (_p(r"Must be greater than or equal to MIN\."), _l("Must be greater than or equal to %(min)s.")),
    (_p(r"Must be less than or equal to MAX\."), _l("Must be less than or equal to %(max)s.")),
    (_p(r"Must be greater than MIN\."), _l("Must be greater than %(min)s.")),
    (_p(r"Must be less than MAX\."), _l("Must be less than %(max)s.")),
    (_p(r"Length must be between MIN and MAX\."), _l("Length must be between %(min)s and %(max)s.")),
    (_p(r"Shorter than minimum length MIN\."), _l("At least %(min)s characters or items.")),
    (_p(r"Longer than maximum length MAX\."), _l("At most %(max)s characters or items.")),
    (_p(r"at most MAX characters(?: of text)?"), _l("At most %(max)s characters or items.")),
    (_p(r"Must be one of: (?P<choices>.*)\."), _l("Must be one of: %(choices)s.")),
    (_p(r"one of:? (?P<choices>.*)"), _l("Must be one of: %(choices)s.")),
    (_p(r"unknown unit '(?P<code>.*)'"), _l("There is no unit “%(code)s”.")),
    (_p(r"unknown unit"), _l("Unknown unit.")),
    (_p(r"required, at most MAX characters"), _l("Required, at most %(max)s characters.")),
    (_p(r"unknown user '(?P<name>.*)'"), _l("There is no user “%(name)s”.")),
    (_p(r"not a candidate: (?P<names>.*)"), _l("Not a candidate: %(names)s.")),
    (_p(r"already on or removed from the council: (?P<names>.*)"),
     _l("Already on the council or removed from it: %(names)s.")),
    (_p(r"not marked in round 1: (?P<names>.*)"), _l("Not marked in round 1: %(names)s.")),
    (_p(r"the assessment deadline of (?P<year>\d+) has passed"),
     _l("The assessment deadline of %(year)s has passed.")),
]
_BILINGUAL = re.compile(r"^(?P<vi>[^/]*[^\x00-\x7f][^/]*?) / (?P<en>.+)$", re.S)


def vietnamese() -> bool:
    """Whether the page is read in Vietnamese (the default language)."""
    locale = get_locale()
    return locale is None or locale.language == "vi"


def _unknown(said: str) -> str:
    """A message nobody worded for the page: a sentence in the reader's language; the raw
    text only where the reader reads English."""
    if vietnamese():
        return _("A value is not accepted.")
    return _("A value is not accepted: %(why)s", why=said)


def reader_half(said: str) -> str | None:
    """The reader's half of a "vi / en" message, or None when ``said`` is not one. A list the
    English half ends with (", ".join(...) after a colon) is carried to a Vietnamese half without one."""
    both = _BILINGUAL.match(said.strip())
    if both is None:
        return None
    vi, en = both.group("vi").strip(), both.group("en").strip()
    if not vietnamese():
        return en
    if ":" not in vi and ": " in en:
        vi += en[en.index(": "):]
    return vi


def field_message(said: Any) -> str:
    """One message of a form or of a process's rule about a field, in the reader's language."""
    if not isinstance(said, str):
        return _unknown(str(said))
    for pattern, entry in FIELD_MESSAGES:
        if found := pattern.match(said.strip()):
            return str(entry) % found.groupdict() if found.groupdict() else str(entry)
    half = reader_half(said)
    return half if half is not None else _unknown(said)


def field_errors(details: Any) -> Any:
    """``Invalid.details`` (field -> messages, rows -> fields -> messages) with every message worded
    by :func:`field_message`; the shape, and so the fields the messages stand beside, unchanged."""
    if isinstance(details, dict):
        return {key: field_errors(value) for key, value in details.items()}
    if isinstance(details, (list, tuple)):
        return [field_errors(value) for value in details]
    return field_message(details)


#: A refusal's code -> what the page says; the generic codes of a status come last in :func:`refusal`.
REFUSALS = {
    "case_not_running": _l("The case is no longer in progress; nothing was changed."),
    "task_not_ready": _l("The task is no longer open: it was completed or cancelled meanwhile."),
    "claimed_by_other": _l("Someone else has claimed this task."),
    "stale_case": _l("Someone else changed the case at the same moment; reload the page and try again."),
    "case_not_in_error": _l("The case is not in error; there is nothing to retry."),
    "not_waiting": _l("The case is not waiting for this now."),
    "internal_message": _l("This message is sent by the process itself and cannot be sent from outside; "
                           "nothing was changed."),
    "duplicate_business_key": _l("A case with this business key already exists; no second case was started."),
    "duplicate_planned_child": _l("This step would start two child cases with the same business key; "
                                  "nothing was changed."),
    "too_many_candidates": _l("Too many cases wait for this: give a business key or a case number; "
                              "nothing was sent."),
    "already_exists": _l("It already exists."),
    "already_removed": _l("The file was already removed."),
    "review_exists": _l("The review of this year already exists."),
    "already_reviewed": _l("This talent already has a review for the year."),
    "own_account": _l("You cannot deactivate your own account."),
    "already_generated": _l("This document was already generated; it is among the case's files."),
    "case_error": _l("A step of the process failed; the case is now in error, for an administrator to retry."),
    "case_state_unloadable": _l("The case's stored state cannot be read; an administrator has been told "
                                "through the case's incident."),
    "no_reminders": _l("This case sends no reminders by hand."),
    "reminder_forbidden": _l("This reminder is for hr to send; nothing was sent."),
    "nothing_to_remind": _l("There is nothing open to remind this unit of; nothing was sent."),
    "already_reminded": _l("This unit was already reminded a short while ago; no second reminder was sent."),
    "progress_forbidden": _l("The progress by unit is for hr and the process's managers."),
    "too_large": _l("Too large to be accepted."),
    "unauthorized": _l("Please sign in."),
    "forbidden": _l("You are not allowed to do this."),
    "not_found": _l("There is no such task or case, or it is not yours to see."),
    "conflict": _l("This cannot be done now: the case has moved on. Reload the page."),
    # substitutes and reassignment
    "task_not_delegable": _l("This task belongs to a council seat and is done by its holder in person: a "
                             "substitute may not do it (hr replaces a member through the exam's own step)."),
    "substitute_lacks_role": _l("Only another holder of this role may act for them: the approver's decisions "
                                "pass only to another approver."),
    "may_not_set_substitute": _l("You may set a substitute only for yourself, or, as hr or a unit head, for "
                                 "the people of your units (for someone who also holds a city-wide role, only hr)."),
    "substitute_overlaps": _l("A substitute is already set for some of these days; end it first."),
    "substitute_away": _l("The substitute is away on some of these days: choose someone who is at work then."),
    "absent_stands_in": _l("This person stands in for someone else on some of these days: name that person "
                           "another substitute first."),
    "substitute_ended": _l("This substitution has already ended."),
    "invalid_substitute": _l("The substitute cannot be set: see the messages next to the fields."),
    "may_not_reassign": _l("Only hr, or the head of the task's unit, may give a task to someone else."),
    "not_a_candidate": _l("That person may not do this task: choose one of its candidates."),
    "reason_required": _l("Say why the task is given to someone else."),
    "already_assigned": _l("The task is already theirs."),
}


def refusal(err: EngineError, beside_fields: bool = True) -> str:
    """Why the engine or a process refused, in the reader's language, from the refusal's code.
    ``beside_fields=False`` for a page whose form has no fields to show messages beside (a panel's
    button): there, the messages themselves are the reason."""
    if err.code in REFUSALS:
        return str(REFUSALS[err.code])
    if (isinstance(err, Invalid) or err.status == 422) and err.details and not beside_fields:
        return _("Nothing was done: %(why)s", why=" ".join(_flat(field_errors(err.details))))
    if isinstance(err, Invalid) or err.status == 422:
        return invalid_summary(err)
    generic = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict", 413: "too_large"}
    if err.status in generic:
        return str(REFUSALS[generic[err.status]])
    return _unknown(err.message)


def _flat(worded: Any) -> list[str]:
    """Every message of worded ``details`` (any nesting), once each, in order."""
    if isinstance(worded, dict):
        worded = list(worded.values())
    if isinstance(worded, list):
        return list(dict.fromkeys(said for part in worded for said in _flat(part)))
    return [str(worded)]


def invalid_summary(err: EngineError) -> str:
    """The sentence above a refused form: the messages themselves stand next to their fields; a
    refusal about no field is worded as a field message is."""
    if err.details:
        return _("The form has errors: see the messages next to the fields.")
    return _("The form has errors: %(why)s", why=field_message(err.message))


def bad_json(err: Exception) -> str:
    """That a free-form data field is not a JSON object; the parser's English reason on English pages only."""
    return _("Not a JSON object.") if vietnamese() else _("Not a JSON object: %(why)s", why=str(err))


#: flask-wtf's reasons for refusing a form (``flask_wtf.csrf``), as the reader is told them.
CSRF_REASONS = {
    "The CSRF token is missing.": _l("the form carries no security code"),
    "The CSRF session token is missing.": _l("your session has ended or was signed out"),
    "The CSRF token has expired.": _l("the form is too old"),
    "The CSRF token is invalid.": _l("the form's security code is not valid"),
    "The CSRF tokens do not match.": _l("the form belongs to an earlier session; you have signed in again since"),
    "The referrer header is missing.": _l("the browser did not say which page sent the form"),
    "The referrer does not match the host.": _l("the form was sent from another site"),
}


def csrf_refusal(reason: Any) -> str:
    """Why a form's CSRF token was refused, and what to do, in the reader's language: flask-wtf says
    it in English; an unknown reason gets the same advice, its raw text on English pages only."""
    known = CSRF_REASONS.get(str(reason or "").strip())
    if known is not None:
        return _("The form expired or did not come from this site (%(why)s). Go back, reload the page "
                 "and try again.", why=str(known))
    if vietnamese():
        return _("The form expired or did not come from this site. Go back, reload the page and try again.")
    return _("The form expired or did not come from this site (%(why)s). Go back, reload the page "
             "and try again.", why=str(reason))
