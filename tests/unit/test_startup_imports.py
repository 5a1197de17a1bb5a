"""Commands start fast: the app, ``flask --help`` and ``import analysis`` load no heavy library.

numpy, pandas, scipy, statsmodels, matplotlib, openpyxl and fpdf2 cost seconds to import; the
web app and the ``flask`` commands import them where they are used (the report views,
``flask sipas report``, the export), and ``analysis`` loads its modules on first use. Each check runs in a fresh
interpreter and reads ``sys.modules`` there, so a new top-level import anywhere on the start-up
path fails it. No timing is asserted here (see ``bench/bench_analysis.py``).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Libraries nothing on the start-up path may import (top-level package names).
HEAVY = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "openpyxl", "fpdf")
MARKER = "LOADED-MODULES:"
#: Appended to every probe: print the heavy packages now in ``sys.modules`` on one line.
REPORT = (f"\nimport json, sys\n"
          f"print({MARKER!r} + json.dumps(sorted({{m.split('.')[0] for m in sys.modules}}"
          f" & set({list(HEAVY)!r}))), flush=True)\n")
#: ``flask …`` exactly as the ``flask`` console script runs it, without leaving the process.
FLASK = ("import sys\nfrom flask.cli import main\nsys.argv = ['flask', *{argv!r}]\n"
         "try:\n    main()\nexcept SystemExit as stop:\n    assert stop.code in (0, None), stop\n")


def probe(code: str) -> tuple[list[str], str]:
    """Run ``code`` in a new interpreter: the heavy packages it left loaded, and its stdout."""
    env = {**os.environ, "SIPAS_CONFIG": "testing", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code + REPORT], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith(MARKER))
    return json.loads(line[len(MARKER):]), done.stdout


def test_the_probe_sees_a_heavy_import():
    """The check itself can fail: a module that imports pandas is reported."""
    loaded, _ = probe("import pandas")
    assert loaded == ["numpy", "pandas"]


def test_creating_the_app_imports_no_heavy_library():
    loaded, out = probe("from survey import create_app\n"
                        "app = create_app({'CONFIG_NAME': 'testing'})\n"
                        "print(sorted(app.blueprints))")
    assert "reports" in out and "kiosk" in out  # every blueprint registered
    assert loaded == []


@pytest.mark.parametrize("argv, listed", [(["--app", "survey", "--help"], "sipas"),
                                          (["--app", "survey", "sipas", "--help"], "report")])
def test_flask_help_imports_no_heavy_library(argv, listed):
    loaded, out = probe(FLASK.format(argv=argv))
    assert f"  {listed} " in out  # the app was found and its commands listed
    assert loaded == []


def test_flask_help_loads_no_database_library_model_or_view():
    """``flask --help`` builds the app with its set-up put off (``survey.SurveyApp``)."""
    _, out = probe(FLASK.format(argv=["--app", "survey", "--help"]) +
                   "print('LOADED', sorted({m.split('.')[0] for m in sys.modules}"
                   " & {'sqlalchemy', 'flask_sqlalchemy', 'wtforms', 'alembic'}),"
                   " sorted(m for m in sys.modules if m in {'survey.models', 'survey.kiosk',"
                   " 'survey.reports', 'survey.extensions'}))\n")
    assert "  sipas " in out and "  kiosk " in out and "  db " in out
    assert "LOADED [] []" in out


def test_creating_the_app_defers_flask_migrate():
    """Alembic and Mako load only when a migration runs (``flask db …``, ``upgrade()``)."""
    _, out = probe("import sys\nfrom survey import create_app\n"
                   "app = create_app({'CONFIG_NAME': 'testing'})\n"
                   "print('DEFERRED', sorted({m.split('.')[0] for m in sys.modules}"
                   " & {'alembic', 'mako', 'flask_migrate'}))\n"
                   "assert 'db' in app.cli.commands\n"
                   "with app.app_context():\n"
                   "    print('DIRECTORY', app.extensions['migrate'].directory)\n"
                   "print('LOADED', 'alembic' in sys.modules)\n")
    assert "DEFERRED []" in out
    assert "DIRECTORY " in out and out.split("DIRECTORY ")[1].split()[0].endswith("migrations")
    assert "LOADED True" in out   # the stand-in loaded the real configuration


def test_import_analysis_loads_no_scipy_until_a_module_needs_it():
    loaded, out = probe("import analysis\n"
                        "print(sorted(set(dir(analysis)) & {'SurveyDesign', 'compare'}))")
    assert "['SurveyDesign', 'compare']" in out
    assert "scipy" not in loaded and "pandas" not in loaded
    loaded, _ = probe("import analysis\nfrom analysis import SurveyDesign, compare\n"
                      "assert SurveyDesign is analysis.design.SurveyDesign\n"
                      "assert compare is analysis.compare")
    assert "pandas" in loaded  # the lazy names resolve to the real modules (compare uses pandas)


def test_unknown_name_of_analysis_is_an_attribute_error():
    import analysis

    with pytest.raises(AttributeError, match="no_such_thing"):
        analysis.no_such_thing  # noqa: B018


def test_the_sipas_command_loads_neither_pandas_nor_scipy():
    """``python -m analysis sipas`` on a well-formed file: numpy and pyarrow only (the t
    quantile is computed in ``analysis.intervals``, the file read by ``analysis.readers``)."""
    example = REPO / "tests" / "fixtures" / "reference" / "sipas-example.csv"
    loaded, out = probe("import contextlib, io\nfrom analysis.cli import main\n"
                        "with contextlib.redirect_stdout(io.StringIO()) as text:\n"
                        f"    status = main(['sipas', {str(example)!r}, '--weight', 'weight',"
                        " '--strata', 'agency', '--cluster', 'counter', '--by', 'service_area'])\n"
                        "print('STATUS', status, text.getvalue().count('\"measure\"'))\n")
    assert "STATUS 0 550" in out   # 50 measures for ALL and each of the 10 service areas
    assert loaded == ["numpy"]
