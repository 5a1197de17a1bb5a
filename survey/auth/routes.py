"""Views of the auth blueprint."""
from . import access, bp  # noqa: F401
