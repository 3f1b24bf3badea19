"""Cases: running them one transaction per command, and reading them.

:class:`CaseService` starts cases, completes, claims and releases tasks, fires timers, cancels,
delivers messages and retries incidents, each as one database transaction made of the one-case
steps of :class:`engine.cases.steps.CaseSteps` (commands across cases: :mod:`engine.cases.case_links`;
retries: :mod:`engine.cases.incidents`); the task projection (:mod:`engine.cases.projection`) keeps
the rows worklists read, :mod:`engine.cases.worklist` says who holds a task,
:mod:`engine.cases.delegation` who may do it for someone else (a substitute) and to whom it may be given, :class:`Reader` answers
every read (lists, a case, a task) with the same rules, :mod:`engine.cases.search` finds the cases
one may see by number, business key or a name typed with or without diacritics, and :mod:`engine.cases.notifications` turns
fired reminder timers into notices.
"""
from engine.cases.records import CaseRecord, Loaded, TaskRow
from engine.cases.runner import CaseService
from engine.cases.views import Page, Reader, TaskLine

__all__ = ["CaseRecord", "Loaded", "TaskRow", "CaseService", "Page", "Reader", "TaskLine"]
