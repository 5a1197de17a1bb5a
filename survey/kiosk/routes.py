"""Views of the kiosk blueprint."""
from . import bp  # noqa: F401
