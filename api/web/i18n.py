"""Languages and how things read: Vietnamese by default, English on request.

The message catalogues (``api/web/translations/<lang>/LC_MESSAGES/messages.po``)
are compiled to ``.mo`` when the app starts, into the instance folder, so a
fresh checkout needs no build step. The processes' own words (end states,
events, panels) are in the processes' catalogues (``workflows.catalogue_dirs``,
read by :func:`process_word`), so a new process brings its words with it. Form
labels come with the forms (their Vietnamese ``title`` and English
``x-title-en``). Dates read dd/mm/yyyy in the city's zone, whatever the language.
"""
from __future__ import annotations

import os
import re
import tempfile
from datetime import date, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any, Mapping

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, session
from flask_babel import Babel, get_locale
from flask_babel import lazy_gettext as _l

from api.web.formats import DAY_PATTERN, day_typed, deadline_local, decimal_text, number, number_typed, percent
from engine.time.clock import CITY_ZONE
from workflows import catalogue_dirs, event_labels, role_labels, status_labels, status_tones
from workflows.programme import registry

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
CATALOGUES = Path(__file__).resolve().parent / "translations"

#: The engine's statuses of cases (and "ready" of tasks) and how they read. A process's end states
#: read as its policy says (``status_labels``), a talent's as the registry says.
STATUSES = {
    "running": _l("In progress"), "completed": _l("Completed"), "cancelled": _l("Cancelled"), "error": _l("Error"),
    "ready": _l("To do"),
}
#: Status -> badge colour class (then the process's or the registry's tones, then :func:`tone`'s rule).
TONES = {"running": "info", "ready": "info", "error": "danger", "cancelled": "muted", "completed": "ok"}
#: The engine's event types; a process's own events read as its policy says (``event_labels``).
EVENTS = {
    "case_started": _l("Case started"), "task_created": _l("Task created"), "task_claimed": _l("Task claimed"),
    "task_released": _l("Task released"), "task_completed": _l("Task completed"),
    "task_cancelled": _l("Task cancelled"), "timer_fired": _l("Deadline reached (timer)"),
    "case_completed": _l("Case ended"), "case_cancelled": _l("Case cancelled"), "case_failed": _l("Case failed"),
    "case_retried": _l("Case retried"), "child_starts_planned": _l("Child cases planned"),
    "children_started": _l("All child cases started"),
    "child_starts_failed": _l("Some child cases could not start"),
    "child_starts_skipped": _l("Child cases that could not start were skipped"), "role_granted": _l("Role granted"),
    "role_revoked": _l("Role revoked"),
    "file_attached": _l("File attached"), "file_removed": _l("File removed"), "comment_added": _l("Comment added"),
    "document_signed": _l("Signed copy verified"), "reminder_requested": _l("Reminder sent"),
    "task_reassigned": _l("Task reassigned"), "message_received": _l("Message received"),
    "signal_received": _l("Signal received"), "message_not_delivered": _l("Message not delivered (not waiting)"),
    "case_migrated": _l("Moved to another process version"),
    # the global chain's (the audit page): people, deployments, the yearly figures
    "substitute_set": _l("Substitute set"), "substitute_ended": _l("Substitute ended"),
    "process_deployed": _l("Process deployed"), "tokens_revoked": _l("Sign-ins revoked"),
    "user_deactivated": _l("Account deactivated"), "user_reactivated": _l("Account reactivated"),
    "mail_settings_changed": _l("Mail settings changed"), "password_changed": _l("Password changed"),
    "password_reset": _l("Password reset"), "figures_entered": _l("Yearly figures entered"),
}
#: The roles granted to people (DOMAIN.md); the roles a process grants on its cases (a council's
#: seats) read as its policy says (``role_labels``).
ROLES = {
    "admin": _l("Administrator"), "hr_officer": _l("HR officer"), "unit_head": _l("Unit head"),
    "nominator": _l("Nominator"), "approver": _l("Approver"), "auditor": _l("Auditor"),
}


def compile_catalogues(target: Path) -> Path:
    """Compile every ``.po`` newer than its ``.mo`` into ``target`` (atomic: servers start together)."""
    for po in CATALOGUES.glob("*/LC_MESSAGES/*.po"):
        mo = target / po.relative_to(CATALOGUES).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parts[-3])
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog)
        os.replace(tmp, mo)
    return target


@lru_cache(maxsize=64)
def catalogue(directory: Path, language: str) -> NullTranslations:
    """The catalogue of ``language`` under ``directory``, compiled in memory (no app needed: the
    charts draw outside requests); none — the English words themselves — where there is none."""
    po = directory / language / "LC_MESSAGES" / "messages.po"
    if not language.isalpha() or not po.is_file():
        return NullTranslations()
    with po.open("rb") as source:
        compiled = BytesIO()
        write_mo(compiled, read_po(source, locale=language))
    compiled.seek(0)
    return Translations(compiled)


def process_word(message: str, **values: Any) -> str:
    """A word a process marked with ``N_``, in the reader's language: from the processes'
    catalogues first, then the pages' own (a word both use, e.g. "Full name")."""
    return process_word_in(lang(), message, values)


def process_word_in(language: str, message: str, values: Mapping[str, Any] | None = None) -> str:
    """:func:`process_word` in ``language``, outside any request too: an e-mail is composed in a
    timer executor's thread, in its recipient's language, not the page's."""
    for directory in (*catalogue_dirs(), CATALOGUES):
        translated = catalogue(directory, language).gettext(message)
        if translated != message:
            return translated % values if values else translated
    return message % values if values else message


def kept_words(language: str, said: Any, fallback: str) -> str:
    """Words a process kept with a row (``{"text": message id, "values": {...}}``: a reminder sent by
    hand, ``engine.cases.reminders``) in ``language``, the values as data reads (a day dd/mm/yyyy, a
    decimal with the language's sign) — one rule for ``/notifications`` and the e-mail, so both say
    the same; ``fallback`` (the stored text) when there are none or the values do not fit."""
    if isinstance(said, dict) and isinstance(said.get("text"), str) and isinstance(said.get("values") or {}, dict):
        values = {key: decimal_text(value, language) if isinstance(value, float) else plain(value)
                  for key, value in (said.get("values") or {}).items()}
        try:
            return process_word_in(language, said["text"], values)
        except (KeyError, TypeError, ValueError):  # words whose values do not fit: the stored text
            pass
    return fallback


def select_locale() -> str:
    """The language the reader chose (``layout.set_language`` keeps it in the session), else Vietnamese."""
    lang = session.get("lang")
    return lang if lang in LANGUAGES else DEFAULT


def lang() -> str:
    """This request's language code (``vi`` or ``en``), for what is not in the catalogues."""
    return str(get_locale() or DEFAULT)


def init_app(app: Flask) -> None:
    compiled = compile_catalogues(Path(app.instance_path) / "translations")
    Babel(app, locale_selector=select_locale, default_locale=DEFAULT, default_timezone=str(CITY_ZONE),
          default_translation_directories=str(compiled))
    app.jinja_env.filters.update(date_local=date_local, datetime_local=datetime_local, time_left=time_left,
                                 status_label=status_label, tone=tone, event_label=event_label,
                                 title_of=title_of, help_of=help_of, enum_label=enum_label, role_label=role_label,
                                 percent=percent, plain=plain, number=number, deadline_local=deadline_local,
                                 day_typed=day_typed, number_typed=number_typed)
    app.jinja_env.globals["day_pattern"] = DAY_PATTERN  # what a date input accepts (formats.parse_day)


def _aware(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    return value


def date_local(value: Any) -> str:
    """dd/mm/yyyy; a moment is first put in the city's zone."""
    value = _aware(value)
    if isinstance(value, datetime):
        return value.astimezone(CITY_ZONE).strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def datetime_local(value: Any) -> str:
    value = _aware(value)
    if isinstance(value, datetime):
        return value.astimezone(CITY_ZONE).strftime("%d/%m/%Y %H:%M")
    return date_local(value)


def time_left(seconds: int | None) -> str:
    """"3 days 4 h left" or "overdue by 2 days", to the hour (deadlines are days, not minutes)."""
    from flask_babel import gettext as _

    if seconds is None:
        return ""
    late, span = seconds < 0, abs(int(seconds))
    days, hours = span // 86400, (span % 86400) // 3600
    if days:
        amount = _("%(d)s d %(h)s h", d=days, h=hours) if hours else _("%(d)s d", d=days)
    elif hours:
        amount = _("%(h)s h", h=hours)
    else:
        amount = _("%(m)s min", m=max(1, span // 60))
    return _("overdue by %(amount)s", amount=amount) if late else _("%(amount)s left", amount=amount)


def status_label(status: str | None) -> str:
    """A case's, task's or talent's status in the reader's language; an unknown one as it is."""
    key = status or ""
    if key in STATUSES:
        return str(STATUSES[key])
    words = status_labels().get(key) or registry.TALENT_STATUSES.get(key)
    return process_word(words) if words else key


def tone(status: str | None) -> str:
    key = status or ""
    return TONES.get(key) or status_tones().get(key) or registry.TALENT_STATUS_TONES.get(key) or \
        ("warn" if key.startswith(("rejected", "not_", "cancelled")) else "info")


def event_label(event_type: str) -> str:
    if event_type in EVENTS:
        return str(EVENTS[event_type])
    words = event_labels().get(event_type)
    return process_word(words) if words else event_type.replace("_", " ")


def role_label(role: str) -> str:
    if role in ROLES:
        return str(ROLES[role])
    words = role_labels().get(role)
    return process_word(words) if words else role


def title_of(node: Mapping[str, Any] | None, fallback: str = "") -> str:
    """A form's or field's label in the page's language (the forms carry both)."""
    if not node:
        return fallback
    if lang() == "en" and node.get("x-title-en"):
        return str(node["x-title-en"])
    return str(node.get("title") or node.get("x-title-en") or fallback)


def help_of(node: Mapping[str, Any] | None) -> str:
    if not node:
        return ""
    if lang() == "en" and node.get("x-description-en"):
        return str(node["x-description-en"])
    return str(node.get("description") or "")


def enum_label(node: Mapping[str, Any], value: Any) -> str:
    labels = (node.get("x-enum-labels") or {}).get(value) or {}
    return str(labels.get(lang()) or labels.get("vi") or value)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def plain(value: Any) -> str:
    """A data value as people read it: dates dd/mm/yyyy (city time), 80.0 as 80, 71.5 as the reader
    writes it (71,5 in Vietnamese)."""
    if isinstance(value, float):
        return decimal_text(value)
    if isinstance(value, (datetime, date)):
        return datetime_local(value) if isinstance(value, datetime) else date_local(value)
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return date_local(value)
        if _ISO_MOMENT.match(value):
            return datetime_local(value)
    return "" if value is None else str(value)
