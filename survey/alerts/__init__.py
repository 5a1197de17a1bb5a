"""alerts blueprint: early warning of drops, silent tablets and fraud signals, and the digest."""
from flask import Blueprint

bp = Blueprint("alerts", __name__)

from . import routes  # noqa: F401
