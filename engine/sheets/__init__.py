"""Spreadsheets: tables written as Excel workbooks, and task forms filled in as sheets.

:func:`workbook_bytes` (``workbook.py``) writes :class:`Sheet` s of typed :class:`Column` s —
numbers as numbers, days as date cells, a frozen header row — for any export; ``form_sheet.py``
turns a task form that is a list of rows into a template (from its JSON Schema and the
process's form hints) and reads a filled-in one back, naming the row and column of every
problem; :class:`TaskSheets` (``task_sheets.py``) serves a task's template and completes the
task from an uploaded sheet in one normal step, or refuses it whole (:class:`SheetInvalid`).
"""
from engine.sheets.form_sheet import FormField, RowProblem, SheetForm, WrongSheet, sheet_form
from engine.sheets.task_sheets import SheetInvalid, TaskSheets
from engine.sheets.workbook import Column, Sheet, Typed, workbook_bytes

__all__ = ["Column", "Sheet", "Typed", "workbook_bytes", "FormField", "RowProblem", "SheetForm", "WrongSheet",
           "sheet_form", "SheetInvalid", "TaskSheets"]
