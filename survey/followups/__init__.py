"""followups blueprint: what agencies must answer (low ratings with a reason, complaints),
their deadlines and handling."""
from flask import Blueprint

bp = Blueprint("followups", __name__)

from . import routes, summary  # noqa: F401
