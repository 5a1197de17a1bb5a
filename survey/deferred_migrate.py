"""Flask-Migrate bound like ``flask_migrate.Migrate`` but imported on first use (no SQLAlchemy,
no Alembic here: the ``flask db`` command is listed without loading either)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from flask import Flask

if TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy


class DeferredMigrate:
    """Flask-Migrate, bound like ``flask_migrate.Migrate`` but imported on first use.

    Importing Flask-Migrate loads Alembic and Mako (~0.3 s), which neither the web app nor most
    ``flask`` commands need. ``init_app`` records the options and puts two stand-ins on the app:
    a ``db`` command that loads the real command group when it runs (``flask db …`` keeps all
    its subcommands and options), and an ``app.extensions["migrate"]`` that loads the real
    configuration on its first attribute access (so ``flask_migrate.upgrade()`` and
    ``migrations/env.py`` work unchanged). Loading calls the real ``Migrate.init_app`` with the
    same arguments, which replaces both stand-ins.
    """

    HELP = "Perform database migrations."

    def init_app(self, app: Flask, db: SQLAlchemy | None = None, **options: Any) -> None:
        """Register the stand-ins; ``options`` go to ``flask_migrate.Migrate.init_app``."""
        def load() -> Any:
            config = app.extensions.get("migrate")
            if isinstance(config, _DeferredConfig):
                from flask_migrate import Migrate
                Migrate().init_app(app, db, **options)
            return app.extensions["migrate"]

        app.extensions["migrate"] = _DeferredConfig(load)
        app.cli.add_command(db_command(app), name="db")


def db_command(app: Flask) -> click.Command:
    """The ``flask db`` stand-in: when it runs, it finishes the app's set-up if that was put
    off (``survey.SurveyApp``), loads Flask-Migrate and hands its arguments to the real group."""
    def load() -> Any:
        finish = getattr(app, "finish_setup", None)
        if finish is not None:
            finish()
        config = app.extensions["migrate"]
        return config._load() if isinstance(config, _DeferredConfig) else config

    return _DeferredCommand(load, app)


class _DeferredConfig:
    """``app.extensions["migrate"]`` until Flask-Migrate is loaded: loads it, then delegates."""

    def __init__(self, load):
        self._load = load

    def __getattr__(self, name: str) -> Any:
        return getattr(self._load(), name)


class _DeferredCommand(click.Command):
    """``flask db``: its arguments, ``--help`` included, go to Flask-Migrate's group."""

    def __init__(self, load, app: Flask):
        super().__init__("db", help=DeferredMigrate.HELP, add_help_option=False,
                         context_settings={"ignore_unknown_options": True,
                                           "allow_extra_args": True})
        self._load, self._app = load, app

    def invoke(self, ctx: click.Context) -> Any:
        self._load()
        real = self._app.cli.commands["db"]
        with real.make_context(ctx.info_name, list(ctx.args), parent=ctx.parent) as inner:
            return real.invoke(inner)
