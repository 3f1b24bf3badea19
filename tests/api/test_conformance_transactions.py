"""Transactions and compensation, as far as SpiffWorkflow 3.2 runs them.

A transaction sub-process completed normally goes on along its outgoing flow; ended by its
cancel end event, the cancel boundary event on it takes the case along the boundary's path. The
case ends ``completed`` wherever the library's workflow completes, with its data, and replays.

Compensation is not part of SpiffWorkflow 3.2: its boundary event parser knows cancel, error,
escalation, message, signal, timer and conditional definitions, and a compensation boundary event
makes the parser raise. Such a file is refused at deployment (422 naming the element) instead of
being accepted and failing later, the way the library refuses to read it.
"""
from __future__ import annotations

import io

import pytest
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from tests.api.conformance import raw_run, runs_like_raw, source
from tests.api.support import API, error_of


@pytest.mark.parametrize("fee_paid", [True, False], ids=["completed normally", "cancelled by its cancel end event"])
def test_a_transaction_ends_where_raw_spiffworkflow_ends(auth, fee_paid):
    shown, raw_data = runs_like_raw(auth, "transaction.bpmn", "transaction", answers={"pay": {"fee_paid": fee_paid}})
    assert shown["status"] == "completed" and shown["tasks"] == []
    assert raw_data["enrolled"] is fee_paid and ("seat" in raw_data) is fee_paid


def test_a_compensation_boundary_event_is_refused_at_deployment_as_spiffworkflow_refuses_to_read_it(auth):
    with pytest.raises(ValidationException, match="room_compensation"):
        raw_run("compensation.bpmn", "compensation")

    response = auth.as_("admin").post(f"{API}/processes", content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(source("compensation.bpmn")), "compensation.bpmn")})
    error = error_of(response, 422, "invalid_definition")
    assert "room_compensation" in str(error["details"])
    assert auth.as_("hr").get(f"{API}/processes/compensation").status_code == 404
