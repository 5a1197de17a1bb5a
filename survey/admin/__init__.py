"""admin blueprint: the management pages of the Sở Nội vụ workspace."""
from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__)
MANAGERS = ("admin", "analyst")


@bp.before_request
@login_required
def managers_only():
    """Every /admin page needs an admin or analyst: agency viewers get 403 everywhere."""
    if current_user.role not in MANAGERS:
        abort(403)


from . import routes  # noqa: F401
