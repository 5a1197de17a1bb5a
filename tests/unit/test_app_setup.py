"""The app's set-up waits for first use when ``flask`` builds it, and runs once.

``flask --help`` builds the app to list its commands; ``SurveyApp`` then puts off the
extensions, models and views until a request, a command, the URL map or the shell needs them.
"""
from __future__ import annotations

import threading

import click
from flask.cli import ScriptInfo

from survey import SurveyApp, create_app


def built_by_the_flask_command() -> SurveyApp:
    """``create_app`` as ``flask --app survey …`` calls it: inside a click context with a
    ``ScriptInfo``."""
    with click.Context(click.Command("flask"), obj=ScriptInfo()):
        return create_app({"CONFIG_NAME": "testing"})


def test_the_flask_command_gets_the_commands_without_the_views():
    app = built_by_the_flask_command()
    assert {"sipas", "kiosk", "db"} <= set(app.cli.commands)
    assert "report" in app.cli.commands["sipas"].commands
    assert app.blueprints == {} and "sqlalchemy" not in app.extensions


def test_a_request_sets_the_app_up_first():
    app = built_by_the_flask_command()
    response = app.test_client().get("/auth/login")
    assert response.status_code == 200 and "kiosk" in app.blueprints
    assert "sqlalchemy" in app.extensions


def test_reading_the_url_map_sets_the_app_up():
    app = built_by_the_flask_command()
    assert any(rule.rule.startswith("/kiosk/") for rule in app.url_map.iter_rules())


def test_running_a_command_sets_the_app_up_and_listing_does_not():
    app = built_by_the_flask_command()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["sipas", "--help"])
    assert listed.exit_code == 0 and "report" in listed.output and app.blueprints == {}
    ran = runner.invoke(args=["sipas", "api-client", "list"])
    assert "kiosk" in app.blueprints
    assert ran.exit_code != 0 or ran.output == ""   # the in-memory database has no tables


def test_other_builds_are_set_up_at_once():
    app = create_app({"CONFIG_NAME": "testing"})
    assert "reports" in app.blueprints and "sqlalchemy" in app.extensions


def test_threads_that_need_the_app_at_once_run_the_set_up_once():
    app = built_by_the_flask_command()
    pending, calls, started = app._pending, [], threading.Event()

    def slow_setup(target):
        calls.append(threading.current_thread().name)
        started.set()
        pending(target)

    app.defer_setup(slow_setup)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(len(app.url_map._rules)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and started.is_set()
    assert len(set(seen)) == 1 and seen[0] > 50   # every thread saw the whole URL map
