"""A sheet shown back for review before it completes its task: the first submit checks, the confirm completes.

A sheet — a form that is one list of rows: forty written marks, a screening of forty applicants,
the notices to those not admitted — is submitted once and cannot be taken back: the marks go to the
case and the process moves on. So its first submit is checked exactly as the completion would check
it (:meth:`engine.cases.CaseService.check`: the actor, the form, the files named, the process's own
rule) and, when nothing is wrong, shown back read-only — each row, the counts — with "Gửi" and
"Sửa lại". What was checked travels in one hidden field, signed with the app's secret for this task
and this person (the draft): nothing is kept on the server and nothing is written to the case before
the confirm. The confirm completes the task with the draft's data, which the completion validates
again; a draft that was changed, or is another task's or another person's, is refused. "Sửa lại"
shows the form again with everything typed. The JSON API is unchanged: its completion is one call.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from api.web.i18n import title_of
from api.web.pages import formfields
from engine.policy import FormHints
from engine.sheets import sheet_form

DRAFT = "_draft"
_SALT = "talentflow.sheet-review"


def is_sheet(schema: Mapping[str, Any]) -> bool:
    """Whether the form is a sheet (one list of rows and nothing else it requires), reviewed first."""
    return sheet_form(schema, FormHints()) is not None


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def sign(task_id: str, username: str, data: Mapping[str, Any]) -> str:
    """The checked data as the draft the review page carries."""
    return _signer().dumps({"task": task_id, "user": username, "data": dict(data)})


def opened(draft: str, task_id: str, username: str) -> dict[str, Any] | None:
    """The data of a draft signed for this task and this person, or None for anything else."""
    try:
        found = _signer().loads(draft)
    except BadSignature:
        return None
    if not isinstance(found, dict) or found.get("task") != task_id or found.get("user") != username or \
            not isinstance(found.get("data"), dict):
        return None
    return found["data"]


def shown_rows(data: Mapping[str, Any]) -> dict[str, list[int]]:
    """A draft holds no blank rows: data row i is row i on the page."""
    return {key: list(range(len(value))) for key, value in data.items() if isinstance(value, list)}


@dataclass
class Count:
    """One count under a reviewed list: how many rows say ``value`` in ``label``'s column."""

    label: str
    value: str
    n: int


@dataclass
class ReviewedList:
    """One list of the sheet as read back: its columns, each row's cells as text, and the counts."""

    title: str
    columns: list[str]
    rows: list[tuple[str, list[str]]]  # (the row's note, e.g. the candidate's name, or ""; cells)
    counts: list[Count] = field(default_factory=list)
    note_header: str = ""  # what the notes are, in the reader's language, "" when the process says not

    @property
    def noted(self) -> bool:
        return any(note for note, _cells in self.rows)


@dataclass
class Review:
    lists: list[ReviewedList]
    fields: list[tuple[str, str]]  # the form's other fields: (label, value as text)
    draft: str


def _text(cell: formfields.Input) -> str:
    """A cell as the reader reads it: a choice by its words, a tick as yes or no, a number in the
    reader's locale, a day dd/mm/yyyy (already so in the input), a kept file by its name."""
    from flask_babel import gettext as _

    from api.web.i18n import plain

    if cell.kind == "checkbox":
        return _("yes") if cell.value else _("no")
    if cell.kind == "file":
        return cell.value["name"] if cell.value else "—"
    if cell.kind in ("number", "integer") and str(cell.value).strip():
        try:
            return plain(float(cell.value)) if cell.kind == "number" else str(int(cell.value))
        except ValueError:
            return str(cell.value)
    return cell.text or "—"


def _counts(rows: list[list[formfields.Input]]) -> list[Count]:
    """For each yes/no column, how many are ticked and not; for each column of choices, how many of each."""
    from flask_babel import gettext as _

    out: list[Count] = []
    if not rows:
        return out
    for c, first in enumerate(rows[0]):
        if first.readonly or first.kind not in ("checkbox", "select", "radio") or first.node.get("x-choices"):
            continue
        said = Counter(_text(row[c]) for row in rows)
        order = [_("yes"), _("no")] if first.kind == "checkbox" else [text for _v, text in first.options]
        out += [Count(title_of(first.node, first.key), value, said[value]) for value in order if said[value]]
    return out


def review(task_id: str, username: str, schema: Mapping[str, Any], data: Mapping[str, Any], hints: FormHints,
           choices: Mapping[str, list[tuple[str, str]]], shown: Mapping[str, Any] | None = None) -> Review:
    """The checked ``data`` read back as the form lays it out (the same choices, fixed cells, notes);
    ``shown``: the same data with each kept file's name (``taskfiles.shown``), to read it by."""
    from api.web.i18n import process_word

    built = formfields.build(schema, shown if shown is not None else data, choices=choices, fixed=hints.fixed,
                             notes=hints.notes)
    lists, others = [], []
    for f in built:
        if isinstance(f, formfields.RowList):
            rows = [(f.notes[i] if i < len(f.notes) else "", [_text(cell) for cell in row])
                    for i, row in enumerate(f.rows)]
            header = hints.note_headers.get(f.name)
            lists.append(ReviewedList(title_of(f.node, f.name), [title_of(n, k) for k, n, _r in f.columns], rows,
                                      _counts(f.rows), process_word(header) if header and f.notes else ""))
        elif f.kind != "json":
            others.append((title_of(f.node, f.name), _text(f)))
    return Review(lists, others, sign(task_id, username, data))
