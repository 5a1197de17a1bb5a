"""kiosk blueprint."""
from flask import Blueprint

bp = Blueprint("kiosk", __name__)

from . import cli, routes  # noqa: F401
