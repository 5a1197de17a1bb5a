"""Landing page, language switch and the health check."""
from urllib.parse import urlsplit, urlunsplit

from flask import current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from . import bp
from .security import safe_next


@bp.get("/")
def index():
    """Entry page for staff; citizens arrive by kiosk or QR URLs."""
    return render_template("main/index.html")


@bp.get("/healthz")
def healthz():
    """200 when the app and its database answer, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the chosen language and go back where the person was (on this site only)."""
    target = safe_next(request.args.get("next"), url_for("main.index"))
    if code not in current_app.config["LANGUAGES"]:
        return redirect(target)
    return redirect(_with_lang(target, code))


def _with_lang(target: str, code: str) -> str:
    """``target`` with ``lang=code`` added to its query (before any ``#fragment``)."""
    parts = urlsplit(target)
    query = f"{parts.query}&lang={code}" if parts.query else f"lang={code}"
    return urlunsplit(("", "", parts.path, query, parts.fragment))
