"""officers blueprint: one-stop officers, their results and the import that attaches them."""
from flask import Blueprint

bp = Blueprint("officers", __name__)

from . import routes  # noqa: F401
