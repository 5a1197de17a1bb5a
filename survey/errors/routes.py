"""Error pages: JSON for API clients, friendly HTML for people."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..extensions import db
from . import bp


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    """An expired or missing form token: ask the person to start again, never a trace."""
    if _wants_json():
        return jsonify(error="csrf", message=error.description), 400
    return render_template("errors/csrf.html"), 400


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Any HTTP error as a page in the person's language, or JSON for the API."""
    if _wants_json():
        return jsonify(error=error.name.lower().replace(" ", "_"),
                       message=error.description), error.code
    titles = {
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        429: _("Too many requests. Please wait a moment and try again."),
    }
    title = titles.get(error.code, _("Something went wrong."))
    return render_template("errors/error.html", code=error.code, title=title), error.code


@bp.app_errorhandler(Exception)
def unexpected_error(error: Exception):
    """Log and hide unexpected failures: no trace reaches a citizen."""
    from flask import current_app

    if isinstance(error, HTTPException):
        return http_error(error)
    db.session.rollback()
    current_app.logger.exception("unexpected error on %s", request.path)
    if current_app.config.get("TESTING") and current_app.config.get("PROPAGATE_EXCEPTIONS"):
        raise error
    if _wants_json():
        return jsonify(error="server_error", message="unexpected error; nothing was changed"), 500
    return render_template("errors/error.html", code=500,
                           title=_("Something went wrong. Please try again.")), 500
