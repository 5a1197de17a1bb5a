"""Helpers of the report tests (plain functions, imported by the test modules)."""
from __future__ import annotations

import re

TODAY_ISO = "2026-11-23"
PERIOD = "2026-Q3"


def headline(html: str) -> str:
    """The text of the headline SIPAS figure of a report page."""
    match = re.search(r'id="sipas-index">(.*?)</div>', html, re.DOTALL)
    assert match, "no headline SIPAS figure on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def section(html: str, ident: str) -> str:
    """The HTML of the page section with ``id=ident``."""
    match = re.search(rf'<section[^>]*id="{ident}".*?</section>', html, re.DOTALL)
    assert match, f"no section {ident}"
    return match.group(0)
