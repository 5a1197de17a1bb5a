"""public blueprint."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from . import guards, routes  # noqa: F401
