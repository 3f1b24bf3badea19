"""An uploaded BPMN file declaring an external entity is refused at deployment, saying why (422).

Before, such a file deployed and its notifying timers never fired (the stored file could not be
read again); now the one safe parser reads it, and deployment refuses any DOCTYPE
(why: ``engine/definitions/safe_xml.py``), storing nothing.
"""
from __future__ import annotations

from sqlalchemy import func, select

from engine.store.models import ProcessDefinition
from tests.api.support import deploy, error_of
from tests.conftest import DATA

ENTITY = '<!DOCTYPE bpmn:definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'


def test_a_bpmn_with_a_timer_declaring_an_external_entity_is_refused_with_a_clear_422(auth, store):
    content = (DATA / "reminders.bpmn").read_text(encoding="utf-8")
    content = content.replace("<bpmn:definitions", ENTITY + "<bpmn:definitions", 1).replace(
        '<bpmn:startEvent id="StartEvent_1">', '<bpmn:startEvent id="StartEvent_1"><bpmn:documentation>&secret;'
        '</bpmn:documentation>', 1)
    error = error_of(deploy(auth, "reminders.bpmn", content.encode()), 422, "invalid_definition")
    [problem] = error["details"]["problems"]
    assert problem["file"] == "reminders.bpmn"
    assert problem["message"].startswith("the file declares a DTD (<!DOCTYPE definitions>); ")
    assert problem["message"].endswith("remove the DOCTYPE")
    assert "root:" not in str(error)  # nothing of the server's files in the answer
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessDefinition)
                              .where(ProcessDefinition.key == "reminders")) == 0
