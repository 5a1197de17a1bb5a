"""analysis is a pure library: importing it (and its CLI) loads neither Flask nor survey."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_importing_analysis_loads_neither_flask_nor_survey():
    code = ("import sys, analysis, analysis.__main__, analysis.cli, analysis.sql, "
            "analysis.sipas, analysis.compare, analysis.weighting, analysis.reliability\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'survey'))\n"
            "assert not bad, bad\n"
            "analysis.sipas.load_structure('sipas')\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'survey'))\n"
            "assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
