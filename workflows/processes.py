"""The processes this service knows: each process module's policy under its process key.

A process module registers its policy when it is imported (:func:`register`),
and importing :mod:`workflows` imports every module of the package
(:func:`discover`), so a new process is its BPMN file, its forms and one
module, and nothing else changes. A test registers a process of its own the
same way (and :func:`unregister` s it after). A process deployed without a
module runs under the default policy.

The words a process gives the pages (its end states, events and panels) are
marked with :func:`N_` and translated in the catalogues under
``workflows/translations`` (``workflows/babel.cfg`` extracts them); a process
that lives elsewhere brings a catalogue directory of its own to :func:`register`.
The pages look a word up in :func:`catalogue_dirs`, so a new process needs no
word added under ``api/``.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Mapping

from engine.policy import DEFAULT_POLICY, ProcessPolicy

#: Process key -> its policy, in the order the modules registered.
POLICIES: dict[str, ProcessPolicy] = {}
#: The catalogues of the words of this package's processes (``<lang>/LC_MESSAGES/messages.po``).
CATALOGUES = Path(__file__).resolve().parent / "translations"
#: Process key -> the catalogue directory a process registered from outside this package brought.
_OWN_CATALOGUES: dict[str, Path] = {}


def N_(message: str) -> str:  # noqa: N802  (the name gettext tools know for "mark, do not translate")
    """Mark ``message`` for the pages' catalogues (``pybabel`` finds it by this name); the page
    translates it when it shows it. ``workflows`` may not import ``flask_babel``: it imports Flask."""
    return message


def register(process_key: str, policy: ProcessPolicy, catalogues: Path | None = None) -> ProcessPolicy:
    """Let ``policy`` govern the cases of ``process_key``. A second, different policy for a key
    is refused: two modules claiming one process would each run some of its cases. A process
    whose words are not in this package's catalogues names its own directory of ``catalogues``."""
    known = POLICIES.get(process_key)
    if known is not None and type(known) is not type(policy):
        raise ValueError(f"process '{process_key}' already has a policy ({type(known).__qualname__})")
    POLICIES[process_key] = policy
    if catalogues is not None:
        _OWN_CATALOGUES[process_key] = catalogues
    return policy


def unregister(process_key: str) -> None:
    """Forget a process registered for a while (a test's own process); its cases get the default."""
    POLICIES.pop(process_key, None)
    _OWN_CATALOGUES.pop(process_key, None)


def catalogue_dirs() -> tuple[Path, ...]:
    """Where the processes' words are translated: this package's catalogues, then those processes brought."""
    return (CATALOGUES, *dict.fromkeys(_OWN_CATALOGUES.values()))


def policy_for(process_key: str) -> ProcessPolicy:
    return POLICIES.get(process_key, DEFAULT_POLICY)


def discover(package: str = "workflows") -> None:
    """Import every module of ``package``, so that each process module registers its policy."""
    path = importlib.import_module(package).__path__
    for module in pkgutil.iter_modules(path):
        importlib.import_module(f"{package}.{module.name}")


def _merged(words_of: str) -> dict[str, str]:
    """One mapping from every policy's, by process key: the same order whatever order the modules
    happened to be imported in (a status filter lists them so)."""
    merged: dict[str, str] = {}
    for _key, policy in sorted(POLICIES.items()):
        for key, words in getattr(policy, words_of).items():
            merged.setdefault(key, words)
    return merged


def status_labels() -> Mapping[str, str]:
    """Every process's end states and their words (message ids), for badges and status filters."""
    return _merged("status_labels")


def status_tones() -> Mapping[str, str]:
    """Every process's end states and the tone of their badges."""
    return _merged("status_tones")


def event_labels() -> Mapping[str, str]:
    """Every process's own event types and their words (message ids), for timelines."""
    return _merged("event_labels")


def role_labels() -> Mapping[str, str]:
    """Every role a process grants on its cases and its words (message ids)."""
    return _merged("role_labels")


def case_pages() -> frozenset[str]:
    """The names of every page of its own a process's case may have (the exam's ``council``)."""
    return frozenset(page for policy in POLICIES.values() for page in policy.case_pages)
