"""Every BPMN file of a directory runs through the API to raw SpiffWorkflow's end and data.

By default the directory is ``tests/data/conformance/foreign_like/``: small files of ours, each
reproducing something that stopped a file from another project (see docs/bpmn.md, "Files from
other projects"); every one of them must be run to the end by raw SpiffWorkflow and conform.

Any other directory of files (with their DMN files and optional ``<file>.answers.json`` beside
them) can be checked the same way, with no test to write:
``TALENTFLOW_CONFORMANCE_DIR=/path/to/files pytest tests/api/test_conformance_corpus.py``.
There, a file raw SpiffWorkflow does not run to the end fails as *not applicable*, with the
library's reason: there is nothing to compare it with, and it is never counted as a pass.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.api.conformance import CONFORMANCE
from tests.api.conformance_auto import api_run, differences, raw_run

OURS = CONFORMANCE / "foreign_like"
CORPUS = Path(os.environ.get("TALENTFLOW_CONFORMANCE_DIR") or OURS)
FILES = sorted(CORPUS.rglob("*.bpmn"))


def test_the_corpus_has_files() -> None:
    assert FILES, f"no BPMN file under {CORPUS}"


@pytest.mark.parametrize("bpmn", FILES, ids=[str(f.relative_to(CORPUS)) for f in FILES])
def test_a_file_runs_through_the_api_to_raw_spiffworkflows_end_and_data(
        bpmn: Path, app, auth, store, service, manual_clock) -> None:
    raw = raw_run(bpmn)
    if not raw.applicable:
        who = "our own file must run to the end in raw SpiffWorkflow" if CORPUS == OURS else "not applicable"
        pytest.fail(f"{who}: {raw.reason}")
    case = api_run(raw, auth, service, store)
    assert differences(raw, case) == []
