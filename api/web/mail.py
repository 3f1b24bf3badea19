"""What each e-mail says: the outbox row's words in the recipient's language, text and HTML.

The engine sends (``engine.mail``) and knows no words; this module is the ``compose`` it is given.
Every word is a message of the pages' catalogues (``translations/*/messages.po``, Vietnamese first),
read with the in-memory reader the charts use (:func:`api.web.i18n.catalogue`), since mail is
composed in a timer executor's thread, outside any request. Deadlines read as the last day they
allow, as on the pages (:func:`api.web.formats.deadline_local`); links go to ``BASE_URL``. A reminder
hr sends by hand (``case_reminder``) is about no one task: it says the process's own words, as
``/notifications`` shows them, and links to the recipient's worklist.
"""
from __future__ import annotations

from email.message import EmailMessage
from html import escape
from typing import Any, Callable, Mapping

from api.web.formats import deadline_local
from api.web.i18n import CATALOGUES, LANGUAGES, catalogue, kept_words
from engine.mail import MailSender, SmtpSettings, build_message
from engine.time.executor import executor_name


def _task_line(data: Mapping[str, Any]) -> str:
    line = data.get("task_name") or ""
    if data.get("subject"):
        line += f" — {data['subject']}"
    return line


def _case_line(data: Mapping[str, Any], gettext: Callable[[str], str]) -> str:
    return gettext("Case #%(id)s") % {"id": data.get("case_id")} + (
        f" ({data['business_key']})" if data.get("business_key") else "")


def compose(row: Any, base_url: str) -> EmailMessage:
    """The e-mail of an outbox row (subject, plain text and HTML), in the row's language."""
    tr = catalogue(CATALOGUES, row.language if row.language in LANGUAGES else "vi")
    data, base = row.data or {}, base_url.rstrip("/")
    greeting = tr.gettext("Dear %(name)s,") % {"name": data.get("to_name") or ""}
    footer = tr.gettext("You receive this e-mail from talentflow. Choose which e-mails you get: %(url)s") % {
        "url": f"{base}/account/settings"}
    if row.kind == "digest":
        return _digest(row, data, base, tr.gettext, greeting, footer)
    if row.kind == "case_reminder":
        return _case_reminder(row, data, base, tr.gettext, greeting, footer)
    lead, title = {
        "task": (tr.gettext("A task is waiting for you:"), tr.gettext("New task: %(task)s")),
        "reminder": (tr.gettext("A reminder about a task that is due:"), tr.gettext("Reminder: %(task)s")),
        "escalation": (tr.gettext("A task is overdue and is escalated to you:"), tr.gettext("Overdue: %(task)s")),
    }.get(row.kind, (tr.gettext("A task is waiting for you:"), tr.gettext("New task: %(task)s")))
    task = _task_line(data)
    link = f"{base}/tasks/{row.task_id}"
    facts = [task, _case_line(data, tr.gettext)]
    if data.get("due_at"):
        facts.append(tr.gettext("Due: %(when)s") % {"when": deadline_local(data["due_at"])})
    open_it = tr.gettext("Open the task")
    text = "\n".join([greeting, "", lead, "", *facts, "", f"{open_it}: {link}", "", "-- ", footer]) + "\n"
    html = (f"<p>{escape(greeting)}</p><p>{escape(lead)}</p><p><strong>{escape(task)}</strong><br>"
            + "<br>".join(escape(f) for f in facts[1:])
            + f'</p><p><a href="{escape(link)}">{escape(open_it)}</a></p><hr><p><small>{escape(footer)}</small></p>')
    return build_message(title % {"task": data.get("task_name") or ""}, text, _page(html, row.language))


def _digest(row: Any, data: Mapping[str, Any], base: str, gettext: Callable[[str], str], greeting: str,
            footer: str) -> EmailMessage:
    tasks = data.get("tasks") or []
    day = deadline_local(data.get("day") or "")
    overdue = sum(1 for t in tasks if t.get("overdue"))
    soon = sum(1 for t in tasks if t.get("due_soon"))
    lead = gettext("You have %(n)s open tasks: %(overdue)s overdue, %(soon)s due soon.") % {
        "n": len(tasks), "overdue": overdue, "soon": soon}
    lines, items = [], []
    for t in tasks:
        mark = gettext("OVERDUE") if t.get("overdue") else gettext("DUE SOON") if t.get("due_soon") else ""
        due = gettext("Due: %(when)s") % {"when": deadline_local(t["due_at"])} if t.get("due_at") else ""
        link = f"{base}/tasks/{t['task_id']}"
        label = _task_line(t)
        parts = [p for p in (f"[{mark}]" if mark else "", label, _case_line(t, gettext), due) if p]
        lines.append("- " + " · ".join(parts) + f"\n  {link}")
        items.append(f'<li>{f"<strong>{escape(mark)}</strong> " if mark else ""}<a href="{escape(link)}">'
                     f"{escape(label)}</a> · {escape(_case_line(t, gettext))}{f' · {escape(due)}' if due else ''}</li>")
    worklist = gettext("Your worklist")
    text = "\n".join([greeting, "", lead, "", *lines, "", f"{worklist}: {base}/", "", "-- ", footer]) + "\n"
    html = (f"<p>{escape(greeting)}</p><p>{escape(lead)}</p><ul>{''.join(items)}</ul>"
            f'<p><a href="{escape(base)}/">{escape(worklist)}</a></p><hr><p><small>{escape(footer)}</small></p>')
    return build_message(gettext("Your tasks on %(day)s") % {"day": day}, text, _page(html, row.language))


def _case_reminder(row: Any, data: Mapping[str, Any], base: str, gettext: Callable[[str], str], greeting: str,
                   footer: str) -> EmailMessage:
    said = kept_words(row.language, data.get("words"), str(data.get("message") or ""))
    case = _case_line(data, gettext)
    lead, worklist = gettext("You are reminded of work still open:"), gettext("Your worklist")
    text = "\n".join([greeting, "", lead, "", said, case, "", f"{worklist}: {base}/", "", "-- ", footer]) + "\n"
    html = (f"<p>{escape(greeting)}</p><p>{escape(lead)}</p><p><strong>{escape(said)}</strong><br>{escape(case)}</p>"
            f'<p><a href="{escape(base)}/">{escape(worklist)}</a></p><hr><p><small>{escape(footer)}</small></p>')
    return build_message(gettext("Reminder on %(case)s") % {"case": case}, text, _page(html, row.language))


def _page(body: str, language: str) -> str:
    return f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8"></head><body>{body}</body></html>'


def mail_sender(store: Any, config: Mapping[str, Any], secret: str) -> MailSender:
    """The sender a timer executor runs, over ``config``'s SMTP settings and words."""
    base_url = str(config.get("BASE_URL") or "http://127.0.0.1:5000")
    return MailSender(store, SmtpSettings.from_config(config), lambda row: compose(row, base_url), secret,
                      name=f"mail:{executor_name()}", max_attempts=int(config.get("MAIL_MAX_ATTEMPTS") or 8))

