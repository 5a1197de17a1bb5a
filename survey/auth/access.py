"""Who may see what: roles and the agency scope of agency viewers."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_babel import gettext
from flask_login import current_user, login_required

from ..extensions import db, login
from ..models import Agency, User


def N_(message: str) -> str:
    """Mark ``message`` for translation; it is translated when shown."""
    return message


login.login_view = "auth.login"
login.login_message = N_("Please sign in to open this page.")
login.localize_callback = gettext
login.login_message_category = "error"


@login.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the active user with this id."""
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def role_required(*roles: str) -> Callable:
    """Allow a view only to signed-in users holding one of ``roles`` (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def visible_agency_ids(user: User) -> list[int] | None:
    """Agencies whose data ``user`` may see: ``None`` means all of them."""
    if user.role in ("admin", "analyst"):
        return None
    agency = db.session.get(Agency, user.agency_id)
    return agency.subtree_ids() if agency else []


def require_agency_access(user: User, agency_id: int | None) -> None:
    """Abort with 403 unless ``user`` may see ``agency_id`` (``None`` = the whole province)."""
    allowed = visible_agency_ids(user)
    if allowed is None:
        return
    if agency_id is None or agency_id not in allowed:
        abort(403)
