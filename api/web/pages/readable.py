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
- an element id by the name drawn in the diagram (``LoadedDefinition.element_names``).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from api.web.i18n import enum_label, process_word, role_label, title_of
from engine.people.directory import display_names
from workflows import form_schema, policy_for

Node = Mapping[str, Any]


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


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


class Readable:
    """The words of one case's page: built once per page from the case's definition and data."""

    def __init__(self, db: Any, definition: Any, process: str, data: Mapping[str, Any],
                 events: Iterable[Mapping[str, Any]] = ()) -> None:
        self.process = process
        self.elements: dict[str, str] = definition.element_names() if definition is not None else {}
        tasks = definition.human_tasks.values() if definition is not None else ()
        self.fields = _fields(process, sorted({t.form_key for t in tasks if t.form_key}))
        self.words = policy_for(process).data_labels
        self.choices = _choices(self.fields, {})
        events = list(events)
        said = [*_strings(data), *(e.get("actor") or "" for e in events),
                *(e.get("on_behalf_of") or "" for e in events),
                *(str((e.get("data") or {}).get("username") or "") for e in events),
                *(_user_of((e.get("data") or {}).get("assigned_to")) for e in events)]
        self.people = display_names(db, [s for s in said if s and len(s) <= 64])

    # ------------------------------------------------------------------ data
    def label(self, key: str, node: Node | None) -> str:
        if node and (node.get("title") or node.get("x-title-en")):
            return title_of(node, key)
        words = self.words.get(key)
        return process_word(words) if words else key

    def data(self, value: Any, fields: Mapping[str, Node] | None = None) -> Any:
        """``value`` with every key labelled and every code and sign-in name read out, for the
        pages' data view (which shows a mapping's keys and values as they are)."""
        fields = self.fields if fields is None else fields
        if not isinstance(value, Mapping):
            return self._value("", value, None)
        out: dict[str, Any] = {}
        for key, item in value.items():
            node = fields.get(str(key))
            label = self.label(str(key), node)
            out[label if label not in out else f"{label} ({key})"] = self._value(str(key), item, node)
        return out

    def _value(self, key: str, value: Any, node: Node | None) -> Any:
        if isinstance(value, Mapping):
            return self.data(value, (node or {}).get("properties") or {})
        if isinstance(value, (list, tuple)):
            items = (node or {}).get("items") or {}
            return [self._value(key, item, items) for item in value]
        if isinstance(value, str):
            if node and value in (node.get("x-enum-labels") or {}):
                return enum_label(node, value)
            if not node and key:
                words = self.words.get(f"{key}={value}")
                if words:
                    return process_word(words)
                if value in self.choices:
                    return enum_label(self.choices[value], value)
            return self.people.get(value, value)
        return value

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
            return self.person(rest)
        return str(assigned_to)


def _user_of(assigned_to: Any) -> str:
    text = str(assigned_to or "")
    return text[5:] if text.startswith("user:") else ""
