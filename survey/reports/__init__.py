"""reports blueprint: the SIPAS report pages, charts, downloads and ``flask sipas report``."""
from flask import Blueprint

bp = Blueprint("reports", __name__)

from . import routes  # noqa: F401
