"""Landing page, language switch and the health check."""
from flask import jsonify, redirect, render_template, request, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from . import bp


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
    """Remember the chosen language and go back where the person was."""
    target = request.args.get("next") or url_for("main.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(f"{target}{'&' if '?' in target else '?'}lang={code}")
