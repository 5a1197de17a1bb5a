"""kiosk blueprint."""
from flask import Blueprint

bp = Blueprint("kiosk", __name__)

from . import routes  # noqa: F401
