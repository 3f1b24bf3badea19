"""flask-smorest's Blueprint with a strict JSON body parser.

Python's ``json`` accepts ``NaN`` and ``Infinity`` (not JSON) and fails with
a ``RecursionError`` on absurdly deep nesting; PostgreSQL refuses NUL in text.
All three are answered 400 "malformed" here instead of being stored or
crashing. Nesting is bounded well below what Python's recursion allows
(``TALENTFLOW_MAX_JSON_DEPTH``, default 32): data a few hundred levels deep
parses, but it becomes case data that SpiffWorkflow's serializer, which
recurses several frames per level, could then never load again.
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
#: Levels of objects and arrays a body may nest (``{"a": [1]}`` is 2) when the app sets none.
DEFAULT_MAX_DEPTH = 32


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def strict_loads(raw: bytes | str, max_depth: int | None = None) -> Any:
    """Parse JSON, refusing NaN/Infinity, NUL characters, unpaired surrogates and nesting deeper than
    ``max_depth`` (default: the app's ``MAX_JSON_DEPTH``), each as a JSONDecodeError.

    NUL is looked for in the decoded strings, not in the text: ``"\\\\u0000"`` (an escaped
    backslash, then ``u0000``) is a legitimate string without NUL.
    """
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if "\x00" in text:
        raise json.JSONDecodeError("NUL characters are not accepted", text, text.find("\x00"))
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
        if "\\ud" in text or "\\uD" in text:
            # escaped surrogates: only proper pairs become text a database can store
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise json.JSONDecodeError("unpaired UTF-16 surrogate in a string", text, 0) from None
    except RecursionError:
        raise json.JSONDecodeError(MAX_DEPTH_HINT, text, 0) from None
    except ValueError as err:
        if isinstance(err, json.JSONDecodeError):
            raise
        raise json.JSONDecodeError(str(err), text, 0) from None
    _check_tree(value, text, _depth_limit(max_depth), nul_possible="\\u0000" in text)
    return value


def _depth_limit(max_depth: int | None) -> int:
    if max_depth is not None:
        return max_depth
    if flask.has_app_context():
        return int(flask.current_app.config.get("MAX_JSON_DEPTH") or DEFAULT_MAX_DEPTH)
    return DEFAULT_MAX_DEPTH


def _check_tree(value: Any, text: str, limit: int, nul_possible: bool) -> None:
    """Walk the parsed value without recursion: too deep, or a NUL in a key or string, is refused."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                raise json.JSONDecodeError(f"{MAX_DEPTH_HINT} (more than {limit} levels)", text, 0)
            if isinstance(node, dict):
                if nul_possible and any("\x00" in key for key in node):
                    raise json.JSONDecodeError("NUL characters are not accepted", text, text.find("\\u0000"))
                stack.extend((item, depth + 1) for item in node.values())
            else:
                stack.extend((item, depth + 1) for item in node)
        elif nul_possible and isinstance(node, str) and "\x00" in node:
            raise json.JSONDecodeError("NUL characters are not accepted", text, text.find("\\u0000"))


class StrictParser(FlaskParser):
    """webargs' Flask parser with :func:`strict_loads`, and one instance per argument schema class.

    flask-smorest hands webargs the schema *class*, which webargs instantiates on every request
    (marshmallow copies every declared field in ``Schema.__init__``: about a tenth of a command's
    HTTP handling). Our argument schemas keep no state between loads (no ``context``, no hooks that
    write to ``self``), and ``Schema.load`` keeps its per-call state in locals, so one instance per
    class serves every request and thread alike."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[type, Any] = {}

    def _get_schema(self, argmap: Any, req: flask.Request) -> Any:
        if isinstance(argmap, type):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas.setdefault(argmap, super()._get_schema(argmap, req))
            return schema
        return super()._get_schema(argmap, req)

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
