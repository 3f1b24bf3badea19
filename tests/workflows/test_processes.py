"""The process registry: modules register themselves, one policy per key, and their words are translated."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import workflows
from engine.policy import DEFAULT_POLICY, ProcessPolicy
from workflows import processes

ROOT = Path(workflows.__file__).resolve().parent.parent
PROCESS_MODULES = ("annual_talent_review", "leadership_exam", "talent_assessment", "talent_nomination",
                   "training_nomination")


def test_importing_workflows_registers_every_process_module_under_its_key():
    for name in PROCESS_MODULES:
        policy = workflows.policy_for(name)
        assert type(policy).__module__ == f"workflows.{name}" and policy is workflows.POLICIES[name]
    assert workflows.policy_for("uploaded_elsewhere") is DEFAULT_POLICY


def test_a_second_policy_for_a_key_is_refused_and_an_unregistered_process_gets_the_default():
    class Mine(ProcessPolicy):
        status_labels = {"filed": processes.N_("Filed")}

    try:
        workflows.register("filing", Mine())
        again = workflows.register("filing", Mine())  # the same module imported again: its new policy
        assert workflows.policy_for("filing") is again
        with pytest.raises(ValueError, match="already has a policy"):
            workflows.register("filing", ProcessPolicy())
        with pytest.raises(ValueError):
            workflows.register("leadership_exam", Mine())
        assert workflows.status_labels()["filed"] == "Filed"
    finally:
        workflows.unregister("filing")
    assert workflows.policy_for("filing") is DEFAULT_POLICY and "filed" not in workflows.status_labels()


def test_the_processes_words_are_merged_for_the_pages_first_registration_first():
    labels, tones, events = workflows.status_labels(), workflows.status_tones(), workflows.event_labels()
    assert labels["appointed"] == "Appointed" and labels["rejected"] == "Rejected" and tones["withdrawn"] == "muted"
    assert events["talent_registered"] == "Talent registered"
    assert not {"running", "completed", "cancelled", "error"} & set(labels)  # the engine's own, read by the pages


def test_every_word_a_process_marks_has_a_vietnamese_translation():
    found = {message for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "workflows"), [("**.py", "python")], keywords={"N_": None})}
    with (ROOT / "workflows/translations/vi/LC_MESSAGES/messages.po").open("rb") as po:
        vi = {m.id: m.string for m in read_po(po) if m.id}
    assert len(found) > 50 and sorted(m for m in found if not vi.get(m)) == []
