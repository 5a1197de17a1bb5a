"""The app's set-up waits for first use when ``flask`` builds it, and runs once.

``flask --help`` builds the app to list its commands; ``SurveyApp`` then puts off the
extensions, models and views until a request, a command, the URL map or the shell needs them.
"""
from __future__ import annotations

import threading
import time

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
    app.finish_setup()
    with app.app_context():   # the in-memory database of this app (one connection)
        from survey.extensions import db
        db.create_all()
        ran = runner.invoke(args=["sipas", "counters", "--format", "json"])
    assert ran.exit_code == 0, ran.output
    assert ran.output.strip() == "[]"


def test_a_command_sets_up_an_app_that_was_not():
    app = built_by_the_flask_command()
    ran = app.test_cli_runner().invoke(args=["sipas", "api-client", "list"])
    assert "kiosk" in app.blueprints and "sqlalchemy" in app.extensions
    assert ran.exit_code == 1 and "no such table" in ran.output   # it reached the database


def test_a_failed_set_up_is_not_run_again():
    app = built_by_the_flask_command()
    calls = []

    def broken(target):
        calls.append(1)
        raise OSError("disk full")

    app.defer_setup(broken)
    for _ in range(2):
        try:
            app.finish_setup()
        except (OSError, RuntimeError) as error:
            last = error
    assert calls == [1]
    assert isinstance(last, RuntimeError) and isinstance(last.__cause__, OSError)


def test_other_builds_are_set_up_at_once():
    app = create_app({"CONFIG_NAME": "testing"})
    assert "reports" in app.blueprints and "sqlalchemy" in app.extensions


def test_threads_that_need_the_app_at_once_run_the_set_up_once():
    app = built_by_the_flask_command()
    pending, calls = app._pending, []
    entered, release = threading.Event(), threading.Event()

    def slow_setup(target):
        calls.append(threading.current_thread().name)
        entered.set()
        assert release.wait(10)
        pending(target)

    app.defer_setup(slow_setup)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(len(list(app.url_map.iter_rules()))))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    assert entered.wait(10)
    time.sleep(0.2)               # the other threads reach the lock while the set-up runs
    assert seen == []             # nobody got a half-built URL map
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert len(seen) == 4 and len(set(seen)) == 1 and seen[0] > 50
