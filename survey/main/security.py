"""Security helpers shared by the whole app: response headers, safe redirects, CSV cells.

* ``add_security_headers`` puts a Content-Security-Policy and the usual hardening headers on
  every response (HTML pages, the API, static files, error pages). Every asset is served by
  the app itself (kiosks run without internet), so the policy only allows ``'self'``.
* ``safe_next`` keeps ``?next=`` redirects on this site (no open redirect).
* ``csv_text`` neutralises a text cell a spreadsheet would run as a formula (OWASP advice).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from flask import Flask, Response, current_app, request

if TYPE_CHECKING:
    import pandas as pd

#: The policy of every page. Inline ``style="…"`` attributes are allowed (a few workspace
#: templates size bars and indents with them; CSS cannot run code), inline scripts and event
#: handlers are not. ``data:`` images are harmless and used by some browsers for icons.
BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _handler_hash(code: str) -> str:
    """The CSP source that allows exactly the inline event handler ``code``."""
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


#: Pages that still carry inline code, with the sources they need (see the report of the
#: CSP change): the printable poster has a ``<style>`` block and ``onclick="window.print()"``.
ENDPOINT_EXTRAS = {
    "kiosk.poster_page": {
        "style-src": "'self' 'unsafe-inline'",
        "script-src": f"'self' 'unsafe-hashes' {_handler_hash('window.print()')}",
    },
}

#: SVG documents (QR posters, report charts) style themselves inline and never need scripts.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


@functools.lru_cache(maxsize=256)
def content_security_policy(endpoint: str | None, mimetype: str | None) -> str:
    """The policy for a response of ``endpoint`` with ``mimetype``."""
    if mimetype == "image/svg+xml":
        return SVG_POLICY
    policy = {**BASE_POLICY, **ENDPOINT_EXTRAS.get(endpoint or "", {})}
    return "; ".join(f"{name} {sources}" for name, sources in policy.items())


def add_security_headers(response: Response) -> Response:
    """Harden ``response``; headers a view set itself are kept."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy",
                       content_security_policy(request.endpoint, response.mimetype))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    max_age = current_app.config.get("HSTS_MAX_AGE", 0)
    if max_age:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(max_age)}")
    return response


def init_security(app: Flask) -> None:
    """Register the security headers on ``app`` (every response, errors and static included)."""
    app.after_request(add_security_headers)


def _is_local_path(target: str) -> bool:
    """Whether ``target`` is a path on this site: one leading "/", no host, no tricks."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(unicodedata.category(char) == "Cc" for char in target):
        return False  # browsers drop tabs and newlines: "/\t/evil" would become "//evil"
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str = "/") -> str:
    """``target`` when it is a same-site relative path (also once more URL-decoded), else
    ``fallback``: a ``?next=`` parameter must never send a person to another site."""
    if not target:
        return fallback
    if _is_local_path(target) and _is_local_path(unquote(target)):
        return target
    return fallback


#: First characters that make Excel, LibreOffice or Sheets read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf")


def csv_text(value: object) -> object:
    """``value`` with a leading ``'`` when it is a text a spreadsheet would take for a formula
    (CSV injection, OWASP). Numbers, also written as text ("-1.5"), and other values are
    returned unchanged: R, pandas and ``python -m analysis`` must still read them as numbers."""
    if (isinstance(value, str) and value.startswith(FORMULA_START)
            and not PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns went through ``csv_text``; numeric columns are
    left exactly as they are. Used by every CSV the app writes."""
    from pandas.api.types import is_numeric_dtype

    safe = frame.copy()
    for column in safe.columns:
        if not is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(csv_text)
    return safe
