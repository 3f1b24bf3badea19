"""The one way this service reads BPMN and DMN: a parser that trusts nothing in the file.

Every BPMN or DMN document the project reads — an upload being deployed, the stored
sources of a version (notifying timers, due dates, diagrams), a DMN file found beside a
BPMN file — goes through :func:`read_xml`, so every reader sees the same tree and none
can be talked into more than the others. The parser

* never resolves an entity, never loads a DTD and never goes online: an entity is not
  expanded but kept as an unresolved node, so a file cannot read the server's files,
  reach the network or blow up by entity expansion ("billion laughs");
* refuses huge trees (libxml2's default depth and text limits stay on);
* drops comments and processing instructions, so the text of a script or expression is
  read whole even when a modeller commented out a line inside it (with comments kept,
  ``element.text`` stops at the first comment and SpiffWorkflow would see half a script).

DTDs are *ignored* by the parser and *refused at deployment* (:func:`doctype_of` names
the declaration; :mod:`engine.definitions.specs` turns it into a 422 problem). Why refuse
rather than deploy: no modelling tool writes a DTD into BPMN or DMN, and a file that
declares entities means text the parser will not expand — a process deployed from it
would run other scripts, names and conditions than the ones its author wrote. Refusing
says so to the person uploading it, once, instead of a case failing later. Files stored
before this rule still read, by the same parser, exactly as every reader reads them now.
"""
from __future__ import annotations

from typing import Any

from lxml import etree

#: What a reader may catch: the file is not well-formed XML (or breaks the parser's limits).
XmlError = etree.XMLSyntaxError


def safe_parser() -> etree.XMLParser:
    """A fresh parser for untrusted XML (lxml parsers are not safe to share across threads)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def read_xml(content: bytes | str) -> Any:
    """The root element of one BPMN or DMN document; :data:`XmlError` when it is not well-formed.

    ``content`` is bytes as uploaded, or the text a version stores (encoded back to UTF-8,
    the only encoding deployment accepts).
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    return etree.fromstring(data, safe_parser())


def doctype_of(root: Any) -> str:
    """The document type declaration of a parsed document (``<!DOCTYPE …>``), or '' if it has none."""
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.system_url or info.public_id:
        return info.doctype or "<!DOCTYPE>"
    return ""
