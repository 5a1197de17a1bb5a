"""Refuse control characters in URLs before any view runs, for the whole application.

A NUL byte in a path (``/q/%00``, ``/kiosk/poster/%00.svg``) or in a query value would reach a
query as text, which PostgreSQL refuses with an error (a 500). No URL of the application has a
control character in it, so such a path is simply not found (404); a query value with one is
a bad request (400) everywhere — citizen pages, the API, the reports' and workspace filters —
but on the language switch, whose ``next`` is checked by ``safe_next`` and falls back to the
home page. Registered once, from the public blueprint.
"""
from __future__ import annotations

import re

from flask import abort, request

from . import bp

_CONTROL = re.compile("[\x00-\x1f\x7f]")
#: Views that read no query value into a database query and handle hostile ones themselves.
OWN_CHECKS = ("main.set_language",)


def has_control_characters(text: str) -> bool:
    """True when ``text`` contains a C0 control character or DEL."""
    return _CONTROL.search(text) is not None


def _query_has_control_characters() -> bool:
    return any(has_control_characters(key) or has_control_characters(value)
               for key, value in request.args.items(multi=True))


@bp.before_app_request
def refuse_control_characters() -> None:
    """404 for a path with a control character; 400 for such a query value."""
    if has_control_characters(request.path):
        abort(404)
    if request.endpoint not in OWN_CHECKS and _query_has_control_characters():
        abort(400)
