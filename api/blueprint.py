"""flask-smorest's Blueprint with a strict JSON body parser.

Python's ``json`` accepts ``NaN`` and ``Infinity`` (not JSON) and fails with
a ``RecursionError`` on absurdly deep nesting; PostgreSQL refuses NUL in text.
All three are answered 400 "malformed" here instead of being stored or
crashing.
"""
from __future__ import annotations

import json
import math
from typing import Any

import flask
import flask_smorest
from webargs.flaskparser import FlaskParser, is_json_request
from webargs import core

MAX_DEPTH_HINT = "JSON nested too deeply"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def strict_loads(raw: bytes | str) -> Any:
    """Parse JSON, refusing NaN/Infinity, NUL characters and runaway nesting (as JSONDecodeError)."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if "\\u0000" in text or "\x00" in text:
        raise json.JSONDecodeError("NUL characters are not accepted", text, text.find("\\u0000"))
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
        if "\\ud" in text or "\\uD" in text:
            # escaped surrogates: only proper pairs become text a database can store
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        return value
    except UnicodeEncodeError:
        raise json.JSONDecodeError("unpaired UTF-16 surrogate in a string", text, 0) from None
    except RecursionError:
        raise json.JSONDecodeError(MAX_DEPTH_HINT, text, 0) from None
    except ValueError as err:
        if isinstance(err, json.JSONDecodeError):
            raise
        raise json.JSONDecodeError(str(err), text, 0) from None


class StrictParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        limit = req.max_content_length
        if limit and req.content_length is None and len(data) >= limit:
            # a chunked body is cut at the limit rather than refused: refuse it
            flask_smorest.abort(413)
        return strict_loads(data)

    def _handle_invalid_json_error(self, error: Any, req: flask.Request, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        reason = getattr(error, "msg", None) or "not UTF-8"
        flask_smorest.abort(400, exc=error, messages={"json": [f"Invalid JSON body: {reason}."]})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()
