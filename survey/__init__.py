"""SIPAS survey web application."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, request, session

from .extensions import babel, csrf, db, limiter, login, migrate

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT_DIR = PACKAGE_DIR.parent
TRANSLATION_PARTS = ("core", "citizen", "workspace", "reports", "officers", "alerts",
                     "invitations", "followups", "coverage", "fieldwork")


def select_locale() -> str:
    """Vietnamese unless the person chose another language (``?lang=`` is remembered).

    Outside a web request (the ``flask sipas`` commands) texts are English, like the CLI.
    """
    from flask import current_app, has_request_context

    if not has_request_context():
        return "en"
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def create_app(config: str | dict[str, Any] | None = None) -> Flask:
    """Build the application: ``config`` is a configuration name or a dict of overrides."""
    from config import load_config

    app = Flask(__name__, instance_path=str(ROOT_DIR / "instance"),
                template_folder=str(ROOT_DIR / "templates"))
    if isinstance(config, dict):
        settings = load_config(config.get("CONFIG_NAME"))
        settings.update(config)
    else:
        settings = load_config(config)
    app.config.from_mapping(settings)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        str(PACKAGE_DIR / "translations" / part) for part in TRANSLATION_PARTS)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login.init_app(app)
    limiter.init_app(app)
    _register_blueprints(app)
    from .main.security import init_security
    init_security(app)  # CSP, frame, sniffing, referrer headers; HSTS in production
    from flask_babel import get_locale
    app.jinja_env.globals["get_locale"] = get_locale
    _register_sqlite_pragmas(app)
    from . import sums  # noqa: F401  (keeps the slice sums current on every ORM flush)
    from .alerts import cli as _alert_commands  # noqa: F401  (adds watch, send-digest)
    from .cli import sipas_cli
    app.cli.add_command(sipas_cli)
    return app


def _register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .alerts import bp as alerts_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .errors import bp as errors_bp
    from .fieldwork import bp as fieldwork_bp
    from .followups import bp as followups_bp
    from .invitations import bp as invitations_bp
    from .kiosk import bp as kiosk_bp
    from .main import bp as main_bp
    from .officers import bp as officers_bp
    from .public import bp as public_bp
    from .reports import bp as reports_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(errors_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(kiosk_bp, url_prefix="/kiosk")
    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(officers_bp, url_prefix="/officers")
    app.register_blueprint(alerts_bp, url_prefix="/alerts")
    app.register_blueprint(invitations_bp)
    app.register_blueprint(followups_bp, url_prefix="/followups")
    app.register_blueprint(fieldwork_bp, url_prefix="/fieldwork")
    csrf.exempt(api_bp)


def _register_sqlite_pragmas(app: Flask) -> None:
    """Enforce foreign keys and allow concurrent readers on SQLite."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
