"""One safe XML parser: no entity expanded, no DTD loaded, nothing fetched; a DTD is refused at deployment.

A BPMN file that declared an external entity used to deploy, and then its notifying timers never
fired: the stored file was read again with lxml's default parser, which failed on the entity.
Now every reader uses :func:`engine.definitions.safe_xml.read_xml`, and deployment refuses any
file with a DOCTYPE, saying why.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from engine.cases.notifications import rules_in
from engine.definitions.safe_xml import XmlError, doctype_of, read_xml
from engine.definitions.specs import DefinitionInvalid, SourceFile, due_date_expressions, parse_definition
from engine.diagram.layout import parse_bpmn
from tests.conftest import DATA

ROOT = Path(__file__).resolve().parents[3]
TIMER = (DATA / "timer_soon.bpmn").read_text(encoding="utf-8")
DMN = (DATA / "simple_decision.dmn").read_text(encoding="utf-8")


def with_doctype(content: str, declarations: str, body: str = "") -> str:
    """``content`` with a DOCTYPE after its XML declaration and ``body`` at the end event's start."""
    root_name = re.search(r"<([\w:]*definitions)\b", content).group(1)
    declared = content.replace("?>", f"?>\n<!DOCTYPE {root_name} [{declarations}]>", 1)
    return declared.replace('<endEvent id="EndEvent_1">', f'<endEvent id="EndEvent_1"><documentation>{body}'
                            '</documentation>', 1) if body else declared


def test_the_parser_expands_no_entity_and_reaches_no_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    content = with_doctype(TIMER, f'<!ENTITY secret SYSTEM "{secret.as_uri()}">', "&secret;")
    root = read_xml(content)
    assert b"TOP-SECRET" not in etree.tostring(root)
    assert doctype_of(root) == "<!DOCTYPE definitions>"


def test_the_parser_does_not_expand_nested_entities() -> None:
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "ha"}">' for i in range(9))
    try:
        root = read_xml(with_doctype(TIMER, laughs, "&l8;"))
    except XmlError as refused:  # libxml2's amplification limit refuses the declarations outright
        assert "amplification" in str(refused)
    else:
        assert len(etree.tostring(root)) < 2 * len(TIMER)  # or the tree holds them unexpanded


def test_the_parser_goes_nowhere_for_an_external_dtd() -> None:
    content = TIMER.replace("?>", '?>\n<!DOCTYPE definitions SYSTEM "http://192.0.2.1/never.dtd">', 1)
    assert doctype_of(read_xml(content)).startswith("<!DOCTYPE definitions SYSTEM")  # read at once, offline


def test_a_comment_inside_a_script_does_not_cut_the_script_short() -> None:
    root = read_xml(b"<s>a = 1<!-- b = 2 -->\nc = 3<?pi x?>\nd = 4</s>")
    assert root.text == "a = 1\nc = 3\nd = 4"
    assert doctype_of(root) == ""


@pytest.mark.parametrize("declarations,body", [
    ('<!ENTITY secret SYSTEM "file:///etc/passwd">', "&secret;"),  # the file
    ('<!ENTITY secret SYSTEM "file:///etc/passwd">', ""),  # declared, never used
    ('<!ENTITY who "the HR office">', "&who;"),  # internal: would silently vanish from the text
    ("", ""),  # an empty DOCTYPE: still nothing a BPMN file needs
])
def test_a_bpmn_with_a_timer_declaring_a_dtd_is_refused_at_deployment(declarations: str, body: str) -> None:
    with pytest.raises(DefinitionInvalid) as refused:
        parse_definition([SourceFile("entity.bpmn", with_doctype(TIMER, declarations, body).encode())])
    [problem] = refused.value.problems
    assert problem.file == "entity.bpmn"
    assert "declares a DTD (<!DOCTYPE definitions>)" in problem.message and "remove the DOCTYPE" in problem.message


def test_a_dmn_declaring_a_dtd_is_refused_too() -> None:
    bpmn = SourceFile("priority_decision.bpmn", (DATA / "priority_decision.bpmn").read_bytes())
    dmn = SourceFile("simple_decision.dmn", with_doctype(DMN, '<!ENTITY x "y">').encode())
    with pytest.raises(DefinitionInvalid) as refused:
        parse_definition([bpmn, dmn])
    assert [p.file for p in refused.value.problems] == ["simple_decision.dmn"]


def test_every_reader_of_a_stored_file_reads_it_the_same_way() -> None:
    """A version stored before DTDs were refused: every reader still reads it (entities left unexpanded)."""
    stored = with_doctype((DATA / "reminders.bpmn").read_text(encoding="utf-8"),
                          '<!ENTITY secret SYSTEM "file:///etc/passwd">')
    stored = stored.replace('<bpmn:userTask id="review"',
                            '<bpmn:documentation>&secret;</bpmn:documentation><bpmn:userTask id="review"', 1)
    assert sorted(rules_in([{"name": "reminders.bpmn", "content": stored}])) == ["escalate", "remind"]
    assert list(due_date_expressions([SourceFile("reminders.bpmn", stored.encode())])) == ["review"]
    assert parse_bpmn("reminders.bpmn", stored).get("id") == "Definitions_reminders"


def test_no_module_parses_xml_but_the_safe_one() -> None:
    """Every BPMN/DMN read goes through engine.definitions.safe_xml (SpiffWorkflow is handed its trees)."""
    pattern = re.compile(r"etree\.(fromstring|parse|XML|XMLParser|iterparse)\b|add_(bpmn|dmn)_(file|str)\b"
                         r"|xml\.(etree|dom|sax\.make_parser)|minidom")
    offenders = [f"{path.relative_to(ROOT)}:{n}" for package in ("engine", "workflows", "api", "forms")
                 for path in sorted((ROOT / package).rglob("*.py")) if path.name != "safe_xml.py"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []
