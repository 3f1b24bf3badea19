"""Official documents made from cases: numbered from a per-year register, filled from a Word
template, converted to PDF, kept as the case's files with one event.

:class:`DocumentKind` and :class:`Issued` (from :mod:`engine.policy`) are what a process's policy and the
register say of a document; ``register.py`` issues numbers that are never reused (an atomic
UPDATE … RETURNING in the document's own transaction); ``render.py`` fills a DOCX template with
docxtpl (an installation's copy of a template overrides the shipped one by file name);
``convert.py`` makes the PDF with LibreOffice headless; :class:`CaseDocuments`
(``case_documents.py``) lists what a case offers and generates a document as one command with
its ``document_generated`` event. Nothing here knows which documents exist: the processes say so
(``declare_kind`` for every kind they produce; ``documents`` for what a case offers now).
"""
from engine.documents.case_documents import EVENT, KNOWN_KINDS, CaseDocuments, declare_kind, document_dict
from engine.documents.convert import ConversionFailed, ConverterMissing, docx_to_pdf, soffice_path
from engine.policy import DocumentKind, Issued
from engine.documents.render import TemplateInvalid, render_docx, template_path

__all__ = ["EVENT", "KNOWN_KINDS", "CaseDocuments", "declare_kind", "document_dict", "ConversionFailed", "ConverterMissing", "docx_to_pdf",
           "soffice_path", "DocumentKind", "Issued", "TemplateInvalid", "render_docx", "template_path"]
