"""The officers pages (filled in by the officers work)."""
from . import bp  # noqa: F401
