"""The BPMN 2.0 schema check of a deployed file: warnings, not refusals.

SpiffWorkflow runs a file its XSD rejects when no validator is given, which is its parsers'
default, and modellers save such files routinely: Camunda Modeler writes an empty
``<bpmn:ioSpecification/>`` for a process, which the XSD calls incomplete. talentflow used to
parse SpiffWorkflow-dialect files with the library's validator, so it refused files that raw
SpiffWorkflow runs to the end. Now the parser validates nothing and the deployment reports what
the schema says as warnings, with the file and (where the library knows it) the element.
"""
from __future__ import annotations

import copy
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine.definitions.sources import Problem


def schema_warnings(root: Any, file: str) -> list[Problem]:
    """Deploy warnings (``Problem``) for what the XSD finds wrong in ``root``; none if valid.

    The check runs on a copy: the library's validator rewrites correlation expressions in the
    tree it is given, and the parser must see the file as written."""
    try:
        VALIDATOR.validate(copy.deepcopy(root), file)
    except ValidationException as err:
        message = str(err.args[0] if err.args else err)
        return [Problem(f"not valid against the BPMN 2.0 schema, deployed anyway: {message}",
                        getattr(err, "id", "") or "", file)]
    return []
