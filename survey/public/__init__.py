"""public blueprint."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from . import guards, routes  # noqa: E402,F401
