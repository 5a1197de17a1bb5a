"""SIPAS survey web application."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, request, session

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


class SurveyApp(Flask):
    """The Flask app, whose set-up (extensions, models, views) may wait for its first use.

    ``flask`` builds the app only to list its commands (``flask --help``); importing SQLAlchemy,
    the models and every view for that would more than double the time. When the ``flask``
    command line builds it, ``create_app`` therefore defers that set-up, and it runs, once and
    under a lock, before the first request (``request_context``), before a command of the app
    runs (``survey.cli.SetupGroup``, ``flask db``), when the URL map is read (``flask routes``)
    and for ``flask shell``. Built any other way (gunicorn, the tests), the app is set up at
    once.
    """

    _pending: Callable[[Flask], None] | None = None
    _setting_up = False
    _setup_error: BaseException | None = None

    def defer_setup(self, setup: Callable[[Flask], None]) -> None:
        """Run ``setup(app)`` on first use instead of now."""
        self._setup_lock = threading.RLock()
        self._pending = setup

    def finish_setup(self) -> None:
        """Run the deferred set-up now, if it has not run (other threads wait for it)."""
        if self._pending is None and self._setup_error is None:
            return
        with self._setup_lock:
            if self._setup_error is not None:   # a half-done set-up is not run again
                raise RuntimeError("the app's set-up failed") from self._setup_error
            if self._pending is None or self._setting_up:   # done meanwhile, or re-entered
                return
            self._setting_up = True
            try:
                self._pending(self)
            except BaseException as error:
                self._setup_error = error
                raise
            finally:
                self._pending, self._setting_up = None, False

    @property
    def url_map(self):  # type: ignore[override]
        """The URL map, complete (``flask routes`` reads it without a request)."""
        self.finish_setup()
        return self._url_map

    @url_map.setter
    def url_map(self, value) -> None:
        self._url_map = value

    def request_context(self, environ: dict):
        self.finish_setup()
        return super().request_context(environ)

    def test_request_context(self, *args: Any, **kwargs: Any):
        self.finish_setup()
        return super().test_request_context(*args, **kwargs)

    def make_shell_context(self) -> dict:
        self.finish_setup()
        return super().make_shell_context()


def create_app(config: str | dict[str, Any] | None = None) -> Flask:
    """Build the application: ``config`` is a configuration name or a dict of overrides.

    Under the ``flask`` command line the extensions, models and views are set up on first use
    (``SurveyApp``); its commands are there at once.
    """
    from config import load_config

    app = SurveyApp(__name__, instance_path=str(ROOT_DIR / "instance"),
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
    _register_commands(app)
    if _built_by_the_flask_command():
        app.defer_setup(_set_up)
    else:
        _set_up(app)
    return app


def _built_by_the_flask_command() -> bool:
    """Is ``flask …`` building the app (``ScriptInfo.load_app``, to list or run commands)?"""
    import click
    from flask.cli import ScriptInfo

    context = click.get_current_context(silent=True)
    return context is not None and context.find_object(ScriptInfo) is not None


def _register_commands(app: Flask) -> None:
    """``flask sipas …``, ``flask kiosk …`` and ``flask db …``: listed without any set-up."""
    from .cli import sipas_cli
    from .commands import alerts, fieldwork, invitations, reports  # noqa: F401  (sipas …)
    from .commands.kiosk import kiosk_cli
    from .deferred_migrate import db_command

    app.cli.add_command(sipas_cli)
    app.cli.add_command(kiosk_cli)
    app.cli.add_command(db_command(app), name="db")


def _set_up(app: Flask) -> None:
    """Extensions, views, security headers, database hooks."""
    from flask_babel import get_locale

    from .extensions import babel, csrf, db, limiter, login, migrate
    from .main.security import init_security

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login.init_app(app)
    limiter.init_app(app)
    _register_blueprints(app)
    init_security(app)  # CSP, frame, sniffing, referrer headers; HSTS in production
    app.jinja_env.globals["get_locale"] = get_locale
    _register_sqlite_pragmas(app)
    from . import sums  # noqa: F401  (keeps the slice sums current on every ORM flush)


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
    from .extensions import csrf
    csrf.exempt(api_bp)


def _register_sqlite_pragmas(app: Flask) -> None:
    """Enforce foreign keys and allow concurrent readers on SQLite."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    from .extensions import db

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
