"""Security headers of every page: a Content-Security-Policy with a nonce, no framing, no caching.

The pages hold personal data and forms that change cases, so each answer says
how a browser may treat it: no other site may frame it (clickjacking), no type
sniffing, no referrer beyond this site, and no copy in a shared cache. The
policy lets a page load only this site's own script and style; the ``<style>``
elements of the server-drawn diagrams and charts carry this response's nonce
(:func:`csp_nonce`), so an injected style or script would not run. The JSON
API sets its own headers: its paths (``errors.JSON_PATHS``) are left alone.
This lives apart from sign-in because it applies to every page, signed in or
not, the error pages of unknown paths included.
"""
from __future__ import annotations

import secrets
from typing import Any

from flask import g, request

from api.web import bp
from api.web.errors import JSON_PATHS

#: Pages load only their own script and style; the <style> elements of the inline SVG diagrams and
#: charts carry this response's nonce (``csp_nonce``), so no injected style or script would run.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")


def csp_nonce() -> str:
    """This response's nonce for the <style> elements the pages embed (one per request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


@bp.after_app_request
def _headers(response: Any) -> Any:
    """No framing (clickjacking), no sniffing, and no copies of personal pages in shared caches:
    on every page, the error pages of unknown paths included (not on the JSON API's answers)."""
    if request.path.startswith(JSON_PATHS):
        return response
    response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "web.static":
        response.headers["Cache-Control"] = "no-store"
    return response
