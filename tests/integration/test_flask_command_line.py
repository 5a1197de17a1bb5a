"""The ``flask`` command line itself (not the test runner): it builds the app with its set-up
put off (``survey.SurveyApp``), so every command must still find a complete app."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def flask(tmp_path_factory):
    """Run ``flask --app survey ARGS`` on a fresh SQLite database; returns the finished process."""
    database = tmp_path_factory.mktemp("flask-cli") / "sipas.db"
    env = {**os.environ, "SIPAS_DATABASE_URL": f"sqlite:///{database}", "PYTHONPATH": str(REPO)}
    env.pop("SIPAS_CONFIG", None)

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flask", "--app", "survey", *args],
                              cwd=REPO, env=env, input=stdin, capture_output=True, text=True,
                              timeout=300, check=False)

    done = run("sipas", "init")
    assert done.returncode == 0, done.stderr
    return run


def test_a_sipas_command_runs_on_the_set_up_app(flask):
    done = flask("sipas", "counters", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_the_migration_commands_find_the_database(flask):
    done = flask("db", "current")
    assert done.returncode == 0, done.stderr
    assert "(head)" in done.stdout


def test_routes_lists_every_part(flask):
    done = flask("routes")
    assert done.returncode == 0, done.stderr
    for path in ("/kiosk/", "/reports/", "/api/v1/", "/admin/", "/auth/login"):
        assert path in done.stdout


def test_the_shell_has_the_extensions(flask):
    done = flask("shell", stdin="print('READY', sorted(app.blueprints)[:2], "
                                "'sqlalchemy' in app.extensions)\n")
    assert "READY ['admin', 'alerts'] True" in done.stdout, done.stderr


def test_an_unknown_command_is_refused_in_one_message(flask):
    done = flask("sipas", "no-such-command")
    assert done.returncode == 2 and "No such command" in done.stderr
