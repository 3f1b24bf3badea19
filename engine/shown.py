"""What a process shows people on the pages: its words, badges, panels, form hints and grids.

These are plain values a :class:`engine.policy.ProcessPolicy` returns; the
pages render them without knowing the process. Words are message ids of the
catalogues, marked in the process module and translated by the page, so
neither the engine nor a process imports Flask. Kept apart from the policy
itself so that each module stays one concern a reader can hold in mind.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Union

@dataclass(frozen=True)
class Words:
    """Words people read: ``text`` is a message id of the pages' catalogues and ``values`` fill its
    ``%(name)s`` slots; the page translates the text and formats the values (dates, numbers)."""

    text: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Badge:
    """A short state word in a coloured badge; ``tone`` is one of ok, info, warn, muted, danger."""

    words: Words
    tone: str


@dataclass(frozen=True)
class Row:
    """One row of a :class:`Table`: each cell a value, :class:`Words`, a :class:`Badge` or None
    (shown as a dash); ``css`` names a class of the pages' style sheet (e.g. a highlighted row)."""

    cells: tuple[Any, ...]
    css: str = ""


@dataclass(frozen=True)
class Table:
    """A table of a :class:`Panel`. ``row_header`` is the column that names its row (for screen
    readers), ``numeric`` the columns of figures; ``caption`` is read by screen readers only."""

    columns: tuple[Words, ...]
    rows: tuple[Row, ...]
    heading: Words | None = None
    badge: Badge | None = None
    caption: Words | None = None
    row_header: int | None = None
    numeric: frozenset[int] = frozenset()
    css: str = ""


@dataclass(frozen=True)
class Note:
    """A line of a :class:`Panel` (several words joined by "; "); ``kind`` is "" for plain text,
    ``subject`` for a quiet line, ``notice`` for a warning and ``progress`` for a live status."""

    words: tuple[Words, ...]
    kind: str = ""


@dataclass(frozen=True)
class Action:
    """A button in a cell of a panel's table: one command of the engine on the case, posted by the
    page (``command``: ``remind``, :meth:`ProcessPolicy.reminder`) about ``target`` (e.g. a unit's
    code); ``words`` is the button, ``label`` its name for screen readers (which row it acts on)."""

    command: str
    target: str
    words: Words
    label: Words | None = None


@dataclass(frozen=True)
class Reminder:
    """A reminder a person sends by hand on a case (a timer's are in the diagram): to the holders of
    ``role`` in the unit ``unit`` (a code) and the units above it that hold the role there.
    ``message`` is the plain text the API lists, ``words`` what the pages show in the reader's
    language, ``data`` what the notification and the case's history keep besides."""

    role: str
    unit: str
    message: str
    words: Words
    data: Mapping[str, Any] = field(default_factory=dict)


Part = Union[Table, Note]


@dataclass(frozen=True)
class Panel:
    """A process's own view of one case (e.g. a council's work), shown beside the case data on the
    case and task pages, and alone on its own page at ``/cases/<id>/<page>`` when ``page`` is set.

    ``about`` follows the title in that page's heading; ``page_parts`` show on that page only,
    ``case_notes`` on the case page only (e.g. a note about what the reader has done)."""

    title: Words
    parts: tuple[Part, ...]
    subtitle: str = ""
    css: str = ""
    page: str | None = None
    link: Words | None = None
    about: str = ""
    page_parts: tuple[Part, ...] = ()
    case_notes: tuple[Note, ...] = ()


@dataclass
class FormHints:
    """How a page lays out one form for one case beyond what its schema says: pre-filled values
    (e.g. one row per candidate), choices limited to the case (by field, ``rows.column`` for a
    column), columns of rows people may not change, and a note under each row's first cell
    (``note_headers``: what the notes of a list are, a message id, e.g. the candidate's name — it
    heads their column when the form is offered as a spreadsheet, ``engine/sheets``)."""

    values: dict[str, Any] = field(default_factory=dict)
    choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    fixed: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    note_headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GridSpec:
    """A user task people do many of at once, one per subject (e.g. one assessment per talent), offered
    on one page: each open instance the reader may do is a row, saved on its own through the normal
    task completion (same checks, same event, one step per row). ``fields``: the form's top-level, flat
    fields (no lists, no files) that are the row's inputs, in order (a field left out takes the form's
    default). Message ids: ``title`` heads the page, ``subject`` the column naming each row's subject,
    ``facts`` what a row shows about it (:meth:`ProcessPolicy.grid_row`), and ``progress`` says how far
    the reader's scope has come with ``%(done)s`` and ``%(total)s`` (e.g. "12/34 assessed")."""

    title: str
    fields: tuple[str, ...]
    subject: str
    progress: str
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class GridRow:
    """What one row of a grid says about its subject: ``name`` (sorted by), ``unit`` (a unit code,
    shown by the unit's name and sorted by) and one cell per :attr:`GridSpec.facts` (a value,
    :class:`Words` or None, as the cells of a :class:`Table`)."""

    name: str
    unit: str | None = None
    facts: tuple[Any, ...] = ()
