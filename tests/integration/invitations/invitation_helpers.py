"""Helpers of the invitation tests (plain functions, imported by the test modules)."""
from __future__ import annotations

import re


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields of a QR form page: CSRF token, submission id, start time."""
    fields = {}
    for name in ("csrf_token", "submission_id", "started_at"):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', html)
        fields[name] = match.group(1)
    return fields
