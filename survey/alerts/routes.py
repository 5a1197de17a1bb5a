"""The alert list and the review of an alert."""
from . import bp  # noqa: F401
