"""The programme's official papers in the format of Decree 30/2020/NĐ-CP: the Word templates
(``templates/``, remade by ``templates/make_templates.py``), the shared heading, date and
signer helpers (``decree30.py``) and what each process's papers say (``talent_papers.py`` for
the recognition decision and the reviewed talent list, ``exam_papers.py`` for the exam's scoring
minutes, result report and appointment decision). The process modules offer them through their
policy's ``documents`` and ``document_context``; the engine numbers, fills and converts them.
"""
from workflows.documents.decree30 import TEMPLATES, base_context, kind

__all__ = ["TEMPLATES", "base_context", "kind"]
