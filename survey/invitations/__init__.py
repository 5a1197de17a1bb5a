"""invitations blueprint: the one-stop system's API for dossier-bound survey links
(``/api/v1/invitations``, API keys), the links citizens open (``/i/<token>``) and the
workspace page that manages the API clients."""
from flask import Blueprint

bp = Blueprint("invitations", __name__)

from . import api, clients, routes  # noqa: F401
