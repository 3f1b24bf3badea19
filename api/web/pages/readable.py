"""A case as people read it: labels for its data's keys and codes, names for its people and elements.

The data of a case is keyed as the forms and scripts wrote it (``priority_field``,
``science_technology``, ``member1``) and its history names elements by id
(``registration_closes``). Nobody should have to read that. Everything needed to say
it properly is already declared elsewhere, so this module only looks it up:

- a key a form fills is labelled by that form's own field label, and a choice by the
  form's label for it (the JSON Schema of the process's start form and of every task
  form of its diagram version, :func:`workflows.form_schema`);
- any other key by the process's words for it (``ProcessPolicy.data_labels``,
  translated in the processes' catalogues), else it stays as it is; a code such a key
  holds by the words the policy gives ``key=code``, else by a form's label for the same
  code (a rule's ``lowest_recent_rating`` is one of the form's ratings);
- a value that is a user's sign-in name by the user's display name
  (:func:`engine.people.directory.display_names`);
- a code or id of a directory's entry by the entry's name: a unit's code under a key a form marks
  ``x-choices: units`` or the policy's ``data_refs`` names (a review's ``unit``), a talent's id under
  a key the policy names (``talent_id``), linked to the talent's page for whoever may open it;
- a key the policy keeps for its own rules (``hidden_keys``: a unit's place in the tree) not at all;
- a deadline the policy names (``ProcessPolicy.deadline_keys``) by the last day it allows;
- an element id by the name drawn in the diagram (``LoadedDefinition.element_names``);
- a key a form fills inside a row (a candidate's ``full_name``) by that field's label wherever
  the value sits (a script copies rows into records of its own), a process key by the
  process's name, a role by its words, a day dd/mm/yyyy;
- the keys the engine writes into its events (``element_id``, ``assigned_to``, ``due_at``) by the
  pages' own words (:data:`EVENT_KEYS`), for the audit pages.

The BPMN data objects (``data_objects``) are one value for the whole case: their contents show
beside the rest of the data rather than under an engine's word.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Mapping

import forms

from flask_babel import lazy_gettext as _l

from api.web import bp, services
from api.web.formats import deadline_local
from api.web.pages.talent import talent_scope
from api.web.i18n import ROLES, enum_label, plain, process_word, role_label, status_label, title_of
from sqlalchemy import select

from engine.people.directory import display_names
from engine.errors import Forbidden
from engine.store.models import Unit, User
from engine.policy import OUTCOME_KEY
from workflows import form_schema, policy_for, role_labels
from workflows.programme import registry

Node = Mapping[str, Any]
#: Where the engine keeps a process's BPMN data objects in the case data.
DATA_OBJECTS = "data_objects"
#: The keys of the engine's own event data (the audit page's "event data").
EVENT_KEYS = {
    "element_id": _l("Step of the process"), "assigned_to": _l("Assigned to"), "due_at": _l("Due"),
    "fired_at": _l("Fired at"), "business_key": _l("Business key"), "process": _l("Process"),
    "version": _l("Process version"), "name": _l("Name"), "form_key": _l("Form"), "username": _l("User"),
    "role": _l("Role"), "reason": _l("Reason"), "status": _l("Status"), "from_status": _l("Status before"),
    "to_status": _l("Status after"), "task_id": _l("Task"), "data": _l("Data entered"),
    "parent_case_id": _l("Parent case"), "child_case_id": _l("Child case"), "sha256": _l("SHA-256"),
    "size": _l("Size (bytes)"), "note": _l("Note"), "file_id": _l("File"), "kind": _l("Kind"),
    "timer": _l("Timer"), "on_behalf_of": _l("On behalf of"), "claimed_by": _l("Claimed by"),
    "task_name": _l("Task"), OUTCOME_KEY: _l("Outcome"), "notified": _l("Notified"),
    "ignored_targets": _l("Not notified (no one holds the role)"),
    # planned child cases (child_starts_planned, _failed, _skipped, children_started)
    "count": _l("How many"), "planned": _l("Planned"), "children": _l("Child cases"), "processes": _l("Processes"),
    "seq": _l("Order in the plan"),
}
#: The keys of a ``case_migrated`` event: the two versions, the waiting steps moved, the steps changed.
MIGRATION_KEYS = {"from": _l("From process version"), "to": _l("To process version"),
                  "mapping": _l("Waiting steps (old → new)"), "changed": _l("Steps changed in the new version")}


def _fields(process: str, form_keys: Iterable[str | None]) -> dict[str, Node]:
    """Key -> the field's JSON Schema node, from the start form first then each task form (the first
    form that has a key labels it: the same key means the same thing throughout one process)."""
    found: dict[str, Node] = {}
    for key in (policy_for(process).start_form, *form_keys):
        if key:
            for name, node in (form_schema(key).get("properties") or {}).items():
                found.setdefault(name, node)
    return found


def _choices(fields: Mapping[str, Node], found: dict[str, Node]) -> dict[str, Node]:
    """Every code a form offers as a choice (at any depth) -> the field node that labels it."""
    for node in fields.values():
        for code in node.get("x-enum-labels") or {}:
            found.setdefault(str(code), node)
        inner = node.get("items") or {}
        _choices(node.get("properties") or inner.get("properties") or {}, found)
        for code in inner.get("x-enum-labels") or {}:
            found.setdefault(str(code), inner)
    return found


def _deep_fields(fields: Mapping[str, Node], found: dict[str, Node]) -> dict[str, Node]:
    """Every field of the forms at any depth (a row's ``full_name``) -> its node, the shallowest first."""
    inner: dict[str, Node] = {}
    for name, node in fields.items():
        found.setdefault(name, node)
        inner.update((node.get("items") or {}).get("properties") or node.get("properties") or {})
    return _deep_fields(inner, found) if inner else found


@lru_cache(maxsize=1)
def _every_form() -> tuple[dict[str, Node], dict[str, Node]]:
    """Every form's fields at any depth, and every code they offer: the last resort for a key or a
    code a process copied from another process's form (a review holds its assessments' ratings)."""
    fields: dict[str, Node] = {}
    for key in forms.keys():
        fields = {**_deep_fields(form_schema(key).get("properties") or {}, {}), **fields}
    return fields, _choices(fields, {})


@bp.app_template_filter("code_word")
def code_word(code: Any) -> Any:
    """A code some form offers as a choice (a talent's field ``science_technology``) by its word."""
    node = _every_form()[1].get(str(code))
    return enum_label(node, code) if node else code


def strings_of(value: Any) -> Iterable[str]:
    """Every string a value holds, its mappings' keys included (where sign-in names may be)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from strings_of(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings_of(item)


@dataclass(frozen=True)
class Link:
    """A value read as a name that opens its own page (a talent's), drawn by the data view as a link."""
    text: str
    href: str

    def __str__(self) -> str:
        return self.text


def refs_in(value: Any, refs: Mapping[str, str], found: dict[str, set[str]]) -> dict[str, set[str]]:
    """Directory -> every code or id ``value`` holds under a key of ``refs`` (at any depth)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key) in refs and isinstance(item, (str, int)) and not isinstance(item, bool):
                found.setdefault(refs[str(key)], set()).add(str(item))
            else:
                refs_in(item, refs, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            refs_in(item, refs, found)
    return found


def _talent_scope(actor: Any) -> list[str] | None | bool:
    """The unit subtrees whose talents' pages ``actor`` may open (None: all); False: none, or no reader."""
    try:
        return talent_scope(actor) if actor is not None else False
    except Forbidden:
        return False


def named_refs(db: Any, found: Mapping[str, set[str]], actor: Any) -> dict[tuple[str, str], Any]:
    """(directory, code or id) -> the entry's name (a :class:`Link` for a talent the reader may open)."""
    named: dict[tuple[str, str], Any] = {}
    if found.get("units"):
        named.update((("units", code), name or code) for code, name in db.execute(
            select(Unit.code, Unit.name).where(Unit.code.in_(sorted(found["units"])))).all())
    ids = [int(i) for i in found.get("talents", ()) if i.isdigit()]
    if ids:
        scope = _talent_scope(actor)
        for talent_id, (name, path) in registry.talent_names(db, ids).items():
            opens = scope is None or (scope is not False and any((path or "").startswith(p) for p in scope))
            named["talents", str(talent_id)] = Link(name, f"/talents/{talent_id}") if opens else name
    return named


class Readable:
    """The words of one case's page: built once per page from the case's definition and data."""

    def __init__(self, db: Any, definition: Any, process: str, data: Mapping[str, Any],
                 events: Iterable[Mapping[str, Any]] = (), processes: Mapping[str, str] | None = None,
                 actor: Any = None) -> None:
        self.process = process
        self.processes = dict(processes or {})
        self.elements: dict[str, str] = definition.element_names() if definition is not None else {}
        tasks = definition.human_tasks.values() if definition is not None else ()
        self.fields = _fields(process, sorted({t.form_key for t in tasks if t.form_key}))
        policy = policy_for(process)
        self.words, self.deadlines, self.hidden = policy.data_labels, policy.deadline_keys, policy.hidden_keys
        self.choices = _choices(self.fields, {})
        everywhere, codes = _every_form()
        self.anywhere = {**everywhere, **_deep_fields(self.fields, {})}
        self.choices = {**codes, **self.choices}
        self.roles = {*ROLES, *role_labels()}
        self.refs = {**{key: str(node["x-choices"]) for key, node in _deep_fields(self.fields, {}).items()
                        if node.get("x-choices") not in (None, "people")}, **policy.data_refs}
        events = list(events)
        for event in events:  # a case moved to another version: its history also names the old one's elements
            moved_from = (event.get("data") or {}).get("from") if event.get("type") == "case_migrated" else None
            if isinstance(moved_from, dict) and isinstance(moved_from.get("definition_id"), int):
                for element, name in services().reader.specs.get(db, moved_from["definition_id"]).element_names().items():
                    self.elements.setdefault(element, name)
        self.named = named_refs(db, refs_in([data, [e.get("data") for e in events]], self.refs, {}), actor)
        said = [*strings_of(data), *(e.get("actor") or "" for e in events),
                *(e.get("on_behalf_of") or "" for e in events),
                *strings_of([e.get("data") for e in events]),
                *(str((e.get("data") or {}).get("username") or "") for e in events),
                *(_user_of((e.get("data") or {}).get("assigned_to")) for e in events)]
        self.people = display_names(db, [s for s in said if s and len(s) <= 64])
        ids = {int(s[5:]) for s in said if s.startswith("user:") and s[5:].isdigit()}  # a notification's target
        self.by_id = {str(i): name or login for i, login, name in db.execute(
            select(User.id, User.username, User.display_name).where(User.id.in_(ids))).all()} if ids else {}

    # ------------------------------------------------------------------ data
    def label(self, key: str, node: Node | None) -> str:
        if node and (node.get("title") or node.get("x-title-en")):
            return title_of(node, key)
        words = self.words.get(key)
        if words:
            return process_word(words)
        if key == OUTCOME_KEY:
            return str(EVENT_KEYS[key])
        if key in self.people:  # a sheet per member, keyed by their sign-in name
            return self.people[key]
        return key

    def data(self, value: Any, fields: Mapping[str, Node] | None = None) -> Any:
        """``value`` with every key labelled and every code and sign-in name read out, for the
        pages' data view (which shows a mapping's keys and values as they are)."""
        fields = self.fields if fields is None else fields
        if not isinstance(value, Mapping):
            return self._value("", value, None)
        out: dict[str, Any] = {}
        items = list(value.items())
        if fields is self.fields and isinstance(value.get(DATA_OBJECTS), Mapping):
            items = [i for i in items if i[0] != DATA_OBJECTS] + list(value[DATA_OBJECTS].items())
        for key, item in items:
            if str(key) in self.hidden:
                continue
            node = fields.get(str(key)) or (None if str(key) in self.words else self.anywhere.get(str(key)))
            label = self.label(str(key), node)
            out[label if label not in out else f"{label} ({len(out) + 1})"] = self._value(str(key), item, node)
        return out

    def _value(self, key: str, value: Any, node: Node | None) -> Any:
        if key in self.refs and isinstance(value, (str, int)) and not isinstance(value, bool):
            named = self.named.get((self.refs[key], str(value)))
            if named is not None:
                return named
        if isinstance(value, Mapping):
            return self.data(value, (node or {}).get("properties") or {})
        if isinstance(value, (list, tuple)):
            items = (node or {}).get("items") or {}
            return [self._value(key, item, items) for item in value]
        if isinstance(value, str):
            if key in self.deadlines:
                return deadline_local(value)
            if key == OUTCOME_KEY:  # the end state the process reports: the status's words
                return status_label(value)
            if node and value in (node.get("x-enum-labels") or {}):
                return enum_label(node, value)
            if not node and key:
                words = self.words.get(f"{key}={value}")
                if words:
                    return process_word(words)
                if value in self.choices:
                    return enum_label(self.choices[value], value)
            if value in self.people:
                return self.people[value]
            if value in self.processes:
                return self.processes[value]
            if value in self.roles:
                return role_label(value)
            return plain(value)
        return value

    def event_data(self, data: Mapping[str, Any]) -> Any:
        """An event's data as the audit page shows it: the engine's keys in the pages' words, an
        element by its name, an assignment by the role or the person, the rest as case data reads."""
        out: dict[str, Any] = {}
        for key, item in data.items():
            if key in self.hidden:
                continue
            moved = self._migration_value(key, item)
            if moved is not None:
                out[str(MIGRATION_KEYS[key])] = moved
                continue
            if key == "element_id" or (isinstance(item, str) and item in self.elements):
                value: Any = self.element(str(item))
            elif key == "assigned_to" or (isinstance(item, str) and item.startswith(("role:", "user:"))):
                value = self.assignee(str(item))
            elif key in ("outcome", "status", "from_status", "to_status") and isinstance(item, str):
                value = status_label(item)  # an end state the event records
            elif isinstance(item, list) and item and all(isinstance(i, str) and i.startswith(("role:", "user:"))
                                                         for i in item):
                value = [self.assignee(i) for i in item]
            else:
                value = self._value(key, item, self.fields.get(key) or self.anywhere.get(key))
            label = str(EVENT_KEYS[key]) if key in EVENT_KEYS else \
                self.label(key, self.fields.get(key) or self.anywhere.get(key))
            out[label if label not in out else f"{label} ({len(out) + 1})"] = value
        return out

    def _migration_value(self, key: str, item: Any) -> Any:
        """A ``case_migrated`` event's version, mapping or changed steps by number and names; None for
        any other key (``from``/``to`` of a reassignment are people, read as such elsewhere)."""
        if key in ("from", "to") and isinstance(item, dict) and "version" in item:
            return item["version"]
        if key == "mapping" and isinstance(item, list) and all(isinstance(pair, dict) for pair in item):
            return [f"{self.element(str(pair.get('from')))} → {self.element(str(pair.get('to')))}" for pair in item]
        if key == "changed" and isinstance(item, list):
            return [self.element(str(element)) for element in item]
        return None

    # ------------------------------------------------------------------ history
    def person(self, username: str | None) -> str:
        return self.people.get(username or "", username or "")

    def element(self, element_id: str) -> str:
        return self.elements.get(element_id, element_id)

    def assignee(self, assigned_to: str) -> str:
        """``role:hr_officer`` as the role's words, ``user:member1`` as the person's name."""
        kind, _, rest = str(assigned_to).partition(":")
        if kind == "role" and rest:
            return role_label(rest.split("@", 1)[0])
        if kind == "user" and rest:
            return self.by_id.get(rest) or self.person(rest)
        return str(assigned_to)


def _user_of(assigned_to: Any) -> str:
    text = str(assigned_to or "")
    return text[5:] if text.startswith("user:") else ""
