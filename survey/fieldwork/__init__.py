"""fieldwork blueprint: paper and telephone surveys imported into the same analysis
(channel ``import``), all rows of a file or none."""
from flask import Blueprint

bp = Blueprint("fieldwork", __name__)

from . import routes  # noqa: F401
